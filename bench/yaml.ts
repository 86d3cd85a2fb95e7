/**
 * Reading Sigma rule files: Vigil's own YAML reader (`src/detect/sigma/yaml-fast.ts`) against js-yaml's
 * `loadAll` with the core schema, over the SigmaHQ rule folders: all of them in one process, and the first
 * half, about what each of `vigil scan`'s two threads reads. Cold is the first pass in a fresh process, as
 * a scan thread meets its rules; warm is the median of later passes. Each reader runs in several fresh
 * processes, interleaved; the figures are the median and the best of them.
 *
 *   npm run bench:yaml [-- rounds]
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { fmt, listFiles, sharedData } from './common.ts';

const FOLDERS = [
  'rules',
  'rules-emerging-threats',
  'rules-threat-hunting',
  'rules-placeholder',
  'rules-compliance',
  'rules-dfir',
];
const WARM_PASSES = 15;

type Reader = 'js-yaml' | 'yaml-fast';
interface Run {
  readonly files: number;
  readonly bytes: number;
  readonly read: number;
  readonly coldMs: number;
  readonly coldCpuMs: number;
  readonly warmMs: number;
}

async function child(reader: Reader, share: number): Promise<void> {
  const all = FOLDERS.flatMap((d) => listFiles(join(sharedData, 'sigma', d), /\.ya?ml$/));
  const texts = all.slice(0, Math.ceil(all.length * share)).map((f) => readFileSync(f, 'utf8'));
  let parse: (text: string) => unknown[] | undefined;
  if (reader === 'js-yaml') {
    const { CORE_SCHEMA, loadAll } = await import('js-yaml');
    parse = (text) => {
      const values: unknown[] = [];
      try {
        loadAll(text, (v) => values.push(v), { schema: CORE_SCHEMA });
      } catch {
        return undefined;
      }
      return values;
    };
  } else {
    parse = (await import('../src/detect/sigma/yaml-fast.ts')).readYamlFast;
  }
  // Let module loading's background work finish before the clock starts.
  await new Promise((r) => setTimeout(r, 300));
  const pass = (): number => {
    let read = 0;
    for (const t of texts) if (parse(t) !== undefined) read++;
    return read;
  };
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const read = pass();
  const coldMs = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  const warm: number[] = [];
  for (let i = 0; i < WARM_PASSES; i++) {
    const t = performance.now();
    pass();
    warm.push(performance.now() - t);
  }
  const run: Run = {
    files: texts.length,
    bytes: texts.reduce((n, t) => n + t.length, 0),
    read,
    coldMs,
    coldCpuMs: (cpu.user + cpu.system) / 1000,
    warmMs: median(warm),
  };
  console.log(JSON.stringify(run));
}

function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor((s.length - 1) / 2)] ?? NaN;
}

function spawnRun(reader: Reader, share: number): Run {
  const r = spawnSync(
    process.execPath,
    ['--import', 'tsx', fileURLToPath(import.meta.url), `--child=${reader}`, `--share=${share}`],
    { encoding: 'utf8' },
  );
  if (r.status !== 0) throw new Error(`${reader} run failed: ${r.stderr}`);
  return JSON.parse(r.stdout.trim().split('\n').at(-1) ?? '') as Run;
}

const childArg = process.argv.find((a) => a.startsWith('--child='));
if (childArg) {
  const share = Number(process.argv.find((a) => a.startsWith('--share='))?.slice(8) ?? 1);
  await child(childArg.slice('--child='.length) as Reader, share);
} else {
  const rounds = Number(process.argv[2] ?? 7);
  for (const share of [1, 0.5]) {
    const runs: Record<Reader, Run[]> = { 'js-yaml': [], 'yaml-fast': [] };
    for (let i = 0; i < rounds; i++) {
      runs['js-yaml'].push(spawnRun('js-yaml', share));
      runs['yaml-fast'].push(spawnRun('yaml-fast', share));
    }
    const first = runs['yaml-fast'][0]!;
    console.log(
      `\n${share === 1 ? 'all' : 'the first half of the'} SigmaHQ rule files: ${fmt(first.files)}, ${fmt(first.bytes / 1e6, 1)} MB; yaml-fast read ${fmt(first.read)} of them (the rest go to js-yaml); ${rounds} fresh processes per reader`,
    );
    const stat = (reader: Reader, key: 'coldMs' | 'coldCpuMs' | 'warmMs') => {
      const xs = runs[reader].map((r) => r[key]);
      return { med: median(xs), min: Math.min(...xs) };
    };
    for (const [key, label] of [
      ['coldMs', 'cold, first pass (wall)'],
      ['coldCpuMs', 'cold, first pass (CPU, all threads)'],
      ['warmMs', `warm (median of ${WARM_PASSES} passes)`],
    ] as const) {
      const js = stat('js-yaml', key);
      const fast = stat('yaml-fast', key);
      console.log(
        `${label.padEnd(38)} js-yaml ${fmt(js.med, 1).padStart(6)} ms (best ${fmt(js.min, 1)})   yaml-fast ${fmt(fast.med, 1).padStart(6)} ms (best ${fmt(fast.min, 1)})   ×${fmt(js.med / fast.med, 2)} (best ×${fmt(js.min / fast.min, 2)})`,
      );
    }
  }
}
