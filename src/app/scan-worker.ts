/** A `vigil scan` worker thread: parses the inputs it is handed and matches every event against the rules. */
import { readFileSync } from 'node:fs';
import { deserialize, serialize } from 'node:v8';
import { parentPort, workerData, type MessagePort } from 'node:worker_threads';
import { parseEvtx } from '../ingest/evtx/index.ts';
import { readBytes } from '../ingest/index.ts';
import type { Issue, ReadBatch, RuleRef } from '../core/index.ts';
import { locateIn, type CompiledPart, type Locate } from '../detect/index.ts';
import { compileSlice, linkDetector, type BuiltDetector } from './detector.ts';
import { readTextFiles, ruleSetup } from './files.ts';
import { readEntry, sliceKey, writeEntry } from './rule-cache.ts';
import {
  isEvtxInput,
  type FromWorker,
  type ScanTask,
  type ToWorker,
  type WireDetection,
  type WorkerInit,
} from './scan-protocol.ts';

if (!parentPort) throw new Error('scan-worker must run in a worker thread');
const port: MessagePort = parentPort;
const init = workerData as WorkerInit;

let send = (msg: FromWorker): void => {
  port.postMessage(msg);
};

const steps: [string, number][] = [];
const step = (name: string): void => {
  steps.push([name, performance.timeOrigin + performance.now()]);
};
step('started');
const { setup, issues: readIssues } = await ruleSetup(init.ruleDirs, init.builtin, init.tenant, {
  part: init.part,
  parts: init.parts,
});
let detector: BuiltDetector | undefined;
/** Each rule's position in the rule set, which is how hits name their rule to the coordinator. */
const ruleIndex = new Map<RuleRef, number>();
try {
  detector = await loadDetector();
  const refs = detector.ruleset.rules.map((r) => r.ref);
  refs.forEach((ref, i) => ruleIndex.set(ref, i));
  step('ready');
  send({
    type: 'ready',
    steps,
    report: detector.report,
    correlations: detector.correlations,
    ...(init.part === 0 ? { rules: refs } : {}),
  });
} catch (err) {
  send({
    type: 'setup-failed',
    message: err instanceof Error ? (err.stack ?? err.message) : String(err),
  });
}

/** A compiled slice as it travels and is cached: the part and the logsource mapping's problems. */
interface SliceEntry {
  readonly part: CompiledPart;
  readonly issues: readonly Issue[];
}

/**
 * Compiles this worker's slice of the rules (or takes it from the cache), trades compiled slices with
 * the other workers, and links them all.
 */
async function loadDetector(): Promise<BuiltDetector> {
  step('read');
  const key = init.cacheDir === undefined ? undefined : sliceKey(setup);
  let bytes = key === undefined ? undefined : readEntry(init.cacheDir ?? '', key);
  let own: SliceEntry | undefined;
  if (bytes) {
    try {
      const entry = deserialize(new Uint8Array(bytes)) as Partial<SliceEntry> | null;
      if (entry && Array.isArray(entry.part?.entries) && Array.isArray(entry.issues))
        own = entry as SliceEntry;
    } catch {
      own = undefined;
    }
    if (own) step('cached');
  }
  if (!own) {
    const compiled = compileSlice(setup);
    own = { part: compiled.part, issues: compiled.issues };
    step('compiled');
    if (init.parts > 1 || key !== undefined) {
      const serialised = serialize(own);
      bytes = new SharedArrayBuffer(serialised.byteLength);
      new Uint8Array(bytes).set(serialised);
      if (key !== undefined) writeEntry(init.cacheDir ?? '', key, serialised);
    }
  }
  // Positions for a duplicate id: this slice's files are at hand, another slice's are read again (rare).
  const here = locateIn(setup.ruleFiles);
  const locate: Locate = (file, docIndex, path) =>
    here(file, docIndex, path) ?? locateOnDisk(file, docIndex, path);
  if (init.parts === 1) {
    send({ type: 'compiled', issues: readIssues, steps });
    return linkDetector([own.part], locate, own.issues);
  }
  const linked = new Promise<readonly SharedArrayBuffer[]>((resolve) => {
    const onLink = (msg: ToWorker): void => {
      if (msg.type !== 'link') return;
      port.off('message', onLink);
      resolve(msg.parts);
    };
    port.on('message', onLink);
  });
  step('sent');
  send({ type: 'compiled', ...(bytes ? { part: bytes } : {}), issues: readIssues, steps });
  const buffers = await linked;
  step('received');
  const ownPart = own.part;
  const parts = buffers.map((b, i) =>
    i === init.part ? ownPart : (deserialize(new Uint8Array(b)) as SliceEntry).part,
  );
  step('deserialised');
  return linkDetector(parts, locate, own.issues);
}

function locateOnDisk(
  file: string,
  docIndex: number,
  path: readonly (string | number)[],
): ReturnType<Locate> {
  const read = readTextFiles([file]);
  return locateIn(read.files)(file, docIndex, path);
}

function run(task: ScanTask, ruleset: BuiltDetector['ruleset']): void {
  let bytes: Uint8Array;
  if (task.localFile !== undefined) {
    try {
      bytes = readFileSync(task.localFile);
    } catch (err) {
      const why = (err as NodeJS.ErrnoException).code ?? String(err);
      send({
        type: 'result',
        id: task.id,
        records: 0,
        detections: [],
        issues: [
          {
            code: 'READ_IO',
            severity: 'error',
            message: `cannot read ${task.file}: ${why}`,
            at: { file: task.file },
          },
        ],
      });
      return;
    }
  } else {
    bytes = new Uint8Array(task.bytes ?? new SharedArrayBuffer(0), 0, task.length ?? 0);
  }
  const batches: Iterable<ReadBatch> =
    task.chunkOffsets ||
    (task.localFile !== undefined && isEvtxInput(bytes, task.file, task.format))
      ? parseEvtx(bytes, task.file, {
          tenant: setup.tenant,
          ...(task.chunkOffsets ? { chunkOffsets: task.chunkOffsets } : {}),
        })
      : readBytes(bytes, task.file, {
          tenant: setup.tenant,
          format: task.format,
          ...(task.referenceTime === undefined ? {} : { referenceTime: task.referenceTime }),
        });
  let records = 0;
  const issues: Issue[] = [];
  const detections: WireDetection[] = [];
  for (const batch of batches) {
    records += batch.events.length;
    issues.push(...batch.issues);
    for (const event of batch.events) {
      const hits = ruleset.match(event);
      for (const hit of hits) {
        detections.push({
          rule: ruleIndex.get(hit.rule) ?? -1,
          ts: hit.ts,
          events: hit.events,
          matched: hit.matched,
        });
      }
    }
  }
  send({ type: 'result', id: task.id, records, issues, detections });
}

port.on('message', (msg: ToWorker) => {
  if (msg.type === 'link') return;
  if (msg.type === 'stop') {
    send = () => undefined;
    port.close();
    return;
  }
  if (!detector) return;
  try {
    run(msg, detector.ruleset);
  } catch (err) {
    send({
      type: 'result',
      id: msg.id,
      records: 0,
      issues: [
        {
          code: 'INTERNAL',
          severity: 'error',
          message: `scanning failed: ${err instanceof Error ? err.message : String(err)}`,
          at: { file: msg.file },
        },
      ],
      detections: [],
    });
  }
});
