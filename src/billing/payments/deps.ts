// What payment verbs need: the app context's db/clock/log, the payments config and the providers chosen at start.
import type { Clock } from '../../clock.ts';
import type { PaymentsConfig } from '../../config.ts';
import type { AdapterProvider, AppContext } from '../../context.ts';
import type { Db } from '../../db/client.ts';
import type { Logger } from '../../log.ts';
import type { PaymentProvider, ProviderName } from './provider.ts';

export interface ProviderRegistry {
  get(name: ProviderName): PaymentProvider;
  has(name: string): name is ProviderName;
}

export interface PaymentsDeps {
  db: Db;
  clock: Clock;
  log: Logger;
  payments: PaymentsConfig;
  providers: ProviderRegistry;
  /** Host adapters, for dunning suspensions (optional: without them dunning never suspends). */
  hosts?: AdapterProvider;
}

/** The payments view of the service context (the providers were built once, at start). */
export function paymentsDeps(ctx: AppContext): PaymentsDeps {
  return { db: ctx.db, clock: ctx.clock, log: ctx.log, payments: ctx.config.payments, providers: ctx.payments, hosts: ctx.hosts };
}

export class PaymentError extends Error {
  constructor(
    readonly code: 'NotFound' | 'NotPayable' | 'NoPaymentMethod' | 'InvalidAmount' | 'ProviderNotConfigured' | 'AmountMismatch' | 'OutOfOrder' | 'NotSupported',
    message: string,
  ) {
    super(message);
    this.name = 'PaymentError';
  }
}
