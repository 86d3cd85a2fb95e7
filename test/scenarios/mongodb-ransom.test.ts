/**
 * Seed attack b: a MongoDB server exposed to the Internet without authentication is found by a scanner,
 * then an automated script dumps its databases, drops them and leaves a ransom-note collection; the same
 * script is refused by a second server that has access control. Replayed as mongod 6.0 writes its log
 * (shipped by Filebeat's mongodb module) and as Zeek logs at the perimeter, with a developer dropping a
 * scratch database on a staging server and another scanner on port 443 as background that must stay out
 * of the incident.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  edgeLabels,
  facts,
  incidentDetail,
  ingest,
  settledIncidents,
  shuffled,
  startScenarioServer,
  splitByHost,
  type IncidentJson,
  type Scenario,
} from './harness.ts';
import { filebeatMongod, zeekJson, type HostMeta } from './shippers.ts';

const DIR = join(import.meta.dirname, 'mongodb-ransom');
const linux = { family: 'debian', name: 'Ubuntu', version: '22.04.4 LTS (Jammy Jellyfish)' };
const DB01: HostMeta = {
  name: 'db01.shop.example',
  ip: ['10.20.5.21', 'fe80::5054:ff:fe3a:1021'],
  os: linux,
};
const DB02: HostMeta = { name: 'db02.shop.example', ip: ['10.20.5.22'], os: linux };
const STAGING: HostMeta = { name: 'db-staging.shop.example', ip: ['10.20.6.30'], os: linux };

const SCANNER = '198.51.100.77';
const WIPER = '203.0.113.66';

function replay(): object[] {
  return [
    ...filebeatMongod(join(DIR, 'db01.mongod.log'), DB01),
    ...filebeatMongod(join(DIR, 'db02.mongod.log'), DB02),
    ...filebeatMongod(join(DIR, 'db-staging.mongod.log'), STAGING),
    ...zeekJson(join(DIR, 'zeek/conn.log')),
    ...zeekJson(join(DIR, 'zeek/dns.log')),
    ...zeekJson(join(DIR, 'zeek/notice.log')),
  ];
}

let s: Scenario;
beforeAll(async () => {
  s = await startScenarioServer();
}, 60_000);
afterAll(async () => {
  await s.close();
});

/** The incident that names db01, and the others. */
describe('MongoDB ransom wipe', () => {
  let attack: IncidentJson;
  let rest: IncidentJson[];

  beforeAll(async () => {
    const key = await s.tenant('shop');
    await ingest(s, key, replay());
    ({ attack, rest } = splitByHost(
      await settledIncidents(s, 'shop', { min: 10 }),
      'db01.shop.example',
    ));
    attack = await incidentDetail(s, 'shop', attack.id);
  }, 60_000);

  it('is one incident on db01 and db02, with the background apart', () => {
    expect(attack.hosts.map((h) => [h.name, h.state])).toEqual([
      ['db01.shop.example', 'infected'],
      ['db02.shop.example', 'targeted'],
      ['db-staging.shop.example', 'clean'],
    ]);
    // the developer's drop on staging and the other scanner are incidents of their own
    expect(rest.length).toBeGreaterThanOrEqual(2);
    for (const i of rest) {
      expect(i.alert_ids.filter((a) => attack.alert_ids.includes(a))).toEqual([]);
      expect(i.hosts.filter((h) => h.state !== 'clean').map((h) => h.name)).not.toContain(
        'db01.shop.example',
      );
    }
    const staging = rest.find((i) =>
      i.hosts.some((h) => h.name === 'db-staging.shop.example' && h.state !== 'clean'),
    );
    expect(staging?.timeline.map((t) => t.title)).toEqual(['MongoDB Database Dropped']);
    const otherScan = rest.find((i) => i.source?.label === '192.0.2.200');
    expect(otherScan?.alert_count).toBe(1);
  });

  it('starts from the scanner, with db01 as patient zero', () => {
    expect(attack.source).toMatchObject({ type: 'ip', label: SCANNER });
    expect(attack.patient_zero).toBe('db01.shop.example');
    const titles = new Set(attack.timeline.map((t) => t.title));
    expect([...titles].sort()).toEqual(
      [
        'Zeek Saw an Address or Port Scan From the Internet',
        'Established Connection From the Internet to a Database Port',
        'MongoDB Accepted a Connection From a Public Address',
        'MongoDB Refused a Command That Requires Authentication',
        'MongoDB Collection Read in Bulk by a Client From a Public Address',
        'Large Download From an Internal Database Port to the Internet',
        'MongoDB Database Dropped',
        'Several MongoDB Databases Dropped by One Connection',
        'MongoDB Collection Named Like a Ransom Note Created',
      ].sort(),
    );
    // the scan came first, the ransom note last
    expect(attack.timeline[0]?.title).toBe(
      'Established Connection From the Internet to a Database Port',
    );
    expect(attack.timeline.at(-1)?.title).toBe(
      'MongoDB Collection Named Like a Ransom Note Created',
    );
  });

  it('draws the chain: the scanner and the script reach the servers, the script writes the databases', () => {
    const edges = edgeLabels(attack);
    expect(edges).toEqual(
      expect.arrayContaining([
        `${SCANNER} -exploited-> db01.shop.example`,
        `${WIPER} -exploited-> db01.shop.example`,
        `${WIPER} -exploited-> db02.shop.example`,
        `${WIPER} -connected_to-> db01.shop.example`,
        `${WIPER} -wrote-> shop`,
        `${WIPER} -wrote-> crm`,
        `${WIPER} -wrote-> READ__ME_TO_RECOVER_YOUR_DATA`,
      ]),
    );
    const types = new Set(attack.graph.nodes.map((n) => n.type));
    for (const t of ['ip', 'host', 'database', 'session']) expect(types).toContain(t);
    // the Zeek records name db01 by address; the chain names the machine
    expect(edges.filter((e) => e.includes('10.20.5.21'))).toEqual([]);
  });

  it('names the techniques and recommends closing the database and restoring', () => {
    expect(attack.tactics).toEqual([
      'reconnaissance',
      'initial-access',
      'collection',
      'exfiltration',
      'impact',
    ]);
    expect(attack.techniques).toEqual([
      'T1048',
      'T1190',
      'T1213.006',
      'T1485',
      'T1595.001',
      'T1657',
    ]);
    const ids = attack.mitigations.map((m) => m.id);
    expect(ids).toEqual(expect.arrayContaining(['VIGIL-DATABASE', 'VIGIL-RESTORE']));
    expect(ids.some((id) => /^M\d{4}$/.test(id))).toBe(true);
    expect(attack.narrative['en']).toContain(SCANNER);
    expect(attack.next_steps['en']).toEqual(
      expect.arrayContaining([
        expect.stringContaining('Isolate db01.shop.example'),
        expect.stringContaining(`Block ${SCANNER}`),
      ]),
    );
  });

  it('tells the same story when the events arrive shuffled', async () => {
    const key = await s.tenant('shop-shuffled');
    await ingest(s, key, shuffled(replay(), 20260309), 97);
    const again = splitByHost(
      await settledIncidents(s, 'shop-shuffled', { min: 10 }),
      'db01.shop.example',
    );
    expect(facts(await incidentDetail(s, 'shop-shuffled', again.attack.id))).toEqual(facts(attack));
    expect(again.attack.alert_count).toBe(attack.alert_count);
    expect(again.rest.length).toBe(rest.length);
  }, 60_000);
});
