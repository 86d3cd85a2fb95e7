/**
 * Benchmark c: `vigil scan` end to end with all SigmaHQ rules over EVTX-ATTACK-SAMPLES + DeepBlueCLI copied
 * four times, against `evtxexport -f xml` only parsing the same files (run in the same invocation).
 */
import { cpSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fmt, listFiles, repoRoot, sharedData, timeCommand } from './common.ts';

const work = mkdtempSync(join(tmpdir(), 'vigil-bench-scan-'));
try {
  for (let i = 1; i <= 4; i++) {
    for (const set of ['EVTX-ATTACK-SAMPLES', 'DeepBlueCLI'])
      cpSync(join(sharedData, 'evtx', set), join(work, `copy${i}`, set), { recursive: true });
  }
  const files = listFiles(work, /\.evtx$/i);
  console.log(`input: ${files.length} EVTX files (4 copies of EVTX-ATTACK-SAMPLES + DeepBlueCLI)`);

  const sigma = join(sharedData, 'sigma');
  const summary = join(work, 'summary.json');
  const scan = timeCommand(process.execPath, [
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
    join(work, 'out.jsonl'),
    '--summary',
    summary,
  ]);
  if (scan.status !== 0 && scan.status !== 2) {
    console.error(scan.stderr);
    throw new Error(`vigil scan exited ${scan.status}`);
  }
  const s = JSON.parse(readFileSync(summary, 'utf8')) as { records: number; detections: number };

  // Timed: evtxexport alone, its XML thrown away. Counted separately, untimed.
  const ref = timeCommand('/bin/sh', [
    '-c',
    `find ${JSON.stringify(work)} -name '*.evtx' -print0 | xargs -0 -n1 evtxexport -f xml >/dev/null 2>&1`,
  ]);
  const counted = timeCommand('/bin/sh', [
    '-c',
    `find ${JSON.stringify(work)} -name '*.evtx' -print0 | xargs -0 -n1 evtxexport -f xml 2>/dev/null | grep -c '<Event '`,
  ]);
  const refRecords = Number(counted.stdout.trim());

  console.log(
    `vigil scan (all SigmaHQ rules, parse + match + correlate): ${fmt(s.records)} records, ${fmt(s.detections)} detections in ${fmt(scan.seconds, 2)} s = ${fmt(s.records / scan.seconds)} records/s, peak RSS ${fmt(scan.peakMiB)} MiB`,
  );
  console.log(
    `reference evtxexport -f xml (parse only, one process per file): ${fmt(refRecords)} records in ${fmt(ref.seconds, 2)} s = ${fmt(refRecords / ref.seconds)} records/s, peak RSS ${fmt(ref.peakMiB)} MiB`,
  );
  console.log(
    `ratio: vigil scan is ${fmt(ref.seconds / scan.seconds, 2)}× faster than evtxexport (target ≥ 2×)`,
  );
} finally {
  rmSync(work, { recursive: true, force: true });
}
