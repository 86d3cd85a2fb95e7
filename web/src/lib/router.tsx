/**
 * A small history-API router: the console's few screens are matched from the path, links push
 * history entries, and the server answers every non-API path with the console (SPA fallback).
 */
import { useSyncExternalStore, type AnchorHTMLAttributes, type MouseEvent } from 'react';

export type Route =
  | { readonly name: 'login' }
  | { readonly name: 'overview' }
  | { readonly name: 'queue' }
  | { readonly name: 'incident'; readonly tenant: string; readonly id: string }
  | { readonly name: 'alert'; readonly tenant: string; readonly id: string }
  | { readonly name: 'events' }
  | { readonly name: 'rules' }
  | { readonly name: 'admin' }
  | { readonly name: 'wall' }
  | { readonly name: 'not_found'; readonly path: string };

const PAGES: ReadonlyMap<string, Route> = new Map<string, Route>([
  ['login', { name: 'login' }],
  ['overview', { name: 'overview' }],
  ['incidents', { name: 'queue' }],
  ['events', { name: 'events' }],
  ['rules', { name: 'rules' }],
  ['admin', { name: 'admin' }],
  ['wall', { name: 'wall' }],
]);

/** The route a path names. Pure, so it is tested without a browser. */
export function matchRoute(pathname: string): Route {
  const parts = pathname.split('/').filter(Boolean).map(decodeURIComponent);
  const [a, b, c, d] = parts;
  if (parts.length === 0) return { name: 'overview' };
  if (parts.length === 1 && a !== undefined) {
    const page = PAGES.get(a);
    if (page) return page;
  }
  if (parts.length === 4 && a === 'tenants' && b !== undefined && d !== undefined) {
    if (c === 'incidents') return { name: 'incident', tenant: b, id: d };
    if (c === 'alerts') return { name: 'alert', tenant: b, id: d };
  }
  return { name: 'not_found', path: pathname };
}

export function incidentPath(tenant: string, id: string): string {
  return `/tenants/${encodeURIComponent(tenant)}/incidents/${encodeURIComponent(id)}`;
}

export function alertPath(tenant: string, id: string): string {
  return `/tenants/${encodeURIComponent(tenant)}/alerts/${encodeURIComponent(id)}`;
}

const listeners = new Set<() => void>();

// After a navigation the new page's heading takes the focus (PageTitle), so a screen reader reads
// where the user arrived and the keyboard starts from the top of the new page. The first page of a
// load leaves the focus where the browser put it.
let focusOnArrival = false;
if (typeof window !== 'undefined')
  window.addEventListener('popstate', () => {
    focusOnArrival = true;
  });

/** Asks the next page heading to take the focus (navigation does; so does logging in). */
export function requestPageFocus(): void {
  focusOnArrival = true;
}

/** True once per navigation: the page heading that asks first takes the focus. */
export function takePageFocus(): boolean {
  const f = focusOnArrival;
  focusOnArrival = false;
  return f;
}

function subscribe(f: () => void): () => void {
  listeners.add(f);
  window.addEventListener('popstate', f);
  return () => {
    listeners.delete(f);
    window.removeEventListener('popstate', f);
  };
}
const snapshot = (): string => window.location.pathname + window.location.search;

export function navigate(to: string, opts: { replace?: boolean } = {}): void {
  if (to === snapshot()) return;
  if (opts.replace) window.history.replaceState(null, '', to);
  else window.history.pushState(null, '', to);
  focusOnArrival = true;
  window.scrollTo(0, 0);
  for (const f of listeners) f();
}

/** The current path and query string; re-renders on navigation. */
export function useLocation(): { pathname: string; search: URLSearchParams } {
  const loc = useSyncExternalStore(subscribe, snapshot);
  const q = loc.indexOf('?');
  return {
    pathname: q < 0 ? loc : loc.slice(0, q),
    search: new URLSearchParams(q < 0 ? '' : loc.slice(q + 1)),
  };
}

/** An anchor that navigates in place (a modified click still opens a new tab). */
export function Link({
  to,
  onClick,
  ...rest
}: { to: string } & AnchorHTMLAttributes<HTMLAnchorElement>) {
  const click = (e: MouseEvent<HTMLAnchorElement>): void => {
    onClick?.(e);
    if (e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey)
      return;
    e.preventDefault();
    navigate(to);
  };
  return <a href={to} onClick={click} {...rest} />;
}
