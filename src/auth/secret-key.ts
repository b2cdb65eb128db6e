// Where the key for secrets at rest comes from: SECRET_KEY, or for the embedded database a key generated
// once and kept beside it (DATA_DIR/secret.key, mode 0600). With DATABASE_URL there is no such default:
// replicas must share one key, and a key generated on one machine would lock the others out.
import { chmodSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { ConfigError, parseSecretKey, type Config } from '../config.ts';

export const SECRET_KEY_FILE = 'secret.key';

export const MISSING_SECRET_KEY =
  'invalid configuration: SECRET_KEY is required with DATABASE_URL (it encrypts TOTP secrets at rest; every replica needs the same one). Generate it once with `openssl rand -hex 32` and keep it with your other secrets.';

/** The configured key, else (embedded database only) the one in DATA_DIR, created on first use. */
export function resolveSecretKey(config: Pick<Config, 'secretKey' | 'databaseUrl' | 'dataDir'>): Buffer | undefined {
  if (config.secretKey) return config.secretKey;
  if (config.databaseUrl) return undefined;
  return loadOrCreateKeyFile(join(config.dataDir, SECRET_KEY_FILE));
}

/** For `serve`: a service that could not decrypt what it stores must not start. */
export function requireSecretKey(config: Pick<Config, 'secretKey'>): Buffer {
  if (!config.secretKey) throw new ConfigError(MISSING_SECRET_KEY);
  return config.secretKey;
}

export function loadOrCreateKeyFile(path: string): Buffer {
  let text: string | undefined;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  if (text === undefined) {
    mkdirSync(join(path, '..'), { recursive: true });
    const fresh = randomBytes(32);
    // 'wx': never overwrite a key another process wrote a moment ago (then read theirs).
    try {
      writeFileSync(path, `${fresh.toString('hex')}\n`, { mode: 0o600, flag: 'wx' });
      return fresh;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      text = readFileSync(path, 'utf8');
    }
  }
  const key = parseSecretKey(text);
  if (!key) throw new ConfigError(`invalid secret key file ${path}: expected 64 hex digits (delete it only if nothing was encrypted with it)`);
  // A key others can read protects nothing: tighten it rather than refuse to start.
  if ((statSync(path).mode & 0o077) !== 0) chmodSync(path, 0o600);
  return key;
}
