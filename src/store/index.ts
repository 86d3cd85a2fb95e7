/** The store implementations behind the `Store` seam; only `src/app` picks one. */
export { openSqliteStore, type SqliteStore, type SqliteStoreOptions } from './sqlite/index.ts';
