/**
 * Grouping alerts into incidents, per tenant: two alerts belong to one attack when they share a process
 * lineage or a logon session, happen on one host within a window, or share a telling entity (a user that is
 * not a built-in account, an external address, a hash, a domain, a URL, a mail) within a window, across
 * hosts. The result depends only on the set of alerts, never on the order they arrived in: links are
 * computed over alerts sorted by (time, id), and an incident's id is derived from its earliest alert.
 */
import { createHash } from 'node:crypto';
import type { Entity } from './entities.ts';

/** What grouping needs to know of an alert. */
export interface GroupableAlert {
  readonly id: string;
  readonly tenant: string;
  readonly ts: number;
  readonly ruleId: string;
  readonly host?: string;
  /** The entities of the alert's events (`entitiesOfEvents`). */
  readonly entities: readonly Entity[];
  /** Process entity ids of the alerting process and its ancestors (`ProcessTree.lineageOf`). */
  readonly lineage?: readonly string[];
}

/** Per rule: group by entities (default), one incident per alert, or no incident at all. */
export type RuleGrouping = 'entities' | 'alert' | 'none';

export interface GroupingPolicy {
  /** Alerts on one host, or sharing a telling entity, join when at most this far apart (ms). */
  readonly windowMs: number;
  /** Alerts sharing a process lineage or a logon session join when at most this far apart (ms). */
  readonly lineageWindowMs: number;
  readonly rules?: Readonly<Record<string, RuleGrouping>>;
}

export const DEFAULT_POLICY: GroupingPolicy = {
  windowMs: 2 * 3_600_000,
  lineageWindowMs: 7 * 86_400_000,
};

export interface IncidentGroup {
  /** Stable: derived from the tenant and the earliest alert (time, then id). */
  readonly id: string;
  readonly tenant: string;
  /** In (time, id) order. */
  readonly alertIds: readonly string[];
  readonly hosts: readonly string[];
  readonly firstTs: number;
  readonly lastTs: number;
  /** Why the alerts were joined: the kinds of link used (`lineage`, `session`, `host`, `entity`, `lateral`). */
  readonly links: readonly LinkKind[];
}

export type LinkKind = 'lineage' | 'session' | 'host' | 'entity' | 'lateral';

/** Entity types that tie alerts together across hosts when they are shared. */
const TELLING = new Set(['user', 'hash', 'domain', 'url', 'mail', 'ip']);

/** The keys an alert can be joined on, each with the window it allows and the kind of link. */
function keysOf(
  a: GroupableAlert,
  policy: GroupingPolicy,
): { key: string; window: number; kind: LinkKind }[] {
  const out: { key: string; window: number; kind: LinkKind }[] = [];
  for (const p of a.lineage ?? [])
    out.push({ key: p, window: policy.lineageWindowMs, kind: 'lineage' });
  if (a.host !== undefined && a.host !== '') {
    out.push({ key: `host:${a.host.toLowerCase()}`, window: policy.windowMs, kind: 'host' });
    out.push({ key: `machine:${shortName(a.host)}`, window: policy.windowMs, kind: 'lateral' });
  }
  const sensor = a.host === undefined || a.host === '';
  for (const e of a.entities) {
    // The machine's own addresses (its shipper's `host.ip`): a network sensor's alert naming one links here.
    if (e.type === 'host' && e.role === undefined) {
      const addresses = e.attributes?.['addresses'];
      if (typeof addresses === 'string')
        for (const ip of addresses.split(','))
          out.push({ key: `address:${ip}`, window: policy.windowMs, kind: 'lateral' });
      continue;
    }
    // A network sensor's alert (Zeek: no host of its own) between internal machines links to their alerts.
    if (
      sensor &&
      e.type === 'ip' &&
      (e.role === 'source' || e.role === 'destination') &&
      e.attributes?.['scope'] === 'internal'
    ) {
      out.push({ key: `address:${e.label}`, window: policy.windowMs, kind: 'lateral' });
      continue;
    }
    // A logon or connection from another machine (4624 WorkstationName, …) links to that machine's alerts.
    if (e.type === 'host' && e.role === 'source') {
      const name = shortName(e.label);
      if (name !== '' && name !== '-')
        out.push({ key: `machine:${name}`, window: policy.windowMs, kind: 'lateral' });
      continue;
    }
    if (e.type === 'session')
      out.push({ key: e.id, window: policy.lineageWindowMs, kind: 'session' });
    else if (TELLING.has(e.type) && telling(e)) {
      out.push({ key: e.id, window: policy.windowMs, kind: 'entity' });
    }
  }
  return out;
}

/** `WS-FIN-07.corp.local` → `ws-fin-07`: machines are named both ways. */
function shortName(host: string): string {
  const h = host.trim().toLowerCase();
  const dot = h.indexOf('.');
  return dot > 0 && !/^\d+\.\d+\.\d+\.\d+$/.test(h) ? h.slice(0, dot) : h;
}

/** Built-in and machine accounts, internal addresses and loopback say nothing about one attack. */
function telling(e: Entity): boolean {
  const attrs = e.attributes ?? {};
  if (e.type === 'user') return attrs['wellKnown'] === undefined && attrs['machine'] === undefined;
  if (e.type === 'ip') return attrs['scope'] === 'external';
  return true;
}

class UnionFind {
  private readonly parent: number[];
  constructor(n: number) {
    this.parent = Array.from({ length: n }, (_, i) => i);
  }
  find(i: number): number {
    let r = i;
    while (this.parent[r] !== r) r = this.parent[r] ?? r;
    while (this.parent[i] !== r) {
      const next = this.parent[i] ?? r;
      this.parent[i] = r;
      i = next;
    }
    return r;
  }
  union(a: number, b: number): void {
    const ra = this.find(a);
    const rb = this.find(b);
    // the smaller index (earlier alert) stays the root, so roots do not depend on call order
    if (ra < rb) this.parent[rb] = ra;
    else if (rb < ra) this.parent[ra] = rb;
  }
}

/**
 * Groups one batch of alerts (any tenants) into incidents. Alerts of rules grouped `none` are left out;
 * `alert` gives each its own incident. The same set of alerts always gives the same incidents.
 */
export function groupAlerts(
  alerts: readonly GroupableAlert[],
  policy: GroupingPolicy = DEFAULT_POLICY,
): IncidentGroup[] {
  const ruleMode = (a: GroupableAlert): RuleGrouping => policy.rules?.[a.ruleId] ?? 'entities';
  const sorted = alerts
    .filter((a) => ruleMode(a) !== 'none')
    .slice()
    .sort(
      (x, y) =>
        x.tenant.localeCompare(y.tenant) || x.ts - y.ts || (x.id < y.id ? -1 : x.id > y.id ? 1 : 0),
    );
  const uf = new UnionFind(sorted.length);
  const kinds = new Map<number, Set<LinkKind>>();
  // For each key: the alerts carrying it, in (time, id) order; consecutive ones within the window join.
  const byKey = new Map<string, { window: number; kind: LinkKind; at: number[] }>();
  // An address two machines claim (a Docker bridge, a reused VPN pool address) names neither.
  const claims = new Map<string, Set<string>>();
  for (const a of sorted) {
    for (const e of a.entities) {
      const addresses = e.type === 'host' && e.role === undefined ? e.attributes?.['addresses'] : 0;
      if (typeof addresses !== 'string') continue;
      for (const ip of addresses.split(',')) {
        const key = `${a.tenant}\u0000address:${ip}`;
        let set = claims.get(key);
        if (!set) claims.set(key, (set = new Set()));
        set.add(e.id);
      }
    }
  }
  sorted.forEach((a, i) => {
    if (ruleMode(a) === 'alert') return;
    const seen = new Set<string>();
    for (const k of keysOf(a, policy)) {
      const key = `${a.tenant}\u0000${k.key}`;
      if (seen.has(key)) continue;
      if ((claims.get(key)?.size ?? 0) > 1) continue;
      seen.add(key);
      let slot = byKey.get(key);
      if (!slot) byKey.set(key, (slot = { window: k.window, kind: k.kind, at: [] }));
      slot.at.push(i);
    }
  });
  for (const { window, kind, at } of byKey.values()) {
    for (let j = 1; j < at.length; j++) {
      const prev = sorted[at[j - 1] ?? 0];
      const cur = sorted[at[j] ?? 0];
      if (!prev || !cur || cur.ts - prev.ts > window) continue;
      const a = at[j - 1] ?? 0;
      const b = at[j] ?? 0;
      uf.union(a, b);
      // two alerts of one machine meeting on its name are a host link, not a lateral one
      const sameHost = kind === 'lateral' && prev.host?.toLowerCase() === cur.host?.toLowerCase();
      for (const i of [a, b]) {
        let s = kinds.get(i);
        if (!s) kinds.set(i, (s = new Set()));
        s.add(sameHost ? 'host' : kind);
      }
    }
  }
  const groups = new Map<number, number[]>();
  sorted.forEach((_, i) => {
    const r = uf.find(i);
    const g = groups.get(r);
    if (g) g.push(i);
    else groups.set(r, [i]);
  });
  const out: IncidentGroup[] = [];
  for (const members of groups.values()) {
    const first = sorted[members[0] ?? 0];
    if (!first) continue;
    const hosts = new Set<string>();
    const links = new Set<LinkKind>();
    let lastTs = first.ts;
    for (const i of members) {
      const a = sorted[i];
      if (!a) continue;
      if (a.host) hosts.add(a.host.toLowerCase());
      lastTs = Math.max(lastTs, a.ts);
      for (const k of kinds.get(i) ?? []) links.add(k);
    }
    out.push({
      id: createHash('sha256')
        .update(`${first.tenant}\u0000${first.id}`)
        .digest('hex')
        .slice(0, 24),
      tenant: first.tenant,
      alertIds: members.map((i) => sorted[i]?.id ?? ''),
      hosts: [...hosts].sort(),
      firstTs: first.ts,
      lastTs,
      links: [...links].sort(),
    });
  }
  const firstId = (g: IncidentGroup): string => g.alertIds[0] ?? '';
  return out.sort(
    (x, y) =>
      x.tenant.localeCompare(y.tenant) ||
      x.firstTs - y.firstTs ||
      (firstId(x) < firstId(y) ? -1 : 1),
  );
}
