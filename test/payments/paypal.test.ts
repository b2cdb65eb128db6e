// PayPal through @paypal/paypal-server-sdk against the local fake: exact decimal amounts, PayPal-Request-Id
// keys, approve → capture, refunds, and webhooks verified by the verify-webhook-signature call.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eq } from 'drizzle-orm';
import { payments, paymentReversals } from '../../src/db/schema/payments.ts';
import { capturePayment, startCheckout } from '../../src/billing/payments/charge.ts';
import { refundPayment } from '../../src/billing/payments/refund.ts';
import { handleWebhook } from '../../src/billing/payments/webhooks.ts';
import { finalizedInvoice, logsWith, startHarness, type Harness } from './support.ts';

let h: Harness;
beforeAll(async () => {
  h = await startHarness({ titheBps: 250 });
  h.paypal.sink = (raw, headers) => handleWebhook(h.deps, 'paypal', raw, headers).then((r) => r.status);
});
afterAll(() => h.close());

describe('PayPal orders', () => {
  it('creates the order with an exact decimal amount and our request id; approve link; capture once', async () => {
    const { invoiceId } = await finalizedInvoice(h, { total: 123_456n, currency: 'EUR', provider: 'paypal' });
    const co = await startCheckout(h.deps, { invoiceId });
    expect(co.redirectUrl).toMatch(/^https:\/\/www\.sandbox\.paypal\.com\/checkoutnow\?token=/);
    const [create] = h.paypal.posts(/^\/v2\/checkout\/orders$/).filter((r) => (r.body.purchase_units as Array<{ reference_id: string }>)[0].reference_id === invoiceId);
    expect(create.headers['paypal-request-id']).toBe(`inv_${invoiceId}_checkout_1`);
    expect(create.headers.authorization).toMatch(/^Bearer A21AA/);
    expect(create.body).toMatchObject({ intent: 'CAPTURE', purchase_units: [{ amount: { currency_code: 'EUR', value: '1234.56' }, custom_id: co.payment.id }] });
    // Capturing before approval fails and leaves the payment pending.
    await expect(capturePayment(h.deps, { paymentId: co.payment.id })).rejects.toThrow(/422/);
    // The buyer approves: the CHECKOUT.ORDER.APPROVED webhook triggers the capture.
    await h.paypal.approve(co.payment.providerPaymentId!);
    const [p] = await h.deps.db.select().from(payments).where(eq(payments.id, co.payment.id));
    expect(p).toMatchObject({ status: 'succeeded', amount: 123_456n, titheAmount: 3086n }); // 3086.4 → 3086
    // The return URL capture afterwards is a no-op; the capture call itself was keyed cap_<paymentId>.
    const again = await capturePayment(h.deps, { paymentId: co.payment.id });
    expect(again.outcome).toBe('already_paid');
    const caps = h.paypal.posts(/\/capture$/).filter((r) => r.path.includes(co.payment.providerPaymentId!));
    expect(caps.map((r) => r.headers['paypal-request-id'])).toEqual([`cap_${co.payment.id}`, `cap_${co.payment.id}`]);
    expect(caps.filter((r) => r.body && !r.replayed)).toHaveLength(2); // 422 before approval, then the real capture
  });

  it('zero- and three-decimal currencies are sent exactly (JPY 1500, KWD 12.345)', async () => {
    for (const [currency, total, value] of [['JPY', 1500n, '1500'], ['KWD', 12_345n, '12.345']] as const) {
      const { invoiceId } = await finalizedInvoice(h, { total, currency, provider: 'paypal' });
      await startCheckout(h.deps, { invoiceId });
      const [create] = h.paypal.posts(/^\/v2\/checkout\/orders$/).filter((r) => (r.body.purchase_units as Array<{ reference_id: string }>)[0].reference_id === invoiceId);
      expect((create.body.purchase_units as Array<{ amount: unknown }>)[0].amount).toEqual({ currency_code: currency, value });
    }
  });

  it('partial refunds carry PayPal-Request-Id refund_<id>_<n>, and the refund webhook does not double count', async () => {
    const { invoiceId } = await finalizedInvoice(h, { total: 10_000n, currency: 'USD', provider: 'paypal' });
    const co = await startCheckout(h.deps, { invoiceId });
    await h.paypal.approve(co.payment.providerPaymentId!);
    await refundPayment(h.deps, { paymentId: co.payment.id, amount: 2_500n });
    await refundPayment(h.deps, { paymentId: co.payment.id, amount: 7_500n });
    const reqs = h.paypal.posts(/\/refund$/);
    expect(reqs.slice(-2).map((r) => [r.headers['paypal-request-id'], (r.body.amount as { value: string }).value])).toEqual([
      [`refund_${co.payment.id}_1`, '25.00'],
      [`refund_${co.payment.id}_2`, '75.00'],
    ]);
    const rev = await h.deps.db.select().from(paymentReversals).where(eq(paymentReversals.paymentId, co.payment.id));
    expect(rev).toHaveLength(2);
    expect(rev.reduce((s, r) => s + r.titheReversed!, 0n)).toBe(250n);
  });
});

describe('PayPal webhooks', () => {
  it('verified by PayPal (SUCCESS only for what it signed); forged and altered events → 400; replay skipped', async () => {
    const { invoiceId } = await finalizedInvoice(h, { total: 4_000n, currency: 'USD', provider: 'paypal' });
    const co = await startCheckout(h.deps, { invoiceId });
    h.paypal.autoDeliver = false;
    await h.paypal.approve(co.payment.providerPaymentId!);
    const approved = h.paypal.events.at(-1)!;
    const payload = JSON.stringify(approved);
    const headers = h.paypal.signedHeaders(payload);
    const forged = await handleWebhook(h.deps, 'paypal', payload, { ...headers, 'paypal-transmission-sig': 'AAAA' });
    expect(forged.status).toBe(400);
    const altered = await handleWebhook(h.deps, 'paypal', payload.replace('CHECKOUT.ORDER.APPROVED', 'PAYMENT.CAPTURE.COMPLETED'), headers);
    expect(altered.status).toBe(400);
    expect(logsWith(h, 'signature verification failed').length).toBeGreaterThanOrEqual(2);
    const verifyCalls = h.paypal.posts(/verify-webhook-signature/);
    expect(verifyCalls.at(-1)!.body).toMatchObject({ webhook_id: '8PT597110X687430LKGECATA', auth_algo: 'SHA256withRSA', transmission_id: headers['paypal-transmission-id'] });
    const ok = await handleWebhook(h.deps, 'paypal', payload, headers);
    expect(ok).toEqual({ status: 200, outcome: 'approved' });
    const [p] = await h.deps.db.select().from(payments).where(eq(payments.id, co.payment.id));
    expect(p.status).toBe('succeeded');
    const replay = await handleWebhook(h.deps, 'paypal', payload, h.paypal.signedHeaders(payload));
    expect(replay).toEqual({ status: 200, outcome: 'duplicate' });
    h.paypal.autoDeliver = true;
  });
});
