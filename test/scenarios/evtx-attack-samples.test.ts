/* eslint-disable @typescript-eslint/no-unsafe-member-access -- JSON bodies of the API under test */
/**
 * All of EVTX-ATTACK-SAMPLES (277 recordings, about 8,250 events, made on some twenty lab machines
 * between 2017 and 2022) uploaded to one tenant of a server running Vigil's rules and SigmaHQ's: how many
 * alerts, how many incidents, how many alerts per incident, and that recordings of different machines
 * and different times are not merged into one incident.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  settledIncidents,
  startScenarioServer,
  type IncidentJson,
  type Scenario,
} from './harness.ts';

const DATA = join(import.meta.dirname, '../../../shared/data');
const SAMPLES = join(DATA, 'evtx/EVTX-ATTACK-SAMPLES');
const HOUR = 3_600_000;
/** The grouping windows (src/correlate/grouping.ts DEFAULT_POLICY). */
const HOST_WINDOW = 2 * HOUR;
const LINEAGE_WINDOW = 7 * 24 * HOUR;

let s: Scenario;
let incidents: IncidentJson[];
let alerts: { id: string; ts: string; host?: string }[];

beforeAll(async () => {
  s = await startScenarioServer({ rules: [join(DATA, 'sigma/rules')] });
  const key = await s.tenant('samples');
  const files = readdirSync(SAMPLES, { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.evtx'))
    .sort();
  let stored = 0;
  for (const f of files) {
    const res = await fetch(`${s.server.url}/api/v1/upload?name=${encodeURIComponent(f)}`, {
      method: 'POST',
      headers: { authorization: `ApiKey ${key}` },
      body: readFileSync(join(SAMPLES, f)),
    });
    expect(res.status, f).toBe(200);
    stored += ((await res.json()) as { stored: number }).stored;
  }
  await s.server.pipeline.drain();
  expect(stored).toBeGreaterThan(8000);
  incidents = await settledIncidents(s, 'samples', { min: 500, timeoutMs: 400_000 });
  alerts = [];
  let cursor: string | null = null;
  do {
    const page = await s.call(
      'GET',
      `/api/v1/alerts?tenant=samples&limit=1000${cursor === null ? '' : `&cursor=${cursor}`}`,
    );
    alerts.push(...(page.body.alerts as typeof alerts));
    cursor = (page.body.next as string | null | undefined) ?? null;
  } while (cursor !== null);
}, 600_000);

afterAll(async () => {
  await s.close();
});

describe('EVTX-ATTACK-SAMPLES in one tenant', () => {
  it('groups every alert, about nine to an incident', () => {
    const grouped = incidents.reduce((n, i) => n + i.alert_count, 0);
    const ratio = grouped / incidents.length;
    const hosts = new Set(alerts.map((a) => a.host));
    console.log(
      `EVTX-ATTACK-SAMPLES: ${alerts.length} alerts, ${incidents.length} incidents, ` +
        `${ratio.toFixed(1)} alerts per incident, ${hosts.size} hosts`,
    );
    expect(grouped).toBe(alerts.length);
    expect(new Set(incidents.flatMap((i) => i.alert_ids)).size).toBe(alerts.length);
    // The data set is ~140 separate recordings spread over five years: an incident per recording session
    // is the right answer, and the ratio cannot reach 20 without merging different times.
    expect(ratio).toBeGreaterThanOrEqual(8);
    expect(incidents.length).toBeLessThan(alerts.length / 8);
  });

  it('does not merge different machines or different times', () => {
    const byId = new Map(alerts.map((a) => [a.id, a]));
    for (const i of incidents) {
      const own = i.alert_ids.map((id) => byId.get(id)).filter((a) => a !== undefined);
      const ts = own.map((a) => Date.parse(a.ts));
      // no incident outlives the longest join window (a process lineage or logon session)
      expect(Math.max(...ts) - Math.min(...ts), i.id).toBeLessThanOrEqual(LINEAGE_WINDOW);
      // two machines in one incident are tied in time: each has an alert within the host window of
      // an alert of another
      const machines = [...new Set(own.map((a) => a.host ?? '-'))];
      if (machines.length < 2) continue;
      for (const m of machines) {
        const mine = own.filter((a) => (a.host ?? '-') === m).map((a) => Date.parse(a.ts));
        const others = own.filter((a) => (a.host ?? '-') !== m).map((a) => Date.parse(a.ts));
        const near = mine.some((t) => others.some((o) => Math.abs(t - o) <= HOST_WINDOW));
        expect(near, `${i.id}: ${m} is not near the other machines`).toBe(true);
      }
    }
    // the lab machine used most, MSEDGEWIN10, was recorded on many days: many incidents, none spanning two
    // of its recording days unless a process or logon session ties them
    const edge = incidents.filter((i) =>
      i.hosts.some((h) => h.name === 'msedgewin10' && h.state !== 'clean'),
    );
    expect(edge.length).toBeGreaterThan(30);
  });
});
