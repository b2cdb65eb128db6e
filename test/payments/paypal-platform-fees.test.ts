// PayPal routes the tithe at capture as a platform fee (`payment_instruction.platform_fees`, paid to the
// tithe payee): the fake checks its amount, currency and payee on order creation and capture; the ledger
// records the tithe as settled at capture whichever report comes first; a refund asks for the fee back in
// proportion, and without that capability the fee stays owed back. Payouts mode nets what is owed back.
// Each test bills in its own currency: the tithe is pooled per currency for PayPal.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { and, eq } from 'drizzle-orm';
import { payments, titheSettlements } from '../../src/db/schema/payments.ts';
import { titheRecoveries } from '../../src/db/schema/tithe.ts';
import { capturePayment, startCheckout } from '../../src/billing/payments/charge.ts';
import { refundPayment } from '../../src/billing/payments/refund.ts';
import { handleWebhook } from '../../src/billing/payments/webhooks.ts';
import { settleTithes } from '../../src/billing/tithe/settle.ts';
import { titheStatement } from '../../src/billing/tithe/statement.ts';
import { formatTitheStatement } from '../../src/billing/tithe/format.ts';
import { unbalancedEntries } from '../../src/billing/ledger/balances.ts';
import { paymentPayable, providerPayable, titheReceivable } from '../../src/billing/ledger/tithe-position.ts';
import { finalizedInvoice, startHarness, type Harness } from './support.ts';

const PAYEE = 'tithe@example.org';

async function paidByPayPal(h: Harness, total: bigint, currency: string) {
  const { invoiceId } = await finalizedInvoice(h, { total, currency, provider: 'paypal' });
  const co = await startCheckout(h.deps, { invoiceId });
  await h.paypal.approve(co.payment.providerPaymentId!);
  const [p] = await h.deps.db.select().from(payments).where(eq(payments.id, co.payment.id));
  expect(p.status).toBe('succeeded');
  return p;
}

async function statementOk(h: Harness, currency: string) {
  const line = (await titheStatement(h.deps.db, '2026-03')).find((l) => l.currency === currency)!;
  expect(line.differences).toEqual({});
  expect(formatTitheStatement('2026-03', [line]).ok).toBe(true);
  expect(await unbalancedEntries(h.deps.db)).toEqual([]);
  return line;
}

const feeSettlements = (h: Harness, paymentId: string) =>
  h.deps.db.select().from(titheSettlements).where(and(eq(titheSettlements.paymentId, paymentId), eq(titheSettlements.method, 'paypal_platform_fee')));

describe('PayPal platform fees', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ titheBps: 700, paypalTitheMode: 'platform_fees' });
    h.paypal.platformFeePayee = PAYEE;
    h.paypal.sink = (raw, headers) => handleWebhook(h.deps, 'paypal', raw, headers).then((r) => r.status);
  });
  afterAll(() => h.close());

  it('the order carries the tithe as platform fee to the payee; the fake refuses a wrong payee or a fee above the amount', async () => {
    const { invoiceId } = await finalizedInvoice(h, { total: 10_000n, currency: 'USD', provider: 'paypal' });
    await startCheckout(h.deps, { invoiceId });
    const [create] = h.paypal.posts(/^\/v2\/checkout\/orders$/).filter((r) => (r.body.purchase_units as Array<{ reference_id: string }>)[0].reference_id === invoiceId);
    expect((create.body.purchase_units as Array<Record<string, unknown>>)[0].payment_instruction).toEqual({
      platform_fees: [{ amount: { currency_code: 'USD', value: '7.00' }, payee: { email_address: PAYEE } }],
    });

    h.paypal.platformFeePayee = 'someone-else@example.org';
    try {
      const other = await finalizedInvoice(h, { total: 10_000n, currency: 'USD', provider: 'paypal' });
      await expect(startCheckout(h.deps, { invoiceId: other.invoiceId })).rejects.toThrow(/INVALID_PLATFORM_FEES_ACCOUNT/);
    } finally {
      h.paypal.platformFeePayee = PAYEE;
    }
    const provider = h.deps.providers.get('paypal');
    const req = { paymentId: 'x', invoiceId: 'inv-fee-too-big', tenantId: 't', amount: 500n, currency: 'USD', description: 'fee too big', idempotencyKey: 'fee_too_big', successUrl: 'https://x/ok', cancelUrl: 'https://x/no' };
    await expect(provider.createCheckout({ ...req, titheAtCapture: 501n })).rejects.toThrow(/INVALID_PLATFORM_FEES_AMOUNT/);
    h.paypal.platformFeesEnabled = false;
    try {
      await expect(provider.createCheckout({ ...req, idempotencyKey: 'fee_disabled', titheAtCapture: 50n })).rejects.toThrow(/PLATFORM_FEES_NOT_SUPPORTED/);
    } finally {
      h.paypal.platformFeesEnabled = true;
    }
  });

  it('capture: the tithe is settled at capture, once, when the webhook comes first', async () => {
    const p = await paidByPayPal(h, 10_000n, 'EUR');
    const [capture] = h.paypal.posts(/\/capture$/).filter((r) => r.path.includes(p.providerPaymentId!));
    expect(capture.replayed).toBe(false);
    const fees = await feeSettlements(h, p.id);
    expect(fees).toHaveLength(1);
    expect(fees[0]).toMatchObject({ status: 'sent', amount: 700n, currency: 'EUR', providerRef: p.providerChargeId });
    expect(await paymentPayable(h.deps.db, p.id)).toBe(0n);
    expect(await settleTithes(h.deps)).toMatchObject({ created: 0, sent: 0 });
    const line = await statementOk(h, 'EUR');
    expect(line).toMatchObject({ earned: 700n, sent: 700n, closingOwed: 0n, closingOwedBack: 0n });
  });

  it('capture: settled at capture when the API answer comes first; the late webhook changes nothing', async () => {
    const { invoiceId } = await finalizedInvoice(h, { total: 20_000n, currency: 'GBP', provider: 'paypal' });
    const co = await startCheckout(h.deps, { invoiceId });
    h.paypal.autoDeliver = false;
    try {
      await h.paypal.approve(co.payment.providerPaymentId!);
      const res = await capturePayment(h.deps, { paymentId: co.payment.id });
      expect(res.outcome).toBe('captured');
      expect(await feeSettlements(h, co.payment.id)).toHaveLength(1);
      const completed = h.paypal.events.filter((e) => e.event_type === 'PAYMENT.CAPTURE.COMPLETED').at(-1)!;
      expect(await h.paypal.deliver(completed)).toBe(200);
    } finally {
      h.paypal.autoDeliver = true;
    }
    const fees = await feeSettlements(h, co.payment.id);
    expect(fees.map((f) => f.amount)).toEqual([1400n]);
    expect(await statementOk(h, 'GBP')).toMatchObject({ earned: 1400n, sent: 1400n, closingOwed: 0n });
  });

  it('capture: the webhook alone (the API answer was lost) records the fee from its seller_receivable_breakdown', async () => {
    const { invoiceId } = await finalizedInvoice(h, { total: 5_000n, currency: 'AUD', provider: 'paypal' });
    const co = await startCheckout(h.deps, { invoiceId });
    h.paypal.autoDeliver = false;
    try {
      await h.paypal.approve(co.payment.providerPaymentId!);
      await h.deps.providers.get('paypal').capture({ providerPaymentId: co.payment.providerPaymentId!, idempotencyKey: `cap_${co.payment.id}` });
      const completed = h.paypal.events.filter((e) => e.event_type === 'PAYMENT.CAPTURE.COMPLETED').at(-1)!;
      expect((completed.resource as { seller_receivable_breakdown: unknown }).seller_receivable_breakdown).toEqual({
        gross_amount: { currency_code: 'AUD', value: '50.00' },
        platform_fees: [{ amount: { currency_code: 'AUD', value: '3.50' }, payee: { email_address: PAYEE } }],
        net_amount: { currency_code: 'AUD', value: '46.50' },
      });
      expect(await h.paypal.deliver(completed)).toBe(200);
    } finally {
      h.paypal.autoDeliver = true;
    }
    const [p] = await h.deps.db.select().from(payments).where(eq(payments.id, co.payment.id));
    expect(p.status).toBe('succeeded');
    expect((await feeSettlements(h, p.id)).map((f) => f.amount)).toEqual([350n]);
    expect(await statementOk(h, 'AUD')).toMatchObject({ earned: 350n, sent: 350n, closingOwed: 0n });
  });

  it('refunds take the proportional platform fee back; in parts they return exactly the whole fee', async () => {
    const p = await paidByPayPal(h, 10_000n, 'CHF'); // fee 700
    for (const amount of [3_333n, 3_333n, 3_334n]) await refundPayment(h.deps, { paymentId: p.id, amount });
    const reqs = h.paypal.posts(/\/refund$/).filter((r) => r.path.includes(p.providerChargeId!));
    expect(reqs.map((r) => [r.headers['paypal-request-id'], (r.body.payment_instruction as { platform_fees: Array<{ amount: { value: string } }> }).platform_fees[0].amount.value])).toEqual([
      [`refund_${p.id}_1`, '2.33'],
      [`refund_${p.id}_2`, '2.34'],
      [`refund_${p.id}_3`, '2.33'],
    ]);
    expect(h.paypal.captures.get(p.providerChargeId!)).toMatchObject({ fee: '700', feeRefunded: '700', refunded: '10000' });
    const rec = await h.deps.db.select().from(titheRecoveries).where(eq(titheRecoveries.paymentId, p.id));
    expect(rec.map((r) => [r.method, r.status, r.amount])).toEqual([
      ['paypal_fee_refund', 'recovered', 233n],
      ['paypal_fee_refund', 'recovered', 234n],
      ['paypal_fee_refund', 'recovered', 233n],
    ]);
    expect(await titheReceivable(h.deps.db, 'paypal', 'CHF')).toBe(0n);
    const line = await statementOk(h, 'CHF');
    expect(line).toMatchObject({ earned: 700n, reversed: 700n, claimed: 700n, sent: 700n, recovered: 700n, closingOwed: 0n, closingOwedBack: 0n });
  });

  it('without the capability the customer is refunded anyway and the fee stays owed back; a dispute adds to it', async () => {
    const p = await paidByPayPal(h, 10_000n, 'CAD'); // fee 700
    h.paypal.platformFeeRefundsEnabled = false;
    try {
      await refundPayment(h.deps, { paymentId: p.id, amount: 5_000n });
    } finally {
      h.paypal.platformFeeRefundsEnabled = true;
    }
    const reqs = h.paypal.posts(/\/refund$/).filter((r) => r.path.includes(p.providerChargeId!));
    expect(reqs.map((r) => [r.headers['paypal-request-id'], r.body.payment_instruction !== undefined])).toEqual([
      [`refund_${p.id}_1`, true],
      [`refund_${p.id}_1_nofee`, false],
    ]);
    const [rec] = await h.deps.db.select().from(titheRecoveries).where(eq(titheRecoveries.paymentId, p.id));
    expect(rec).toMatchObject({ status: 'canceled', amount: 350n });
    expect(rec.lastError).toMatch(/PLATFORM_FEE_NOT_ENABLED/);
    expect(await titheReceivable(h.deps.db, 'paypal', 'CAD')).toBe(350n);
    await h.paypal.dispute(p.providerChargeId!, '20.00', 'CAD'); // 140 more
    expect(await titheReceivable(h.deps.db, 'paypal', 'CAD')).toBe(490n);
    const line = await statementOk(h, 'CAD');
    expect(line).toMatchObject({ earned: 700n, reversed: 490n, claimed: 490n, sent: 700n, recovered: 0n, closingOwed: 0n, closingOwedBack: 490n });
    expect(formatTitheStatement('2026-03', [line]).text).toContain('owed back by upstream at end 4.90');

    // The next order's platform fee is lowered by what upstream owes back; its capture nets the rest.
    const { invoiceId } = await finalizedInvoice(h, { total: 10_000n, currency: 'CAD', provider: 'paypal' });
    const co = await startCheckout(h.deps, { invoiceId });
    const [create] = h.paypal.posts(/^\/v2\/checkout\/orders$/).filter((r) => (r.body.purchase_units as Array<{ reference_id: string }>)[0].reference_id === invoiceId);
    expect((create.body.purchase_units as Array<{ payment_instruction: { platform_fees: Array<{ amount: { value: string } }> } }>)[0].payment_instruction.platform_fees[0].amount.value).toBe('2.10');
    await h.paypal.approve(co.payment.providerPaymentId!);
    expect((await feeSettlements(h, co.payment.id)).map((f) => f.amount)).toEqual([210n]);
    expect(await titheReceivable(h.deps.db, 'paypal', 'CAD')).toBe(0n);
    expect(await providerPayable(h.deps.db, 'paypal', 'CAD')).toBe(0n);
    const after = await statementOk(h, 'CAD');
    expect(after).toMatchObject({ earned: 1400n, sent: 910n, netted: 490n, closingOwed: 0n, closingOwedBack: 0n });
  });
});

describe('PayPal payouts: tithe owed back after a payout is netted off the next one', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ titheBps: 700, paypalTitheMode: 'payouts' });
    h.paypal.sink = (raw, headers) => handleWebhook(h.deps, 'paypal', raw, headers).then((r) => r.status);
  });
  afterAll(() => h.close());

  it('refund after the payout → owed back; the next day pays out only the difference', async () => {
    const a = await paidByPayPal(h, 10_000n, 'EUR'); // 700
    expect(await settleTithes(h.deps)).toMatchObject({ created: 1, sent: 1 });
    await refundPayment(h.deps, { paymentId: a.id, amount: 10_000n });
    const [refund] = h.paypal.posts(/\/refund$/);
    expect(refund.body.payment_instruction).toBeUndefined(); // no platform fee was routed
    expect(await providerPayable(h.deps.db, 'paypal', 'EUR')).toBe(0n);
    expect(await titheReceivable(h.deps.db, 'paypal', 'EUR')).toBe(700n);
    expect(await settleTithes(h.deps)).toMatchObject({ created: 0, netted: 0 });
    await paidByPayPal(h, 30_000n, 'EUR'); // 2100
    h.clock.set(new Date('2026-03-06T10:00:00Z'));
    expect(await settleTithes(h.deps)).toMatchObject({ netted: 1, created: 1, sent: 1 });
    const payouts = h.paypal.posts(/\/v1\/payments\/payouts$/);
    expect(payouts.map((p) => [(p.body.sender_batch_header as { sender_batch_id: string }).sender_batch_id, (p.body.items as Array<{ amount: { value: string } }>)[0].amount.value])).toEqual([
      ['tithe_paypal_EUR_20260305', '7.00'],
      ['tithe_paypal_EUR_20260306', '14.00'],
    ]);
    expect(await titheReceivable(h.deps.db, 'paypal', 'EUR')).toBe(0n);
    expect(await providerPayable(h.deps.db, 'paypal', 'EUR')).toBe(0n);
    const line = await statementOk(h, 'EUR');
    expect(line).toMatchObject({ earned: 2800n, reversed: 700n, claimed: 700n, sent: 2100n, netted: 700n, closingOwed: 0n, closingOwedBack: 0n });
  });
});
