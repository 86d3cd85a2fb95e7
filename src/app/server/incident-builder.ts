/**
 * The incident builder: runs in the pipeline worker after alerts are stored, and keeps each tenant's
 * incidents in the store up to date as alerts stream in.
 *
 * Per tenant it keeps its recent alerts (at most `maxAlerts`, within `lookbackMs` of the newest) and their
 * events in memory. When new alerts arrive the tenant is marked dirty; a rebuild groups every kept alert
 * (src/correlate `groupAlerts`, which depends only on the set of alerts, never on their order), then gives
 * each group an incident identity: the incident most of its earlier alerts already belonged to keeps its
 * id (and so its case work); a group joining several incidents keeps the one holding the earliest alert and
 * the others are retired as merged into it; a group of new alerts only gets an id derived from its earliest
 * alert. Analysts' merges and splits are pins (alert → incident) that win over grouping. A new alert joining
 * a closed incident reopens it unless the tenant's grouping policy says `reopen: false`, in which case the
 * new alerts start an incident of their own. Only incidents whose membership changed are described again.
 *
 * Rebuilds are paced so they take at most `duty` of the thread's time: after a rebuild of d ms the next
 * waits at least d / duty ms (never less than `minIntervalMs`).
 */
import { createHash } from 'node:crypto';
import {
  DEFAULT_POLICY,
  entitiesOfEvents,
  groupAlerts,
  ProcessTree,
  type Entity,
  type GroupableAlert,
  type GroupingPolicy,
  type RuleGrouping,
} from '../../correlate/index.ts';
import {
  isClosedStatus,
  type Alert,
  type AssetTags,
  type IncidentRecord,
  type Store,
  type StoredEvent,
} from '../../core/index.ts';
import { describeIncident } from './incidents.ts';

export interface BuilderOptions {
  /** False: `add` ignores alerts, so nothing is ever built. */
  readonly enabled?: boolean;
  readonly maxAlerts: number;
  readonly lookbackMs: number;
  readonly duty: number;
  readonly minIntervalMs: number;
  readonly now: () => number;
}

export const DEFAULT_BUILDER: BuilderOptions = {
  maxAlerts: 10_000,
  lookbackMs: 7 * 86_400_000,
  duty: 0.05,
  minIntervalMs: 250,
  now: Date.now,
};

/** A tenant's grouping policy as stored under the `grouping` setting (API: /tenants/{id}/grouping). */
export interface TenantGrouping {
  readonly window_minutes?: number;
  readonly lineage_window_hours?: number;
  readonly reopen?: boolean;
  readonly rules?: Readonly<Record<string, RuleGrouping>>;
}

interface TenantState {
  readonly alerts: Map<string, Alert>;
  readonly events: Map<string, StoredEvent>;
  /** Entities per alert (computed once). */
  readonly entities: Map<string, readonly Entity[]>;
  /** Alert → incident, as last saved (or loaded). */
  readonly mapping: Map<string, string>;
  pins: Map<string, string>;
  /** Alerts not yet in a saved incident. */
  readonly fresh: Set<string>;
  grouping: TenantGrouping;
  assets: AssetTags;
  /** Rebuild every incident (after a merge, split or policy change), not only those with fresh alerts. */
  full: boolean;
}

export interface BuildReport {
  readonly tenant: string;
  readonly alerts: number;
  readonly saved: number;
  readonly retired: number;
  readonly reopened: number;
  readonly ms: number;
}

const byTimeThenId = (x: Alert, y: Alert): number =>
  x.ts - y.ts || (x.id < y.id ? -1 : x.id > y.id ? 1 : 0);

function derivedId(tenant: string, seed: string): string {
  return 'inc-' + createHash('sha256').update(`${tenant}\0${seed}`).digest('hex').slice(0, 20);
}

export class IncidentBuilder {
  readonly #tenants = new Map<string, TenantState>();
  readonly #dirty = new Set<string>();
  #nextAt = 0;

  constructor(
    private readonly store: Store,
    private readonly opts: BuilderOptions = DEFAULT_BUILDER,
  ) {}

  /** New alerts were stored; `batch` holds the events just detected (others are read from the store). */
  async add(created: readonly Alert[], batch: readonly StoredEvent[]): Promise<void> {
    if (created.length === 0 || this.opts.enabled === false) return;
    const byId = new Map(batch.map((e) => [e.tenant + '\0' + e.id, e]));
    const perTenant = new Map<string, Alert[]>();
    for (const a of created) {
      const list = perTenant.get(a.tenant);
      if (list) list.push(a);
      else perTenant.set(a.tenant, [a]);
    }
    for (const [tenant, alerts] of perTenant) {
      const st = await this.#state(tenant);
      const missing: string[] = [];
      for (const a of alerts) {
        st.alerts.set(a.id, a);
        st.fresh.add(a.id);
        for (const id of a.eventIds) {
          const e = byId.get(tenant + '\0' + id);
          if (e) st.events.set(id, e);
          else if (!st.events.has(id)) missing.push(id);
        }
      }
      await this.#fetchEvents(tenant, st, missing);
      this.#dirty.add(tenant);
    }
  }

  /** A tenant's pins, grouping policy or asset tags changed: reload them and rebuild all its incidents. */
  invalidate(tenant: string): void {
    this.#tenants.delete(tenant);
    this.#dirty.add(tenant);
  }

  /** True when a rebuild is waiting and its time has come. */
  due(): boolean {
    return this.#dirty.size > 0 && this.opts.now() >= this.#nextAt;
  }

  pending(): boolean {
    return this.#dirty.size > 0;
  }

  isDirty(tenant: string): boolean {
    return this.#dirty.has(tenant);
  }

  /** ms until the pace allows the next rebuild. */
  waitMs(): number {
    return Math.max(0, this.#nextAt - this.opts.now());
  }

  /** Rebuilds every dirty tenant (or only `only`, at once, ignoring the pace). */
  async build(only?: string): Promise<BuildReport[]> {
    const t0 = performance.now();
    const tenants = only === undefined ? [...this.#dirty] : [only];
    const out: BuildReport[] = [];
    for (const tenant of tenants) {
      this.#dirty.delete(tenant);
      out.push(await this.#rebuild(tenant));
    }
    const took = performance.now() - t0;
    this.#nextAt = this.opts.now() + Math.max(this.opts.minIntervalMs, took / this.opts.duty);
    return out;
  }

  async #state(tenant: string): Promise<TenantState> {
    const have = this.#tenants.get(tenant);
    if (have) return have;
    const grouping = ((await this.store.getTenantSetting(tenant, 'grouping')) ??
      {}) as TenantGrouping;
    const assets = ((await this.store.getTenantSetting(tenant, 'assets')) ?? {}) as AssetTags;
    const st: TenantState = {
      alerts: new Map(),
      events: new Map(),
      entities: new Map(),
      mapping: new Map(),
      pins: new Map(await this.store.listPins(tenant)),
      fresh: new Set(),
      grouping,
      assets,
      full: true,
    };
    this.#tenants.set(tenant, st);
    // The tenant's recent alerts, newest first, within the lookback of the newest.
    let cursor: string | undefined;
    let newest: number | undefined;
    let done = false;
    while (!done) {
      const page = await this.store.listAlerts({
        tenants: [tenant],
        limit: 1000,
        ...(cursor === undefined ? {} : { cursor }),
      });
      for (const a of page.items) {
        newest ??= a.ts;
        if (a.ts < newest - this.opts.lookbackMs || st.alerts.size >= this.opts.maxAlerts) {
          done = true;
          break;
        }
        st.alerts.set(a.id, a);
      }
      cursor = page.next;
      if (cursor === undefined) done = true;
    }
    // Alerts analysts pinned (merged or split) stay with their incident whatever their age.
    for (const id of st.pins.keys()) {
      if (st.alerts.has(id)) continue;
      const pinned = await this.store.getAlert(tenant, id);
      if (pinned) st.alerts.set(id, pinned);
    }
    const ids = [...st.alerts.keys()];
    for (const [a, i] of await this.store.incidentsOfAlerts(tenant, ids)) st.mapping.set(a, i);
    for (const id of ids) if (!st.mapping.has(id)) st.fresh.add(id);
    await this.#fetchEvents(
      tenant,
      st,
      [...st.alerts.values()].flatMap((a) => a.eventIds),
    );
    return st;
  }

  async #fetchEvents(tenant: string, st: TenantState, ids: readonly string[]): Promise<void> {
    const want = [...new Set(ids)].filter((id) => !st.events.has(id));
    for (let i = 0; i < want.length; i += 500)
      for (const e of await this.store.getEvents(tenant, want.slice(i, i + 500)))
        st.events.set(e.id, e);
  }

  /**
   * Drops the oldest alerts past the bounds, and events no kept alert needs. Alerts not yet in an incident
   * stay until they are (an old alert arriving late still gets one), and pinned ones stay for good.
   */
  #prune(st: TenantState): void {
    const sorted = [...st.alerts.values()].sort(byTimeThenId);
    const newest = sorted.at(-1)?.ts ?? 0;
    let size = sorted.length;
    let dropped = false;
    for (const a of sorted) {
      if (size <= this.opts.maxAlerts && a.ts >= newest - this.opts.lookbackMs) break;
      if (st.fresh.has(a.id) || st.pins.has(a.id)) continue;
      st.alerts.delete(a.id);
      st.entities.delete(a.id);
      st.mapping.delete(a.id);
      size--;
      dropped = true;
    }
    if (!dropped) return;
    const needed = new Set([...st.alerts.values()].flatMap((a) => a.eventIds));
    for (const id of st.events.keys()) if (!needed.has(id)) st.events.delete(id);
  }

  async #rebuild(tenant: string): Promise<BuildReport> {
    const t0 = performance.now();
    const st = await this.#state(tenant);
    this.#prune(st);
    const now = this.opts.now();
    const alerts = [...st.alerts.values()].sort(byTimeThenId);
    const tree = new ProcessTree();
    for (const e of st.events.values()) tree.add(e);
    const groupable: GroupableAlert[] = alerts.map((a) => {
      const evs = a.eventIds
        .map((id) => st.events.get(id))
        .filter((e): e is StoredEvent => e !== undefined);
      let entities = st.entities.get(a.id);
      if (!entities) {
        entities = entitiesOfEvents(evs, { processes: tree });
        st.entities.set(a.id, entities);
      }
      const first = evs[0];
      return {
        id: a.id,
        tenant,
        ts: a.ts,
        ruleId: a.rule.id,
        ...(a.host === undefined ? {} : { host: a.host }),
        entities,
        ...(first ? { lineage: tree.lineageOf(first) } : {}),
      };
    });
    const g = st.grouping;
    const policy: GroupingPolicy = {
      windowMs: (g.window_minutes ?? DEFAULT_POLICY.windowMs / 60_000) * 60_000,
      lineageWindowMs:
        (g.lineage_window_hours ?? DEFAULT_POLICY.lineageWindowMs / 3_600_000) * 3_600_000,
      ...(g.rules === undefined ? {} : { rules: g.rules }),
    };
    const groups = groupAlerts(groupable, policy);
    const reopen = g.reopen ?? true;

    // Closed incidents among the candidates, to know whether new alerts may join them.
    const candidateIds = new Set(st.mapping.values());
    const closed = new Set<string>();
    if (!reopen)
      for (const id of candidateIds) {
        const c = (await this.store.getIncident(tenant, id))?.case;
        if (c && isClosedStatus(c.status)) closed.add(id);
      }

    // Final membership: incident id → alert ids (in time order).
    const assigned = new Map<string, string[]>();
    const claimed = new Set<string>();
    const assign = (id: string, alertId: string): void => {
      const list = assigned.get(id);
      if (list) list.push(alertId);
      else assigned.set(id, [alertId]);
    };
    for (const group of groups) {
      const unpinned: string[] = [];
      let firstPin: string | undefined;
      for (const a of group.alertIds) {
        const pin = st.pins.get(a);
        if (pin !== undefined) {
          assign(pin, a);
          claimed.add(pin);
          firstPin ??= pin;
        } else unpinned.push(a);
      }
      if (unpinned.length === 0) continue;
      // The incident holding the earliest already-mapped alert, unless another group took it.
      let target: string | undefined;
      for (const a of unpinned) {
        const m = st.mapping.get(a);
        if (m !== undefined && !claimed.has(m) && !closed.has(m)) {
          target = m;
          break;
        }
      }
      target ??= firstPin;
      const newcomers = target === undefined ? unpinned : [];
      if (target !== undefined) {
        claimed.add(target);
        for (const a of unpinned) {
          const m = st.mapping.get(a);
          // With reopen off, new alerts of a closed incident's group start their own.
          if (m !== undefined && closed.has(m)) assign(m, a);
          else assign(target, a);
        }
      } else {
        // Alerts of closed incidents stay there; the rest form a new incident.
        const rest: string[] = [];
        for (const a of newcomers) {
          const m = st.mapping.get(a);
          if (m !== undefined && closed.has(m)) {
            assign(m, a);
            claimed.add(m);
          } else rest.push(a);
        }
        if (rest.length > 0) {
          // Derived from the group's earliest alert; never an id another incident holds.
          let id = group.id;
          for (let n = 1; claimed.has(id) || candidateIds.has(id); n++)
            id = derivedId(tenant, `${group.id}:${n}`);
          claimed.add(id);
          for (const a of rest) assign(id, a);
        }
      }
    }

    // Which incidents changed: new members, lost members, fresh alerts, or everything after invalidation.
    const before = new Map<string, Set<string>>();
    for (const [a, i] of st.mapping) {
      const s = before.get(i);
      if (s) s.add(a);
      else before.set(i, new Set([a]));
    }
    const changed: string[] = [];
    for (const [id, members] of assigned) {
      const had = before.get(id);
      if (
        st.full ||
        !had ||
        had.size !== members.length ||
        members.some((a) => !had.has(a) || st.fresh.has(a))
      )
        changed.push(id);
    }
    const records: (IncidentRecord & { alertIds: readonly string[] })[] = [];
    for (const id of changed) {
      const members = (assigned.get(id) ?? [])
        .map((a) => st.alerts.get(a))
        .filter((a): a is Alert => a !== undefined);
      let record = describeIncident(tenant, id, members, st.events, {
        assets: st.assets,
        now,
      });
      // Alerts of a long incident that fell out of memory still belong to it: they count, and its
      // first time stays theirs (its story is told from the alerts kept).
      if (before.has(id)) {
        const older = (await this.store.incidentAlertIds(tenant, id)).filter(
          (a) => !st.alerts.has(a),
        ).length;
        if (older > 0) {
          const prior = (await this.store.getIncident(tenant, id))?.record;
          record = {
            ...record,
            alertCount: record.alertCount + older,
            firstTs: Math.min(record.firstTs, prior?.firstTs ?? record.firstTs),
          };
        }
      }
      records.push({ ...record, alertIds: members.map((a) => a.id) });
    }
    if (records.length > 0) await this.store.saveIncidents(tenant, records, now);

    // Incidents that lost every kept alert to another incident are retired as merged into it.
    let retired = 0;
    for (const [id, had] of before) {
      if (assigned.has(id)) continue;
      const firstAlert = [...had]
        .map((a) => st.alerts.get(a))
        .filter((a): a is Alert => a !== undefined)
        .sort(byTimeThenId)[0];
      let into: string | undefined;
      if (firstAlert)
        for (const [other, members] of assigned) if (members.includes(firstAlert.id)) into = other;
      if (into === undefined) continue;
      await this.store.retireIncident(tenant, id, into, now);
      await this.store.appendAudit({
        tenant,
        ts: now,
        actor: 'system',
        action: 'incident.merge',
        target: id,
        detail: { into, reason: 'grouping joined it with another incident' },
      });
      retired++;
    }

    // Closed incidents that new alerts joined are reopened.
    let reopened = 0;
    if (reopen)
      for (const [id, members] of assigned) {
        const fresh = members.filter((a) => st.fresh.has(a));
        const wasThere = before.has(id);
        if (fresh.length === 0 || !wasThere) continue;
        const c = (await this.store.getIncident(tenant, id))?.case;
        if (!c || !isClosedStatus(c.status)) continue;
        await this.store.updateIncidentCase(tenant, id, {
          status: 'triage',
          resolvedAt: null,
          reopened: c.reopened + 1,
          updatedAt: now,
        });
        await this.store.appendAudit({
          tenant,
          ts: now,
          actor: 'system',
          action: 'incident.reopen',
          target: id,
          detail: { from: c.status, alerts: fresh.slice(0, 20), new_alerts: fresh.length },
        });
        reopened++;
      }

    st.mapping.clear();
    for (const [id, members] of assigned) for (const a of members) st.mapping.set(a, id);
    st.fresh.clear();
    st.full = false;
    return {
      tenant,
      alerts: alerts.length,
      saved: records.length,
      retired,
      reopened,
      ms: performance.now() - t0,
    };
  }
}
