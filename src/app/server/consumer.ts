/**
 * The detection consumer: follows the store's event sequence from a persisted cursor, matches each event,
 * applies exceptions, stores alerts (ids derived from rule and events, so a replay never raises one twice),
 * records exception hits, then moves the cursor. It runs in the detection worker with its own store
 * connection; the store is the log, so a restart resumes where the cursor stopped.
 */
import type { Alert, Store, StoredEvent } from '../../core/index.ts';
import type { DetectionEngine } from './engine.ts';

export const DETECT_CURSOR = 'detect';

export interface StepResult {
  readonly cursor: number;
  readonly created: readonly Alert[];
  readonly latencies: readonly number[];
  readonly suppressed: readonly { readonly tenant: string; readonly count: number }[];
}

export class Consumer {
  cursor = 0;

  constructor(
    private readonly store: Store,
    private engine: DetectionEngine,
    private readonly opts: {
      readonly batch: number;
      readonly warmup: number;
      readonly now: () => number;
    },
  ) {}

  setEngine(engine: DetectionEngine): void {
    this.engine = engine;
  }

  /** Reads the cursor and replays the `warmup` events before it into correlation state (alerts dedupe by id). */
  async start(): Promise<void> {
    this.cursor = await this.store.getCursor(DETECT_CURSOR);
    if (this.opts.warmup <= 0 || this.cursor <= 0) return;
    let from = Math.max(0, this.cursor - this.opts.warmup);
    while (from < this.cursor) {
      const events = (await this.store.eventsAfter(from, this.opts.batch)).filter(
        (e) => e.seq <= this.cursor,
      );
      const last = events[events.length - 1];
      if (!last) break;
      await this.detect(events, false);
      from = last.seq;
    }
  }

  /** Detects events this process has just stored, in seq order after the cursor. */
  async detectStored(events: readonly StoredEvent[]): Promise<StepResult> {
    return this.detect(events, true);
  }

  /** One step: the next batch after the cursor. Undefined when there was nothing to do. */
  async step(): Promise<StepResult | undefined> {
    const events = await this.store.eventsAfter(this.cursor, this.opts.batch);
    if (events.length === 0) return undefined;
    return this.detect(events, true);
  }

  private async detect(events: readonly StoredEvent[], advance: boolean): Promise<StepResult> {
    const now = this.opts.now();
    const { alerts, suppressed } = await this.engine.process(events, now);
    const created = alerts.length > 0 ? await this.store.insertAlerts(alerts) : [];
    const hits: { tenant: string; count: number }[] = [];
    if (advance) {
      for (const [id, s] of suppressed) {
        await this.store.recordExceptionHits(s.tenant, id, s.count, now);
        await this.store.appendAudit({
          tenant: s.tenant,
          ts: now,
          actor: 'system',
          action: 'exception.hit',
          target: id,
          detail: { suppressed: s.count },
        });
        hits.push({ tenant: s.tenant, count: s.count });
      }
      const last = events[events.length - 1];
      if (last) {
        this.cursor = last.seq;
        await this.store.setCursor(DETECT_CURSOR, this.cursor);
      }
    }
    const latencies: number[] = [];
    if (created.length > 0) {
      const done = this.opts.now();
      const received = new Map(events.map((e) => [e.tenant + '\0' + e.id, e.receivedAt]));
      for (const a of created) {
        const lastId = a.eventIds[a.eventIds.length - 1];
        const at = lastId === undefined ? undefined : received.get(a.tenant + '\0' + lastId);
        if (at !== undefined) latencies.push(Math.max(0, done - at) / 1000);
      }
    }
    return { cursor: this.cursor, created, latencies, suppressed: hits };
  }
}
