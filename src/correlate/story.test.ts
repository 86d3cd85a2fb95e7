import { describe, expect, it } from 'vitest';
import type { Fields, StoredEvent } from '../core/index.ts';
import { buildStory, type StoryAlert } from './story.ts';

const T0 = Date.UTC(2026, 10, 27, 9, 0, 0);
const MIN = 60_000;

function ev(id: string, ts: number, host: string, fields: Fields): StoredEvent {
  return {
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
  };
}

const sysmon = { Channel: 'Microsoft-Windows-Sysmon/Operational' };
const events: StoredEvent[] = [
  // brute force against ws02 from outside: attempts only
  ev('e1', T0, 'ws02.corp.local', {
    Channel: 'Security',
    EventID: 4625,
    TargetUserName: 'alice',
    TargetDomainName: 'CORP',
    IpAddress: '203.0.113.50',
    LogonType: 3,
  }),
  // then a successful network logon on ws01 from the same address
  ev('e2', T0 + 5 * MIN, 'ws01.corp.local', {
    Channel: 'Security',
    EventID: 4624,
    TargetUserName: 'alice',
    TargetDomainName: 'CORP',
    TargetLogonId: '0x3e8f1',
    IpAddress: '203.0.113.50',
    LogonType: 3,
  }),
  // PowerShell drops a binary
  ev('e3', T0 + 6 * MIN, 'ws01.corp.local', {
    ...sysmon,
    EventID: 11,
    Image: 'C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe',
    ProcessGuid: '{p-ps}',
    ProcessId: 4100,
    TargetFilename: 'C:\\Users\\alice\\AppData\\Local\\Temp\\evil.exe',
  }),
  // and runs it
  ev('e4', T0 + 7 * MIN, 'ws01.corp.local', {
    ...sysmon,
    EventID: 1,
    Image: 'C:\\Users\\alice\\AppData\\Local\\Temp\\evil.exe',
    CommandLine: 'evil.exe -q',
    ProcessGuid: '{p-evil}',
    ProcessId: 5200,
    ParentImage: 'C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe',
    ParentProcessGuid: '{p-ps}',
    ParentProcessId: 4100,
    User: 'CORP\\alice',
  }),
];
const alerts: StoryAlert[] = [
  {
    id: 'a1',
    ts: T0,
    level: 'medium',
    title: 'Brute force',
    ruleId: 'r1',
    tags: ['attack.credential-access', 'attack.t1110'],
    host: 'ws02.corp.local',
    eventIds: ['e1'],
  },
  {
    id: 'a2',
    ts: T0 + 5 * MIN,
    level: 'medium',
    title: 'Logon from the Internet',
    ruleId: 'r2',
    tags: ['attack.initial-access', 'attack.t1078'],
    host: 'ws01.corp.local',
    eventIds: ['e2'],
  },
  {
    id: 'a3',
    ts: T0 + 6 * MIN,
    level: 'high',
    title: 'PowerShell drops an executable',
    ruleId: 'r3',
    tags: ['attack.execution', 'attack.t1059.001'],
    host: 'ws01.corp.local',
    eventIds: ['e3'],
  },
  {
    id: 'a4',
    ts: T0 + 7 * MIN,
    level: 'high',
    title: 'Dropped executable started',
    ruleId: 'r4',
    tags: ['attack.execution', 'attack.t1204.002'],
    host: 'ws01.corp.local',
    eventIds: ['e4'],
  },
];

describe('buildStory', () => {
  const story = buildStory(alerts, events, [
    'ws01.corp.local',
    'ws02.corp.local',
    'dc01.corp.local',
  ]);

  it('finds the source, patient zero and each host’s state', () => {
    expect(story.source).toMatchObject({ type: 'ip', label: '203.0.113.50' });
    expect(story.patientZero).toBe('ws01.corp.local');
    expect(story.hosts.map((h) => [h.name, h.state])).toEqual([
      ['ws01.corp.local', 'infected'],
      ['ws02.corp.local', 'targeted'],
      ['dc01.corp.local', 'clean'],
    ]);
    expect(story.tactics).toEqual(['initial-access', 'execution', 'credential-access']);
    expect(story.techniques).toEqual(['T1059.001', 'T1078', 'T1110', 'T1204.002']);
    expect(story.timeline.map((t) => t.alertId)).toEqual(['a1', 'a2', 'a3', 'a4']);
  });

  it('draws the chain: logons from the address, the drop, its execution, the spawn', () => {
    const label = new Map(story.nodes.map((n) => [n.id, n.label]));
    const edges = story.edges.map(
      (e) => `${label.get(e.from) ?? e.from} -${e.type}-> ${label.get(e.to) ?? e.to}`,
    );
    expect(edges).toEqual(
      expect.arrayContaining([
        // a failed logon reached ws02 but logged nobody on
        expect.stringMatching(/^203\.0\.113\.50 -connected_to-> ws02/),
        expect.stringMatching(/^203\.0\.113\.50 -logged_on_to-> ws01/),
        expect.stringMatching(
          /powershell\.exe.* -wrote-> C:\\Users\\alice\\AppData\\Local\\Temp\\evil\.exe$/,
        ),
        expect.stringMatching(
          /^C:\\Users\\alice\\AppData\\Local\\Temp\\evil\.exe -executed-> .*evil\.exe/,
        ),
        expect.stringMatching(/powershell\.exe.* -spawned-> .*evil\.exe/),
      ]),
    );
  });

  it('does not depend on the order the evidence arrives in', () => {
    const again = buildStory(
      [...alerts].reverse(),
      [events[2], events[0], events[3], events[1]] as StoredEvent[],
      ['dc01.corp.local', 'ws02.corp.local', 'ws01.corp.local'],
    );
    expect(again).toEqual(story);
  });
});

describe('buildStory across sources', () => {
  const zeek = (id: string, ts: number, service: string, fields: Fields): StoredEvent => {
    // a network sensor's record has no machine of its own
    const base: { -readonly [K in keyof StoredEvent]: StoredEvent[K] } = { ...ev(id, ts, '', {}) };
    delete base.host;
    return {
      ...base,
      source: { product: 'zeek', service },
      fields,
      entities: {
        ...(typeof fields['id.orig_h'] === 'string' ? { 'source.ip': fields['id.orig_h'] } : {}),
        ...(typeof fields['id.resp_h'] === 'string'
          ? { 'destination.ip': fields['id.resp_h'] }
          : {}),
        ...(typeof fields['query'] === 'string' ? { 'dns.question.name': fields['query'] } : {}),
      },
    };
  };
  const withAddress = (e: StoredEvent, address: string): StoredEvent => ({
    ...e,
    fields: { ...e.fields, 'host.ip': [address] },
  });
  const events: StoredEvent[] = [
    withAddress(
      ev('w1', T0, 'srv-app-01.corp.example', {
        ...sysmon,
        EventID: 1,
        Image: 'C:\\Windows\\System32\\cmd.exe',
        ProcessGuid: '{c1}',
        ProcessId: 100,
      }),
      '10.1.20.11',
    ),
    zeek('z1', T0 + MIN, 'notice', {
      note: 'EternalSafety::EternalBlue',
      'id.orig_h': '10.1.20.11',
      'id.resp_h': '10.1.10.23',
    }),
    withAddress(
      ev('w2', T0 + 2 * MIN, 'ws-acc-03.corp.example', {
        ...sysmon,
        EventID: 1,
        Image: 'C:\\Windows\\System32\\cmd.exe',
        ProcessGuid: '{c2}',
        ProcessId: 200,
      }),
      '10.1.10.23',
    ),
    zeek('z2', T0 + 3 * MIN, 'dns', {
      query: 'pool.supportxmr.com',
      'id.orig_h': '10.1.10.23',
      'id.resp_h': '10.1.0.10',
    }),
    // a message from outside, deleted by an agent
    {
      ...ev('m1', T0 + 4 * MIN, 'exch01.corp.example', {}),
      source: { product: 'exchange', service: 'message_tracking' },
      fields: {
        'event-id': 'RECEIVE',
        'message-id': '<c1@wire.example>',
        'message-subject': 'Weekly briefing',
        'sender-address': 'news@wire.example',
        'recipient-address': 'a.petrov@corp.example;j.chen@corp.example',
        'client-ip': '192.0.2.78',
      },
      entities: { 'host.name': 'exch01.corp.example', 'source.ip': '192.0.2.78' },
    },
  ];
  const alerts: StoryAlert[] = [
    {
      id: 'b1',
      ts: T0,
      level: 'high',
      title: 'Shell',
      ruleId: 'r1',
      tags: ['attack.execution', 'attack.t1059.003'],
      host: 'srv-app-01.corp.example',
      eventIds: ['w1'],
    },
    {
      id: 'b2',
      ts: T0 + MIN,
      level: 'critical',
      title: 'EternalBlue',
      ruleId: 'r2',
      tags: ['attack.lateral-movement', 'attack.t1210'],
      eventIds: ['z1'],
    },
    {
      id: 'b3',
      ts: T0 + 2 * MIN,
      level: 'high',
      title: 'Shell',
      ruleId: 'r1',
      tags: ['attack.execution', 'attack.t1059.003'],
      host: 'ws-acc-03.corp.example',
      eventIds: ['w2'],
    },
    {
      id: 'b4',
      ts: T0 + 3 * MIN,
      level: 'high',
      title: 'Pool',
      ruleId: 'r3',
      tags: ['attack.impact', 'attack.t1496'],
      eventIds: ['z2'],
    },
    {
      id: 'b5',
      ts: T0 + 4 * MIN,
      level: 'medium',
      title: 'Mail',
      ruleId: 'r4',
      tags: ['attack.command-and-control', 'attack.t1071.003'],
      host: 'exch01.corp.example',
      eventIds: ['m1'],
    },
  ];
  const story = buildStory(alerts, events);
  const label = new Map(story.nodes.map((n) => [n.id, n.label]));
  const edges = story.edges.map(
    (e) => `${label.get(e.from) ?? e.from} -${e.type}-> ${label.get(e.to) ?? e.to}`,
  );

  it('names machines, not the addresses a network sensor saw', () => {
    expect(edges).toContain('srv-app-01.corp.example -exploited-> ws-acc-03.corp.example');
    // a DNS query reaches the name asked, not the resolver
    expect(edges).toContain('ws-acc-03.corp.example -connected_to-> pool.supportxmr.com');
    expect(story.hosts.map((h) => h.name)).not.toContain('10.1.0.10');
  });

  it('follows a message from its outside sender to each recipient, and starts the story there', () => {
    expect(edges).toEqual(
      expect.arrayContaining([
        'news@wire.example -mailed-> Weekly briefing',
        'Weekly briefing -mailed-> a.petrov@corp.example',
        'Weekly briefing -mailed-> j.chen@corp.example',
      ]),
    );
    // the mail is the only outside party here: its sender, not the relay's address, is the source
    expect(story.source).toMatchObject({ type: 'user', label: 'news@wire.example' });
  });

  it('does not depend on the order of the evidence', () => {
    expect(buildStory([...alerts].reverse(), [...events].reverse())).toEqual(story);
  });

  it('leaves an address two machines claim as an address', () => {
    const shared = buildStory(alerts, [
      ...events,
      withAddress(
        ev('w3', T0 + 5 * MIN, 'other.corp.example', {
          ...sysmon,
          EventID: 1,
          ProcessGuid: '{c3}',
        }),
        '10.1.20.11',
      ),
    ]);
    const labels = new Map(shared.nodes.map((n) => [n.id, n.label]));
    const exploited = shared.edges
      .filter((e) => e.type === 'exploited')
      .map((e) => `${labels.get(e.from) ?? ''} -> ${labels.get(e.to) ?? ''}`);
    expect(exploited).toEqual(['10.1.20.11 -> ws-acc-03.corp.example']);
  });
});
