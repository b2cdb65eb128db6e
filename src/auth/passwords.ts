// Passwords: argon2id (OWASP's minimum parameters: 19 MiB, 2 passes, 1 lane) and a length rule.
import { hash, verify } from '@node-rs/argon2';
import { AuthError } from './errors.ts';

const OPTIONS = { memoryCost: 19456, timeCost: 2, parallelism: 1, outputLen: 32 } as const;
export const MIN_PASSWORD_LENGTH = 10;

export function checkPasswordRules(password: string): void {
  if (password.length < MIN_PASSWORD_LENGTH) {
    throw new AuthError('Validation', `password must be at least ${MIN_PASSWORD_LENGTH} characters`);
  }
  if (password.length > 256) throw new AuthError('Validation', 'password must be at most 256 characters');
}

export async function hashPassword(password: string): Promise<string> {
  checkPasswordRules(password);
  // algorithm 2 = Argon2id
  return hash(password, { ...OPTIONS, algorithm: 2 });
}

export async function verifyPassword(stored: string, password: string): Promise<boolean> {
  try {
    return await verify(stored, password);
  } catch {
    return false;
  }
}

/** A hash to verify against when the account does not exist, so timing does not reveal which emails exist. */
let dummy: Promise<string> | undefined;
export function dummyHash(): Promise<string> {
  dummy ??= hash('kamikazi-dummy-password', { ...OPTIONS, algorithm: 2 });
  return dummy;
}
