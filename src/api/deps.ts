/** What the API needs from the rest of the server; `src/app` builds these and passes them in. */
import type { IngestSink, Issue, Metrics, RuleRef, Store } from '../core/index.ts';

/** A rule as listed by the API. */
export interface RuleListing extends RuleRef {
  readonly kind: 'detection' | 'correlation' | 'filter';
  /** `shared` (the server's rule folders) or `tenant` (uploaded for this tenant). */
  readonly origin: string;
  /** The rule set (folder) it belongs to: `vigil`, a rule folder's name, or `tenant`. */
  readonly ruleset: string;
  readonly logsource?: Readonly<Record<string, string>>;
}

/** The server's rules as the API sees them. */
export interface RuleCatalog {
  /** Shared rules plus the tenant's uploaded ones. */
  list(tenant: string): Promise<readonly RuleListing[]>;
  /** Loads a Sigma document without keeping it: every problem with line and column in `file`. */
  validate(file: string, text: string): { issues: readonly Issue[]; rules: readonly RuleRef[] };
  /** Re-reads the rule folders; returns the count and every load problem. */
  reload(): Promise<{ rules: number; issues: readonly Issue[] }>;
  /** A tenant's settings, exceptions or uploads changed: detection must pick them up. */
  invalidate(tenant: string): void;
  /** The Sigma YAML a rule that runs for the tenant came from (its whole file); undefined when none. */
  source(tenant: string, id: string): Promise<string | undefined>;
}

/** The incident builder as the API drives it (incidents themselves are read from the store). */
export interface IncidentCatalog {
  /**
   * Groups the tenant's alerts that are waiting for the incident builder now, so a read after an ingest
   * sees them (`reload`: rebuild every incident of the tenant — after a merge, a split, or a change of
   * asset tags or grouping policy). Resolves when done.
   */
  regroup(tenant: string, reload?: boolean): Promise<void>;
}

export interface ApiLimits {
  /** Largest request body after decompression (ingest, upload). */
  readonly maxBodyBytes: number;
  /** Largest single field value kept whole. */
  readonly maxFieldBytes: number;
  /** Largest file sent to `/api/v1/upload` (after decompression). */
  readonly maxUploadBytes: number;
  /** Largest uploaded Sigma rule. */
  readonly maxRuleBytes: number;
  /** Most request body bytes being read and parsed at once across ingest requests; past it, 429. */
  readonly maxInflightBytes: number;
}

export interface ApiDeps {
  readonly store: Store;
  readonly sink: IngestSink;
  readonly rules: RuleCatalog;
  readonly incidents: IncidentCatalog;
  readonly metrics: Metrics;
  readonly limits: ApiLimits;
  readonly version: string;
  /** Serve /metrics without credentials (for a Prometheus on a trusted network). */
  readonly metricsPublic: boolean;
  /** Login sessions last this long (ms). */
  readonly sessionTtlMs: number;
  readonly now: () => number;
}
