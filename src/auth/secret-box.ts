// Secrets at rest: AES-256-GCM with a random 96-bit nonce per value and associated data naming the row the
// value belongs to, so a ciphertext copied onto another user's row does not decrypt.
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

/** Stored form: `enc:v1:<nonce base64url>:<ciphertext+tag base64url>`. The version lets a later key or scheme coexist. */
const PREFIX = 'enc:v1:';

export class SecretBoxError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SecretBoxError';
  }
}

export const isSealed = (stored: string): boolean => stored.startsWith(PREFIX);

export function seal(key: Buffer, plaintext: string, aad: string): string {
  if (key.length !== 32) throw new SecretBoxError('the secret key must be 32 bytes');
  const nonce = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key, nonce);
  cipher.setAAD(Buffer.from(aad, 'utf8'));
  const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final(), cipher.getAuthTag()]);
  return `${PREFIX}${nonce.toString('base64url')}:${body.toString('base64url')}`;
}

export function open(key: Buffer, stored: string, aad: string): string {
  if (!isSealed(stored)) throw new SecretBoxError('not an encrypted value');
  const [nonceB64, bodyB64] = stored.slice(PREFIX.length).split(':');
  const nonce = Buffer.from(nonceB64 ?? '', 'base64url');
  const body = Buffer.from(bodyB64 ?? '', 'base64url');
  if (nonce.length !== 12 || body.length < 16) throw new SecretBoxError('the encrypted value is malformed');
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, nonce);
    decipher.setAAD(Buffer.from(aad, 'utf8'));
    decipher.setAuthTag(body.subarray(body.length - 16));
    return Buffer.concat([decipher.update(body.subarray(0, body.length - 16)), decipher.final()]).toString('utf8');
  } catch {
    throw new SecretBoxError('the encrypted value does not open with this SECRET_KEY (was the key changed?)');
  }
}
