/**
 * The server's event path: receivers submit events, the store makes them durable (only then does submit
 * resolve), and a detection loop follows the store's sequence with a persisted cursor, raising alerts.
 *
 * Embedded mode keeps the just-stored events in an in-memory queue so detection does not read them back;
 * after a restart the loop first replays from the store everything after its cursor. Alerts have ids
 * derived from their rule and events and the store ignores duplicates, so a replay never raises an alert
 * twice. The backlog (stored but not yet detected, plus events being written) is bounded: past the bound,
 * submit refuses with INGEST_BUSY and receivers answer 429.
 */
import {
  VigilError,
  type Alert,
  type IngestSink,
  type Metrics,
  type NewEvent,
  type Store,
  type StoredEvent,
} from '../../core/index.ts';
import type { DetectionEngine } from './engine.ts';

export interface PipelineOptions {
  /** Most events that may wait between acknowledgement and detection before submit refuses. */
  readonly maxBacklog: number;
  /** Events detection takes per step. */
  readonly batch: number;
  /** How many events before the cursor are replayed at start to rebuild correlation windows. */
  readonly warmup: number;
  readonly now?: () => number;
}

const CURSOR = 'detect';

export class Pipeline implements IngestSink {
  private cursor = 0;
  private head = 0;
  private writing = 0;
  private readonly queue: StoredEvent[][] = [];
  private queued = 0;
  private running: Promise<void> | undefined;
  private stopped = false;
  private failure: unknown;
  private readonly now: () => number;
  private readonly onAlerts: ((alerts: readonly Alert[]) => void)[] = [];
  private readonly countIn;
  private readonly countErrors;
  private readonly countAlerts;
  private readonly countSuppressed;
  private readonly latency;

  constructor(
    private readonly store: Store,
    private readonly engine: DetectionEngine,
    metrics: Metrics,
    private readonly opts: PipelineOptions,
  ) {
    this.now = opts.now ?? Date.now;
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
    metrics.gauge('vigil_queue_depth', 'Events accepted but not yet through detection.', () =>
      this.backlog(),
    );
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

  /** Reads the cursor and replays what was stored but not detected before the last stop. */
  async start(): Promise<void> {
    this.cursor = await this.store.getCursor(CURSOR);
    this.head = this.cursor;
    // Rebuild correlation windows from the events just before the cursor; their alerts already exist
    // and are ignored by id.
    if (this.opts.warmup > 0 && this.cursor > 0) {
      let from = Math.max(0, this.cursor - this.opts.warmup);
      for (;;) {
        const events = (await this.store.eventsAfter(from, this.opts.batch)).filter(
          (e) => e.seq <= this.cursor,
        );
        if (events.length === 0) break;
        await this.detect(events, false);
        from = events[events.length - 1]?.seq ?? this.cursor;
        if (from >= this.cursor) break;
      }
    }
    for (;;) {
      const events = await this.store.eventsAfter(this.cursor, this.opts.batch);
      if (events.length === 0) break;
      this.head = Math.max(this.head, events[events.length - 1]?.seq ?? 0);
      await this.detect(events, true);
    }
  }

  async submit(events: readonly NewEvent[]): Promise<{ stored: number }> {
    if (this.stopped) throw new VigilError('INGEST_BUSY', 'the server is shutting down');
    if (this.failure !== undefined) {
      throw new VigilError(
        'STORE',
        `detection stopped: ${this.failure instanceof Error ? this.failure.message : 'unknown failure'}`,
      );
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
    let stored: readonly StoredEvent[];
    try {
      stored = await this.store.appendEvents(events);
    } catch (err) {
      this.countErrors({ stage: 'store', code: 'STORE' }, events.length);
      throw err instanceof VigilError
        ? err
        : new VigilError('STORE', `storing events failed: ${String(err)}`, { cause: err });
    } finally {
      this.writing -= events.length;
    }
    if (stored.length > 0) {
      const byKey = new Map<string, number>();
      for (const e of stored) {
        const k = e.receiver + '\0' + e.tenant;
        byKey.set(k, (byKey.get(k) ?? 0) + 1);
        if (e.seq > this.head) this.head = e.seq;
      }
      for (const [k, n] of byKey) {
        const [receiver = '', tenant = ''] = k.split('\0');
        this.countIn({ receiver: receiverKind(receiver), tenant }, n);
      }
      this.queue.push([...stored]);
      this.queued += stored.length;
      this.kick();
    }
    return { stored: stored.length };
  }

  /** Resolves when every event accepted so far has been through detection. */
  async drain(): Promise<void> {
    while (this.running || this.queued > 0) {
      if (!this.running) this.kick();
      await this.running;
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.drain();
  }

  private kick(): void {
    if (this.running || this.failure !== undefined) return;
    this.running = (async () => {
      try {
        while (this.queue.length > 0) {
          const events: StoredEvent[] = [];
          while (this.queue.length > 0 && events.length < this.opts.batch) {
            const next = this.queue.shift();
            if (next) events.push(...next);
          }
          this.queued -= events.length;
          await this.detect(events, true);
        }
      } catch (err) {
        this.failure = err;
        this.countErrors({ stage: 'detect', code: 'INTERNAL' });
      } finally {
        this.running = undefined;
      }
    })();
  }

  private async detect(events: readonly StoredEvent[], advance: boolean): Promise<void> {
    const fresh = advance ? events.filter((e) => e.seq > this.cursor) : events;
    if (fresh.length === 0) return;
    const now = this.now();
    const { alerts, suppressed } = await this.engine.process(fresh, now);
    const created = alerts.length > 0 ? await this.store.insertAlerts(alerts) : [];
    if (advance) {
      for (const [id, s] of suppressed) {
        await this.store.recordExceptionHits(s.tenant, id, s.count, now);
        this.countSuppressed({ tenant: s.tenant }, s.count);
        await this.store.appendAudit({
          tenant: s.tenant,
          ts: now,
          actor: 'system',
          action: 'exception.hit',
          target: id,
          detail: { suppressed: s.count },
        });
      }
      const last = fresh[fresh.length - 1];
      if (last) {
        this.cursor = last.seq;
        await this.store.setCursor(CURSOR, this.cursor);
      }
    }
    if (created.length > 0) {
      const done = this.now();
      const received = new Map(fresh.map((e) => [e.id + '\0' + e.tenant, e.receivedAt]));
      for (const a of created) {
        this.countAlerts({ level: a.level });
        const lastId = a.eventIds[a.eventIds.length - 1];
        const at = lastId === undefined ? undefined : received.get(lastId + '\0' + a.tenant);
        if (at !== undefined) this.latency.observe(Math.max(0, done - at) / 1000);
      }
      for (const fn of this.onAlerts) fn(created);
    }
  }
}

/** `syslog-tcp:5514` → `syslog-tcp`: metric labels stay bounded. */
function receiverKind(receiver: string): string {
  const i = receiver.indexOf(':');
  return i < 0 ? receiver : receiver.slice(0, i);
}
