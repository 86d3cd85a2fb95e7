import { describe, expect, it } from 'vitest';
import type { Fields, StoredEvent } from '../core/index.ts';
import { narrate, vigilAdvice } from './narrative.ts';
import { buildStory, type StoryAlert } from './story.ts';

const T0 = Date.UTC(2026, 10, 27, 9, 0, 0);
const MIN = 60_000;
const ev = (id: string, ts: number, host: string, fields: Fields): StoredEvent => ({
  seq: 0,
  id,
  tenant: 'acme',
  ts,
  receivedAt: ts,
  source: { product: 'windows' },
  format: 'evtx-json',
  receiver: 'test',
  fields: { Computer: host, ...fields },
  entities: { 'host.name': host },
  host,
});

const events = [
  ev('e1', T0, 'ws01.corp.local', {
    Channel: 'Security',
    EventID: 4624,
    TargetUserName: 'alice',
    TargetDomainName: 'CORP',
    IpAddress: '198.51.100.9',
    LogonType: 10,
  }),
  ev('e2', T0 + 10 * MIN, 'ws01.corp.local', {
    Channel: 'Microsoft-Windows-Sysmon/Operational',
    EventID: 10,
    SourceImage: 'C:\\Temp\\m.exe',
    TargetImage: 'C:\\Windows\\System32\\lsass.exe',
    SourceProcessGuid: '{m}',
  }),
  ev('e3', T0 + 20 * MIN, 'srv02.corp.local', {
    Channel: 'Security',
    EventID: 4624,
    TargetUserName: 'alice',
    TargetDomainName: 'CORP',
    IpAddress: '10.0.0.21',
    WorkstationName: 'WS01',
    LogonType: 3,
  }),
];
const alerts: StoryAlert[] = [
  {
    id: 'a1',
    ts: T0,
    level: 'medium',
    title: 'RDP from the Internet',
    ruleId: 'r1',
    tags: ['attack.initial-access', 'attack.t1133'],
    host: 'ws01.corp.local',
    eventIds: ['e1'],
  },
  {
    id: 'a2',
    ts: T0 + 10 * MIN,
    level: 'critical',
    title: 'LSASS access',
    ruleId: 'r2',
    tags: ['attack.credential-access', 'attack.t1003.001'],
    host: 'ws01.corp.local',
    eventIds: ['e2'],
  },
  {
    id: 'a3',
    ts: T0 + 20 * MIN,
    level: 'high',
    title: 'Pass the hash',
    ruleId: 'r3',
    tags: ['attack.lateral-movement', 'attack.t1550.002'],
    host: 'srv02.corp.local',
    eventIds: ['e3'],
  },
];

describe('narrate', () => {
  const story = buildStory(alerts, events, ['dc01.corp.local']);
  const n = narrate(story);

  it('tells what happened, where, how it started and spread, in both languages', () => {
    expect(n.text.en).toContain(
      '3 alert(s) from 2026-11-27 09:00 UTC to 2026-11-27 09:20 UTC on 2 host(s)',
    );
    expect(n.text.en).toContain('reaching initial-access, credential-access and lateral-movement.');
    expect(n.text.en).toContain('It started from 198.51.100.9 (ip).');
    expect(n.text.en).toContain(
      'The first host with evidence of execution or persistence was ws01.corp.local.',
    );
    expect(n.text.en).toContain('Activity moved ws01.corp.local → srv02.corp.local.');
    expect(n.text.en).toContain('Infected: ws01.corp.local.');
    expect(n.text.en).toContain('No evidence on dc01.corp.local.');
    expect(n.text['zh-TW']).toContain('攻擊來源為 198.51.100.9');
    expect(n.text['zh-TW']).toContain('零號病人）為 ws01.corp.local');
    expect(n.text['zh-TW']).toContain('初始存取、憑證存取、橫向移動');
    expect(n.nextSteps.en[0]).toBe(
      'Isolate ws01.corp.local and collect its memory and disk before cleaning it.',
    );
    expect(n.nextSteps['zh-TW']).toHaveLength(n.nextSteps.en.length);
  });

  it('recommends Vigil’s advice and MITRE’s mitigations for the techniques seen', () => {
    expect(n.mitigations[0]).toMatchObject({
      id: 'VIGIL-CRED',
      techniques: ['T1003.001', 'T1550.002'],
    });
    const mitre = n.mitigations.filter((m) => /^M\d{4}$/.test(m.id));
    expect(mitre.length).toBeGreaterThan(0);
    for (const m of mitre) expect(m.techniques.length).toBeGreaterThan(0);
    expect(vigilAdvice('VIGIL-CRED', 'zh-TW')?.name).toBe('重設外洩的憑證');
    // Vigil's own advice carries its Traditional Chinese text; MITRE's is English only.
    expect(n.mitigations[0]?.zh).toEqual(vigilAdvice('VIGIL-CRED', 'zh-TW'));
    for (const m of mitre) expect(m.zh).toBeUndefined();
  });

  it('is the same for the same evidence', () => {
    expect(
      narrate(buildStory([...alerts].reverse(), [...events].reverse(), ['dc01.corp.local'])),
    ).toEqual(n);
  });
});
