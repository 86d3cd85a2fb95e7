/**
 * `vigil scan`'s engine: lists the inputs, spreads files and EVTX chunks over worker threads that parse and
 * match, then runs correlation rules over the hits in time order.
 */
import { createRequire } from 'node:module';
import { availableParallelism } from 'node:os';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { levelRank, type Detection, type Issue, type Level } from '../core/index.ts';
import { evtxChunks } from '../ingest/evtx/index.ts';
import { listInputs, type InputFormat, type InputRef } from '../ingest/index.ts';
import { byTime, correlate, type LoadReport } from './detector.ts';
import { isEvtxInput, type FromWorker, type ScanTask, type WorkerInit } from './scan-protocol.ts';

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
  readonly onProgress?: (p: ScanProgress) => void;
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
}

/** Records per EVTX task: a run of this many 64 KiB chunks goes to one worker. */
const CHUNKS_PER_TASK = 8;
/** Inputs up to this size that are plain files are read and parsed whole by one worker. */
const SMALL_INPUT = 1 << 20;
/** How many inputs may be loaded in memory ahead of the workers. */
const MAX_LOADED_AHEAD = 32;

/** `VIGIL_TRACE=1` prints where a scan spends its time, on standard error. */
function trace(started: number, what: string): void {
  if (process.env['VIGIL_TRACE'] === '1')
    process.stderr.write(`[trace] ${(performance.now() - started).toFixed(0)} ms: ${what}\n`);
}

export async function scan(opts: ScanOptions): Promise<ScanResult> {
  const started = performance.now();
  const init: WorkerInit = {
    ruleDirs: [...(opts.rules ?? [])],
    builtin: opts.builtin ?? true,
    tenant: 'local',
  };

  // Workers start compiling rules at once; the inputs are listed meanwhile. Every worker compiles the
  // same rules; the first one's report and correlation rules serve the coordinator, which compiles
  // nothing itself.
  const threads = Math.max(1, opts.threads ?? availableParallelism());
  const poolStarting = WorkerPool.start(threads, init);
  // Marked handled now: a start failure is rethrown below, where it is awaited.
  poolStarting.catch(() => undefined);
  // If listing fails, the workers are still stopped.
  const listed = await listInputs(opts.paths).catch(async (err: unknown) => {
    await (await poolStarting).close();
    throw err;
  });
  const { inputs, issues: inputIssues } = listed;
  const files = new Map<string, FileReport>();
  for (const input of inputs)
    files.set(input.path, { path: input.path, records: 0, errors: 0, issues: [] });
  const pool = await poolStarting;
  trace(started, `workers ready (rules loaded in ${pool.loaded.loadMs.toFixed(0)} ms)`);
  const rules: LoadReport = pool.loaded.report;
  const detections: Detection[] = [];
  let records = 0;
  let filesDone = 0;
  // Rates count from when the workers are ready, not from the rule load.
  const readyAt = performance.now();
  const eluAtReady = performance.eventLoopUtilization();
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
        for (const d of r.detections) detections.push(d);
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
    trace(
      started,
      `inputs read and matched: ${records} records (coordinator busy ${(elu.active / 1000).toFixed(2)} s)`,
    );
  } finally {
    await pool.close();
  }

  const minRank = levelRank(opts.minLevel ?? 'informational');
  trace(started, 'workers closed');
  const reported = correlate(pool.loaded.correlations, detections)
    .filter((d) => levelRank(d.rule.level) >= minRank)
    .sort(byTime);
  return {
    detections: reported,
    files: [...files.values()],
    inputIssues,
    records,
    elapsedS: (performance.now() - started) / 1000,
    rules,
  };
}

async function scanInput(
  input: InputRef,
  report: FileReport,
  format: InputFormat,
  pool: WorkerPool,
  onResult: (r: { records: number; detections: readonly Detection[] }) => void,
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
    bytes = await input.load();
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
  const shared = new SharedArrayBuffer(bytes.byteLength);
  new Uint8Array(shared).set(bytes);
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
  private readonly idle: Worker[] = [];
  private readonly running = new Map<number, (r: TaskResult) => void>();
  private readonly assigned = new Map<Worker, number>();
  private readonly files = new Map<number, string>();
  private nextId = 0;

  private constructor(
    private readonly workers: Worker[],
    readonly loaded: Readonly<Extract<FromWorker, { type: 'ready' }>>,
  ) {}

  static async start(threads: number, init: WorkerInit): Promise<WorkerPool> {
    const workers: Worker[] = [];
    const ready: Promise<Extract<FromWorker, { type: 'ready' }>>[] = [];
    for (let i = 0; i < threads; i++) {
      // Compiled (dist/*.js): the worker entry loads as it is. From source: through tsx.
      const worker = import.meta.url.endsWith('.js')
        ? new Worker(new URL('./scan-worker.js', import.meta.url), { workerData: init })
        : new Worker(workerBootstrap(), { eval: true, workerData: init });
      workers.push(worker);
      ready.push(
        new Promise<Extract<FromWorker, { type: 'ready' }>>((resolve, reject) => {
          const onMessage = (msg: FromWorker): void => {
            if (msg.type === 'ready') resolve(msg);
            else if (msg.type === 'setup-failed') reject(new Error(msg.message));
          };
          worker.once('message', onMessage);
          worker.once('error', reject);
        }),
      );
    }
    let loaded: Extract<FromWorker, { type: 'ready' }>[];
    try {
      loaded = await Promise.all(ready);
    } catch (err) {
      await Promise.all(workers.map((w) => w.terminate()));
      throw err;
    }
    const first = loaded[0];
    if (!first) throw new Error('no scan worker started');
    const pool = new WorkerPool(workers, first);
    for (const w of workers) {
      w.on('message', (msg: FromWorker) => {
        pool.onMessage(w, msg);
      });
      w.on('error', (err) => {
        pool.onCrash(w, err);
      });
      pool.idle.push(w);
    }
    return pool;
  }

  /** A worker died (a bug, or memory exhausted): its task is reported as failed, the others go on. */
  private onCrash(worker: Worker, err: Error): void {
    const id = this.assigned.get(worker);
    this.assigned.delete(worker);
    const index = this.workers.indexOf(worker);
    if (index >= 0) this.workers.splice(index, 1);
    if (id !== undefined) {
      const resolve = this.running.get(id);
      this.running.delete(id);
      resolve?.({
        type: 'result',
        id,
        records: 0,
        detections: [],
        issues: [
          {
            code: 'INTERNAL',
            severity: 'error',
            message: `a scan worker failed on this input: ${err.message}`,
            at: { file: this.files.get(id) ?? '' },
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
          detections: [],
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

  private dispatch(): void {
    while (this.idle.length > 0 && this.queue.length > 0) {
      const worker = this.idle.pop();
      const next = this.queue.shift();
      if (!worker || !next) return;
      this.running.set(next.task.id, next.resolve);
      this.assigned.set(worker, next.task.id);
      this.files.set(next.task.id, next.task.file);
      worker.postMessage(next.task);
    }
  }

  private onMessage(worker: Worker, msg: FromWorker): void {
    if (msg.type !== 'result') return;
    const resolve = this.running.get(msg.id);
    this.running.delete(msg.id);
    this.assigned.delete(worker);
    this.files.delete(msg.id);
    this.idle.push(worker);
    resolve?.(msg);
    this.dispatch();
  }

  async close(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.terminate()));
  }
}
