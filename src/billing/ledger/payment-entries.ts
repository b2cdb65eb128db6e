// The entries money movements post: capture (cash = revenue + tithe payable), refund/chargeback
// (reversing revenue and the tithe in proportion) and tithe settlement (payable paid out of cash).
import type { Db } from '../../db/client.ts';
import { ACCOUNTS, cashAccount, type ProviderName } from './accounts.ts';
import { postEntry } from './post.ts';

export interface CaptureEntry {
  paymentId: string;
  tenantId: string;
  invoiceId: string;
  provider: ProviderName;
  amount: bigint;
  tithe: bigint;
  currency: string;
  at: Date;
}

export function postCapture(db: Db, c: CaptureEntry) {
  return postEntry(db, {
    key: `capture:${c.paymentId}`,
    kind: 'capture',
    postedAt: c.at,
    tenantId: c.tenantId,
    paymentId: c.paymentId,
    memo: `payment captured for invoice ${c.invoiceId}`,
    meta: { invoiceId: c.invoiceId },
    lines: [
      { account: cashAccount(c.provider), debit: c.amount, currency: c.currency },
      { account: ACCOUNTS.revenue, credit: c.amount - c.tithe, currency: c.currency },
      { account: ACCOUNTS.tithePayable, credit: c.tithe, currency: c.currency },
    ],
  });
}

export interface ReversalEntry {
  reversalId: string;
  kind: 'refund' | 'chargeback';
  paymentId: string;
  tenantId: string;
  provider: ProviderName;
  amount: bigint;
  titheReversed: bigint;
  currency: string;
  at: Date;
}

export function postReversal(db: Db, r: ReversalEntry) {
  return postEntry(db, {
    key: `${r.kind}:${r.reversalId}`,
    kind: r.kind,
    postedAt: r.at,
    tenantId: r.tenantId,
    paymentId: r.paymentId,
    memo: `${r.kind} of ${r.amount} ${r.currency}`,
    lines: [
      { account: r.kind === 'refund' ? ACCOUNTS.refunds : ACCOUNTS.chargebacks, debit: r.amount - r.titheReversed, currency: r.currency },
      { account: ACCOUNTS.tithePayable, debit: r.titheReversed, currency: r.currency },
      { account: cashAccount(r.provider), credit: r.amount, currency: r.currency },
    ],
  });
}

export interface SettlementEntry {
  settlementId: string;
  provider: ProviderName;
  amount: bigint;
  currency: string;
  at: Date;
  paymentId?: string | null;
  providerRef: string;
}

export function postTitheSettlement(db: Db, s: SettlementEntry) {
  return postEntry(db, {
    key: `tithe_settlement:${s.settlementId}`,
    kind: 'tithe_settlement',
    postedAt: s.at,
    paymentId: s.paymentId ?? null,
    memo: `tithe forwarded (${s.providerRef})`,
    meta: { providerRef: s.providerRef },
    lines: [
      { account: ACCOUNTS.tithePayable, debit: s.amount, currency: s.currency },
      { account: cashAccount(s.provider), credit: s.amount, currency: s.currency },
    ],
  });
}
