/** Messages between the server's main thread and its pipeline worker (event writes and detection). */
import type { Alert, Issue, NewEvent } from '../../core/index.ts';
import type { EncodedEvent } from '../../store/index.ts';
import type { RuleInfo } from './engine.ts';

export interface DetectInit {
  /** The SQLite file the worker opens its own connection to. */
  readonly dbPath: string;
  readonly synchronous: 'NORMAL' | 'FULL';
  readonly ruleDirs: readonly string[];
  readonly builtin: boolean;
  /** Events per detection step. */
  readonly batch: number;
  /** Events before the cursor replayed at start to rebuild correlation windows. */
  readonly warmup: number;
}

export type ToDetect =
  /** Store these events (one transaction), answer `appended`, then detect them. */
  | {
      readonly type: 'append';
      readonly id: number;
      readonly events: readonly NewEvent[];
      /** The events' JSON columns, serialised on the main thread (which has time to spare). */
      readonly encoded: readonly EncodedEvent[];
    }
  /** A tenant's disabled rules, exceptions or uploads changed. */
  | { readonly type: 'invalidate'; readonly tenant: string }
  | { readonly type: 'reload'; readonly id: number }
  /**
   * Build the tenant's incidents now: always after a merge or split (`reload: true` rereads its pins and
   * policy), else only when new alerts are waiting. Answered with `regrouped`.
   */
  | {
      readonly type: 'regroup';
      readonly id: number;
      readonly tenant: string;
      readonly reload: boolean;
    }
  | { readonly type: 'stop' };

export type FromDetect =
  | {
      readonly type: 'ready';
      readonly cursor: number;
      readonly rules: readonly RuleInfo[];
      readonly issues: readonly Issue[];
    }
  | {
      readonly type: 'progress';
      /** Every event up to here has been through detection. */
      readonly cursor: number;
      /** Alerts stored in this step (new ones only). */
      readonly created: readonly Alert[];
      /** Seconds from each new alert's last event being accepted to the alert being stored. */
      readonly latencies: readonly number[];
      readonly suppressed: readonly { readonly tenant: string; readonly count: number }[];
    }
  | {
      readonly type: 'reloaded';
      readonly id: number;
      readonly rules: readonly RuleInfo[];
      readonly issues: readonly Issue[];
    }
  | {
      readonly type: 'appended';
      readonly id: number;
      /** Events stored (duplicates of stored ones are not), by receiver kind and tenant. */
      readonly stored: number;
      readonly counts: readonly {
        readonly receiver: string;
        readonly tenant: string;
        readonly n: number;
      }[];
      /** Highest seq in the store after this append. */
      readonly head: number;
    }
  | {
      readonly type: 'append-failed';
      readonly id: number;
      readonly code: string;
      readonly message: string;
    }
  | { readonly type: 'regrouped'; readonly id: number }
  /** A rebuild of incidents finished (for metrics). */
  | {
      readonly type: 'incidents';
      readonly reports: readonly {
        readonly tenant: string;
        readonly saved: number;
        readonly retired: number;
        readonly reopened: number;
        readonly ms: number;
      }[];
    }
  | { readonly type: 'failed'; readonly message: string }
  | { readonly type: 'stopped' };
