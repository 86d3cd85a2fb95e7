/** BinXML tokens the real samples rarely hold (CDATA, references, PIs, nested fragments, arrays), built by hand. */
import { describe, expect, it } from 'vitest';
import { parseEvtx } from './index.ts';
import { VT } from './values.ts';

const RECORD = 512; // chunk-relative offset of the only record
const BINXML = RECORD + 24;

/** Writes BinXML tokens; names are written inline, which needs the chunk-relative position. */
class Writer {
  readonly bytes: number[] = [];
  constructor(private readonly base: number) {}
  get pos(): number {
    return this.base + this.bytes.length;
  }
  u8(v: number): this {
    this.bytes.push(v & 0xff);
    return this;
  }
  u16(v: number): this {
    return this.u8(v).u8(v >>> 8);
  }
  u32(v: number): this {
    return this.u16(v & 0xffff).u16(v >>> 16);
  }
  chars(s: string): this {
    for (let i = 0; i < s.length; i++) this.u16(s.charCodeAt(i));
    return this;
  }
  patch32(at: number, v: number): void {
    const i = at - this.base;
    this.bytes.splice(i, 4, v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, v >>> 24);
  }
  name(s: string): this {
    return this.u32(this.pos + 4)
      .u32(0)
      .u16(0)
      .u16(s.length)
      .chars(s)
      .u16(0);
  }
  /** A start element whose name was written earlier, at chunk-relative `nameAt`. */
  openShared(nameAt: number): this {
    return this.u8(0x01).u16(0xffff).u32(0).u32(nameAt);
  }
  open(name: string, template: boolean, attrs = false): this {
    this.u8(attrs ? 0x41 : 0x01);
    if (template) this.u16(0xffff);
    this.u32(0).name(name);
    return attrs ? this.u32(0) : this;
  }
  attr(name: string): this {
    return this.u8(0x06).name(name);
  }
  text(s: string): this {
    return this.u8(0x05).u8(VT.STRING).u16(s.length).chars(s);
  }
  sub(index: number, type: number, optional = true): this {
    return this.u8(optional ? 0x0e : 0x0d)
      .u16(index)
      .u8(type);
  }
  fragment(): this {
    return this.u8(0x0f).u8(1).u8(1).u8(0);
  }
}

/** One record: a template instance whose definition (written by `body`) is inline. */
function record(body: (w: Writer) => void, values: [type: number, bytes: number[]][]): Uint8Array {
  const w = new Writer(BINXML);
  w.fragment().u8(0x0c).u8(1).u32(1);
  w.u32(w.pos + 4); // definition offset: right here, inline
  w.u32(0);
  for (let i = 0; i < 16; i++) w.u8(i);
  const sizeAt = w.pos;
  w.u32(0);
  const start = w.pos;
  w.fragment();
  body(w);
  w.u8(0x00);
  w.patch32(sizeAt, w.pos - start);
  w.u32(values.length);
  for (const [type, bytes] of values) w.u16(bytes.length).u8(type).u8(0);
  for (const [, bytes] of values) for (const b of bytes) w.u8(b);
  w.u8(0x00);
  return file(w.bytes);
}

function file(binxml: number[]): Uint8Array {
  const bytes = new Uint8Array(4096 + 65536);
  bytes.set([0x45, 0x6c, 0x66, 0x46, 0x69, 0x6c, 0x65, 0x00]);
  const v = new DataView(bytes.buffer);
  v.setUint16(42, 1, true);
  const c = 4096;
  bytes.set([0x45, 0x6c, 0x66, 0x43, 0x68, 0x6e, 0x6b, 0x00], c);
  const size = 24 + binxml.length + 4;
  v.setUint32(c + 48, RECORD + size, true);
  const r = c + RECORD;
  bytes.set([0x2a, 0x2a, 0, 0], r);
  v.setUint32(r + 4, size, true);
  v.setUint32(r + 8, 42, true);
  bytes.set(binxml, r + 24);
  v.setUint32(r + size - 4, size, true);
  return bytes;
}

function utf16(s: string): number[] {
  const out: number[] = [];
  for (let i = 0; i < s.length; i++) out.push(s.charCodeAt(i) & 0xff, s.charCodeAt(i) >> 8);
  return out;
}

function le(n: bigint, width: number): number[] {
  const out: number[] = [];
  for (let i = 0; i < width; i++) out.push(Number((n >> BigInt(i * 8)) & 0xffn));
  return out;
}

function fieldsOf(bytes: Uint8Array): Record<string, unknown> {
  const batches = [...parseEvtx(bytes, 'crafted.evtx')];
  const issues = batches
    .flatMap((b) => b.issues)
    .filter((i) => i.code !== 'EVTX_BAD_CHUNK_CHECKSUM' && i.code !== 'EVTX_BAD_FILE_HEADER');
  expect(issues).toEqual([]);
  const events = batches.flatMap((b) => b.events);
  expect(events).toHaveLength(1);
  return { ...events[0]?.fields };
}

describe('crafted templates', () => {
  it('renders references, CDATA, PIs, typed values, empties, arrays and nested fragments', () => {
    // Nested fragment (substitution type 0x21): plain elements, no dependency identifiers.
    const build = (nestedBase: number): number[] => {
      const n = new Writer(nestedBase);
      n.fragment()
        .open('Data', false, true)
        .attr('Name')
        .text('Nested')
        .u8(0x02)
        .text('inner')
        .u8(0x04);
      n.u8(0x00);
      return n.bytes;
    };
    const body = (w: Writer): void => {
      w.open('Event', true).u8(0x02);
      w.open('System', true).u8(0x02);
      w.open('Provider', true, true).attr('Name').sub(0, VT.STRING).u8(0x03);
      w.open('EventID', true, true)
        .attr('Qualifiers')
        .sub(1, VT.UINT16)
        .u8(0x02)
        .sub(2, VT.UINT16)
        .u8(0x04);
      w.open('TimeCreated', true, true).attr('SystemTime').sub(3, VT.FILETIME).u8(0x03);
      w.open('Channel', true).u8(0x02).text('A ').u8(0x09).name('amp').text(' B ');
      w.u8(0x07).u16(3).chars('<x>').u8(0x08).u16(0x41);
      w.u8(0x0a).name('target').u8(0x0b).u16(2).chars('pi').u8(0x04);
      w.u8(0x04); // </System>
      w.open('EventData', true).u8(0x02);
      for (const [i, n, t] of [
        [4, 'Empty', VT.STRING],
        [5, 'Hex', VT.HEXINT64],
        [6, 'Guid', VT.GUID],
        [7, 'List', VT.STRING | VT.ARRAY],
        [8, 'Signed', VT.INT32],
        [9, 'Flag', VT.BOOL],
      ] as const) {
        w.open('Data', true, true).attr('Name').text(n).u8(0x02).sub(i, t).u8(0x04);
      }
      w.sub(10, VT.BINXML);
      w.u8(0x04); // </EventData>
      w.u8(0x04); // </Event>
    };
    // Lay the record out once to learn where value 10 lands, then build it for real.
    const values = (nested: number[]): [number, number[]][] => [
      [VT.STRING, utf16('Prov')],
      [VT.UINT16, le(16384n, 2)],
      [VT.UINT16, le(4624n, 2)],
      [VT.FILETIME, le(131124751716816406n, 8)],
      [VT.NULL, []],
      [VT.HEXINT64, le(0x3e7n, 8)],
      [
        VT.GUID,
        [
          0x25, 0x96, 0x84, 0x54, 0x78, 0x54, 0x94, 0x49, 0xa5, 0xba, 0x3e, 0x3b, 0x03, 0x28, 0xc3,
          0x0d,
        ],
      ],
      [VT.STRING | VT.ARRAY, utf16('x\0y\0')],
      [VT.INT32, le(-5n & 0xffffffffn, 4)],
      [VT.BOOL, le(1n, 4)],
      [VT.BINXML, nested],
    ];
    const probe = record(body, values(build(0)));
    const nestedLength = build(0).length;
    // Value 10 is the last value, right before the final EOF token.
    const r = 4096 + RECORD;
    const size = new DataView(probe.buffer).getUint32(r + 4, true);
    const nestedBase = RECORD + size - 4 - 1 - nestedLength;
    const fields = fieldsOf(record(body, values(build(nestedBase))));
    expect(fields).toEqual({
      Provider_Name: 'Prov',
      EventID: 4624,
      EventID_Qualifiers: 16384,
      TimeCreated_SystemTime: '2016-07-08T18:12:51.681640Z',
      Channel: 'A & B <x>A',
      Empty: '',
      Hex: '0x3e7',
      Guid: '54849625-5478-4994-A5BA-3E3B0328C30D',
      List: ['x', 'y'],
      Signed: -5,
      Flag: true,
      Nested: 'inner',
    });
  });

  it('unnamed Data become one Data list; UserData leaves keep their own names', () => {
    const body = (w: Writer): void => {
      w.open('Event', true).u8(0x02);
      w.open('System', true).u8(0x02);
      w.open('EventID', true).u8(0x02).sub(0, VT.UINT16).u8(0x04);
      w.open('Channel', true).u8(0x02).text('System').u8(0x04);
      w.u8(0x04);
      w.open('EventData', true).u8(0x02);
      w.open('Data', true).u8(0x02).sub(1, VT.STRING).u8(0x04);
      w.open('Data', true).u8(0x02).sub(2, VT.STRING).u8(0x04);
      w.open('Binary', true).u8(0x02).sub(3, VT.BINARY).u8(0x04);
      w.u8(0x04);
      w.open('UserData', true).u8(0x02);
      w.open('LogFileCleared', true, true).attr('xmlns').text('urn:x').u8(0x02);
      w.open('SubjectUserName', true).u8(0x02).sub(4, VT.STRING).u8(0x04);
      w.open('Channel', true).u8(0x02).text('Security').u8(0x04);
      w.open('Flags', true, true).attr('Set').text('yes').u8(0x03);
      w.u8(0x04).u8(0x04);
      w.u8(0x04);
    };
    const fields = fieldsOf(
      record(body, [
        [VT.UINT16, le(104n, 2)],
        [VT.STRING, utf16('one')],
        [VT.STRING, utf16('')],
        [VT.BINARY, [0xca, 0xfe]],
        [VT.STRING, utf16('admin')],
      ]),
    );
    expect(fields).toEqual({
      EventID: 104,
      Channel: 'System',
      Data: ['one', ''],
      Binary: 'CAFE',
      SubjectUserName: 'admin',
      'UserData.Channel': 'Security',
      Flags_Set: 'yes',
    });
  });

  it('a record that would expand exponentially is refused, quickly', () => {
    // Template B: 200 empty <X/> elements. Template A: 1,000 instances of B. One record: A.
    const w = new Writer(BINXML);
    w.fragment().u8(0x0c).u8(1).u32(1);
    w.u32(w.pos + 4);
    w.u32(0);
    for (let i = 0; i < 16; i++) w.u8(1);
    const sizeA = w.pos;
    w.u32(0);
    const startA = w.pos;
    w.fragment().open('A', true).u8(0x02);
    // First instance of B carries B's definition inline.
    w.u8(0x0c).u8(1).u32(2);
    const defB = w.pos + 4;
    w.u32(defB).u32(0);
    for (let i = 0; i < 16; i++) w.u8(2);
    const sizeB = w.pos;
    w.u32(0);
    const startB = w.pos;
    w.fragment().open('B', true).u8(0x02);
    const nameAt = w.pos + 1 + 2 + 4 + 4;
    w.open('X', true).u8(0x03);
    for (let i = 1; i < 200; i++) w.openShared(nameAt).u8(0x03);
    w.u8(0x04).u8(0x00);
    w.patch32(sizeB, w.pos - startB);
    w.u32(0);
    for (let i = 1; i < 1000; i++) w.u8(0x0c).u8(1).u32(2).u32(defB).u32(0);
    w.u8(0x04).u8(0x00);
    w.patch32(sizeA, w.pos - startA);
    w.u32(0).u8(0x00);
    const started = performance.now();
    const batches = [...parseEvtx(file(w.bytes), 'bomb.evtx')];
    expect(performance.now() - started).toBeLessThan(2000);
    const bad = batches.flatMap((b) => b.issues).find((i) => i.code === 'EVTX_BAD_BINXML');
    expect(bad?.message).toMatch(/more than 50000 elements/);
    expect(batches.flatMap((b) => b.events)).toEqual([]);
  });
});
