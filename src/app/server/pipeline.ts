/**
 * The server's event path, main-thread side: receivers submit events, the pipeline worker
 * (`detect-worker.ts`, the only writer of events) stores them in one transaction and answers; only then
 * does `submit` resolve. The worker then detects the stored events and moves a persisted cursor, so a
 * restart resumes where detection stopped.
 *
 * The backlog (being written, plus stored but not yet through detection) is bounded: past the bound,
 * `submit` refuses with INGEST_BUSY and receivers answer 429. Memory stays bounded: the worker keeps at
 * most a few batches of stored events in memory and reads a longer backlog back from the store.
 */
import type { Worker } from 'node:worker_threads';
import {
  ERROR_CODES,
  VigilError,
  type ErrorCode,
  type Alert,
  type IngestSink,
  type Issue,
  type Metrics,
  type NewEvent,
} from '../../core/index.ts';
import { startWorker } from '../worker.ts';
import type { DetectInit, FromDetect, ToDetect } from './detect-protocol.ts';
import type { RuleInfo } from './engine.ts';

export interface PipelineOptions {
  /** Most events that may wait between acknowledgement and detection before submit refuses. */
  readonly maxBacklog: number;
}

export class Pipeline implements IngestSink {
  private cursor = 0;
  private head = 0;
  private writing = 0;
  private stopped = false;
  private failure: string | undefined;
  private waiters: { seq: number; resolve: () => void }[] = [];
  private readonly onAlerts: ((alerts: readonly Alert[]) => void)[] = [];
  private readonly appends = new Map<
    number,
    { resolve: (r: Extract<FromDetect, { type: 'appended' }>) => void; reject: (e: Error) => void }
  >();
  private nextAppend = 0;
  private reloads = new Map<
    number,
    (r: { rules: readonly RuleInfo[]; issues: readonly Issue[] }) => void
  >();
  private nextReload = 0;
  private regroups = new Map<number, () => void>();
  private nextRegroup = 0;
  private stoppedWorker: Promise<void> | undefined;
  /** The shared rules as the worker loaded them, for listing. */
  rules: readonly RuleInfo[] = [];
  ruleIssues: readonly Issue[] = [];
  private readonly countIn;
  private readonly countErrors;
  private readonly countAlerts;
  private readonly countSuppressed;
  private readonly latency;
  private readonly incidentBuild;
  private readonly incidentsSaved;

  private constructor(
    private readonly worker: Worker,
    metrics: Metrics,
    private readonly opts: PipelineOptions,
  ) {
    this.countIn = metrics.counter(
      'vigil_events_in_total',
      'Events stored, by receiver and tenant.',
    );
    this.countErrors = metrics.counter(
      'vigil_errors_total',
      'Problems by pipeline stage and error code.',
    );
    this.countAlerts = metrics.counter('vigil_alerts_out_total', 'Alerts raised, by level.');
    this.countSuppressed = metrics.counter(
      'vigil_alerts_suppressed_total',
      'Rule hits suppressed by exceptions.',
    );
    this.latency = metrics.histogram(
      'vigil_ingest_to_alert_seconds',
      'Time from an event being accepted to its alert being stored.',
    );
    this.incidentBuild = metrics.histogram(
      'vigil_incident_build_seconds',
      "Time the pipeline worker spent rebuilding one tenant's incidents.",
    );
    this.incidentsSaved = metrics.counter(
      'vigil_incidents_saved_total',
      'Incidents created or updated by the incident builder.',
    );
    metrics.gauge('vigil_queue_depth', 'Events accepted but not yet through detection.', () =>
      this.backlog(),
    );
  }

  /**
   * Starts the detection worker on the store's file and waits until it has loaded the rules and detected
   * whatever was stored but not detected before the last stop (a crash between acknowledgement and
   * detection).
   */
  static async start(metrics: Metrics, init: DetectInit, opts: PipelineOptions): Promise<Pipeline> {
    // The worker allocates a few MB per batch of events: a large young generation (64 MB semi-spaces
    // instead of 16) lets most of it die young. Measured with bench:ingest: ~20k → ~23k events/s.
    const worker = startWorker(
      new URL('./detect-worker', import.meta.url),
      import.meta.url.endsWith('.js'),
      init,
      { maxYoungGenerationSizeMb: 192 },
    );
    const pipeline = new Pipeline(worker, metrics, opts);
    await new Promise<void>((resolve, reject) => {
      worker.on('message', (msg: FromDetect) => {
        if (msg.type === 'ready') {
          pipeline.rules = msg.rules;
          pipeline.ruleIssues = msg.issues;
          pipeline.cursor = msg.cursor;
          pipeline.head = Math.max(pipeline.head, msg.cursor);
          resolve();
        } else if (
          msg.type === 'failed' &&
          pipeline.rules.length === 0 &&
          pipeline.failure === undefined
        ) {
          pipeline.failure = msg.message;
          reject(new VigilError('INTERNAL', `detection worker failed to start: ${msg.message}`));
        }
        pipeline.onMessage(msg);
      });
      worker.on('error', (e) => {
        pipeline.failure = e.message;
        reject(e);
      });
    });
    return pipeline;
  }

  /** Events accepted or being written but not yet through detection. */
  backlog(): number {
    return this.writing + Math.max(0, this.head - this.cursor);
  }

  busy(): boolean {
    return this.backlog() >= this.opts.maxBacklog;
  }

  /** Called with every batch of newly stored alerts (after they are durable). */
  subscribe(fn: (alerts: readonly Alert[]) => void): void {
    this.onAlerts.push(fn);
  }

  invalidate(tenant: string): void {
    this.post({ type: 'invalidate', tenant });
  }

  /** Re-reads the rule folders in the worker; resolves with the new rules and every load problem. */
  reload(): Promise<{ rules: readonly RuleInfo[]; issues: readonly Issue[] }> {
    const id = ++this.nextReload;
    return new Promise((resolve) => {
      this.reloads.set(id, resolve);
      this.post({ type: 'reload', id });
    });
  }

  /**
   * Has the worker build the tenant's incidents now when new alerts are waiting for it (`reload`: always,
   * rereading its pins and grouping policy — after a merge, a split or a policy change).
   */
  regroup(tenant: string, reload = false): Promise<void> {
    if (this.stopped || this.failure !== undefined) return Promise.resolve();
    const id = ++this.nextRegroup;
    return new Promise((resolve) => {
      this.regroups.set(id, resolve);
      this.post({ type: 'regroup', id, tenant, reload });
    });
  }

  async submit(events: readonly NewEvent[]): Promise<{ stored: number }> {
    if (this.stopped) throw new VigilError('INGEST_BUSY', 'the server is shutting down');
    if (this.failure !== undefined) {
      throw new VigilError('STORE', `detection stopped: ${this.failure.split('\n')[0] ?? ''}`);
    }
    if (this.busy()) {
      this.countErrors({ stage: 'ingest', code: 'INGEST_BUSY' }, events.length);
      throw new VigilError(
        'INGEST_BUSY',
        `ingest queue is full (${this.backlog()} events waiting for detection); retry later`,
      );
    }
    if (events.length === 0) return { stored: 0 };
    this.writing += events.length;
    try {
      const id = ++this.nextAppend;
      const reply = await new Promise<Extract<FromDetect, { type: 'appended' }>>(
        (resolve, reject) => {
          this.appends.set(id, { resolve, reject });
          const encoded = events.map((e) => ({
            source: JSON.stringify(e.source),
            fields: JSON.stringify(e.fields),
            entities: JSON.stringify(e.entities),
          }));
          this.post({ type: 'append', id, events, encoded });
        },
      );
      for (const c of reply.counts) this.countIn({ receiver: c.receiver, tenant: c.tenant }, c.n);
      if (reply.head > this.head) this.head = reply.head;
      return { stored: reply.stored };
    } catch (err) {
      this.countErrors(
        { stage: 'store', code: err instanceof VigilError ? err.code : 'STORE' },
        events.length,
      );
      throw err;
    } finally {
      this.writing -= events.length;
    }
  }

  /** Resolves when every event accepted so far has been through detection. */
  drain(): Promise<void> {
    return this.catchUp();
  }

  /** Stops taking events, lets detection finish what was accepted, and ends the worker. */
  async stop(): Promise<void> {
    if (this.stoppedWorker) return this.stoppedWorker;
    this.stopped = true;
    this.stoppedWorker = (async () => {
      if (this.failure === undefined) await this.catchUp();
      await new Promise<void>((resolve) => {
        const timer = setTimeout(() => {
          void this.worker.terminate().then(() => {
            resolve();
          });
        }, 10_000);
        this.worker.once('exit', () => {
          clearTimeout(timer);
          resolve();
        });
        this.post({ type: 'stop' });
      });
    })();
    return this.stoppedWorker;
  }

  private catchUp(): Promise<void> {
    const seq = this.head;
    if (this.cursor >= seq || this.failure !== undefined) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push({ seq, resolve }));
  }

  private post(msg: ToDetect): void {
    this.worker.postMessage(msg);
  }

  private onMessage(msg: FromDetect): void {
    switch (msg.type) {
      case 'progress': {
        this.cursor = Math.max(this.cursor, msg.cursor);
        for (const a of msg.created) this.countAlerts({ level: a.level });
        for (const l of msg.latencies) this.latency.observe(l);
        for (const s of msg.suppressed) this.countSuppressed({ tenant: s.tenant }, s.count);
        if (msg.created.length > 0) for (const fn of this.onAlerts) fn(msg.created);
        this.release();
        break;
      }
      case 'reloaded': {
        this.rules = msg.rules;
        this.ruleIssues = msg.issues;
        this.reloads.get(msg.id)?.({ rules: msg.rules, issues: msg.issues });
        this.reloads.delete(msg.id);
        break;
      }
      case 'regrouped': {
        this.regroups.get(msg.id)?.();
        this.regroups.delete(msg.id);
        break;
      }
      case 'incidents': {
        for (const r of msg.reports) {
          this.incidentBuild.observe(r.ms / 1000);
          this.incidentsSaved({ tenant: r.tenant }, r.saved);
        }
        break;
      }
      case 'appended': {
        const waiter = this.appends.get(msg.id);
        this.appends.delete(msg.id);
        waiter?.resolve(msg);
        break;
      }
      case 'append-failed': {
        const waiter = this.appends.get(msg.id);
        this.appends.delete(msg.id);
        const code = (ERROR_CODES as readonly string[]).includes(msg.code)
          ? (msg.code as ErrorCode)
          : 'STORE';
        waiter?.reject(new VigilError(code, msg.message));
        break;
      }
      case 'failed':
        this.failure = msg.message;
        for (const w of this.appends.values())
          w.reject(
            new VigilError('STORE', `detection stopped: ${msg.message.split('\n')[0] ?? ''}`),
          );
        this.appends.clear();
        this.countErrors({ stage: 'detect', code: 'INTERNAL' });
        process.stderr.write(`vigil: detection failed: ${msg.message}\n`);
        this.release(true);
        break;
      case 'ready':
      case 'stopped':
        break;
    }
  }

  private release(all = false): void {
    const keep: { seq: number; resolve: () => void }[] = [];
    for (const w of this.waiters) {
      if (all || this.cursor >= w.seq) w.resolve();
      else keep.push(w);
    }
    this.waiters = keep;
  }
}
