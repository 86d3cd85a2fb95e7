import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { unzipSync } from 'fflate';
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import type { Event, Issue, ReadBatch } from '../../core/index.ts';
import { parseEvtx } from '../evtx/index.ts';
import { MAX_FIELD_CHARS } from '../record.ts';
import { readBytes } from '../read.ts';
import { readJson } from './read.ts';

const data = fileURLToPath(new URL('../../../../shared/data/', import.meta.url));
const enc = new TextEncoder();

function read(text: string | Uint8Array, file = 'test.json'): { events: Event[]; issues: Issue[] } {
  const bytes = typeof text === 'string' ? enc.encode(text) : text;
  const batches: ReadBatch[] = [...readJson(bytes, { file, tenant: 'acme' })];
  return { events: batches.flatMap((b) => b.events), issues: batches.flatMap((b) => b.issues) };
}

function walk(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n);
    return statSync(p).isDirectory() ? walk(p) : [p];
  });
}

describe('JSON reader: SigmaHQ regression twins', () => {
  const files = walk(join(data, 'sigma/regression_data')).filter((f) => f.endsWith('.json'));

  it('flattens every JSON twin exactly like the EVTX reader reads the binary twin', () => {
    expect(files.length).toBeGreaterThan(200);
    const mismatched = new Set<string>();
    let compared = 0;
    for (const f of files) {
      const fromJson = read(readFileSync(f), f);
      expect(fromJson.issues).toEqual([]);
      const binary = [...parseEvtx(readFileSync(f.replace(/\.json$/, '.evtx')), f)].flatMap(
        (b) => b.events,
      );
      const byRecord = new Map(binary.map((e) => [e.fields['EventRecordID'], e]));
      for (const e of fromJson.events) {
        const twin = byRecord.get(e.fields['EventRecordID']);
        expect(twin, `${f} record ${String(e.fields['EventRecordID'])}`).toBeDefined();
        if (!twin) continue;
        compared++;
        expect(e.source).toEqual({ product: 'windows' });
        if (
          e.ts !== twin.ts ||
          JSON.stringify(sorted(e.fields)) !== JSON.stringify(sorted(twin.fields))
        ) {
          mismatched.add(f.slice(f.lastIndexOf('/') + 1));
        }
      }
    }
    expect(compared).toBeGreaterThanOrEqual(238);
    // This twin's JSON was edited by hand upstream (`Explorer.exe` vs the binary's `Explorer.EXE`,
    // a 7-digit fraction in SystemTime); its fields differ from its own EVTX in those two values.
    expect([...mismatched]).toEqual(['ad691d92-15f2-4181-9aa4-723c74f9ddc3.json']);
  });

  it('names System, EventData and UserData fields the way Sigma rules use them', () => {
    const f = files.find((x) => readFileSync(x, 'utf8').includes('"UserData"'));
    expect(f).toBeDefined();
    const { events } = read(readFileSync(f ?? ''));
    const e = events[0];
    expect(
      typesOf(e?.fields, [
        'Provider_Name',
        'EventID',
        'Channel',
        'Computer',
        'ClientProcessId',
        'Operation',
      ]),
    ).toEqual(['string', 'number', 'string', 'string', 'number', 'string']);
    expect(Number.isNaN(e?.ts)).toBe(false);
    const sysmon = read(
      readFileSync(
        files.find((x) => x.includes('proc_creation_win_susp_right_to_left_override')) ?? '',
      ),
    ).events[0];
    expect(sysmon?.fields).toMatchObject({
      EventID: 1,
      Channel: 'Microsoft-Windows-Sysmon/Operational',
      Provider_Name: 'Microsoft-Windows-Sysmon',
      Security_UserID: 'S-1-5-18',
    });
    expect(typesOf(sysmon?.fields, ['Execution_ProcessID', 'Image'])).toEqual(['number', 'string']);
  });

  it('keeps EventID Qualifiers, unnamed Data lists and the xmlns-free attributes', () => {
    const doc = {
      Event: {
        '#attributes': { xmlns: 'http://schemas.microsoft.com/win/2004/08/events/event' },
        System: {
          Provider: { '#attributes': { Name: 'Service Control Manager', EventSourceName: 'SCM' } },
          EventID: { '#text': 7045, '#attributes': { Qualifiers: 16384 } },
          TimeCreated: { '#attributes': { SystemTime: '2024-01-02T03:04:05.678901Z' } },
          Correlation: { '#attributes': { ActivityID: '{A}' } },
          Channel: 'System',
          Security: { '#attributes': { UserID: '' } },
        },
        EventData: { Data: { '#text': ['svc', 'C:\\x.exe'] }, Binary: '00FF' },
      },
    };
    const e = read(JSON.stringify(doc)).events[0];
    expect(e?.fields).toEqual({
      Provider_Name: 'Service Control Manager',
      Provider_EventSourceName: 'SCM',
      EventID: 7045,
      EventID_Qualifiers: 16384,
      TimeCreated_SystemTime: '2024-01-02T03:04:05.678901Z',
      Correlation_ActivityID: '{A}',
      Channel: 'System',
      Data: ['svc', 'C:\\x.exe'],
      Binary: '00FF',
    });
    expect(e?.ts).toBe(Date.UTC(2024, 0, 2, 3, 4, 5, 678));
  });
});

describe('JSON reader: xmltodict-style Windows events', () => {
  it('reads @attributes and Data items named by @Name', () => {
    const doc = {
      Event: {
        '@xmlns': 'http://schemas.microsoft.com/win/2004/08/events/event',
        System: {
          Provider: { '@Name': 'Microsoft-Windows-Security-Auditing', '@Guid': '{54849625}' },
          EventID: '4688',
          TimeCreated: { '@SystemTime': '2024-01-02T03:04:05.000Z' },
          Channel: 'Security',
          Computer: 'ws01',
        },
        EventData: {
          Data: [
            { '@Name': 'NewProcessName', '#text': 'C:\\Windows\\System32\\whoami.exe' },
            { '@Name': 'CommandLine' },
          ],
        },
      },
    };
    const e = read(JSON.stringify(doc)).events[0];
    expect(e?.fields).toEqual({
      Provider_Name: 'Microsoft-Windows-Security-Auditing',
      Provider_Guid: '{54849625}',
      EventID: 4688,
      TimeCreated_SystemTime: '2024-01-02T03:04:05.000Z',
      Channel: 'Security',
      Computer: 'ws01',
      NewProcessName: 'C:\\Windows\\System32\\whoami.exe',
      CommandLine: '',
    });
  });
});

describe('JSON reader: Velociraptor parse_evtx rows', () => {
  it('names System attributes like the evtx crate and takes EventID.Value', () => {
    const row = {
      System: {
        Provider: { Name: 'Microsoft-Windows-Security-Auditing', Guid: '{54849625-5478}' },
        EventID: { Value: 4624 },
        Version: 2,
        Level: 0,
        TimeCreated: { SystemTime: 1597066230.5 },
        EventRecordID: 1234,
        Execution: { ProcessID: 636, ThreadID: 700 },
        Channel: 'Security',
        Computer: 'dc01.corp',
        Security: { UserID: '' },
      },
      EventData: { TargetUserName: 'alice', LogonType: 3 },
      Message: 'An account was successfully logged on.',
    };
    const e = read(JSON.stringify(row)).events[0];
    expect(e?.fields).toEqual({
      Provider_Name: 'Microsoft-Windows-Security-Auditing',
      Provider_Guid: '{54849625-5478}',
      EventID: 4624,
      Version: 2,
      Level: 0,
      TimeCreated_SystemTime: 1597066230.5,
      EventRecordID: 1234,
      Execution_ProcessID: 636,
      Execution_ThreadID: 700,
      Channel: 'Security',
      Computer: 'dc01.corp',
      TargetUserName: 'alice',
      LogonType: 3,
      Message: 'An account was successfully logged on.',
    });
    expect(e?.source).toEqual({ product: 'windows' });
    expect(e?.ts).toBe(1597066230500);
  });
});

describe('JSON reader: framing and recovery', () => {
  it('reads NDJSON and reports a bad object in the middle with its line, reading the rest', () => {
    const text = ['{"a":1}', '{"a":2,"b":', '{"a":3}', '{"a":4,}', '', '{"a":5}'].join('\n');
    const { events, issues } = read(text);
    expect(events.map((e) => e.fields['a'])).toEqual([1, 3, 5]);
    expect(events.map((e) => e.origin.recordId)).toEqual([1, 3, 6]);
    expect(issues.map((i) => [i.code, i.at?.line])).toEqual([
      ['READ_BAD_JSON', 2],
      ['READ_BAD_JSON', 4],
    ]);
    expect(events[1]?.origin).toEqual({
      file: 'test.json',
      format: 'json',
      recordId: 3,
      offset: 20,
    });
  });

  it('reads pretty-printed objects back to back and recovers at the next column-0 brace', () => {
    const ok = JSON.stringify({ n: 1, nested: { deep: [1, { x: 'y' }] } }, null, 2);
    const broken = '{\n  "n": 2,\n  "nested": {\n    "x": 1\n';
    const { events, issues } = read(`${ok}\n${broken}\n${ok.replace('"n": 1', '"n": 3')}\n`);
    expect(events.map((e) => e.fields['n'])).toEqual([1, 3]);
    expect(events[0]?.fields['nested.deep']).toEqual(1);
    expect(events[0]?.fields['nested.deep.x']).toBe('y');
    expect(issues).toHaveLength(1);
    expect(issues[0]?.at?.line).toBe(ok.split('\n').length + 1);
  });

  it('reports a string broken by a line break once and continues on the next line', () => {
    const { events, issues } = read('{"a":"x\n y"}\n{"a":"z"}\n');
    expect(events.map((e) => e.fields['a'])).toEqual(['z']);
    expect(issues.map((i) => i.at?.line)).toEqual([1]);
  });

  it('reads a top-level array, Records wrappers and evtx_dump separators', () => {
    expect(read('[{"a":1},\n {"a":2}]').events.map((e) => e.fields['a'])).toEqual([1, 2]);
    const ct = read(
      '{"Records":[{"eventVersion":"1.08","eventSource":"s3.amazonaws.com","eventName":"GetObject","eventTime":"2024-05-01T00:00:00Z"}]}',
    );
    expect(ct.events[0]?.source).toEqual({ product: 'aws', service: 'cloudtrail' });
    expect(ct.events[0]?.ts).toBe(Date.UTC(2024, 4, 1));
    const wrapped = read(
      '{"Records": [\n{"eventVersion":"1","eventSource":"a","eventName":"X"},\n{"bad":,\n{"eventVersion":"1","eventSource":"b","eventName":"Y"}\n]}\n',
    );
    expect(wrapped.events.map((e) => [e.fields['eventSource'], e.origin.recordId])).toEqual([
      ['a', 2],
      ['b', 4],
    ]);
    expect(wrapped.issues.map((i) => [i.code, i.at?.line])).toEqual([['READ_BAD_JSON', 3]]);
    const dump = read('Record 1\n{"a":1}\nRecord 2\n{"a":2}\n');
    expect(dump.issues).toEqual([]);
    expect(dump.events).toHaveLength(2);
    const noise = read('hello\n{"a":1}\n');
    expect(noise.issues.map((i) => [i.code, i.at?.line])).toEqual([['READ_BAD_JSON', 1]]);
  });

  it('hands a large file out in batches of at most 1000 events, in order', () => {
    const text = Array.from({ length: 2500 }, (_, i) => `{"i":${String(i)}}`).join('\n');
    const batches = [...readJson(enc.encode(text), { file: 'big.json', tenant: 't' })];
    expect(batches.map((b) => b.events.length)).toEqual([1000, 1000, 500]);
    expect(batches.flatMap((b) => b.events).map((e) => e.fields['i'])).toEqual(
      Array.from({ length: 2500 }, (_, i) => i),
    );
    expect(
      batches.every((b) => b.file === 'big.json' && b.events.every((e) => e.tenant === 't')),
    ).toBe(true);
  });

  it('flattens nested objects to dotted keys and arrays of objects to lists', () => {
    const e = read('{"a":{"b":{"c":1}},"items":[{"id":"x"},{"id":"y"}],"tags":["p","q"],"n":null}')
      .events[0];
    expect(e?.fields).toEqual({ 'a.b.c': 1, 'items.id': ['x', 'y'], tags: ['p', 'q'], n: null });
    expect(e?.source).toEqual({});
  });

  it('truncates a field over 1 MiB inside a 10 MB record and says so', () => {
    const big = 'A'.repeat(10 * 1024 * 1024);
    const { events, issues } = read(`{"small":"x"}\n{"big":"${big}","k":1}\n{"small":"y"}\n`);
    expect(events).toHaveLength(3);
    expect((events[1]?.fields['big'] as string).length).toBe(MAX_FIELD_CHARS);
    expect(events[1]?.fields['k']).toBe(1);
    expect(issues.map((i) => [i.code, i.at?.line, i.at?.path])).toEqual([
      ['READ_FIELD_TOO_LARGE', 2, 'big'],
    ]);
  });
});

describe('JSON reader: shapes from real datasets', () => {
  it('maps OTRF NXLog Windows events (Hostname, SourceName) to Windows fields', () => {
    const zip = readFileSync(
      join(
        data,
        'datasets/Security-Datasets/datasets/compound/LSASS_campaign_01/metasploit_logonpasswords_lsass_memory_dump.zip',
      ),
    );
    const entry = Object.values(unzipSync(zip))[0] ?? new Uint8Array();
    // the first 2 MB are enough and keep the test fast
    const head = entry.subarray(0, entry.indexOf(10, 2_000_000) + 1);
    const { events, issues } = read(head, 'lsass.json');
    expect(issues).toEqual([]);
    expect(events.length).toBeGreaterThan(1000);
    const first = events[0];
    expect(first?.fields).toMatchObject({
      EventID: 412,
      Channel: 'Application',
      Computer: 'MKT01.pandalab.com',
      Provider_Name: 'ESENT',
      Level: 2,
      Task: 3,
    });
    expect(first?.ts).toBe(Date.parse('2023-08-15T09:53:59.757Z'));
    const handle = events.find((e) => e.fields['EventID'] === 4656);
    expect(handle?.fields['Channel']).toBe('Security');
    expect(typesOf(handle?.fields, ['ObjectName', 'SubjectUserName'])).toEqual([
      'string',
      'string',
    ]);
    expect(events.every((e) => e.source.product === 'windows')).toBe(true);
  });

  it('recognises CloudTrail, Azure AD audit and Microsoft 365 records in OTRF zips', () => {
    const zipText = (rel: string): Uint8Array =>
      Object.values(
        unzipSync(readFileSync(join(data, 'datasets/Security-Datasets/datasets', rel))),
      )[0] ?? new Uint8Array();
    const ct = read(zipText('atomic/aws/collection/ec2_proxy_s3_exfiltration.zip'));
    expect(ct.issues).toEqual([]);
    expect(ct.events.length).toBe(103);
    expect(ct.events.every((e) => e.source.service === 'cloudtrail')).toBe(true);
    expect(ct.events[0]?.fields['userIdentity.type']).toBe('IAMUser');
    const aad = read(zipText('compound/GoldenSAMLADFSMailAccess/AADAuditEvents.Zip'));
    expect(aad.events[0]?.source).toEqual({ product: 'azure', service: 'auditlogs' });
    const m365 = read(zipText('compound/GoldenSAMLADFSMailAccess/OfficeActivityEvents.Zip'));
    expect(m365.events[0]?.source).toEqual({ product: 'm365', service: 'audit' });
    const sentinel = read(zipText('compound/GoldenSAMLADFSMailAccess/WindowsEvents.Zip'));
    const ev4624 = sentinel.events.find((e) => e.fields['EventID'] === 4624);
    expect(ev4624?.source).toEqual({ product: 'windows' });
    expect(ev4624?.fields['Channel']).toBe('Security');
  });

  it('recognises Zeek JSON by _path', () => {
    const bytes = gunzipSync(
      readFileSync(join(data, 'datasets/zed-sample-data/zeek-json/dns.json.gz')),
    );
    const { events, issues } = read(bytes.subarray(0, bytes.indexOf(10, 200_000) + 1), 'dns.json');
    expect(issues).toEqual([]);
    expect(events[0]?.source).toEqual({ product: 'zeek', service: 'dns' });
    expect(events[0]?.fields).toMatchObject({
      'id.orig_h': '10.47.1.100',
      'id.resp_p': 53,
      query: 'ise.wrccdc.org',
    });
    expect(events[0]?.ts).toBe(Date.parse('2018-03-24T17:15:20.865Z'));
  });

  it("reads journald JSON with the syslog reader's names and sources", () => {
    const lines = [
      '{"__REALTIME_TIMESTAMP":"1700000000123456","_HOSTNAME":"web01","SYSLOG_IDENTIFIER":"sshd","_PID":"812","SYSLOG_FACILITY":"10","PRIORITY":"6","MESSAGE":"Failed password for root from 10.0.0.5 port 4242 ssh2"}',
      '{"__REALTIME_TIMESTAMP":"1700000001000000","_HOSTNAME":"web01","SYSLOG_IDENTIFIER":"kernel","MESSAGE":[104,105,255]}',
    ];
    const { events } = read(lines.join('\n'));
    expect(events[0]?.fields).toMatchObject({
      host: 'web01',
      program: 'sshd',
      pid: 812,
      facility: 'authpriv',
      severity: 'info',
      message: 'Failed password for root from 10.0.0.5 port 4242 ssh2',
      _HOSTNAME: 'web01',
    });
    expect(events[0]?.source).toEqual({ product: 'linux', service: 'auth' });
    expect(events[0]?.ts).toBe(1700000000123);
    expect(events[1]?.fields['message']).toBe('hi\uFFFD');
    expect(events[1]?.source).toEqual({ product: 'linux', service: 'syslog' });
  });

  it('takes the logsource of other ECS documents from event.dataset', () => {
    const auth = read(
      '{"@timestamp":"2024-01-01T00:00:00Z","event":{"dataset":"system.auth"},"process":{"name":"sshd","pid":42},"host":{"hostname":"web01"},"message":"Failed password for root"}\n{"event":{"dataset":"zeek.conn"},"source":{"ip":"10.0.0.1"}}\n{"event":{"dataset":"nginx.access"}}',
    ).events;
    expect(auth.map((e) => e.source)).toEqual([
      { product: 'linux', service: 'auth' },
      { product: 'zeek', service: 'conn' },
      {},
    ]);
    expect(auth[0]?.fields).toMatchObject({
      message: 'Failed password for root',
      program: 'sshd',
      pid: 42,
      host: 'web01',
    });
  });

  it('reads UTF-16 JSON as written by PowerShell 5', () => {
    const text = '\uFEFF{"EventID":4624,"Channel":"Security","Hostname":"dc01"}\r\n';
    const utf16 = new Uint8Array(text.length * 2);
    for (let i = 0; i < text.length; i++) {
      utf16[i * 2] = text.charCodeAt(i) & 0xff;
      utf16[i * 2 + 1] = text.charCodeAt(i) >> 8;
    }
    const events = [...readBytes(utf16, 'export.json', { tenant: 't' })].flatMap((b) => b.events);
    expect(
      events.map((e) => [e.fields['EventID'], e.fields['Computer'], e.source.product]),
    ).toEqual([[4624, 'dc01', 'windows']]);
  });

  it('recognises Zeek JSON without _path or uid by the log name of the file', () => {
    const x509 = read(
      '{"ts":1521911720.6,"id":"FxYz","certificate.version":3}\n',
      'logs/x509.log',
    ).events;
    expect(x509[0]?.source).toEqual({ product: 'zeek', service: 'x509' });
    const other = read('{"ts":1521911720.6,"id":"FxYz"}\n', 'logs/app.log').events;
    expect(other[0]?.source).toEqual({});
  });

  it('maps Winlogbeat ECS documents to Windows names and keeps the ECS fields', () => {
    const doc = {
      '@timestamp': '2024-02-03T04:05:06.789Z',
      event: { code: '4688', provider: 'Microsoft-Windows-Security-Auditing' },
      host: { name: 'ws01.corp' },
      winlog: {
        channel: 'Security',
        computer_name: 'WS01.corp.local',
        provider_name: 'Microsoft-Windows-Security-Auditing',
        record_id: 12345,
        event_id: '4688',
        process: { pid: 4, thread: { id: 120 } },
        event_data: {
          NewProcessName: 'C:\\Windows\\System32\\cmd.exe',
          CommandLine: 'cmd /c whoami',
        },
      },
    };
    const e = read(JSON.stringify(doc)).events[0];
    expect(e?.source).toEqual({ product: 'windows' });
    expect(e?.fields).toMatchObject({
      EventID: 4688,
      Channel: 'Security',
      Computer: 'WS01.corp.local',
      Provider_Name: 'Microsoft-Windows-Security-Auditing',
      EventRecordID: 12345,
      Execution_ProcessID: 4,
      CommandLine: 'cmd /c whoami',
      NewProcessName: 'C:\\Windows\\System32\\cmd.exe',
      'winlog.event_data.CommandLine': 'cmd /c whoami',
      'host.name': 'ws01.corp',
    });
    expect(e?.ts).toBe(Date.parse('2024-02-03T04:05:06.789Z'));
  });
});

function sorted(fields: Record<string, unknown>): [string, unknown][] {
  return Object.entries(fields).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}

function typesOf(fields: Record<string, unknown> | undefined, keys: readonly string[]): string[] {
  return keys.map((k) => typeof fields?.[k]);
}
