/** CRC-32 (IEEE) over one or two byte ranges, as EVTX header and chunk checksums use it. */
import { crc32 as zlibCrc32 } from 'node:zlib';

/** CRC-32 of `b[start, start+len)`, continued over `b[start2, start2+len2)` when given. */
export function crc32(b: Uint8Array, start: number, len: number, start2 = 0, len2 = 0): number {
  let c = zlibCrc32(b.subarray(start, Math.min(b.length, start + len)));
  if (len2 > 0) c = zlibCrc32(b.subarray(start2, Math.min(b.length, start2 + len2)), c);
  return c >>> 0;
}
