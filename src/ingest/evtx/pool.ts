/** Parses EVTX files on worker threads: the chunks of one file are spread over the workers. */
import { createRequire } from 'node:module';
import { availableParallelism } from 'node:os';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { Issue, ReadBatch } from '../../core/index.ts';
import { readShared } from '../shared-file.ts';
import { chunkIndex, locateChunks } from './chunks.ts';
import { unpack } from './packed.ts';
import type { ChunkTask, WorkerReply } from './worker.ts';
import { STOP } from './protocol.ts';

const WORKER_URL = new URL('./worker.ts', import.meta.url);
const COMPILED = import.meta.url.endsWith('.js');

/**
 * The worker entry is TypeScript, so each worker registers tsx before importing it. On Node 20
 * `execArgv: ['--import', 'tsx']` does not reach a worker's entry module (it fails with "Unknown
 * file extension .ts", in vitest and under `node --import tsx` alike), so a two-line bootstrap
 * registers tsx's ESM hooks in the worker itself and then imports the entry.
 */
function workerBootstrap(): string {
  // `require.resolve` picks the package's CommonJS build; the worker needs its ESM twin.
  const cjs = createRequire(import.meta.url).resolve('tsx/esm/api');
  const api = pathToFileURL(cjs.replace(/\.cjs$/, '.mjs')).href;
  return [
    `import(${JSON.stringify(api)})`,
    `.then((m) => { m.register(); return import(${JSON.stringify(WORKER_URL.href)}); })`,
  ].join('');
}

/** One file being read: its per-chunk results, filled in by whichever worker ran each chunk. */
class FileJob {
  readonly results: (ReadBatch | undefined)[];
  private wake: (() => void) | null = null;
  cancelled = false;

  constructor(
    readonly file: string,
    count: number,
  ) {
    this.results = new Array<ReadBatch | undefined>(count);
  }

  put(i: number, batch: ReadBatch): void {
    if (this.cancelled) return;
    this.results[i] = batch;
    const w = this.wake;
    this.wake = null;
    w?.();
  }

  /** Resolves once chunk `i` has a result. */
  async take(i: number): Promise<ReadBatch> {
    for (;;) {
      const r = this.results[i];
      if (r !== undefined) {
        this.results[i] = undefined;
        return r;
      }
      await new Promise<void>((resolve) => {
        this.wake = resolve;
      });
    }
  }
}

interface Pending {
  readonly job: FileJob;
  readonly task: ChunkTask;
  /** Index in `job.results` of the task's first chunk. */
  readonly first: number;
  /** How many of the task's chunks have come back. */
  received: number;
}

interface Slot {
  worker: Worker;
  busy: Pending | null;
  /** Settles when the worker thread has ended. */
  exited: Promise<void>;
}

/**
 * A pool of EVTX parsing workers. `parseFile` may be called for several files at once; each call
 * yields that file's batches in chunk order. Call `close()` when done (idle workers do not keep
 * the process alive). Never throws for bad input: unreadable files and crashed workers become
 * Issues in the batches.
 */
export class EvtxPool {
  private readonly size: number;
  private readonly slots: Slot[] = [];
  private readonly queue: Pending[] = [];
  private nextId = 1;
  private closed = false;

  constructor(opts: { threads?: number } = {}) {
    this.size = Math.max(1, Math.floor(opts.threads ?? availableParallelism()));
  }

  async *parseFile(path: string, tenant = 'local'): AsyncGenerator<ReadBatch, void, undefined> {
    let bytes: Uint8Array;
    try {
      bytes = await readShared(path);
    } catch (e) {
      yield { file: path, events: [], issues: [ioIssue(path, e)] };
      return;
    }
    const { chunkOffsets, issues } = locateChunks(bytes, path);
    if (chunkOffsets.length === 0) {
      if (issues.length > 0) yield { file: path, events: [], issues };
      return;
    }
    if (this.closed) {
      yield { file: path, events: [], issues: [internal(path, 'the EVTX pool is closed')] };
      return;
    }
    const job = new FileJob(path, chunkOffsets.length);
    // Small tasks balance the workers; a window of tasks ahead of the reader bounds memory.
    const per = Math.min(MAX_CHUNKS_PER_TASK, Math.ceil(chunkOffsets.length / (this.size * 4)));
    const ahead = per * this.size * 3;
    const tasks: Pending[] = [];
    for (let first = 0; first < chunkOffsets.length; first += per) {
      const task: ChunkTask = {
        id: this.nextId++,
        buffer: bytes.buffer as SharedArrayBuffer,
        length: bytes.length,
        file: path,
        tenant,
        offsets: chunkOffsets.slice(first, first + per),
      };
      tasks.push({ job, task, first, received: 0 });
    }
    let queued = 0;
    try {
      for (let i = 0; i < chunkOffsets.length; i++) {
        while (queued < tasks.length && (tasks[queued]?.first ?? 0) <= i + ahead) {
          const p = tasks[queued++] as Pending;
          if (this.isClosed()) failTask(p, 'the EVTX pool was closed');
          else this.queue.push(p);
        }
        this.pump();
        const batch = await job.take(i);
        yield i === 0 && issues.length > 0
          ? { file: path, events: batch.events, issues: [...issues, ...batch.issues] }
          : batch;
      }
    } finally {
      job.cancelled = true;
      for (let t = 0; t < queued; t++) {
        const at = this.queue.indexOf(tasks[t] as Pending);
        if (at >= 0) this.queue.splice(at, 1);
      }
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    const slots = this.slots.splice(0);
    for (const p of this.queue.splice(0)) failTask(p, 'the EVTX pool was closed');
    for (const s of slots) if (s.busy !== null) failTask(s.busy, 'the EVTX pool was closed');
    // Each worker is asked to exit (terminate() on a worker that is still posting can leave its
    // promise unsettled on Node 20); one that does not within a second is terminated.
    await Promise.all(
      slots.map(async (s) => {
        s.worker.ref();
        s.worker.postMessage(STOP);
        let timer: NodeJS.Timeout | undefined;
        const late = new Promise<'late'>((resolve) => {
          timer = setTimeout(() => {
            resolve('late');
          }, 1000);
        });
        const how = await Promise.race([s.exited, late]);
        clearTimeout(timer);
        if (how === 'late') await s.worker.terminate();
      }),
    );
  }

  /** Read through a call: `close()` may run while `parseFile` awaits. */
  private isClosed(): boolean {
    return this.closed;
  }

  /** Hands queued tasks to idle workers, starting workers up to the pool size. */
  private pump(): void {
    if (this.closed) return;
    while (this.queue.length > 0) {
      let slot = this.slots.find((s) => s.busy === null);
      if (slot === undefined) {
        if (this.slots.length >= this.size) return;
        slot = this.spawn();
      }
      const p = this.queue.shift();
      if (p === undefined) return;
      slot.busy = p;
      slot.worker.ref();
      slot.worker.postMessage(p.task);
    }
  }

  private spawn(): Slot {
    // Compiled (dist/*.js): the worker entry loads as it is. From source: through tsx.
    const worker = COMPILED
      ? new Worker(new URL('./worker.js', import.meta.url))
      : new Worker(workerBootstrap(), { eval: true });
    const slot: Slot = {
      worker,
      busy: null,
      exited: new Promise<void>((resolve) => {
        worker.once('exit', () => {
          resolve();
        });
      }),
    };
    worker.on('message', (m: WorkerReply) => {
      const p = slot.busy;
      if (p?.task.id !== m.id) return;
      if (m.batch !== undefined) {
        p.received++;
        p.job.put(p.first + m.index, unpack(m.batch, p.task.file, p.task.tenant));
        return;
      }
      slot.busy = null;
      worker.unref();
      this.pump();
    });
    const lost = (why: string): void => {
      const at = this.slots.indexOf(slot);
      if (at < 0) return;
      this.slots.splice(at, 1);
      if (slot.busy !== null) failTask(slot.busy, why);
      slot.busy = null;
      if (!this.closed) this.pump();
    };
    worker.on('error', (e) => {
      lost(`EVTX worker failed: ${String(e)}`);
    });
    worker.on('exit', (code) => {
      lost(`EVTX worker exited with code ${code}`);
    });
    worker.unref();
    this.slots.push(slot);
    return slot;
  }
}

const MAX_CHUNKS_PER_TASK = 8;

/** Gives every chunk of a task that has not come back an INTERNAL issue, so no reader waits forever. */
function failTask(p: Pending, why: string): void {
  const { task, job } = p;
  for (let i = p.received; i < task.offsets.length; i++) {
    const offset = task.offsets[i] ?? 0;
    job.put(p.first + i, {
      file: task.file,
      events: [],
      issues: [
        {
          code: 'INTERNAL',
          severity: 'error',
          message: why,
          at: { file: task.file, offset, chunk: chunkIndex(offset) },
        },
      ],
    });
  }
  p.received = task.offsets.length;
}

function ioIssue(file: string, e: unknown): Issue {
  return {
    code: 'READ_IO',
    severity: 'error',
    message: `cannot read file: ${String(e)}`,
    at: { file },
  };
}

function internal(file: string, message: string): Issue {
  return { code: 'INTERNAL', severity: 'error', message, at: { file } };
}
