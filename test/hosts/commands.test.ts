// Argv builders and the single shell-quoting point: validated data only, and the quoting round-trips through a real sh.
import { execFileSync } from 'node:child_process';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { consoleArgv, powerArgv, powerFailure, sampleArgv, shellQuoteArgv, type Argv } from '../../src/hosts/commands.ts';
import { SAMPLE_SCRIPT } from '../../src/hosts/sample-script.ts';
import { HostError } from '../../src/hosts/types.ts';

const UUID = '5b0c1f0e-8a34-4a5e-9d1c-2f8f3b1e9a77';

describe('powerArgv', () => {
  it.each([
    ['shutdown', 'web-1', ['xl', 'shutdown', 'web-1']],
    ['reboot', UUID, ['xl', 'reboot', UUID]],
    ['destroy', 'db_2.prod', ['xl', 'destroy', 'db_2.prod']],
    ['start', 'web-1', ['xl', 'create', '/etc/xen/web-1.cfg']],
  ] as const)('%s %s', (action, dom, expected) => {
    expect([...powerArgv(dom, action)]).toEqual(expected);
  });

  it('uses the configured Xen config dir for start', () => {
    expect([...powerArgv('web-1', 'start', '/srv/xen/cfg')]).toEqual(['xl', 'create', '/srv/xen/cfg/web-1.cfg']);
  });

  it('refuses a UUID for start, naming why', () => {
    expect(() => powerArgv(UUID, 'start')).toThrow(/start needs the domain name/);
  });

  it.each(['web;reboot', '$(id)', '`id`', 'a b', '../etc/passwd', '-h', '', "x'y", 'a\nb', '.hidden'])('rejects domain ref %j', (dom) => {
    expect(() => powerArgv(dom, 'shutdown')).toThrow(HostError);
    expect(() => consoleArgv(dom)).toThrow(/not a Xen UUID or plain domain name/);
  });

  it.each(['etc/xen', '/etc/xen/../shadow', '/etc/x en', '/etc/$(id)'])('rejects config dir %j', (dir) => {
    expect(() => powerArgv('web-1', 'start', dir)).toThrow(/Xen config dir must be an absolute path/);
  });
});

describe('sampleArgv', () => {
  it('passes the sysfs root as $1 of the constant script', () => {
    expect([...sampleArgv('/sys/bus/xen-backend/devices')]).toEqual(['sh', '-c', SAMPLE_SCRIPT, 'kamikazi-sample', '/sys/bus/xen-backend/devices', '']);
  });
  it('passes a known xl digest as $2, and only a 64-digit hex one', () => {
    const d = 'ab'.repeat(32);
    expect([...sampleArgv('/sys', d)].slice(4)).toEqual(['/sys', d]);
    expect(() => sampleArgv('/sys', `${d.slice(1)}'`)).toThrow(/xl list digest must be 64 hex digits/);
    expect(() => sampleArgv('/sys', d.toUpperCase())).toThrow(/64 hex digits/);
  });
  it('rejects a sysfs root with shell metacharacters', () => {
    expect(() => sampleArgv('/sys;rm -rf /')).toThrow(/sysfs root must be an absolute path/);
  });
});

describe('shellQuoteArgv', () => {
  // The remote side runs the string through a POSIX shell: it must get back exactly the argv.
  const roundTrip = (args: string[]): string[] => {
    const quoted = shellQuoteArgv(args as unknown as Argv);
    const out = execFileSync('sh', ['-c', `for a in ${quoted}; do printf '%s\\0' "$a"; done`], { encoding: 'utf8' });
    return out.split('\0').slice(0, -1);
  };

  it('survives quotes, dollars, backticks and newlines', () => {
    const nasty = ["it's", '$(touch /tmp/kb-pwned)', '`id`', 'a\nb', '"q"', '\\', ''];
    expect(roundTrip(nasty)).toEqual(nasty);
  });

  it('round-trips arbitrary strings (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.string({ unit: 'binary' }).filter((s) => !s.includes('\0')), { maxLength: 4 }), (args) => {
        expect(roundTrip(args)).toEqual(args);
      }),
      { numRuns: 40 },
    );
  });

  it('carries the sample script unchanged', () => {
    expect(roundTrip([...sampleArgv('/sys', 'cd'.repeat(32))])).toEqual(['sh', '-c', SAMPLE_SCRIPT, 'kamikazi-sample', '/sys', 'cd'.repeat(32)]);
  });

  it('refuses NUL', () => {
    expect(() => shellQuoteArgv(['a\0b'] as unknown as Argv)).toThrow(/NUL/);
  });
});

describe('powerFailure', () => {
  it.each([
    ['shutdown', 'web-1 is an invalid domain identifier (rc=-6)', 'InvalidState', /cannot shutdown web-1: it is not running/],
    ['start', 'libxl: error: libxl_domain.c:338:libxl__domain_rename: Domain 3:Domain with name "web-1" already exists.', 'InvalidState', /already running/],
    ['start', 'Failed to read config file /etc/xen/web-1.cfg: No such file or directory', 'CommandFailed', /xl create web-1 exited 1: Failed to read config file/],
  ] as const)('%s: %s', (action, stderr, code, msg) => {
    const e = powerFailure(action, 'web-1', 1, stderr);
    expect(e.code).toBe(code);
    expect(e.message).toMatch(msg);
  });
});
