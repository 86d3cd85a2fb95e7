/**
 * Vigil's EVTX (Windows XML EventLog) reader: chunks, records and BinXML to flat Sigma-ready events.
 *
 * Field names and values follow SigmaHQ's regression JSON (the evtx crate's JSON, flattened):
 * - System: element text under the element's name (`EventID`, `Channel`, `Computer`), attributes as
 *   `Element_Attribute` (`Provider_Name`, `TimeCreated_SystemTime`, `Security_UserID`,
 *   `EventID_Qualifiers`). Numeric System fields that a forwarder wrote as text become numbers.
 * - EventData: `<Data Name="X">` → `X` (`""` when empty); unnamed `<Data>` → `Data` (a list when
 *   several); other children (`Binary`) under their own names; empty non-Data elements are absent.
 * - UserData: leaf elements under their own names, attributes as `Element_Attribute`. A repeated
 *   name becomes a list. A data field named like a System field (`EventID`, `Channel`) is stored as
 *   `UserData.EventID` / `EventData.Channel` instead. Other sections are `Section.Name`.
 * - Values: integer types are numbers (a decimal string past 2^53), booleans are booleans, hex
 *   types `0x…` lowercase unpadded, GUIDs uppercase without braces, SIDs `S-1-5-18`, times ISO
 *   with microseconds and `Z`, binary uppercase hex, reals and everything else strings. Strings
 *   end at their first NUL and lose trailing whitespace, as in the regression JSON.
 * `xmlns` attributes are dropped.
 */
import type { Issue } from '../../core/index.ts';
import { locateChunks } from './chunks.ts';

export { parseEvtx } from './parse.ts';
export type { ParseOptions } from './parse.ts';

/** Locates the chunks of an EVTX buffer (header-declared and beyond), with header problems. */
export function evtxChunks(
  bytes: Uint8Array,
  file: string,
): { chunkOffsets: number[]; issues: Issue[] } {
  return locateChunks(bytes, file);
}

export { EvtxPool } from './pool.ts';
