// A fresh, migrated database for one test file: a clone of the run's template.
import { readFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { inject } from 'vitest';
import { openDatabase, type Database } from '../../src/db/client.ts';
import { withDatabase } from './global-setup.ts';

export interface TestDatabase extends Database {
  /** postgres:// URL of this clone (PostgreSQL only), for tests that need a second process or client. */
  url?: string;
}

export async function createTestDatabase(): Promise<TestDatabase> {
  const cfg = inject('testDb');
  if (cfg.kind === 'pglite') {
    const blob = new Blob([readFileSync(cfg.snapshot)]);
    return openDatabase({ loadDataDir: blob });
  }
  const { default: postgres } = await import('postgres');
  const admin = postgres(cfg.adminUrl, { max: 1, onnotice: () => {} });
  // The template's name carries the run's pid; clones carry it too, so overlapping runs never drop each other's.
  const runPid = /kb_template_(\d+)/.exec(cfg.template)?.[1] ?? '0';
  const name = `kb_t_${runPid}_${randomBytes(6).toString('hex')}`;
  try {
    await admin.unsafe(`create database "${name}" template "${cfg.template}"`);
  } finally {
    await admin.end();
  }
  const url = withDatabase(cfg.adminUrl, name);
  const database = await openDatabase({ url, max: 4 });
  return {
    ...database,
    url,
    close: async () => {
      await database.close();
      const a = postgres(cfg.adminUrl, { max: 1, onnotice: () => {} });
      await a.unsafe(`drop database if exists "${name}" with (force)`);
      await a.end();
    },
  };
}
