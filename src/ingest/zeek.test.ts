import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { Event, Issue } from '../core/index.ts';
import { readJson } from './json/read.ts';
import { readZeekTsv } from './zeek.ts';

const zed = fileURLToPath(
  new URL('../../../shared/data/datasets/zed-sample-data/', import.meta.url),
);

function collect(batches: Iterable<{ events: readonly Event[]; issues: readonly Issue[] }>): {
  events: Event[];
  issues: Issue[];
} {
  const all = [...batches];
  return { events: all.flatMap((b) => b.events), issues: all.flatMap((b) => b.issues) };
}

function tsv(text: string | Uint8Array, file = 'conn.log'): { events: Event[]; issues: Issue[] } {
  const bytes = typeof text === 'string' ? new TextEncoder().encode(text) : text;
  return collect(readZeekTsv(bytes, { file, tenant: 'acme' }));
}

describe('Zeek TSV reader', () => {
  for (const log of ['dns', 'ssl', 'smb_mapping', 'rdp', 'analyzer', 'dpd']) {
    it(`gives the same fields as Zeek's own JSON for ${log}`, () => {
      const fromTsv = tsv(
        lines(gunzipSync(readFileSync(`${zed}zeek-default/${log}.log.gz`)), 3008),
        `${log}.log`,
      );
      const fromJson = collect(
        readJson(lines(gunzipSync(readFileSync(`${zed}zeek-json/${log}.json.gz`)), 3000), {
          file: `${log}.json`,
          tenant: 'acme',
        }),
      );
      expect(fromTsv.issues).toEqual([]);
      expect(fromTsv.events.length).toBe(fromJson.events.length);
      expect(fromTsv.events.length).toBeGreaterThan(0);
      for (let i = 0; i < Math.min(2000, fromTsv.events.length); i++) {
        const a = fromTsv.events[i];
        const b = fromJson.events[i];
        expect(a?.source).toEqual({ product: 'zeek', service: log });
        expect(a?.source).toEqual(b?.source);
        expect(a?.ts).toBe(b?.ts);
        // Zeek's JSON writes times as ISO text and adds _path/_write_ts; everything else must agree
        expect(rounded(a?.fields ?? {}, ['ts'])).toEqual(
          rounded(b?.fields ?? {}, ['ts', '_path', '_write_ts']),
        );
      }
    });
  }

  it('reads types, unset and empty values, escapes and the header of the dns sample', () => {
    const { events } = tsv(gunzipSync(readFileSync(`${zed}zeek-default/dns.log.gz`)), 'x.log');
    expect(events[0]?.fields).toMatchObject({
      ts: 1521911720.865716,
      uid: 'CqKst53mF3det3eDV9',
      'id.orig_h': '10.47.1.100',
      'id.resp_p': 53,
      proto: 'udp',
      AA: false,
      RD: true,
      answers: ['ise.wrccdc.cpp.edu', '134.71.3.16'],
      TTLs: [2230, 41830],
    });
    expect(events[0]?.source).toEqual({ product: 'zeek', service: 'dns' });
    expect(events[0]?.origin).toEqual({
      file: 'x.log',
      format: 'zeek-tsv',
      recordId: 9,
      offset: 442,
    });
    const text = [
      '#separator \\x09',
      '#set_separator\t,',
      '#empty_field\t(empty)',
      '#unset_field\t-',
      '#fields\tts\turi\ttags\tnote',
      '#types\ttime\tstring\tset[string]\tstring',
      '1.5\t/a\\x09b\\\\c\\x00\t(empty)\t-',
      'garbage-with-too-few-columns',
    ].join('\n');
    const small = tsv(text, 'http.00:00:00-01:00:00.log');
    expect(small.events[0]?.fields).toEqual({ ts: 1.5, uri: '/a\tb\\c\\x00', tags: [] });
    expect(small.events[0]?.source).toEqual({ product: 'zeek', service: 'http' });
    expect(small.events[0]?.ts).toBe(1500);
    expect(small.issues.map((i) => [i.code, i.at?.line])).toEqual([['READ_BAD_LINE', 8]]);
  });
});

/** Fields without `drop`; Zeek's TSV writes intervals with 6 decimals, its JSON with all of them. */
function rounded(
  fields: Record<string, unknown>,
  drop: readonly string[],
): Record<string, unknown> {
  const round = (v: unknown): unknown =>
    typeof v === 'number' ? Math.round(v * 1e6) / 1e6 : Array.isArray(v) ? v.map(round) : v;
  return Object.fromEntries(
    Object.entries(fields)
      .filter(([k]) => !drop.includes(k))
      .map(([k, v]) => [k, round(v)]),
  );
}

/** The first `n` lines (enough to compare, small enough to keep the test fast). */
function lines(bytes: Uint8Array, n: number): Uint8Array {
  let end = 0;
  for (let i = 0; i < n && end !== -1; i++) {
    end = bytes.indexOf(10, end);
    if (end !== -1) end++;
  }
  return end === -1 ? bytes : bytes.subarray(0, end);
}
