import { brotliCompressSync, deflateRawSync, deflateSync, gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { decodeBody, firstInvalidUtf8 } from './body.ts';

const enc = new TextEncoder();
const MiB = 1 << 20;

function text(r: ReturnType<typeof decodeBody>): string {
  if (!r.ok) throw new Error(r.issues.map((i) => i.message).join('; '));
  return r.value;
}

function codes(r: ReturnType<typeof decodeBody>): string[] {
  return r.ok ? [] : r.issues.map((i) => i.code);
}

describe('decodeBody', () => {
  it('passes plain UTF-8 through and drops a BOM', () => {
    expect(text(decodeBody(enc.encode('{"a":"é"}'), { maxBytes: MiB }))).toBe('{"a":"é"}');
    const bom = new Uint8Array([0xef, 0xbb, 0xbf, ...enc.encode('{"b":1}')]);
    expect(text(decodeBody(bom, { maxBytes: MiB }))).toBe('{"b":1}');
  });

  it('gunzips gzip and x-gzip, several members, and gzip without a header', () => {
    const body = enc.encode('line one\nline two\n');
    expect(text(decodeBody(gzipSync(body), { contentEncoding: 'gzip', maxBytes: MiB }))).toBe(
      'line one\nline two\n',
    );
    expect(text(decodeBody(gzipSync(body), { contentEncoding: 'X-Gzip', maxBytes: MiB }))).toBe(
      'line one\nline two\n',
    );
    expect(text(decodeBody(gzipSync(body), { maxBytes: MiB }))).toBe('line one\nline two\n');
    const two = Buffer.concat([gzipSync('a\n'), gzipSync('b\n')]);
    expect(text(decodeBody(two, { contentEncoding: 'gzip', maxBytes: MiB }))).toBe('a\nb\n');
  });

  it('inflates zlib deflate, raw deflate and brotli', () => {
    expect(
      text(decodeBody(deflateSync('zlib'), { contentEncoding: 'deflate', maxBytes: 99 })),
    ).toBe('zlib');
    expect(
      text(decodeBody(deflateRawSync('raw'), { contentEncoding: 'deflate', maxBytes: 99 })),
    ).toBe('raw');
    expect(
      text(decodeBody(brotliCompressSync('br'), { contentEncoding: 'br', maxBytes: 99 })),
    ).toBe('br');
  });

  it('undoes a list of codings in reverse order', () => {
    const twice = gzipSync(deflateSync('inner'));
    expect(text(decodeBody(twice, { contentEncoding: 'deflate, gzip', maxBytes: 99 }))).toBe(
      'inner',
    );
  });

  it('stops a zip bomb at the limit without inflating it (64 MiB of zeros, 1 MiB limit)', () => {
    const bomb = gzipSync(Buffer.alloc(64 * MiB), { level: 9 });
    expect(bomb.length).toBeLessThan(MiB);
    const t = performance.now();
    const r = decodeBody(bomb, { contentEncoding: 'gzip', maxBytes: MiB });
    expect(performance.now() - t).toBeLessThan(500);
    expect(codes(r)).toEqual(['INGEST_TOO_LARGE']);
  });

  it('an empty body is empty text, even labelled gzip', () => {
    expect(text(decodeBody(new Uint8Array(0), { contentEncoding: 'gzip', maxBytes: 10 }))).toBe('');
  });

  it('refuses an uncompressed body over the limit, accepts one at it', () => {
    expect(codes(decodeBody(new Uint8Array(11).fill(0x61), { maxBytes: 10 }))).toEqual([
      'INGEST_TOO_LARGE',
    ]);
    expect(text(decodeBody(new Uint8Array(10).fill(0x61), { maxBytes: 10 }))).toBe('aaaaaaaaaa');
  });

  it('reports corrupt gzip and unknown codings as INGEST_BAD_ENCODING', () => {
    const gz = gzipSync('some text that compresses');
    const cut = gz.subarray(0, gz.length - 6);
    expect(codes(decodeBody(cut, { contentEncoding: 'gzip', maxBytes: MiB }))).toEqual([
      'INGEST_BAD_ENCODING',
    ]);
    expect(
      codes(decodeBody(enc.encode('plain'), { contentEncoding: 'gzip', maxBytes: MiB })),
    ).toEqual(['INGEST_BAD_ENCODING']);
    expect(codes(decodeBody(enc.encode('x'), { contentEncoding: 'zstd', maxBytes: MiB }))).toEqual([
      'INGEST_BAD_ENCODING',
    ]);
  });

  it('names the byte offset of invalid UTF-8 (after decompression)', () => {
    const bad = new Uint8Array([...enc.encode('{"a":"ok'), 0xc3, 0x28, ...enc.encode('"}')]);
    const r = decodeBody(gzipSync(bad), { contentEncoding: 'gzip', maxBytes: MiB });
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.issues[0]).toMatchObject({ code: 'INGEST_BAD_ENCODING', at: { offset: 8 } });
    expect(r.issues[0]?.message).toContain('byte offset 8');
  });

  it('with invalidUtf8: replace, reads bad bytes as U+FFFD and names each run by line and offset', () => {
    const bad = new Uint8Array([
      ...enc.encode('{"a":"ok"}\n{"b":"'),
      0xff,
      0xc3,
      0x28,
      ...enc.encode('"}\n{"c":"'),
      0xe2,
      0x82,
      ...enc.encode('"}'),
    ]);
    const r = decodeBody(bad, { maxBytes: MiB, invalidUtf8: 'replace' });
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.value).toBe('{"a":"ok"}\n{"b":"\ufffd\ufffd("}\n{"c":"\ufffd"}');
    expect(r.warnings?.map((w) => [w.severity, w.at?.line, w.at?.offset])).toEqual([
      ['warning', 2, 17],
      ['warning', 3, 29],
    ]);
    expect(r.warnings?.[0]?.message).toBe(
      'not UTF-8: invalid byte sequence at byte offset 17 (line 2); read as U+FFFD',
    );
    const many = new Uint8Array(1000).map((_, i) => (i % 2 === 0 ? 0xff : 0x41));
    const capped = decodeBody(many, { maxBytes: MiB, invalidUtf8: 'replace' });
    expect(capped.ok && capped.warnings?.length).toBe(100);
  });

  it('reads UTF-16 with a BOM', () => {
    const le = Buffer.from('\ufeff{"u":"ü"}', 'utf16le');
    expect(text(decodeBody(le, { maxBytes: MiB }))).toBe('{"u":"ü"}');
  });
});

describe('firstInvalidUtf8', () => {
  const cases: [number[], number][] = [
    [[0x61, 0x62], -1],
    [[0xe2, 0x82, 0xac], -1], // €
    [[0xf0, 0x9f, 0x98, 0x80], -1], // 😀
    [[0x61, 0x80], 1], // lone continuation
    [[0xc0, 0xaf], 0], // overlong
    [[0xe0, 0x80, 0xaf], 0], // overlong 3-byte
    [[0xed, 0xa0, 0x80], 0], // surrogate
    [[0xf4, 0x90, 0x80, 0x80], 0], // above U+10FFFF
    [[0x61, 0x62, 0xe2, 0x82], 2], // cut off at the end
    [[0xff], 0],
  ];
  it.each(cases)('%j → %i, as the WHATWG decoder judges', (bytes, at) => {
    const b = new Uint8Array(bytes);
    expect(firstInvalidUtf8(b)).toBe(at);
    let valid = true;
    try {
      new TextDecoder('utf-8', { fatal: true }).decode(b);
    } catch {
      valid = false;
    }
    expect(valid).toBe(at === -1);
  });
});
