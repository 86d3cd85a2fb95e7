/** Tests for entity extraction and IP classification (real-sample tests are in test/correlate-samples.test.ts). */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { EntityFields, Fields, LogSource, StoredEvent } from '../core/index.ts';
import type { Entity } from './entities.ts';
import { ENTITY_TYPES, entitiesOfEvents, extractEntities, normalizeDomain } from './entities.ts';
import { classifyIp } from './ip.ts';
import { ProcessTree } from './process-tree.ts';

const T0 = Date.UTC(2024, 0, 1, 12, 0, 0);

function ev(
  fields: Fields,
  more: {
    id?: string;
    ts?: number;
    entities?: EntityFields;
    source?: LogSource;
    format?: string;
    tenant?: string;
  } = {},
): StoredEvent {
  return {
    seq: 1,
    id: more.id ?? 'e1',
    tenant: more.tenant ?? 'acme',
    ts: more.ts ?? T0,
    receivedAt: T0,
    source: more.source ?? { product: 'windows' },
    format: more.format ?? 'evtx',
    receiver: 'upload',
    fields,
    entities: more.entities ?? {},
  };
}

/** `role id` lines, compact enough to compare whole lists. */
function brief(list: readonly Entity[]): string[] {
  return list.map((e) => `${e.role ?? '-'} ${e.id}`);
}

function ofRole(list: readonly Entity[], role: string): string[] {
  return list.filter((e) => e.role === role).map((e) => e.id);
}

function find(list: readonly Entity[], id: string, role?: string): Entity | undefined {
  return list.find((e) => e.id === id && (role === undefined || e.role === role));
}

describe('classifyIp', () => {
  it.each([
    ['10.1.2.3', '10.1.2.3', 'rfc1918', 'internal'],
    ['172.16.0.1', '172.16.0.1', 'rfc1918', 'internal'],
    ['172.31.255.255', '172.31.255.255', 'rfc1918', 'internal'],
    ['172.32.0.1', '172.32.0.1', 'public', 'external'],
    ['192.168.56.10', '192.168.56.10', 'rfc1918', 'internal'],
    ['100.64.0.1', '100.64.0.1', 'cgnat', 'internal'],
    ['100.127.255.254', '100.127.255.254', 'cgnat', 'internal'],
    ['100.128.0.1', '100.128.0.1', 'public', 'external'],
    ['127.0.0.1', '127.0.0.1', 'loopback', 'internal'],
    ['169.254.10.20', '169.254.10.20', 'link-local', 'internal'],
    ['0.0.0.0', '0.0.0.0', 'unspecified', 'internal'],
    ['224.0.0.252', '224.0.0.252', 'multicast', 'internal'],
    ['255.255.255.255', '255.255.255.255', 'reserved', 'internal'],
    ['8.8.8.8', '8.8.8.8', 'public', 'external'],
    ['::1', '::1', 'loopback', 'internal'],
    ['::', '::', 'unspecified', 'internal'],
    ['fe80::79bf:8ee2:433c:2567%12', 'fe80::79bf:8ee2:433c:2567', 'link-local', 'internal'],
    ['FEBF::1', 'febf::1', 'link-local', 'internal'],
    ['fec0::1', 'fec0::1', 'public', 'external'],
    ['fd12:3456::1', 'fd12:3456::1', 'ula', 'internal'],
    ['fc00::', 'fc00::', 'ula', 'internal'],
    ['ff02::1:3', 'ff02::1:3', 'multicast', 'internal'],
    ['2001:4860:4860::8888', '2001:4860:4860::8888', 'public', 'external'],
    ['2001:0DB8:0000:0000:0000:0000:0000:0001', '2001:db8::1', 'public', 'external'],
    ['2001:db8:0:0:1:0:0:1', '2001:db8::1:0:0:1', 'public', 'external'],
    ['2001:db8:0:1:1:1:1:1', '2001:db8:0:1:1:1:1:1', 'public', 'external'],
    ['::ffff:10.0.0.1', '10.0.0.1', 'rfc1918', 'internal'],
    ['::ffff:0a00:0001', '10.0.0.1', 'rfc1918', 'internal'],
    ['64:ff9b::192.0.2.33', '64:ff9b::c000:221', 'public', 'external'],
    ['[2001:db8::2]', '2001:db8::2', 'public', 'external'],
  ])('%s → %s (%s, %s)', (input, ip, range, scope) => {
    expect(classifyIp(input)).toMatchObject({ ip, range, scope });
  });

  it.each([
    'not an ip',
    '1.2.3',
    '1.2.3.4.5',
    '256.1.1.1',
    '01.2.3.4',
    '1:2:3:4:5:6:7:8:9',
    '1::2::3',
    '12345::1',
    '1:2:3:4:5:6:7',
    '::ffff:1.2.3.999',
    '',
  ])('%j is not an address', (input) => {
    expect(classifyIp(input)).toBeUndefined();
  });

  /** A straightforward reading of the ranges, for comparison. */
  function naiveV4(a: number, b: number): string {
    if (a === 0) return 'unspecified';
    if (a === 10 || (a === 172 && b >= 16 && b <= 31) || (a === 192 && b === 168)) return 'rfc1918';
    if (a === 100 && b >= 64 && b <= 127) return 'cgnat';
    if (a === 127) return 'loopback';
    if (a === 169 && b === 254) return 'link-local';
    if (a >= 224 && a <= 239) return 'multicast';
    if (a >= 240) return 'reserved';
    return 'public';
  }

  /** Any octet, with the values next to range boundaries drawn often. */
  const octet = (edges: readonly number[]): fc.Arbitrary<number> =>
    edges.length === 0
      ? fc.integer({ min: 0, max: 255 })
      : fc.oneof(fc.constantFrom(...edges), fc.integer({ min: 0, max: 255 }));

  it('classifies every IPv4 address as the naive reading does', () => {
    fc.assert(
      fc.property(
        fc.tuple(
          octet([0, 10, 100, 127, 169, 172, 192, 223, 224, 239, 240, 255]),
          octet([0, 15, 16, 31, 32, 63, 64, 127, 128, 167, 168, 169, 253, 254, 255]),
          octet([]),
          octet([]),
        ),
        (q) => {
          const info = classifyIp(q.join('.'));
          expect(info?.ip).toBe(q.join('.'));
          expect(info?.range).toBe(naiveV4(q[0], q[1]));
          expect(info?.scope).toBe(info?.range === 'public' ? 'external' : 'internal');
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('gives every spelling of an IPv6 address the same canonical text, which reads back as itself', () => {
    const group = fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 0xffff }));
    fc.assert(
      fc.property(fc.array(group, { minLength: 8, maxLength: 8 }), fc.boolean(), (g, upper) => {
        // not IPv4-mapped (those become IPv4 on purpose)
        fc.pre(!(g.slice(0, 5).every((x) => x === 0) && g[5] === 0xffff));
        const full = g.map((x) => x.toString(16).padStart(4, '0')).join(':');
        const spelled = upper ? full.toUpperCase() : full;
        const canonical = classifyIp(spelled)?.ip;
        expect(canonical).toBeDefined();
        expect(classifyIp(canonical!)?.ip).toBe(canonical);
        // expanding the canonical text gives the groups back
        const [head = '', tail] = canonical!.split('::');
        const h = head === '' ? [] : head.split(':');
        const t = tail === undefined || tail === '' ? [] : tail.split(':');
        const groups =
          tail === undefined
            ? h
            : [...h, ...new Array<string>(8 - h.length - t.length).fill('0'), ...t];
        expect(groups.map((x) => parseInt(x, 16))).toEqual(g);
        // RFC 5952: no leading zeros; the first longest run of two or more zero groups is `::`
        let best = -1;
        let len = 1;
        for (let i = 0; i < 8; i++) {
          let j = i;
          while (j < 8 && g[j] === 0) j++;
          if (j - i > len) [best, len] = [i, j - i];
        }
        const hex = g.map((x) => x.toString(16));
        const naive =
          best < 0
            ? hex.join(':')
            : `${hex.slice(0, best).join(':')}::${hex.slice(best + len).join(':')}`;
        expect(canonical).toBe(naive);
      }),
      { numRuns: 2000 },
    );
  });
});

describe('normalizeDomain', () => {
  it.each([
    ['Evil.Example.COM.', 'evil.example.com'],
    ['wpad', 'wpad'],
    ['_ldap._tcp.dc._msdcs.corp.local', '_ldap._tcp.dc._msdcs.corp.local'],
    ['10.0.0.1', undefined],
    ['::1', undefined],
    ['http://x.example/', undefined],
    ['(empty)', undefined],
    ['', undefined],
  ])('%j → %j', (input, out) => {
    expect(normalizeDomain(input)).toBe(out);
  });
});

describe('extractEntities', () => {
  it('reads a 4624 network logon: both accounts, the new session, the source machine and address', () => {
    const list = extractEntities(
      ev({
        EventID: 4624,
        Channel: 'Security',
        Computer: 'WIN-77LTAPHIQ1R.example.corp',
        SubjectUserName: '-',
        SubjectLogonId: '0x0',
        TargetUserName: 'Administrator',
        TargetDomainName: 'EXAMPLE',
        TargetUserSid: 'S-1-5-21-1-2-3-500',
        TargetLogonId: '0x10fbcc',
        LogonType: 3,
        WorkstationName: 'ATTACKER-PC',
        IpAddress: '10.0.2.17',
        IpPort: '49702',
        ProcessId: '0x0',
      }),
    );
    expect(brief(list)).toEqual([
      '- host:win-77ltaphiq1r.example.corp',
      'source host:attacker-pc',
      'target user:example\\administrator',
      'target session:win-77ltaphiq1r.example.corp:0x10fbcc',
      'source ip:10.0.2.17',
    ]);
    expect(list[0]?.attributes).toEqual({ hostname: 'win-77ltaphiq1r' });
    expect(find(list, 'user:example\\administrator')).toMatchObject({
      label: 'EXAMPLE\\Administrator',
      attributes: { domain: 'EXAMPLE', sid: 'S-1-5-21-1-2-3-500' },
    });
    expect(find(list, 'session:win-77ltaphiq1r.example.corp:0x10fbcc')?.attributes).toEqual({
      logonType: 3,
    });
    expect(find(list, 'ip:10.0.2.17')?.attributes).toEqual({
      version: 4,
      scope: 'internal',
      range: 'rfc1918',
      port: 49702,
    });
  });

  it('normalises users: DOMAIN\\name lower-case, UPNs as they are, Linux accounts scoped to their machine', () => {
    const ids = (fields: Fields, more: Parameters<typeof ev>[1] = {}): string[] =>
      extractEntities(ev(fields, more))
        .filter((e) => e.type === 'user')
        .map((e) => `${e.role ?? '-'} ${e.id}`);
    expect(ids({ Computer: 'WS01', User: 'CORP\\Alice' })).toEqual(['actor user:corp\\alice']);
    expect(ids({ SubjectUserName: 'Bob', SubjectDomainName: 'CORP' })).toEqual([
      'actor user:corp\\bob',
    ]);
    expect(ids({}, { entities: { 'user.name': 'Carol@Corp.example' } })).toEqual([
      'actor user:carol@corp.example',
    ]);
    expect(
      ids(
        { pid: '10', AUID: 'root', node: 'Web01' },
        {
          source: { product: 'linux', service: 'auditd' },
          format: 'auditd',
        },
      ),
    ).toEqual(['actor user:web01\\root']);
    const system = extractEntities(ev({ Computer: 'WS01', User: 'NT AUTHORITY\\SYSTEM' }));
    expect(find(system, 'user:nt authority\\system')?.attributes).toMatchObject({ wellKnown: 1 });
    const machine = extractEntities(ev({ SubjectUserName: 'WS01$', SubjectDomainName: 'CORP' }));
    expect(find(machine, 'user:corp\\ws01$')?.attributes).toMatchObject({ machine: 1 });
  });

  it('names a 4688 process by pid and creation second, and its creator by pid (resolved through a tree)', () => {
    const t = Date.UTC(2019, 4, 11, 17, 10, 10, 889);
    const event = ev(
      {
        EventID: 4688,
        Channel: 'Security',
        Computer: 'IEWIN7',
        NewProcessId: '0xc74',
        NewProcessName: 'C:\\Windows\\System32\\cmd.exe',
        ProcessId: '0x4f0',
        SubjectUserName: 'IEWIN7$',
        SubjectDomainName: 'WORKGROUP',
        SubjectLogonId: '0x3e7',
      },
      { ts: t, id: 'cmd' },
    );
    const alone = extractEntities(event);
    expect(brief(alone)).toEqual([
      '- host:iewin7',
      `actor process:iewin7:3188:${Math.floor(t / 1000)}`,
      'parent process:iewin7:1264',
      'actor user:workgroup\\iewin7$',
    ]);
    expect(find(alone, `process:iewin7:3188:${Math.floor(t / 1000)}`)).toMatchObject({
      label: 'cmd.exe (3188)',
      attributes: { pid: 3188, image: 'C:\\Windows\\System32\\cmd.exe', start: t },
    });
    const tree = new ProcessTree();
    const python = ev(
      {
        EventID: 4688,
        Channel: 'Security',
        Computer: 'IEWIN7',
        NewProcessId: '0x4f0',
        NewProcessName: 'C:\\Python27\\python.exe',
        ProcessId: '0x12c',
      },
      { ts: t - 547, id: 'python' },
    );
    tree.add(python);
    tree.add(event);
    const resolved = extractEntities(event, { processes: tree });
    expect(
      find(resolved, `process:iewin7:1264:${Math.floor((t - 547) / 1000)}`, 'parent'),
    ).toBeDefined();
  });

  it('reads Sysmon process access with the GUID spelling of old Sysmon versions', () => {
    const list = extractEntities(
      ev({
        EventID: 10,
        Channel: 'Microsoft-Windows-Sysmon/Operational',
        Computer: 'IEWIN7',
        UtcTime: '2019-06-20 08:07:42.331',
        SourceProcessGUID: '{365ABB72-3D05-5D0B-0000-001004220D00}',
        SourceProcessId: 816,
        TargetProcessGUID: '365ABB72-3ECE-5D0B-0000-00107F7F1A00',
        TargetProcessId: 1284,
        TargetImage: 'C:\\Windows\\system32\\NETSTAT.EXE',
      }),
    );
    expect(brief(list)).toEqual([
      '- host:iewin7',
      'actor process:iewin7:365abb72-3d05-5d0b-0000-001004220d00',
      'target process:iewin7:365abb72-3ece-5d0b-0000-00107f7f1a00',
    ]);
  });

  it('reads DNS: the name asked, without the trailing dot, and the addresses answered', () => {
    const sysmon = extractEntities(
      ev(
        {
          EventID: 22,
          Channel: 'Microsoft-Windows-Sysmon/Operational',
          Computer: 'ws01.corp.local',
          ProcessGuid: '{5770385f-0000-0000-0000-000000000001}',
          ProcessId: 4242,
          Image: 'C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe',
          QueryName: 'Raw.GitHubUserContent.com.',
          QueryResults:
            'type:  5 github.map.fastly.net;::ffff:185.199.108.133;::ffff:185.199.109.133;',
        },
        { entities: { 'dns.question.name': 'Raw.GitHubUserContent.com.' } },
      ),
    );
    expect(brief(sysmon).slice(2)).toEqual([
      'answer ip:185.199.108.133',
      'answer ip:185.199.109.133',
      'destination domain:raw.githubusercontent.com',
    ]);
    expect(find(sysmon, 'ip:185.199.108.133')?.attributes).toMatchObject({ scope: 'external' });

    const zeek = extractEntities(
      ev(
        {
          _path: 'dns',
          'id.orig_h': '10.47.1.100',
          'id.orig_p': 41772,
          'id.resp_h': '10.0.0.100',
          'id.resp_p': 53,
          query: 'ise.wrccdc.org',
          answers: ['ise.wrccdc.cpp.edu', '134.71.3.16'],
        },
        {
          source: { product: 'zeek', service: 'dns' },
          format: 'zeek-json',
          entities: {
            'source.ip': '10.47.1.100',
            'source.port': 41772,
            'destination.ip': '10.0.0.100',
            'destination.port': 53,
            'dns.question.name': 'ise.wrccdc.org',
          },
        },
      ),
    );
    expect(brief(zeek)).toEqual([
      'source ip:10.47.1.100',
      'destination ip:10.0.0.100',
      'answer ip:134.71.3.16',
      'destination domain:ise.wrccdc.org',
    ]);
    expect(find(zeek, 'ip:10.0.0.100')?.attributes).toMatchObject({ port: 53 });
  });

  it('skips loopback and unspecified addresses, which name no one', () => {
    const list = extractEntities(
      ev({ EventID: 4624, Computer: 'WS01', IpAddress: '::1', TargetLogonId: '0x1' }),
    );
    expect(list.some((e) => e.type === 'ip')).toBe(false);
    expect(
      extractEntities(ev({ DestinationIp: '0.0.0.0', SourceIp: '127.0.0.1' })).filter(
        (e) => e.type === 'ip',
      ),
    ).toEqual([]);
  });

  it('reads URLs (and their host), Zeek HTTP requests, files, loaded modules and registry keys', () => {
    const web = extractEntities(
      ev({}, { entities: { 'url.original': 'HTTPS://Evil.Example/Payload.ps1?a=1' } }),
    );
    expect(brief(web)).toEqual([
      'destination url:https://evil.example/Payload.ps1?a=1',
      'destination domain:evil.example',
    ]);
    const zeek = extractEntities(
      ev(
        { host: '203.0.113.9', uri: '/x.exe' },
        { source: { product: 'zeek', service: 'http' }, format: 'zeek-json' },
      ),
    );
    expect(brief(zeek)).toEqual([
      'destination url:http://203.0.113.9/x.exe',
      'destination ip:203.0.113.9',
    ]);
    const files = extractEntities(
      ev(
        {
          Computer: 'WS01',
          TargetFilename: 'C:\\Users\\Alice\\AppData\\Roaming\\wwlib.dll',
          TargetObject: '\\REGISTRY\\MACHINE\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Run\\x',
          ImageLoaded: '/usr/lib/libX.so',
        },
        { entities: { 'file.path': 'C:\\Users\\Alice\\AppData\\Roaming\\wwlib.dll' } },
      ),
    );
    expect(brief(files)).toEqual([
      '- host:ws01',
      'target file:ws01:c:\\users\\alice\\appdata\\roaming\\wwlib.dll',
      'loaded file:ws01:/usr/lib/libX.so',
      'target registry:ws01:hklm\\software\\microsoft\\windows\\currentversion\\run\\x',
    ]);
    expect(
      find(files, 'registry:ws01:hklm\\software\\microsoft\\windows\\currentversion\\run\\x'),
    ).toMatchObject({ label: 'HKLM\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Run\\x' });
  });

  it('reads services (7045 and 4697 name their fields differently) but not Kerberos service names', () => {
    const s7045 = extractEntities(
      ev({
        EventID: 7045,
        Channel: 'System',
        Computer: 'DC1',
        ServiceName: 'PSEXESVC',
        ImagePath: '%SystemRoot%\\PSEXESVC.exe',
        ServiceType: 'user mode service',
        StartType: 'demand start',
        AccountName: 'LocalSystem',
      }),
    );
    expect(find(s7045, 'service:dc1:psexesvc', 'target')?.attributes).toEqual({
      image: '%SystemRoot%\\PSEXESVC.exe',
      account: 'LocalSystem',
      startType: 'demand start',
    });
    const s4697 = extractEntities(
      ev({
        EventID: 4697,
        Channel: 'Security',
        Computer: 'DC1',
        ServiceName: 'evil',
        ServiceFileName: 'C:\\evil.exe',
        ServiceAccount: 'LocalSystem',
      }),
    );
    expect(find(s4697, 'service:dc1:evil')?.attributes).toMatchObject({ image: 'C:\\evil.exe' });
    const kerberos = extractEntities(
      ev({ EventID: 4769, Channel: 'Security', Computer: 'DC1', ServiceName: 'krbtgt' }),
    );
    expect(kerberos.some((e) => e.type === 'service')).toBe(false);
  });

  it('reads scheduled tasks with the command from their XML', () => {
    const list = extractEntities(
      ev({
        EventID: 4698,
        Channel: 'Security',
        Computer: 'WS01',
        TaskName: '\\Microsoft\\Windows\\Updater',
        TaskContent:
          '<Task><Actions Context="Author"><Exec><Command>cmd.exe</Command><Arguments>/c whoami &gt; C:\\x.txt</Arguments></Exec></Actions></Task>',
      }),
    );
    expect(find(list, 'task:ws01:\\microsoft\\windows\\updater', 'target')).toMatchObject({
      label: '\\Microsoft\\Windows\\Updater',
      attributes: { command: 'cmd.exe', arguments: '/c whoami > C:\\x.txt' },
    });
  });

  it('reads Exchange message tracking: the message, its sender and every recipient', () => {
    const list = extractEntities(
      ev(
        {
          EventId: 'DELIVER',
          MessageId: '<CAF=abc@mail.example.com>',
          MessageSubject: 'Invoice overdue',
          Sender: 'billing@evil.example',
          Recipients: ['Alice@corp.example', 'bob@corp.example'],
          ClientIp: '198.51.100.7',
          ServerHostname: 'EXCH01',
        },
        { source: {}, format: 'json' },
      ),
    );
    expect(brief(list)).toEqual([
      '- host:exch01',
      'sender user:billing@evil.example',
      'recipient user:alice@corp.example',
      'recipient user:bob@corp.example',
      'source ip:198.51.100.7',
      'target mail:caf=abc@mail.example.com',
    ]);
    const csv = extractEntities(
      ev(
        { MessageId: '<m1@x>', Sender: 'a@x.example', Recipients: 'B@y.example; c@y.example' },
        { source: {}, format: 'json' },
      ),
    );
    expect(ofRole(csv, 'recipient')).toEqual(['user:b@y.example', 'user:c@y.example']);
    expect(find(list, 'mail:caf=abc@mail.example.com')).toMatchObject({
      label: 'Invoice overdue',
      attributes: { subject: 'Invoice overdue', event: 'DELIVER' },
    });
  });

  it('reads MongoDB logs: the database, its user (local to the server) and the client', () => {
    const list = extractEntities(
      ev(
        {
          s: 'I',
          c: 'ACCESS',
          id: 20250,
          ctx: 'conn12',
          msg: 'Authentication succeeded',
          'attr.principalName': 'reporting',
          'attr.authenticationDatabase': 'sales',
          'attr.remote': '203.0.113.50:56422',
          'attr.ns': 'sales.customers',
        },
        { source: {}, format: 'json', entities: { 'host.name': 'db01' } },
      ),
    );
    expect(brief(list)).toEqual([
      '- host:db01',
      'actor user:db01\\reporting',
      'source ip:203.0.113.50',
      'target database:db01:sales',
    ]);
    expect(find(list, 'user:db01\\reporting')?.attributes).toEqual({ database: 'sales' });
    expect(find(list, 'ip:203.0.113.50')?.attributes).toMatchObject({ port: 56422 });
    expect(find(list, 'database:db01:sales')?.attributes).toEqual({ collection: 'customers' });
  });

  it("reads mongod's own log: a connection is a session, a created collection names its database", () => {
    const mongod = { product: 'mongodb', service: 'mongod' };
    const accepted = extractEntities(
      ev(
        {
          c: 'NETWORK',
          id: 22943,
          ctx: 'listener',
          msg: 'Connection accepted',
          'attr.remote': '203.0.113.66:40122',
          'attr.connectionId': 1187,
          'host.ip': ['10.20.5.21', 'fe80::1', '127.0.0.1'],
        },
        { source: mongod, format: 'json', entities: { 'host.name': 'db01' } },
      ),
    );
    expect(brief(accepted)).toEqual([
      '- host:db01',
      'actor session:db01:conn1187',
      'source ip:203.0.113.66',
    ]);
    // the machine's own addresses as its shipper reports them, without link-local and loopback
    expect(find(accepted, 'host:db01')?.attributes).toEqual({ addresses: '10.20.5.21' });
    const created = extractEntities(
      ev(
        {
          c: 'STORAGE',
          id: 20320,
          ctx: 'conn1187',
          msg: 'createCollection',
          'attr.namespace': 'READ__ME_TO_RECOVER_YOUR_DATA.README',
        },
        { source: mongod, format: 'json', entities: { 'host.name': 'db01' } },
      ),
    );
    expect(brief(created)).toEqual([
      '- host:db01',
      'actor session:db01:conn1187',
      'target database:db01:READ__ME_TO_RECOVER_YOUR_DATA',
    ]);
    expect(find(created, 'session:db01:conn1187')?.attributes).toEqual({ protocol: 'mongodb' });
  });

  it('reads message tracking rows under the log’s own column names', () => {
    const list = extractEntities(
      ev(
        {
          'event-id': 'REDIRECT',
          source: 'AGENT',
          'message-id': '<X1@bank.example>',
          'message-subject': 'Credit line renewal',
          'sender-address': 'h.berg@bank.example',
          'recipient-address': 'archive-sync@drop.example',
          'related-recipient-address': 'cfo@corp.example',
        },
        {
          source: { product: 'exchange', service: 'message_tracking' },
          format: 'json',
          entities: { 'host.name': 'exch01' },
        },
      ),
    );
    expect(brief(list)).toEqual([
      '- host:exch01',
      'sender user:h.berg@bank.example',
      'recipient user:archive-sync@drop.example',
      'target mail:x1@bank.example',
    ]);
    expect(find(list, 'mail:x1@bank.example')?.attributes).toEqual({
      subject: 'Credit line renewal',
      event: 'REDIRECT',
    });
  });

  it('reads an auditd execve: the process, its parent, the numeric login uid and the audit session', () => {
    const list = extractEntities(
      ev(
        {
          node: 'web01',
          type: ['SYSCALL', 'EXECVE', 'CWD', 'PATH', 'PROCTITLE'],
          SYSCALL: 'execve',
          success: 'yes',
          pid: '2168',
          ppid: '29002',
          auid: '1000',
          uid: '1000',
          ses: '104',
          exe: '/bin/dd',
          argc: '4',
          a0: ['558e25052c70', 'dd'],
          a1: ['558e251641a0', 'if=/dev/zero'],
          a2: ['558e25160800', 'bs=1'],
          a3: ['1b6', 'count=1'],
          proctitle: 'dd if=/dev/zero bs=1 count=1',
        },
        { source: { product: 'linux', service: 'auditd' }, format: 'auditd', ts: 1604996384965 },
      ),
    );
    expect(brief(list)).toEqual([
      '- host:web01',
      'actor process:web01:2168:1604996384',
      'parent process:web01:29002',
      'actor user:web01\\uid:1000',
      'actor session:web01:104',
    ]);
    expect(find(list, 'process:web01:2168:1604996384')?.attributes).toMatchObject({
      image: '/bin/dd',
      commandLine: 'dd if=/dev/zero bs=1 count=1',
    });
  });

  it('lists each (id, role) once, and every entity type is produced by some event above', () => {
    const events = [
      ev({ Computer: 'WS01', User: 'CORP\\a', SourceUser: 'corp\\A' }),
      ev(
        { Computer: 'WS01', TaskName: '\\t', ServiceName: 's', EventID: 7045, MessageId: 'm' },
        { entities: { 'hash.sha256': 'AB'.repeat(32), 'url.original': 'http://x.example/' } },
      ),
      ev({ 'attr.db': 'd', SubjectLogonId: '0x1', ProcessGuid: 'g', TargetObject: 'HKLM\\x' }),
      ev({ TargetFilename: '/tmp/x', DestinationIp: '8.8.8.8', QueryName: 'a.example' }),
    ];
    const all = entitiesOfEvents(events);
    const keys = all.map((e) => `${e.role ?? ''} ${e.id}`);
    expect(new Set(keys).size).toBe(keys.length);
    expect(brief(extractEntities(events[0]!))).toEqual(['- host:ws01', 'actor user:corp\\a']);
    expect(new Set(all.map((e) => e.type))).toEqual(new Set(ENTITY_TYPES));
  });

  it('is deterministic and gives an event without names nothing', () => {
    const e = ev({ Computer: 'WS01', User: 'CORP\\Alice', DestinationIp: '8.8.8.8' });
    expect(extractEntities(e)).toEqual(extractEntities(e));
    expect(extractEntities(ev({ message: 'hello' }, { source: {}, format: 'json' }))).toEqual([]);
  });
});
