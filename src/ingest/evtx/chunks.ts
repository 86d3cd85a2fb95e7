/** EVTX container layout: the file header, locating 64 KiB chunks, and reading the records of one chunk. */
import { Buffer } from 'node:buffer';
import type { Event, Issue, ReadBatch } from '../../core/index.ts';
import { BinXmlError, Chunk } from './binxml.ts';
import { crc32 } from './crc32.ts';
import { flattenRecord, timeMs } from './flatten.ts';
import type { Utf16 } from './values.ts';
import { u16, u32, u64 } from './values.ts';

export const FILE_HEADER_SIZE = 4096;
export const CHUNK_SIZE = 65536;
const CHUNK_HEADER_SIZE = 512;
const RECORD_HEADER_SIZE = 24;
const MIN_RECORD_SIZE = 28;

const FILE_MAGIC = [0x45, 0x6c, 0x66, 0x46, 0x69, 0x6c, 0x65, 0x00]; // "ElfFile\0"
const CHUNK_MAGIC = [0x45, 0x6c, 0x66, 0x43, 0x68, 0x6e, 0x6b, 0x00]; // "ElfChnk\0"

function hasMagic(b: Uint8Array, p: number, magic: readonly number[]): boolean {
  if (p + magic.length > b.length) return false;
  for (let i = 0; i < magic.length; i++) if (b[p + i] !== magic[i]) return false;
  return true;
}

function allZero(b: Uint8Array, p: number, n: number): boolean {
  const end = Math.min(b.length, p + n);
  for (let i = p; i < end; i++) if (b[i] !== 0) return false;
  return true;
}

function issue(
  code: Issue['code'],
  severity: Issue['severity'],
  message: string,
  file: string,
  offset: number,
  chunk?: number,
  record?: number,
): Issue {
  const at: { file: string; offset: number; chunk?: number; record?: number } = { file, offset };
  if (chunk !== undefined) at.chunk = chunk;
  if (record !== undefined) at.record = record;
  return { code, severity, message, at };
}

/** Index of the chunk that starts at `offset` (chunks follow the 4 KiB file header). */
export function chunkIndex(offset: number): number {
  return Math.floor((offset - FILE_HEADER_SIZE) / CHUNK_SIZE);
}

/** Finds every chunk: those the header declares and any further chunk magic at 64 KiB steps. */
export function locateChunks(
  bytes: Uint8Array,
  file: string,
): { chunkOffsets: number[]; issues: Issue[] } {
  const issues: Issue[] = [];
  let declared = 0;
  if (bytes.length < FILE_HEADER_SIZE) {
    issues.push(
      issue(
        'EVTX_TRUNCATED',
        'error',
        `file of ${bytes.length} bytes ends inside the 4096-byte EVTX header`,
        file,
        bytes.length,
      ),
    );
  } else if (!hasMagic(bytes, 0, FILE_MAGIC)) {
    issues.push(
      issue(
        'EVTX_BAD_FILE_HEADER',
        'error',
        'missing ElfFile signature; looking for chunks anyway',
        file,
        0,
      ),
    );
  } else {
    const sum = u32(bytes, 124);
    if (crc32(bytes, 0, 120) !== sum) {
      issues.push(
        issue('EVTX_BAD_FILE_HEADER', 'warning', 'file header checksum mismatch', file, 0),
      );
    }
    declared = u16(bytes, 42);
    const needed = FILE_HEADER_SIZE + declared * CHUNK_SIZE;
    if (needed > bytes.length) {
      issues.push(
        issue(
          'EVTX_TRUNCATED',
          'warning',
          `header declares ${declared} chunks (${needed} bytes) but the file has ${bytes.length} bytes`,
          file,
          bytes.length,
        ),
      );
    }
  }
  const chunkOffsets: number[] = [];
  for (
    let off = FILE_HEADER_SIZE, i = 0;
    off + CHUNK_HEADER_SIZE <= bytes.length;
    off += CHUNK_SIZE, i++
  ) {
    if (hasMagic(bytes, off, CHUNK_MAGIC) || holdsRecords(bytes, off)) chunkOffsets.push(off);
    else if (i < declared) {
      issues.push(
        issue(
          'EVTX_BAD_CHUNK_HEADER',
          'warning',
          `chunk ${i} declared by the file header holds neither a chunk signature nor records`,
          file,
          off,
          i,
        ),
      );
    }
  }
  return { chunkOffsets, issues };
}

const SOURCE = { product: 'windows' } as const;

/** Does the 64 KiB slot at `base` (whose chunk header is gone) still hold a plausible record? */
function holdsRecords(b: Uint8Array, base: number): boolean {
  const end = Math.min(b.length, base + CHUNK_SIZE);
  return resync(b, base + CHUNK_HEADER_SIZE, end) < end;
}

/**
 * The size of the record at `p` when its header is plausible (magic, size within bounds and, when
 * `strict`, a matching trailing size copy), else 0.
 */
function recordAt(b: Uint8Array, p: number, end: number, strict = true): number {
  if (p + MIN_RECORD_SIZE > end) return 0;
  if (b[p] !== 0x2a || b[p + 1] !== 0x2a || b[p + 2] !== 0 || b[p + 3] !== 0) return 0;
  const size = u32(b, p + 4);
  if (size < MIN_RECORD_SIZE || p + size > end) return 0;
  if (strict && u32(b, p + size - 4) !== size) return 0;
  return size;
}

const RECORD_MAGIC = Buffer.from([0x2a, 0x2a, 0x00, 0x00]);

/** A Buffer view of the same bytes (no copy), for its native `indexOf`. */
function view(b: Uint8Array): Buffer {
  return Buffer.isBuffer(b) ? b : Buffer.from(b.buffer, b.byteOffset, b.byteLength);
}

/** Next plausible record start at or after `from`, or `end`. */
function resync(b: Uint8Array, from: number, end: number): number {
  const buf = view(b);
  let p = from;
  while (p + MIN_RECORD_SIZE <= end) {
    const at = buf.indexOf(RECORD_MAGIC, p);
    if (at < 0 || at + MIN_RECORD_SIZE > end) return end;
    if (recordAt(b, at, end) > 0) return at;
    p = at + 1;
  }
  return end;
}

/** Checks a chunk header's checksums; returns where its records end (chunk-relative). */
function checkHeader(
  b: Uint8Array,
  base: number,
  avail: number,
  file: string,
  index: number,
  issues: Issue[],
): number {
  const headerSum = u32(b, base + 124);
  if (headerSum !== crc32(b, base, 120, base + 128, CHUNK_HEADER_SIZE - 128)) {
    issues.push(
      issue(
        'EVTX_BAD_CHUNK_CHECKSUM',
        'warning',
        'chunk header checksum mismatch',
        file,
        base,
        index,
      ),
    );
  }
  const end = u32(b, base + 48);
  if (end < CHUNK_HEADER_SIZE || end > avail) {
    issues.push(
      issue(
        'EVTX_BAD_CHUNK_HEADER',
        'warning',
        `free space offset 0x${end.toString(16)} out of range; reading records until the data ends`,
        file,
        base,
        index,
      ),
    );
    return avail;
  }
  if (crc32(b, base + CHUNK_HEADER_SIZE, end - CHUNK_HEADER_SIZE) !== u32(b, base + 52)) {
    issues.push(
      issue(
        'EVTX_BAD_CHUNK_CHECKSUM',
        'warning',
        'chunk records checksum mismatch',
        file,
        base,
        index,
      ),
    );
  }
  return end;
}

/** Reads every record of the chunk at `base`; problems become Issues and never stop the chunk. */
export function readChunk(text: Utf16, base: number, file: string, tenant: string): ReadBatch {
  const b = text.bytes;
  const index = chunkIndex(base);
  const events: Event[] = [];
  const issues: Issue[] = [];
  if (!Number.isSafeInteger(base) || base < 0) {
    issues.push(issue('EVTX_BAD_CHUNK_HEADER', 'error', `no chunk at offset ${base}`, file, 0));
    return { file, events, issues };
  }
  const avail = Math.min(CHUNK_SIZE, b.length - base);
  if (avail < CHUNK_HEADER_SIZE) {
    issues.push(
      issue('EVTX_TRUNCATED', 'error', 'chunk header cut off by end of file', file, base, index),
    );
    return { file, events, issues };
  }
  let end = avail;
  let first = base + CHUNK_HEADER_SIZE;
  if (!hasMagic(b, base, CHUNK_MAGIC)) {
    issues.push(
      issue(
        'EVTX_BAD_CHUNK_HEADER',
        'error',
        'missing ElfChnk signature; recovering the records found in the chunk',
        file,
        base,
        index,
      ),
    );
    first = resync(b, first, base + avail);
  } else {
    end = checkHeader(b, base, avail, file, index, issues);
  }
  if (avail < CHUNK_SIZE) {
    issues.push(
      issue(
        'EVTX_TRUNCATED',
        'warning',
        `chunk cut off by end of file after ${avail} of ${CHUNK_SIZE} bytes`,
        file,
        base,
        index,
      ),
    );
  }
  const chunk = new Chunk(text, base, avail);
  const limit = base + end;
  let p = first;
  while (p + RECORD_HEADER_SIZE <= limit) {
    // A record whose tail was never written (trailing size copy missing) is still worth a try.
    const size = recordAt(b, p, limit, false);
    if (size === 0) {
      // Zero padding after the last record is normal slack, not damage.
      if (allZero(b, p, Math.min(8, limit - p))) {
        const next = resync(b, p, limit);
        if (next >= limit) break;
        p = next;
        continue;
      }
      const next = resync(b, p + 1, limit);
      issues.push(
        issue(
          'EVTX_BAD_RECORD',
          'error',
          `bad record header (size ${u32(b, p + 4)}); skipped ${next - p} bytes`,
          file,
          p,
          index,
        ),
      );
      p = next;
      continue;
    }
    const id = u64(b, p + 8);
    const recordId = typeof id === 'number' ? id : Number(id);
    if (u32(b, p + size - 4) !== size) {
      issues.push(
        issue(
          'EVTX_BAD_RECORD',
          'warning',
          `record's trailing size copy ${u32(b, p + size - 4)} differs from its size ${size}; the record may be incomplete`,
          file,
          p,
          index,
          recordId,
        ),
      );
    }
    try {
      const nodes = chunk.record(p + RECORD_HEADER_SIZE, p + size - 4);
      const fields = flattenRecord(nodes);
      if (fields === null) {
        issues.push(
          issue('EVTX_BAD_BINXML', 'error', 'record holds no element', file, p, index, recordId),
        );
      } else {
        events.push({
          ts: timeMs(fields['TimeCreated_SystemTime']),
          tenant,
          source: SOURCE,
          fields,
          origin: { file, format: 'evtx', recordId, offset: p },
        });
      }
    } catch (e) {
      // Anything thrown while reading one record is that record's damage, never the file's.
      const message = e instanceof BinXmlError ? e.message : `unreadable record: ${String(e)}`;
      issues.push(issue('EVTX_BAD_BINXML', 'error', message, file, p, index, recordId));
    }
    p += size;
  }
  return { file, events, issues };
}
