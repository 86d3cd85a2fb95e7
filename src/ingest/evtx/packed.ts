/** The compact form in which a worker sends a chunk's events back to the main thread. */
import type { Event, Fields, Issue, ReadBatch } from '../../core/index.ts';

/**
 * One chunk's events without what every event of the file shares (tenant, file, source), which
 * the main thread puts back: less to copy between threads.
 */
export interface PackedBatch {
  readonly fields: Fields[];
  readonly ts: number[];
  readonly recordIds: (number | undefined)[];
  readonly offsets: (number | undefined)[];
  readonly issues: readonly Issue[];
}

export function pack(b: ReadBatch): PackedBatch {
  const n = b.events.length;
  const fields = new Array<Fields>(n);
  const ts = new Array<number>(n);
  const recordIds = new Array<number | undefined>(n);
  const offsets = new Array<number | undefined>(n);
  for (let i = 0; i < n; i++) {
    const e = b.events[i] as Event;
    fields[i] = e.fields;
    ts[i] = e.ts;
    recordIds[i] = e.origin.recordId;
    offsets[i] = e.origin.offset;
  }
  return { fields, ts, recordIds, offsets, issues: b.issues };
}

const SOURCE = { product: 'windows' } as const;

export function unpack(p: PackedBatch, file: string, tenant: string): ReadBatch {
  const n = p.fields.length;
  const events = new Array<Event>(n);
  for (let i = 0; i < n; i++) {
    const origin: { file: string; format: string; recordId?: number; offset?: number } = {
      file,
      format: 'evtx',
    };
    const id = p.recordIds[i];
    if (id !== undefined) origin.recordId = id;
    const off = p.offsets[i];
    if (off !== undefined) origin.offset = off;
    events[i] = {
      ts: p.ts[i] ?? Number.NaN,
      tenant,
      source: SOURCE,
      fields: p.fields[i] as Fields,
      origin,
    };
  }
  return { file, events, issues: p.issues };
}
