// Replicas starting together against one empty PostgreSQL database: the migrations run once, in order, and every
// replica starts (they serialise on an advisory lock; without it, the second would fail creating the same tables).
import { readFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import postgres from 'postgres';
import { describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import { MIGRATIONS_FOLDER, migrateDatabase } from '../../src/db/client.ts';
import { withDatabase } from '../support/global-setup.ts';

const onPostgres = Boolean(process.env.TEST_DATABASE_URL);

describe.skipIf(!onPostgres)('migrations (PostgreSQL)', () => {
  it('three replicas migrating one empty database at once: each migration applied exactly once', async () => {
    const cfg = inject('testDb');
    if (cfg.kind !== 'postgres') throw new Error('needs PostgreSQL');
    const runPid = /kb_template_(\d+)/.exec(cfg.template)?.[1] ?? '0';
    const name = `kb_t_${runPid}_${randomBytes(6).toString('hex')}`;
    const admin = postgres(cfg.adminUrl, { max: 1, onnotice: () => {} });
    await admin.unsafe(`create database "${name}"`);
    const url = withDatabase(cfg.adminUrl, name);
    const check = postgres(url, { max: 1, onnotice: () => {} });
    try {
      await Promise.all([migrateDatabase({ url }), migrateDatabase({ url }), migrateDatabase({ url })]);
      const journal = JSON.parse(readFileSync(`${MIGRATIONS_FOLDER}/meta/_journal.json`, 'utf8')) as { entries: unknown[] };
      const applied = await check<{ n: number; distinct_hashes: number }[]>`
        select count(*)::int as n, count(distinct hash)::int as distinct_hashes from drizzle.__drizzle_migrations`;
      expect(applied[0]).toEqual({ n: journal.entries.length, distinct_hashes: journal.entries.length });
      const tables = await check<{ t: string | null }[]>`select to_regclass('public.usage_minute')::text as t`;
      expect(tables[0].t).toBe('usage_minute');
    } finally {
      await check.end();
      await admin.unsafe(`drop database if exists "${name}" with (force)`);
      await admin.end();
    }
  });
});
