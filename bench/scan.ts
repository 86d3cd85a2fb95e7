/**
 * Benchmark c: `vigil scan` end to end with all SigmaHQ rules over EVTX-ATTACK-SAMPLES + DeepBlueCLI copied
 * four times, against `evtxexport -f xml` only parsing the same files. Each run times vigil cold (an empty
 * rule cache: every rule read and compiled), vigil warm (the compiled rules cached by the cold run) and
 * evtxexport back to back, so all three meet the same machine load; `BENCH_RUNS=n` (default 3) sets how
 * many runs, and the median ratios are the figures. vigil runs its compiled `dist/` (rebuilt here when a
 * source file is newer), as an installed `vigil` does.
 */
import { cpSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { distIsFresh, fmt, listFiles, repoRoot, sharedData, timeCommand } from './common.ts';

const runs = Math.max(1, Number(process.env['BENCH_RUNS'] ?? 3) || 3);

if (!distIsFresh()) {
  console.log('dist/ is older than src/: npm run build');
  timeCommand('npm', ['run', 'build']);
}
const compiled = distIsFresh();
if (!compiled) console.log('WARNING: dist/ could not be built; vigil runs from source through tsx');

if (spawnSync('evtxexport', ['-V'], { stdio: 'ignore' }).error) {
  console.error(
    'evtxexport is not installed (apt-get install -y libevtx-utils): no reference to compare with',
  );
  process.exit(1);
}

const work = mkdtempSync(join(tmpdir(), 'vigil-bench-scan-'));
// Outside the scanned folder: a second run must not read the first run's output.
const outDir = mkdtempSync(join(tmpdir(), 'vigil-bench-out-'));
try {
  for (let i = 1; i <= 4; i++) {
    for (const set of ['EVTX-ATTACK-SAMPLES', 'DeepBlueCLI'])
      cpSync(join(sharedData, 'evtx', set), join(work, `copy${i}`, set), { recursive: true });
  }
  const files = listFiles(work, /\.evtx$/i);
  console.log(
    `input: ${files.length} EVTX files (4 copies of EVTX-ATTACK-SAMPLES + DeepBlueCLI); vigil ${compiled ? 'compiled (dist/)' : 'from source'} on ${availableParallelism()} worker threads, evtxexport one process per file`,
  );

  const sigma = join(sharedData, 'sigma');
  const summary = join(outDir, 'summary.json');
  const vigilArgs = [
    join(repoRoot, 'bin', 'vigil.js'),
    'scan',
    work,
    '--no-builtin',
    '--rules',
    join(sigma, 'rules'),
    join(sigma, 'rules-emerging-threats'),
    join(sigma, 'rules-threat-hunting'),
    '--format',
    'jsonl',
    '--output',
    join(outDir, 'out.jsonl'),
    '--summary',
    summary,
  ];
  // evtxexport alone, its XML thrown away.
  const refArgs = [
    '-c',
    `find ${JSON.stringify(work)} -name '*.evtx' -print0 | xargs -0 -n1 evtxexport -f xml >/dev/null 2>&1`,
  ];

  const ratios = { cold: [] as number[], warm: [] as number[] };
  let records = 0;
  let detections = 0;
  const vigil = (cacheDir: string): { seconds: number; text: string } => {
    const scan = timeCommand(process.execPath, vigilArgs, repoRoot, {
      ...process.env,
      VIGIL_CACHE_DIR: cacheDir,
    });
    if (scan.status !== 0 && scan.status !== 2) {
      console.error(scan.stderr);
      throw new Error(`vigil scan exited ${scan.status}`);
    }
    const s = JSON.parse(readFileSync(summary, 'utf8')) as { records: number; detections: number };
    records = s.records;
    detections = s.detections;
    return {
      seconds: scan.seconds,
      text: `${fmt(scan.seconds, 2)} s (peak RSS ${fmt(scan.peakMiB)} MiB, ${fmt(s.records)} records, ${fmt(s.detections)} detections)`,
    };
  };
  for (let run = 1; run <= runs; run++) {
    const load = loadavg()[0] ?? NaN;
    const cacheDir = mkdtempSync(join(outDir, 'cache-'));
    const cold = vigil(cacheDir);
    const warm = vigil(cacheDir);
    const ref = timeCommand('/bin/sh', refArgs);
    ratios.cold.push(ref.seconds / cold.seconds);
    ratios.warm.push(ref.seconds / warm.seconds);
    console.log(
      `run ${run}/${runs} (load ${fmt(load, 2)}): vigil cold ${cold.text}, warm ${warm.text}; evtxexport ${fmt(ref.seconds, 2)} s; ratio cold ${fmt(ref.seconds / cold.seconds, 2)}×, warm ${fmt(ref.seconds / warm.seconds, 2)}×`,
    );
  }

  // Counted once, untimed: how many records evtxexport finds in the same files.
  const counted = timeCommand('/bin/sh', [
    '-c',
    `find ${JSON.stringify(work)} -name '*.evtx' -print0 | xargs -0 -n1 evtxexport -f xml 2>/dev/null | grep -c '<Event '`,
  ]);
  console.log(
    `vigil scan (all SigmaHQ rules, parse + match + correlate): ${fmt(records)} records, ${fmt(detections)} detections; evtxexport -f xml (parse only): ${fmt(Number(counted.stdout.trim()))} records`,
  );
  for (const [kind, what] of [
    ['cold', 'rules read and compiled'],
    ['warm', 'compiled rules from the cache'],
  ] as const) {
    const sorted = [...ratios[kind]].sort((a, b) => a - b);
    const median = sorted[Math.floor((sorted.length - 1) / 2)] ?? NaN;
    console.log(
      `ratio ${kind} (${what}): vigil scan is ${fmt(median, 2)}× faster than evtxexport, median of ${runs} (range ${fmt(sorted[0] ?? NaN, 2)}–${fmt(sorted[sorted.length - 1] ?? NaN, 2)}; target ≥ 2×)`,
    );
  }
} finally {
  rmSync(work, { recursive: true, force: true });
  rmSync(outDir, { recursive: true, force: true });
}
