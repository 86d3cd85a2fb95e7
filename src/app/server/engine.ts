/**
 * Streaming detection for the server: the shared rule set plus each tenant's uploaded rules, per-tenant
 * correlation state, per-tenant disabled rules and exceptions, turning stored events into alerts.
 */
import { createHash } from 'node:crypto';
import {
  CorrelationEngine,
  loadRules,
  RuleSet,
  type CorrelationRule,
  type LogsourceMap,
} from '../../detect/index.ts';
import {
  levelRank,
  type Alert,
  type Detection,
  type Event,
  type Issue,
  type RuleException,
  type RuleRef,
  type StoredEvent,
  type StoredRule,
} from '../../core/index.ts';
import { buildDetector } from '../detector.ts';
import { loadLogsourceMap } from '../routing-data.ts';
import type { WorkerSetup } from '../scan-protocol.ts';
import { exceptionMatches } from './exceptions.ts';
import { RULESET_PREFIX, ruleSetOf, type RuleSetDir } from './rulesets.ts';

/** What the engine knows about one tenant; rebuilt when the tenant's rules, settings or exceptions change. */
interface TenantState {
  disabled: ReadonlySet<string>;
  exceptions: readonly RuleException[];
  uploaded?: { ruleset: RuleSet; correlations: readonly CorrelationRule[] };
  correlation?: CorrelationEngine;
}

export interface EngineResult {
  readonly alerts: Alert[];
  /** Exception id → alerts it suppressed in this batch, per tenant. */
  readonly suppressed: Map<string, { tenant: string; count: number }>;
}

/** A rule as the API lists it. */
export interface RuleInfo extends RuleRef {
  readonly kind: 'detection' | 'correlation' | 'filter';
  /** `shared` (the server's rule folders) or `tenant` (uploaded for one tenant). */
  readonly origin: string;
  /** The rule set (folder) it belongs to: `vigil`, a `--rules` folder's name, or `tenant`. */
  readonly ruleset: string;
  readonly logsource?: Readonly<Record<string, string>>;
}

export interface TenantSettings {
  readonly disabledRules: readonly string[];
  readonly exceptions: readonly RuleException[];
  readonly rules: readonly StoredRule[];
}

/** Derives an alert's id from what made it, so the same hit raised twice has the same id. */
export function alertId(
  tenant: string,
  ruleId: string,
  eventIds: readonly string[],
  group?: unknown,
): string {
  const h = createHash('sha256');
  h.update(tenant).update('\0').update(ruleId).update('\0');
  for (const id of eventIds) h.update(id).update(',');
  if (group !== undefined) h.update(JSON.stringify(group));
  return h.digest('hex').slice(0, 32);
}

export class DetectionEngine {
  private ruleset: RuleSet;
  private correlations: readonly CorrelationRule[];
  private infos: RuleInfo[];
  private loadIssues: readonly Issue[];
  private readonly tenants = new Map<string, TenantState>();
  private readonly logsources: LogsourceMap | undefined;
  private readonly placeholders: Readonly<Record<string, readonly string[]>>;

  constructor(
    setup: WorkerSetup,
    private readonly loadSettings: (tenant: string) => Promise<TenantSettings>,
    private readonly sets: readonly RuleSetDir[] = [],
  ) {
    const built = buildDetector(setup);
    this.ruleset = built.ruleset;
    this.correlations = built.correlations;
    this.loadIssues = built.report.issues;
    this.infos = describe(built.ruleset, built.correlations, 'shared', this.sets);
    const map = loadLogsourceMap(setup.logsourcesYaml);
    this.logsources = map.ok ? map.value : undefined;
    this.placeholders = setup.placeholders;
  }

  /** Problems found loading the shared rules (every one, located). */
  get issues(): readonly Issue[] {
    return this.loadIssues;
  }

  get ruleCount(): number {
    return this.ruleset.rules.length + this.correlations.length;
  }

  /** Replaces the shared rules (reload without restart). Correlation state starts afresh. */
  replaceShared(setup: WorkerSetup): void {
    const built = buildDetector(setup);
    this.ruleset = built.ruleset;
    this.correlations = built.correlations;
    this.loadIssues = built.report.issues;
    this.infos = describe(built.ruleset, built.correlations, 'shared', this.sets);
    this.tenants.clear();
  }

  /** Forgets a tenant's cached settings so the next event reloads them from the store. */
  invalidate(tenant: string): void {
    this.tenants.delete(tenant);
  }

  /** The shared rules, described for listing. */
  sharedInfos(): RuleInfo[] {
    return this.infos;
  }

  /** Shared rules plus the tenant's uploaded ones. */
  async rules(tenant: string): Promise<RuleInfo[]> {
    const state = await this.state(tenant);
    const own = state.uploaded
      ? describe(state.uploaded.ruleset, state.uploaded.correlations, 'tenant', [])
      : [];
    return [...this.infos, ...own];
  }

  /**
   * Validates one uploaded Sigma document the way the engine would load it: every problem with its line and
   * column in `file`. Nothing is kept.
   */
  validate(file: string, text: string): { issues: readonly Issue[]; rules: RuleRef[] } {
    return validateRules(file, text, this.logsources, this.placeholders);
  }

  /**
   * Matches stored events (any tenants, in seq order) and returns the alerts to raise. Exceptions are
   * applied before an alert exists; what they suppress is counted per exception.
   */
  async process(events: readonly StoredEvent[], now: number): Promise<EngineResult> {
    const alerts: Alert[] = [];
    const suppressed = new Map<string, { tenant: string; count: number }>();
    const byEvent = new WeakMap<Event, StoredEvent>();
    for (const stored of events) {
      const state = await this.state(stored.tenant);
      const event: Event = {
        ts: stored.ts,
        tenant: stored.tenant,
        source: stored.source,
        fields: stored.fields,
        origin: { format: stored.format, file: stored.receiver },
      };
      byEvent.set(event, stored);
      const hits = this.ruleset.match(event);
      if (state.uploaded) hits.push(...state.uploaded.ruleset.match(event));
      for (const hit of hits) {
        const engine = this.correlationFor(state);
        if (!engine || engine.shouldReport(hit.rule))
          this.raise(hit, stored, state, byEvent, now, alerts, suppressed);
        if (
          engine &&
          (engine.referenced.has(hit.rule.id) ||
            (hit.rule.name && engine.referenced.has(hit.rule.name)))
        ) {
          for (const c of engine.push(hit)) {
            if (engine.shouldReport(c.rule))
              this.raise(c, stored, state, byEvent, now, alerts, suppressed);
          }
        }
      }
    }
    return { alerts, suppressed };
  }

  private raise(
    hit: Detection,
    last: StoredEvent,
    state: TenantState,
    byEvent: WeakMap<Event, StoredEvent>,
    now: number,
    alerts: Alert[],
    suppressed: Map<string, { tenant: string; count: number }>,
  ): void {
    if (state.disabled.has(hit.rule.id)) return;
    if (state.disabled.size > 0) {
      const file = 'file' in hit.rule ? (hit.rule as { file?: string }).file : undefined;
      if (state.disabled.has(RULESET_PREFIX + ruleSetOf(file, this.sets))) return;
    }
    const stored = hit.events
      .map((e) => byEvent.get(e))
      .filter((e): e is StoredEvent => e !== undefined);
    const first = stored[0] ?? last;
    for (const ex of state.exceptions) {
      if (exceptionMatches(ex, hit.rule.id, first, now)) {
        const s = suppressed.get(ex.id) ?? { tenant: last.tenant, count: 0 };
        s.count++;
        suppressed.set(ex.id, s);
        return;
      }
    }
    const eventIds = stored.length > 0 ? stored.map((e) => e.id) : [last.id];
    alerts.push({
      id: alertId(last.tenant, hit.rule.id, eventIds, hit.group),
      tenant: last.tenant,
      rule: refOf(hit.rule),
      kind: hit.kind,
      level: hit.rule.level,
      ts: Number.isNaN(hit.ts) ? last.ts : hit.ts,
      createdAt: now,
      ...(first.host === undefined ? {} : { host: first.host }),
      ...(first.user === undefined ? {} : { user: first.user }),
      eventIds,
      matched: hit.matched,
      ...(hit.group === undefined ? {} : { group: hit.group }),
      entities: first.entities,
      status: 'new',
    });
  }

  private correlationFor(state: TenantState): CorrelationEngine | undefined {
    const all = state.uploaded
      ? [...this.correlations, ...state.uploaded.correlations]
      : this.correlations;
    if (all.length === 0) return undefined;
    if (!state.correlation) state.correlation = new CorrelationEngine(all);
    return state.correlation;
  }

  private async state(tenant: string): Promise<TenantState> {
    let s = this.tenants.get(tenant);
    if (s) return s;
    const settings = await this.loadSettings(tenant);
    s = { disabled: new Set(settings.disabledRules), exceptions: settings.exceptions };
    if (settings.rules.length > 0) {
      const loaded = loadRules(
        settings.rules.map((r) => ({ file: `tenant:${tenant}/${r.id}.yml`, text: r.yaml })),
        {
          ...(this.logsources ? { logsources: this.logsources } : {}),
          placeholders: this.placeholders,
        },
      );
      s.uploaded = {
        ruleset: new RuleSet(loaded.rules, loaded.filters),
        correlations: loaded.correlations,
      };
    }
    this.tenants.set(tenant, s);
    return s;
  }
}

function describe(
  ruleset: RuleSet,
  correlations: readonly CorrelationRule[],
  origin: string,
  sets: readonly RuleSetDir[],
): RuleInfo[] {
  const out: RuleInfo[] = [];
  for (const r of ruleset.rules) {
    const logsource: Record<string, string> = {};
    for (const [k, v] of Object.entries(r.logsource)) if (typeof v === 'string') logsource[k] = v;
    const set = ruleSetOf(r.ref.file, sets);
    out.push({ ...refOf(r.ref), kind: 'detection', origin, ruleset: set, logsource });
  }
  for (const c of correlations) {
    out.push({ ...refOf(c), kind: 'correlation', origin, ruleset: ruleSetOf(c.file, sets) });
  }
  return out.sort(
    (a, b) => levelRank(b.level) - levelRank(a.level) || a.title.localeCompare(b.title),
  );
}

/** The plain RuleRef fields of a rule or correlation rule (correlation rules carry much more). */
export function refOf(r: RuleRef | CorrelationRule): RuleRef {
  return {
    id: r.id,
    ...(r.name === undefined ? {} : { name: r.name }),
    title: r.title,
    level: r.level,
    ...(r.status === undefined ? {} : { status: r.status }),
    tags: r.tags,
    ...(r.description === undefined ? {} : { description: r.description }),
    ...(r.author === undefined ? {} : { author: r.author }),
    ...(r.falsepositives === undefined ? {} : { falsepositives: r.falsepositives }),
    ...('file' in r ? { file: r.file } : {}),
  };
}

/** Loads one uploaded Sigma text and reports every problem (with line and column) and the rules it holds. */
export function validateRules(
  file: string,
  text: string,
  logsources: LogsourceMap | undefined,
  placeholders: Readonly<Record<string, readonly string[]>>,
): { issues: readonly Issue[]; rules: RuleRef[] } {
  const loaded = loadRules([{ file, text }], {
    ...(logsources ? { logsources } : {}),
    placeholders,
  });
  // A refusal the compiler already reported with its line and column is not repeated without them.
  const located = new Set(loaded.issues.map((i) => i.message));
  const issues = [
    ...loaded.issues,
    ...loaded.unsupported
      .filter((u) => !located.has(u.reason))
      .map((u): Issue => ({
        code: 'SIGMA_UNSUPPORTED',
        severity: 'error',
        message: u.reason,
        at: { file },
      })),
  ];
  return {
    issues,
    rules: [...loaded.rules.map((r) => r.ref), ...loaded.correlations.map((c) => refOf(c))],
  };
}

/** The rules a tenant uploaded, described for listing (compiled on the side, then dropped). */
export function describeUploads(
  tenant: string,
  uploads: readonly StoredRule[],
  logsources: LogsourceMap | undefined,
  placeholders: Readonly<Record<string, readonly string[]>>,
): RuleInfo[] {
  if (uploads.length === 0) return [];
  const loaded = loadRules(
    uploads.map((r) => ({ file: `tenant:${tenant}/${r.id}.yml`, text: r.yaml })),
    { ...(logsources ? { logsources } : {}), placeholders },
  );
  return describe(new RuleSet(loaded.rules, loaded.filters), loaded.correlations, 'tenant', []);
}

/** The logsource map of a rule setup (undefined when it does not load: the load report says why). */
export function logsourcesOf(setup: WorkerSetup): LogsourceMap | undefined {
  const map = loadLogsourceMap(setup.logsourcesYaml);
  return map.ok ? map.value : undefined;
}

/** The shared rules of an engine, described for listing. */
export function describeShared(engine: DetectionEngine): RuleInfo[] {
  return engine.sharedInfos();
}
