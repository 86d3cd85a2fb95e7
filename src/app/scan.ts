/**
 * `vigil scan`'s engine: lists the inputs, spreads files and EVTX chunks over worker threads that parse and
 * match, then runs correlation rules over the hits in time order.
 */
import { randomUUID } from 'node:crypto';
import { createRequire } from 'node:module';
import { availableParallelism } from 'node:os';
import { resolve } from 'node:path';
import { existsSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { EventLoopUtilization } from 'node:perf_hooks';
import {
  levelRank,
  type Detection,
  type Event,
  type Issue,
  type Level,
  type RuleRef,
} from '../core/index.ts';
import { evtxChunks } from '../ingest/evtx/index.ts';
import { listInputs, readShared, type InputFormat, type InputRef } from '../ingest/index.ts';
import { byTime, correlate, type LoadReport } from './detector.ts';
import { listRules } from './files.ts';
import { renderLine, type LineFormat } from './records.ts';
import { exchangeInit } from './prefilter-exchange.ts';
import { prefilterKey, ruleCacheDir } from './rule-cache.ts';
import type { CorrelationRule } from '../detect/index.ts';
import {
  HIT,
  HIT_STRIDE,
  isEvtxInput,
  type FromWorker,
  type ScanTask,
  type Steps,
  type ToWorker,
  type WorkerInit,
} from './scan-protocol.ts';

export interface ScanOptions {
  readonly paths: readonly string[];
  /** Extra rule files or directories. */
  readonly rules?: readonly string[];
  /** Load Vigil's own rules from `rules/` (default true). */
  readonly builtin?: boolean;
  readonly minLevel?: Level;
  readonly format?: InputFormat;
  /** Worker threads; default: all cores. */
  readonly threads?: number;
  /**
   * Where compiled rule slices are cached between scans (see `rule-cache.ts`); `false`: no cache.
   * Default: `ruleCacheDir()`, unless the environment says `VIGIL_CACHE=off`.
   */
  readonly ruleCache?: string | false;
  readonly onProgress?: (p: ScanProgress) => void;
  /**
   * Renders each reported detection's output line as it is found: the worker threads render their own
   * hits (in parallel, instead of one long serial pass after the last file) and send the line with only
   * what the summary and the timeline order read (its event here holds its host as `Computer`, its
   * tenant and origin), unless a correlation rule needs the whole event. `ScanResult.rendered` holds the lines; correlation hits are rendered at
   * the end.
   */
  readonly render?: LineFormat;
  /** Files never read as inputs, such as the scan's own output file inside a scanned folder. */
  readonly exclude?: readonly string[];
}

export interface ScanProgress {
  readonly filesTotal: number;
  readonly filesDone: number;
  readonly records: number;
  readonly elapsedMs: number;
}

export interface FileReport {
  readonly path: string;
  records: number;
  errors: number;
  readonly issues: Issue[];
}

export interface ScanResult {
  /** Every detection at or above the minimum level, in timeline order. */
  readonly detections: readonly Detection[];
  readonly files: readonly FileReport[];
  /** Problems with the paths themselves (missing files, unreadable directories). */
  readonly inputIssues: readonly Issue[];
  readonly records: number;
  readonly elapsedS: number;
  readonly rules: LoadReport;
  /**
   * With `render`: each reported detection's line, as text or as UTF-8 (the lines the workers rendered
   * come as bytes, written out as they are).
   */
  readonly rendered: ReadonlyMap<Detection, string | Uint8Array>;
  /**
   * Resolves once the worker threads have stopped. The result is complete before that: the first
   * worker may still be writing the rule cache, which the process waits for before it exits.
   */
  readonly stopped: Promise<void>;
}

const NO_SOURCE: Event['source'] = Object.freeze({});
const NOTHING_MATCHED: Detection['matched'] = Object.freeze({});
const hostFieldsCache = new Map<string, Event['fields']>();

/** An event's origin from a hit's row (NaN: no record id, no offset). */
function originOf(
  format: string,
  file: string | undefined,
  recordId: number,
  offset: number,
): Event['origin'] {
  const o: { format: string; file?: string; recordId?: number; offset?: number } = { format };
  if (file !== undefined) o.file = file;
  if (!Number.isNaN(recordId)) o.recordId = recordId;
  if (!Number.isNaN(offset)) o.offset = offset;
  return o;
}

/** `{ Computer: host }`, one object per host. */
function hostFields(host: string): Event['fields'] {
  let f = hostFieldsCache.get(host);
  if (!f) {
    f = Object.freeze({ Computer: host });
    if (hostFieldsCache.size < 10_000) hostFieldsCache.set(host, f);
  }
  return f;
}

/** Records per EVTX task: a run of this many 64 KiB chunks goes to one worker. */
const CHUNKS_PER_TASK = 8;
/** Inputs up to this size that are plain files are read and parsed whole by one worker. */
const SMALL_INPUT = 1 << 20;
/** Tasks a worker holds at once: the one it works on and the next. */
const TASKS_IN_FLIGHT = 2;
/** How many inputs may be loaded in memory ahead of the workers. */
const MAX_LOADED_AHEAD = 32;

/** `VIGIL_TRACE=1` prints where a scan spends its time, on standard error. */
function trace(started: number, what: string): void {
  if (process.env['VIGIL_TRACE'] === '1')
    process.stderr.write(`[trace] ${(performance.now() - started).toFixed(0)} ms: ${what}\n`);
}

export async function scan(opts: ScanOptions): Promise<ScanResult> {
  const started = performance.now();
  const threads = Math.max(1, opts.threads ?? availableParallelism());
  const cacheDir =
    opts.ruleCache ?? (process.env['VIGIL_CACHE'] === 'off' ? false : ruleCacheDir());
  const init: Omit<WorkerInit, 'part'> = {
    ...(opts.render
      ? { render: { format: opts.render, minRank: levelRank(opts.minLevel ?? 'informational') } }
      : {}),
    ruleDirs: [...(opts.rules ?? [])],
    builtin: opts.builtin ?? true,
    tenant: 'local',
    parts: threads,
    ...(threads > 1 ? { exchange: exchangeInit(`vigil-scan-${randomUUID()}`) } : {}),
    ...(cacheDir === false ? {} : { cacheDir }),
  };

  // Workers start compiling rules at once, each its own slice of the rule files; the inputs are listed
  // meanwhile. The workers trade their compiled parts through here and each links all of them; the first
  // one's report and correlation rules serve the coordinator, which compiles nothing itself.
  const poolStarting = WorkerPool.start(threads, init);
  // Marked handled now: a start failure is rethrown below, where it is awaited.
  poolStarting.catch(() => undefined);
  // If listing fails, the workers are still stopped.
  const listed = await listInputs(opts.paths).catch(async (err: unknown) => {
    await (await poolStarting).close();
    throw err;
  });
  const excluded = new Set((opts.exclude ?? []).map((f) => resolve(f)));
  const inputIssues = listed.issues;
  const inputs =
    excluded.size === 0
      ? listed.inputs
      : listed.inputs.filter(
          (i) => i.localFile === undefined || !excluded.has(resolve(i.localFile)),
        );
  const files = new Map<string, FileReport>();
  for (const input of inputs)
    files.set(input.path, { path: input.path, records: 0, errors: 0, issues: [] });
  const pool = await poolStarting;
  const origin = performance.timeOrigin + started;
  pool.loaded.steps.forEach((steps, i) => {
    const at = steps.map(([name, t]) => `${name} ${(t - origin).toFixed(0)}`).join(', ');
    trace(started, `worker ${i}: ${at} ms`);
  });
  trace(started, 'workers ready');
  const rules: LoadReport = pool.loaded.report;
  const ruleRefs = pool.loaded.rules;
  const detections: Detection[] = [];
  const minRank = levelRank(opts.minLevel ?? 'informational');
  const render = opts.render;
  const rendered = new Map<Detection, string | Uint8Array>();
  let records = 0;
  let filesDone = 0;
  // Rates count from when the workers are ready, not from the rule load.
  const readyAt = performance.now();
  const eluAtReady = performance.eventLoopUtilization();
  const workerEluAtReady = pool.utilization();
  const progress = (): void =>
    opts.onProgress?.({
      filesTotal: inputs.length,
      filesDone,
      records,
      elapsedMs: performance.now() - readyAt,
    });

  try {
    const pending: Promise<void>[] = [];
    let loadedAhead = 0;
    const waiters: (() => void)[] = [];
    for (const input of inputs) {
      while (loadedAhead >= MAX_LOADED_AHEAD) await new Promise<void>((r) => waiters.push(r));
      loadedAhead++;
      const report = files.get(input.path);
      if (!report) continue;
      const done = scanInput(input, report, opts.format ?? 'auto', pool, (r) => {
        records += r.records;
        const lines = r.lines ? new Uint8Array(r.lines) : undefined;
        const { numbers: n, strings, whole } = r.hits;
        let next = 0;
        for (let row = 0; row < n.length; row += HIT_STRIDE) {
          const rule = ruleRefs[n[row + HIT.rule] ?? -1];
          const at = n[row + HIT.at] ?? -1;
          const d = at < 0 ? whole[next++] : undefined;
          if (!rule) continue;
          if (d) {
            const detection: Detection = {
              rule,
              kind: 'event',
              ts: d.ts,
              events: d.events,
              matched: d.matched,
            };
            detections.push(detection);
            if (render && levelRank(rule.level) >= minRank)
              rendered.set(detection, renderLine(render, detection));
            continue;
          }
          // Only what the summary and the timeline order read: the record is in the line.
          const ts = n[row + HIT.ts] ?? Number.NaN;
          const file = strings[n[row + HIT.file] ?? -1];
          const recordId = n[row + HIT.recordId] ?? Number.NaN;
          const offset = n[row + HIT.offset] ?? Number.NaN;
          // Tens of thousands of these live to the end of the scan: what they can share, they do.
          const event: Event = {
            ts,
            tenant: strings[n[row + HIT.tenant] ?? -1] ?? '',
            source: NO_SOURCE,
            origin: originOf(strings[n[row + HIT.format] ?? -1] ?? '', file, recordId, offset),
            fields: hostFields(strings[n[row + HIT.computer] ?? -1] ?? ''),
          };
          const detection: Detection = {
            rule,
            kind: 'event',
            ts,
            events: [event],
            matched: NOTHING_MATCHED,
          };
          detections.push(detection);
          if (lines) rendered.set(detection, lines.subarray(at, n[row + HIT.end] ?? at));
        }
        progress();
      }).then(() => {
        filesDone++;
        loadedAhead--;
        waiters.shift()?.();
        progress();
      });
      pending.push(done);
    }
    await Promise.all(pending);
    const elu = performance.eventLoopUtilization(eluAtReady);
    const busy = pool
      .utilization(workerEluAtReady)
      .map((u) => `${(u.active / 1000).toFixed(2)} s`)
      .join(', ');
    trace(
      started,
      `inputs read and matched: ${records} records (coordinator busy ${(elu.active / 1000).toFixed(2)} s, workers ${busy})`,
    );
  } catch (err) {
    await pool.close();
    throw err;
  }

  // The workers stop (the first one caching the prefilters it built) while the hits are correlated
  // and sorted.
  const closing = pool.close(cacheDir !== false);
  const reported = correlate(pool.loaded.correlations, detections)
    .filter((d) => levelRank(d.rule.level) >= minRank)
    .sort(byTime);
  if (render)
    for (const d of reported) if (!rendered.has(d)) rendered.set(d, renderLine(render, d));
  trace(started, 'hits correlated and sorted');
  const stopped = closing.then(() => {
    trace(started, 'workers closed');
  });
  // A caller that does not wait still gets every failure of the stop reported through `stopped`.
  stopped.catch(() => undefined);
  return {
    stopped,
    detections: reported,
    files: [...files.values()],
    inputIssues,
    records,
    elapsedS: (performance.now() - started) / 1000,
    rules,
    rendered,
  };
}

async function scanInput(
  input: InputRef,
  report: FileReport,
  format: InputFormat,
  pool: WorkerPool,
  onResult: (r: TaskResult) => void,
): Promise<void> {
  const referenceTime = input.mtime === undefined ? {} : { referenceTime: input.mtime };
  const run = async (t: Omit<ScanTask, 'id'>): Promise<void> => {
    const r = await pool.run(t);
    report.records += r.records;
    addIssues(report, r.issues);
    onResult(r);
  };
  // A small plain file is read and parsed whole by the worker that takes it: nothing passes through here.
  if (input.localFile !== undefined && input.size <= SMALL_INPUT) {
    await run({
      type: 'task',
      file: input.path,
      localFile: input.localFile,
      format,
      ...referenceTime,
    });
    return;
  }
  let bytes: Uint8Array;
  try {
    bytes = input.localFile === undefined ? await input.load() : await readShared(input.localFile);
  } catch (err) {
    addIssues(report, [
      {
        code: 'READ_IO',
        severity: 'error',
        message: `cannot read ${input.path}: ${err instanceof Error ? err.message : String(err)}`,
        at: { file: input.path },
      },
    ]);
    return;
  }
  let shared: SharedArrayBuffer;
  if (bytes.buffer instanceof SharedArrayBuffer && bytes.byteOffset === 0) shared = bytes.buffer;
  else {
    shared = new SharedArrayBuffer(bytes.byteLength);
    new Uint8Array(shared).set(bytes);
  }
  const tasks: Omit<ScanTask, 'id'>[] = [];
  if (isEvtxInput(bytes, input.path, format)) {
    // A large EVTX file: its chunks are spread over the workers.
    const { chunkOffsets, issues } = evtxChunks(bytes, input.path);
    addIssues(report, issues);
    for (let i = 0; i < chunkOffsets.length; i += CHUNKS_PER_TASK) {
      tasks.push({
        type: 'task',
        file: input.path,
        bytes: shared,
        length: bytes.byteLength,
        chunkOffsets: chunkOffsets.slice(i, i + CHUNKS_PER_TASK),
        format: 'evtx',
      });
    }
  } else {
    tasks.push({
      type: 'task',
      file: input.path,
      bytes: shared,
      length: bytes.byteLength,
      format,
      ...referenceTime,
    });
  }
  await Promise.all(tasks.map(run));
}

function addIssues(report: FileReport, issues: readonly Issue[]): void {
  for (const issue of issues) {
    report.issues.push(issue);
    if (issue.severity === 'error') report.errors++;
  }
}

type TaskResult = Extract<FromWorker, { type: 'result' }>;

/** `dist/app/scan-worker.bundle.js` (made by `npm run build`), else the compiled module graph. */
function compiledWorkerEntry(): URL {
  const bundle = new URL('./scan-worker.bundle.js', import.meta.url);
  return existsSync(fileURLToPath(bundle)) ? bundle : new URL('./scan-worker.js', import.meta.url);
}

/**
 * The worker entry is TypeScript. On Node 20 `execArgv: ['--import', 'tsx']` does not reach a worker's
 * entry module, so the worker registers tsx's ESM hooks itself before importing its entry.
 */
function workerBootstrap(): string {
  const cjs = createRequire(import.meta.url).resolve('tsx/esm/api');
  const api = pathToFileURL(cjs.replace(/\.cjs$/, '.mjs')).href;
  const entry = new URL('./scan-worker.ts', import.meta.url).href;
  return `import(${JSON.stringify(api)}).then((m) => { m.register(); return import(${JSON.stringify(entry)}); })`;
}

/** A fixed set of scan workers with a shared task queue; each worker takes the next task when it is free. */
class WorkerPool {
  private readonly queue: { task: ScanTask; resolve: (r: TaskResult) => void }[] = [];
  /** Tasks handed to each worker and not answered yet, by task id. */
  private readonly inFlight = new Map<Worker, Set<number>>();
  private readonly running = new Map<number, { resolve: (r: TaskResult) => void; file: string }>();
  private nextId = 0;

  private constructor(
    private readonly workers: Worker[],
    readonly loaded: {
      /** Per worker: when it reached each step of its start. */
      readonly steps: readonly Steps[];
      readonly report: LoadReport;
      readonly correlations: readonly CorrelationRule[];
      /** The rule set's rules in order (what a worker's hit indexes). */
      readonly rules: readonly RuleRef[];
    },
  ) {}

  static async start(threads: number, init: Omit<WorkerInit, 'part'>): Promise<WorkerPool> {
    const workers: Worker[] = [];
    const ready: Promise<Extract<FromWorker, { type: 'ready' }>>[] = [];
    const compiled: Extract<FromWorker, { type: 'compiled' }>[] = [];
    let compiledCount = 0;
    const onCompiled = (part: number, msg: Extract<FromWorker, { type: 'compiled' }>): void => {
      compiled[part] = msg;
      if (++compiledCount < threads) return;
      if (threads === 1) return;
      // Every worker's part, to every worker (shared memory: nothing is copied per worker).
      const parts = compiled.map((c) => c.part ?? new SharedArrayBuffer(0));
      const keys = compiled.map((c) => c.key);
      const link: ToWorker = {
        type: 'link',
        parts,
        ...(keys.every((k) => k !== undefined) ? { prefilterKey: prefilterKey(keys) } : {}),
      };
      for (const w of workers) w.postMessage(link);
    };
    for (let i = 0; i < threads; i++) {
      const workerData: WorkerInit = { ...init, part: i };
      // Compiled (dist/*.js): the worker's entry as one bundled file when the build made it (it starts
      // in two thirds of the time some fifty modules take), else as it is. From source: through tsx.
      const worker = import.meta.url.endsWith('.js')
        ? new Worker(compiledWorkerEntry(), { workerData })
        : new Worker(workerBootstrap(), { eval: true, workerData });
      workers.push(worker);
      ready.push(
        new Promise<Extract<FromWorker, { type: 'ready' }>>((resolve, reject) => {
          const onMessage = (msg: FromWorker): void => {
            if (msg.type === 'compiled') onCompiled(i, msg);
            else if (msg.type === 'ready') {
              worker.off('message', onMessage);
              resolve(msg);
            } else if (msg.type === 'setup-failed') reject(new Error(msg.message));
          };
          worker.on('message', onMessage);
          worker.once('error', reject);
        }),
      );
    }
    // The rule files are listed here, once, while the workers start (each used to list them all).
    const listed = listRules(init.ruleDirs, init.builtin);
    const ruleFiles: ToWorker = { type: 'rule-files', files: listed.files, issues: listed.issues };
    for (const w of workers) w.postMessage(ruleFiles);
    let loaded: Extract<FromWorker, { type: 'ready' }>[];
    try {
      loaded = await Promise.all(ready);
    } catch (err) {
      await Promise.all(workers.map((w) => w.terminate()));
      throw err;
    }
    const first = loaded[0];
    if (!first) throw new Error('no scan worker started');
    const pool = new WorkerPool(workers, {
      steps: loaded.map((l) => l.steps),
      // Reading problems of every slice, then the mapping's and the linked rules' (the same in every worker).
      report: {
        ...first.report,
        issues: [...compiled.flatMap((c) => c.issues), ...first.report.issues],
      },
      correlations: first.correlations,
      rules: first.rules ?? [],
    });
    for (const w of workers) {
      w.on('message', (msg: FromWorker) => {
        pool.onMessage(w, msg);
      });
      w.on('error', (err) => {
        pool.onCrash(w, err);
      });
      pool.inFlight.set(w, new Set());
    }
    return pool;
  }

  /** A worker died (a bug, or memory exhausted): its tasks are reported as failed, the others go on. */
  private onCrash(worker: Worker, err: Error): void {
    const ids = this.inFlight.get(worker) ?? new Set<number>();
    this.inFlight.delete(worker);
    const index = this.workers.indexOf(worker);
    if (index >= 0) this.workers.splice(index, 1);
    for (const id of ids) {
      const task = this.running.get(id);
      this.running.delete(id);
      task?.resolve({
        type: 'result',
        id,
        records: 0,
        hits: { numbers: new Float64Array(0), strings: [], whole: [] },
        issues: [
          {
            code: 'INTERNAL',
            severity: 'error',
            message: `a scan worker failed on this input: ${err.message}`,
            at: { file: task.file },
          },
        ],
      });
    }
    if (this.workers.length === 0) {
      for (const q of this.queue.splice(0)) {
        q.resolve({
          type: 'result',
          id: q.task.id,
          records: 0,
          hits: { numbers: new Float64Array(0), strings: [], whole: [] },
          issues: [
            {
              code: 'INTERNAL',
              severity: 'error',
              message: 'no scan worker left to read this input',
              at: { file: q.task.file },
            },
          ],
        });
      }
    }
  }

  run(task: Omit<ScanTask, 'id'>): Promise<TaskResult> {
    return new Promise((resolve) => {
      this.queue.push({ task: { ...task, id: this.nextId++ }, resolve });
      this.dispatch();
    });
  }

  /**
   * Hands queued tasks to the least busy workers, up to TASKS_IN_FLIGHT each: a worker that finishes a
   * task finds the next one already waiting instead of idling until the coordinator answers.
   */
  private dispatch(): void {
    while (this.queue.length > 0) {
      let worker: Worker | undefined;
      let least = TASKS_IN_FLIGHT;
      for (const [w, ids] of this.inFlight) {
        if (ids.size < least) {
          least = ids.size;
          worker = w;
        }
      }
      const next = worker && this.queue.shift();
      if (!worker || !next) return;
      this.running.set(next.task.id, { resolve: next.resolve, file: next.task.file });
      this.inFlight.get(worker)?.add(next.task.id);
      worker.postMessage(next.task);
    }
  }

  private onMessage(worker: Worker, msg: FromWorker): void {
    if (msg.type === 'saved') {
      this.saved?.();
      return;
    }
    if (msg.type !== 'result') return;
    const task = this.running.get(msg.id);
    this.running.delete(msg.id);
    this.inFlight.get(worker)?.delete(msg.id);
    task?.resolve(msg);
    this.dispatch();
  }

  /** Each worker's event-loop utilisation since `since` (per worker, in order), for VIGIL_TRACE. */
  utilization(since: readonly EventLoopUtilization[] = []): EventLoopUtilization[] {
    return this.workers.map((w, i) => {
      const before = since[i];
      return before
        ? w.performance.eventLoopUtilization(before)
        : w.performance.eventLoopUtilization();
    });
  }

  /**
   * Stops the workers. With `savePrefilters`, the first one first caches the prefilters it built (it
   * answers `saved`; a worker that died or takes over 5 s is stopped anyway).
   */
  async close(savePrefilters = false): Promise<void> {
    const first = this.workers[0];
    if (savePrefilters && first) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, 5000);
        this.saved = () => {
          clearTimeout(timer);
          resolve();
        };
        first.once('exit', () => this.saved?.());
        first.postMessage({ type: 'save-prefilters' } satisfies ToWorker);
      });
    }
    await Promise.all(this.workers.map((w) => w.terminate()));
  }

  private saved: (() => void) | undefined;
}
