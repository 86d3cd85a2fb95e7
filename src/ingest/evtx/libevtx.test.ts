/**
 * Second oracle: field values equal what libevtx's `evtxexport -f xml` prints for the same records,
 * up to its formatting (padded hex, braces on GUIDs, decimal size_t, 100 ns or ms times).
 * Skipped when evtxexport is not installed (Debian: libevtx-utils).
 */
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parseEvtx } from './index.ts';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const SAMPLES = path.resolve(repoRoot, '../shared/data/evtx/omerbenamram-evtx-samples/samples');
const installed = spawnSync('evtxexport', ['-h']).error === undefined;

function unescape(s: string): string {
  return s
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&apos;/g, "'")
    .replace(/&#x([0-9a-f]+);/gi, (_, h: string) => String.fromCodePoint(parseInt(h, 16)))
    .replace(/&#(\d+);/g, (_, d: string) => String.fromCodePoint(Number(d)))
    .replace(/&amp;/g, '&');
}

/** One spelling for both tools: hex and decimal integers as BigInt text, times to milliseconds. */
function normal(s: string): string {
  s = s.trimEnd();
  if (/^0x[0-9a-f]+$/i.test(s) || /^\d{1,20}$/.test(s)) return BigInt(s).toString();
  if (/^\{[0-9a-f-]{36}\}$/i.test(s)) return s.slice(1, -1).toUpperCase();
  const t = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3})\d*Z$/.exec(s);
  return t ? `${t[1] ?? ''}Z` : s;
}

describe.skipIf(!installed)('evtxexport agrees on every value', () => {
  const files = readdirSync(SAMPLES)
    .filter((f) => f.endsWith('.evtx'))
    .map((f) => path.join(SAMPLES, f));

  it('System fields and named Data of the omerbenamram samples', () => {
    let compared = 0;
    const wrong: string[] = [];
    for (const file of files) {
      const ours = new Map<number, Record<string, unknown>>();
      for (const b of parseEvtx(readFileSync(file), file)) {
        for (const e of b.events) ours.set(e.fields['EventRecordID'] as number, e.fields);
      }
      const xml = spawnSync('evtxexport', ['-f', 'xml', file], { maxBuffer: 1 << 30 }).stdout;
      for (const ev of xml.toString('utf8').split('<Event xmlns').slice(1)) {
        const fields = ours.get(Number(/<EventRecordID>(\d+)</.exec(ev)?.[1]));
        if (fields === undefined) continue;
        const pairs: [string, string | undefined][] = [
          ['EventID', /<EventID[^>]*>(\d+)</.exec(ev)?.[1]],
          ['Channel', /<Channel>([^<]*)</.exec(ev)?.[1]],
          ['Computer', /<Computer>([^<]*)</.exec(ev)?.[1]],
          ['Provider_Name', /<Provider Name="([^"]*)"/.exec(ev)?.[1]],
          ['Security_UserID', /<Security UserID="([^"]*)"/.exec(ev)?.[1]],
          ['Keywords', /<Keywords>([^<]*)</.exec(ev)?.[1]],
          ['TimeCreated_SystemTime', /SystemTime="([^"]*)"/.exec(ev)?.[1]],
        ];
        for (const m of ev.matchAll(/<Data Name="([^"]*)"(?:\/>|>([\s\S]*?)<\/Data>)/g)) {
          const name = unescape(m[1] ?? '');
          pairs.push([
            fields[`EventData.${name}`] === undefined ? name : `EventData.${name}`,
            m[2] ?? '',
          ]);
        }
        for (const [key, theirs] of pairs) {
          if (theirs === undefined) continue;
          const mine = fields[key];
          if (Array.isArray(mine)) continue;
          compared++;
          const a = normal(
            typeof mine === 'string' ? mine : mine == null ? '' : JSON.stringify(mine),
          );
          const b = normal(unescape(theirs));
          if (a !== b) wrong.push(`${path.basename(file)} ${key}: ${a} vs ${b}`);
        }
      }
    }
    expect(wrong.slice(0, 20)).toEqual([]);
    expect(compared).toBeGreaterThan(100_000);
  });
});
