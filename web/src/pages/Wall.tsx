/**
 * The wall screen (`/wall`): what a SOC puts on the big screen across the room. Read-only, no hover:
 * open incidents by tenant and severity, the newest critical and high incidents, SLA clocks close to
 * breach and ingest health per tenant, every figure written out in type that scales with the screen
 * (1280×800 to 3840×2160) and refreshed on the console's poll (`?refresh=N` sets it).
 */
import {
  memo,
  useEffect,
  useLayoutEffect,
  useMemo,
  useRef,
  useState,
  type ReactNode,
  type RefObject,
} from 'react';
import { LEVELS, type IncidentSummary, type Level } from '../api/types.ts';
import { STATUS_LABEL } from '../components/CaseDialogs.tsx';
import {
  clocksNearBreach,
  newestSevere,
  openBySeverity,
  type ClockNearBreach,
  type TenantSeverity,
} from '../lib/board.ts';
import { ago, duration, utc } from '../lib/format.ts';
import { tenantIngest, useIngestHealth, type TenantIngest } from '../lib/health.ts';
import { useIncidentList } from '../lib/incidents.ts';
import { severityBand } from '../lib/overview.ts';
import { POLL_MS } from '../lib/poll.ts';
import { incidentPath, Link, takePageFocus } from '../lib/router.tsx';
import { isProvider, scopeTenants, tenantName, useSession, type Session } from '../lib/session.tsx';
import { LEVEL_COLOR } from '../theme.ts';

/** The current time, ticking every `ms`. */
function useNow(ms: number): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const t = setInterval(() => {
      setNow(Date.now());
    }, ms);
    return () => {
      clearInterval(t);
    };
  }, [ms]);
  return now;
}

/** How many rows of `rowEm` (in the element's font size) fit in the element; re-measured on resize. */
function useCapacity(rowEm: number): [RefObject<HTMLDivElement | null>, number] {
  const ref = useRef<HTMLDivElement>(null);
  const [n, setN] = useState(0);
  useLayoutEffect(() => {
    const el = ref.current;
    if (!el) return;
    const measure = (): void => {
      const fs = Number.parseFloat(getComputedStyle(el).fontSize) || 16;
      setN(Math.max(1, Math.floor(el.clientHeight / (rowEm * fs))));
    };
    measure();
    const ro = new ResizeObserver(measure);
    ro.observe(el);
    return () => {
      ro.disconnect();
    };
  }, [rowEm]);
  return [ref, n];
}

/** The first items that fit, keeping the last row for "+N more" when they do not all fit. */
function fit<T>(items: readonly T[], capacity: number): { shown: readonly T[]; more: number } {
  if (items.length <= capacity) return { shown: items, more: 0 };
  const k = Math.max(0, capacity - 1);
  return { shown: items.slice(0, k), more: items.length - k };
}

const SEVERITIES_DESC: readonly Level[] = [...LEVELS].reverse();
const SEV_LABEL: Readonly<Record<Level, string>> = {
  critical: 'Critical',
  high: 'High',
  medium: 'Medium',
  low: 'Low',
  informational: 'Info',
};

function Panel({
  id,
  title,
  children,
  className,
}: {
  id: string;
  title: string;
  children: ReactNode;
  className?: string;
}) {
  return (
    <section className={`vg-wall-panel ${className ?? ''}`} aria-labelledby={id}>
      <h2 id={id}>{title}</h2>
      {children}
    </section>
  );
}

function Kpi({
  label,
  value,
  tone,
}: {
  label: string;
  value: number | string;
  tone?: string | undefined;
}) {
  return (
    <div className={`vg-wall-kpi${tone ? ` vg-wall-tone-${tone}` : ''}`}>
      <div className="vg-wall-kpi-value">{value}</div>
      <div className="vg-wall-kpi-label">{label}</div>
    </div>
  );
}

export default function WallPage() {
  const session = useSession();
  const tenants = scopeTenants(session);
  const provider = isProvider(session.me.user.role);
  const list = useIncidentList(session.scope);
  const health = useIngestHealth(tenants, provider);
  const now = useNow(1000);
  // Clocks and ages read in minutes: recomputed every 10 s, not on every tick of the clock.
  const slow = Math.floor(now / 10_000) * 10_000;

  const board = useMemo(() => openBySeverity(list.incidents), [list.incidents]);
  const severe = useMemo(() => newestSevere(list.incidents), [list.incidents]);
  const clocks = useMemo(() => clocksNearBreach(list.incidents, slow), [list.incidents, slow]);
  const ingest = useMemo(
    () =>
      tenantIngest(
        tenants.map((t) => t.id),
        health.newest,
        health.rates,
        slow,
      ),
    [tenants, health.newest, health.rates, slow],
  );
  const unassigned = useMemo(
    () =>
      list.incidents.filter(
        (i) => !i.assignee && !['resolved', 'false_positive', 'benign'].includes(i.status),
      ).length,
    [list.incidents],
  );
  const overdue = new Set(clocks.filter((c) => c.overdue).map((c) => c.incident.id)).size;
  const ingestIssues = health.loaded ? ingest.filter((t) => t.state !== 'ok').length : undefined;

  const heading = useRef<HTMLHeadingElement>(null);
  useEffect(() => {
    document.title = 'Wall · Vigil';
    if (takePageFocus()) heading.current?.focus({ preventScroll: true });
  }, []);

  const scope =
    session.scope === undefined
      ? `All tenants (${session.me.tenants.length})`
      : tenantName(session, session.scope);
  const updated = list.updatedAt > 0 ? list.updatedAt : undefined;
  const stale = list.error !== undefined || (updated !== undefined && now - updated > 3 * POLL_MS);

  return (
    <div className="vg-wall">
      <header className="vg-wall-head">
        <span className="vg-wall-brand">VIGIL</span>
        <h1 ref={heading} tabIndex={-1} className="vg-page-title">
          SOC wall
        </h1>
        <span className="vg-wall-scope">{scope}</span>
        <span className="vg-wall-spacer" />
        {stale ? (
          <span className="vg-wall-tone-red" role="alert">
            Data may be stale: {list.error ?? 'no answer from the server'} (last update{' '}
            {updated === undefined ? 'never' : utc(updated)})
          </span>
        ) : (
          <span className="vg-dim">
            {list.loading
              ? 'loading…'
              : `updated ${updated === undefined ? '—' : ago(updated, now)}`}
          </span>
        )}
        <time className="vg-wall-clock" dateTime={new Date(now).toISOString()}>
          {utc(now).slice(11, 19)} UTC
        </time>
        <nav aria-label="Wall">
          <Link to="/">Console</Link>
        </nav>
      </header>
      <main className="vg-wall-main">
        <div className="vg-wall-kpis">
          <Kpi label="Open incidents" value={board.open} />
          <Kpi
            label="Critical"
            value={board.totals.critical}
            tone={board.totals.critical > 0 ? 'red' : undefined}
          />
          <Kpi
            label="High"
            value={board.totals.high}
            tone={board.totals.high > 0 ? 'orange' : undefined}
          />
          <Kpi label="Unassigned" value={unassigned} tone={unassigned > 0 ? 'yellow' : undefined} />
          <Kpi label="SLA overdue" value={overdue} tone={overdue > 0 ? 'red' : undefined} />
          <Kpi
            label="Tenants with ingest issues"
            value={ingestIssues ?? '…'}
            tone={ingestIssues ? 'orange' : undefined}
          />
        </div>
        <div className="vg-wall-row">
          <TenantsPanel session={session} rows={board.tenants} totals={board.totals} />
          <SeverePanel session={session} incidents={severe} now={slow} />
        </div>
        <div className="vg-wall-row vg-wall-row-b">
          <ClocksPanel session={session} clocks={clocks} />
          <IngestPanel session={session} rows={ingest} provider={provider} now={slow} />
        </div>
      </main>
    </div>
  );
}

const TenantsPanel = memo(function TenantsPanel({
  session,
  rows,
  totals,
}: {
  session: Session;
  rows: readonly TenantSeverity[];
  totals: Readonly<Record<Level, number>>;
}) {
  const [ref, capacity] = useCapacity(1.8);
  // One row each for the header and the totals.
  const { shown, more } = fit(rows, Math.max(1, capacity - 2));
  return (
    <Panel id="wall-tenants" title="Open incidents by tenant and severity">
      <div ref={ref} className="vg-wall-fill">
        {rows.length === 0 ? (
          <p className="vg-wall-empty">No open incidents.</p>
        ) : (
          <table className="vg-wall-table">
            <thead>
              <tr>
                <th scope="col">Tenant</th>
                {SEVERITIES_DESC.slice(0, 4).map((l) => (
                  <th scope="col" key={l} className="vg-wall-num">
                    {SEV_LABEL[l]}
                  </th>
                ))}
                <th scope="col" className="vg-wall-num">
                  Open
                </th>
              </tr>
            </thead>
            <tbody>
              {shown.map((r) => (
                <tr key={r.tenant}>
                  <th scope="row">{tenantName(session, r.tenant)}</th>
                  {SEVERITIES_DESC.slice(0, 4).map((l) => (
                    <td
                      key={l}
                      className={`vg-wall-num${r.counts[l] > 0 ? ` vg-fg-${LEVEL_COLOR[l]}` : ' vg-dim'}`}
                    >
                      {r.counts[l]}
                    </td>
                  ))}
                  <td className="vg-wall-num">{r.open}</td>
                </tr>
              ))}
              {more > 0 && (
                <tr>
                  <td colSpan={6} className="vg-dim">
                    +{more} more tenants with open incidents
                  </td>
                </tr>
              )}
            </tbody>
            <tfoot>
              <tr>
                <th scope="row">All</th>
                {SEVERITIES_DESC.slice(0, 4).map((l) => (
                  <td key={l} className="vg-wall-num">
                    {totals[l]}
                  </td>
                ))}
                <td className="vg-wall-num">{LEVELS.reduce((s, l) => s + totals[l], 0)}</td>
              </tr>
            </tfoot>
          </table>
        )}
      </div>
    </Panel>
  );
});

function SeverityTag({ incident }: { incident: IncidentSummary }) {
  const band = severityBand(incident);
  return <span className={`vg-wall-sev vg-fg-${LEVEL_COLOR[band]}`}>{SEV_LABEL[band]}</span>;
}

const SeverePanel = memo(function SeverePanel({
  session,
  incidents,
  now,
}: {
  session: Session;
  incidents: readonly IncidentSummary[];
  now: number;
}) {
  const [ref, capacity] = useCapacity(2.9);
  const { shown, more } = fit(incidents, capacity);
  return (
    <Panel id="wall-severe" title="Newest critical and high incidents">
      <div ref={ref} className="vg-wall-fill">
        {incidents.length === 0 ? (
          <p className="vg-wall-empty">No open critical or high incident.</p>
        ) : (
          <ol className="vg-wall-list" data-testid="wall-severe">
            {shown.map((i) => (
              <li key={`${i.tenant}/${i.id}`} className="vg-wall-incident">
                <div className="vg-wall-line">
                  <SeverityTag incident={i} />
                  <Link to={incidentPath(i.tenant, i.id)} className="vg-wall-title">
                    {i.title}
                  </Link>
                </div>
                <div className="vg-wall-line vg-wall-meta">
                  <span className="vg-wall-strong">{tenantName(session, i.tenant)}</span>
                  <span>score {i.score}</span>
                  <span>
                    {i.hosts.length === 1 ? '1 host' : `${i.hosts.length} hosts`}
                    {i.hosts.some((h) => h.state === 'infected')
                      ? ` (${i.hosts.filter((h) => h.state === 'infected').length} infected)`
                      : ''}
                  </span>
                  <span>started {ago(Date.parse(i.first_ts), now)}</span>
                  <span>{STATUS_LABEL[i.status]}</span>
                  <span className={i.assignee ? '' : 'vg-fg-yellow'}>
                    {i.assignee ?? 'unassigned'}
                  </span>
                </div>
              </li>
            ))}
          </ol>
        )}
        {more > 0 && <p className="vg-dim vg-wall-more">+{more} more critical or high</p>}
      </div>
    </Panel>
  );
});

const ClocksPanel = memo(function ClocksPanel({
  session,
  clocks,
}: {
  session: Session;
  clocks: readonly ClockNearBreach[];
}) {
  const [ref, capacity] = useCapacity(1.8);
  const { shown, more } = fit(clocks, capacity);
  return (
    <Panel id="wall-clocks" title="SLA clocks close to breach">
      <div ref={ref} className="vg-wall-fill">
        {clocks.length === 0 ? (
          <p className="vg-wall-empty">No SLA clock close to breach.</p>
        ) : (
          <ol className="vg-wall-list">
            {shown.map((c) => (
              <li key={`${c.incident.tenant}/${c.incident.id}/${c.clock}`} className="vg-wall-line">
                <span className={`vg-wall-left ${c.overdue ? 'vg-wall-tone-red' : 'vg-fg-orange'}`}>
                  {c.overdue ? `${duration(c.left)} overdue` : `${duration(c.left)} left`}
                </span>
                <span className="vg-wall-clockname">{c.clock}</span>
                <SeverityTag incident={c.incident} />
                <Link to={incidentPath(c.incident.tenant, c.incident.id)} className="vg-wall-title">
                  {c.incident.title}
                </Link>
                <span className="vg-dim">{tenantName(session, c.incident.tenant)}</span>
              </li>
            ))}
          </ol>
        )}
        {more > 0 && <p className="vg-dim vg-wall-more">+{more} more clocks</p>}
      </div>
    </Panel>
  );
});

const STATE_TEXT: Readonly<Record<TenantIngest['state'], string>> = {
  ok: 'Receiving',
  quiet: 'Quiet',
  silent: 'Never sent',
  errors: 'Errors',
};
const STATE_TONE: Readonly<Record<TenantIngest['state'], string>> = {
  ok: 'green',
  quiet: 'orange',
  silent: 'red',
  errors: 'red',
};

const IngestPanel = memo(function IngestPanel({
  session,
  rows,
  provider,
  now,
}: {
  session: Session;
  rows: readonly TenantIngest[];
  provider: boolean;
  now: number;
}) {
  const [ref, capacity] = useCapacity(1.8);
  const { shown, more } = fit(rows, Math.max(1, capacity - 1));
  return (
    <Panel id="wall-ingest" title="Ingest health per tenant">
      <div ref={ref} className="vg-wall-fill">
        <table className="vg-wall-table">
          <thead>
            <tr>
              <th scope="col">Tenant</th>
              <th scope="col">State</th>
              <th scope="col">Last event</th>
              {provider && (
                <>
                  <th scope="col" className="vg-wall-num">
                    Events/s
                  </th>
                  <th scope="col" className="vg-wall-num">
                    Errors
                  </th>
                </>
              )}
            </tr>
          </thead>
          <tbody>
            {shown.map((r) => (
              <tr key={r.tenant}>
                <th scope="row">{tenantName(session, r.tenant)}</th>
                <td className={`vg-wall-tone-${STATE_TONE[r.state]}`}>{STATE_TEXT[r.state]}</td>
                <td>{r.lastAt === undefined ? '—' : ago(r.lastAt, now)}</td>
                {provider && (
                  <>
                    <td className="vg-wall-num">
                      {r.rate === undefined ? '…' : r.rate.toFixed(r.rate < 10 ? 1 : 0)}
                    </td>
                    <td className={`vg-wall-num${r.errors > 0 ? ' vg-wall-tone-red' : ''}`}>
                      {r.errors}
                    </td>
                  </>
                )}
              </tr>
            ))}
            {more > 0 && (
              <tr>
                <td colSpan={provider ? 5 : 3} className="vg-dim">
                  +{more} more tenants
                </td>
              </tr>
            )}
          </tbody>
        </table>
      </div>
    </Panel>
  );
});
