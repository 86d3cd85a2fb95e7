/**
 * Vigil's ingest stage: the input layer and readers for files (EVTX, JSON, syslog, auditd, Zeek),
 * and the wire protocols and syslog listeners the server receives with.
 */
import type { ReadBatch } from '../core/index.ts';
import type { InputRef } from './inputs.ts';
import type { InputFormat } from './read.ts';
import { readBytes } from './read.ts';

export { listInputs } from './inputs.ts';
export { readShared } from './shared-file.ts';
export type { InputRef } from './inputs.ts';
export { readBytes, readers } from './read.ts';
export type { InputFormat, ReadOptions } from './read.ts';
export { detectFormat } from './detect.ts';
export type { DetectedFormat } from './detect.ts';
export * from './wire/index.ts';
export { DEFAULT_MAX_FRAME_BYTES, SyslogFramer, startSyslog } from './receivers/syslog.ts';
export type {
  Frame as SyslogFrame,
  SyslogListeners,
  SyslogMeta,
  SyslogOptions,
} from './receivers/syslog.ts';

/**
 * Reads one input (file or zip entry) into batches, detecting its format; EVTX goes through
 * src/ingest/evtx. An input that cannot be loaded yields one batch with a READ_IO issue.
 */
export async function* readInput(
  input: InputRef,
  opts: { readonly tenant: string; readonly format?: InputFormat },
): AsyncIterable<ReadBatch> {
  let bytes: Uint8Array;
  try {
    bytes = await input.load();
  } catch (e) {
    const why = e instanceof Error ? e.message : String(e);
    yield {
      file: input.path,
      events: [],
      issues: [
        {
          code: 'READ_IO',
          severity: 'error',
          message: `cannot read ${input.path}: ${why}`,
          at: { file: input.path },
        },
      ],
    };
    return;
  }
  yield* readBytes(bytes, input.path, {
    tenant: opts.tenant,
    format: opts.format ?? 'auto',
    ...(input.mtime === undefined ? {} : { referenceTime: input.mtime }),
  });
}
