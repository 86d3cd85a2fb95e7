/** The detection worker thread: its own store connection, the compiled rules and the consumer loop. */
import { parentPort, workerData } from 'node:worker_threads';
import { openSqliteStore } from '../../store/index.ts';
import { ruleSetup } from '../files.ts';
import { Consumer } from './consumer.ts';
import type { DetectInit, FromDetect, ToDetect } from './detect-protocol.ts';
import { DetectionEngine, type TenantSettings } from './engine.ts';
import type { Issue, Store } from '../../core/index.ts';

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
  const engine = new DetectionEngine(setup, settings(store));
  return { engine, issues: [...issues, ...engine.issues] };
}

async function main(): Promise<void> {
  const store = openSqliteStore({ path: init.dbPath, synchronous: init.synchronous });
  let { engine, issues } = await build(store);
  const consumer = new Consumer(store, engine, {
    batch: init.batch,
    warmup: init.warmup,
    now: Date.now,
  });
  await consumer.start();
  // Whatever was stored but not detected before the last stop is detected before the server takes events.
  for (let r = await consumer.step(); r; r = await consumer.step())
    send({ type: 'progress', ...r });
  send({ type: 'ready', cursor: consumer.cursor, rules: engine.sharedInfos(), issues });

  let head = 0;
  let running = false;
  let stopping = false;
  const pending: ToDetect[] = [];

  const run = async (): Promise<void> => {
    if (running) return;
    running = true;
    try {
      for (;;) {
        while (pending.length > 0) {
          const msg = pending.shift();
          if (msg?.type === 'invalidate') engine.invalidate(msg.tenant);
          else if (msg?.type === 'reload') {
            ({ engine, issues } = await build(store));
            consumer.setEngine(engine);
            send({ type: 'reloaded', id: msg.id, rules: engine.sharedInfos(), issues });
          }
        }
        if (consumer.cursor >= head) break;
        const r = await consumer.step();
        if (!r) break;
        send({ type: 'progress', ...r });
      }
    } catch (e) {
      send({ type: 'failed', message: e instanceof Error ? (e.stack ?? e.message) : String(e) });
    } finally {
      running = false;
    }
    if (pending.length > 0 || consumer.cursor < head) setImmediate(() => void run());
    else if (stopping) {
      await store.close();
      send({ type: 'stopped' });
      port.close();
    }
  };

  port.on('message', (msg: ToDetect) => {
    if (msg.type === 'head') head = Math.max(head, msg.seq);
    else if (msg.type === 'stop') stopping = true;
    else pending.push(msg);
    void run();
  });
}

main().catch((e: unknown) => {
  send({ type: 'failed', message: e instanceof Error ? (e.stack ?? e.message) : String(e) });
});
