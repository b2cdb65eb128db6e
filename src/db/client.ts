// One database handle for both drivers: PGlite (embedded default) or PostgreSQL via postgres.js.
// Driver differences (result shapes, count/bigint types) stop here: use `rows()` for raw SQL.
import { fileURLToPath } from 'node:url';
import { mkdirSync } from 'node:fs';
import net from 'node:net';
import { Readable, type Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { sql, type SQL } from 'drizzle-orm';
import type { PgDatabase, PgQueryResultHKT } from 'drizzle-orm/pg-core';
import type { TransactionSql } from 'postgres';
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
    const client = postgres(opts.url, withNoDelay({ max: opts.max ?? 10, onnotice: () => {}, connection: { TimeZone: 'UTC' } }));
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

/**
 * postgres.js opens its sockets with Nagle on: a statement written right after a small earlier write (COPY after its
 * CopyDone, the next statement of a transaction) then waits for the server's delayed ACK, ~40 ms each time.
 * postgres.js applies ssl, timeouts and keep-alive to a socket it is given; only the first host of a URL is used.
 */
export function noDelaySocket(o: { path?: string; host: string[]; port: number[] }): net.Socket {
  const s = o.path ? net.connect(o.path) : net.connect(o.port[0], o.host[0]);
  s.setNoDelay(true);
  return s;
}

/**
 * The postgres.js transaction behind a drizzle transaction, for what drizzle cannot say (COPY); null on PGlite,
 * whose client takes no COPY stream.
 */
export function postgresTransactionOf(tx: Db): TransactionSql | null {
  const client = (tx as unknown as { session?: { client?: Partial<TransactionSql> } }).session?.client;
  return typeof client?.unsafe === 'function' && typeof client.savepoint === 'function' ? (client as TransactionSql) : null;
}

/**
 * COPY `data` (in the statement's format) through `statement` (`copy t (…) from stdin`) and wait for the server's answer.
 * postgres.js 3.4 never settles a COPY the server refuses after the last row (porsager/postgres#1173, fix pending
 * upstream as #1183): it hands the error to the query, which already resolved to the stream, and the transaction
 * would hang holding its locks. So the query's reject is watched here and the error thrown; the connection is
 * ready again by then (ReadyForQuery came with the error), so the caller's savepoint or transaction rolls back as
 * usual. The watchdog covers what never answers at all (a connection lost after the last row).
 */
export async function copyIn(tx: TransactionSql, statement: string, data: string | Buffer, watchdogMs = 30_000): Promise<void> {
  const query = tx.unsafe(statement) as unknown as { reject: (e: unknown) => void; writable(): Promise<Writable> };
  let refused!: (e: unknown) => void;
  const refusal = new Promise<never>((_, reject) => (refused = reject));
  refusal.catch(() => {}); // observed by the race below, or moot once the copy completed
  const reject = query.reject;
  query.reject = (e) => {
    refused(e);
    reject(e);
  };
  const sink = await query.writable();
  const signal = AbortSignal.timeout(watchdogMs);
  try {
    await Promise.race([pipeline(Readable.from([data]), sink, { signal }), refusal]);
  } catch (e) {
    if ((e as Error).name === 'AbortError') throw new Error(`COPY got no answer within ${watchdogMs} ms: ${statement}`, { cause: e });
    throw e;
  }
}

/** postgres.js options with `socket: noDelaySocket` (an option its type declarations leave out). */
export function withNoDelay<T extends object>(options: T): T {
  return { ...options, socket: noDelaySocket };
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
