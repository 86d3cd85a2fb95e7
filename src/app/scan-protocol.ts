/** Messages between `vigil scan`'s coordinator and its worker threads. */
import type { Detection, Issue, RuleRef } from '../core/index.ts';
import { detectFormat, type InputFormat } from '../ingest/index.ts';
import type { CorrelationRule } from '../detect/index.ts';
import type { ExchangeInit } from './prefilter-exchange.ts';
import type { LineFormat } from './records.ts';

/** A rule or mapping file read from disk. */
export interface TextFile {
  readonly file: string;
  readonly text: string;
}

/** What loading the rules found. */
export interface LoadReport {
  /** Rule documents found (detection, filter and correlation rules). */
  readonly rules: number;
  /** Rules that compiled and will run. */
  readonly loaded: number;
  readonly unsupported: readonly { readonly file: string; readonly reason: string }[];
  readonly issues: readonly Issue[];
}

/** Everything a worker needs to build the same detector as every other worker. */
export interface WorkerSetup {
  readonly ruleFiles: readonly TextFile[];
  readonly logsourcesYaml: { readonly file: string; readonly text: string };
  readonly placeholders: Readonly<Record<string, readonly string[]>>;
  readonly tenant: string;
}

/** When a worker reached each step of its start, as absolute times (`performance.timeOrigin` + now). */
export type Steps = readonly (readonly [step: string, at: number])[];

/**
 * What a worker is started with. It reads and compiles one slice of the rule files itself (`part` of
 * `parts`, no copy of thousands of texts per thread), hands its compiled part to the others through the
 * coordinator, and links all parts into the same rule set as every other worker.
 */
export interface WorkerInit {
  readonly ruleDirs: readonly string[];
  readonly builtin: boolean;
  readonly tenant: string;
  readonly part: number;
  readonly parts: number;
  /** Where compiled slices are cached (`rule-cache.ts`); absent: no cache. */
  readonly cacheDir?: string;
  /** With more than one worker: how they share the prefilters they build (`prefilter-exchange.ts`). */
  readonly exchange?: ExchangeInit;
  /** Render the line of each hit of a rule at or above `minRank` (see `ScanOptions.render`). */
  readonly render?: { readonly format: LineFormat; readonly minRank: number };
}

/** One unit of work: a whole non-EVTX input, or a run of chunks of one EVTX file. */
export interface ScanTask {
  readonly type: 'task';
  readonly id: number;
  /** Display path of the input. */
  readonly file: string;
  /** The input's bytes, or absent when the worker reads `localFile` itself. */
  readonly bytes?: SharedArrayBuffer;
  readonly length?: number;
  /** A plain file the worker reads and parses whole (small inputs: no copy through the coordinator). */
  readonly localFile?: string;
  /** EVTX: the chunk offsets this task parses. Absent for other formats. */
  readonly chunkOffsets?: readonly number[];
  readonly format: InputFormat;
  /** Syslog lines carry no year: the file's modification time stands in for "now". */
  readonly referenceTime?: number;
}

/** A hit with its events and matched fields, its rule by its index in the rule set. */
export interface WholeHit extends Omit<Detection, 'rule' | 'kind' | 'group'> {
  readonly rule: number;
}

/** Numbers per hit in `HitColumns.numbers`; see HIT. */
export const HIT_STRIDE = 10;

/** Where each number of a hit sits in its row of `HitColumns.numbers`. */
export const HIT = {
  /** The rule's index in the rule set (every worker's is the same; worker 0's `ready` names them). */
  rule: 0,
  ts: 1,
  /** The hit's line: bytes `at` … `end` of the result's `lines`; `at` -1: a whole hit, the next of `whole`. */
  at: 2,
  end: 3,
  /** Indices into `strings`: the event's host (`hostOf`), tenant, origin file (-1: none), format. */
  computer: 4,
  tenant: 5,
  file: 6,
  format: 7,
  /** The origin's record id and offset; NaN: none. */
  recordId: 8,
  offset: 9,
} as const;

/**
 * A task's hits, in the order found, as one table of numbers and the strings it names. A hit the worker
 * rendered (the scan renders lines, and no correlation rule reads the hit) travels as its line and
 * what the summary and the timeline order read — host, tenant, origin — which as a row of numbers costs
 * far less to pass between threads than the event's objects, or even an object per hit. Other hits
 * come whole, in `whole`, in the same order.
 */
export interface HitColumns {
  /** HIT_STRIDE numbers per hit (moved between threads, not copied). */
  readonly numbers: Float64Array;
  readonly strings: readonly string[];
  readonly whole: readonly WholeHit[];
}

export type ToWorker =
  | ScanTask
  /** The rule files, listed once by the coordinator while the workers start (their first message). */
  | {
      readonly type: 'rule-files';
      readonly files: readonly string[];
      readonly issues: readonly Issue[];
    }
  /**
   * Every worker's compiled part (`v8.serialize`d `CompiledPart`), indexed by part number, and the cache
   * key of the prefilters of this rule set (when the rule cache is on).
   */
  | {
      readonly type: 'link';
      readonly parts: readonly SharedArrayBuffer[];
      readonly prefilterKey?: string;
    }
  /** Cache the prefilters built so far (when some were new); the worker answers `saved`. */
  | { readonly type: 'save-prefilters' }
  | { readonly type: 'stop' };

export type FromWorker =
  | {
      /**
       * The worker's slice is compiled (or came from the cache). `part` (absent when there is one worker and
       * no cache) is its `CompiledSlice` as `v8.serialize` wrote it: part and the mapping's issues.
       */
      readonly type: 'compiled';
      readonly part?: SharedArrayBuffer;
      /** Problems reading the slice's files (worker 0 adds those every slice shares). */
      readonly issues: readonly Issue[];
      readonly steps: Steps;
      /** The slice's cache key (when the rule cache is on). */
      readonly key?: string;
    }
  | {
      readonly type: 'ready';
      readonly steps: Steps;
      /** What loading found, and the correlation rules the coordinator runs (plain data). */
      readonly report: LoadReport;
      readonly correlations: readonly CorrelationRule[];
      /** Worker 0: the rule set's rules in order, which a hit's rule number indexes. */
      readonly rules?: readonly RuleRef[];
    }
  | { readonly type: 'setup-failed'; readonly message: string }
  | { readonly type: 'saved' }
  | {
      readonly type: 'result';
      readonly id: number;
      readonly records: number;
      readonly issues: readonly Issue[];
      readonly hits: HitColumns;
      /**
       * The lines of the task's rendered hits, UTF-8, one after another (transferred, not copied: the
       * coordinator writes them out as they are).
       */
      readonly lines?: ArrayBuffer;
    };

/**
 * Whether an input goes to the EVTX parser: forced, recognised by content, or a `.evtx` file whose header
 * is too damaged to recognise (its chunks may still be fine).
 */
export function isEvtxInput(bytes: Uint8Array, path: string, format: InputFormat): boolean {
  if (format !== 'auto') return format === 'evtx';
  const found = detectFormat(bytes, path);
  return found === 'evtx' || (found === undefined && /\.evtx$/i.test(path));
}
