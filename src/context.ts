// The service context: built once at start, passed to every verb. Tests build the same shape with fakes.
import type { Clock } from './clock.ts';
import type { Config } from './config.ts';
import type { Db } from './db/client.ts';
import type { Logger } from './log.ts';
import type { HostAdapter } from './hosts/types.ts';
import type { HostRecord } from './hosts/registry.ts';
import type { Mailer } from './auth/mailer.ts';
import type { ProviderRegistry } from './billing/payments/deps.ts';

export interface AppContext {
  db: Db;
  clock: Clock;
  log: Logger;
  config: Config;
  /** Gives the adapter for a host row (connections are cached per host). */
  hosts: AdapterProvider;
  /** Payment providers configured at start (Stripe and/or PayPal); empty when none is configured. */
  payments: ProviderRegistry;
  /** Outgoing mail (password resets); the portal falls back to the log mailer when absent. */
  mailer?: Mailer;
}

export interface AdapterProvider {
  adapterFor(host: HostRecord): HostAdapter;
  /** Drop a cached adapter (after a host is edited or removed). */
  forget(hostId: string): Promise<void>;
  closeAll(): Promise<void>;
}
