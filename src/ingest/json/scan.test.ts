import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { flatten } from './flatten.ts';
import { readJson } from './read.ts';
import { scanJson } from './scan.ts';

const key = fc.stringMatching(/^k[a-z_]{0,6}$/);
const leaf = fc.oneof(
  fc.string({ unit: 'grapheme' }),
  fc.integer(),
  fc.boolean(),
  fc.constant(null),
  fc.constantFrom('a\\b', 'quote " inside', '{not a brace}', '[', '\n', 'é ✓ 𝄞'),
);
const value = fc.letrec((tie) => ({
  value: fc.oneof({ depthSize: 'small' }, leaf, tie('object'), fc.array(leaf, { maxLength: 3 })),
  object: fc.dictionary(key, tie('value'), { maxKeys: 4 }),
})).object;

/** A record as it appears in a file, and whether it was cut short. */
const record = fc.record({
  doc: fc.dictionary(key, value, { minKeys: 1, maxKeys: 5 }),
  pretty: fc.boolean(),
  cutAt: fc.option(fc.double({ min: 0, max: 0.999, noNaN: true }), { freq: 4 }),
});

describe('JSON scanner (property)', () => {
  it('reads every intact record and reports each cut one once, whatever the framing', () => {
    fc.assert(
      fc.property(fc.array(record, { minLength: 1, maxLength: 8 }), (records) => {
        const texts = records.map((r) => {
          const full = r.pretty ? JSON.stringify(r.doc, null, 2) : JSON.stringify(r.doc);
          return r.cutAt === null
            ? full
            : full.slice(0, Math.max(1, Math.floor(full.length * r.cutAt)));
        });
        const bytes = new TextEncoder().encode(`${texts.join('\n')}\n`);
        const batches = [...readJson(bytes, { file: 'p.json', tenant: 't' })];
        const events = batches.flatMap((b) => b.events);
        const issues = batches.flatMap((b) => b.issues);
        const intact = records.filter((r) => r.cutAt === null);
        expect(events.map((e) => e.fields)).toEqual(intact.map((r) => flatten(r.doc)));
        expect(issues).toHaveLength(records.length - intact.length);
        // every event and issue points at the line its record starts on
        const starts: number[] = [];
        let line = 1;
        for (const t of texts) {
          starts.push(line);
          line += t.split('\n').length;
        }
        expect(events.map((e) => e.origin.recordId)).toEqual(
          starts.filter((_, i) => records[i]?.cutAt === null),
        );
        expect(issues.map((i) => i.at?.line)).toEqual(
          starts.filter((_, i) => records[i]?.cutAt !== null),
        );
      }),
      { numRuns: 300 },
    );
  });

  it('gives the same spans in one pass whatever follows a record', () => {
    const text = '{"a":"}"}{"b":"\\""}\n[{"c":[1,{"d":2}]},{"e":3}]\n';
    const spans = [...scanJson(new TextEncoder().encode(text))].map((s) =>
      s.kind === 'record' ? text.slice(s.start, s.end) : s.kind,
    );
    expect(spans).toEqual(['{"a":"}"}', '{"b":"\\""}', '{"c":[1,{"d":2}]}', '{"e":3}']);
  });
});
