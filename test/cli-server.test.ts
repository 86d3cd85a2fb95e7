/** `vigil tenant|key|user|send|alerts` against a running server: the JSON contracts scripts rely on. */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadServerConfig, startServer, type RunningServer } from '../src/app/index.ts';

const run = promisify(execFile);
const root = join(import.meta.dirname, '..');
const PASSWORD = 'cli-test-admin-password';
let server: RunningServer;
let dir: string;

async function vigil(
  args: string[],
  env: Record<string, string> = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const r = await run(process.execPath, [join(root, 'bin', 'vigil.js'), ...args], {
      env: { ...process.env, VIGIL_SERVER: server.url, ...env },
      maxBuffer: 64 << 20,
    });
    return { code: 0, stdout: r.stdout, stderr: r.stderr };
  } catch (e) {
    const err = e as { code: number; stdout: string; stderr: string };
    return { code: err.code, stdout: err.stdout, stderr: err.stderr };
  }
}

const admin = { VIGIL_USER: 'admin', VIGIL_PASSWORD: PASSWORD };

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'vigil-cli-server-'));
  server = await startServer(
    loadServerConfig({ env: { VIGIL_ADMIN_PASSWORD: PASSWORD }, flags: { data: dir, port: 0 } }),
    () => undefined,
  );
}, 60_000);

afterAll(async () => {
  await server.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('vigil client commands', () => {
  let tenant = '';
  let key = '';

  it('tenant create --json prints {"id","name"}', async () => {
    const r = await vigil(['tenant', 'create', 'Initech Ltd', '--json'], admin);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout) as { id: string; name: string };
    expect(out).toEqual({ id: 'initech-ltd', name: 'Initech Ltd' });
    tenant = out.id;
  });

  it('key create --json prints {"id","key"}', async () => {
    const r = await vigil([
      'key',
      'create',
      '--tenant',
      tenant,
      '--json',
      '--user',
      'admin',
      '--password',
      PASSWORD,
    ]);
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout) as { id: string; key: string };
    expect(Object.keys(out).sort()).toEqual(['id', 'key']);
    expect(out.key).toMatch(/^vgi_/);
    key = out.key;
  });

  it('user create takes the new user’s --password and authenticates from the environment', async () => {
    const r = await vigil(
      [
        'user',
        'create',
        '--tenant',
        tenant,
        '--role',
        'customer_viewer',
        '--name',
        'peter',
        '--password',
        'tps-reports-2026',
        '--json',
      ],
      admin,
    );
    expect(r.stderr).toBe('');
    expect(JSON.parse(r.stdout)).toMatchObject({ name: 'peter', role: 'customer_viewer', tenant });
    // the new user can log in with that password
    const login = await fetch(`${server.url}/api/v1/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'peter', password: 'tps-reports-2026' }),
    });
    expect(login.status).toBe(200);
  });

  it('send uploads files with the key and alerts lists what they raised', async () => {
    const r = await vigil(['send', '--key', key, join(root, 'samples', 'quickstart'), '--json']);
    expect(r.code).toBe(0);
    const sent = JSON.parse(r.stdout) as {
      files: { path: string; records: number; stored: number }[];
      records: number;
      stored: number;
    };
    expect(sent.files.length).toBeGreaterThan(1);
    expect(sent.stored).toBe(sent.records);
    await server.pipeline.drain();

    const a = await vigil(['alerts', '--tenant', tenant, '--json'], admin);
    expect(a.code).toBe(0);
    const alerts = JSON.parse(a.stdout) as Record<string, unknown>[];
    expect(alerts.length).toBeGreaterThan(0);
    for (const alert of alerts) {
      expect(typeof alert['id']).toBe('string');
      const rule = alert['rule'] as { id: unknown; title: unknown };
      expect(typeof rule.id).toBe('string');
      expect(typeof rule.title).toBe('string');
      expect(['informational', 'low', 'medium', 'high', 'critical']).toContain(alert['level']);
      expect(Number.isNaN(Date.parse(String(alert['ts'])))).toBe(false);
      expect(alert).toHaveProperty('host');
    }
    // the human form is a readable line per alert
    const human = await vigil(['alerts', '--tenant', tenant, '--limit', '3'], admin);
    expect(human.stdout.trim().split('\n')).toHaveLength(Math.min(3, alerts.length));

    // the alerts grouped into incidents, with the fields `vigil incidents --json` promises
    const inc = await vigil(['incidents', '--tenant', tenant, '--json'], admin);
    expect(inc.stderr).toBe('');
    const incidents = JSON.parse(inc.stdout) as Record<string, unknown>[];
    expect(incidents.length).toBeGreaterThan(0);
    expect(incidents.length).toBeLessThan(alerts.length);
    for (const i of incidents) {
      for (const k of [
        'id',
        'title',
        'score',
        'status',
        'hosts',
        'techniques',
        'source',
        'narrative',
        'mitigations',
        'alert_count',
      ]) {
        expect(i, k).toHaveProperty(k);
      }
      expect(i['score']).toBeGreaterThanOrEqual(0);
      expect(i['score']).toBeLessThanOrEqual(100);
      for (const h of i['hosts'] as { name: string; state: string }[]) {
        expect(['infected', 'targeted', 'clean']).toContain(h.state);
      }
      expect(typeof (i['narrative'] as Record<string, string>)['en']).toBe('string');
      expect(typeof (i['narrative'] as Record<string, string>)['zh-TW']).toBe('string');
    }
    const scores = incidents.map((i) => i['score'] as number);
    expect(scores).toEqual([...scores].sort((x, y) => y - x));
    const alertTotal = incidents.reduce((n, i) => n + (i['alert_count'] as number), 0);
    expect(alertTotal).toBe(alerts.length);
    const humanInc = await vigil(
      ['incidents', '--tenant', tenant, '--lang', 'zh-TW', '--limit', '1'],
      admin,
    );
    expect(humanInc.stdout).toMatch(
      /^\s*\d+ {2}.+\(\d+ alerts\)\n {5}\S+ {2}(critical|high|medium|low) {2}new {2}unassigned\n {5}hosts: /,
    );

    // case work from the command line
    const first = String(incidents[0]?.['id']);
    const upd = await vigil(
      [
        'incident',
        'update',
        first,
        '--tenant',
        tenant,
        '--status',
        'investigating',
        '--assignee',
        'admin',
        '--tags',
        'lure,finance',
        '--json',
      ],
      admin,
    );
    expect(upd.code).toBe(0);
    expect(JSON.parse(upd.stdout)).toMatchObject({
      status: 'investigating',
      assignee: 'admin',
      tags: ['lure', 'finance'],
    });
    expect(
      (await vigil(['incident', 'note', first, 'called the user', '--tenant', tenant], admin)).code,
    ).toBe(0);
    const shown = await vigil(['incident', 'show', first, '--tenant', tenant], admin);
    expect(shown.stdout).toContain('investigating  admin');
    expect(shown.stdout).toMatch(/notes:\n {2}\S+ admin: called the user/);
    const badStatus = await vigil(
      ['incident', 'update', first, '--tenant', tenant, '--status', 'done'],
      admin,
    );
    expect(badStatus.code).toBe(4);
    expect(badStatus.stderr).toMatch(/status: done is not one of/);
    expect((await vigil(['incident', 'update', first, '--tenant', tenant], admin)).code).toBe(1);

    // sending the same files again stores nothing new
    const again = await vigil([
      'send',
      '--key',
      key,
      join(root, 'samples', 'quickstart'),
      '--json',
    ]);
    expect((JSON.parse(again.stdout) as { stored: number }).stored).toBe(0);
  }, 60_000);

  it('explains what is wrong: no credentials, a bad key, an unreachable server', async () => {
    const none = await vigil(['tenant', 'create', 'X'], { VIGIL_USER: '', VIGIL_PASSWORD: '' });
    expect(none.code).toBe(1);
    expect(none.stderr).toMatch(/--token|VIGIL_USER/);
    const bad = await vigil([
      'send',
      '--key',
      'vgi_not-a-key',
      join(root, 'samples', 'quickstart'),
    ]);
    expect(bad.code).toBe(4);
    expect(bad.stderr).toMatch(/invalid credential/);
    const away = await vigil(
      ['alerts', '--tenant', tenant, '--server', 'http://127.0.0.1:9'],
      admin,
    );
    expect(away.code).toBe(4);
    expect(away.stderr).toMatch(/cannot reach the Vigil server at http:\/\/127\.0\.0\.1:9/);
  });
});
