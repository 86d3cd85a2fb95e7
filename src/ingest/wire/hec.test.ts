import { describe, expect, it } from 'vitest';
import { toEvents } from './events.ts';
import { hecResponse, hecStatus, parseHecEvents, parseHecRaw } from './hec.ts';

const OPTS = { tenant: 't', receiver: 'hec', receivedAt: Date.UTC(2024, 6, 10, 12) };

describe('parseHecEvents', () => {
  it('reads concatenated envelopes with string and object events, time and metadata', () => {
    const body =
      '{"time": 1720605600.25, "host": "WEB-1", "source": "/var/log/auth.log", "sourcetype": "linux_secure", "index": "main", "event": "Jul 10 10:00:00 web-1 sshd[1]: Failed password for root from 192.0.2.1 port 22 ssh2"}' +
      '{"time": "1720605601", "event": {"EventID": 4625, "Channel": "Security", "Computer": "DC1", "TargetUserName": "bob"}, "fields": {"env": "prod", "tags": ["a", "b"]}}\n' +
      '{"event": "plain words", "sourcetype": "custom"}';
    const parsed = parseHecEvents(body);
    expect(parsed.error).toBeUndefined();
    expect(parsed.records.map((r) => r.line)).toEqual([1, 1, 2]);
    const { events } = toEvents(parsed.records, OPTS);
    expect(events.map((e) => [e.format, e.source, e.ts, e.host])).toEqual([
      ['syslog', { product: 'linux', service: 'auth' }, Date.UTC(2024, 6, 10, 10), 'web-1'],
      ['windows-flat', { product: 'windows' }, 1720605601000, 'dc1'],
      ['text', {}, OPTS.receivedAt, undefined],
    ]);
    expect(events[0]?.fields).toMatchObject({
      'splunk.host': 'WEB-1',
      'splunk.source': '/var/log/auth.log',
      'splunk.sourcetype': 'linux_secure',
      'splunk.index': 'main',
      program: 'sshd',
    });
    expect(events[1]?.fields).toMatchObject({
      'splunk.fields.env': 'prod',
      'splunk.fields.tags': ['a', 'b'],
    });
    expect(events[1]?.user).toBe('bob');
  });

  it('uses the envelope time only when the event has none', () => {
    const p = parseHecEvents(
      '{"time": 1700000000, "event": {"msg": "x"}}{"time": 1700000000, "event": {"@timestamp": "2024-01-01T00:00:00Z"}}',
    );
    expect(toEvents(p.records, OPTS).events.map((e) => e.ts)).toEqual([
      1_700_000_000_000,
      Date.UTC(2024, 0, 1),
    ]);
  });

  it('a missing event gives Splunk’s error with the event number, the others are kept', () => {
    const p = parseHecEvents('{"event": "a"}\n{"host": "h"}\n{"event": "c"}');
    expect(p.error).toEqual({
      text: 'Event field is required',
      code: 12,
      'invalid-event-number': 1,
    });
    expect(p.records.map((r) => r.text)).toEqual(['a', 'c']);
  });

  it('blank events, malformed JSON and empty bodies have their own codes', () => {
    expect(parseHecEvents('{"event": ""}').error).toEqual({
      text: 'Event field cannot be blank',
      code: 13,
      'invalid-event-number': 0,
    });
    expect(parseHecEvents('{"event": "a"}{"event": nope}').error).toEqual({
      text: 'Invalid data format',
      code: 6,
      'invalid-event-number': 1,
    });
    expect(parseHecEvents('  \n').error).toEqual({ text: 'No data', code: 5 });
    const deep = `{"event": ${'['.repeat(200)}${']'.repeat(200)}}`;
    expect(parseHecEvents(deep).error?.code).toBe(6);
  });

  it('a Zeek sourcetype names the log of records without _path', () => {
    const p = parseHecEvents(
      '{"sourcetype": "zeek:dns:json", "event": {"ts": 1720605600.1, "query": "evil.example"}}',
    );
    const e = toEvents(p.records, OPTS).events[0];
    expect(e?.source).toEqual({ product: 'zeek', service: 'dns' });
    expect(e?.entities['dns.question.name']).toBe('evil.example');
  });

  it('a Windows XML string event (XmlWinEventLog) is a Windows event', () => {
    const xml =
      '<Event xmlns="http://schemas.microsoft.com/win/2004/08/events/event"><System><EventID>1</EventID><Channel>Microsoft-Windows-Sysmon/Operational</Channel><Computer>WS2</Computer><TimeCreated SystemTime="2024-07-01T10:00:00Z"/></System><EventData><Data Name="Image">C:\\Windows\\System32\\cmd.exe</Data></EventData></Event>';
    const p = parseHecEvents(
      JSON.stringify({
        sourcetype: 'XmlWinEventLog:Microsoft-Windows-Sysmon/Operational',
        event: xml,
      }),
    );
    const e = toEvents(p.records, OPTS).events[0];
    expect(e).toMatchObject({
      format: 'windows-xml',
      host: 'ws2',
      fields: { EventID: 1, Image: 'C:\\Windows\\System32\\cmd.exe' },
    });
  });
});

describe('parseHecRaw', () => {
  it('one event per line with the query metadata', () => {
    const p = parseHecRaw('<13>Jul 10 10:00:00 h1 app: one\r\n\nline two\n', {
      host: 'h9',
      sourcetype: 'syslog',
    });
    expect(p.error).toBeUndefined();
    const { events } = toEvents(p.records, OPTS);
    expect(events.map((e) => [e.format, e.source, e.host])).toEqual([
      ['syslog', { product: 'linux', service: 'syslog' }, 'h1'],
      ['text', { product: 'linux', service: 'syslog' }, 'h9'],
    ]);
    expect(p.records.map((r) => r.line)).toEqual([1, 3]);
    expect(parseHecRaw('\n\n', {}).error?.code).toBe(5);
  });
});

describe('replies', () => {
  it('carry Splunk’s codes and HTTP statuses', () => {
    expect(hecResponse('success')).toEqual({ text: 'Success', code: 0 });
    expect([hecResponse('busy'), hecStatus('busy')]).toEqual([
      { text: 'Server is busy', code: 9 },
      503,
    ]);
    expect([hecResponse('invalid-token').code, hecStatus('invalid-token')]).toEqual([4, 403]);
    expect([hecResponse('token-required').code, hecStatus('token-required')]).toEqual([2, 401]);
    expect([hecResponse('no-data').code, hecResponse('invalid-data-format').code]).toEqual([5, 6]);
    expect(hecResponse('healthy')).toEqual({ text: 'HEC is healthy', code: 17 });
  });
});
