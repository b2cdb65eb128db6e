// `kamikazi hosts`: add, list and remove on a fresh embedded database; bad flags print the usage (exit 2),
// invalid hosts and unknown names say what to fix (exit 1).
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const bin = join(process.cwd(), 'bin', 'kamikazi');
const dataDir = mkdtempSync(join(tmpdir(), 'kb-hosts-cli-'));
const env = { ...process.env, DATA_DIR: dataDir, DATABASE_URL: '', LOG_LEVEL: 'silent' };
const failed = (p: Promise<unknown>) => p.then(() => ({ code: 0, stderr: '' }), (e: { code: number; stderr: string }) => e);

afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

describe('kamikazi hosts', () => {
  it('adds, lists and removes a host', async () => {
    const added = await run(bin, ['hosts', 'add', 'xen-07', '--adapter', 'local'], { env });
    expect(added.stdout).toMatch(/^added host xen-07 \([0-9a-f-]{36}, local\)/);
    const listed = JSON.parse((await run(bin, ['hosts', 'list', '--json'], { env })).stdout) as Array<{ name: string; adapter: string }>;
    expect(listed.map((h) => [h.name, h.adapter])).toEqual([['xen-07', 'local']]);
    expect((await run(bin, ['hosts', 'remove', 'xen-07'], { env })).stdout).toContain('removed host xen-07');
    expect((await run(bin, ['hosts', 'list'], { env })).stdout).not.toContain('xen-07');
  }, 120_000);

  it('a bad flag prints the usage with exit 2; an incomplete ssh host and an unknown name exit 1 naming the fix', async () => {
    const flag = await failed(run(bin, ['hosts', 'add', 'x', '--bogus'], { env }));
    expect(flag.code).toBe(2);
    expect(flag.stderr).toContain("Unknown option '--bogus'");
    expect(flag.stderr).toContain('kamikazi hosts add NAME --adapter ssh');
    const ssh = await failed(run(bin, ['hosts', 'add', 'xen-08', '--adapter', 'ssh', '--address', '127.0.0.1'], { env }));
    expect(ssh.code).toBe(1);
    expect(ssh.stderr).toMatch(/^kamikazi: invalid host: /);
    const gone = await failed(run(bin, ['hosts', 'remove', 'nope'], { env }));
    expect(gone).toMatchObject({ code: 1, stderr: 'kamikazi: no host named or with id "nope" (see: kamikazi hosts list)\n' });
  }, 120_000);
});
