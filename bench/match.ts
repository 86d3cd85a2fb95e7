/**
 * Sigma matching throughput on one core: all SigmaHQ Windows rules against events from the regression
 * JSON twins and every EVTX file of the shared data, for RuleSet.match and for a naive loop without the index.
 */
import { readFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join, relative } from 'node:path';
import type { Event } from '../src/core/index.ts';
import { loadRules, parseLogsourceMap, RuleSet } from '../src/detect/index.ts';
import { buildEval, EvalCtx, routeAccepts } from '../src/detect/sigma/match.ts';
import { parseEvtx } from '../src/ingest/evtx/index.ts';
import { readBytes } from '../src/ingest/index.ts';
import { fmt, listFiles, repoRoot, sharedData } from './common.ts';

const SIGMA = join(sharedData, 'sigma');
const WINDOWS = /^logsource:\s*\n(?:[ \t]+.*\n)*?[ \t]+product:\s*['"]?windows['"]?\s*$/m;

const ruleFiles = [
  ...listFiles(join(SIGMA, 'rules', 'windows'), /\.yml$/),
  ...listFiles(join(SIGMA, 'rules-emerging-threats'), /\.yml$/),
  ...listFiles(join(SIGMA, 'rules-threat-hunting'), /\.yml$/),
]
  .map((file) => ({ file: relative(SIGMA, file), text: readFileSync(file, 'utf8') }))
  .filter((f) => WINDOWS.test(f.text));

const map = parseLogsourceMap(
  readFileSync(join(repoRoot, 'config', 'logsources.yml'), 'utf8'),
  'config/logsources.yml',
);
if (!map.ok) throw new Error(map.issues.map((i) => i.message).join('\n'));

const t0 = performance.now();
const loaded = loadRules(ruleFiles, {
  logsources: map.value,
  placeholders: { known_cdcs: ['dc01.example.org'] },
});
const loadMs = performance.now() - t0;
const errors = loaded.issues.filter((i) => i.severity === 'error').length;
console.log(
  `rules: ${fmt(ruleFiles.length)} Windows rule files → ${fmt(loaded.rules.length)} compiled, ${errors} errors, ${loaded.unsupported.length} unsupported, loaded in ${fmt(loadMs)} ms`,
);

// Events: the regression JSON twins and every EVTX file of the shared data.
const events: Event[] = [];
for (const file of listFiles(join(SIGMA, 'regression_data'), /\.json$/)) {
  for (const b of readBytes(new Uint8Array(readFileSync(file)), file, {
    tenant: 'bench',
    format: 'json',
  })) {
    events.push(...b.events);
  }
}
const jsonEvents = events.length;
{
  for (const file of listFiles(join(sharedData, 'evtx'), /\.evtx$/i)) {
    for (const b of parseEvtx(new Uint8Array(readFileSync(file)), file, { tenant: 'bench' })) {
      events.push(...b.events);
    }
  }
}
console.log(
  `events: ${fmt(events.length)} (${fmt(jsonEvents)} from JSON twins, ${fmt(events.length - jsonEvents)} from EVTX)`,
);

/**
 * Runs `fn` over the sample until `minSeconds` of wall time pass. Reports events per wall second and per
 * CPU second of this process (the single-core figure when other processes share the machine).
 */
function measure(
  label: string,
  fn: (e: Event) => number,
  minSeconds: number,
  sample: readonly Event[] = events,
): number {
  let hits = 0;
  for (const e of sample) fn(e); // warm-up: one pass (lazy prefilters are built on first use)
  let n = 0;
  const start = performance.now();
  const cpu0 = process.cpuUsage();
  let elapsed = 0;
  do {
    for (const e of sample) hits += fn(e);
    n += sample.length;
    elapsed = (performance.now() - start) / 1000;
  } while (elapsed < minSeconds);
  const cpu = process.cpuUsage(cpu0);
  const cpuSeconds = (cpu.user + cpu.system) / 1e6;
  const rate = n / cpuSeconds;
  console.log(
    `${label}: ${fmt(rate)} events per CPU second, ${fmt(n / elapsed)} per wall second (${fmt(n)} events, ${fmt(cpuSeconds, 2)} s CPU in ${fmt(elapsed, 2)} s, ${fmt(hits)} detections)`,
  );
  return rate;
}

const t1 = performance.now();
const set = new RuleSet(loaded.rules, loaded.filters);
const indexMs = performance.now() - t1;
// Each route group's evaluators and prefilter are built on its first event: the first pass pays for them.
const t2 = performance.now();
for (const e of events) set.match(e);
console.log(
  `RuleSet built in ${fmt(indexMs)} ms, first pass (builds the route groups the events meet) ${fmt(performance.now() - t2)} ms; process RSS ${fmt(process.memoryUsage().rss / 2 ** 20)} MiB`,
);
const indexed = measure('RuleSet.match (route index)', (e) => set.match(e).length, 5);

// Reference: the same compiled closures, every rule and route tried on every event (no index).
const ctx = new EvalCtx();
const naive = loaded.rules.map((r) =>
  r.routes.map((rt) => ({ accept: routeAccepts(rt.route), fn: buildEval(rt.cond, ctx).fn })),
);
const naiveHits = (e: Event): string[] => {
  ctx.reset(e.fields);
  const ids: string[] = [];
  naive.forEach((routes, i) => {
    if (routes.some((r) => (r.accept === null || r.accept(e)) && r.fn(ctx))) {
      ids.push(loaded.rules[i]?.ref.id ?? '');
    }
  });
  return ids;
};
const sample = events.filter((_e, i) => i % 20 === 0); // every 20th event: the naive loop is slow
const reference = measure(
  'reference: naive loop over all rules (no route index, no prefilter)',
  (e) => naiveHits(e).length,
  2,
  sample,
);
// Cross-check on real data: the index and the prefilter must not change which rules fire.
let differ = 0;
for (const e of sample) {
  const a = set
    .match(e)
    .map((d) => d.rule.id)
    .sort()
    .join();
  if (a !== naiveHits(e).sort().join()) differ++;
}
console.log(
  `cross-check on ${fmt(sample.length)} events: ${differ} differ between RuleSet.match and the naive loop`,
);
console.log(
  `machine: ${cpus().length} cores, load average ${loadavg()
    .map((l) => fmt(l, 1))
    .join(' ')} (other processes share the cores: per-CPU-second figures are the one-core rate)`,
);
console.log(`ratio: RuleSet.match is ${fmt(indexed / reference, 1)}× the naive loop`);
