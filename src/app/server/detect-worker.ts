/**
 * The pipeline worker thread: the only writer of events. It stores each batch the main thread hands it
 * (one transaction; the main thread acknowledges the sender only after the reply), then detects the
 * stored events in memory with the compiled rules, stores alerts and moves the detection cursor. At start it
 * detects whatever was stored but not detected before the last stop. Appends are answered between
 * detection steps, so acknowledgement never waits for a whole backlog of matching.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { VigilError, type Issue, type Store, type StoredEvent } from '../../core/index.ts';
import { openSqliteStore } from '../../store/index.ts';
import { ruleSetup } from '../files.ts';
import { Consumer } from './consumer.ts';
import type { DetectInit, FromDetect, ToDetect } from './detect-protocol.ts';
import { DetectionEngine, type TenantSettings } from './engine.ts';
import { DEFAULT_BUILDER, IncidentBuilder } from './incident-builder.ts';
import { ruleSetDirs } from './rulesets.ts';

if (!parentPort) throw new Error('detect-worker runs as a worker thread');
const port = parentPort;
const init = workerData as DetectInit;
const send = (msg: FromDetect): void => {
  port.postMessage(msg);
};

function settings(store: Store): (tenant: string) => Promise<TenantSettings> {
  return async (tenant) => ({
    disabledRules: (await store.getTenant(tenant))?.disabledRules ?? [],
    exceptions: await store.listExceptions(tenant),
    rules: await store.listRules(tenant),
  });
}

async function build(store: Store): Promise<{ engine: DetectionEngine; issues: readonly Issue[] }> {
  const { setup, issues } = await ruleSetup(init.ruleDirs, init.builtin, 'server');
  const engine = new DetectionEngine(
    setup,
    settings(store),
    ruleSetDirs(init.ruleDirs, init.builtin),
  );
  return { engine, issues: [...issues, ...engine.issues] };
}

/** `syslog-tcp:5514` → `syslog-tcp`: metric labels stay bounded. */
function receiverKind(receiver: string): string {
  const i = receiver.indexOf(':');
  return i < 0 ? receiver : receiver.slice(0, i);
}

async function main(): Promise<void> {
  // The only writer of events: checkpoint every 8000 WAL pages (128 MiB) instead of 1000. Measured with
  // bench:ingest: ~22.2k → ~23.6k events/s (hot index pages are written back less often).
  const store = openSqliteStore({
    path: init.dbPath,
    synchronous: init.synchronous,
    walAutocheckpointPages: 8000,
  });
  let { engine, issues } = await build(store);
  const consumer = new Consumer(store, engine, {
    batch: init.batch,
    warmup: init.warmup,
    now: Date.now,
  });
  await consumer.start();
  // VIGIL_INCIDENTS=off: no incident building (to measure what it costs: npm run bench:incidents).
  const builder = new IncidentBuilder(store, {
    ...DEFAULT_BUILDER,
    enabled: process.env['VIGIL_INCIDENTS'] !== 'off',
  });
  // Whatever was stored but not detected before the last stop is detected before the server takes events.
  for (let r = await consumer.step(); r; r = await consumer.step()) {
    await builder.add(r.created, []);
    send({ type: 'progress', ...r });
  }
  send({ type: 'ready', cursor: consumer.cursor, rules: engine.sharedInfos(), issues });

  // Stored events waiting for detection, in seq order right after the cursor. Past QUEUE_MAX they are
  // dropped from memory and detection reads the backlog back from the store until it has caught up.
  const QUEUE_MAX = 10_000;
  let queue: StoredEvent[] = [];
  let queueStart = 0;
  let fromStore = false;
  let head = consumer.cursor;
  let running = false;
  let stopping = false;
  const control: ToDetect[] = [];
  let wake: NodeJS.Timeout | undefined;

  const buildIncidents = async (tenant?: string): Promise<void> => {
    const t0 = performance.now();
    const reports = await builder.build(tenant);
    trace.incidents += performance.now() - t0;
    send({
      type: 'incidents',
      reports: reports.map((r) => ({
        tenant: r.tenant,
        saved: r.saved,
        retired: r.retired,
        reopened: r.reopened,
        ms: r.ms,
      })),
    });
  };

  const run = async (): Promise<void> => {
    if (running) return;
    running = true;
    try {
      while (control.length > 0) {
        const msg = control.shift();
        if (msg?.type === 'invalidate') {
          engine.invalidate(msg.tenant);
          builder.invalidate(msg.tenant);
        } else if (msg?.type === 'regroup') {
          if (msg.reload) builder.invalidate(msg.tenant);
          if (builder.isDirty(msg.tenant)) await buildIncidents(msg.tenant);
          send({ type: 'regrouped', id: msg.id });
        } else if (msg?.type === 'reload') {
          ({ engine, issues } = await build(store));
          consumer.setEngine(engine);
          send({ type: 'reloaded', id: msg.id, rules: engine.sharedInfos(), issues });
        }
      }
      if (fromStore) {
        const r = await consumer.step();
        // Nothing after the cursor: caught up (appends run on this thread, so none slipped in between).
        if (r) {
          await builder.add(r.created, []);
          send({ type: 'progress', ...r });
        } else fromStore = false;
      } else if (queueStart < queue.length) {
        const end = Math.min(queue.length, queueStart + init.batch);
        const events = queue.slice(queueStart, end);
        queueStart = end;
        if (queueStart > 50_000) {
          queue.splice(0, queueStart);
          queueStart = 0;
        }
        const t0 = performance.now();
        const r = await consumer.detectStored(events);
        await builder.add(r.created, events);
        trace.detect += performance.now() - t0;
        send({ type: 'progress', ...r });
      }
      if (builder.due()) await buildIncidents();
    } catch (e) {
      send({ type: 'failed', message: e instanceof Error ? (e.stack ?? e.message) : String(e) });
      return;
    } finally {
      running = false;
    }
    // One step at a time: appends that arrived meanwhile are answered before the next step.
    if (control.length > 0 || fromStore || queueStart < queue.length)
      setImmediate(() => void run());
    else if (builder.pending() && !stopping) {
      // Incidents wait for their pace; come back when it allows the next rebuild.
      if (!wake)
        wake = setTimeout(() => {
          wake = undefined;
          void run();
        }, builder.waitMs());
    } else if (stopping) {
      await store.close();
      send({ type: 'stopped' });
      port.close();
    }
  };

  // VIGIL_TRACE=1: every 5 s, where this thread's time went.
  const trace = {
    append: 0,
    appends: 0,
    events: 0,
    detect: 0,
    incidents: 0,
    since: performance.now(),
  };
  if (process.env['VIGIL_TRACE'] === '1') {
    setInterval(() => {
      const wall = performance.now() - trace.since;
      process.stderr.write(
        `vigil: pipeline worker: ${trace.appends} appends (${trace.events} events) ${((100 * trace.append) / wall).toFixed(0)}% of wall, detection ${((100 * trace.detect) / wall).toFixed(0)}%, incidents ${((100 * trace.incidents) / wall).toFixed(0)}%, queue ${queue.length - queueStart}${fromStore ? ' (reading back from the store)' : ''}\n`,
      );
      trace.append = trace.detect = trace.incidents = trace.appends = trace.events = 0;
      trace.since = performance.now();
    }, 5000).unref();
  }

  const append = async (id: number, msg: Extract<ToDetect, { type: 'append' }>): Promise<void> => {
    if (stopping) {
      send({
        type: 'append-failed',
        id,
        code: 'INGEST_BUSY',
        message: 'the server is shutting down',
      });
      return;
    }
    try {
      const t0 = performance.now();
      const stored = await store.appendEvents(msg.events, msg.encoded);
      trace.append += performance.now() - t0;
      trace.appends++;
      trace.events += msg.events.length;
      const counts = new Map<string, { receiver: string; tenant: string; n: number }>();
      for (const e of stored) {
        const receiver = receiverKind(e.receiver);
        const k = receiver + '\0' + e.tenant;
        const c = counts.get(k);
        if (c) c.n++;
        else counts.set(k, { receiver, tenant: e.tenant, n: 1 });
        if (e.seq > head) head = e.seq;
        if (!fromStore) queue.push(e);
      }
      if (!fromStore && queue.length - queueStart > QUEUE_MAX) {
        fromStore = true;
        queue = [];
        queueStart = 0;
      }
      send({ type: 'appended', id, stored: stored.length, counts: [...counts.values()], head });
      void run();
    } catch (e) {
      send({
        type: 'append-failed',
        id,
        code: e instanceof VigilError ? e.code : 'STORE',
        message: e instanceof Error ? e.message : String(e),
      });
    }
  };

  port.on('message', (msg: ToDetect) => {
    if (msg.type === 'append') void append(msg.id, msg);
    else if (msg.type === 'stop') {
      stopping = true;
      void run();
    } else {
      control.push(msg);
      void run();
    }
  });
}

main().catch((e: unknown) => {
  send({ type: 'failed', message: e instanceof Error ? (e.stack ?? e.message) : String(e) });
});
