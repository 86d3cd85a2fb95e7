import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { shapeRecord } from '../json/shapes.ts';
import { deriveEntities } from './entities.ts';

const quickstart = fileURLToPath(new URL('../../../samples/quickstart/', import.meta.url));

/** Entities of the first sample record of `file` with EventID `id`. */
function sample(file: string, id: number): Record<string, string | number> {
  for (const line of readFileSync(`${quickstart}${file}`, 'utf8').split('\n')) {
    if (line.trim() === '') continue;
    const shaped = shapeRecord(JSON.parse(line) as Record<string, unknown>, file);
    if (shaped.fields['EventID'] === id) return { ...deriveEntities(shaped.fields, shaped.source) };
  }
  throw new Error(`no EventID ${id} in ${file}`);
}

const SYSMON = 'WS-FIN-07_Microsoft-Windows-Sysmon-Operational.jsonl';
const SECURITY = 'SRV-DB-01_Security.jsonl';

describe('deriveEntities on the shipped Windows samples', () => {
  it('Sysmon 1: process, parent, user split from DOMAIN\\user, hashes, host', () => {
    expect(sample(SYSMON, 1)).toEqual({
      'host.name': 'ws-fin-07.corvane.local',
      'host.hostname': 'ws-fin-07',
      'user.domain': 'CORVANE',
      'user.name': 'a.lindqvist',
      'event.code': '1',
      'process.pid': 8816,
      'process.executable': 'C:\\Program Files\\Microsoft Office\\root\\Office16\\EXCEL.EXE',
      'process.name': 'EXCEL.EXE',
      'process.command_line':
        '"C:\\Program Files\\Microsoft Office\\root\\Office16\\EXCEL.EXE" "C:\\Users\\a.lindqvist\\OneDrive - Corvane Logistics\\Finance\\Q4-Forecast.xlsx"',
      'process.entity_id': '7C3A91E2-18C7-6AFC-B203-000000002A00',
      'process.parent.pid': 5412,
      'process.parent.executable': 'C:\\Windows\\explorer.exe',
      'process.parent.name': 'explorer.exe',
      'process.parent.command_line': 'C:\\Windows\\Explorer.EXE',
      'process.parent.entity_id': '7C3A91E2-0914-6AFC-5C01-000000002A00',
      'winlog.logon.id': '0x2f4e1b',
      'hash.md5': 'b2f69d89ce516e1df2a037580fea1907',
      'hash.sha256': '2faf136061e7a6af16574b027b8689c1d4410358dc1f1396ab521bdc61c5ac8c',
      'hash.imphash': '4e54d0c65ba38bf33ed662f2d1c5b604',
    });
  });

  it('Sysmon 3, 11, 13, 22: network, file, registry, DNS', () => {
    const net = sample(SYSMON, 3);
    expect(typeof net['source.ip']).toBe('string');
    expect(typeof net['destination.port']).toBe('number');
    expect(typeof net['source.port']).toBe('number');
    expect(sample(SYSMON, 11)['file.path']).toMatch(/\\/);
    expect(sample(SYSMON, 11)['file.name']).toBeDefined();
    expect(sample(SYSMON, 13)['registry.path']).toMatch(/^HK/);
    expect(sample(SYSMON, 22)['dns.question.name']).toMatch(/\./);
  });

  it('Sysmon 10: the accessing process', () => {
    const e = sample(SYSMON, 10);
    expect(e['process.executable']).toBeDefined();
    expect(e['process.entity_id']).toBeDefined();
    expect(e['process.pid']).toBeTypeOf('number');
  });

  it('Security 4624: the target account, its logon id and the source address', () => {
    expect(sample(SECURITY, 4624)).toEqual({
      'host.name': 'srv-db-01.corvane.local',
      'host.hostname': 'srv-db-01',
      'user.name': 'svc_reporting',
      'user.domain': 'CORVANE.LOCAL',
      'user.id': 'S-1-5-21-3319428520-2187704651-1203346977-1288',
      'event.code': '4624',
      'source.ip': '10.20.5.40',
      'source.port': 61022,
      'winlog.logon.id': '0x8a0c17',
    });
  });

  it('Security 4672: the subject, since there is no target', () => {
    const e = sample(SECURITY, 4672);
    expect(e['user.name']).toBeDefined();
    expect(e['user.name']).not.toBe('-');
  });
});

describe('deriveEntities on other shapes', () => {
  it('Security 4688: NewProcessId is the process, ProcessId its parent (hex)', () => {
    const e = deriveEntities(
      {
        EventID: 4688,
        Computer: 'WS1',
        SubjectUserName: 'bob',
        SubjectDomainName: 'CORP',
        SubjectLogonId: '0x1f2e3',
        TargetUserName: '-',
        TargetLogonId: '0x0',
        NewProcessId: '0x1a2b',
        NewProcessName: 'C:\\Windows\\System32\\cmd.exe',
        ProcessId: '0x10',
        ParentProcessName: 'C:\\Windows\\explorer.exe',
        CommandLine: 'cmd.exe /c whoami',
      },
      { product: 'windows' },
    );
    expect(e).toMatchObject({
      'host.name': 'ws1',
      'user.name': 'bob',
      'user.domain': 'CORP',
      'process.pid': 0x1a2b,
      'process.parent.pid': 0x10,
      'process.executable': 'C:\\Windows\\System32\\cmd.exe',
      'process.parent.executable': 'C:\\Windows\\explorer.exe',
      'process.command_line': 'cmd.exe /c whoami',
      'winlog.logon.id': '0x1f2e3',
    });
    expect(e['user.target.name']).toBeUndefined();
  });

  it('Security 4720: subject is the actor, target the account made', () => {
    const e = deriveEntities(
      {
        EventID: 4720,
        SubjectUserName: 'admin',
        TargetUserName: 'backdoor',
        TargetDomainName: 'CORP',
      },
      { product: 'windows' },
    );
    expect(e).toMatchObject({
      'user.name': 'admin',
      'user.target.name': 'backdoor',
      'user.target.domain': 'CORP',
    });
  });

  it('Winlogbeat / ECS fields are taken as they are', () => {
    const shaped = shapeRecord(
      {
        '@timestamp': '2024-01-01T00:00:00Z',
        host: { name: 'DC01.corp.local' },
        user: { name: 'alice', domain: 'CORP' },
        process: { pid: 42, executable: 'C:\\x.exe', hash: { sha256: 'AB' } },
        source: { ip: '::ffff:10.0.0.9', port: 4444 },
        winlog: { channel: 'Security', event_id: '4624', event_data: { TargetUserName: 'bob' } },
        event: { code: '4624' },
      },
      '',
    );
    const e = deriveEntities(shaped.fields, shaped.source);
    expect(e).toMatchObject({
      'host.name': 'dc01.corp.local',
      'user.name': 'alice',
      'process.pid': 42,
      'process.executable': 'C:\\x.exe',
      'source.ip': '10.0.0.9',
      'source.port': 4444,
      'event.code': '4624',
      'hash.sha256': 'ab',
    });
  });

  it('Zeek: connection ends; `host` is not the machine and `query` is the DNS question', () => {
    const shaped = shapeRecord(
      {
        _path: 'http',
        ts: 1700000000.1,
        uid: 'C1',
        'id.orig_h': '10.0.0.5',
        'id.orig_p': 51544,
        'id.resp_h': '2001:DB8::1',
        'id.resp_p': 80,
        host: 'evil.example',
      },
      '',
    );
    const e = deriveEntities(shaped.fields, shaped.source);
    expect(e).toEqual({
      'source.ip': '10.0.0.5',
      'source.port': 51544,
      'destination.ip': '2001:db8::1',
      'destination.port': 80,
    });
    const dns = deriveEntities(
      { _path: 'dns', query: 'evil.example' },
      { product: 'zeek', service: 'dns' },
    );
    expect(dns['dns.question.name']).toBe('evil.example');
    expect(deriveEntities({ query: 'SELECT 1' }, {})['dns.question.name']).toBeUndefined();
  });

  it('syslog: host and program pid', () => {
    const e = deriveEntities(
      { host: 'Web-01', program: 'sshd', pid: 812, message: 'Failed password' },
      { product: 'linux', service: 'auth' },
    );
    expect(e).toEqual({ 'host.name': 'web-01', 'process.pid': 812 });
  });

  it('CloudTrail: a service name is not a source address', () => {
    const e = deriveEntities(
      { sourceIPAddress: 'ec2.amazonaws.com', userIdentity: null, 'userIdentity.userName': 'ops' },
      { product: 'aws', service: 'cloudtrail' },
    );
    expect(e).toEqual({ 'user.name': 'ops' });
    expect(
      deriveEntities({ sourceIPAddress: '198.51.100.7' }, { product: 'aws' })['source.ip'],
    ).toBe('198.51.100.7');
  });

  it('skips `-`, empty values, pid 0 and logon id 0x0; takes the first usable list item', () => {
    const e = deriveEntities(
      {
        Computer: '-',
        hostname: '',
        'host.hostname': ['', 'Box'],
        ProcessId: '0x0',
        IpAddress: '-',
        TargetLogonId: '0x0',
        SubjectLogonId: '0x3e7',
      },
      {},
    );
    expect(e).toEqual({ 'host.name': 'box', 'winlog.logon.id': '0x3e7' });
  });
});

describe('deriveEntities on Linux and Exchange fields', () => {
  it('auditd: the machine from node=, not the remote hostname= of USER_* records', () => {
    const e = deriveEntities(
      {
        type: 'USER_LOGIN',
        node: 'web01.corp.local',
        hostname: '203.0.113.9',
        addr: '203.0.113.9',
      },
      { product: 'linux', service: 'auditd' },
    );
    expect(e['host.name']).toBe('web01.corp.local');
  });

  it('Exchange message tracking: ClientIp as the source address', () => {
    const e = deriveEntities(
      { ClientIp: '10.0.4.20', Sender: 'a@corp.local' },
      { product: 'windows' },
    );
    expect(e['source.ip']).toBe('10.0.4.20');
  });
});
