/**
 * Who is logged in and which tenants they are looking at. A provider user chooses a scope (every
 * tenant they may see, or one); a customer user always sees their own tenant.
 */
import { createContext, useContext } from 'react';
import type { Me, Role, TenantRef } from '../api/types.ts';

export interface Session {
  readonly me: Me;
  /** The tenant chosen in the header, or undefined for every tenant the user may see. */
  readonly scope: string | undefined;
  readonly setScope: (tenant: string | undefined) => void;
  readonly logout: () => void;
}

export const SessionContext = createContext<Session | undefined>(undefined);

export function useSession(): Session {
  const s = useContext(SessionContext);
  if (!s) throw new Error('useSession outside the logged-in app');
  return s;
}

export const SCOPE_KEY = 'vigil.scope';

/** The scope a session opens on: a customer's tenant; for a provider, the last one chosen or all. */
export function initialScope(me: Me): string | undefined {
  if (!isProvider(me.user.role)) return me.user.tenant;
  const saved = sessionStorage.getItem(SCOPE_KEY);
  return saved && me.tenants.some((t) => t.id === saved) ? saved : undefined;
}

export function isProvider(role: Role): boolean {
  return role === 'provider_admin' || role === 'provider_analyst';
}

/** Roles that may change incidents, rules and exceptions (the API's MANAGERS). */
export function canManage(role: Role): boolean {
  return role !== 'customer_viewer';
}

export function canAdmin(role: Role): boolean {
  return role === 'provider_admin' || role === 'customer_admin';
}

/** The tenants the current scope covers. */
export function scopeTenants(s: Pick<Session, 'me' | 'scope'>): readonly TenantRef[] {
  if (s.scope === undefined) return s.me.tenants;
  return s.me.tenants.filter((t) => t.id === s.scope);
}

export function tenantName(s: Pick<Session, 'me'>, id: string): string {
  return s.me.tenants.find((t) => t.id === id)?.name ?? id;
}

export type NavItem = { readonly to: string; readonly label: string; readonly key: string };

/** The screens a role reaches from the navigation. */
export function navFor(role: Role): NavItem[] {
  const items: NavItem[] = [
    { key: 'overview', to: '/', label: 'Overview' },
    { key: 'queue', to: '/incidents', label: 'Incidents' },
    { key: 'events', to: '/events', label: 'Event search' },
    { key: 'rules', to: '/rules', label: 'Rules' },
  ];
  if (canAdmin(role)) items.push({ key: 'admin', to: '/admin', label: 'Admin' });
  items.push({ key: 'wall', to: '/wall', label: 'Wall screen' });
  return items;
}
