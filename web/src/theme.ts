/** The console's dark theme and the colours that carry meaning (severity, host state, status). */
import { createTheme } from '@mantine/core';
import type { HostState, IncidentStatus, Level } from './api/types.ts';

export const theme = createTheme({
  primaryColor: 'blue',
  fontFamily: 'Inter, "Noto Sans TC", system-ui, -apple-system, "Segoe UI", Roboto, sans-serif',
  fontFamilyMonospace: '"JetBrains Mono", ui-monospace, SFMono-Regular, Menlo, Consolas, monospace',
  defaultRadius: 'sm',
});

export const LEVEL_COLOR: Readonly<Record<Level, string>> = {
  informational: 'gray',
  low: 'teal',
  medium: 'yellow',
  high: 'orange',
  critical: 'red',
};

export const HOST_COLOR: Readonly<Record<HostState, string>> = {
  infected: '#fa5252',
  targeted: '#fab005',
  clean: '#40c057',
};

export const STATUS_COLOR: Readonly<Record<IncidentStatus, string>> = {
  new: 'blue',
  triage: 'cyan',
  investigating: 'violet',
  contained: 'orange',
  resolved: 'green',
  false_positive: 'gray',
  benign: 'gray',
};

/** Score bands for the queue's badge. */
export function scoreColor(score: number): string {
  if (score >= 80) return 'red';
  if (score >= 60) return 'orange';
  if (score >= 40) return 'yellow';
  if (score >= 20) return 'teal';
  return 'gray';
}
