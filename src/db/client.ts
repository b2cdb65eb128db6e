// One database handle for both drivers: PGlite (embedded default) or PostgreSQL via postgres.js.
// Driver differences (result shapes, count/bigint types) stop here: use `rows()` for raw SQL.
import { fileURLToPath } from 'node:url';
import { mkdirSync } from 'node:fs';
import { sql, type SQL } from 'drizzle-orm';
import type { PgDatabase, PgQueryResultHKT } from 'drizzle-orm/pg-core';
import * as schema from './schema/index.ts';

export type Schema = typeof schema;
/** A database or a transaction: verbs accept either, so transactions compose. */
export type Db = PgDatabase<PgQueryResultHKT, Schema>;

export interface Database {
  kind: 'pglite' | 'postgres';
  db: Db;
  close(): Promise<void>;
}

export const MIGRATIONS_FOLDER = fileURLToPath(new URL('../../migrations', import.meta.url));
const MIGRATION_LOCK = 7_411_001;

export interface OpenOptions {
  /** postgres:// URL; without it the embedded PGlite is used. */
  url?: string;
  /** PGlite data directory (ignored with `url`); undefined = in memory. */
  dataDir?: string;
  /** A PGlite dump (from `dumpDataDir`) to start from, for fast test clones. */
  loadDataDir?: Blob | File;
  /** postgres.js pool size. */
  max?: number;
}

export async function openDatabase(opts: OpenOptions): Promise<Database> {
  if (opts.url) {
    const { default: postgres } = await import('postgres');
    const { drizzle } = await import('drizzle-orm/postgres-js');
    const client = postgres(opts.url, { max: opts.max ?? 10, onnotice: () => {}, connection: { TimeZone: 'UTC' } });
    const db = drizzle(client, { schema }) as unknown as Db;
    return { kind: 'postgres', db, close: () => client.end({ timeout: 5 }) };
  }
  const { PGlite } = await import('@electric-sql/pglite');
  const { drizzle } = await import('drizzle-orm/pglite');
  if (opts.dataDir) mkdirSync(opts.dataDir, { recursive: true });
  const client = await PGlite.create({ dataDir: opts.dataDir, loadDataDir: opts.loadDataDir });
  await client.exec(`SET TIME ZONE 'UTC'`);
  const db = drizzle(client, { schema }) as unknown as Db;
  return { kind: 'pglite', db, close: () => client.close() };
}

/** Apply the committed SQL migrations; replicas starting together serialise on an advisory lock. */
export async function migrateDatabase(opts: OpenOptions & { database?: Database }): Promise<void> {
  if (opts.url) {
    const { default: postgres } = await import('postgres');
    const { drizzle } = await import('drizzle-orm/postgres-js');
    const { migrate } = await import('drizzle-orm/postgres-js/migrator');
    const client = postgres(opts.url, { max: 1, onnotice: () => {} });
    try {
      await client`select pg_advisory_lock(${MIGRATION_LOCK})`;
      await migrate(drizzle(client), { migrationsFolder: MIGRATIONS_FOLDER });
      await client`select pg_advisory_unlock(${MIGRATION_LOCK})`;
    } finally {
      await client.end({ timeout: 5 });
    }
    return;
  }
  if (!opts.database || opts.database.kind !== 'pglite') throw new Error('migrateDatabase: PGlite needs the open database');
  const { migrate } = await import('drizzle-orm/pglite/migrator');
  // PGlite is single-connection and in-process: no lock needed.
  await migrate(opts.database.db as never, { migrationsFolder: MIGRATIONS_FOLDER });
}

/** Run raw SQL and get plain row objects, whichever driver answers. */
export async function rows<T = Record<string, unknown>>(db: Db, query: SQL): Promise<T[]> {
  const res = (await db.execute(query)) as unknown;
  if (Array.isArray(res)) return res as T[];
  return ((res as { rows?: T[] }).rows ?? []) as T[];
}

/** A Postgres array literal for one bound parameter (`$1::uuid[]`); elements must be unquoted-safe. */
export function pgArray(values: ReadonlyArray<string | number | bigint | null>): string {
  return `{${values.map((v) => (v === null ? 'NULL' : String(v))).join(',')}}`;
}

/** Run `fn` in a transaction, or inside the caller's if `db` is already one. */
export async function inTransaction<T>(db: Db, fn: (tx: Db) => Promise<T>): Promise<T> {
  if (isTransaction(db)) return fn(db);
  return db.transaction(async (tx) => fn(tx as unknown as Db));
}

function isTransaction(db: Db): boolean {
  return typeof (db as { rollback?: unknown }).rollback === 'function';
}

export { sql };
