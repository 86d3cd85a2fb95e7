/** The store implementations behind the `Store` seam; only `src/app` picks one. */
export {
  openSqliteStore,
  type EncodedEvent,
  type SqliteStore,
  type SqliteStoreOptions,
} from './sqlite/index.ts';
export {
  openPostgresStore,
  type PostgresStore,
  type PostgresStoreOptions,
} from './postgres/index.ts';
