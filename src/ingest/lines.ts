/** Splits a text file held as bytes into lines, with 1-based line numbers and byte offsets, bounding very long lines. */
import { MAX_FIELD_CHARS } from './record.ts';

export interface Line {
  readonly text: string;
  /** 1-based line number. */
  readonly line: number;
  /** Byte offset of the line's first byte in the file. */
  readonly offset: number;
  /** Byte length of the line when it was longer than the limit and `text` holds only its start. */
  readonly cutFrom?: number;
}

const decoder = new TextDecoder('utf-8');

/** Decodes UTF-8 bytes, replacing invalid sequences with U+FFFD. */
export function decodeUtf8(bytes: Uint8Array): string {
  return decoder.decode(bytes);
}

/** Length of the UTF-8 BOM at the start of `bytes` (0 or 3). */
export function bomLength(bytes: Uint8Array): number {
  return bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf ? 3 : 0;
}

/**
 * Yields every line (LF or CRLF endings; empty lines included so numbering stays true). A line
 * longer than `maxBytes` is decoded only up to that size, on a character boundary, so one huge
 * line costs no more memory than the limit.
 */
export function* splitLines(bytes: Uint8Array, maxBytes = MAX_FIELD_CHARS): Generator<Line> {
  let pos = bomLength(bytes);
  let line = 1;
  const n = bytes.length;
  while (pos < n) {
    let end = bytes.indexOf(10, pos);
    const next = end === -1 ? n : end + 1;
    if (end === -1) end = n;
    let stop = end > pos && bytes[end - 1] === 13 ? end - 1 : end;
    const length = stop - pos;
    let cutFrom: number | undefined;
    if (length > maxBytes) {
      cutFrom = length;
      stop = pos + maxBytes;
      // step back over UTF-8 continuation bytes so no character is split
      while (stop > pos && ((bytes[stop] ?? 0) & 0xc0) === 0x80) stop--;
    }
    const text = decoder.decode(bytes.subarray(pos, stop));
    yield cutFrom === undefined
      ? { text, line, offset: pos }
      : { text, line, offset: pos, cutFrom };
    pos = next;
    line++;
  }
}
