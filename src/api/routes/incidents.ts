/**
 * Incidents and case work: the queue (across the tenants the caller may see), one incident, status,
 * determination, assignee, tags, notes, evidence, merge and split, its audit trail; and the per-tenant
 * settings incidents depend on (SLA targets, asset tags, grouping policy). Every change is audited.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import {
  DEFAULT_SLA,
  DETERMINATIONS,
  INCIDENT_STATUSES,
  SEVERITIES,
  VigilError,
  statusTransition,
  type AssetTags,
  type Determination,
  type IncidentCasePatch,
  type IncidentRecord,
  type IncidentStatus,
  type Severity,
  type SlaTarget,
  type SlaTargets,
  type Store,
  type User,
} from '../../core/index.ts';
import { canSeeTenant, MANAGERS, newId, visibleTenants } from '../auth.ts';
import type { ApiDeps } from '../deps.ts';
import { requireTenant, requireUser } from '../guard.ts';
import { incidentJson, incidentSummaryJson } from '../incident-json.ts';
import { audit, errorResponses } from './common.ts';

const incidentParams = {
  type: 'object',
  required: ['id', 'incident'],
  properties: { id: { type: 'string' }, incident: { type: 'string' } },
} as const;
const tenantParams = {
  type: 'object',
  required: ['id'],
  properties: { id: { type: 'string' } },
} as const;

/** How far around an incident other hosts' alerts make them worth reporting as clean. */
const CLEAN_WINDOW_MS = 30 * 86_400_000;

type IncidentReq<B = unknown> = FastifyRequest<{
  Params: { id: string; incident: string };
  Body: B;
}>;

/** A tenant's SLA targets (its own, else Vigil's defaults). */
export async function slaOf(store: Store, tenant: string): Promise<SlaTargets> {
  return ((await store.getTenantSetting(tenant, 'sla')) as SlaTargets | undefined) ?? DEFAULT_SLA;
}

function list(v: string | undefined): string[] | undefined {
  if (v === undefined || v === '') return undefined;
  return v
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
}

function oneOf<T extends string>(values: readonly T[], v: string, what: string): T {
  if (!(values as readonly string[]).includes(v))
    throw new VigilError('BAD_REQUEST', `${what}: ${v} is not one of ${values.join(', ')}`);
  return v as T;
}

function tagsOf(v: unknown, what: string): string[] {
  if (
    !Array.isArray(v) ||
    v.length > 32 ||
    v.some((t) => typeof t !== 'string' || t === '' || t.length > 64)
  )
    throw new VigilError(
      'BAD_REQUEST',
      `${what}: a list of at most 32 non-empty strings of up to 64 characters`,
    );
  return [...new Set(v as string[])];
}

export function incidentRoutes(deps: ApiDeps) {
  return async (app: FastifyInstance): Promise<void> => {
    await Promise.resolve();
    registerIncidentRoutes(app, deps);
  };
}

function registerIncidentRoutes(app: FastifyInstance, deps: ApiDeps): void {
  const { store } = deps;

  /** The incident and its case, or NOT_FOUND (merged ones answer with where they went). */
  const load = async (tenant: string, id: string) => {
    const found = await store.getIncident(tenant, id);
    if (!found) throw new VigilError('NOT_FOUND', `no incident ${id}`);
    if (!found.record) {
      throw new VigilError(
        'NOT_FOUND',
        `incident ${id} was merged into ${found.case.mergedInto ?? 'another incident'}`,
      );
    }
    return { record: found.record, case: found.case };
  };

  /**
   * The tenant's other hosts with alerts around the incident’s time (30 days either side) that its story
   * does not reach: reported clean. Computed on read, so the answer depends only on what is stored now,
   * never on the order incidents were built in.
   */
  const cleanHosts = async (record: IncidentRecord): Promise<string[]> => {
    const reached = new Set(
      ((record.doc['hosts'] as { name: string }[] | undefined) ?? []).map((h) =>
        h.name.toLowerCase(),
      ),
    );
    const page = await store.listIncidents({ tenants: [record.tenant], limit: 1000 });
    const near = new Set<string>();
    for (const s of page.items) {
      const r = s.record;
      if (
        r.lastTs < record.firstTs - CLEAN_WINDOW_MS ||
        r.firstTs > record.lastTs + CLEAN_WINDOW_MS
      )
        continue;
      for (const h of r.hosts) if (!reached.has(h)) near.add(h);
    }
    return [...near].sort();
  };

  const full = async (tenant: string, id: string, now: number) => {
    const { record: stored, case: c } = await load(tenant, id);
    const [notes, evidence, similarIds, sla, clean] = await Promise.all([
      store.listIncidentNotes(tenant, id),
      store.listIncidentEvidence(tenant, id),
      store.similarIncidents(tenant, id, 5),
      slaOf(store, tenant),
      cleanHosts(stored),
    ]);
    const hosts = [
      ...((stored.doc['hosts'] as readonly Record<string, unknown>[] | undefined) ?? []),
      ...clean.map((name) => ({
        name,
        state: 'clean',
        why: 'alerts on it, none of them in this attack',
      })),
    ];
    const record = { ...stored, doc: { ...stored.doc, hosts } };
    const similar: Record<string, unknown>[] = [];
    for (const s of similarIds) {
      const other = await store.getIncident(tenant, s.id);
      if (!other?.record) continue;
      similar.push({
        id: s.id,
        title: other.record.title,
        score: other.record.score,
        status: other.case.status,
        last_ts: new Date(other.record.lastTs).toISOString(),
        shared: s.shared,
      });
    }
    return incidentJson(record, c, sla, now, { notes, evidence, similar });
  };

  const caseChange = async (
    user: User,
    tenant: string,
    id: string,
    patch: IncidentCasePatch,
    detail: Record<string, unknown>,
  ) => {
    const updated = await store.updateIncidentCase(tenant, id, patch);
    if (!updated) throw new VigilError('NOT_FOUND', `no incident ${id}`);
    await audit(store, tenant, `user:${user.name}`, 'incident.update', id, detail, patch.updatedAt);
  };

  app.get(
    '/api/v1/incidents',
    {
      schema: {
        tags: ['incidents'],
        summary:
          "The incident queue, highest score first, across the tenants the caller may see (or one with ?tenant=). Filters: status and severity (comma lists), assignee (empty = unassigned), technique (T1059 matches its sub-techniques), host, min_score. ?full=true adds each incident's story, graph, narrative and mitigations.",
        querystring: {
          type: 'object',
          properties: {
            tenant: { type: 'string' },
            status: { type: 'string' },
            severity: { type: 'string' },
            assignee: { type: 'string' },
            technique: { type: 'string' },
            host: { type: 'string' },
            min_score: { type: 'number' },
            full: { type: 'boolean' },
            limit: { type: 'integer', minimum: 1, maximum: 1000 },
            cursor: { type: 'string' },
          },
        },
        response: errorResponses,
      },
    },
    async (
      req: FastifyRequest<{
        Querystring: {
          tenant?: string;
          status?: string;
          severity?: string;
          assignee?: string;
          technique?: string;
          host?: string;
          min_score?: number;
          full?: boolean;
          limit?: number;
          cursor?: string;
        };
      }>,
    ) => {
      const user = requireUser(req);
      const q = req.query;
      let tenants: readonly string[];
      if (q.tenant !== undefined) tenants = [requireTenant(user, q.tenant)];
      else tenants = visibleTenants(user) ?? (await store.listTenants()).map((t) => t.id);
      // New alerts waiting for the incident builder are grouped before answering.
      await Promise.all(tenants.slice(0, 32).map((t) => deps.incidents.regroup(t)));
      const statuses = list(q.status)?.map((s) => oneOf(INCIDENT_STATUSES, s, 'status'));
      const severities = list(q.severity)?.map((s) => oneOf(SEVERITIES, s, 'severity'));
      const page = await store.listIncidents({
        tenants,
        ...(statuses ? { statuses } : {}),
        ...(severities ? { severities } : {}),
        ...(q.assignee === undefined ? {} : { assignee: q.assignee }),
        ...(q.technique === undefined ? {} : { technique: q.technique.toUpperCase() }),
        ...(q.host === undefined ? {} : { host: q.host }),
        ...(q.min_score === undefined ? {} : { minScore: q.min_score }),
        ...(q.limit === undefined ? {} : { limit: q.limit }),
        ...(q.cursor === undefined ? {} : { cursor: q.cursor }),
      });
      const now = deps.now();
      const slas = new Map<string, SlaTargets>();
      const incidents: Record<string, unknown>[] = [];
      for (const s of page.items) {
        const t = s.record.tenant;
        let sla = slas.get(t);
        if (!sla) slas.set(t, (sla = await slaOf(store, t)));
        incidents.push(
          q.full === true ? await full(t, s.record.id, now) : incidentSummaryJson(s, sla, now),
        );
      }
      return {
        ...(q.tenant === undefined ? {} : { tenant: q.tenant }),
        incidents,
        total: page.total,
        ...(page.next === undefined ? {} : { next: page.next }),
      };
    },
  );

  app.get(
    '/api/v1/tenants/:id/incidents/:incident',
    {
      schema: {
        tags: ['incidents'],
        summary:
          'One incident: its attack story (graph, source, patient zero, host states, timeline), score terms, narrative (en, zh-TW), next steps, mitigations, case (status, determination, assignee, tags, SLA clocks), notes, evidence and similar incidents.',
        params: incidentParams,
        response: errorResponses,
      },
    },
    async (req: IncidentReq) => {
      const user = requireUser(req);
      const tenant = requireTenant(user, req.params.id);
      await deps.incidents.regroup(tenant);
      return full(tenant, req.params.incident, deps.now());
    },
  );

  app.patch(
    '/api/v1/tenants/:id/incidents/:incident',
    {
      schema: {
        tags: ['incidents'],
        summary:
          'Case work: status (new, triage, investigating, contained, resolved, false_positive, benign), determination (incident, noteworthy, not_noteworthy; null clears), assignee (a user who may see the tenant; null unassigns), tags. Status changes start and stop the SLA clocks.',
        params: incidentParams,
        body: {
          type: 'object',
          additionalProperties: false,
          minProperties: 1,
          properties: {
            status: { type: 'string' },
            determination: { type: ['string', 'null'] },
            assignee: { type: ['string', 'null'], maxLength: 200 },
            tags: { type: 'array', items: { type: 'string' } },
          },
        },
        response: errorResponses,
      },
    },
    async (
      req: IncidentReq<{
        status?: string;
        determination?: string | null;
        assignee?: string | null;
        tags?: unknown;
      }>,
    ) => {
      const user = requireUser(req, MANAGERS);
      const tenant = requireTenant(user, req.params.id);
      const id = req.params.incident;
      const { case: current } = await load(tenant, id);
      const now = deps.now();
      const b = req.body;
      const detail: Record<string, unknown> = {};
      let patch: IncidentCasePatch = { updatedAt: now };
      if (b.status !== undefined) {
        const status = oneOf<IncidentStatus>(INCIDENT_STATUSES, b.status, 'status');
        patch = { ...patch, status, ...statusTransition(current, status, now) };
        detail['status'] = { from: current.status, to: status };
      }
      if (b.determination !== undefined) {
        const determination =
          b.determination === null
            ? null
            : oneOf<Determination>(DETERMINATIONS, b.determination, 'determination');
        patch = { ...patch, determination };
        detail['determination'] = determination;
      }
      if (b.assignee !== undefined) {
        if (b.assignee !== null) {
          const who = await store.getUserByName(b.assignee);
          if (!who || who.disabled || !canSeeTenant(who, tenant))
            throw new VigilError(
              'BAD_REQUEST',
              `assignee: no active user ${b.assignee} who may see tenant ${tenant}`,
            );
          patch = { ...patch, assignee: who.name };
        } else patch = { ...patch, assignee: null };
        detail['assignee'] = { from: current.assignee ?? null, to: patch.assignee };
      }
      if (b.tags !== undefined) {
        patch = { ...patch, tags: tagsOf(b.tags, 'tags') };
        detail['tags'] = patch.tags;
      }
      await caseChange(user, tenant, id, patch, detail);
      return full(tenant, id, now);
    },
  );

  app.post(
    '/api/v1/tenants/:id/incidents/:incident/notes',
    {
      schema: {
        tags: ['incidents'],
        summary: 'Add a note to an incident.',
        params: incidentParams,
        body: {
          type: 'object',
          additionalProperties: false,
          required: ['text'],
          properties: { text: { type: 'string', minLength: 1, maxLength: 20000 } },
        },
        response: errorResponses,
      },
    },
    async (req: IncidentReq<{ text: string }>, reply) => {
      const user = requireUser(req, MANAGERS);
      const tenant = requireTenant(user, req.params.id);
      const id = req.params.incident;
      await load(tenant, id);
      const now = deps.now();
      const note = {
        tenant,
        incident: id,
        id: newId(),
        author: user.name,
        ts: now,
        text: req.body.text,
      };
      await store.addIncidentNote(note);
      await audit(store, tenant, `user:${user.name}`, 'incident.note', id, { note: note.id }, now);
      return reply.code(201).send({
        id: note.id,
        author: note.author,
        ts: new Date(now).toISOString(),
        text: note.text,
      });
    },
  );

  app.post(
    '/api/v1/tenants/:id/incidents/:incident/evidence',
    {
      schema: {
        tags: ['incidents'],
        summary:
          'Attach evidence to an incident: its kind (event, alert, file, hash, url, screenshot…), what it points at, and a note.',
        params: incidentParams,
        body: {
          type: 'object',
          additionalProperties: false,
          required: ['kind', 'ref'],
          properties: {
            kind: { type: 'string', minLength: 1, maxLength: 32 },
            ref: { type: 'string', minLength: 1, maxLength: 4096 },
            note: { type: 'string', maxLength: 20000 },
          },
        },
        response: errorResponses,
      },
    },
    async (req: IncidentReq<{ kind: string; ref: string; note?: string }>, reply) => {
      const user = requireUser(req, MANAGERS);
      const tenant = requireTenant(user, req.params.id);
      const id = req.params.incident;
      await load(tenant, id);
      const now = deps.now();
      const ev = {
        tenant,
        incident: id,
        id: newId(),
        author: user.name,
        ts: now,
        kind: req.body.kind,
        ref: req.body.ref,
        note: req.body.note ?? '',
      };
      await store.addIncidentEvidence(ev);
      await audit(
        store,
        tenant,
        `user:${user.name}`,
        'incident.evidence',
        id,
        { evidence: ev.id, kind: ev.kind, ref: ev.ref },
        now,
      );
      return reply.code(201).send({
        id: ev.id,
        author: ev.author,
        ts: new Date(now).toISOString(),
        kind: ev.kind,
        ref: ev.ref,
        note: ev.note,
      });
    },
  );

  app.post(
    '/api/v1/tenants/:id/incidents/merge',
    {
      schema: {
        tags: ['incidents'],
        summary:
          'Merge incidents: every alert of `ids` joins `into` (default: the first id) and stays there whatever grouping later decides; the others answer 404 naming where they went.',
        params: tenantParams,
        body: {
          type: 'object',
          additionalProperties: false,
          required: ['ids'],
          properties: {
            ids: { type: 'array', minItems: 2, maxItems: 100, items: { type: 'string' } },
            into: { type: 'string' },
          },
        },
        response: errorResponses,
      },
    },
    async (
      req: FastifyRequest<{ Params: { id: string }; Body: { ids: string[]; into?: string } }>,
    ) => {
      const user = requireUser(req, MANAGERS);
      const tenant = requireTenant(user, req.params.id);
      const ids = [...new Set(req.body.ids)];
      const into = req.body.into ?? ids[0] ?? '';
      if (!ids.includes(into)) ids.unshift(into);
      if (ids.length < 2) throw new VigilError('BAD_REQUEST', 'ids: name at least two incidents');
      for (const id of ids) await load(tenant, id);
      const now = deps.now();
      const alerts: string[] = [];
      for (const id of ids) alerts.push(...(await store.incidentAlertIds(tenant, id)));
      await store.pinAlerts(tenant, into, alerts);
      for (const id of ids) if (id !== into) await store.retireIncident(tenant, id, into, now);
      await audit(
        store,
        tenant,
        `user:${user.name}`,
        'incident.merge',
        into,
        { merged: ids.filter((i) => i !== into), alerts: alerts.length },
        now,
      );
      await deps.incidents.regroup(tenant, true);
      return full(tenant, into, now);
    },
  );

  app.post(
    '/api/v1/tenants/:id/incidents/:incident/split',
    {
      schema: {
        tags: ['incidents'],
        summary:
          'Split alerts off an incident into a new one (they stay apart whatever grouping later decides). Answers the new incident.',
        params: incidentParams,
        body: {
          type: 'object',
          additionalProperties: false,
          required: ['alert_ids'],
          properties: {
            alert_ids: { type: 'array', minItems: 1, maxItems: 10000, items: { type: 'string' } },
          },
        },
        response: errorResponses,
      },
    },
    async (req: IncidentReq<{ alert_ids: string[] }>, reply) => {
      const user = requireUser(req, MANAGERS);
      const tenant = requireTenant(user, req.params.id);
      const id = req.params.incident;
      await load(tenant, id);
      const members = new Set(await store.incidentAlertIds(tenant, id));
      const moving = [...new Set(req.body.alert_ids)];
      const foreign = moving.filter((a) => !members.has(a));
      if (foreign.length > 0)
        throw new VigilError(
          'BAD_REQUEST',
          `alert_ids: not alerts of incident ${id}: ${foreign.slice(0, 5).join(', ')}`,
        );
      if (moving.length === members.size)
        throw new VigilError('BAD_REQUEST', 'alert_ids: leave at least one alert in the incident');
      const now = deps.now();
      const newIncident = `inc-${newId()}`;
      await store.pinAlerts(tenant, newIncident, moving);
      await audit(
        store,
        tenant,
        `user:${user.name}`,
        'incident.split',
        id,
        { into: newIncident, alerts: moving.length },
        now,
      );
      await deps.incidents.regroup(tenant, true);
      return reply.code(201).send(await full(tenant, newIncident, now));
    },
  );

  app.get(
    '/api/v1/tenants/:id/incidents/:incident/audit',
    {
      schema: {
        tags: ['incidents'],
        summary:
          "The incident's audit trail, oldest first: every case change, note, merge, split and reopen.",
        params: incidentParams,
        response: errorResponses,
      },
    },
    async (req: IncidentReq) => {
      const user = requireUser(req);
      const tenant = requireTenant(user, req.params.id);
      const id = req.params.incident;
      const found = await store.getIncident(tenant, id);
      if (!found) throw new VigilError('NOT_FOUND', `no incident ${id}`);
      const rows = (await store.listAudit([tenant], 10_000)).filter(
        (a) =>
          a.action.startsWith('incident.') &&
          (a.target === id || (a.detail as { into?: unknown })['into'] === id),
      );
      return {
        audit: rows
          .map((a) => ({
            seq: a.seq,
            ts: new Date(a.ts).toISOString(),
            actor: a.actor,
            action: a.action,
            target: a.target,
            detail: a.detail,
          }))
          .sort((x, y) => x.seq - y.seq),
      };
    },
  );

  // per-tenant settings incidents depend on
  const settingRoute = (
    path: string,
    summary: string,
    key: string,
    parse: (body: unknown) => unknown,
    show: (stored: unknown) => unknown,
    affectsIncidents: boolean,
  ): void => {
    app.get(
      path,
      {
        schema: {
          tags: ['incidents'],
          summary: `${summary} (read).`,
          params: tenantParams,
          response: errorResponses,
        },
      },
      async (req: FastifyRequest<{ Params: { id: string } }>) => {
        const user = requireUser(req);
        const tenant = requireTenant(user, req.params.id);
        return show(await store.getTenantSetting(tenant, key));
      },
    );
    app.put(
      path,
      {
        schema: {
          tags: ['incidents'],
          summary: `${summary} (replace).`,
          params: tenantParams,
          body: { type: 'object' },
          response: errorResponses,
        },
      },
      async (req: FastifyRequest<{ Params: { id: string }; Body: unknown }>) => {
        const user = requireUser(req, MANAGERS);
        const tenant = requireTenant(user, req.params.id);
        const value = parse(req.body);
        const now = deps.now();
        await store.setTenantSetting(tenant, key, value);
        await audit(store, tenant, `user:${user.name}`, `tenant.${key}`, tenant, { value }, now);
        if (affectsIncidents) await deps.incidents.regroup(tenant, true);
        return show(value);
      },
    );
  };

  settingRoute(
    '/api/v1/tenants/:id/sla',
    'SLA targets per severity in minutes: {"critical": {"acknowledge_min", "contain_min", "resolve_min"}, "high": …}',
    'sla',
    parseSla,
    (v) => slaJson((v as SlaTargets | undefined) ?? DEFAULT_SLA),
    false,
  );
  settingRoute(
    '/api/v1/tenants/:id/assets',
    'Asset tags by host name: {"dc01": ["domain_controller"], "mx01": ["exchange"]} — they weigh in the asset criticality term of the score',
    'assets',
    parseAssets,
    (v) => v ?? {},
    true,
  );
  settingRoute(
    '/api/v1/tenants/:id/grouping',
    'Grouping policy: {"window_minutes", "lineage_window_hours", "reopen": true|false, "rules": {"<rule id>": "entities"|"alert"|"none"}}',
    'grouping',
    parseGrouping,
    (v) => v ?? {},
    true,
  );
}

function fail(what: string, why: string): never {
  throw new VigilError('BAD_REQUEST', `${what}: ${why}`);
}

function objectOf(v: unknown, what: string): Record<string, unknown> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) fail(what, 'an object is expected');
  return v as Record<string, unknown>;
}

function minutes(v: unknown, what: string): number | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0 || v > 525_600)
    fail(what, 'minutes, a positive number up to a year');
  return v;
}

/** `{"high": {"acknowledge_min": 30, …}}` → SlaTargets (SLA keys stored camelCase). */
export function parseSla(body: unknown): SlaTargets {
  const o = objectOf(body, 'sla');
  const out: Partial<Record<Severity, SlaTarget>> = {};
  for (const [sev, t] of Object.entries(o)) {
    const severity = oneOf(SEVERITIES, sev, 'sla');
    const to = objectOf(t, `sla.${sev}`);
    for (const k of Object.keys(to))
      if (!['acknowledge_min', 'contain_min', 'resolve_min'].includes(k))
        fail(`sla.${sev}.${k}`, 'unknown target (acknowledge_min, contain_min, resolve_min)');
    const ack = minutes(to['acknowledge_min'], `sla.${sev}.acknowledge_min`);
    const contain = minutes(to['contain_min'], `sla.${sev}.contain_min`);
    const resolve = minutes(to['resolve_min'], `sla.${sev}.resolve_min`);
    out[severity] = {
      ...(ack === undefined ? {} : { acknowledgeMin: ack }),
      ...(contain === undefined ? {} : { containMin: contain }),
      ...(resolve === undefined ? {} : { resolveMin: resolve }),
    };
  }
  return out;
}

function slaJson(t: SlaTargets): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const sev of SEVERITIES) {
    const x = t[sev];
    if (!x) continue;
    out[sev] = {
      ...(x.acknowledgeMin === undefined ? {} : { acknowledge_min: x.acknowledgeMin }),
      ...(x.containMin === undefined ? {} : { contain_min: x.containMin }),
      ...(x.resolveMin === undefined ? {} : { resolve_min: x.resolveMin }),
    };
  }
  return out;
}

export function parseAssets(body: unknown): AssetTags {
  const o = objectOf(body, 'assets');
  const out: Record<string, string[]> = {};
  const entries = Object.entries(o);
  if (entries.length > 100_000) fail('assets', 'at most 100,000 hosts');
  for (const [host, tags] of entries) {
    if (host === '' || host.length > 255)
      fail('assets', `host name ${JSON.stringify(host)} is not valid`);
    out[host.toLowerCase()] = tagsOf(tags, `assets.${host}`).map((t) => t.toLowerCase());
  }
  return out;
}

/** The grouping policy, stored as the API shows it (snake_case); the incident builder reads it. */
export function parseGrouping(body: unknown): Record<string, unknown> {
  const o = objectOf(body, 'grouping');
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(o)) {
    if (k === 'window_minutes') out[k] = minutes(v, 'grouping.window_minutes');
    else if (k === 'lineage_window_hours') {
      if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0 || v > 24 * 90)
        fail('grouping.lineage_window_hours', 'hours, a positive number up to 90 days');
      out[k] = v;
    } else if (k === 'reopen') {
      if (typeof v !== 'boolean') fail('grouping.reopen', 'true or false');
      out[k] = v;
    } else if (k === 'rules') {
      const rules = objectOf(v, 'grouping.rules');
      const modes: Record<string, string> = {};
      for (const [rule, mode] of Object.entries(rules))
        modes[rule] = oneOf(['entities', 'alert', 'none'], String(mode), `grouping.rules.${rule}`);
      out[k] = modes;
    } else
      fail(
        `grouping.${k}`,
        'unknown setting (window_minutes, lineage_window_hours, reopen, rules)',
      );
  }
  return out;
}
