import { readFileSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { Event, Issue } from '../core/index.ts';
import { MAX_FIELD_CHARS } from './record.ts';
import { parseSyslogLine, readSyslog } from './syslog.ts';

const logs = fileURLToPath(
  new URL('../../../shared/data/datasets/wazuh-ruleset-tests/rules/log-entries/', import.meta.url),
);
const REF = Date.UTC(2024, 6, 10); // 10 July 2024

function read(
  text: string | Uint8Array,
  file = 'messages',
  ref = REF,
): { events: Event[]; issues: Issue[] } {
  const bytes = typeof text === 'string' ? new TextEncoder().encode(text) : text;
  const batches = [...readSyslog(bytes, { file, tenant: 'acme', referenceTime: ref })];
  return { events: batches.flatMap((b) => b.events), issues: batches.flatMap((b) => b.issues) };
}

const iniDir = fileURLToPath(
  new URL(
    '../../../shared/data/datasets/wazuh-ruleset-tests/tools/rules-testing/tests/',
    import.meta.url,
  ),
);

/** Wazuh's rule tests: each `log N pass = <line>` with the `decoder = <program>` of its section. */
function wazuhCases(): { decoder: string; line: string }[] {
  const cases: { decoder: string; line: string }[] = [];
  for (const file of readdirSync(iniDir)) {
    let pending: string[] = [];
    let decoder = '';
    const flush = (): void => {
      for (const line of pending) cases.push({ decoder, line });
      pending = [];
      decoder = '';
    };
    for (const row of readFileSync(`${iniDir}${file}`, 'utf8').split('\n')) {
      if (row.startsWith('[')) flush();
      const log = /^log \d+ (?:pass|fail) = (.*)$/.exec(row);
      if (log?.[1] !== undefined) pending.push(log[1]);
      const dec = /^decoder = (\S+)/.exec(row);
      if (dec?.[1] !== undefined) decoder = dec[1];
    }
    flush();
  }
  return cases;
}

describe('syslog reader', () => {
  it("names the program as Wazuh's decoders do, on every Wazuh test line of those programs", () => {
    const programs = ['sshd', 'sudo', 'su', 'vsftpd', 'dovecot', 'systemd'];
    const cases = wazuhCases().filter((c) => programs.includes(c.decoder));
    expect(cases.length).toBeGreaterThan(50);
    const wrong = cases
      .map((c) => ({ ...c, parsed: parseSyslogLine(c.line, REF) }))
      .filter((c) => !c.parsed.ok || c.parsed.fields['program'] !== c.decoder)
      .map((c) => `${c.decoder}: ${c.line}`);
    expect(wrong).toEqual([]);
  });

  it('reads the Wazuh sshd sample: host, program, pid, message, linux/auth', () => {
    const { events, issues } = read(readFileSync(`${logs}sshd`), 'sshd');
    expect(issues).toEqual([]);
    expect(events.length).toBeGreaterThan(10);
    expect(events[0]?.fields).toEqual({
      host: 'eva',
      program: 'sshd',
      pid: 19537,
      message: 'Invalid user admin from 83.15.231.75',
    });
    expect(events[0]?.source).toEqual({ product: 'linux', service: 'auth' });
    expect(events[0]?.ts).toBe(Date.UTC(2024, 6, 7, 10, 51, 24));
    expect(events[0]?.origin).toEqual({ file: 'sshd', format: 'syslog', recordId: 1, offset: 0 });
  });

  it('tells auth programs from the rest and keeps unparsable lines as messages with a warning', () => {
    const { events, issues } = read(readFileSync(`${logs}1101`), '1101');
    const su = events.find((e) => e.fields['tag'] === 'su(pam_unix)');
    expect(su?.source.service).toBe('auth');
    expect(su?.fields['program']).toBe('su');
    expect(su?.fields['pid']).toBe(23164);
    const bad = events.find(
      (e) => e.fields['message'] === 'su[2921936]: succeeded: ttyq4 changing from root to ldap',
    );
    expect(bad?.ts).toBeNaN();
    expect(issues.filter((i) => i.code === 'READ_BAD_LINE').map((i) => i.at?.line)).toEqual([
      // lines 1-4 have no timestamp; line 14 is a comment (`#Slack:`) in the sample
      1, 2, 3, 4, 14,
    ]);
    const kernel = read('Jan 29 09:24:16 pax kernel: PKCS#7 signature not signed\n').events[0];
    expect(kernel?.source).toEqual({ product: 'linux', service: 'syslog' });
    expect(kernel?.fields['program']).toBe('kernel');
  });

  it("reads vsftpd's own log format as linux/vsftpd", () => {
    const { events, issues } = read(
      'Mon Oct 24 11:32:53 2016 [pid 1] [$ALOC$] FAIL LOGIN: Client "10.55.112.101"\n',
      'vsftpd.log',
    );
    expect(issues).toEqual([]);
    expect(events[0]?.fields).toEqual({
      program: 'vsftpd',
      pid: 1,
      message: '[$ALOC$] FAIL LOGIN: Client "10.55.112.101"',
    });
    expect(events[0]?.ts).toBe(Date.UTC(2016, 9, 24, 11, 32, 53));
    expect(events[0]?.source).toEqual({ product: 'linux', service: 'vsftpd' });
  });

  it('treats every line of auth.log or secure as linux/auth', () => {
    const line = 'Jul  1 00:00:01 h CRON[12]: pam_unix(cron:session): session opened\n';
    expect(read(line, '/var/log/auth.log').events[0]?.source.service).toBe('auth');
    expect(read(line, 'logs.zip!var/log/secure-20240701').events[0]?.source.service).toBe('auth');
    expect(
      read('Jul  1 00:00:01 h CRON[12]: (root) CMD (x)\n', 'syslog').events[0]?.source.service,
    ).toBe('syslog');
  });

  it('infers the year: the latest one that does not put the line after the reference time', () => {
    const ref = Date.UTC(2024, 0, 5, 12); // 5 January 2024
    const { events } = read(
      'Dec 31 23:59:59 h a: x\nJan  1 00:00:01 h a: y\nJan  7 00:00:00 h a: z\n',
      'm',
      ref,
    );
    expect(events.map((e) => new Date(e.ts).toISOString())).toEqual([
      '2023-12-31T23:59:59.000Z',
      '2024-01-01T00:00:01.000Z',
      '2024-01-07T00:00:00.000Z',
    ]);
    // a line more than two days after the reference belongs to the year before
    expect(
      new Date(read('Jan  8 00:00:00 h a: z\n', 'm', ref).events[0]?.ts ?? 0).getUTCFullYear(),
    ).toBe(2023);
  });

  it('reads PRI, ISO timestamps and RFC 5424 with structured data', () => {
    const bsd = parseSyslogLine(
      '<38>Feb  5 17:32:18 10.0.0.99 sudo: alice : TTY=pts/0 ; COMMAND=/bin/id',
      REF,
    );
    expect(bsd.fields).toEqual({
      facility: 'auth',
      severity: 'info',
      host: '10.0.0.99',
      program: 'sudo',
      message: 'alice : TTY=pts/0 ; COMMAND=/bin/id',
    });
    const iso = parseSyslogLine(
      '2024-03-01T10:00:00.123456+01:00 web01 sshd[7]: Accepted publickey',
      REF,
    );
    expect(iso.ts).toBe(Date.UTC(2024, 2, 1, 9, 0, 0, 123));
    expect(iso.fields['host']).toBe('web01');
    const v5 = parseSyslogLine(
      '<165>1 2003-10-11T22:14:15.003Z mymachine.example.com evntslog - ID47 [exampleSDID@32473 iut="3" eventSource="Application"] \uFEFFAn application event',
      REF,
    );
    expect(v5.ts).toBe(Date.UTC(2003, 9, 11, 22, 14, 15, 3));
    expect(v5.fields).toEqual({
      facility: 'local4',
      severity: 'notice',
      host: 'mymachine.example.com',
      program: 'evntslog',
      msgid: 'ID47',
      'sd.exampleSDID@32473.iut': '3',
      'sd.exampleSDID@32473.eventSource': 'Application',
      message: 'An application event',
    });
    const nil = parseSyslogLine('<34>1 2003-10-11T22:14:15Z host su 77 - - su root failed', REF);
    expect(nil.fields).toEqual({
      facility: 'auth',
      severity: 'crit',
      host: 'host',
      program: 'su',
      pid: 77,
      message: 'su root failed',
    });
  });

  it('adds the fields of the XML event Sysmon for Linux writes', () => {
    const xml =
      '<Event><System><Provider Name="Linux-Sysmon" Guid="{ff032593-a8d3-4f13-b0d6-01fc615a0f97}"/>' +
      '<EventID>1</EventID><Version>5</Version><Level>4</Level><Task>1</Task><Opcode>0</Opcode>' +
      '<Keywords>0x8000000000000000</Keywords><TimeCreated SystemTime="2021-10-20T17:21:58.181740000Z"/>' +
      '<EventRecordID>2345</EventRecordID><Correlation/><Execution ProcessID="1234" ThreadID="1234"/>' +
      '<Channel>Linux-Sysmon/Operational</Channel><Computer>ubuntu</Computer><Security UserId="0"/></System>' +
      '<EventData><Data Name="RuleName">-</Data><Data Name="ProcessId">5678</Data>' +
      '<Data Name="Image">/usr/bin/curl</Data><Data Name="CommandLine">curl -s http://x &amp; echo &lt;ok&gt;</Data>' +
      '<Data Name="ParentImage">/bin/bash</Data><Data Name="Hashes"></Data></EventData></Event>';
    const { events, issues } = read(`Oct 20 17:21:58 ubuntu sysmon: ${xml}\n`);
    expect(issues).toEqual([]);
    const e = events[0];
    expect(e?.fields).toMatchObject({
      host: 'ubuntu',
      program: 'sysmon',
      message: xml,
      Provider_Name: 'Linux-Sysmon',
      EventID: 1,
      EventRecordID: 2345,
      Channel: 'Linux-Sysmon/Operational',
      Computer: 'ubuntu',
      Execution_ProcessID: 1234,
      ProcessId: '5678',
      Image: '/usr/bin/curl',
      CommandLine: 'curl -s http://x & echo <ok>',
      ParentImage: '/bin/bash',
      Hashes: '',
    });
    expect(e?.ts).toBe(Date.UTC(2021, 9, 20, 17, 21, 58, 181));
    // broken XML leaves the line as it is
    const broken = read('Oct 20 17:21:58 ubuntu sysmon: <Event><System><EventID>1</System>\n')
      .events[0];
    expect(broken?.fields['EventID']).toBeUndefined();
    expect(broken?.fields['program']).toBe('sysmon');
  });

  it('cuts a 10 MB line to the field limit with one located warning', () => {
    const huge = `Jul  1 00:00:01 h app: ${'x'.repeat(10 * 1024 * 1024)}\nJul  1 00:00:02 h app: after\n`;
    const { events, issues } = read(huge);
    expect(events).toHaveLength(2);
    expect((events[0]?.fields['message'] as string).length).toBeLessThanOrEqual(MAX_FIELD_CHARS);
    expect(events[1]?.fields['message']).toBe('after');
    expect(issues.map((i) => [i.code, i.at?.line])).toEqual([['READ_FIELD_TOO_LARGE', 1]]);
  });
});
