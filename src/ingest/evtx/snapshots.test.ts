/** Compares records with the evtx crate's own JSON snapshots (omerbenamram-evtx-samples/tests/snapshots). */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { Event } from '../../core/index.ts';
import { parseEvtx } from './index.ts';
import { flattenCrateJson } from './oracle.ts';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const SAMPLES = path.resolve(repoRoot, '../shared/data/evtx/omerbenamram-evtx-samples');

/** The JSON body of an insta snapshot (after its `---` front matter). */
function snapshot(name: string): unknown {
  const text = readFileSync(path.join(SAMPLES, 'tests/snapshots', name), 'utf8');
  return JSON.parse(text.slice(text.indexOf('{')));
}

/** Rewrites `--separate-json-attributes` output (`X_attributes` keys) into the `#attributes` shape. */
function joinAttributes(v: unknown): unknown {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) return v;
  const src = v as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(src)) {
    if (k.endsWith('_attributes')) continue;
    out[k] = joinAttributes(x);
  }
  for (const [k, x] of Object.entries(src)) {
    if (!k.endsWith('_attributes')) continue;
    const name = k.slice(0, -'_attributes'.length);
    const text = out[name];
    if (text === undefined || text === null) out[name] = { '#attributes': x };
    else if (typeof text === 'object' && !Array.isArray(text)) {
      out[name] = { '#attributes': x, ...(text as Record<string, unknown>) };
    } else out[name] = { '#attributes': x, '#text': text };
  }
  return out;
}

/**
 * Vigil's two deliberate departures from the crate's JSON: System numbers that a forwarder wrote as
 * text are numbers, and repeated sibling elements (`Header`, `Header_1`, … in the crate) are one
 * array under the element's own name.
 */
function vigilShape(flat: Record<string, unknown>, mergeRepeats: boolean): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(flat)) {
    const key = mergeRepeats ? k.replace(/_\d+(?=_|$)/, '') : k;
    const old = out[key];
    out[key] = old === undefined ? v : ([] as unknown[]).concat(old, v);
  }
  for (const k of NUMERIC) {
    const v = out[k];
    if (typeof v === 'string' && /^\d+$/.test(v)) out[k] = Number(v);
  }
  if (mergeRepeats) for (const v of Object.values(out)) if (Array.isArray(v)) v.sort();
  return out;
}

const NUMERIC = [
  'EventID',
  'EventID_Qualifiers',
  'Level',
  'Task',
  'Opcode',
  'Version',
  'EventRecordID',
];

function record(file: string, pick: (e: Event, i: number) => boolean): Event {
  const f = path.join(SAMPLES, 'samples', file);
  const events = [...parseEvtx(readFileSync(f), f)].flatMap((b) => b.events);
  const e = events.find(pick);
  if (e === undefined) throw new Error(`no such record in ${file}`);
  return e;
}

const CASES: [snapshot: string, file: string, pick: (e: Event, i: number) => boolean][] = [
  ['test_record_samples__event_json_sample.snap', 'security.evtx', (_e, i) => i === 0],
  [
    'test_record_samples__event_json_sample_with_event_data_with_attributes_and_text.snap',
    'system.evtx',
    (_e, i) => i === 0,
  ],
  [
    'test_record_samples__event_json_with_size_t.snap',
    'Security_with_size_t.evtx',
    (e) => e.origin.recordId === 196,
  ],
  [
    'test_record_samples__event_json_missing_string_cache_entry.snap',
    'security_bad_string_cache.evtx',
    (_e, i) => i === 0,
  ],
  [
    'test_record_samples__event_json_multiple_empty_data_nodes_not_ignored.snap',
    'issue_201.evtx',
    (_e, i) => i === 0,
  ],
  [
    'test_record_samples__event_json_with_multiple_data_elements-2.snap',
    'MSExchange_Management_wec.evtx',
    (_e, i) => i === 0,
  ],
  [
    'test_record_samples__event_json_with_multiple_nodes_same_name.snap',
    'E_Windows_system32_winevt_logs_Microsoft-Windows-CAPI2%4Operational.evtx',
    (e) => e.origin.recordId === 28,
  ],
];

describe('evtx crate snapshots', () => {
  for (const [snap, file, pick] of CASES) {
    it(`${file} matches ${snap}`, () => {
      const merge = file.includes('CAPI2');
      const want = vigilShape(flattenCrateJson(joinAttributes(snapshot(snap))), merge);
      const got = vigilShape({ ...record(file, pick).fields }, merge);
      const diffs: string[] = [];
      for (const k of new Set([...Object.keys(want), ...Object.keys(got)])) {
        const a = JSON.stringify(got[k]);
        const w = JSON.stringify(want[k]);
        if (a !== w) diffs.push(`${k}: got ${a}, snapshot ${w}`);
      }
      expect(diffs).toEqual([]);
    });
  }
});
