// The entries money movements post: capture (cash = revenue + tithe payable), refund/chargeback
// (reversing revenue and the tithe in proportion), tithe settlement (payable paid out of cash), and the
// tithe receivable's life: claimed when tithe already sent is reversed, recovered from upstream, or netted
// off a later settlement.
import type { Db } from '../../db/client.ts';
import { ACCOUNTS, cashAccount, titheReceivableAccount, type ProviderName } from './accounts.ts';
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
  /**
   * The part of `titheReversed` whose tithe was already sent upstream: owed back to us (tithe receivable)
   * instead of reducing the payable. 0 when nothing of this payment's tithe had been settled.
   */
  titheClaimed: bigint;
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
      { account: ACCOUNTS.tithePayable, debit: r.titheReversed - r.titheClaimed, currency: r.currency },
      { account: titheReceivableAccount(r.provider), debit: r.titheClaimed, currency: r.currency },
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
  /**
   * The part of `amount` that was still payable (default: all of it). The rest was no longer owed when the
   * money left (a refund landed while the transfer was in flight): it is owed back, a tithe receivable.
   */
  fromPayable?: bigint;
}

export function postTitheSettlement(db: Db, s: SettlementEntry) {
  const fromPayable = s.fromPayable ?? s.amount;
  return postEntry(db, {
    key: `tithe_settlement:${s.settlementId}`,
    kind: 'tithe_settlement',
    postedAt: s.at,
    paymentId: s.paymentId ?? null,
    memo: `tithe forwarded (${s.providerRef})`,
    meta: { providerRef: s.providerRef },
    lines: [
      { account: ACCOUNTS.tithePayable, debit: fromPayable, currency: s.currency },
      { account: titheReceivableAccount(s.provider), debit: s.amount - fromPayable, currency: s.currency },
      { account: cashAccount(s.provider), credit: s.amount, currency: s.currency },
    ],
  });
}

export interface NettingEntry {
  key: string;
  provider: ProviderName;
  amount: bigint;
  currency: string;
  at: Date;
  /** The payment whose payable is settled by offsetting (Stripe); null for a pooled payout. */
  paymentId?: string | null;
  memo: string;
}

/** Tithe owed to upstream settled by offsetting what upstream owes us: no money moves. */
export function postTitheNetting(db: Db, n: NettingEntry) {
  return postEntry(db, {
    key: `tithe_netting:${n.key}`,
    kind: 'tithe_netting',
    postedAt: n.at,
    paymentId: n.paymentId ?? null,
    memo: n.memo,
    lines: [
      { account: ACCOUNTS.tithePayable, debit: n.amount, currency: n.currency },
      { account: titheReceivableAccount(n.provider), credit: n.amount, currency: n.currency },
    ],
  });
}

export interface RecoveryEntry {
  recoveryId: string;
  provider: ProviderName;
  paymentId: string;
  amount: bigint;
  /**
   * The part of `amount` that settles a claim (default: all of it). Anything upstream gave back beyond what
   * we claimed is owed to upstream again: it goes back to the payable, never silently kept.
   */
  toReceivable?: bigint;
  currency: string;
  at: Date;
  providerRef: string;
}

/** Money taken back from upstream (transfer reversal, platform fee refunded) arrives in cash. */
export function postTitheRecovery(db: Db, r: RecoveryEntry) {
  const toReceivable = r.toReceivable ?? r.amount;
  return postEntry(db, {
    key: `tithe_recovery:${r.recoveryId}`,
    kind: 'tithe_recovery',
    postedAt: r.at,
    paymentId: r.paymentId,
    memo: `tithe recovered from upstream (${r.providerRef})`,
    meta: { providerRef: r.providerRef },
    lines: [
      { account: cashAccount(r.provider), debit: r.amount, currency: r.currency },
      { account: titheReceivableAccount(r.provider), credit: toReceivable, currency: r.currency },
      { account: ACCOUNTS.tithePayable, credit: r.amount - toReceivable, currency: r.currency },
    ],
  });
}
