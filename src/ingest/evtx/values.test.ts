/** Value rendering: each BinXML type as SigmaHQ's regression JSON writes it. */
import { describe, expect, it } from 'vitest';
import {
  filetimeIso,
  formatReal32,
  guid,
  hexU32,
  readArray,
  readScalar,
  sid,
  systemtimeIso,
  Utf16,
  VT,
} from './values.ts';

function le(...bytes: number[]): Uint8Array {
  return Uint8Array.from(bytes);
}

function utf16(s: string): Uint8Array {
  const out = new Uint8Array(s.length * 2);
  for (let i = 0; i < s.length; i++) {
    out[i * 2] = s.charCodeAt(i) & 0xff;
    out[i * 2 + 1] = s.charCodeAt(i) >> 8;
  }
  return out;
}

function scalar(type: number, bytes: Uint8Array): unknown {
  return readScalar(new Utf16(bytes), type, 0, bytes.length);
}

describe('values', () => {
  it('integers are numbers; 64-bit values past 2^53 are decimal strings', () => {
    expect(scalar(VT.INT8, le(0xff))).toBe(-1);
    expect(scalar(VT.UINT8, le(0xff))).toBe(255);
    expect(scalar(VT.INT16, le(0x00, 0x80))).toBe(-32768);
    expect(scalar(VT.UINT16, le(0x60, 0x12))).toBe(4704);
    expect(scalar(VT.INT32, le(0xff, 0xff, 0xff, 0xff))).toBe(-1);
    expect(scalar(VT.UINT32, le(0xff, 0xff, 0xff, 0xff))).toBe(4294967295);
    expect(scalar(VT.UINT64, le(1, 0, 0, 0, 1, 0, 0, 0))).toBe(4294967297);
    expect(scalar(VT.UINT64, le(0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff))).toBe(
      '18446744073709551615',
    );
    expect(scalar(VT.INT64, le(0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff))).toBe(-1);
    expect(scalar(VT.INT64, le(0, 0, 0, 0, 0, 0, 0, 0x80))).toBe('-9223372036854775808');
  });

  it('hex types are lowercase and unpadded', () => {
    expect(hexU32(0)).toBe('0x0');
    expect(hexU32(0x3e7)).toBe('0x3e7');
    expect(scalar(VT.HEXINT32, le(0xe7, 0x03, 0, 0))).toBe('0x3e7');
    expect(scalar(VT.HEXINT64, le(0, 0, 0, 0, 0, 0, 0, 0x80))).toBe('0x8000000000000000');
    expect(scalar(VT.HEXINT64, le(0x01, 0, 0, 0, 0x02, 0, 0, 0))).toBe('0x200000001');
    expect(scalar(VT.SIZE_T, le(0xec, 0x7e, 0, 0))).toBe('0x7eec');
    expect(scalar(VT.SIZE_T, le(0x58, 0x08, 0, 0, 0, 0, 0, 0))).toBe('0x858');
  });

  it('GUIDs are uppercase without braces; binary is uppercase hex', () => {
    const g = le(
      0x25,
      0x96,
      0x84,
      0x54,
      0x78,
      0x54,
      0x94,
      0x49,
      0xa5,
      0xba,
      0x3e,
      0x3b,
      0x03,
      0x28,
      0xc3,
      0x0d,
    );
    expect(guid(g, 0)).toBe('54849625-5478-4994-A5BA-3E3B0328C30D');
    expect(scalar(VT.BINARY, le(0xde, 0xad, 0x0b))).toBe('DEAD0B');
    expect(scalar(VT.BINARY, le())).toBe(null);
  });

  it('SIDs', () => {
    expect(sid(le(1, 1, 0, 0, 0, 0, 0, 5, 18, 0, 0, 0), 0, 12)).toBe('S-1-5-18');
    const domain = le(1, 2, 0, 0, 0, 0, 0, 5, 32, 0, 0, 0, 0x20, 0x02, 0, 0);
    expect(scalar(VT.SID, domain)).toBe('S-1-5-32-544');
    // Fewer sub-authorities present than announced: only the complete ones are shown.
    expect(sid(le(1, 3, 0, 0, 0, 0, 0, 5, 18, 0, 0, 0), 0, 12)).toBe('S-1-5-18');
  });

  it('FILETIME and SYSTEMTIME as ISO with microseconds', () => {
    // 2016-07-08T18:12:51.6816406Z
    const ft = 131124751716816406n;
    const b = new Uint8Array(8);
    new DataView(b.buffer).setBigUint64(0, ft, true);
    expect(filetimeIso(b, 0)).toBe('2016-07-08T18:12:51.681640Z');
    expect(filetimeIso(new Uint8Array(8), 0)).toBe('1601-01-01T00:00:00.000000Z');
    // Alternating seconds (the formatter remembers the last one).
    const next = new Uint8Array(8);
    new DataView(next.buffer).setBigUint64(0, ft + 10_000_000n + 5n * 10n, true);
    expect(filetimeIso(next, 0)).toBe('2016-07-08T18:12:52.681645Z');
    expect(filetimeIso(b, 0)).toBe('2016-07-08T18:12:51.681640Z');
    // Past 2^53 ticks the exact split needs BigInt: year 30828 is still a date.
    const far = new Uint8Array(8);
    new DataView(far.buffer).setBigUint64(0, 0x7fffffffffffffffn, true);
    expect(filetimeIso(far, 0)).toBe('30828-09-14T02:48:05.477580Z');
    const st = new Uint8Array(16);
    const v = new DataView(st.buffer);
    [2025, 11, 4, 27, 7, 40, 10, 165].forEach((x, i) => {
      v.setUint16(i * 2, x, true);
    });
    expect(systemtimeIso(st, 0)).toBe('2025-11-27T07:40:10.165000Z');
    expect(systemtimeIso(new Uint8Array(16), 0)).toBe('1601-01-01T00:00:00.000000Z');
    v.setUint16(0, 99, true);
    expect(systemtimeIso(st, 0)).toBe('0099-11-27T07:40:10.165000Z');
  });

  it('bool: any non-zero value is true', () => {
    expect(scalar(VT.BOOL, le(0, 0, 0, 0))).toBe(false);
    expect(scalar(VT.BOOL, le(1, 0, 0, 0))).toBe(true);
    expect(scalar(VT.BOOL, le(0, 0, 0, 0x80))).toBe(true);
  });

  it('reals in shortest form', () => {
    expect(formatReal32(Math.fround(0.1))).toBe('0.1');
    expect(formatReal32(1)).toBe('1');
    const b = new Uint8Array(8);
    new DataView(b.buffer).setFloat64(0, 2.5, true);
    expect(scalar(VT.REAL64, b)).toBe('2.5');
  });

  it('strings stop at the first NUL and lose trailing whitespace; empty is null', () => {
    expect(scalar(VT.STRING, utf16('cmd.exe \0junk'))).toBe('cmd.exe');
    expect(scalar(VT.STRING, utf16(`${'x'.repeat(40)}  \0`))).toBe('x'.repeat(40));
    expect(scalar(VT.STRING, utf16('  leading kept'))).toBe('  leading kept');
    expect(scalar(VT.STRING, utf16('\0'))).toBe(null);
    expect(scalar(VT.ANSI, Uint8Array.from([0x41, 0xe9, 0, 0x42]))).toBe('Aé');
  });

  it('arrays (type | 0x80)', () => {
    const t = new Utf16(utf16('a\0bc\0'));
    expect(readArray(t, VT.STRING | VT.ARRAY, 0, t.bytes.length)).toEqual(['a', 'bc']);
    const u = new Utf16(le(1, 0, 2, 0, 3, 0));
    expect(readArray(u, VT.UINT16 | VT.ARRAY, 0, 6)).toEqual([1, 2, 3]);
    expect(readArray(u, VT.HEXINT32 | VT.ARRAY, 0, 4)).toEqual(['0x20001']);
    expect(readArray(u, VT.UINT16 | VT.ARRAY, 0, 0)).toBe(null);
  });

  it('rejects unknown types', () => {
    expect(() => scalar(0x1f, le(0))).toThrow(/unknown value type/);
  });
});
