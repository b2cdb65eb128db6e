// A local PayPal REST fake for @paypal/paypal-server-sdk: OAuth client credentials, Orders v2 create/capture,
// capture refunds, payouts and webhook signature verification, in PayPal's documented JSON shapes.
// It checks what arrives (auth, amount precision per currency, PayPal-Request-Id), replays the stored
// response for a repeated PayPal-Request-Id, records requests, and signs webhooks it issues; its
// verify-webhook-signature answers SUCCESS only for transmissions it signed, unchanged.
import { createHmac, randomUUID } from 'node:crypto';
import { isDeepStrictEqual } from 'node:util';
import type { Server } from 'node:http';
import { fakeId, headersOf, startServer, stopServer, type FakeResponse, type RecordedRequest } from './http.ts';

type Obj = Record<string, unknown>;
export type WebhookSink = (rawBody: string, headers: Record<string, string>) => Promise<number>;

export interface PayPalFakeOptions {
  clientId: string;
  clientSecret: string;
  webhookId: string;
  now: () => Date;
}

const EXP: Record<string, number> = { USD: 2, EUR: 2, GBP: 2, CHF: 2, CAD: 2, AUD: 2, JPY: 0, KWD: 3, BHD: 3 };
/** Vault ids whose charge is declined. */
export const DECLINING_VAULT = 'vault_declined';

export class PayPalFake {
  readonly requests: RecordedRequest[] = [];
  readonly events: Obj[] = [];
  readonly orders = new Map<string, Obj>();
  readonly captures = new Map<string, Obj>();
  readonly payouts = new Map<string, Obj>();
  sink: WebhookSink | undefined;
  /** The account platform fees must name as payee (email or merchant id); unset: any payee is accepted. */
  platformFeePayee: string | undefined;
  /** The merchant may attach platform fees to orders (PLATFORM_FEES_NOT_SUPPORTED otherwise). */
  platformFeesEnabled = true;
  /** Refunds may carry platform_fees back (PLATFORM_FEE_NOT_ENABLED otherwise). */
  platformFeeRefundsEnabled = true;
  /** Deliver each event to the sink as it happens (false: only queue it in `events`). */
  autoDeliver = true;
  private readonly tokens = new Set<string>();
  private readonly idem = new Map<string, FakeResponse>();
  private readonly inflight = new Set<string>();
  private readonly transmissions = new Map<string, { sig: string; event: unknown }>();
  private readonly signingKey = randomUUID();
  private server!: Server;
  url!: URL;

  private constructor(private readonly o: PayPalFakeOptions) {}

  static async start(o: PayPalFakeOptions): Promise<PayPalFake> {
    const f = new PayPalFake(o);
    const { server, url } = await startServer((req, raw) => f.handle(req.method ?? 'GET', req.url ?? '/', headersOf(req), raw));
    f.server = server;
    f.url = url;
    return f;
  }

  stop(): Promise<void> {
    return stopServer(this.server);
  }

  posts(re: RegExp): RecordedRequest[] {
    return this.requests.filter((r) => r.method === 'POST' && re.test(r.path));
  }

  private async handle(method: string, url: string, headers: Record<string, string>, raw: string): Promise<FakeResponse> {
    const path = url.split('?')[0];
    let body: Obj = {};
    if (raw && headers['content-type']?.includes('json')) body = JSON.parse(raw) as Obj;
    const rec: RecordedRequest = { method, path, headers, rawBody: raw, body, replayed: false };
    this.requests.push(rec);
    if (method === 'POST' && path === '/v1/oauth2/token') return this.token(headers, raw);
    const bearer = /^Bearer (.+)$/.exec(headers.authorization ?? '')?.[1];
    if (!bearer || !this.tokens.has(bearer)) return { status: 401, body: { error: 'invalid_token', error_description: 'fake: unknown or missing access token' } };
    if (method === 'POST' && path !== '/v1/notifications/verify-webhook-signature') {
      const rid = headers['paypal-request-id'];
      if (!rid) return issue(400, 'INVALID_REQUEST', 'fake: PayPal-Request-Id header is required for money-moving calls');
      const prior = this.idem.get(`${path} ${rid}`);
      if (prior) {
        rec.replayed = true;
        return prior;
      }
      if (this.inflight.has(`${path} ${rid}`)) return issue(409, 'RESOURCE_CONFLICT', 'fake: a request with this PayPal-Request-Id is in progress');
      this.inflight.add(`${path} ${rid}`);
      let res: FakeResponse;
      try {
        res = await this.route(method, path, body);
      } finally {
        this.inflight.delete(`${path} ${rid}`);
      }
      // Only completed requests are remembered: a refused capture (not approved yet) may be retried with the same id.
      if (res.status < 300) this.idem.set(`${path} ${rid}`, res);
      return res;
    }
    return this.route(method, path, body);
  }

  private token(headers: Record<string, string>, raw: string): FakeResponse {
    const expected = `Basic ${Buffer.from(`${this.o.clientId}:${this.o.clientSecret}`).toString('base64')}`;
    if (headers.authorization !== expected) return { status: 401, body: { error: 'invalid_client', error_description: 'Client Authentication failed' } };
    if (!/grant_type=client_credentials/.test(raw)) return { status: 400, body: { error: 'unsupported_grant_type' } };
    const t = `A21AA${randomUUID().replace(/-/g, '')}`;
    this.tokens.add(t);
    return { status: 200, body: { scope: 'https://uri.paypal.com/services/payments/payment', access_token: t, token_type: 'Bearer', app_id: 'APP-80W284485P519543T', expires_in: 32400, nonce: randomUUID() } };
  }

  private async route(method: string, path: string, b: Obj): Promise<FakeResponse> {
    let m: RegExpExecArray | null;
    if (method === 'POST' && path === '/v2/checkout/orders') return this.createOrder(b);
    if (method === 'GET' && (m = /^\/v2\/checkout\/orders\/([^/]+)$/.exec(path))) {
      const o = this.orders.get(m[1]);
      return o ? { status: 200, body: o } : issue(404, 'RESOURCE_NOT_FOUND', 'INVALID_RESOURCE_ID');
    }
    if (method === 'POST' && (m = /^\/v2\/checkout\/orders\/([^/]+)\/capture$/.exec(path))) return this.captureOrder(m[1], b);
    if (method === 'POST' && (m = /^\/v2\/payments\/captures\/([^/]+)\/refund$/.exec(path))) return this.refund(m[1], b);
    if (method === 'POST' && path === '/v1/payments/payouts') return this.payout(b);
    if (method === 'POST' && path === '/v1/notifications/verify-webhook-signature') return this.verify(b);
    return issue(404, 'NOT_FOUND', `fake: ${method} ${path} is not implemented`);
  }

  private createOrder(b: Obj): FakeResponse {
    if (b.intent !== 'CAPTURE') return issue(422, 'UNPROCESSABLE_ENTITY', 'fake: only intent CAPTURE is implemented');
    const units = b.purchase_units as Obj[] | undefined;
    if (!units || units.length !== 1) return issue(400, 'INVALID_REQUEST', 'fake: expected one purchase unit');
    const amount = units[0].amount as { currency_code: string; value: string };
    const bad = checkMoney(amount);
    if (bad) return issue(422, 'UNPROCESSABLE_ENTITY', bad);
    const feeIssue = this.checkPlatformFees(units[0].payment_instruction, amount);
    if (feeIssue) return feeIssue;
    const id = fakeId('').toUpperCase().slice(0, 17).padEnd(17, '0');
    const order: Obj = {
      id,
      intent: 'CAPTURE',
      status: 'CREATED',
      purchase_units: [{ ...units[0], reference_id: units[0].reference_id ?? 'default' }],
      create_time: this.o.now().toISOString(),
      links: [
        { href: `${this.url.origin}/v2/checkout/orders/${id}`, rel: 'self', method: 'GET' },
        { href: `https://www.sandbox.paypal.com/checkoutnow?token=${id}`, rel: 'approve', method: 'GET' },
        { href: `${this.url.origin}/v2/checkout/orders/${id}/capture`, rel: 'capture', method: 'POST' },
      ],
    };
    this.orders.set(id, order);
    const vault = ((b.payment_source as Obj | undefined)?.paypal as Obj | undefined)?.vault_id;
    if (vault) {
      // A saved wallet needs no buyer: PayPal creates and captures in one call.
      order.status = 'APPROVED';
      const res = this.doCapture(order, vault === DECLINING_VAULT);
      return { status: 201, body: res };
    }
    return { status: 201, body: order };
  }

  /**
   * payment_instruction.platform_fees as PayPal validates them: same currency as the amount, together no more
   * than it, and (when the fake knows the platform's account) paid to that payee.
   */
  private checkPlatformFees(instruction: unknown, amount: { currency_code: string; value: string }): FakeResponse | undefined {
    const fees = ((instruction as Obj | undefined)?.platform_fees ?? []) as PlatformFee[];
    if (!fees.length) return undefined;
    if (!this.platformFeesEnabled) return issue(422, 'UNPROCESSABLE_ENTITY', 'PLATFORM_FEES_NOT_SUPPORTED');
    let total = 0n;
    for (const f of fees) {
      const e = checkMoney(f.amount);
      if (e) return issue(422, 'UNPROCESSABLE_ENTITY', `platform fee: ${e}`);
      if (f.amount.currency_code !== amount.currency_code) return issue(422, 'UNPROCESSABLE_ENTITY', 'CURRENCY_MISMATCH');
      const payee = f.payee?.email_address ?? f.payee?.merchant_id;
      if (this.platformFeePayee !== undefined && payee !== this.platformFeePayee) return issue(422, 'UNPROCESSABLE_ENTITY', `INVALID_PLATFORM_FEES_ACCOUNT ${String(payee)}`);
      total += minor(f.amount);
    }
    if (total > minor(amount)) return issue(422, 'UNPROCESSABLE_ENTITY', 'INVALID_PLATFORM_FEES_AMOUNT');
    return undefined;
  }

  /** The buyer approves on paypal.com. */
  async approve(orderId: string): Promise<void> {
    const o = this.orders.get(orderId);
    if (!o) throw new Error(`fake: no order ${orderId}`);
    o.status = 'APPROVED';
    await this.emit('CHECKOUT.ORDER.APPROVED', 'checkout-order', structuredClone(o));
  }

  private async captureOrder(id: string, b: Obj): Promise<FakeResponse> {
    const o = this.orders.get(id);
    if (!o) return issue(404, 'RESOURCE_NOT_FOUND', 'INVALID_RESOURCE_ID');
    if (o.status === 'COMPLETED') return issue(422, 'UNPROCESSABLE_ENTITY', 'ORDER_ALREADY_CAPTURED');
    if (o.status !== 'APPROVED') return issue(422, 'UNPROCESSABLE_ENTITY', 'ORDER_NOT_APPROVED');
    // The fees are checked again when the money moves (the account may have lost the capability since).
    const unit = (o.purchase_units as Obj[])[0];
    const feeIssue = this.checkPlatformFees(unit.payment_instruction, unit.amount as { currency_code: string; value: string });
    if (feeIssue) return feeIssue;
    const res = this.doCapture(o, false);
    const cap = ((res.purchase_units as Obj[])[0].payments as { captures: Obj[] }).captures[0];
    await this.emit('PAYMENT.CAPTURE.COMPLETED', 'capture', cap);
    return { status: 201, body: res };
  }

  private doCapture(o: Obj, decline: boolean): Obj {
    const unit = (o.purchase_units as Obj[])[0];
    const amount = unit.amount as { currency_code: string; value: string };
    const fees = ((unit.payment_instruction as Obj | undefined)?.platform_fees ?? []) as PlatformFee[];
    const feeTotal = fees.reduce((t, f) => t + minor(f.amount), 0n);
    const cap: Obj = {
      id: fakeId('').toUpperCase().slice(0, 17).padEnd(17, '1'),
      status: decline ? 'DECLINED' : 'COMPLETED',
      amount,
      custom_id: unit.custom_id,
      invoice_id: unit.invoice_id,
      final_capture: true,
      seller_receivable_breakdown: {
        gross_amount: amount,
        ...(fees.length ? { platform_fees: fees } : {}),
        net_amount: { currency_code: amount.currency_code, value: fmt(minor(amount) - feeTotal, amount.currency_code) },
      },
      supplementary_data: { related_ids: { order_id: o.id } },
      create_time: this.o.now().toISOString(),
      links: [],
    };
    cap.links = [
      { href: `${this.url.origin}/v2/payments/captures/${String(cap.id)}`, rel: 'self', method: 'GET' },
      { href: `${this.url.origin}/v2/payments/captures/${String(cap.id)}/refund`, rel: 'refund', method: 'POST' },
      { href: `${this.url.origin}/v2/checkout/orders/${String(o.id)}`, rel: 'up', method: 'GET' },
    ];
    if (!decline) this.captures.set(cap.id as string, { ...cap, refunded: '0', fee: String(feeTotal), feeRefunded: '0' });
    o.status = decline ? 'APPROVED' : 'COMPLETED';
    unit.payments = { captures: [cap] };
    return structuredClone(o);
  }

  /**
   * Refund (part of) a capture. `payment_instruction.platform_fees` makes the fee payee contribute that much
   * to the refund: refused when the account may not (PLATFORM_FEE_NOT_ENABLED) or when it is more than what
   * is left of the capture's fee (PLATFORM_FEE_EXCEEDED, also when the capture had none).
   */
  private async refund(captureId: string, b: Obj): Promise<FakeResponse> {
    const cap = this.captures.get(captureId);
    if (!cap) return issue(404, 'RESOURCE_NOT_FOUND', 'INVALID_RESOURCE_ID');
    const gross = cap.amount as { currency_code: string; value: string };
    const amount = (b.amount as { currency_code: string; value: string } | undefined) ?? gross;
    const bad = checkMoney(amount);
    if (bad) return issue(422, 'UNPROCESSABLE_ENTITY', bad);
    if (amount.currency_code !== gross.currency_code) return issue(422, 'UNPROCESSABLE_ENTITY', 'CURRENCY_MISMATCH');
    const left = minor(gross) - BigInt(cap.refunded as string);
    if (minor(amount) > left) return issue(422, 'UNPROCESSABLE_ENTITY', 'REFUND_AMOUNT_EXCEEDED');
    const fees = ((b.payment_instruction as Obj | undefined)?.platform_fees ?? []) as PlatformFee[];
    let feeBack = 0n;
    if (fees.length) {
      if (!this.platformFeeRefundsEnabled) return issue(422, 'UNPROCESSABLE_ENTITY', 'PLATFORM_FEE_NOT_ENABLED');
      for (const f of fees) {
        const e = checkMoney(f.amount);
        if (e) return issue(422, 'UNPROCESSABLE_ENTITY', `platform fee: ${e}`);
        if (f.amount.currency_code !== gross.currency_code) return issue(422, 'UNPROCESSABLE_ENTITY', 'CURRENCY_MISMATCH');
        feeBack += minor(f.amount);
      }
      if (feeBack > BigInt(cap.fee as string) - BigInt(cap.feeRefunded as string)) return issue(422, 'UNPROCESSABLE_ENTITY', 'PLATFORM_FEE_EXCEEDED');
    }
    cap.refunded = String(BigInt(cap.refunded as string) + minor(amount));
    cap.feeRefunded = String(BigInt(cap.feeRefunded as string) + feeBack);
    const cur = gross.currency_code;
    const refund = {
      id: fakeId('').toUpperCase().slice(0, 17).padEnd(17, '2'),
      status: 'COMPLETED',
      amount,
      seller_payable_breakdown: {
        gross_amount: amount,
        ...(fees.length ? { platform_fees: fees.map((f) => ({ amount: f.amount })) } : {}),
        net_amount: { currency_code: cur, value: fmt(minor(amount) - feeBack, cur) },
        total_refunded_amount: { currency_code: cur, value: fmt(BigInt(cap.refunded as string), cur) },
      },
      create_time: this.o.now().toISOString(),
      links: [
        { href: `${this.url.origin}/v2/payments/refunds/x`, rel: 'self', method: 'GET' },
        { href: `${this.url.origin}/v2/payments/captures/${captureId}`, rel: 'up', method: 'GET' },
      ],
    };
    await this.emit('PAYMENT.CAPTURE.REFUNDED', 'refund', refund);
    return { status: 201, body: refund };
  }

  private payout(b: Obj): FakeResponse {
    const hdr = b.sender_batch_header as { sender_batch_id?: string } | undefined;
    if (!hdr?.sender_batch_id) return issue(400, 'VALIDATION_ERROR', 'sender_batch_header.sender_batch_id is required');
    if (this.payouts.has(hdr.sender_batch_id)) return issue(400, 'USER_BUSINESS_ERROR', 'SENDER_BATCH_ID_ALREADY_USED');
    for (const it of (b.items ?? []) as Array<{ amount: { currency: string; value: string } }>) {
      const bad = checkMoney({ currency_code: it.amount.currency, value: it.amount.value });
      if (bad) return issue(422, 'VALIDATION_ERROR', bad);
    }
    const batch = { batch_header: { payout_batch_id: fakeId('PB').toUpperCase(), batch_status: 'PENDING', sender_batch_header: hdr }, items: b.items };
    this.payouts.set(hdr.sender_batch_id, batch);
    return { status: 201, body: batch };
  }

  private verify(b: Obj): FakeResponse {
    const t = this.transmissions.get(String(b.transmission_id ?? ''));
    const ok =
      !!t &&
      t.sig === b.transmission_sig &&
      b.webhook_id === this.o.webhookId &&
      b.auth_algo === 'SHA256withRSA' &&
      typeof b.cert_url === 'string' &&
      isDeepStrictEqual(t.event, b.webhook_event);
    return { status: 200, body: { verification_status: ok ? 'SUCCESS' : 'FAILURE' } };
  }

  async dispute(captureId: string, value: string, currency: string): Promise<Obj> {
    return this.emit('CUSTOMER.DISPUTE.CREATED', 'dispute', {
      dispute_id: fakeId('PP-D-'),
      reason: 'MERCHANDISE_OR_SERVICE_NOT_RECEIVED',
      status: 'OPEN',
      dispute_amount: { currency_code: currency, value },
      disputed_transactions: [{ seller_transaction_id: captureId }],
    });
  }

  async emit(type: string, resourceType: string, resource: Obj): Promise<Obj> {
    const ev = { id: fakeId('WH-').toUpperCase(), event_version: '1.0', create_time: this.o.now().toISOString(), resource_type: resourceType, event_type: type, summary: type, resource: structuredClone(resource) };
    this.events.push(ev);
    if (this.sink && this.autoDeliver) await this.deliver(ev);
    return ev;
  }

  /** Transmission headers as PayPal sends them; the signature is remembered for verification. */
  signedHeaders(payload: string): Record<string, string> {
    const id = randomUUID();
    const time = this.o.now().toISOString();
    const sig = createHmac('sha256', this.signingKey).update(`${id}|${time}|${this.o.webhookId}|${payload}`).digest('base64');
    this.transmissions.set(id, { sig, event: JSON.parse(payload) });
    return {
      'content-type': 'application/json',
      'paypal-transmission-id': id,
      'paypal-transmission-time': time,
      'paypal-transmission-sig': sig,
      'paypal-cert-url': 'https://api.sandbox.paypal.com/v1/notifications/certs/CERT-360caa42-fca2a594-1d93a270',
      'paypal-auth-algo': 'SHA256withRSA',
    };
  }

  async deliver(ev: Obj): Promise<number> {
    if (!this.sink) throw new Error('fake: no webhook sink set');
    const payload = JSON.stringify(ev);
    return this.sink(payload, this.signedHeaders(payload));
  }
}

interface PlatformFee {
  amount: { currency_code: string; value: string };
  payee?: { email_address?: string; merchant_id?: string };
}

/** A checked PayPal amount ("12.34") in minor units. */
function minor(m: { currency_code: string; value: string }): bigint {
  const exp = EXP[m.currency_code] ?? 2;
  const [int, frac = ''] = m.value.split('.');
  return BigInt(int + frac.padEnd(exp, '0'));
}

function fmt(v: bigint, currency: string): string {
  const exp = EXP[currency] ?? 2;
  if (exp === 0) return v.toString();
  const s = v.toString().padStart(exp + 1, '0');
  return `${s.slice(0, -exp)}.${s.slice(-exp)}`;
}

function issue(status: number, name: string, detail: string): FakeResponse {
  return { status, body: { name, message: detail, details: [{ issue: detail }], debug_id: randomUUID().slice(0, 13) } };
}

/** PayPal rejects amounts whose decimals do not match the currency (DECIMAL_PRECISION). */
function checkMoney(m: { currency_code?: string; value?: string } | undefined): string | undefined {
  if (!m?.currency_code || typeof m.value !== 'string') return 'MISSING_REQUIRED_PARAMETER amount';
  const exp = EXP[m.currency_code];
  if (exp === undefined) return `CURRENCY_NOT_SUPPORTED ${m.currency_code}`;
  const re = exp === 0 ? /^\d+$/ : new RegExp(`^\\d+\\.\\d{${exp}}$`);
  if (!re.test(m.value)) return `DECIMAL_PRECISION ${m.value} ${m.currency_code}`;
  if (/^0+(\.0+)?$/.test(m.value)) return 'AMOUNT_MUST_BE_POSITIVE';
  return undefined;
}
