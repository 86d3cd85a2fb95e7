/**
 * Seed attack a: a PCASTLE-style fileless coin-mining worm. Password guessing over SMB from the Internet
 * gets into SRV-APP-01; a scheduled task with an encoded PowerShell cradle fetches a stage that loads an
 * XMRig-like miner in memory and a spreader module that dumps credentials, exploits EternalBlue (WS-ACC-03
 * falls, HR-WS-07 is patched), passes the hash of a stolen account to FIN-DB-02 and guesses passwords on
 * HR-WS-07. Replayed as Winlogbeat ships Sysmon, Security, PowerShell 4104 and TaskScheduler events and as
 * Zeek writes conn, dns and notice logs, with an administrator's Chocolatey install days earlier and
 * ordinary logons as background that must stay apart.
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
import { winlogbeat, zeekJson } from './shippers.ts';

const DIR = join(import.meta.dirname, 'pcastle');
const ATTACKER = '203.0.113.45';
const APP = 'srv-app-01.corp.example';
const ACC = 'ws-acc-03.corp.example';
const FIN = 'fin-db-02.corp.example';
const HR = 'hr-ws-07.corp.example';
const MKT = 'ws-mkt-11.corp.example';

function replay(): object[] {
  return [
    ...winlogbeat(join(DIR, 'winlogbeat.ndjson')),
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

describe('PCASTLE-style fileless coin-mining worm', () => {
  let attack: IncidentJson;
  let rest: IncidentJson[];

  beforeAll(async () => {
    const key = await s.tenant('corp');
    await ingest(s, key, replay());
    ({ attack, rest } = splitByHost(await settledIncidents(s, 'corp', { min: 20 }), APP));
    attack = await incidentDetail(s, 'corp', attack.id);
  }, 60_000);

  it('is one incident: three infected hosts, one only targeted, the background apart', () => {
    const state = Object.fromEntries(attack.hosts.map((h) => [h.name, h.state]));
    expect(state).toMatchObject({
      [APP]: 'infected',
      [ACC]: 'infected',
      [FIN]: 'infected',
      [HR]: 'targeted',
    });
    expect(state[MKT]).toBe('clean');
    // the domain controller answered DNS queries for the pool: that does not make it a target
    expect(
      attack.hosts
        .filter((h) => h.state !== 'clean')
        .map((h) => h.name)
        .sort(),
    ).toEqual([FIN, HR, APP, ACC]);
    const chocolatey = rest.filter((i) =>
      i.hosts.some((h) => h.name === MKT && h.state !== 'clean'),
    );
    expect(chocolatey).toHaveLength(1);
    expect(chocolatey[0]?.timeline.map((t) => t.title)).toEqual([
      'PowerShell Script Block Downloads Code and Runs It in Memory',
    ]);
    for (const i of rest)
      expect(i.alert_ids.filter((a) => attack.alert_ids.includes(a))).toEqual([]);
  });

  it('starts from the Internet address that guessed the password; SRV-APP-01 is patient zero', () => {
    expect(attack.source).toMatchObject({ type: 'ip', label: ATTACKER });
    expect(attack.patient_zero).toBe(APP);
  });

  it('draws the chain: logon, task, PowerShell, exploit, pass-the-hash, pool', () => {
    const edges = edgeLabels(attack);
    expect(edges).toEqual(
      expect.arrayContaining([
        `${ATTACKER} -logged_on_to-> ${APP}`,
        `${APP} -exploited-> ${ACC}`,
        `${APP} -exploited-> ${HR}`,
        `${APP} -logged_on_to-> ${FIN}`,
        `${APP} -connected_to-> ${HR}`,
        `${APP} -connected_to-> pool.supportxmr.com`,
        expect.stringMatching(/^svchost\.exe \(1480\) -spawned-> cmd\.exe/),
        expect.stringMatching(/^cmd\.exe \(\d+\) -spawned-> powershell\.exe/),
        expect.stringMatching(/^spoolsv\.exe \(2284\) -spawned-> cmd\.exe/),
        expect.stringMatching(/^powershell\.exe \(\d+\) -connected_to-> 198\.51\.100\.201$/),
      ]),
    );
    const types = new Set(attack.graph.edges.map((e) => e.type));
    for (const t of ['spawned', 'connected_to', 'logged_on_to', 'exploited'])
      expect(types).toContain(t);
  });

  it('names the techniques and the mitigations for them', () => {
    expect(attack.tactics).toEqual(
      expect.arrayContaining([
        'initial-access',
        'execution',
        'persistence',
        'credential-access',
        'lateral-movement',
        'impact',
      ]),
    );
    expect(attack.techniques).toEqual(
      expect.arrayContaining([
        'T1053.005',
        'T1059.001',
        'T1110.001',
        'T1210',
        'T1496',
        'T1550.002',
        'T1620',
      ]),
    );
    const ids = attack.mitigations.map((m) => m.id);
    expect(ids).toEqual(
      expect.arrayContaining([
        'VIGIL-CRED',
        'VIGIL-PATCH',
        'VIGIL-PERSIST',
        'VIGIL-MINING',
        'VIGIL-FILELESS',
      ]),
    );
    expect(ids.filter((id) => /^M\d{4}$/.test(id)).length).toBeGreaterThanOrEqual(3);
    expect(attack.next_steps['en']).toEqual(
      expect.arrayContaining([
        expect.stringContaining(`Isolate ${ACC}`),
        expect.stringContaining(`Block ${ATTACKER}`),
      ]),
    );
  });

  it('tells the same story when the events arrive shuffled', async () => {
    const key = await s.tenant('corp-shuffled');
    await ingest(s, key, shuffled(replay(), 20260302), 113);
    const again = splitByHost(await settledIncidents(s, 'corp-shuffled', { min: 20 }), APP);
    expect(facts(await incidentDetail(s, 'corp-shuffled', again.attack.id))).toEqual(facts(attack));
    expect(again.rest.length).toBe(rest.length);
  }, 60_000);
});
