/** Messages between the server's main thread and its detection worker. */
import type { Alert, Issue } from '../../core/index.ts';
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
  /** Events up to `seq` are durable in the store. */
  | { readonly type: 'head'; readonly seq: number }
  /** A tenant's disabled rules, exceptions or uploads changed. */
  | { readonly type: 'invalidate'; readonly tenant: string }
  | { readonly type: 'reload'; readonly id: number }
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
  | { readonly type: 'failed'; readonly message: string }
  | { readonly type: 'stopped' };
