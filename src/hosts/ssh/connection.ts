// One lazily opened, reused SSH connection per host: pinned host key, key auth, keepalive, no Nagle.
// Concurrent callers share the pending connect; an error or close drops it so the next call reconnects.
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { Client } from 'ssh2';
import type { Logger } from '../../log.ts';
import { HostError } from '../types.ts';

export interface SshTarget {
  /** For messages and logs (the host's inventory name or its address). */
  label: string;
  address: string;
  port: number;
  username: string;
  keyPath: string;
  /** OpenSSH fingerprint `SHA256:<base64 without padding>` (what `ssh-keygen -lf` prints). */
  hostKey: string;
}

export interface SshConnectOptions {
  connectTimeoutMs: number;
  keepaliveIntervalMs: number;
}

/** OpenSSH's fingerprint of a wire-format public key blob: SHA256, base64, padding stripped. */
export function sshFingerprint(keyBlob: Buffer): string {
  return `SHA256:${createHash('sha256').update(keyBlob).digest('base64').replace(/=+$/, '')}`;
}

export class SshConnection {
  private client: Client | null = null;
  private pending: Promise<Client> | null = null;
  /** Counts TCP connections made, so tests and logs can see reuse. */
  connects = 0;

  constructor(
    private readonly target: SshTarget,
    private readonly options: SshConnectOptions,
    private readonly log: Logger,
  ) {}

  /** True while a ready connection is held (false after an error or close until the next call). */
  get connected(): boolean {
    return this.client !== null;
  }

  /** The ready client, connecting (once, shared by concurrent callers) if needed. */
  get(): Promise<Client> {
    if (this.client) return Promise.resolve(this.client);
    if (!this.pending) {
      this.pending = this.connect().finally(() => {
        this.pending = null;
      });
    }
    return this.pending;
  }

  /** Forget a connection that misbehaved so the next call starts a fresh one. */
  drop(client: Client): void {
    if (this.client === client) this.client = null;
    client.end();
  }

  async close(): Promise<void> {
    const pending = this.pending;
    if (pending) await pending.catch(() => undefined);
    const client = this.client;
    this.client = null;
    if (!client) return;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        client.destroy();
        resolve();
      }, 2000);
      client.once('close', () => {
        clearTimeout(timer);
        resolve();
      });
      client.end();
    });
  }

  private async connect(): Promise<Client> {
    const t = this.target;
    let privateKey: Buffer;
    try {
      privateKey = await readFile(t.keyPath);
    } catch (err) {
      throw new HostError('HostUnreachable', `${t.label}: cannot read the SSH private key ${t.keyPath}: ${(err as Error).message}`, { cause: err });
    }
    const client = new Client();
    this.connects++;
    let offered: string | null = null;
    let keyRejected = false;
    return new Promise<Client>((resolve, reject) => {
      let ready = false;
      client.on('ready', () => {
        ready = true;
        client.setNoDelay(true);
        this.client = client;
        this.log.debug({ host: t.label, connects: this.connects }, 'ssh connected');
        resolve(client);
      });
      client.on('error', (err: Error & { level?: string; code?: string }) => {
        if (!ready) {
          reject(this.mapConnectError(err, keyRejected, offered));
          return;
        }
        this.log.warn({ host: t.label, err: err.message }, 'ssh connection error; will reconnect on next use');
        if (this.client === client) this.client = null;
      });
      client.on('close', () => {
        if (this.client === client) this.client = null;
        if (!ready) reject(new HostError('HostUnreachable', `${t.label}: ${t.address}:${t.port} closed the connection during the SSH handshake`));
      });
      client.connect({
        host: t.address,
        port: t.port,
        username: t.username,
        privateKey,
        readyTimeout: this.options.connectTimeoutMs,
        keepaliveInterval: this.options.keepaliveIntervalMs,
        keepaliveCountMax: 3,
        // Without hostHash, ssh2 hands over the raw key blob, which we hash the way OpenSSH does.
        hostVerifier: (key: Buffer) => {
          offered = sshFingerprint(key);
          keyRejected = offered !== t.hostKey;
          return !keyRejected;
        },
      });
    });
  }

  private mapConnectError(err: Error & { level?: string; code?: string }, keyRejected: boolean, offered: string | null): HostError {
    const t = this.target;
    const where = `${t.address}:${t.port}`;
    if (keyRejected) {
      return new HostError(
        'HostKeyMismatch',
        `${t.label}: host key of ${where} does not match the pinned one: expected ${t.hostKey}, offered ${offered}. ` +
          `If the host was legitimately re-keyed, verify the new key out of band (ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub on the host) ` +
          `and update it: kamikazi hosts add ${t.label} ... --host-key ${offered}`,
        { cause: err },
      );
    }
    if (err.level === 'client-timeout') {
      return new HostError('HostTimeout', `${t.label}: no SSH handshake with ${where} within ${this.options.connectTimeoutMs} ms`, { cause: err });
    }
    if (err.level === 'client-authentication') {
      return new HostError(
        'HostUnreachable',
        `${t.label}: ${where} refused key authentication as ${t.username} with ${t.keyPath} (is its public key in ~${t.username}/.ssh/authorized_keys?)`,
        { cause: err },
      );
    }
    return new HostError('HostUnreachable', `${t.label}: cannot connect to ${where}: ${err.code ?? err.message}`, { cause: err });
  }
}
