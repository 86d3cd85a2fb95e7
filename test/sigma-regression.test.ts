/**
 * SigmaHQ's own regression suite: every sample in regression_data must fire the rule its info.yml names at
 * least `match_count` times with all SigmaHQ rules loaded — once from the EVTX file and once from its JSON twin.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import type { Event, ReadBatch } from '../src/core/index.ts';
import { buildDetector, ruleSetup } from '../src/app/index.ts';
import { parseEvtx } from '../src/ingest/evtx/index.ts';
import { readBytes } from '../src/ingest/index.ts';

const SIGMA = new URL('../../shared/data/sigma/', import.meta.url).pathname;

interface Case {
  readonly name: string;
  readonly ruleId: string;
  readonly evtx: string;
  readonly json: string;
  readonly matchCount: number;
}

function walk(dir: string, found: string[] = []): string[] {
  for (const entry of readdirSync(dir).sort()) {
    const p = join(dir, entry);
    if (statSync(p).isDirectory()) walk(p, found);
    else if (entry === 'info.yml') found.push(p);
  }
  return found;
}

function cases(): Case[] {
  const out: Case[] = [];
  for (const info of walk(join(SIGMA, 'regression_data'))) {
    const doc = parseYaml(readFileSync(info, 'utf8')) as {
      rule_metadata: { id: string }[];
      regression_tests_info?: { type: string; path: string; match_count?: number }[];
    };
    for (const t of doc.regression_tests_info ?? []) {
      if (t.type !== 'evtx') continue;
      const evtx = join(SIGMA, t.path);
      out.push({
        name: relative(join(SIGMA, 'regression_data'), evtx),
        ruleId: doc.rule_metadata[0]?.id ?? '',
        evtx,
        json: evtx.replace(/\.evtx$/, '.json'),
        matchCount: t.match_count ?? 1,
      });
    }
  }
  return out;
}

const all = cases();
let detector: ReturnType<typeof buildDetector>;

function hits(batches: Iterable<ReadBatch>, ruleId: string): { events: number; hits: number } {
  let events = 0;
  let n = 0;
  for (const b of batches) {
    for (const e of b.events as Event[]) {
      events++;
      for (const d of detector.ruleset.match(e)) if (d.rule.id === ruleId) n++;
    }
  }
  return { events, hits: n };
}

describe('SigmaHQ regression data', () => {
  beforeAll(async () => {
    const { setup } = await ruleSetup(
      ['rules', 'rules-emerging-threats', 'rules-threat-hunting'].map((d) => join(SIGMA, d)),
      false,
      'test',
    );
    detector = buildDetector(setup);
  }, 120_000);

  it('has the 202 EVTX cases', () => {
    expect(all.length).toBeGreaterThanOrEqual(202);
  });

  it('loads every SigmaHQ rule with no errors and none unsupported', () => {
    const errors = detector.report.issues.filter((i) => i.severity === 'error');
    expect(errors.slice(0, 20)).toEqual([]);
    expect(detector.report.unsupported.slice(0, 20)).toEqual([]);
  });

  it('fires the expected rule on every EVTX sample', () => {
    const failures: string[] = [];
    for (const c of all) {
      const bytes = new Uint8Array(readFileSync(c.evtx));
      const r = hits(parseEvtx(bytes, c.evtx, { tenant: 'test' }), c.ruleId);
      if (r.hits < c.matchCount)
        failures.push(
          `${c.name}: ${r.hits}/${c.matchCount} hits of ${c.ruleId} in ${r.events} events`,
        );
    }
    expect(failures).toEqual([]);
  });

  it('fires the expected rule on every JSON twin', () => {
    const failures: string[] = [];
    for (const c of all) {
      const bytes = new Uint8Array(readFileSync(c.json));
      const r = hits(readBytes(bytes, c.json, { tenant: 'test', format: 'json' }), c.ruleId);
      if (r.hits < c.matchCount)
        failures.push(
          `${c.name}: ${r.hits}/${c.matchCount} hits of ${c.ruleId} in ${r.events} events`,
        );
    }
    expect(failures).toEqual([]);
  });
});
