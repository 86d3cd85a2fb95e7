/** Domain types and seam interfaces shared by every stage. Imports nothing from the project. */
export * from './event.ts';
export * from './errors.ts';
export * from './seams.ts';
export * from './domain.ts';
export * from './incident.ts';
export * from './store.ts';
export * from './metrics.ts';
