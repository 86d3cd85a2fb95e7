/** Vigil's EVTX (Windows XML EventLog) reader: chunks, records and BinXML to flat Sigma-ready events. */
import type { Issue } from '../../core/index.ts';
import { locateChunks } from './chunks.ts';

export { parseEvtx } from './parse.ts';
export type { ParseOptions } from './parse.ts';

/** Locates the chunks of an EVTX buffer (header-declared and beyond), with header problems. */
export function evtxChunks(
  bytes: Uint8Array,
  file: string,
): { chunkOffsets: number[]; issues: Issue[] } {
  return locateChunks(bytes, file);
}

export { EvtxPool } from './pool.ts';
