/** Hostile input: truncated, corrupted and random bytes never throw, never hang, and keep what is good. */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Event, Issue } from '../../core/index.ts';
import { evtxChunks, parseEvtx } from './index.ts';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const SECURITY = path.resolve(
  repoRoot,
  '../shared/data/evtx/omerbenamram-evtx-samples/samples/security.evtx',
);
const original = readFileSync(SECURITY);

function read(bytes: Uint8Array): { events: Event[]; issues: Issue[] } {
  const events: Event[] = [];
  const issues: Issue[] = [];
  for (const b of parseEvtx(bytes, 'x.evtx')) {
    events.push(...b.events);
    issues.push(...b.issues);
  }
  return { events, issues };
}

const full = read(original);
const codes = (issues: readonly Issue[]): string[] => [...new Set(issues.map((i) => i.code))];

describe('damaged copies of security.evtx', () => {
  it('is intact to begin with', () => {
    expect(full.events).toHaveLength(2261);
    expect(full.issues).toEqual([]);
  });

  it('reads bytes that sit at an offset inside a larger buffer', () => {
    const big = new Uint8Array(original.length + 13);
    big.set(original, 13);
    const { events, issues } = read(big.subarray(13));
    expect(issues).toEqual([]);
    expect(events.map((e) => e.fields)).toEqual(full.events.map((e) => e.fields));
  });

  it('truncated anywhere: no throw, a truncation issue, whole chunks kept', () => {
    const firstChunk = read(original.subarray(0, 4096 + 65536)).events.length;
    for (const size of [
      0,
      10,
      127,
      4095,
      4096,
      4096 + 511,
      4096 + 512,
      4096 + 30000,
      4096 + 65536 + 700,
    ]) {
      const { events, issues } = read(original.subarray(0, size));
      expect(issues.length, `size ${size}`).toBeGreaterThan(0);
      expect(codes(issues), `size ${size}`).toContain('EVTX_TRUNCATED');
      if (size > 4096 + 65536) expect(events.length).toBeGreaterThanOrEqual(firstChunk);
      expect(events.length).toBeLessThanOrEqual(full.events.length);
    }
  });

  it('a broken file header is reported and every record is still read', () => {
    const copy = Uint8Array.from(original);
    copy[0] = 0x58;
    const { events, issues } = read(copy);
    expect(issues[0]).toMatchObject({
      code: 'EVTX_BAD_FILE_HEADER',
      severity: 'error',
      at: { offset: 0 },
    });
    expect(events).toHaveLength(2261);
  });

  it('chunks beyond the count in the file header are read too', () => {
    const copy = Uint8Array.from(original);
    copy[42] = 1;
    copy[43] = 0;
    const { events, issues } = read(copy);
    expect(issues.map((i) => i.code)).toEqual(['EVTX_BAD_FILE_HEADER']); // its checksum no longer fits
    expect(events).toHaveLength(2261);
    expect(evtxChunks(copy, 'x').chunkOffsets).toEqual(evtxChunks(original, 'x').chunkOffsets);
  });

  it('a chunk without its signature is recovered record by record', () => {
    const copy = Uint8Array.from(original);
    copy.fill(0, 4096 + 65536, 4096 + 65536 + 8);
    const { events, issues } = read(copy);
    expect(issues).toContainEqual(
      expect.objectContaining({
        code: 'EVTX_BAD_CHUNK_HEADER',
        at: { file: 'x.evtx', offset: 69632, chunk: 1 },
      }),
    );
    expect(events.map((e) => e.fields)).toEqual(full.events.map((e) => e.fields));
  });

  it('a bad checksum is a warning; the chunk is still read', () => {
    const copy = Uint8Array.from(original);
    copy[4096 + 52] = (copy[4096 + 52] ?? 0) ^ 0xff;
    const { events, issues } = read(copy);
    // Byte 52 holds the records checksum and is itself covered by the header checksum.
    expect(issues.map((i) => `${i.code}:${i.severity}:${i.message}`)).toEqual([
      'EVTX_BAD_CHUNK_CHECKSUM:warning:chunk header checksum mismatch',
      'EVTX_BAD_CHUNK_CHECKSUM:warning:chunk records checksum mismatch',
    ]);
    expect(events).toHaveLength(2261);
  });

  it('a broken token in one record costs that record only', () => {
    const copy = Uint8Array.from(original);
    const fifth = full.events[4]!;
    const at = (fifth.origin.offset ?? 0) + 24 + 4; // after the fragment header: the 0x0c token
    expect(copy[at]).toBe(0x0c);
    copy[at] = 0xff;
    const { events, issues } = read(copy);
    const bad = issues.filter((i) => i.code === 'EVTX_BAD_BINXML');
    expect(bad).toHaveLength(1);
    expect(bad[0]?.at).toMatchObject({
      record: fifth.origin.recordId,
      offset: fifth.origin.offset,
      chunk: 0,
    });
    expect(events).toHaveLength(2260);
  });

  it('random byte changes in a chunk never throw or hang', () => {
    const base = original.subarray(0, 4096 + 65536);
    fc.assert(
      fc.property(
        fc.array(
          fc.tuple(
            fc.integer({ min: 4096, max: base.length - 1 }),
            fc.integer({ min: 0, max: 255 }),
          ),
          {
            minLength: 1,
            maxLength: 40,
          },
        ),
        (edits) => {
          const copy = Uint8Array.from(base);
          for (const [i, v] of edits) copy[i] = v;
          const { events } = read(copy);
          expect(events.length).toBeLessThanOrEqual(200);
        },
      ),
      { numRuns: 150 },
    );
  });

  it('any chunk offsets a caller passes are safe', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.oneof(
            fc.integer({ min: -70000, max: original.length + 70000 }),
            fc.constantFrom(Number.NaN, 0.5, Infinity, -0, 2 ** 60),
          ),
          { maxLength: 6 },
        ),
        (offsets) => {
          const events = [...parseEvtx(original, 'x', { chunkOffsets: offsets })].flatMap(
            (b) => b.events,
          );
          for (const e of events) expect(e.origin.offset).toBeGreaterThanOrEqual(4096);
        },
      ),
      { numRuns: 100 },
    );
  });

  it('random bytes behind valid signatures never throw', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 0, maxLength: 70000 }), (junk) => {
        const bytes = new Uint8Array(4096 + Math.max(junk.length, 600));
        bytes.set(original.subarray(0, 4096));
        bytes.set(junk, 4096);
        bytes.set(original.subarray(4096, 4104), 4096);
        expect(() => read(bytes)).not.toThrow();
        expect(() => evtxChunks(bytes, 'x')).not.toThrow();
      }),
      { numRuns: 100 },
    );
  });
});

/** A one-chunk EVTX file holding one record whose BinXML is `binxml` (offsets are chunk-relative). */
function fileWith(binxml: number[]): Uint8Array {
  const bytes = new Uint8Array(4096 + 65536);
  bytes.set(original.subarray(0, 4096));
  const c = 4096;
  bytes.set(original.subarray(c, c + 8), c);
  const size = 24 + binxml.length + 4;
  const v = new DataView(bytes.buffer);
  v.setUint32(c + 48, 512 + size, true);
  const r = c + 512;
  bytes.set([0x2a, 0x2a, 0, 0], r);
  v.setUint32(r + 4, size, true);
  v.setUint32(r + 8, 1, true);
  bytes.set(binxml, r + 24);
  v.setUint32(r + size - 4, size, true);
  return bytes;
}

function u32le(n: number): number[] {
  return [n & 0xff, (n >>> 8) & 0xff, (n >>> 16) & 0xff, n >>> 24];
}

describe('crafted BinXML', () => {
  it('a template that instantiates itself is an error, not a hang', () => {
    // Record BinXML starts at chunk offset 512 + 24 = 536; the inline definition follows the
    // 10-byte instance header at 536 + 4 + 10 = 550.
    const def = 550;
    const body = [0x0f, 1, 1, 0, 0x0c, 1, ...u32le(7), ...u32le(def), ...u32le(0), 0x00];
    const binxml = [
      0x0f,
      1,
      1,
      0,
      0x0c,
      1,
      ...u32le(7),
      ...u32le(def),
      ...u32le(0),
      ...new Array<number>(16).fill(0),
      ...u32le(body.length),
      ...body,
      ...u32le(0),
      0x00,
    ];
    const { events, issues } = read(fileWith(binxml));
    expect(events).toEqual([]);
    const bad = issues.find((i) => i.code === 'EVTX_BAD_BINXML');
    expect(bad?.at?.record).toBe(1);
    expect(bad?.message).toMatch(/refers to itself/);
  });

  it('deeply nested elements hit a limit instead of the stack', () => {
    const open = [0x01, ...u32le(0), ...u32le(1000)];
    const binxml = [0x0f, 1, 1, 0];
    for (let i = 0; i < 3000; i++) binxml.push(...open, 0x02);
    binxml.push(0x00);
    const { issues } = read(fileWith(binxml));
    expect(issues.map((i) => i.code)).toContain('EVTX_BAD_BINXML');
  });

  it('an absurd substitution count is refused without allocating it', () => {
    const binxml = [
      0x0f,
      1,
      1,
      0,
      0x0c,
      1,
      ...u32le(1),
      ...u32le(0x226),
      ...u32le(0xffffffff),
      0x00,
    ];
    const { issues } = read(fileWith(binxml));
    expect(issues.map((i) => i.code)).toContain('EVTX_BAD_BINXML');
  });
});
