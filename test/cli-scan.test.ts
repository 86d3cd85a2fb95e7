/** `vigil scan` and `vigil rules check` as users run them: a real process, real files, the documented contracts. */
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const repo = new URL('../', import.meta.url).pathname;
const shared = join(repo, '..', 'shared', 'data');
const regression = join(shared, 'sigma', 'regression_data', 'rules', 'windows');
const sample = join(regression, 'process_creation', 'proc_creation_win_certutil_decode');

function vigil(args: readonly string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [join(repo, 'bin', 'vigil.js'), ...args], {
    cwd: repo,
    encoding: 'utf8',
    env: { ...process.env, NO_COLOR: '1' },
    maxBuffer: 1 << 28,
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

const tmp = mkdtempSync(join(tmpdir(), 'vigil-cli-'));
const sigmaRules = join(shared, 'sigma', 'rules', 'windows', 'process_creation');

describe('vigil scan', () => {
  it('writes JSONL detections with the documented fields and a JSON summary', () => {
    const summary = join(tmp, 'summary.json');
    const r = vigil([
      'scan',
      sample,
      '--rules',
      sigmaRules,
      '--format',
      'jsonl',
      '--summary',
      summary,
    ]);
    expect(r.stderr).toContain('Detections by level');
    expect(r.status).toBe(0);
    const lines = r.stdout.trim().split('\n').filter(Boolean);
    expect(lines.length).toBeGreaterThan(0);
    const first = JSON.parse(lines[0]!) as Record<string, unknown>;
    for (const key of [
      'timestamp',
      'computer',
      'channel',
      'event_id',
      'record_id',
      'rule_id',
      'rule_title',
      'level',
      'tags',
      'file',
    ])
      expect(first).toHaveProperty(key);
    expect(first['file']).toMatch(/\.evtx$/);
    const s = JSON.parse(readFileSync(summary, 'utf8')) as {
      files: { path: string; records: number; errors: number }[];
      records: number;
      detections: number;
      elapsed_s: number;
    };
    // The sample folder holds the EVTX file, its JSON twin and info.yml (not a log: read as 0 records).
    expect(s.files.filter((f) => f.records > 0).map((f) => f.path.slice(-5))).toEqual([
      '.evtx',
      '.json',
    ]);
    expect(s.records).toBeGreaterThan(0);
    expect(s.detections).toBe(lines.length);
    expect(typeof s.elapsed_s).toBe('number');
  });

  it('prints a timeline table with a closing summary by default', () => {
    const r = vigil(['scan', sample, '--rules', sigmaRules, '--no-builtin']);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/Timestamp .*Computer .*Channel .*EventID .*RecordID .*Level .*Rule/);
    expect(r.stdout).toContain('Certutil');
    expect(r.stdout).toContain('Top rules');
  });

  it('exits 2 when an input cannot be read, and still scans the rest', () => {
    const r = vigil([
      'scan',
      join(tmp, 'does-not-exist.evtx'),
      sample,
      '--rules',
      sigmaRules,
      '--format',
      'jsonl',
    ]);
    expect(r.status).toBe(2);
    expect(r.stdout.trim().split('\n').length).toBeGreaterThan(0);
    expect(r.stderr).toContain('does-not-exist.evtx');
  });

  it('reads damaged EVTX files: located problems per file, the rest of every file still scanned', () => {
    const summary = join(tmp, 'damaged.json');
    const samples = join(shared, 'evtx', 'omerbenamram-evtx-samples', 'samples');
    const r = vigil(['scan', samples, '--no-builtin', '--format', 'jsonl', '--summary', summary]);
    expect(r.status).toBe(2);
    const s = JSON.parse(readFileSync(summary, 'utf8')) as {
      files: { path: string; records: number; errors: number }[];
      problems: { code: string; file: string; offset?: number; chunk?: number }[];
    };
    const badChunk = s.files.find((f) => f.path.endsWith('sample_with_a_bad_chunk_magic.evtx'));
    expect(badChunk?.errors).toBeGreaterThan(0);
    expect(badChunk?.records).toBeGreaterThan(0);
    const located = s.problems.filter((p) => p.code.startsWith('EVTX_'));
    expect(located.length).toBeGreaterThan(0);
    for (const p of located) expect(p.offset ?? p.chunk).toBeDefined();
    expect(r.stderr).toContain('Parse problems');
  });

  it('exits 1 on usage errors with a clear message', () => {
    const r = vigil(['scan', sample, '--format', 'xml']);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('--format must be one of table, csv, json, jsonl');
    expect(vigil(['scan']).status).toBe(1);
    const version = vigil(['--version']);
    expect(version.status).toBe(0);
    expect(version.stdout.trim()).toMatch(/^\d+\.\d+\.\d+$/);
  });

  it('refuses an --output it cannot write before scanning, naming it', () => {
    const where = join(tmp, 'no-such-folder', 'out.jsonl');
    const r = vigil(['scan', sample, '--format', 'jsonl', '--output', where]);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(`cannot write --output ${where}: ENOENT`);
    expect(r.stderr).not.toContain('Detections by level');
  });

  it('never reads its own --output as an input, even inside a scanned folder', () => {
    const folder = mkdtempSync(join(tmpdir(), 'vigil-cli-out-'));
    copyFileSync(
      join(sample, readdirSync(sample).find((f) => f.endsWith('.evtx')) ?? ''),
      join(folder, 'a.evtx'),
    );
    const out = join(folder, 'detections.jsonl');
    const args = ['scan', folder, '--rules', sigmaRules, '--format', 'jsonl', '--output', out];
    const first = vigil(args);
    const lines = readFileSync(out, 'utf8');
    const again = vigil(args);
    expect(first.status).toBe(0);
    expect(again.status).toBe(0);
    expect(lines.length).toBeGreaterThan(0);
    expect(readFileSync(out, 'utf8')).toBe(lines);
    expect(again.stdout).not.toContain('detections.jsonl');
    expect(again.stdout).toContain('Scanned 1 file(s)');
  });
});

describe('vigil rules check', () => {
  it('reports counts, unsupported rules and located errors as JSON', () => {
    const dir = mkdtempSync(join(tmpdir(), 'vigil-rules-'));
    writeFileSync(
      join(dir, 'bad.yml'),
      'title: broken\nid: 8f6a3c2e-0d1b-4b7e-9a55-3d2c1b0a9f8e\nlogsource:\n  product: windows\n  category: process_creation\ndetection:\n  selection:\n    Image|nosuchmodifier: x\n  condition: selection\nlevel: high\n',
    );
    const r = vigil(['rules', 'check', dir, '--json']);
    expect(r.status).toBe(2);
    const report = JSON.parse(r.stdout) as {
      rules: number;
      loaded: number;
      unsupported: unknown[];
      errors: { file: string; line: number; col: number; message: string }[];
    };
    expect(report.rules).toBe(1);
    expect(report.loaded).toBe(0);
    expect(report.errors[0]).toMatchObject({ file: join(dir, 'bad.yml'), line: 8 });
    expect(report.errors[0]?.message).toContain('nosuchmodifier');
  });
});
