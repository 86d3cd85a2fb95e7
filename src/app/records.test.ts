/** A one-event hit's JSON line, written directly, is exactly the record `toRecord` gives. */
import { describe, expect, it } from 'vitest';
import type { Detection, Event, RuleRef } from '../core/index.ts';
import { jsonLine, toRecord } from './records.ts';

const rule: RuleRef = {
  id: '06d71506-7beb-4f22-8888-e2e5e2ca7fd8',
  title: 'Mimikatz "Use"',
  level: 'high',
  tags: ['attack.credential-access', 'attack.t1003.001'],
  file: '/rules/windows/builtin/win_alert_mimikatz_keywords.yml',
};

const noFile: RuleRef = { id: rule.id, title: rule.title, level: rule.level, tags: rule.tags };

function event(fields: Event['fields'], ts = Date.UTC(2024, 4, 1, 12, 0, 0, 123)): Event {
  return {
    ts,
    tenant: 'local',
    source: { product: 'windows' },
    fields,
    origin: { file: 'C:\\logs\\Security.evtx', format: 'evtx', recordId: 42 },
  };
}

function hit(e: Event, r: RuleRef = rule, matched: Detection['matched'] = {}): Detection {
  return { rule: r, kind: 'event', ts: e.ts, events: [e], matched };
}

describe('jsonLine', () => {
  const cases: [string, Detection][] = [
    [
      'a Sysmon event',
      hit(
        event({
          EventID: 1,
          Channel: 'Microsoft-Windows-Sysmon/Operational',
          Computer: 'WS01',
          CommandLine: 'mimikatz.exe "sekurlsa::logonpasswords" exit\n\u2028\u00e9',
          Hashes: ['MD5=1', 'SHA256=2'],
          Empty: null,
        }),
        rule,
        { CommandLine: 'mimikatz.exe' },
      ),
    ],
    ['no time, no host', hit(event({ EventID: '4624' }, Number.NaN))],
    ['a rule without a file or tags', hit(event({ EventID: 7 }), { ...noFile, tags: [] })],
    [
      'a record id only in the fields',
      {
        ...hit(
          event(
            { EventRecordID: '77', TimeCreated_SystemTime: '2024-05-01T00:00:00Z' },
            Number.NaN,
          ),
        ),
        events: [{ ...event({ EventRecordID: '77' }, Number.NaN), origin: { format: 'json' } }],
      },
    ],
  ];
  it.each(cases)('writes %s as toRecord does', (_, d) => {
    expect(jsonLine(d)).toBe(JSON.stringify(toRecord(d)));
    // The rule's part is made once and reused: a second line is the same.
    expect(jsonLine(d)).toBe(JSON.stringify(toRecord(d)));
  });

  it('writes correlation hits through toRecord', () => {
    const a = event({ TargetUserName: 'bob' });
    const d: Detection = {
      rule,
      kind: 'correlation',
      ts: a.ts,
      events: [a, a],
      matched: {},
      group: { TargetUserName: 'bob' },
    };
    expect(JSON.parse(jsonLine(d))).toMatchObject({
      kind: 'correlation',
      group: { TargetUserName: 'bob' },
    });
  });
});
