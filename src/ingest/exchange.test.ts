/** Exchange's message tracking log read as a file, as `vigil scan` and uploads do, agrees with the shipped rows. */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { Event } from '../core/index.ts';
import { csvRow } from './exchange.ts';
import { readBytes } from './read.ts';

const LOG = new URL('../../test/scenarios/lightneuron/EXCH01.MSGTRK20260413-1.LOG', import.meta.url)
  .pathname;

function read(text: string | Uint8Array, name = 'MSGTRK20260414-1.LOG'): Event[] {
  const bytes = typeof text === 'string' ? new TextEncoder().encode(text) : text;
  const batches = [...readBytes(bytes, name, { tenant: 'acme' })];
  expect(batches.flatMap((b) => b.issues)).toEqual([]);
  return batches.flatMap((b) => b.events);
}

describe('Exchange message tracking log files', () => {
  it('reads every row, named by #Fields, as the message tracking logsource', () => {
    const bytes = readFileSync(LOG);
    const rows = bytes
      .toString('utf8')
      .split(/\r?\n/)
      .filter((l) => l !== '' && !l.startsWith('#')).length;
    const events = read(bytes);
    expect(events).toHaveLength(rows);
    for (const e of events) {
      expect(e.source).toEqual({ product: 'exchange', service: 'message_tracking' });
      expect(Number.isNaN(e.ts)).toBe(false);
      expect(e.origin.format).toBe('exchange-log');
    }
    const redirect = events.find((e) => e.fields['event-id'] === 'REDIRECT');
    expect(redirect?.fields).toMatchObject({
      source: 'AGENT',
      'source-context': 'Connectivity Logging Agent',
      'recipient-address': 'archive-sync@briefing-wire.example',
      'related-recipient-address': 'cfo@corp.example',
    });
    // empty columns are left out, as shippers leave them out
    expect(redirect?.fields['client-ip']).toBeUndefined();
  });

  it('splits quoted values with commas and doubled quotes', () => {
    expect(csvRow('a,"b, c","say ""hi""",,e')).toEqual(['a', 'b, c', 'say "hi"', '', 'e']);
    const events = read(
      '#Software: Microsoft Exchange Server\r\n#Fields: date-time,event-id,message-id,message-subject\r\n' +
        '2026-04-14T08:00:00.000Z,RECEIVE,<a@b>,"Hello, ""world"""\r\n',
    );
    expect(events[0]?.fields['message-subject']).toBe('Hello, "world"');
    expect(events[0]?.ts).toBe(Date.parse('2026-04-14T08:00:00.000Z'));
  });

  it('reports a row before any #Fields header', () => {
    const bytes = new TextEncoder().encode(
      '#Software: Microsoft Exchange Server\r\n2026-04-14T08:00:00.000Z,RECEIVE\r\n',
    );
    const batches = [...readBytes(bytes, 'x.LOG', { tenant: 'acme' })];
    expect(batches.flatMap((b) => b.issues.map((i) => [i.code, i.at?.line]))).toEqual([
      ['READ_BAD_LINE', 2],
    ]);
  });
});
