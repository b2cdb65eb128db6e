// Builds one migrated database per run; each test file clones it (see test/support/db.ts).
// TEST_DATABASE_URL set → PostgreSQL template database; otherwise a PGlite snapshot file.
import { mkdirSync, writeFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { migrateDatabase, openDatabase } from '../../src/db/client.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    testDb: { kind: 'postgres'; adminUrl: string; template: string } | { kind: 'pglite'; snapshot: string };
  }
}

export default async function setup(project: TestProject) {
  const url = process.env.TEST_DATABASE_URL;
  if (url) {
    const { default: postgres } = await import('postgres');
    const admin = postgres(url, { max: 1, onnotice: () => {} });
    const template = `kb_template_${process.pid}`;
    // Leftovers of crashed runs go first: only databases of runs whose process is gone (runs may overlap).
    const old = await admin<{ datname: string }[]>`select datname from pg_database where datname ~ '^kb_(template|t)_[0-9]+'`;
    for (const { datname } of old) {
      const pid = Number(/^kb_(?:template|t)_(\d+)/.exec(datname)?.[1]);
      if (!processAlive(pid)) await admin.unsafe(`drop database if exists "${datname}" with (force)`);
    }
    await admin.unsafe(`create database "${template}"`);
    const templateUrl = withDatabase(url, template);
    await migrateDatabase({ url: templateUrl });
    project.provide('testDb', { kind: 'postgres', adminUrl: url, template });
    return async () => {
      const mine = `^kb_(template_${process.pid}$|t_${process.pid}_)`;
      const left = await admin<{ datname: string }[]>`select datname from pg_database where datname ~ ${mine}`;
      for (const { datname } of left) await admin.unsafe(`drop database if exists "${datname}" with (force)`);
      await admin.end();
    };
  }
  const dir = join(process.cwd(), '.tmp');
  mkdirSync(dir, { recursive: true });
  const snapshot = join(dir, `pglite-snapshot-${process.pid}.tar.gz`);
  const database = await openDatabase({});
  await migrateDatabase({ database });
  const client = (database.db as unknown as { $client: { dumpDataDir(c: 'gzip'): Promise<Blob> } }).$client;
  const blob = await client.dumpDataDir('gzip');
  writeFileSync(snapshot, Buffer.from(await blob.arrayBuffer()));
  await database.close();
  project.provide('testDb', { kind: 'pglite', snapshot });
  return () => rmSync(snapshot, { force: true });
}

function processAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

export function withDatabase(url: string, name: string): string {
  const u = new URL(url);
  u.pathname = `/${name}`;
  return u.toString();
}
