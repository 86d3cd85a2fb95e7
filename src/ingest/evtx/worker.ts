/** Worker-thread entry of EvtxPool: reads the chunks it is given and posts one batch per chunk. */
import { parentPort } from 'node:worker_threads';
import { pack } from './packed.ts';
import { STOP } from './protocol.ts';
import type { PackedBatch } from './packed.ts';
import { readChunkSafely } from './parse.ts';
import { Utf16 } from './values.ts';

/** A slice of one file's chunks; the file's bytes are shared, not copied. */
export interface ChunkTask {
  readonly id: number;
  readonly buffer: SharedArrayBuffer;
  /** Bytes of `buffer` that belong to the file. */
  readonly length: number;
  readonly file: string;
  readonly tenant: string;
  readonly offsets: readonly number[];
}

/** One chunk's batch (`batch` set), or the end of a task (`batch` absent). */
export interface WorkerReply {
  readonly id: number;
  readonly index: number;
  readonly batch?: PackedBatch;
}

const port = parentPort;
if (port !== null) {
  port.on('message', (task: ChunkTask | typeof STOP) => {
    if (task === STOP) {
      port.close();
      process.exit(0);
    }
    const text = new Utf16(new Uint8Array(task.buffer, 0, task.length));
    for (let i = 0; i < task.offsets.length; i++) {
      const batch = readChunkSafely(text, task.offsets[i] ?? 0, task.file, task.tenant);
      const reply: WorkerReply = { id: task.id, index: i, batch: pack(batch) };
      port.postMessage(reply);
    }
    const done: WorkerReply = { id: task.id, index: task.offsets.length };
    port.postMessage(done);
  });
}
