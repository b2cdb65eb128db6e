// Tithe settlement (Stripe Connect transfers funded by the charge, PayPal payouts) is idempotent and
// retried; the monthly statement ties out to the ledger and the operational records.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eq } from 'drizzle-orm';
import { titheSettlements } from '../../src/db/schema/payments.ts';
import { chargeInvoice, savePaymentMethod, startCheckout } from '../../src/billing/payments/charge.ts';
import { refundPayment } from '../../src/billing/payments/refund.ts';
import { handleWebhook } from '../../src/billing/payments/webhooks.ts';
import { settleTithes } from '../../src/billing/tithe/settle.ts';
import { titheStatement } from '../../src/billing/tithe/statement.ts';
import { formatTitheStatement } from '../../src/billing/tithe/format.ts';
import { finalizedInvoice, startHarness, TITHE_ACCT, type Harness } from './support.ts';

let h: Harness;
beforeAll(async () => {
  h = await startHarness({ titheBps: 700 });
  h.stripe.sink = (raw, headers) => handleWebhook(h.deps, 'stripe', raw, headers).then((r) => r.status);
  h.paypal.sink = (raw, headers) => handleWebhook(h.deps, 'paypal', raw, headers).then((r) => r.status);
});
afterAll(() => h.close());

describe('tithe settlement', () => {
  it('Stripe: one transfer per payment from its charge, net of refunds; re-running sends nothing new', async () => {
    const a = await finalizedInvoice(h, { total: 10_000n });
    await savePaymentMethod(h.deps, { tenantId: a.tenantId, provider: 'stripe', customerId: 'cus_1', paymentMethodId: 'pm_card_visa', autopay: true });
    const { payment } = await chargeInvoice(h.deps, { invoiceId: a.invoiceId });
    expect(payment.titheAmount).toBe(700n);
    await refundPayment(h.deps, { paymentId: payment.id, amount: 5_000n }); // reverses 350
    const first = await settleTithes(h.deps);
    expect(first).toMatchObject({ created: 1, sent: 1, failed: 0, recovered: 0, netted: 0 });
    const second = await settleTithes(h.deps);
    expect(second).toMatchObject({ created: 0, sent: 0, failed: 0, recovered: 0, netted: 0 });
    const tr = h.stripe.posts('/v1/transfers');
    expect(tr).toHaveLength(1);
    expect(tr[0].body).toMatchObject({ amount: '350', currency: 'usd', destination: TITHE_ACCT, source_transaction: payment.providerChargeId, transfer_group: `tithe_${payment.id}` });
    expect(tr[0].headers['idempotency-key']).toBe(`tithe_${payment.id}`);
  });

  it('a failed transfer stays pending and is retried with the same key', async () => {
    const a = await finalizedInvoice(h, { total: 2_000n });
    await savePaymentMethod(h.deps, { tenantId: a.tenantId, provider: 'stripe', customerId: 'cus_2', paymentMethodId: 'pm_card_visa', autopay: true });
    const { payment } = await chargeInvoice(h.deps, { invoiceId: a.invoiceId });
    const provider = h.deps.providers.get('stripe');
    const real = provider.settleTithe.bind(provider);
    provider.settleTithe = async (req) => {
      await real(req); // the transfer happened but the answer was lost
      throw new Error('connection reset');
    };
    expect((await settleTithes(h.deps)).failed).toBe(1);
    provider.settleTithe = real;
    expect((await settleTithes(h.deps)).sent).toBe(1);
    const tr = h.stripe.posts('/v1/transfers').filter((r) => r.body.source_transaction === payment.providerChargeId);
    expect(tr.map((r) => [r.headers['idempotency-key'], r.replayed])).toEqual([
      [`tithe_${payment.id}`, false],
      [`tithe_${payment.id}`, true],
    ]);
    const [s] = await h.deps.db.select().from(titheSettlements).where(eq(titheSettlements.paymentId, payment.id));
    expect(s).toMatchObject({ status: 'sent', attempts: 2, amount: 140n });
  });

  it('PayPal payouts: one batch per currency and day with sender_batch_id = our key', async () => {
    const a = await finalizedInvoice(h, { total: 3_000n, provider: 'paypal' });
    const co = await startCheckout(h.deps, { invoiceId: a.invoiceId });
    await h.paypal.approve(co.payment.providerPaymentId!);
    const r = await settleTithes(h.deps);
    expect(r.sent).toBe(1);
    const [po] = h.paypal.posts(/\/v1\/payments\/payouts$/);
    expect(po.body).toMatchObject({ sender_batch_header: { sender_batch_id: 'tithe_paypal_USD_20260305' }, items: [{ amount: { value: '2.10', currency: 'USD' }, receiver: 'tithe@example.org' }] });
    expect((await settleTithes(h.deps)).sent).toBe(0);
  });

  it('the statement ties out: earned − reversed − sent = owed, and the CLI text says OK', async () => {
    const [usd] = await titheStatement(h.deps.db, '2026-03');
    // earned 700 + 140 + 210; reversed 350; sent 350 + 140 + 210
    expect(usd).toMatchObject({ currency: 'USD', openingOwed: 0n, earned: 1050n, reversed: 350n, sent: 700n, closingOwed: 0n, differences: {} });
    const { text, ok } = formatTitheStatement('2026-03', [usd]);
    expect(ok).toBe(true);
    expect(text).toContain('tie-out: OK');
    expect(text).toContain('10.50');
    const [feb] = await titheStatement(h.deps.db, '2026-02');
    expect(feb.earned).toBe(0n);
  });
});
