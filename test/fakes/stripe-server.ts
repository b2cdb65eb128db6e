// A local Stripe API fake for the real `stripe` SDK: just the endpoints we call, in Stripe's documented
// shapes. It checks what the SDK sends (auth, amounts, currencies, idempotency keys), replays responses
// for a repeated Idempotency-Key like Stripe does, records every request and signs webhooks
// (`Stripe-Signature: t=…,v1=HMAC-SHA256(secret, "${t}.${payload}")`, Stripe's documented scheme).
import { createHash, createHmac } from 'node:crypto';
import type { Server } from 'node:http';
import { fakeId, headersOf, startServer, stopServer, type FakeResponse, type RecordedRequest } from './http.ts';

type Obj = Record<string, unknown>;
export type WebhookSink = (rawBody: string, headers: Record<string, string>) => Promise<number>;

export interface StripeFakeOptions {
  secretKey: string;
  webhookSecret: string;
  /** Seconds since the epoch for `created` and signature timestamps (tests pass their clock). */
  now: () => number;
}

/** Payment methods that decline, as Stripe's test cards do (pm_card_chargeDeclined). */
const DECLINING = new Set(['pm_card_chargeDeclined', 'pm_card_visa_chargeDeclinedInsufficientFunds']);

export class StripeFake {
  readonly requests: RecordedRequest[] = [];
  readonly events: Obj[] = [];
  readonly customers = new Map<string, Obj>();
  readonly sessions = new Map<string, Obj>();
  readonly intents = new Map<string, Obj>();
  readonly charges = new Map<string, Obj>();
  readonly refunds = new Map<string, Obj>();
  readonly transfers = new Map<string, Obj>();
  /** Where events go. */
  sink: WebhookSink | undefined;
  /** Deliver each event to the sink as it happens (false: only queue it in `events`). */
  autoDeliver = true;
  private readonly idem = new Map<string, { fingerprint: string; response: FakeResponse }>();
  private readonly inflight = new Set<string>();
  private server!: Server;
  url!: URL;

  private constructor(private readonly o: StripeFakeOptions) {}

  static async start(o: StripeFakeOptions): Promise<StripeFake> {
    const f = new StripeFake(o);
    const { server, url } = await startServer((req, raw) => f.handle(req.method ?? 'GET', req.url ?? '/', headersOf(req), raw));
    f.server = server;
    f.url = url;
    return f;
  }

  stop(): Promise<void> {
    return stopServer(this.server);
  }

  /** Money-moving requests only (what "one charge" means). */
  posts(path: string): RecordedRequest[] {
    return this.requests.filter((r) => r.method === 'POST' && r.path === path);
  }

  private async handle(method: string, url: string, headers: Record<string, string>, raw: string): Promise<FakeResponse> {
    const path = url.split('?')[0];
    const body = method === 'POST' ? parseForm(raw) : {};
    const rec: RecordedRequest = { method, path, headers, rawBody: raw, body, replayed: false };
    this.requests.push(rec);
    if (headers.authorization !== `Bearer ${this.o.secretKey}`) {
      return err(401, 'invalid_request_error', 'Invalid API Key provided (fake: expected the configured secret key)');
    }
    const key = headers['idempotency-key'];
    if (method === 'POST') {
      if (!key) return err(400, 'invalid_request_error', 'fake: money-moving POST without Idempotency-Key');
      const fingerprint = createHash('sha256').update(`${method} ${path} ${raw}`).digest('hex');
      const prior = this.idem.get(key);
      if (prior) {
        if (prior.fingerprint !== fingerprint) {
          return err(400, 'idempotency_error', `Keys for idempotent requests can only be used with the same parameters they were first used with (key ${key})`);
        }
        rec.replayed = true;
        return { ...prior.response, headers: { ...(prior.response.headers ?? {}), 'idempotent-replayed': 'true' } };
      }
      // Stripe answers 409 while a request with the same key is still being processed (the SDK retries).
      if (this.inflight.has(key)) return err(409, 'idempotency_error', 'There is currently another in-progress request using this Idempotent Key. Please try again later.');
      this.inflight.add(key);
      let response: FakeResponse;
      try {
        response = await this.route(method, path, body);
      } finally {
        this.inflight.delete(key);
      }
      // Stripe stores the result of a request that got to its servers, errors included (not 5xx).
      if (response.status < 500) this.idem.set(key, { fingerprint, response });
      return response;
    }
    return this.route(method, path, body);
  }

  private async route(method: string, path: string, b: Obj): Promise<FakeResponse> {
    let m: RegExpExecArray | null;
    if (method === 'POST' && path === '/v1/customers') return this.createCustomer(b);
    if (method === 'POST' && path === '/v1/checkout/sessions') return this.createSession(b);
    if (method === 'GET' && (m = /^\/v1\/checkout\/sessions\/([^/]+)$/.exec(path))) return found(this.sessions.get(m[1]), 'checkout.session', m[1]);
    if (method === 'POST' && path === '/v1/payment_intents') return this.createIntent(b);
    if (method === 'GET' && (m = /^\/v1\/payment_intents\/([^/]+)$/.exec(path))) return found(this.intents.get(m[1]), 'payment_intent', m[1]);
    if (method === 'POST' && path === '/v1/refunds') return this.createRefund(b);
    if (method === 'POST' && path === '/v1/transfers') return this.createTransfer(b);
    return err(404, 'invalid_request_error', `fake: unrecognized request URL (${method} ${path})`);
  }

  private createCustomer(b: Obj): FakeResponse {
    const c = { id: fakeId('cus_'), object: 'customer', name: b.name ?? null, email: b.email ?? null, metadata: b.metadata ?? {}, created: this.o.now(), livemode: false };
    this.customers.set(c.id, c);
    return { status: 200, body: c };
  }

  private createSession(b: Obj): FakeResponse {
    if (b.mode !== 'payment') return err(400, 'invalid_request_error', 'fake: only mode=payment is implemented');
    const items = asList(b.line_items);
    if (items.length !== 1) return err(400, 'invalid_request_error', 'fake: expected exactly one line item');
    const pd = (items[0].price_data ?? {}) as Obj;
    const amount = checkAmount(pd.unit_amount);
    const currency = checkCurrency(pd.currency);
    if (typeof amount === 'string') return err(400, 'invalid_request_error', amount);
    if (!currency) return err(400, 'invalid_request_error', `Invalid currency: ${String(pd.currency)}`);
    if (!b.success_url) return err(400, 'invalid_request_error', 'Missing required param: success_url.');
    const id = fakeId('cs_test_');
    const s = {
      id,
      object: 'checkout.session',
      mode: 'payment',
      amount_total: amount * Number(items[0].quantity ?? 1),
      currency,
      client_reference_id: b.client_reference_id ?? null,
      customer: b.customer ?? null,
      metadata: b.metadata ?? {},
      payment_intent: null,
      payment_intent_data: b.payment_intent_data ?? {},
      payment_status: 'unpaid',
      status: 'open',
      success_url: b.success_url,
      cancel_url: b.cancel_url ?? null,
      url: `https://checkout.stripe.com/c/pay/${id}`,
      created: this.o.now(),
      livemode: false,
    };
    this.sessions.set(id, s);
    return { status: 200, body: s };
  }

  private async createIntent(b: Obj): Promise<FakeResponse> {
    const amount = checkAmount(b.amount);
    if (typeof amount === 'string') return err(400, 'invalid_request_error', amount);
    const currency = checkCurrency(b.currency);
    if (!currency) return err(400, 'invalid_request_error', `Invalid currency: ${String(b.currency)}`);
    const pi: Obj = {
      id: fakeId('pi_'),
      object: 'payment_intent',
      amount,
      amount_received: 0,
      currency,
      customer: b.customer ?? null,
      payment_method: b.payment_method ?? null,
      metadata: b.metadata ?? {},
      transfer_group: b.transfer_group ?? null,
      status: 'requires_payment_method',
      latest_charge: null,
      last_payment_error: null,
      created: this.o.now(),
      livemode: false,
    };
    this.intents.set(pi.id as string, pi);
    if (b.confirm !== 'true') return { status: 200, body: pi };
    if (!b.payment_method) return err(400, 'invalid_request_error', 'fake: confirm without payment_method');
    if (DECLINING.has(String(b.payment_method))) {
      pi.last_payment_error = { type: 'card_error', code: 'card_declined', decline_code: 'generic_decline', message: 'Your card was declined.' };
      await this.emit('payment_intent.payment_failed', pi);
      return { status: 402, body: { error: { type: 'card_error', code: 'card_declined', message: 'Your card was declined.', payment_intent: pi } } };
    }
    this.succeed(pi);
    await this.emit('payment_intent.succeeded', pi);
    return { status: 200, body: pi };
  }

  private succeed(pi: Obj): Obj {
    const ch = {
      id: fakeId('ch_'),
      object: 'charge',
      amount: pi.amount,
      amount_captured: pi.amount,
      amount_refunded: 0,
      currency: pi.currency,
      captured: true,
      paid: true,
      refunded: false,
      status: 'succeeded',
      payment_intent: pi.id,
      metadata: {},
      created: this.o.now(),
      livemode: false,
    };
    this.charges.set(ch.id, ch);
    Object.assign(pi, { status: 'succeeded', amount_received: pi.amount, latest_charge: ch.id });
    return ch;
  }

  private async createRefund(b: Obj): Promise<FakeResponse> {
    const ch = this.charges.get(String(b.charge ?? ''));
    if (!ch) return err(400, 'invalid_request_error', `No such charge: '${String(b.charge)}'`);
    const left = (ch.amount as number) - (ch.amount_refunded as number);
    const amount = b.amount === undefined ? left : checkAmount(b.amount);
    if (typeof amount === 'string') return err(400, 'invalid_request_error', amount);
    if (amount > left) return err(400, 'invalid_request_error', `Refund amount (${amount}) is greater than unrefunded amount on charge (${left})`);
    const re = { id: fakeId('re_'), object: 'refund', amount, charge: ch.id, currency: ch.currency, payment_intent: ch.payment_intent, status: 'succeeded', created: this.o.now() };
    this.refunds.set(re.id, re);
    ch.amount_refunded = (ch.amount_refunded as number) + amount;
    ch.refunded = ch.amount_refunded === ch.amount;
    await this.emit('charge.refunded', { ...ch });
    return { status: 200, body: re };
  }

  private createTransfer(b: Obj): FakeResponse {
    const amount = checkAmount(b.amount);
    if (typeof amount === 'string') return err(400, 'invalid_request_error', amount);
    const currency = checkCurrency(b.currency);
    if (!currency) return err(400, 'invalid_request_error', `Invalid currency: ${String(b.currency)}`);
    if (!/^acct_/.test(String(b.destination ?? ''))) return err(400, 'invalid_request_error', 'fake: destination must be a connected account (acct_…)');
    if (b.source_transaction !== undefined) {
      const ch = this.charges.get(String(b.source_transaction));
      if (!ch) return err(400, 'invalid_request_error', `No such charge: '${String(b.source_transaction)}'`);
      if (amount > (ch.amount as number)) return err(400, 'invalid_request_error', 'fake: transfer exceeds its source_transaction');
    }
    const tr = {
      id: fakeId('tr_'),
      object: 'transfer',
      amount,
      currency,
      destination: b.destination,
      source_transaction: b.source_transaction ?? null,
      transfer_group: b.transfer_group ?? null,
      created: this.o.now(),
      livemode: false,
    };
    this.transfers.set(tr.id, tr);
    return { status: 200, body: tr };
  }

  /** The customer pays on the hosted Checkout page. */
  async completeCheckout(sessionId: string): Promise<{ intent: Obj; charge: Obj }> {
    const s = this.sessions.get(sessionId);
    if (!s) throw new Error(`fake: no session ${sessionId}`);
    const pid = (s.payment_intent_data ?? {}) as Obj;
    const pi: Obj = {
      id: fakeId('pi_'),
      object: 'payment_intent',
      amount: s.amount_total,
      amount_received: 0,
      currency: s.currency,
      customer: s.customer,
      metadata: pid.metadata ?? {},
      transfer_group: pid.transfer_group ?? null,
      status: 'processing',
      latest_charge: null,
      last_payment_error: null,
      created: this.o.now(),
      livemode: false,
    };
    this.intents.set(pi.id as string, pi);
    const charge = this.succeed(pi);
    Object.assign(s, { payment_intent: pi.id, payment_status: 'paid', status: 'complete' });
    await this.emit('checkout.session.completed', s);
    await this.emit('payment_intent.succeeded', pi);
    return { intent: pi, charge };
  }

  async dispute(chargeId: string, amount?: number): Promise<Obj> {
    const ch = this.charges.get(chargeId);
    if (!ch) throw new Error(`fake: no charge ${chargeId}`);
    const dp = { id: fakeId('dp_'), object: 'dispute', amount: amount ?? ch.amount, charge: ch.id, currency: ch.currency, payment_intent: ch.payment_intent, reason: 'fraudulent', status: 'needs_response', created: this.o.now() };
    await this.emit('charge.dispute.created', dp);
    return dp;
  }

  /** Build an event (queued in `events`) and deliver it to the sink, if any. */
  async emit(type: string, object: Obj): Promise<Obj> {
    const ev = { id: fakeId('evt_'), object: 'event', api_version: '2026-10-28.endive', created: this.o.now(), type, livemode: false, pending_webhooks: 1, request: { id: null, idempotency_key: null }, data: { object: structuredClone(object) } };
    this.events.push(ev);
    if (this.sink && this.autoDeliver) await this.deliver(ev);
    return ev;
  }

  /** Sign and deliver an event (again, for replay tests). Returns the sink's HTTP status. */
  async deliver(ev: Obj, opts: { secret?: string } = {}): Promise<number> {
    if (!this.sink) throw new Error('fake: no webhook sink set');
    const payload = JSON.stringify(ev);
    return this.sink(payload, { 'stripe-signature': this.sign(payload, opts.secret), 'content-type': 'application/json' });
  }

  sign(payload: string, secret = this.o.webhookSecret, t = this.o.now()): string {
    const v1 = createHmac('sha256', secret).update(`${t}.${payload}`).digest('hex');
    return `t=${t},v1=${v1}`;
  }
}

function err(status: number, type: string, message: string): FakeResponse {
  return { status, body: { error: { type, message } } };
}

function found(o: Obj | undefined, what: string, id: string): FakeResponse {
  return o ? { status: 200, body: o } : err(404, 'invalid_request_error', `No such ${what}: '${id}'`);
}

function checkAmount(v: unknown): number | string {
  const s = String(v ?? '');
  if (!/^[1-9]\d{0,15}$/.test(s)) return `Invalid integer: ${s} (amount must be a positive integer in minor units)`;
  return Number(s);
}

function checkCurrency(v: unknown): string | undefined {
  const s = String(v ?? '');
  return /^[a-z]{3}$/.test(s) ? s : undefined;
}

function asList(v: unknown): Obj[] {
  if (Array.isArray(v)) return v as Obj[];
  if (v && typeof v === 'object') return Object.keys(v).sort((a, b) => Number(a) - Number(b)).map((k) => (v as Obj)[k] as Obj);
  return [];
}

/** Stripe's form encoding: `a[b][0][c]=v` → nested objects (array indices become object keys). */
export function parseForm(raw: string): Obj {
  const out: Obj = {};
  if (!raw) return out;
  for (const pair of raw.split('&')) {
    const [k, v = ''] = pair.split('=');
    const key = decodeURIComponent(k.replace(/\+/g, ' '));
    const value = decodeURIComponent(v.replace(/\+/g, ' '));
    const parts = key.replace(/\]/g, '').split('[');
    let cur = out;
    parts.forEach((p, i) => {
      if (i === parts.length - 1) cur[p] = value;
      else cur = (cur[p] ??= {}) as Obj;
    });
  }
  return out;
}
