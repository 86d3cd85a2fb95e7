import { describe, expect, it } from 'vitest';
import type { RuleException, StoredEvent } from '../../core/index.ts';
import { exceptionMatches, inCidr } from './exceptions.ts';

const event: StoredEvent = {
  seq: 1,
  id: 'e1',
  tenant: 'acme',
  ts: 1000,
  receivedAt: 1000,
  source: { product: 'windows' },
  format: 'evtx-json',
  receiver: 'ingest',
  fields: {
    Image: 'C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe',
    CommandLine: 'powershell -enc AAAA',
    Tags: ['a', 'b'],
  },
  entities: { 'host.name': 'ws01.acme.local', 'source.ip': '10.1.2.3' },
  host: 'ws01.acme.local',
};

function ex(over: Partial<RuleException>): RuleException {
  return {
    id: 'x',
    tenant: 'acme',
    conditions: [],
    reason: 'r',
    author: 'a',
    createdAt: 0,
    hits: 0,
    ...over,
  };
}

describe('exceptions', () => {
  it('needs every condition, case-insensitively, on original or ECS fields', () => {
    const both = ex({
      conditions: [
        { field: 'Image', op: 'endswith', value: '\\POWERSHELL.EXE' },
        { field: 'host.name', op: 'startswith', value: 'WS01.' },
      ],
    });
    expect(exceptionMatches(both, 'r1', event, 0)).toBe(true);
    const one = ex({
      conditions: [...both.conditions, { field: 'CommandLine', op: 'contains', value: '-nop' }],
    });
    expect(exceptionMatches(one, 'r1', event, 0)).toBe(false);
    expect(
      exceptionMatches(
        ex({ conditions: [{ field: 'Tags', op: 'equals', value: 'B' }] }),
        'r1',
        event,
        0,
      ),
    ).toBe(true);
    expect(
      exceptionMatches(
        ex({ conditions: [{ field: 'Missing', op: 'equals', value: '' }] }),
        'r1',
        event,
        0,
      ),
    ).toBe(false);
  });

  it('is limited to its rule and its lifetime', () => {
    expect(exceptionMatches(ex({ ruleId: 'r1' }), 'r2', event, 0)).toBe(false);
    expect(exceptionMatches(ex({ ruleId: 'r1' }), 'r1', event, 0)).toBe(true);
    expect(exceptionMatches(ex({ expiresAt: 500 }), 'r1', event, 499)).toBe(true);
    expect(exceptionMatches(ex({ expiresAt: 500 }), 'r1', event, 500)).toBe(false);
  });

  it('matches addresses by CIDR, IPv4 and IPv6', () => {
    expect(
      exceptionMatches(
        ex({ conditions: [{ field: 'source.ip', op: 'cidr', value: '10.0.0.0/8' }] }),
        'r',
        event,
        0,
      ),
    ).toBe(true);
    expect(inCidr('192.168.1.7', '192.168.0.0/16')).toBe(true);
    expect(inCidr('192.169.1.7', '192.168.0.0/16')).toBe(false);
    expect(inCidr('2001:db8::1', '2001:db8::/32')).toBe(true);
    expect(inCidr('2001:db9::1', '2001:db8::/32')).toBe(false);
    expect(inCidr('10.0.0.1', '10.0.0.1')).toBe(true);
    expect(inCidr('not-an-ip', '10.0.0.0/8')).toBe(false);
    expect(inCidr('10.0.0.1', '10.0.0.0/33')).toBe(false);
  });
});
