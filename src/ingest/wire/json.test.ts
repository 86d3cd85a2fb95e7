import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseJsonRecords, parseJsonValue, syntaxError } from './json.ts';

function values(text: string): unknown[] {
  return parseJsonRecords(text).map((r) => r.value ?? r.issue?.code);
}

describe('parseJsonRecords', () => {
  it('reads NDJSON, with blank lines and CRLF', () => {
    const r = parseJsonRecords('{"a":1}\r\n\r\n{"b":"x\\"}"}\n{"c":[1,{"d":2}]}\n');
    expect(r).toEqual([
      { line: 1, value: { a: 1 }, raw: '{"a":1}' },
      { line: 3, value: { b: 'x"}' }, raw: '{"b":"x\\"}"}' },
      { line: 4, value: { c: [1, { d: 2 }] }, raw: '{"c":[1,{"d":2}]}' },
    ]);
  });

  it('reads a JSON array of objects, one object, concatenated and pretty-printed objects', () => {
    expect(values('[{"a":1}, {"b":2}]')).toEqual([{ a: 1 }, { b: 2 }]);
    expect(values('  {"only": true}  ')).toEqual([{ only: true }]);
    expect(values('{"a":1}{"b":2} {"c":3}')).toEqual([{ a: 1 }, { b: 2 }, { c: 3 }]);
    const pretty = '[\n  {\n    "a": 1\n  },\n  {\n    "b": 2\n  }\n]\n';
    expect(parseJsonRecords(pretty).map((r) => r.line)).toEqual([2, 5]);
  });

  it('unwraps {"Records": [...]} as CloudTrail delivers it (those records have no raw text)', () => {
    const r = parseJsonRecords('{"Records":[{"eventName":"A"},{"eventName":"B"}]}');
    expect(r).toEqual([
      { line: 1, value: { eventName: 'A' } },
      { line: 1, value: { eventName: 'B' } },
    ]);
  });

  it('reports a malformed record with its line and column and keeps the others', () => {
    const r = parseJsonRecords('{"a":1}\n{"b":2,, "c":3}\n{"d":4}\n');
    expect(r[0]).toMatchObject({ line: 1, value: { a: 1 } });
    expect(r[1]?.issue).toMatchObject({
      code: 'READ_BAD_JSON',
      at: { file: 'request body', line: 2, col: 8 },
    });
    expect(r[1]?.issue?.message).toContain('expected a property name');
    expect(r[2]).toMatchObject({ line: 3, value: { d: 4 } });
  });

  it('locates faults on later lines of a pretty-printed record', () => {
    const r = parseJsonRecords('{\n  "a": 1,\n  "b": tru\n}\n{"ok":1}');
    expect(r[0]?.issue?.at).toMatchObject({ line: 3, col: 8 });
    expect(r[1]?.value).toEqual({ ok: 1 });
  });

  it('recovers from an unclosed record when the next starts in column 0', () => {
    const r = parseJsonRecords('{"a": {"b": 1}\n{"c": 2}\n');
    expect(r[0]?.issue?.code).toBe('READ_BAD_JSON');
    expect(r[1]).toMatchObject({ line: 2, value: { c: 2 } });
  });

  it('recovers from a string that runs into a line break', () => {
    const r = parseJsonRecords('{"a": "unterminated}\n{"c": 2}\n');
    expect(r.map((x) => x.value ?? x.issue?.code)).toEqual(['READ_BAD_JSON', { c: 2 }]);
  });

  it('recovers inside a pretty-printed array without reporting the broken element twice', () => {
    const text = '[\n  {"a": "bad\n  },\n  {"b": 1},\n  {"c": 2}\n]\n{"d": 3}\n';
    expect(parseJsonRecords(text).map((x) => x.value ?? x.issue?.code)).toEqual([
      'READ_BAD_JSON',
      { b: 1 },
      { c: 2 },
      { d: 3 },
    ]);
  });

  it('reports text outside values and non-object values', () => {
    const r = parseJsonRecords('hello world\n{"a":1}\n[1, {"b":2}, "s"]\n');
    expect(r.map((x) => x.value ?? x.issue?.code)).toEqual([
      'READ_BAD_JSON',
      { a: 1 },
      'READ_BAD_JSON',
      { b: 2 },
      'READ_BAD_JSON',
    ]);
    expect(r[0]?.issue?.message).toContain('hello world');
    expect(r[2]?.issue?.message).toContain('not an object');
  });

  it('rejects a record deeper than maxDepth (INGEST_TOO_DEEP) and keeps its neighbours', () => {
    const deep = (n: number): string => '{"x":'.repeat(n - 1) + '{}' + '}'.repeat(n - 1);
    const r = parseJsonRecords(`${deep(64)}\n${deep(65)}\n{"after":1}`);
    expect(r[0]?.value).toBeDefined();
    expect(r[1]?.issue).toMatchObject({ code: 'INGEST_TOO_DEEP', at: { line: 2 } });
    expect(r[2]?.value).toEqual({ after: 1 });
    expect(parseJsonRecords(deep(3), { maxDepth: 2 })[0]?.issue?.code).toBe('INGEST_TOO_DEEP');
  });

  it('survives 10,000-deep nesting of objects and arrays without a stack overflow', () => {
    const objects = '{"a":'.repeat(10_000) + '1' + '}'.repeat(10_000);
    const arrays = '['.repeat(10_000) + ']'.repeat(10_000);
    const r = parseJsonRecords(`${objects}\n${arrays}\n{"z":1}`);
    expect(r.map((x) => x.value ?? x.issue?.code)).toEqual([
      'INGEST_TOO_DEEP',
      'INGEST_TOO_DEEP',
      { z: 1 },
    ]);
    // unbalanced deep input: never closes
    expect(parseJsonRecords('{"a":'.repeat(10_000))[0]?.issue?.code).toBe('READ_BAD_JSON');
    // with the limit lifted, the grammar checker (no recursion) still locates faults
    const broken = '[{"a":'.repeat(10_000) + 'x';
    expect(syntaxError(broken, 0, broken.length)?.at).toBe(broken.length - 1);
  });

  it('reads 100 MB of NDJSON in bounded time', () => {
    const line = JSON.stringify({
      '@timestamp': '2024-07-01T10:00:00Z',
      host: { name: 'ws-01' },
      message: 'x'.repeat(150),
      nested: { a: [1, 2, 3], b: { c: 'd' } },
    });
    const count = Math.ceil(100e6 / (line.length + 1));
    const text = `${line}\n`.repeat(count);
    const t = performance.now();
    const r = parseJsonRecords(text);
    const ms = performance.now() - t;
    expect(r.length).toBe(count);
    expect(r[count - 1]?.value).toBeDefined();
    expect(ms).toBeLessThan(20_000);
    console.log(`parseJsonRecords: ${(text.length / 1e6).toFixed(0)} MB in ${ms.toFixed(0)} ms`);
    // the same records as one single-line JSON array
    const array = `[${text.slice(0, -1).replaceAll('\n', ',')}]`;
    const t2 = performance.now();
    const a = parseJsonRecords(array);
    expect(a.length).toBe(count);
    console.log(`as one array: ${(performance.now() - t2).toFixed(0)} ms`);
  });

  it('agrees with JSON.parse on which NDJSON lines are valid (property)', () => {
    const value = fc.jsonValue({ maxDepth: 5 });
    const lineArb = fc.oneof(
      fc.dictionary(fc.string(), value).map((o) => JSON.stringify(o)),
      fc.string().filter((s) => !s.includes('\n')),
    );
    fc.assert(
      fc.property(fc.array(lineArb, { maxLength: 6 }), (lines) => {
        const r = parseJsonRecords(lines.join('\n'));
        const ok = r.filter((x) => x.value !== undefined).map((x) => x.value);
        const expected = lines
          .map((l) => {
            try {
              return JSON.parse(l) as unknown;
            } catch {
              return undefined;
            }
          })
          .filter(
            (v): v is Record<string, unknown> =>
              typeof v === 'object' && v !== null && !Array.isArray(v),
          );
        // a line that is a valid object is never lost or changed
        for (const e of expected) expect(ok).toContainEqual(e);
      }),
      { numRuns: 300 },
    );
  });
});

describe('syntaxError', () => {
  it('finds nothing in valid JSON and the first fault in invalid JSON', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (v) => {
        const s = JSON.stringify(v);
        expect(syntaxError(s, 0, s.length)).toBeUndefined();
      }),
    );
    const cases: [string, number][] = [
      ['{"a" 1}', 5],
      ['[1 2]', 3],
      ['{"a":01}', 6],
      ['{"a":"\\x"}', 6],
      ['{"a":1}}', 7],
      ['', 0],
    ];
    for (const [s, at] of cases) expect(syntaxError(s, 0, s.length)?.at).toBe(at);
  });
});

describe('parseJsonValue', () => {
  it('parses one value with a depth check and located errors', () => {
    expect(parseJsonValue('{"a":[1]}').value).toEqual({ a: [1] });
    expect(parseJsonValue('xx{"a":1}yy', { start: 2, end: 9 }).value).toEqual({ a: 1 });
    expect(parseJsonValue('[[[1]]]', { maxDepth: 2 }).issue?.code).toBe('INGEST_TOO_DEEP');
    expect(parseJsonValue('{"a":}', { line: 7 }).issue).toMatchObject({
      code: 'READ_BAD_JSON',
      at: { line: 7, col: 6 },
    });
    expect(parseJsonValue('["{[{[", "]"]', { maxDepth: 1 }).value).toEqual(['{[{[', ']']);
  });
});
