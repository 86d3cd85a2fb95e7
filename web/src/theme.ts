/** The console's dark theme and the colours that carry meaning (severity, host state, status). */
import { createTheme, Modal } from '@mantine/core';
import type { HostState, IncidentStatus, Level } from './api/types.ts';

export const theme = createTheme({
  primaryColor: 'blue',
  fontFamily: 'Inter, "Noto Sans TC", system-ui, -apple-system, "Segoe UI", Roboto, sans-serif',
  fontFamilyMonospace: '"JetBrains Mono", ui-monospace, SFMono-Regular, Menlo, Consolas, monospace',
  defaultRadius: 'sm',
  // With autoContrast, filled badges lighter than this get dark text: white on Mantine's orange,
  // yellow and teal reads below 4.5:1.
  luminanceThreshold: 0.2,
  components: {
    // A dialog's close button is an icon: give it a name a screen reader can say.
    Modal: Modal.extend({ defaultProps: { closeButtonProps: { 'aria-label': 'Close' } } }),
  },
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

/** The host states as text on the dark theme (HOST_COLOR is for borders and dots). */
export const HOST_TEXT_COLOR: Readonly<Record<HostState, string>> = {
  infected: '#ff8787',
  targeted: '#ffd43b',
  clean: '#69db7c',
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
