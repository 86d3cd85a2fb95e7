/** The closing summary of `vigil scan`: counts per level, top rules, ATT&CK coverage, hosts, parse problems. */
import pc from 'picocolors';
import { formatLocation, LEVELS, type Detection } from '../core/index.ts';
import type { ScanResult } from '../app/index.ts';
import { hostOf } from '../app/index.ts';
import { colorLevel, type Sink } from './timeline.ts';

/** ATT&CK Enterprise tactics in kill-chain order, as Sigma tags name them. */
const TACTICS = [
  'reconnaissance',
  'resource-development',
  'initial-access',
  'execution',
  'persistence',
  'privilege-escalation',
  'defense-evasion',
  'stealth',
  'credential-access',
  'discovery',
  'lateral-movement',
  'collection',
  'command-and-control',
  'exfiltration',
  'impact',
] as const;

export interface Summary {
  readonly byLevel: Record<string, number>;
  readonly topRules: { title: string; level: string; count: number }[];
  readonly tactics: { tactic: string; count: number }[];
  readonly techniques: { technique: string; count: number }[];
  readonly hosts: { host: string; count: number }[];
}

function bump(map: Map<string, number>, key: string): void {
  map.set(key, (map.get(key) ?? 0) + 1);
}

function top(map: Map<string, number>, n: number): [string, number][] {
  return [...map.entries()].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)).slice(0, n);
}

/** Summaries already computed: the closing summary and `--summary` read the same detections. */
const summaries = new WeakMap<readonly Detection[], Summary>();

export function summarise(detections: readonly Detection[]): Summary {
  let s = summaries.get(detections);
  if (!s) {
    s = summariseNow(detections);
    summaries.set(detections, s);
  }
  return s;
}

function summariseNow(detections: readonly Detection[]): Summary {
  const byLevel: Record<string, number> = {};
  for (const l of LEVELS) byLevel[l] = 0;
  const rules = new Map<string, number>();
  const ruleLevel = new Map<string, string>();
  const tactics = new Map<string, number>();
  const techniques = new Map<string, number>();
  const hosts = new Map<string, number>();
  const attack = new Map<Detection['rule'], { tactics: string[]; techniques: string[] }>();
  for (const d of detections) {
    byLevel[d.rule.level] = (byLevel[d.rule.level] ?? 0) + 1;
    bump(rules, d.rule.title);
    ruleLevel.set(d.rule.title, d.rule.level);
    // Tens of thousands of hits name a few hundred rules: each rule's tags are read once.
    let tags = attack.get(d.rule);
    if (!tags) {
      tags = attackTags(d.rule.tags);
      attack.set(d.rule, tags);
    }
    for (const t of tags.techniques) bump(techniques, t);
    for (const t of tags.tactics) bump(tactics, t);
    const last = d.events[d.events.length - 1];
    const host = last ? hostOf(last.fields) : '';
    if (host) bump(hosts, host);
  }
  return {
    byLevel,
    topRules: top(rules, 10).map(([title, count]) => ({
      title,
      count,
      level: ruleLevel.get(title) ?? '',
    })),
    tactics: TACTICS.filter((t) => tactics.has(t)).map((t) => ({
      tactic: t,
      count: tactics.get(t) ?? 0,
    })),
    techniques: top(techniques, 15).map(([technique, count]) => ({ technique, count })),
    hosts: top(hosts, 10).map(([host, count]) => ({ host, count })),
  };
}

/** The ATT&CK tactics and techniques a rule's tags name. */
function attackTags(tags: readonly string[]): { tactics: string[]; techniques: string[] } {
  const out = { tactics: [] as string[], techniques: [] as string[] };
  for (const tag of tags) {
    const t = tag.toLowerCase();
    if (!t.startsWith('attack.')) continue;
    const name = t.slice(7);
    if (/^t\d{4}(\.\d{3})?$/.test(name)) out.techniques.push(name.toUpperCase());
    else if ((TACTICS as readonly string[]).includes(name)) out.tactics.push(name);
  }
  return out;
}

export function writeSummary(result: ScanResult, out: Sink, color: boolean): void {
  const s = summarise(result.detections);
  const h = (t: string): string => (color ? pc.bold(t) : t);
  const lines: string[] = [''];
  lines.push(
    h(
      `Scanned ${result.files.length} file(s), ${result.records.toLocaleString('en-US')} records in ${result.elapsedS.toFixed(2)} s — ${result.detections.length.toLocaleString('en-US')} detections`,
    ),
  );
  lines.push(
    `Rules: ${result.rules.loaded} loaded` +
      (result.rules.unsupported.length > 0
        ? `, ${result.rules.unsupported.length} unsupported`
        : '') +
      (result.rules.issues.length > 0 ? `, ${result.rules.issues.length} rule problems` : ''),
  );
  if (result.rules.loaded === 0) {
    lines.push(
      '  no rules were loaded: nothing can be detected (check --rules, or drop --no-builtin)',
    );
  }
  // Rule problems are shown where the user will see them; `vigil rules check` lists them all.
  const shown = [
    ...result.rules.issues.filter((i) => i.severity === 'error'),
    ...result.rules.unsupported.map((u) => ({
      at: { file: u.file },
      code: 'unsupported',
      message: u.reason,
    })),
  ];
  for (const i of shown.slice(0, 5)) {
    lines.push(`  ${i.at ? formatLocation(i.at) : ''}: ${i.code}: ${i.message}`);
  }
  if (shown.length > 5) lines.push(`  … ${shown.length - 5} more (run vigil rules check)`);
  lines.push('');
  lines.push(h('Detections by level'));
  for (const l of [...LEVELS].reverse()) {
    const n = s.byLevel[l] ?? 0;
    lines.push(`  ${colorLevel(l, l.padEnd(14), color)}${String(n).padStart(8)}`);
  }
  if (s.topRules.length > 0) {
    lines.push('', h('Top rules'));
    for (const r of s.topRules)
      lines.push(`  ${String(r.count).padStart(7)}  ${colorLevel(r.level, r.title, color)}`);
  }
  if (s.tactics.length > 0) {
    lines.push('', h('ATT&CK tactics (kill-chain order)'));
    for (const t of s.tactics) lines.push(`  ${String(t.count).padStart(7)}  ${t.tactic}`);
  }
  if (s.techniques.length > 0) {
    lines.push('', h('ATT&CK techniques'));
    lines.push(`  ${s.techniques.map((t) => `${t.technique} (${t.count})`).join(', ')}`);
  }
  if (s.hosts.length > 0) {
    lines.push('', h('Hosts with detections'));
    for (const x of s.hosts) lines.push(`  ${String(x.count).padStart(7)}  ${x.host}`);
  }
  const problems = result.files.filter((f) => f.issues.length > 0);
  if (problems.length > 0 || result.inputIssues.length > 0) {
    lines.push('', h('Parse problems'));
    for (const i of result.inputIssues) lines.push(`  ${i.code}  ${i.message}`);
    for (const f of problems) {
      const warnings = f.issues.length - f.errors;
      lines.push(
        `  ${f.path}: ${f.errors} error(s)${warnings > 0 ? `, ${warnings} warning(s)` : ''}, ${f.records} records read`,
      );
      for (const i of f.issues.slice(0, 3)) {
        // The file is on the line above: show only where inside it.
        const where = i.at ? formatLocation({ ...i.at, file: '' }).trim() : '';
        lines.push(`      ${i.code}${where ? ` ${where}` : ''}: ${i.message}`);
      }
      if (f.issues.length > 3) lines.push(`      … ${f.issues.length - 3} more`);
    }
  }
  out.write(`${lines.join('\n')}\n`);
}

/** The `--summary FILE` document. Its field names are a contract. */
export function summaryJson(result: ScanResult): unknown {
  const s = summarise(result.detections);
  return {
    files: result.files.map((f) => ({ path: f.path, records: f.records, errors: f.errors })),
    records: result.records,
    detections: result.detections.length,
    elapsed_s: Number(result.elapsedS.toFixed(3)),
    by_level: s.byLevel,
    top_rules: s.topRules,
    tactics: s.tactics,
    techniques: s.techniques,
    hosts: s.hosts,
    problems: [...result.inputIssues, ...result.files.flatMap((f) => f.issues)].map((i) => ({
      code: i.code,
      severity: i.severity,
      message: i.message,
      ...(i.at ?? {}),
    })),
    rules: {
      loaded: result.rules.loaded,
      unsupported: result.rules.unsupported.length,
      problems: result.rules.issues.length,
    },
  };
}
