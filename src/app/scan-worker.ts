/** A `vigil scan` worker thread: parses the inputs it is handed and matches every event against the rules. */
import { readFileSync } from 'node:fs';
import { parentPort, workerData } from 'node:worker_threads';
import { parseEvtx } from '../ingest/evtx/index.ts';
import { readBytes } from '../ingest/index.ts';
import type { Detection, Issue, ReadBatch } from '../core/index.ts';
import { buildDetector } from './detector.ts';
import { ruleSetup } from './files.ts';
import {
  isEvtxInput,
  type FromWorker,
  type ScanTask,
  type ToWorker,
  type WorkerInit,
} from './scan-protocol.ts';

const port = parentPort;
if (!port) throw new Error('scan-worker must run in a worker thread');
const init = workerData as WorkerInit;

const started = performance.now();
const { setup, issues: readIssues } = await ruleSetup(init.ruleDirs, init.builtin, init.tenant);
let send = (msg: FromWorker): void => {
  port.postMessage(msg);
};
let detector: ReturnType<typeof buildDetector> | undefined;
try {
  detector = buildDetector(setup);
  send({
    type: 'ready',
    loadMs: performance.now() - started,
    report: { ...detector.report, issues: [...readIssues, ...detector.report.issues] },
    correlations: detector.correlations,
  });
} catch (err) {
  send({
    type: 'setup-failed',
    message: err instanceof Error ? (err.stack ?? err.message) : String(err),
  });
}

function run(task: ScanTask, ruleset: NonNullable<typeof detector>['ruleset']): void {
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
  const detections: Detection[] = [];
  for (const batch of batches) {
    records += batch.events.length;
    issues.push(...batch.issues);
    for (const event of batch.events) {
      const hits = ruleset.match(event);
      for (const hit of hits) detections.push(hit);
    }
  }
  send({ type: 'result', id: task.id, records, issues, detections });
}

port.on('message', (msg: ToWorker) => {
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
