// Refunds and chargebacks after the tithe was transferred: the proportional part of the Connect transfer is
// reversed (keyed, never more than the transfer has left); what cannot be reversed stays owed back by
// upstream and is netted off the next settlement, once. The ledger balances and the statement ties out.
// Each test bills in its own currency: the receivable is netted per currency, so tests do not share it.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { and, eq } from 'drizzle-orm';
import { titheSettlements } from '../../src/db/schema/payments.ts';
import { titheRecoveries } from '../../src/db/schema/tithe.ts';
import { chargeInvoice, savePaymentMethod } from '../../src/billing/payments/charge.ts';
import { refundPayment } from '../../src/billing/payments/refund.ts';
import { handleWebhook } from '../../src/billing/payments/webhooks.ts';
import { PaymentProviderError } from '../../src/billing/payments/provider.ts';
import { settleTithes } from '../../src/billing/tithe/settle.ts';
import { titheStatement } from '../../src/billing/tithe/statement.ts';
import { formatTitheStatement } from '../../src/billing/tithe/format.ts';
import { unbalancedEntries } from '../../src/billing/ledger/balances.ts';
import { paymentPayable, titheReceivable } from '../../src/billing/ledger/tithe-position.ts';
import { finalizedInvoice, startHarness, STRIPE_KEY, type Harness } from './support.ts';

let h: Harness;
beforeAll(async () => {
  h = await startHarness({ titheBps: 1000 });
  h.stripe.sink = (raw, headers) => handleWebhook(h.deps, 'stripe', raw, headers).then((r) => r.status);
});
afterAll(() => h.close());

async function paid(total: bigint, currency: string) {
  const inv = await finalizedInvoice(h, { total, currency });
  await savePaymentMethod(h.deps, { tenantId: inv.tenantId, provider: 'stripe', customerId: `cus_${currency}`, paymentMethodId: 'pm_card_visa', autopay: true });
  const { payment } = await chargeInvoice(h.deps, { invoiceId: inv.invoiceId });
  expect(payment.status).toBe('succeeded');
  return payment;
}

async function transferOf(paymentId: string) {
  const [s] = await h.deps.db.select().from(titheSettlements).where(and(eq(titheSettlements.paymentId, paymentId), eq(titheSettlements.status, 'sent')));
  return { settlement: s, transfer: h.stripe.transfers.get(s.providerRef!)! };
}

const recoveries = (paymentId: string) => h.deps.db.select().from(titheRecoveries).where(eq(titheRecoveries.paymentId, paymentId));

async function statementOk(currency: string) {
  const line = (await titheStatement(h.deps.db, '2026-03')).find((l) => l.currency === currency)!;
  expect(line.differences).toEqual({});
  expect(formatTitheStatement('2026-03', [line]).ok).toBe(true);
  expect(await unbalancedEntries(h.deps.db)).toEqual([]);
  return line;
}

describe('tithe recovery after settlement (Stripe)', () => {
  it('a refund after the transfer reverses its proportional part, keyed, once', async () => {
    const p = await paid(10_000n, 'USD'); // tithe 1000
    await settleTithes(h.deps);
    const { transfer } = await transferOf(p.id);
    expect(transfer.amount).toBe(1000);
    await refundPayment(h.deps, { paymentId: p.id, amount: 4_000n }); // 400 of tithe already sent
    expect(await paymentPayable(h.deps.db, p.id)).toBe(0n);
    expect(await titheReceivable(h.deps.db, 'stripe', 'USD')).toBe(400n);
    const r1 = await settleTithes(h.deps);
    expect(r1).toMatchObject({ recovered: 1, created: 0, netted: 0 });
    const rev = h.stripe.posts(`/v1/transfers/${transfer.id}/reversals`);
    expect(rev).toHaveLength(1);
    expect(rev[0].body).toEqual({ amount: '400' });
    expect(rev[0].headers['idempotency-key']).toBe(`tithe_reversal_${p.id}_1`);
    expect(transfer).toMatchObject({ amount_reversed: 400, reversed: false });
    expect(await titheReceivable(h.deps.db, 'stripe', 'USD')).toBe(0n);
    // Re-running recovers nothing more.
    expect(await settleTithes(h.deps)).toMatchObject({ recovered: 0, created: 0, sent: 0 });
    expect(h.stripe.posts(`/v1/transfers/${transfer.id}/reversals`)).toHaveLength(1);
    const line = await statementOk('USD');
    expect(line).toMatchObject({ earned: 1000n, reversed: 400n, claimed: 400n, sent: 1000n, recovered: 400n, netted: 0n, closingOwed: 0n, closingOwedBack: 0n });
    expect(formatTitheStatement('2026-03', [line]).text).toContain('recovered');
  });

  it('refunds before and after, and a chargeback: the transfer is reversed to exactly what remains', async () => {
    const p = await paid(10_000n, 'EUR'); // tithe 1000
    await refundPayment(h.deps, { paymentId: p.id, amount: 2_500n }); // 250 off the payable, nothing sent yet
    await settleTithes(h.deps);
    const { transfer } = await transferOf(p.id);
    expect(transfer.amount).toBe(750);
    await refundPayment(h.deps, { paymentId: p.id, amount: 3_333n }); // cumulative 5833 → 583; 333 back
    await h.stripe.dispute(p.providerChargeId!, 4_167); // the rest: 417 back
    expect(await titheReceivable(h.deps.db, 'stripe', 'EUR')).toBe(750n);
    expect(await settleTithes(h.deps)).toMatchObject({ recovered: 2 });
    expect(h.stripe.posts(`/v1/transfers/${transfer.id}/reversals`).map((r) => r.body.amount)).toEqual(['333', '417']);
    expect(transfer).toMatchObject({ amount_reversed: 750, reversed: true });
    expect(await titheReceivable(h.deps.db, 'stripe', 'EUR')).toBe(0n);
    const line = await statementOk('EUR');
    expect(line).toMatchObject({ earned: 1000n, reversed: 1000n, claimed: 750n, sent: 750n, recovered: 750n, closingOwed: 0n, closingOwedBack: 0n });
  });

  it('a transfer reversed elsewhere: the refusal leaves the amount owed back, netted once off the next transfer', async () => {
    const a = await paid(10_000n, 'GBP'); // tithe 1000
    await settleTithes(h.deps);
    const { transfer } = await transferOf(a.id);
    h.stripe.reverseTransferOutOfBand(String(transfer.id)); // someone reversed it in the Dashboard
    await refundPayment(h.deps, { paymentId: a.id, amount: 6_000n }); // 600 owed back
    const r = await settleTithes(h.deps);
    expect(r).toMatchObject({ recovered: 0, unrecoverable: 1 });
    const [rec] = await recoveries(a.id);
    expect(rec).toMatchObject({ status: 'failed', amount: 600n });
    expect(rec.lastError).toMatch(/fully reversed/);
    expect(await titheReceivable(h.deps.db, 'stripe', 'GBP')).toBe(600n);
    // Never retried: the next run neither reverses again nor loses it.
    await settleTithes(h.deps);
    expect(h.stripe.posts(`/v1/transfers/${transfer.id}/reversals`)).toHaveLength(1);
    expect(await titheReceivable(h.deps.db, 'stripe', 'GBP')).toBe(600n);
    // The next payment's tithe (250) is netted entirely; the one after (1000) pays the rest: 1000 − 350.
    const b = await paid(2_500n, 'GBP');
    expect(await settleTithes(h.deps)).toMatchObject({ netted: 1, created: 0, sent: 0 });
    expect(await paymentPayable(h.deps.db, b.id)).toBe(0n);
    expect(await titheReceivable(h.deps.db, 'stripe', 'GBP')).toBe(350n);
    const c = await paid(10_000n, 'GBP');
    expect(await settleTithes(h.deps)).toMatchObject({ netted: 1, created: 1, sent: 1 });
    expect((await transferOf(c.id)).transfer.amount).toBe(650);
    expect(await titheReceivable(h.deps.db, 'stripe', 'GBP')).toBe(0n);
    expect(await settleTithes(h.deps)).toMatchObject({ netted: 0, created: 0, sent: 0 });
    const line = await statementOk('GBP');
    // earned 1000 + 250 + 1000; reversed 600 (claimed); sent 1000 + 650; netted 600
    expect(line).toMatchObject({ earned: 2250n, reversed: 600n, claimed: 600n, sent: 1650n, recovered: 0n, netted: 600n, closingOwed: 0n, closingOwedBack: 0n });
  });

  it('a refused reversal (connected account short of balance) and a lost answer: retried with the same key', async () => {
    const p = await paid(20_000n, 'CHF'); // tithe 2000
    await settleTithes(h.deps);
    const { transfer } = await transferOf(p.id);
    await refundPayment(h.deps, { paymentId: p.id, amount: 5_000n }); // 500 back
    const stripe = h.deps.providers.get('stripe');
    const real = stripe.recoverTithe!.bind(stripe);
    stripe.recoverTithe = async (req) => {
      await real(req); // reversed, but the answer is lost
      throw new PaymentProviderError('Stripe: connection reset', true);
    };
    expect(await settleTithes(h.deps)).toMatchObject({ recovered: 0, unrecoverable: 0 });
    stripe.recoverTithe = real;
    expect(await settleTithes(h.deps)).toMatchObject({ recovered: 1 });
    const calls = h.stripe.posts(`/v1/transfers/${transfer.id}/reversals`);
    expect(calls.map((c) => [c.headers['idempotency-key'], c.replayed])).toEqual([
      [`tithe_reversal_${p.id}_1`, false],
      [`tithe_reversal_${p.id}_1`, true],
    ]);
    expect(transfer.amount_reversed).toBe(500);
    const [rec] = await recoveries(p.id);
    expect(rec).toMatchObject({ status: 'recovered', attempts: 2, amount: 500n });
    // A refusal for good (balance_insufficient) leaves the claim owed back, for netting.
    await refundPayment(h.deps, { paymentId: p.id, amount: 5_000n });
    h.stripe.refuseReversals = 'balance_insufficient';
    try {
      expect(await settleTithes(h.deps)).toMatchObject({ unrecoverable: 1 });
    } finally {
      h.stripe.refuseReversals = undefined;
    }
    expect(transfer.amount_reversed).toBe(500);
    expect(await titheReceivable(h.deps.db, 'stripe', 'CHF')).toBe(500n);
    await statementOk('CHF');
  });

  it('a reversal whose answer was lost stays pending and is not netted; the re-sent key brings it back once', async () => {
    const p = await paid(10_000n, 'SEK'); // tithe 1000
    await settleTithes(h.deps);
    await refundPayment(h.deps, { paymentId: p.id, amount: 3_000n }); // 300 back
    const q = await paid(5_000n, 'SEK'); // tithe 500, not yet sent
    const stripe = h.deps.providers.get('stripe');
    const real = stripe.recoverTithe!.bind(stripe);
    stripe.recoverTithe = async (req) => {
      await real(req);
      throw new PaymentProviderError('Stripe: socket hang up', true);
    };
    try {
      expect(await settleTithes(h.deps)).toMatchObject({ recovered: 0, netted: 0, created: 1, sent: 1 });
    } finally {
      stripe.recoverTithe = real;
    }
    expect((await transferOf(q.id)).transfer.amount).toBe(500); // the pending 300 was not netted off it
    expect(await settleTithes(h.deps)).toMatchObject({ recovered: 1, netted: 0 });
    expect((await transferOf(p.id)).transfer.amount_reversed).toBe(300);
    expect(await titheReceivable(h.deps.db, 'stripe', 'SEK')).toBe(0n);
    expect(await statementOk('SEK')).toMatchObject({ sent: 1500n, recovered: 300n, netted: 0n, closingOwedBack: 0n });
  });

  it('a refund landing while the transfer is in flight: the transfer goes out, the excess comes back', async () => {
    const p = await paid(10_000n, 'CAD'); // tithe 1000
    const stripe = h.deps.providers.get('stripe');
    const real = stripe.settleTithe.bind(stripe);
    stripe.settleTithe = async (req) => {
      // The refund is recorded after the settlement was queued at 1000, before its transfer is recorded.
      await refundPayment(h.deps, { paymentId: p.id, amount: 10_000n });
      return real(req);
    };
    try {
      expect(await settleTithes(h.deps)).toMatchObject({ created: 1, sent: 1 });
    } finally {
      stripe.settleTithe = real;
    }
    const { transfer } = await transferOf(p.id);
    expect(transfer.amount).toBe(1000);
    expect(await titheReceivable(h.deps.db, 'stripe', 'CAD')).toBe(1000n);
    expect(await settleTithes(h.deps)).toMatchObject({ recovered: 1 });
    expect(transfer).toMatchObject({ amount_reversed: 1000, reversed: true });
    const line = await statementOk('CAD');
    expect(line).toMatchObject({ earned: 1000n, reversed: 1000n, claimed: 1000n, sent: 1000n, recovered: 1000n, closingOwed: 0n, closingOwedBack: 0n });
  });
});

type FakeBody = Record<string, unknown> & { id: string; error: { type: string; message: string } };

describe('the Stripe fake serves transfer reversals as Stripe documents them', () => {
  const post = (path: string, body: string, key?: string) =>
    fetch(new URL(path, h.stripe.url), {
      method: 'POST',
      headers: { authorization: `Bearer ${STRIPE_KEY}`, 'content-type': 'application/x-www-form-urlencoded', ...(key ? { 'idempotency-key': key } : {}) },
      body,
    }).then(async (r) => ({ status: r.status, body: (await r.json()) as FakeBody }));

  it('needs an idempotency key, refuses more than remains, replays a key and refuses it with other parameters', async () => {
    const tr = await post('/v1/transfers', 'amount=500&currency=usd&destination=acct_1TitheReceiver', 'fake_tr_1');
    expect(tr.body).toMatchObject({ object: 'transfer', amount: 500, amount_reversed: 0, reversed: false });
    const path = `/v1/transfers/${tr.body.id}/reversals`;
    expect((await post(path, 'amount=100')).status).toBe(400);
    const over = await post(path, 'amount=501', 'fake_trr_1');
    expect(over.status).toBe(400);
    expect(over.body.error.message).toMatch(/greater than the unreversed amount/);
    const ok = await post(path, 'amount=300', 'fake_trr_2');
    expect(ok.body).toMatchObject({ object: 'transfer_reversal', amount: 300, currency: 'usd', transfer: tr.body.id });
    expect((await post(path, 'amount=300', 'fake_trr_2')).body.id).toBe(ok.body.id);
    expect((await post(path, 'amount=200', 'fake_trr_2')).body.error.type).toBe('idempotency_error');
    expect((await post(path, 'amount=201', 'fake_trr_3')).status).toBe(400);
    expect((await post(path, '', 'fake_trr_4')).body).toMatchObject({ amount: 200 }); // the rest by default
    expect(h.stripe.transfers.get(tr.body.id)).toMatchObject({ amount_reversed: 500, reversed: true });
    expect((await post(path, 'amount=1', 'fake_trr_5')).body.error.message).toMatch(/fully reversed/);
  });
});
