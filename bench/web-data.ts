/**
 * Synthetic API answers for the console benchmark: a queue of N incident summaries and one incident
 * whose attack graph has about 500 entities (ten hosts, process trees, files, addresses, users), in
 * the shapes GET /api/v1/incidents and GET /api/v1/tenants/{id}/incidents/{incident} answer with.
 * Deterministic (a seeded generator), so runs compare.
 */

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

const LEVELS = ['low', 'medium', 'high', 'critical'] as const;
const STATUSES = ['new', 'triage', 'investigating', 'contained', 'resolved'] as const;
const TACTICS = [
  'initial-access',
  'execution',
  'persistence',
  'privilege-escalation',
  'defense-evasion',
  'credential-access',
  'discovery',
  'lateral-movement',
  'command-and-control',
  'impact',
];
const TITLES = [
  'Encoded PowerShell download cradle',
  'LSASS memory read by an unexpected process',
  'Brute force of Windows logons',
  'Scheduled task running from a user-writable folder',
  'Connections to a Monero mining pool',
  'SMB exploitation attempt (EternalBlue)',
  'MongoDB collection dropped after an unauthenticated dump',
  'Exchange transport agent installed',
];

export function tenants(n: number): { id: string; name: string }[] {
  return Array.from({ length: n }, (_, i) => ({
    id: `tenant-${String(i).padStart(2, '0')}`,
    name: `Customer ${String(i).padStart(2, '0')}`,
  }));
}

export function incidentSummaries(count: number, tenantIds: readonly string[]): object[] {
  const r = rng(7);
  const now = Date.now();
  const out: object[] = [];
  for (let i = 0; i < count; i++) {
    const score = Math.floor(r() * 100);
    const severity = LEVELS[Math.min(3, Math.floor(score / 25))] ?? 'low';
    const hostCount = 1 + Math.floor(r() * 4);
    const hosts = Array.from({ length: hostCount }, (_, h) => ({
      name: `host-${String(Math.floor(r() * 900)).padStart(3, '0')}.corp.example`,
      state: h === 0 ? 'infected' : r() < 0.5 ? 'targeted' : 'clean',
      why: 'synthetic',
    }));
    const last = now - Math.floor(r() * 14 * 86_400_000);
    const tactics = TACTICS.filter(() => r() < 0.3);
    out.push({
      id: `inc${String(i).padStart(6, '0')}`,
      tenant: tenantIds[i % tenantIds.length] ?? 'tenant-00',
      title: `${TITLES[i % TITLES.length] ?? ''} on ${hosts[0]?.name ?? ''}`,
      score,
      severity,
      level: severity,
      status: STATUSES[Math.floor(r() * STATUSES.length)] ?? 'new',
      determination: null,
      assignee: r() < 0.3 ? `analyst${Math.floor(r() * 8)}` : null,
      tags: r() < 0.1 ? ['crown-jewel'] : [],
      first_ts: new Date(last - 3_600_000).toISOString(),
      last_ts: new Date(last).toISOString(),
      alert_count: 1 + Math.floor(r() * 40),
      hosts,
      host_names: hosts.map((h) => h.name),
      tactics,
      techniques: ['T1059.001', 'T1003.001', 'T1110', 'T1021.002', 'T1496'].filter(() => r() < 0.4),
      source: null,
      patient_zero: hosts[0]?.name ?? null,
      score_terms: [
        {
          name: 'severity',
          points: Math.min(30, score * 0.3),
          max: 30,
          why: `highest rule level: ${severity}`,
        },
        {
          name: 'kill_chain',
          points: tactics.length * 2,
          max: 20,
          why: `${tactics.length} tactic(s)`,
        },
        { name: 'breadth', points: hostCount * 3, max: 15, why: `${hostCount} host(s)` },
        { name: 'asset_criticality', points: 0, max: 15, why: 'no tagged asset involved' },
        { name: 'confidence', points: 10, max: 10, why: 'most trusted rule status: stable' },
        { name: 'recency', points: 5, max: 10, why: 'recent' },
      ],
      sla: {
        acknowledge: {
          target_min: 30,
          due: new Date(last + 1_800_000).toISOString(),
          met_at: null,
          breached: r() < 0.1,
        },
        contain: null,
        resolve: null,
      },
      sla_breached: false,
    });
  }
  return out;
}

/** One incident with a graph of about `size` entities. */
export function bigIncident(tenant: string, size: number): object {
  const r = rng(11);
  const nodes: { type: string; id: string; label: string; attributes?: object }[] = [];
  const edges: { from: string; to: string; type: string; ts: number; eventIds: string[] }[] = [];
  const hosts = Array.from(
    { length: 10 },
    (_, i) => `srv-${String(i).padStart(2, '0')}.corp.example`,
  );
  const t0 = Date.parse('2026-11-17T09:00:00Z');
  let n = 0;
  const ev = (): string[] => [`ev${n}`];
  nodes.push({ type: 'ip', id: 'ip:203.0.113.7', label: '203.0.113.7' });
  for (const h of hosts) nodes.push({ type: 'host', id: `host:${h}`, label: h });
  for (let i = 0; i < 9; i++)
    edges.push({
      from: `host:${hosts[i] ?? ''}`,
      to: `host:${hosts[i + 1] ?? ''}`,
      type: 'logged_on_to',
      ts: t0 + i,
      eventIds: ev(),
    });
  edges.push({
    from: 'ip:203.0.113.7',
    to: `host:${hosts[0] ?? ''}`,
    type: 'exploited',
    ts: t0,
    eventIds: ev(),
  });
  while (nodes.length < size) {
    const h = hosts[Math.floor(r() * hosts.length)] ?? '';
    n++;
    const pid = `process:${h}:p${n}`;
    nodes.push({
      type: 'process',
      id: pid,
      label: `proc${n}.exe (${1000 + n})`,
      attributes: { pid: 1000 + n },
    });
    edges.push({ from: pid, to: `host:${h}`, type: 'ran_on', ts: t0 + n, eventIds: ev() });
    const parents = nodes.filter(
      (x) => x.type === 'process' && x.id.startsWith(`process:${h}:`) && x.id !== pid,
    );
    const parent = parents[Math.floor(r() * parents.length)];
    if (parent)
      edges.push({ from: parent.id, to: pid, type: 'spawned', ts: t0 + n, eventIds: ev() });
    const roll = r();
    if (roll < 0.25 && nodes.length < size) {
      const f = `file:${h}:c:\\temp\\drop${n}.exe`;
      nodes.push({ type: 'file', id: f, label: `C:\\Temp\\drop${n}.exe` });
      edges.push({ from: pid, to: f, type: 'wrote', ts: t0 + n, eventIds: ev() });
    } else if (roll < 0.35 && nodes.length < size) {
      const ip = `ip:198.51.100.${n % 250}`;
      if (!nodes.some((x) => x.id === ip))
        nodes.push({ type: 'ip', id: ip, label: `198.51.100.${n % 250}` });
      edges.push({ from: pid, to: ip, type: 'connected_to', ts: t0 + n, eventIds: ev() });
    } else if (roll < 0.4 && nodes.length < size) {
      const u = `user:corp\\user${n % 40}`;
      if (!nodes.some((x) => x.id === u))
        nodes.push({ type: 'user', id: u, label: `CORP\\user${n % 40}` });
      edges.push({ from: u, to: `host:${h}`, type: 'logged_on_to', ts: t0 + n, eventIds: ev() });
    }
  }
  const base = (incidentSummaries(1, [tenant])[0] ?? {}) as Record<string, unknown>;
  return {
    ...base,
    id: 'big',
    tenant,
    title: `Synthetic intrusion across ${hosts.length} hosts (${nodes.length} entities)`,
    hosts: hosts.map((h, i) => ({
      name: h,
      state: i < 6 ? 'infected' : i < 8 ? 'targeted' : 'clean',
      why: 'synthetic',
    })),
    source: { type: 'ip', id: 'ip:203.0.113.7', label: '203.0.113.7' },
    patient_zero: hosts[0],
    narrative: { en: 'A synthetic incident for the benchmark.', 'zh-TW': '基準測試用的合成事件。' },
    next_steps: { en: [], 'zh-TW': [] },
    mitigations: [],
    alert_ids: [],
    graph: { nodes, edges },
    timeline: [],
    notes: [],
    evidence: [],
    similar: [],
  };
}
