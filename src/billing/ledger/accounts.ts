// Ledger account names. Cash is per provider because each provider holds our balance separately.
export type ProviderName = 'stripe' | 'paypal';

export const ACCOUNTS = {
  receivable: 'receivable',
  revenue: 'revenue',
  tithePayable: 'tithe_payable',
  refunds: 'refunds',
  chargebacks: 'chargebacks',
  fees: 'fees',
} as const;

export function cashAccount(provider: ProviderName): string {
  return `cash:${provider}`;
}

/**
 * Tithe already sent upstream that a later refund or chargeback made owed back to us. Per provider because
 * it is recovered through that provider (a Stripe transfer reversal, a PayPal platform fee refund) or netted
 * off that provider's next settlement.
 */
export function titheReceivableAccount(provider: ProviderName): string {
  return `tithe_receivable:${provider}`;
}

const ACCOUNT_RE = /^(receivable|revenue|tithe_payable|refunds|chargebacks|fees|(cash|tithe_receivable):(stripe|paypal))$/;

export function assertAccount(name: string): string {
  if (!ACCOUNT_RE.test(name)) throw new Error(`unknown ledger account ${JSON.stringify(name)} (see billing/ledger/accounts.ts)`);
  return name;
}
