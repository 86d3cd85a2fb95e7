/**
 * EVTX reading speed over every file under ../shared/data/evtx: parseEvtx on one thread, EvtxPool,
 * and Debian's `evtxexport -f xml` (libevtx) over the same files in the same run.
 * Run: node --import tsx bench/evtx.ts
 */
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { availableParallelism, loadavg } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { EvtxPool, parseEvtx } from '../src/ingest/evtx/index.ts';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const DATA = path.resolve(repoRoot, '../shared/data/evtx');

function walk(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? walk(path.join(dir, e.name)) : [path.join(dir, e.name)],
  );
}

const files = walk(DATA)
  .filter((f) => f.endsWith('.evtx'))
  .sort();
const buffers = files.map((f) => readFileSync(f));
const megabytes = buffers.reduce((s, b) => s + b.length, 0) / 1e6;
const threads = availableParallelism();

function rate(records: number, ms: number): string {
  return `${records} records in ${ms.toFixed(0)} ms = ${Math.round((records / ms) * 1000)} records/s, ${((megabytes / ms) * 1000).toFixed(1)} MB/s`;
}

function singleThread(): { records: number; ms: number } {
  const t0 = performance.now();
  let records = 0;
  for (let i = 0; i < files.length; i++) {
    for (const b of parseEvtx(buffers[i]!, files[i]!)) records += b.events.length;
  }
  return { records, ms: performance.now() - t0 };
}

async function withPool(pool: EvtxPool): Promise<{ records: number; ms: number }> {
  const t0 = performance.now();
  let records = 0;
  let next = 0;
  const lane = async (): Promise<void> => {
    while (next < files.length) {
      const f = files[next++]!;
      for await (const b of pool.parseFile(f)) records += b.events.length;
    }
  };
  await Promise.all(Array.from({ length: threads * 2 }, lane));
  return { records, ms: performance.now() - t0 };
}

/** Runs `evtxexport -f xml` on one file and counts the `<Event ` elements it prints. */
function evtxexport(file: string): Promise<number> {
  return new Promise((resolve) => {
    const child = spawn('evtxexport', ['-f', 'xml', file], { stdio: ['ignore', 'pipe', 'ignore'] });
    const needle = Buffer.from('<Event ');
    let count = 0;
    let carry: Buffer = Buffer.alloc(0);
    child.stdout.on('data', (chunk: Buffer) => {
      const buf = carry.length > 0 ? Buffer.concat([carry, chunk]) : chunk;
      let at = buf.indexOf(needle);
      while (at >= 0) {
        count++;
        at = buf.indexOf(needle, at + needle.length);
      }
      carry = buf.subarray(Math.max(0, buf.length - (needle.length - 1)));
    });
    child.on('error', () => {
      resolve(-1);
    });
    child.on('close', () => {
      resolve(count);
    });
  });
}

async function withEvtxexport(parallel: number): Promise<{ records: number; ms: number } | null> {
  const t0 = performance.now();
  let records = 0;
  let next = 0;
  const state = { missing: false };
  const lane = async (): Promise<void> => {
    while (next < files.length) {
      const n = await evtxexport(files[next++]!);
      if (n < 0) state.missing = true;
      else records += n;
    }
  };
  await Promise.all(Array.from({ length: parallel }, lane));
  return state.missing ? null : { records, ms: performance.now() - t0 };
}

/** The fastest of several timings: the one least disturbed by other work on the machine. */
function best(runs: { records: number; ms: number }[]): { records: number; ms: number } {
  return runs.reduce((a, b) => (b.ms < a.ms ? b : a));
}

const RUNS = 5;
const load = loadavg()[0] ?? 0;
console.log(
  `${files.length} EVTX files, ${megabytes.toFixed(1)} MB, ${threads} cores, load average ${load.toFixed(1)}`,
);
console.log(`(parseEvtx and the warm pool: best of ${RUNS} runs)`);

singleThread(); // warm-up: JIT
const one = best(Array.from({ length: RUNS }, singleThread));
console.log(`parseEvtx, 1 thread:        ${rate(one.records, one.ms)}`);

const pool = new EvtxPool();
const cold = await withPool(pool);
console.log(
  `EvtxPool, ${threads} threads (cold): ${rate(cold.records, cold.ms)}  (includes worker start-up)`,
);
const warmRuns: { records: number; ms: number }[] = [];
for (let i = 0; i < RUNS; i++) warmRuns.push(await withPool(pool));
const warm = best(warmRuns);
console.log(`EvtxPool, ${threads} threads (warm): ${rate(warm.records, warm.ms)}`);
await pool.close();

const ex1 = await withEvtxexport(1);
const exN = await withEvtxexport(threads);
if (ex1 === null || exN === null) {
  console.log('evtxexport: not installed (apt-get install libevtx-utils); no comparison');
} else {
  console.log(`evtxexport -f xml, 1 process:   ${rate(ex1.records, ex1.ms)}`);
  console.log(`evtxexport -f xml, ${threads} processes: ${rate(exN.records, exN.ms)}`);
  const r = (a: { records: number; ms: number }, b: { records: number; ms: number }): string =>
    (a.records / a.ms / (b.records / b.ms)).toFixed(1);
  console.log(`ratio parseEvtx 1 thread / evtxexport 1 process:        ${r(one, ex1)}x`);
  console.log(`ratio EvtxPool warm / evtxexport ${threads} processes:          ${r(warm, exN)}x`);
  console.log(`ratio EvtxPool cold / evtxexport ${threads} processes:          ${r(cold, exN)}x`);
}
