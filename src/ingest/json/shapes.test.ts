/** Shape detection for MongoDB's structured log and Exchange's message tracking log, as shippers forward them. */
import { describe, expect, it } from 'vitest';
import { deriveEntities } from '../wire/entities.ts';
import { MESSAGE_TRACKING_COLUMNS, shapeRecord } from './shapes.ts';

const MONGO_LINE =
  '{"t":{"$date":"2026-03-09T02:14:07.120+00:00"},"s":"I","c":"NETWORK","id":22943,"ctx":"listener","msg":"Connection accepted","attr":{"remote":"185.220.101.47:41236","uuid":"3b0f…","connectionId":1187,"connectionCount":9}}';

describe('MongoDB structured log', () => {
  it('takes a parsed line (Vector, Fluent Bit) with its time from `t`', () => {
    const record = { ...(JSON.parse(MONGO_LINE) as Record<string, unknown>), host: 'db01' };
    const s = shapeRecord(record, '');
    expect(s.shape).toBe('mongodb');
    expect(s.source).toEqual({ product: 'mongodb', service: 'mongod' });
    expect(s.ts).toBe(Date.parse('2026-03-09T02:14:07.120Z'));
    expect(s.fields['attr.remote']).toBe('185.220.101.47:41236');
    expect(s.fields['id']).toBe(22943);
    const ent = deriveEntities(s.fields, s.source);
    expect(ent).toMatchObject({
      'host.name': 'db01',
      'source.ip': '185.220.101.47',
      'source.port': 41236,
    });
  });

  it("parses the line Filebeat's mongodb module ships in `message`, keeping the shipper's metadata", () => {
    const record = {
      '@timestamp': '2026-03-09T02:14:09.000Z',
      message: MONGO_LINE,
      event: { dataset: 'mongodb.log', module: 'mongodb' },
      host: { name: 'db01.shop.example', ip: ['10.20.5.21'] },
      log: { file: { path: '/var/log/mongodb/mongod.log' } },
    };
    const s = shapeRecord(record, '');
    expect(s.shape).toBe('mongodb');
    expect(s.ts).toBe(Date.parse('2026-03-09T02:14:07.120Z'));
    expect(s.fields['msg']).toBe('Connection accepted');
    expect(s.fields['message']).toBeUndefined();
    expect(s.fields['event.original']).toBe(MONGO_LINE);
    expect(s.fields['host.ip']).toEqual(['10.20.5.21']);
    expect(deriveEntities(s.fields, s.source)['host.name']).toBe('db01.shop.example');
  });

  it('keeps a text line of an older mongod under the MongoDB logsource', () => {
    const s = shapeRecord(
      {
        '@timestamp': '2019-01-01T00:00:00Z',
        message: '2019-01-01T00:00:00.000+0000 I NETWORK  [listener] connection accepted',
        event: { dataset: 'mongodb.log' },
      },
      '',
    );
    expect(s).toMatchObject({ shape: 'mongodb', source: { product: 'mongodb' } });
    expect(s.ts).toBe(Date.parse('2019-01-01T00:00:00Z'));
  });

  it('does not take other JSON with a `t` for MongoDB', () => {
    expect(shapeRecord({ t: { $date: 'x' }, msg: 'hello' }, '').shape).toBe('generic');
  });
});

describe('Exchange message tracking log', () => {
  const row: Record<string, string> = {
    'date-time': '2026-04-14T09:12:44.311Z',
    'client-ip': '198.51.100.23',
    'client-hostname': 'mail.partner-mail.example',
    'server-ip': '10.10.1.25',
    'server-hostname': 'EXCH01',
    'source-context': '08DC5BB1A2F3C4D5;250 2.0.0 OK',
    'connector-id': 'EXCH01\\Default Frontend EXCH01',
    source: 'SMTP',
    'event-id': 'RECEIVE',
    'message-id': '<a1b2@partner-mail.example>',
    'recipient-address': 'j.chen@corp.example',
    'sender-address': 'press@partner-mail.example',
    'message-subject': 'Quarterly figures',
  };

  it('recognises a row under its own column names (NXLog xm_w3c, Filebeat decode_csv_fields)', () => {
    const s = shapeRecord({ ...row, Hostname: 'EXCH01.corp.example' }, '');
    expect(s.shape).toBe('exchange-message-tracking');
    expect(s.source).toEqual({ product: 'exchange', service: 'message_tracking' });
    expect(s.ts).toBe(Date.parse(row['date-time'] ?? ''));
    expect(deriveEntities(s.fields, s.source)).toMatchObject({
      'host.name': 'exch01.corp.example',
      'source.ip': '198.51.100.23',
      'destination.ip': '10.10.1.25',
    });
  });

  it('renames `_` columns (NXLog xm_csv) back to the log names', () => {
    const underscored = Object.fromEntries(
      Object.entries(row).map(([k, v]) => [k.replaceAll('-', '_'), v]),
    );
    const s = shapeRecord(underscored, '');
    expect(s.shape).toBe('exchange-message-tracking');
    expect(s.fields['event-id']).toBe('RECEIVE');
    expect(s.fields['sender-address']).toBe('press@partner-mail.example');
    expect(s.fields['event_id']).toBeUndefined();
  });

  it('lists the 30 columns of the log', () => {
    expect(MESSAGE_TRACKING_COLUMNS).toHaveLength(30);
    expect(new Set(MESSAGE_TRACKING_COLUMNS).size).toBe(30);
  });
});
