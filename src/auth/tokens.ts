// Random secrets and their stored form: tokens are 160 random bits in lower-case base32; only SHA-256 is kept.
import { encodeBase32LowerCaseNoPadding } from '@oslojs/encoding';
import { hash, timingSafeEqual } from 'node:crypto';

export function generateToken(): string {
  const bytes = new Uint8Array(20);
  crypto.getRandomValues(bytes);
  return encodeBase32LowerCaseNoPadding(bytes);
}

/** The only form of a token that reaches the database. */
export function hashToken(token: string): string {
  // One-shot native hashing (no Hash object): it runs on every API request and every portal page.
  return hash('sha256', token, 'hex');
}

/** Constant-time string comparison (CSRF tokens). */
export function safeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}
