/** Writers for `vigil scan`'s timeline: a Hayabusa-style table, CSV, JSON and JSON Lines. */
import pc from 'picocolors';
import type { Detection } from '../core/index.ts';
import { CSV_HEADER, csvLine, details, eventRef, jsonLine, toRecord } from '../app/index.ts';

export type OutputFormat = 'table' | 'csv' | 'json' | 'jsonl';
export const OUTPUT_FORMATS: readonly OutputFormat[] = ['table', 'csv', 'json', 'jsonl'];

export interface Sink {
  /** Text, or UTF-8 bytes (lines the scan workers rendered). */
  write(chunk: string | Uint8Array): void;
}

const LEVEL_SHORT: Record<string, string> = {
  critical: 'crit',
  high: 'high',
  medium: 'med',
  low: 'low',
  informational: 'info',
};

export function colorLevel(level: string, s: string, color: boolean): string {
  if (!color) return s;
  switch (level) {
    case 'critical':
      return pc.bold(pc.red(s));
    case 'high':
      return pc.red(s);
    case 'medium':
      return pc.yellow(s);
    case 'low':
      return pc.green(s);
    default:
      return s;
  }
}

const CHANNEL_SHORT: Record<string, string> = {
  'Microsoft-Windows-Sysmon/Operational': 'Sysmon',
  Security: 'Sec',
  System: 'Sys',
  Application: 'App',
  'Microsoft-Windows-PowerShell/Operational': 'PwSh',
  'Windows PowerShell': 'PwShClassic',
  'Microsoft-Windows-TaskScheduler/Operational': 'TaskSch',
  'Microsoft-Windows-Windows Defender/Operational': 'Defender',
  'Microsoft-Windows-WMI-Activity/Operational': 'WMI',
  'Microsoft-Windows-TerminalServices-LocalSessionManager/Operational': 'RDS-LSM',
  'Microsoft-Windows-Bits-Client/Operational': 'BitsCli',
};

function cell(s: string, width: number): string {
  if (s.length > width) return `${s.slice(0, Math.max(0, width - 1))}…`;
  return Number.isFinite(width) ? s.padEnd(width) : s;
}

/** A fixed-column timeline; the details column takes the rest of the terminal width (or everything). */
export function writeTable(
  detections: readonly Detection[],
  out: Sink,
  opts: { color: boolean; width?: number },
): void {
  const head = [
    'Timestamp',
    'Computer',
    'Channel',
    'EventID',
    'RecordID',
    'Level',
    'Rule',
    'Details',
  ];
  const rows = detections.map((d) => {
    const r = toRecord(d);
    const last = d.events[d.events.length - 1];
    const ref = last ? eventRef(last) : r;
    return {
      level: d.rule.level,
      cells: [
        r.timestamp.replace('T', ' ').replace('Z', ''),
        ref.computer,
        CHANNEL_SHORT[ref.channel] ?? ref.channel,
        r.event_id === null ? '' : String(r.event_id),
        r.record_id === null ? '' : String(r.record_id),
        LEVEL_SHORT[d.rule.level] ?? d.rule.level,
        d.kind === 'correlation' ? `[correlation] ${d.rule.title}` : d.rule.title,
        details(d),
      ],
    };
  });
  const caps = [23, 24, 12, 7, 9, 5, 60];
  const widths = caps.map((cap, i) =>
    Math.min(cap, Math.max(head[i]?.length ?? 0, ...rows.map((r) => r.cells[i]?.length ?? 0))),
  );
  const fixed = widths.reduce((a, b) => a + b + 3, 0);
  const detailWidth = opts.width ? Math.max(20, opts.width - fixed) : Infinity;
  const line = (cells: readonly string[]): string =>
    cells
      .map((c, i) => (i < widths.length ? cell(c, widths[i] ?? 0) : cell(c, detailWidth).trimEnd()))
      .join(' · ');
  out.write(`${opts.color ? pc.bold(line(head)) : line(head)}\n`);
  for (const r of rows) out.write(`${colorLevel(r.level, line(r.cells), opts.color)}\n`);
}

/** Lines rendered ahead (by `scan`'s `render`); a detection without one is rendered here. */
type Rendered = ReadonlyMap<Detection, string | Uint8Array>;

export function writeCsv(detections: readonly Detection[], out: Sink, pre?: Rendered): void {
  out.write(CSV_HEADER);
  for (const d of detections) out.write(pre?.get(d) ?? csvLine(d));
}

export function writeJsonl(detections: readonly Detection[], out: Sink, pre?: Rendered): void {
  for (const d of detections) {
    out.write(pre?.get(d) ?? jsonLine(d));
    out.write('\n');
  }
}

export function writeJson(detections: readonly Detection[], out: Sink, pre?: Rendered): void {
  out.write('[');
  detections.forEach((d, i) => {
    out.write(i === 0 ? '\n' : ',\n');
    out.write(pre?.get(d) ?? jsonLine(d));
  });
  out.write(detections.length > 0 ? '\n]\n' : ']\n');
}
