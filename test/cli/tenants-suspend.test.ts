// `kamikazi tenants suspend|unsuspend` on a fresh embedded database, the secret key the CLI keeps beside
// it, and `kamikazi serve` refusing to start with DATABASE_URL but no SECRET_KEY.
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const bin = join(process.cwd(), 'bin', 'kamikazi');
const dataDir = mkdtempSync(join(tmpdir(), 'kb-tenants-cli-'));
const env = { ...process.env, DATA_DIR: dataDir, DATABASE_URL: '', SECRET_KEY: '', LOG_LEVEL: 'silent' };
type Failed = { code: number; stdout: string; stderr: string };
const fail = (p: Promise<unknown>) => p.then(() => ({ code: 0, stdout: '', stderr: '' }) as Failed, (e: Failed) => e);

afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

describe('kamikazi tenants suspend|unsuspend', () => {
  it('needs an id and, to suspend, a reason (exit 2 with the usage)', async () => {
    const noReason = await fail(run(bin, ['tenants', 'suspend', '3c2b1a09-8f7e-4d6c-9b5a-493827160504'], { env }));
    expect(noReason.code).toBe(2);
    expect(noReason.stderr).toContain('kamikazi tenants suspend TENANT_ID --reason TEXT [--stop-vms]');
    expect((await fail(run(bin, ['tenants', 'unsuspend'], { env }))).code).toBe(2);
  });

  it('suspends with a reason, refuses twice, lists the status, unsuspends', async () => {
    const add = await run(bin, ['tenants', 'add', 'Acme CLI', '--email', 'billing@acme.test', '--currency', 'EUR'], { env });
    const id = /tenant ([0-9a-f-]{36})/.exec(add.stdout)![1];
    const s = await run(bin, ['tenants', 'suspend', id, '--reason', 'unpaid since March'], { env });
    expect(s.stdout).toBe(`tenant ${id} Acme CLI suspended; 0 console session(s) ended\n`);
    const twice = await fail(run(bin, ['tenants', 'suspend', id, '--reason', 'again'], { env }));
    expect(twice.code).toBe(1);
    expect(twice.stderr).toContain('Acme CLI is already suspended');
    const list = JSON.parse((await run(bin, ['tenants', 'list', '--json'], { env })).stdout) as { id: string; status: string; suspendedReason: string }[];
    expect(list.find((t) => t.id === id)).toMatchObject({ status: 'suspended', suspendedReason: 'unpaid since March' });
    const u = await run(bin, ['tenants', 'unsuspend', id], { env });
    expect(u.stdout).toBe(`tenant ${id} Acme CLI unsuspended\n`);
    // the embedded database got its own key for secrets at rest, readable by its owner only
    expect(statSync(join(dataDir, 'secret.key')).mode & 0o777).toBe(0o600);
  }, 120_000);

  it('serve with DATABASE_URL and no SECRET_KEY stops at once and says how to fix it', async () => {
    const r = await fail(run(bin, ['serve'], { env: { ...env, DATABASE_URL: 'postgres://nobody@127.0.0.1:1/none' }, timeout: 60_000 }));
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('SECRET_KEY is required with DATABASE_URL');
    expect(r.stderr).toContain('openssl rand -hex 32');
  }, 60_000);
});
