/** Single-threaded EVTX reading: one ReadBatch per chunk, in file order. */
import type { ReadBatch } from '../../core/index.ts';
import { chunkIndex, locateChunks, readChunk } from './chunks.ts';
import { Utf16 } from './values.ts';

/** `readChunk`, with a fault in the reader itself reported as an INTERNAL issue instead of thrown. */
export function readChunkSafely(
  text: Utf16,
  offset: number,
  file: string,
  tenant: string,
): ReadBatch {
  try {
    return readChunk(text, offset, file, tenant);
  } catch (e) {
    return {
      file,
      events: [],
      issues: [
        {
          code: 'INTERNAL',
          severity: 'error',
          message: `EVTX chunk reader failed: ${String(e)}`,
          at: { file, offset, chunk: chunkIndex(offset) },
        },
      ],
    };
  }
}

export interface ParseOptions {
  /** Tenant stamped on every event; `local` when omitted. */
  readonly tenant?: string;
  /** Chunks to read (from `evtxChunks`); all located chunks when omitted. */
  readonly chunkOffsets?: readonly number[];
}

/**
 * Parses the given chunks (all when omitted) on the calling thread: one ReadBatch per chunk,
 * records in order. File-header problems come with the first batch when `chunkOffsets` is omitted.
 * Never throws for bad input.
 */
export function* parseEvtx(
  bytes: Uint8Array,
  file: string,
  opts: ParseOptions = {},
): Generator<ReadBatch, void, undefined> {
  const tenant = opts.tenant ?? 'local';
  let offsets = opts.chunkOffsets;
  let pending = null as ReadBatch['issues'] | null;
  if (offsets === undefined) {
    const located = locateChunks(bytes, file);
    offsets = located.chunkOffsets;
    pending = located.issues;
  }
  const text = new Utf16(bytes);
  if (offsets.length === 0 && pending !== null && pending.length > 0) {
    yield { file, events: [], issues: pending };
    return;
  }
  for (const off of offsets) {
    const batch = readChunkSafely(text, off, file, tenant);
    if (pending !== null && pending.length > 0) {
      yield { file, events: batch.events, issues: [...pending, ...batch.issues] };
    } else {
      yield batch;
    }
    pending = null;
  }
}
