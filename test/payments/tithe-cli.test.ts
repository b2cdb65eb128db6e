// `kamikazi tithe`: argument errors name the fix; statement and settle run on a fresh embedded database
// (migrated by the CLI context) through the same locked job the scheduler uses.
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const bin = join(process.cwd(), 'bin', 'kamikazi');
const dataDir = mkdtempSync(join(tmpdir(), 'kb-tithe-cli-'));
const env = { ...process.env, DATA_DIR: dataDir, DATABASE_URL: '', LOG_LEVEL: 'silent' };

afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

describe('kamikazi tithe', () => {
  it('refuses a missing period with exit 2 and a one-line hint', async () => {
    const err = await run(bin, ['tithe', 'statement'], { env }).catch((e: { code: number; stderr: string }) => e);
    expect((err as { code: number }).code).toBe(2);
    expect((err as { stderr: string }).stderr.trim().split('\n')).toHaveLength(1);
    expect((err as { stderr: string }).stderr).toContain('--period YYYY-MM');
  });

  it('prints an empty statement and settles nothing on a fresh database', async () => {
    const statement = await run(bin, ['tithe', 'statement', '--period', '2026-03'], { env });
    expect(statement.stdout).toContain('tithe statement 2026-03');
    const settle = await run(bin, ['tithe', 'settle'], { env });
    expect(settle.stdout).toContain('tithe settlement: 0 queued, 0 sent, 0 failed');
  }, 120_000);
});
