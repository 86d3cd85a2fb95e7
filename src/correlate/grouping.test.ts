import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Entity } from './entities.ts';
import { DEFAULT_POLICY, groupAlerts, type GroupableAlert } from './grouping.ts';

const H = 3_600_000;
const user = (name: string, attributes?: Record<string, number>): Entity => ({
  type: 'user',
  id: `user:corp\\${name}`,
  label: `CORP\\${name}`,
  ...(attributes ? { attributes } : {}),
});
const ip = (addr: string, scope: 'internal' | 'external'): Entity => ({
  type: 'ip',
  id: `ip:${addr}`,
  label: addr,
  attributes: { scope },
});
const alert = (
  id: string,
  ts: number,
  host: string,
  over: Partial<GroupableAlert> = {},
): GroupableAlert => ({
  id,
  tenant: 'acme',
  ts,
  ruleId: 'r1',
  host,
  entities: [],
  ...over,
});

describe('groupAlerts', () => {
  it('joins alerts on one host within the window and splits them beyond it', () => {
    const groups = groupAlerts([
      alert('a', 0, 'ws01'),
      alert('b', 1 * H, 'ws01'),
      alert('c', 5 * H, 'ws01'),
      alert('d', 0, 'ws02'),
    ]);
    expect(groups.map((g) => g.alertIds)).toEqual([['a', 'b'], ['d'], ['c']]);
    expect(new Set(groups.map((g) => g.id)).size).toBe(3);
    expect(groups[0]?.links).toEqual(['host']);
  });

  it('follows a process lineage and a logon session across a long gap', () => {
    const lineage = ['process:ws01:{a}', 'process:ws01:{parent}'];
    const session: Entity = { type: 'session', id: 'session:ws01:0x3e8f1', label: '0x3e8f1' };
    const groups = groupAlerts([
      alert('a', 0, 'ws01', { lineage }),
      alert('b', 30 * H, 'ws01', { lineage: ['process:ws01:{b}', 'process:ws01:{parent}'] }),
      alert('c', 0, 'ws02', { entities: [session] }),
      alert('d', 40 * H, 'ws02', { entities: [session] }),
    ]);
    expect(groups.map((g) => [g.alertIds, g.links])).toEqual([
      [['a', 'b'], ['lineage']],
      [['c', 'd'], ['session']],
    ]);
  });

  it('links hosts through a shared account or external address, not through built-in accounts or internal ones', () => {
    const groups = groupAlerts([
      alert('a', 0, 'ws01', {
        entities: [user('alice'), ip('10.0.0.5', 'internal'), user('SYSTEM', { wellKnown: 1 })],
      }),
      alert('b', 1 * H, 'srv02', { entities: [user('alice')] }),
      alert('c', 1 * H, 'srv03', {
        entities: [ip('10.0.0.5', 'internal'), user('SYSTEM', { wellKnown: 1 })],
      }),
      alert('d', 1 * H, 'srv04', { entities: [ip('198.51.100.7', 'external')] }),
      alert('e', 1.5 * H, 'srv05', { entities: [ip('198.51.100.7', 'external')] }),
    ]);
    expect(groups.map((g) => g.alertIds)).toEqual([['a', 'b'], ['c'], ['d', 'e']]);
    expect(groups[0]?.hosts).toEqual(['srv02', 'ws01']);
  });

  it('keeps tenants apart and honours per-rule policies', () => {
    const groups = groupAlerts(
      [
        alert('a', 0, 'ws01'),
        alert('b', 0, 'ws01', { tenant: 'globex' }),
        alert('c', 0, 'ws01', { ruleId: 'noisy' }),
        alert('d', 0, 'ws01', { ruleId: 'alone' }),
      ],
      { ...DEFAULT_POLICY, rules: { noisy: 'none', alone: 'alert' } },
    );
    expect(groups.map((g) => [g.tenant, g.alertIds])).toEqual(
      [
        ['acme', ['a']],
        ['acme', ['d']],
        ['globex', ['b']],
      ].sort((x, y) => 0 * (x.length - y.length)),
    );
    expect(groups.some((g) => g.alertIds.includes('c'))).toBe(false);
  });

  it('gives the same incidents whatever order the alerts arrive in', () => {
    const hosts = ['ws01', 'ws02', 'srv01'];
    const users = ['alice', 'bob', 'carol', 'SYSTEM'];
    const arb = fc.array(
      fc.record({
        ts: fc.integer({ min: 0, max: 48 * H }),
        host: fc.constantFrom(...hosts),
        user: fc.constantFrom(...users),
        parent: fc.integer({ min: 0, max: 5 }),
      }),
      { minLength: 1, maxLength: 40 },
    );
    fc.assert(
      fc.property(arb, fc.integer(), (rows, seed) => {
        const alerts = rows.map((r, i) =>
          alert(`a${i}`, r.ts, r.host, {
            entities: [user(r.user, r.user === 'SYSTEM' ? { wellKnown: 1 } : undefined)],
            lineage: [`process:${r.host}:{p${r.parent}}`],
          }),
        );
        const shuffled = [...alerts];
        let s = seed >>> 0;
        for (let i = shuffled.length - 1; i > 0; i--) {
          s = (s * 1103515245 + 12345) >>> 0;
          const j = s % (i + 1);
          [shuffled[i], shuffled[j]] = [
            shuffled[j] as GroupableAlert,
            shuffled[i] as GroupableAlert,
          ];
        }
        expect(groupAlerts(shuffled)).toEqual(groupAlerts(alerts));
        // every alert is in exactly one incident
        const all = groupAlerts(alerts).flatMap((g) => g.alertIds);
        expect(all.sort()).toEqual(alerts.map((a) => a.id).sort());
      }),
      { numRuns: 200 },
    );
  });

  it('follows a logon from another machine to that machine’s alerts (lateral movement)', () => {
    const fromWs: Entity = {
      type: 'host',
      id: 'host:ws-fin-07',
      label: 'WS-FIN-07',
      role: 'source',
    };
    const groups = groupAlerts([
      alert('a', 0, 'ws-fin-07.corp.local'),
      alert('b', 1 * H, 'srv-db-01.corp.local', { entities: [fromWs] }),
      alert('c', 1 * H, 'srv-db-02.corp.local'),
    ]);
    expect(groups.map((g) => [g.alertIds, g.links])).toEqual([
      [['a', 'b'], ['lateral']],
      [['c'], []],
    ]);
  });

  it('joins a network sensor’s alert (no host) to the machines whose addresses it names', () => {
    const own = (name: string, address: string): Entity => ({
      type: 'host',
      id: `host:${name}`,
      label: name,
      attributes: { addresses: address },
    });
    const groups = groupAlerts([
      alert('app', 0, 'srv-app-01', { entities: [own('srv-app-01', '10.1.20.11')] }),
      // Zeek: an exploit from 10.1.20.11 to 10.1.10.23
      {
        id: 'zeek',
        tenant: 'acme',
        ts: 0.5 * H,
        ruleId: 'r2',
        entities: [
          { ...ip('10.1.20.11', 'internal'), role: 'source' },
          { ...ip('10.1.10.23', 'internal'), role: 'destination' },
        ],
      },
      alert('acc', 1 * H, 'ws-acc-03', { entities: [own('ws-acc-03', '10.1.10.23')] }),
      // a host-based alert naming an internal address does not join on it
      alert('other', 1.2 * H, 'ws-other', {
        entities: [{ ...ip('10.1.10.23', 'internal'), role: 'destination' }],
      }),
    ]);
    expect(groups.map((g) => g.alertIds)).toEqual([['app', 'zeek', 'acc'], ['other']]);
    expect(groups[0]?.links).toEqual(['lateral']);
  });

  it('does not join on an address two machines claim', () => {
    const own = (name: string, addresses: string): Entity => ({
      type: 'host',
      id: `host:${name}`,
      label: name,
      attributes: { addresses },
    });
    const groups = groupAlerts([
      alert('a', 0, 'web01', { entities: [own('web01', '10.0.0.5,172.17.0.1')] }),
      alert('b', 0.5 * H, 'web02', { entities: [own('web02', '10.0.0.6,172.17.0.1')] }),
      {
        id: 'zeek',
        tenant: 'acme',
        ts: 0.7 * H,
        ruleId: 'r2',
        entities: [{ ...ip('172.17.0.1', 'internal'), role: 'source' }],
      },
    ]);
    expect(groups.map((g) => g.alertIds)).toEqual([['a'], ['b'], ['zeek']]);
  });
});
