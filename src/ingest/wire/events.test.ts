import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { readBytes } from '../read.ts';
import { parseSyslogLine } from '../syslog.ts';
import {
  canonical,
  eventFromParsed,
  eventsFromRead,
  recordId,
  toEvent,
  toEvents,
  type WireRecord,
} from './events.ts';
import { parseJsonRecords } from './json.ts';

const quickstart = fileURLToPath(new URL('../../../samples/quickstart/', import.meta.url));
const NOW = Date.UTC(2024, 6, 10, 12);
const OPTS = { tenant: 'acme', receiver: 'ingest', receivedAt: NOW };

function records(text: string): WireRecord[] {
  return parseJsonRecords(text);
}

describe('toEvents', () => {
  it('turns EVTX-as-JSON into a Windows event with time, entities, host and user', () => {
    const line = readFileSync(`${quickstart}SRV-DB-01_Security.jsonl`, 'utf8').split('\n')[0] ?? '';
    const { events, issues } = toEvents(records(line), OPTS);
    expect(issues).toEqual([]);
    const e = events[0]!;
    expect(e).toMatchObject({
      tenant: 'acme',
      receiver: 'ingest',
      receivedAt: NOW,
      format: 'evtx-json',
      source: { product: 'windows' },
      host: 'srv-db-01.corvane.local',
      user: 'svc_reporting',
      ts: Date.parse('2026-11-17T09:06:00.126Z'),
    });
    expect(e.fields['EventID']).toBe(4624);
    expect(e.entities['source.ip']).toBe('10.20.5.40');
    expect(e.id).toMatch(/^[0-9a-f]{32}$/);
  });

  it('recognises Winlogbeat, CloudTrail and Zeek records and falls back to the receive time', () => {
    const text = [
      JSON.stringify({
        '@timestamp': '2024-07-01T10:00:00.000Z',
        winlog: { channel: 'Security', event_id: 4625, event_data: { TargetUserName: 'bob' } },
        host: { name: 'DC1' },
      }),
      JSON.stringify({
        eventVersion: '1.08',
        eventSource: 'iam.amazonaws.com',
        eventName: 'CreateUser',
        eventTime: '2024-07-01T11:00:00Z',
        sourceIPAddress: '198.51.100.7',
      }),
      JSON.stringify({
        ts: 1719831600.5,
        uid: 'C1',
        'id.orig_h': '10.0.0.1',
        'id.resp_h': '10.0.0.2',
      }),
      JSON.stringify({ note: 'no time here' }),
    ].join('\n');
    const { events } = toEvents(records(text), OPTS);
    expect(events.map((e) => [e.format, e.source, e.ts])).toEqual([
      ['winlogbeat', { product: 'windows' }, Date.parse('2024-07-01T10:00:00Z')],
      ['cloudtrail', { product: 'aws', service: 'cloudtrail' }, Date.parse('2024-07-01T11:00:00Z')],
      ['zeek', { product: 'zeek' }, 1719831600500],
      ['generic', {}, NOW],
    ]);
    expect(events[0]?.user).toBe('bob');
    expect(events[1]?.entities['source.ip']).toBe('198.51.100.7');
  });

  it('passes record issues through and makes no event for them', () => {
    const { events, issues } = toEvents(records('{"a":1}\n{bad\n{"b":2}'), OPTS);
    expect(events).toHaveLength(2);
    expect(issues.map((i) => i.code)).toEqual(['READ_BAD_JSON']);
  });

  it('cuts a field over the limit, reports it and keeps the event', () => {
    const big = 'é'.repeat(600_000); // 1.2 MB of UTF-8
    const { events, issues } = toEvents([{ line: 3, value: { message: big, small: 'x' } }], OPTS);
    expect(events).toHaveLength(1);
    const m = events[0]?.fields['message'];
    expect(typeof m === 'string' && new TextEncoder().encode(m).length).toBeLessThanOrEqual(
      1 << 20,
    );
    expect(typeof m === 'string' && m.endsWith('é')).toBe(true);
    expect(issues).toMatchObject([
      {
        code: 'READ_FIELD_TOO_LARGE',
        severity: 'warning',
        at: { file: 'ingest', line: 3, path: 'message' },
      },
    ]);
    const small = toEvents([{ line: 1, value: { a: 'abc' } }], { ...OPTS, maxFieldBytes: 2 });
    expect(small.events[0]?.fields['a']).toBe('ab');
  });

  it('reads text records: syslog, Windows XML, JSON text, plain text', () => {
    const xml =
      '<Event xmlns="http://schemas.microsoft.com/win/2004/08/events/event"><System><Provider Name="Microsoft-Windows-Security-Auditing"/><EventID>4625</EventID><TimeCreated SystemTime="2024-07-01T10:00:00.000Z"/><Channel>Security</Channel><Computer>WS9</Computer></System><EventData><Data Name="TargetUserName">eve</Data><Data Name="IpAddress">203.0.113.9</Data></EventData></Event>';
    const { events } = toEvents(
      [
        {
          line: 1,
          text: '<38>Jul 10 09:00:00 web1 sshd[99]: Failed password for root from 1.2.3.4',
        },
        { line: 2, text: xml },
        { line: 3, text: '{"EventID": 1, "Channel": "Microsoft-Windows-Sysmon/Operational"}' },
        { line: 4, text: 'just words' },
      ],
      OPTS,
    );
    expect(events.map((e) => [e.format, e.source])).toEqual([
      ['syslog', { product: 'linux', service: 'auth' }],
      ['windows-xml', { product: 'windows' }],
      ['windows-flat', { product: 'windows' }],
      ['text', {}],
    ]);
    expect(events[0]).toMatchObject({ host: 'web1', ts: Date.UTC(2024, 6, 10, 9) });
    expect(events[1]).toMatchObject({ host: 'ws9', user: 'eve', ts: Date.UTC(2024, 6, 1, 10) });
    expect(events[1]?.entities['source.ip']).toBe('203.0.113.9');
    expect(events[3]?.fields).toEqual({ message: 'just words' });
  });

  it('uses envelope time, metadata and source hints where the record has none', () => {
    const { events } = toEvents(
      [
        {
          line: 1,
          text: 'plain',
          time: 1_700_000_000_000,
          meta: { 'splunk.host': 'Box', message: 'not over the record' },
          source: { product: 'linux' },
        },
      ],
      OPTS,
    );
    expect(events[0]).toMatchObject({
      ts: 1_700_000_000_000,
      host: 'box',
      source: { product: 'linux' },
      fields: { message: 'plain', 'splunk.host': 'Box' },
    });
  });
});

describe('ids', () => {
  it('the same request delivered twice gives the same ids', () => {
    const body = '{"a":1,"b":{"c":2}}\n{"a":2}\n';
    const first = toEvents(records(body), OPTS).events.map((e) => e.id);
    const again = toEvents(records(body), { ...OPTS, receivedAt: NOW + 5000 }).events.map(
      (e) => e.id,
    );
    expect(again).toEqual(first);
    expect(new Set(first).size).toBe(2);
  });

  it('hashes the text as sent when known; without it, key order does not matter', () => {
    const id = (text: string): string | undefined => toEvents(records(text), OPTS).events[0]?.id;
    expect(id('{"a":1, "b":2}')).toBe(id('{"a":1, "b":2}'));
    expect(id('{"a":1,"b":2}')).not.toBe(id('{"b":2,"a":1}'));
    const value = (v: Record<string, unknown>): string | undefined =>
      toEvents([{ line: 1, value: v }], OPTS).events[0]?.id;
    expect(value({ a: 1, b: { x: 1, y: 2 } })).toBe(value({ b: { y: 2, x: 1 }, a: 1 }));
    expect(value({ a: 1 })).not.toBe(value({ a: 2 }));
    expect(canonical({ b: [1, { d: 1, c: null }], a: 'x' })).toBe(
      '{"a":"x","b":[1,{"c":null,"d":1}]}',
    );
  });

  it('identical records in one request stay separate events, and redelivery still matches', () => {
    const body = '{"msg":"same"}\n{"msg":"same"}\n{"msg":"same"}\n';
    const ids = toEvents(records(body), OPTS).events.map((e) => e.id);
    expect(new Set(ids).size).toBe(3);
    expect(toEvents(records(body), OPTS).events.map((e) => e.id)).toEqual(ids);
    // the tenant and the receiver are not part of the id
    expect(
      toEvents(records(body), { ...OPTS, tenant: 'other', receiver: 'bulk' }).events.map(
        (e) => e.id,
      ),
    ).toEqual(ids);
  });

  it('the shipper id decides when given; idPrefix makes every record unique to its position', () => {
    const r1 = toEvents([{ line: 1, value: { a: 1 }, id: 'logs/abc' }], OPTS).events[0]?.id;
    const r2 = toEvents([{ line: 9, value: { a: 2 }, id: 'logs/abc' }], OPTS).events[0]?.id;
    expect(r1).toBe(r2);
    const withPrefix = (prefix: string): string[] =>
      toEvents(records('{"m":1}\n{"m":1}'), { ...OPTS, idPrefix: prefix }).events.map((e) => e.id);
    expect(withPrefix('conn-1')).toEqual(withPrefix('conn-1'));
    expect(withPrefix('conn-1')).not.toEqual(withPrefix('conn-2'));
    expect(new Set(withPrefix('conn-1')).size).toBe(2);
  });

  it('toEvent and recordId give the ids toEvents gives', () => {
    const rs = records('{"x":1}\n{"x":1}');
    const all = toEvents(rs, OPTS).events.map((e) => e.id);
    expect(toEvent(rs[0]!, OPTS).event?.id).toBe(all[0]);
    expect(toEvent(rs[1]!, { ...OPTS, occurrence: 1 }).event?.id).toBe(all[1]);
    // recordId is the content part; the stored id puts the event's own time (none here: ffff…) before it
    expect(all[1]).toBe(`ffffffffffff${recordId(rs[1]!, { occurrence: 1 }).slice(0, 20)}`);
  });
});

describe('eventsFromRead and eventFromParsed', () => {
  it('turns reader events into stored events with ids stable across uploads', () => {
    const bytes = readFileSync(`${quickstart}WS-FIN-07_Microsoft-Windows-Sysmon-Operational.jsonl`);
    const read = (): string[] =>
      [...readBytes(bytes, 'sysmon.jsonl', { tenant: 'acme' })]
        .flatMap((b) =>
          eventsFromRead(b.events, { ...OPTS, receiver: 'upload', file: 'sysmon.jsonl' }),
        )
        .map((e) => e.id);
    const ids = read();
    expect(ids.length).toBe(29);
    expect(new Set(ids).size).toBe(29);
    expect(read()).toEqual(ids);
    const one = [...readBytes(bytes, 'sysmon.jsonl', { tenant: 'acme' })][0]!.events;
    const e = eventsFromRead(one, { ...OPTS, receiver: 'upload', file: 'sysmon.jsonl' })[0]!;
    expect(e).toMatchObject({
      receiver: 'upload',
      format: 'json',
      host: 'ws-fin-07.corvane.local',
    });
    expect(e.fields['log.file.path']).toBe('sysmon.jsonl');
  });

  it('builds an event from a parsed syslog line', () => {
    const parsed = parseSyslogLine(
      '<86>Jul 10 08:00:01 h1 sudo: alice : TTY=pts/0 ; COMMAND=/bin/sh',
      NOW,
    );
    const e = eventFromParsed(parsed, { ...OPTS, receiver: 'syslog-udp:514', id: 'x1' });
    expect(e.id).toBe(Math.floor(e.ts).toString(16).padStart(12, '0') + 'x1');
    expect(e).toMatchObject({
      format: 'syslog',
      source: { product: 'linux', service: 'auth' },
      host: 'h1',
      ts: Date.UTC(2024, 6, 10, 8, 0, 1),
    });
  });
});
