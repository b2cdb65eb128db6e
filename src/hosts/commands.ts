// Fixed argv for every command a host adapter runs, built only from validated data.
// `shellQuoteArgv` is the ONE place an argv becomes a shell string (the SSH exec request needs one).
import { OVS_COLUMNS, SAMPLE_SCRIPT } from './sample-script.ts';
import { assertDomainRef, HostError, isUuid, XL_DIGEST_RE, type PowerAction } from './types.ts';

declare const validated: unique symbol;
/** An argv whose every element was produced or checked by a builder in this file. */
export type Argv = readonly string[] & { readonly [validated]: true };

const DEFAULT_XEN_CONFIG_DIR = '/etc/xen';
const DEFAULT_SYSFS_ROOT = '/sys/bus/xen-backend/devices';
/** Absolute path of plain characters: no spaces, quotes, globs or `..` segments. */
const SAFE_PATH_RE = /^\/[A-Za-z0-9_.\/-]*$/;

function argv(...parts: string[]): Argv {
  return Object.freeze(parts) as unknown as Argv;
}

/** Validates an absolute directory path that will travel as one argv element. */
export function assertSafePath(path: string, what: string): string {
  if (!SAFE_PATH_RE.test(path) || path.split('/').includes('..')) {
    throw new HostError('InvalidDomain', `${what} must be an absolute path of letters, digits, _ . / - (got ${JSON.stringify(path).slice(0, 80)})`);
  }
  return path;
}

/**
 * The one-round-trip sample: the constant script gets the sysfs root as `$1` and the known `xl list -l` digest
 * (or nothing) as `$2`, never spliced into it.
 */
export function sampleArgv(sysfsRoot: string = DEFAULT_SYSFS_ROOT, xlDigest?: string): Argv {
  if (xlDigest !== undefined && !XL_DIGEST_RE.test(xlDigest)) throw new HostError('InvalidDomain', `xl list digest must be 64 hex digits (got ${JSON.stringify(xlDigest).slice(0, 80)})`);
  return argv('sh', '-c', SAMPLE_SCRIPT, 'kamikazi-sample', assertSafePath(sysfsRoot, 'sysfs root'), xlDigest ?? '');
}

export function listDomainsArgv(): Argv {
  return argv('xl', 'list', '-l');
}

export function interfaceStatsArgv(): Argv {
  return argv('ovs-vsctl', '--format=json', `--columns=${OVS_COLUMNS}`, 'list', 'Interface');
}

/**
 * Power actions. A start needs the domain NAME (xl creates from `<configDir>/<name>.cfg`);
 * the others accept a UUID or name.
 */
export function powerArgv(domain: string, action: PowerAction, xenConfigDir: string = DEFAULT_XEN_CONFIG_DIR): Argv {
  const dom = assertDomainRef(domain);
  switch (action) {
    case 'start': {
      if (isUuid(dom)) {
        throw new HostError('InvalidDomain', `start needs the domain name (xl create reads <config dir>/<name>.cfg), got a UUID: ${dom}`);
      }
      return argv('xl', 'create', `${assertSafePath(xenConfigDir, 'Xen config dir')}/${dom}.cfg`);
    }
    case 'shutdown':
    case 'reboot':
    case 'destroy':
      return argv('xl', action, dom);
    default: {
      const never: never = action;
      throw new HostError('InvalidDomain', `unknown power action ${JSON.stringify(never)}`);
    }
  }
}

export function consoleArgv(domain: string): Argv {
  return argv('xl', 'console', assertDomainRef(domain));
}

/**
 * The ONLY place an argv becomes a shell string (the SSH protocol's exec request carries one string,
 * which the remote login shell parses). Every element is single-quoted, embedded `'` become `'\''`,
 * so the remote shell sees exactly the argv. Only `Argv` values from the builders above are accepted,
 * so nothing reaches here unvalidated; NUL bytes (which no shell can carry) are refused again.
 */
export function shellQuoteArgv(args: Argv): string {
  return args
    .map((a) => {
      if (a.includes('\0')) throw new HostError('InvalidDomain', 'argument contains a NUL byte');
      return `'${a.replaceAll("'", `'\\''`)}'`;
    })
    .join(' ');
}

/** xl's own words for "wrong state": see tools/xl (find_domain) and libxl_create.c (name clash). */
const XL_INVALID_STATE = [/is an invalid domain identifier/i, /already exists/i, /already running/i, /non-existent domain/i, /not running/i];

/** Maps a failed power command to the error the portal shows: wrong state vs. a broken host. */
export function powerFailure(action: PowerAction, domain: string, exit: number | null, stderr: string): HostError {
  const first = firstLine(stderr);
  const all = stderr.trim();
  if (XL_INVALID_STATE.some((re) => re.test(all))) {
    const why = action === 'start' ? 'is already running (or its name is taken)' : 'is not running';
    return new HostError('InvalidState', `cannot ${action} ${domain}: it ${why} (xl: ${first})`);
  }
  const how = exit === null ? 'was killed' : exit === 127 ? 'exited 127 (xl not found on the PATH)' : `exited ${exit}`;
  return new HostError('CommandFailed', `xl ${action === 'start' ? 'create' : action} ${domain} ${how}${first ? `: ${first}` : ''}`);
}

/** First non-empty stderr line, for errors that name what the tool said. */
export function firstLine(text: string): string {
  return text.split('\n').map((l) => l.trim()).find((l) => l.length > 0) ?? '';
}
