/** Messages between `vigil scan`'s coordinator and its worker threads. */
import type { Detection, Issue } from '../core/index.ts';
import { detectFormat, type InputFormat } from '../ingest/index.ts';
import type { CorrelationRule } from '../detect/index.ts';

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

/** What a worker is started with: it reads the rules itself (no copy of thousands of texts per thread). */
export interface WorkerInit {
  readonly ruleDirs: readonly string[];
  readonly builtin: boolean;
  readonly tenant: string;
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

export type ToWorker = ScanTask | { readonly type: 'stop' };

export type FromWorker =
  | {
      readonly type: 'ready';
      readonly loadMs: number;
      /** What loading found, and the correlation rules the coordinator runs (plain data). */
      readonly report: LoadReport;
      readonly correlations: readonly CorrelationRule[];
    }
  | { readonly type: 'setup-failed'; readonly message: string }
  | {
      readonly type: 'result';
      readonly id: number;
      readonly records: number;
      readonly issues: readonly Issue[];
      readonly detections: readonly Detection[];
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
