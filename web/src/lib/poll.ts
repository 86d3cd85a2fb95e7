/**
 * How often the console asks the API for fresh data: every 15 s, or every N seconds when the page
 * was opened with `?refresh=N` (2 to 300) — a wall screen's own pace, or a browser test that cannot
 * wait 15 s. Read once when the console loads, so later changes to the URL (the queue rewrites its
 * query string as filters change) keep it.
 */

export const DEFAULT_POLL_MS = 15_000;
const MIN_S = 2;
const MAX_S = 300;

/** The poll interval a query string asks for; anything missing or malformed gives `fallback`. */
export function pollFromSearch(search: string, fallback = DEFAULT_POLL_MS): number {
  const raw = new URLSearchParams(search).get('refresh');
  if (raw === null || !/^\d+(\.\d+)?$/.test(raw.trim())) return fallback;
  const s = Math.min(MAX_S, Math.max(MIN_S, Number(raw)));
  return Math.round(s * 1000);
}

/** The console's poll interval for this page load, in milliseconds. */
export const POLL_MS = pollFromSearch(
  typeof window === 'undefined' ? '' : window.location.search,
  DEFAULT_POLL_MS,
);
