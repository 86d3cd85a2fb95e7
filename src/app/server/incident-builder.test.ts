import { afterEach, describe, expect, it } from 'vitest';
import type { Alert, NewEvent, StoredEvent } from '../../core/index.ts';
import { openSqliteStore, type SqliteStore } from '../../store/index.ts';
import { IncidentBuilder } from './incident-builder.ts';

const T0 = Date.UTC(2026, 10, 27, 8, 0, 0);
const HOUR = 3_600_000;

function event(id: string, host: string, ts: number, user = 'ACME\\bob'): NewEvent {
  return {
    id,
    tenant: 't1',
    ts,
    receivedAt: ts,
    source: { product: 'windows', service: 'sysmon' },
    format: 'evtx-json',
    receiver: 'ingest',
    fields: {
      Channel: 'Microsoft-Windows-Sysmon/Operational',
      EventID: 1,
      Computer: host,
      Image: `C:\\Windows\\System32\\${id}.exe`,
      User: user,
    },
    entities: { host },
    host,
  };
}

function alert(id: string, e: NewEvent, level: Alert['level'] = 'high'): Alert {
  return {
    id,
    tenant: 't1',
    rule: {
      id: `rule-${id}`,
      title: `Rule ${id}`,
      level,
      tags: ['attack.execution', 'attack.t1059'],
    },
    kind: 'event',
    level,
    ts: e.ts,
    createdAt: e.ts,
    ...(e.host === undefined ? {} : { host: e.host }),
    eventIds: [e.id],
    matched: {},
    entities: e.entities,
    status: 'new',
  };
}

/** Alerts on one host: a1 and a3 are 3 h apart (two incidents) until a2 between them links them. */
function fixture(): { events: NewEvent[]; alerts: Alert[] } {
  const events = [
    event('e1', 'ws-01', T0),
    event('e2', 'ws-01', T0 + 1.5 * HOUR),
    event('e3', 'ws-01', T0 + 3 * HOUR),
    event('e4', 'srv-09', T0 + 10 * HOUR, 'ACME\\svc'),
  ];
  const alerts = events.map((e, i) => alert(`a${i + 1}`, e));
  return { events, alerts };
}

let now = T0 + 11 * HOUR;
const DEFAULT_TEST_OPTS = {
  maxAlerts: 1000,
  lookbackMs: 7 * 24 * HOUR,
  duty: 1,
  minIntervalMs: 0,
  now: () => (now += 1000),
};

let stores: SqliteStore[] = [];
afterEach(async () => {
  for (const s of stores) await s.close();
  stores = [];
});

async function setup(): Promise<{
  store: SqliteStore;
  builder: IncidentBuilder;
  stored: StoredEvent[];
}> {
  const store = openSqliteStore({ path: ':memory:' });
  stores.push(store);
  const { events } = fixture();
  const stored = [...(await store.appendEvents(events))];
  const builder = new IncidentBuilder(store, { ...DEFAULT_TEST_OPTS });
  return { store, builder, stored };
}

/** Feeds alerts in batches, rebuilding after each; returns incident → sorted alert ids. */
async function feed(
  batches: readonly (readonly Alert[])[],
): Promise<{ store: SqliteStore; builder: IncidentBuilder; groups: Map<string, string[]> }> {
  const { store, builder, stored } = await setup();
  for (const batch of batches) {
    await store.insertAlerts(batch);
    await builder.add(batch, stored);
    await builder.build();
  }
  return { store, builder, groups: await membership(store) };
}

async function membership(store: SqliteStore): Promise<Map<string, string[]>> {
  const page = await store.listIncidents({ tenants: ['t1'] });
  const out = new Map<string, string[]>();
  for (const i of page.items)
    out.set(i.record.id, [...(await store.incidentAlertIds('t1', i.record.id))].sort());
  return out;
}

const sets = (m: Map<string, string[]>): string[] => [...m.values()].map((v) => v.join(',')).sort();

describe('incident builder', () => {
  it('gives the same incidents and stories whatever order and batches the alerts come in', async () => {
    const { alerts } = fixture();
    const [a1, a2, a3, a4] = alerts as [Alert, Alert, Alert, Alert];
    const stories = async (r: { store: SqliteStore; groups: Map<string, string[]> }) => {
      const out: Record<string, unknown> = {};
      for (const [id, members] of r.groups) {
        const doc = (await r.store.getIncident('t1', id))?.record?.doc ?? {};
        out[members.join(',')] = {
          graph: doc['graph'],
          hosts: doc['hosts'],
          source: doc['source'],
        };
      }
      return out;
    };
    const once = await feed([alerts]);
    expect(sets(once.groups)).toEqual(['a1,a2,a3', 'a4']);
    const expected = await stories(once);
    for (const order of [
      [[a3], [a1], [a4], [a2]],
      [
        [a2, a4],
        [a3, a1],
      ],
      [[a4], [a3], [a2], [a1]],
    ]) {
      const r = await feed(order);
      expect(sets(r.groups)).toEqual(sets(once.groups));
      expect(await stories(r)).toEqual(expected);
    }
  });

  it('keeps an incident and its case when alerts join it, and retires the one a bridging alert merges in', async () => {
    const { alerts } = fixture();
    const [a1, a2, a3] = alerts as [Alert, Alert, Alert];
    const { store, builder, stored } = await setup();
    await store.insertAlerts([a1, a3]);
    await builder.add([a1, a3], stored);
    await builder.build();
    const before = await membership(store);
    expect(sets(before)).toEqual(['a1', 'a3']);
    const first = [...before].find(([, v]) => v[0] === 'a1')?.[0] ?? '';
    const second = [...before].find(([, v]) => v[0] === 'a3')?.[0] ?? '';
    await store.updateIncidentCase('t1', first, {
      status: 'investigating',
      assignee: 'alice',
      updatedAt: T0,
    });

    await store.insertAlerts([a2]);
    await builder.add([a2], stored);
    const [report] = await builder.build();
    expect(report).toMatchObject({ retired: 1 });
    const after = await membership(store);
    expect([...after]).toEqual([[first, ['a1', 'a2', 'a3']]]);
    expect((await store.getIncident('t1', first))?.case).toMatchObject({
      status: 'investigating',
      assignee: 'alice',
    });
    const gone = await store.getIncident('t1', second);
    expect(gone?.record).toBeUndefined();
    expect(gone?.case.mergedInto).toBe(first);
    const audit = await store.listAudit(['t1']);
    expect(audit.some((a) => a.action === 'incident.merge' && a.target === second)).toBe(true);
  });

  it('reopens a closed incident a new alert joins, or starts a new one when the policy says reopen: false', async () => {
    const { alerts } = fixture();
    const [a1, a2] = alerts as [Alert, Alert];
    for (const reopen of [true, false]) {
      const { store, builder, stored } = await setup();
      await store.setTenantSetting('t1', 'grouping', { reopen });
      await store.insertAlerts([a1]);
      await builder.add([a1], stored);
      await builder.build();
      const [id] = [...(await membership(store)).keys()];
      await store.updateIncidentCase('t1', id ?? '', {
        status: 'resolved',
        resolvedAt: T0 + HOUR,
        updatedAt: T0 + HOUR,
      });
      await store.insertAlerts([a2]);
      await builder.add([a2], stored);
      await builder.build();
      const m = await membership(store);
      if (reopen) {
        expect([...m]).toEqual([[id, ['a1', 'a2']]]);
        const c = (await store.getIncident('t1', id ?? ''))?.case;
        expect(c).toMatchObject({ status: 'triage', reopened: 1 });
        expect(c?.resolvedAt).toBeUndefined();
      } else {
        expect(sets(m)).toEqual(['a1', 'a2']);
        expect((await store.getIncident('t1', id ?? ''))?.case.status).toBe('resolved');
      }
    }
  });

  it('counts the alerts of a long incident that fell out of memory', async () => {
    const store = openSqliteStore({ path: ':memory:' });
    stores.push(store);
    // one host, an alert every 30 min for 10 h: one incident; the builder keeps only 5 alerts
    const events = Array.from({ length: 20 }, (_, i) =>
      event(`e${i}`, 'ws-01', T0 + i * 0.5 * HOUR),
    );
    const stored = [...(await store.appendEvents(events))];
    const alerts = events.map((e, i) => alert(`a${i}`, e));
    let now = T0 + 11 * HOUR;
    const builder = new IncidentBuilder(store, {
      maxAlerts: 5,
      lookbackMs: 7 * 24 * HOUR,
      duty: 1,
      minIntervalMs: 0,
      now: () => (now += 1000),
    });
    for (let i = 0; i < alerts.length; i += 4) {
      const batch = alerts.slice(i, i + 4);
      await store.insertAlerts(batch);
      await builder.add(batch, stored);
      await builder.build();
    }
    const page = await store.listIncidents({ tenants: ['t1'] });
    expect(page.total).toBe(1);
    expect(page.items[0]?.record).toMatchObject({ alertCount: 20, firstTs: T0 });
  });

  it("follows analysts' pins: split-off alerts stay apart, merged ones together, after every rebuild", async () => {
    const { alerts } = fixture();
    const r = await feed([alerts]);
    const big = [...r.groups].find(([, v]) => v.length === 3)?.[0] ?? '';
    const small = [...r.groups].find(([, v]) => v.length === 1)?.[0] ?? '';
    await r.store.pinAlerts('t1', 'inc-split', ['a3']);
    r.builder.invalidate('t1');
    await r.builder.build();
    let m = await membership(r.store);
    expect(m.get(big)).toEqual(['a1', 'a2']);
    expect(m.get('inc-split')).toEqual(['a3']);

    // merge the small one into the big one
    await r.store.pinAlerts('t1', big, [...(await r.store.incidentAlertIds('t1', big)), 'a4']);
    r.builder.invalidate('t1');
    await r.builder.build();
    m = await membership(r.store);
    expect(m.get(big)).toEqual(['a1', 'a2', 'a4']);
    expect(m.has(small)).toBe(false);
    expect((await r.store.getIncident('t1', small))?.case.mergedInto).toBe(big);
  });
  it('keeps alerts analysts merged in with their incident, however old they are', async () => {
    const { alerts } = fixture();
    const [a1] = alerts as [Alert];
    const { store, builder, stored } = await setup();
    // An alert eight days before the others: past the builder's seven-day lookback once they arrive.
    const [old] = await store.appendEvents([event('e0', 'ws-01', T0 - 8 * 24 * HOUR)]);
    const a0 = alert('a0', old as NewEvent);
    await store.insertAlerts([a0]);
    await builder.add([a0], [...stored, old as StoredEvent]);
    await builder.build();
    await store.insertAlerts([a1]);
    await builder.add([a1], stored);
    await builder.build();
    const before = await membership(store);
    expect(sets(before)).toEqual(['a0', 'a1']);
    const recent = [...before].find(([, v]) => v[0] === 'a1')?.[0] ?? '';
    const older = [...before].find(([, v]) => v[0] === 'a0')?.[0] ?? '';

    // What POST …/incidents/merge does: pin every alert to the survivor, retire the other, regroup.
    await store.pinAlerts('t1', recent, ['a0', 'a1']);
    await store.retireIncident('t1', older, recent, T0 + 12 * HOUR);
    // A builder that starts afresh (a restarted server) must keep the merge as well.
    for (const b of [builder, new IncidentBuilder(store, { ...DEFAULT_TEST_OPTS })]) {
      b.invalidate('t1');
      await b.build('t1');
      expect([...(await membership(store))]).toEqual([[recent, ['a0', 'a1']]]);
      expect((await store.getIncident('t1', recent))?.record?.alertCount).toBe(2);
    }
  });
});
