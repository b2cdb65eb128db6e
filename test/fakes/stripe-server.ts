// A local Stripe API fake for the real `stripe` SDK: just the endpoints we call (payments, refunds, transfers,
// and saved cards: Checkout in setup mode, SetupIntent and PaymentMethod retrieve, detach), in Stripe's documented
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
  readonly transferReversals = new Map<string, Obj>();
  /** When set, every transfer reversal is refused with this error code (e.g. balance_insufficient). */
  refuseReversals: string | undefined;
  readonly setupIntents = new Map<string, Obj>();
  readonly paymentMethods = new Map<string, Obj>();
  /** Saved cards that decline off-session charges (as pm_card_chargeDeclined does). */
  private readonly decliningMethods = new Set<string>();
  /** Where events go. */
  sink: WebhookSink | undefined;
  /** Deliver each event to the sink as it happens (false: only queue it in `events`). */
  autoDeliver = true;
  /** Answer a request in place of the fake's own logic (outages, refusals); undefined = handle normally. */
  override: ((method: string, path: string) => FakeResponse | undefined) | undefined;
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
    const forced = this.override?.(method, path);
    if (forced) return forced;
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
    if (method === 'GET' && (m = /^\/v1\/setup_intents\/([^/]+)$/.exec(path))) return found(this.setupIntents.get(m[1]), 'setupintent', m[1]);
    if (method === 'GET' && (m = /^\/v1\/payment_methods\/([^/]+)$/.exec(path))) return found(this.paymentMethods.get(m[1]), 'PaymentMethod', m[1]);
    if (method === 'POST' && (m = /^\/v1\/payment_methods\/([^/]+)\/detach$/.exec(path))) return this.detachMethod(m[1]);
    if (method === 'POST' && path === '/v1/payment_intents') return this.createIntent(b);
    if (method === 'GET' && (m = /^\/v1\/payment_intents\/([^/]+)$/.exec(path))) return found(this.intents.get(m[1]), 'payment_intent', m[1]);
    if (method === 'POST' && path === '/v1/refunds') return this.createRefund(b);
    if (method === 'POST' && path === '/v1/transfers') return this.createTransfer(b);
    if (method === 'GET' && (m = /^\/v1\/transfers\/([^/]+)$/.exec(path))) return found(this.transfers.get(m[1]), 'transfer', m[1]);
    if (method === 'POST' && (m = /^\/v1\/transfers\/([^/]+)\/reversals$/.exec(path))) return this.createTransferReversal(m[1], b);
    return err(404, 'invalid_request_error', `fake: unrecognized request URL (${method} ${path})`);
  }

  private createCustomer(b: Obj): FakeResponse {
    const c = { id: fakeId('cus_'), object: 'customer', name: b.name ?? null, email: b.email ?? null, metadata: b.metadata ?? {}, created: this.o.now(), livemode: false };
    this.customers.set(c.id, c);
    return { status: 200, body: c };
  }

  private createSession(b: Obj): FakeResponse {
    if (b.mode === 'setup') return this.createSetupSession(b);
    if (b.mode !== 'payment') return err(400, 'invalid_request_error', 'fake: only mode=payment and mode=setup are implemented');
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

  /** Checkout in setup mode: the SetupIntent exists from the start and succeeds when the buyer finishes. */
  private createSetupSession(b: Obj): FakeResponse {
    if (b.line_items !== undefined) return err(400, 'invalid_request_error', 'You cannot pass `line_items` in `setup` mode.');
    const types = Object.values((b.allowed_payment_method_types ?? {}) as Obj);
    if (!b.currency && types.length === 0) return err(400, 'invalid_request_error', 'Missing required param: currency (required in setup mode when allowed_payment_method_types is not set).');
    if (b.currency !== undefined && !checkCurrency(b.currency)) return err(400, 'invalid_request_error', `Invalid currency: ${String(b.currency)}`);
    if (!b.success_url) return err(400, 'invalid_request_error', 'Missing required param: success_url.');
    if (b.customer !== undefined && !this.customers.has(String(b.customer))) return err(400, 'invalid_request_error', `No such customer: '${String(b.customer)}'`);
    const sid = (b.setup_intent_data ?? {}) as Obj;
    const si: Obj = {
      id: fakeId('seti_'),
      object: 'setup_intent',
      customer: b.customer ?? null,
      description: sid.description ?? null,
      metadata: sid.metadata ?? {},
      payment_method: null,
      payment_method_types: types.length ? types : ['card'],
      status: 'requires_payment_method',
      usage: 'off_session',
      last_setup_error: null,
      created: this.o.now(),
      livemode: false,
    };
    this.setupIntents.set(si.id as string, si);
    const id = fakeId('cs_test_');
    const s = {
      id,
      object: 'checkout.session',
      mode: 'setup',
      amount_total: null,
      currency: b.currency ?? null,
      client_reference_id: b.client_reference_id ?? null,
      customer: b.customer ?? null,
      metadata: b.metadata ?? {},
      payment_intent: null,
      payment_status: 'no_payment_required',
      setup_intent: si.id,
      status: 'open',
      success_url: b.success_url,
      cancel_url: b.cancel_url ?? null,
      url: `https://checkout.stripe.com/c/pay/${id}`,
      expires_at: this.o.now() + 24 * 3600,
      created: this.o.now(),
      livemode: false,
    };
    this.sessions.set(id, s);
    return { status: 200, body: s };
  }

  /** The buyer enters a card on the hosted setup page: a PaymentMethod attached to the session's customer. */
  async completeSetup(sessionId: string, card: { brand?: string; last4?: string; expMonth?: number; expYear?: number; declines?: boolean } = {}): Promise<{ setupIntent: Obj; paymentMethod: Obj }> {
    const s = this.sessions.get(sessionId);
    if (!s || s.mode !== 'setup') throw new Error(`fake: no setup session ${sessionId}`);
    const si = this.setupIntents.get(String(s.setup_intent))!;
    const pm = {
      id: fakeId('pm_'),
      object: 'payment_method',
      type: 'card',
      card: { brand: card.brand ?? 'visa', last4: card.last4 ?? '4242', exp_month: card.expMonth ?? 12, exp_year: card.expYear ?? 2030, funding: 'credit', country: 'US' },
      customer: s.customer,
      billing_details: { address: null, email: null, name: null, phone: null },
      metadata: {},
      created: this.o.now(),
      livemode: false,
    };
    this.paymentMethods.set(pm.id, pm);
    if (card.declines) this.decliningMethods.add(pm.id);
    Object.assign(si, { status: 'succeeded', payment_method: pm.id });
    Object.assign(s, { status: 'complete' });
    await this.emit('checkout.session.completed', s);
    await this.emit('setup_intent.succeeded', si);
    return { setupIntent: si, paymentMethod: pm };
  }

  private async detachMethod(id: string): Promise<FakeResponse> {
    const pm = this.paymentMethods.get(id);
    if (!pm) return { status: 404, body: { error: { type: 'invalid_request_error', code: 'resource_missing', param: 'payment_method', message: `No such PaymentMethod: '${id}'` } } };
    if (!pm.customer) return err(400, 'invalid_request_error', 'The payment method you provided is not attached to a customer so detachment is impossible.');
    const previous = pm.customer;
    pm.customer = null;
    await this.emit('payment_method.detached', pm, { customer: previous });
    return { status: 200, body: pm };
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
    const saved = this.paymentMethods.get(String(b.payment_method));
    if (saved && saved.customer !== (b.customer ?? null)) {
      return err(400, 'invalid_request_error', 'The provided PaymentMethod was previously used with a PaymentIntent without Customer attachment, shared with a connected account without Customer attachment, or was detached from a Customer. It may not be used again.');
    }
    if (DECLINING.has(String(b.payment_method)) || this.decliningMethods.has(String(b.payment_method))) {
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
      amount_reversed: 0,
      reversed: false,
      reversals: { object: 'list', data: [] as Obj[], has_more: false, total_count: 0, url: '' },
      created: this.o.now(),
      livemode: false,
    };
    tr.reversals.url = `/v1/transfers/${tr.id}/reversals`;
    this.transfers.set(tr.id, tr);
    return { status: 200, body: tr };
  }

  /**
   * POST /v1/transfers/:id/reversals: partial or full reversal, never more than the unreversed rest (Stripe
   * refuses that, and any reversal of a fully reversed transfer). Answers the transfer_reversal object.
   */
  private createTransferReversal(id: string, b: Obj): FakeResponse {
    const tr = this.transfers.get(id);
    if (!tr) return err(404, 'invalid_request_error', `No such transfer: '${id}'`);
    const left = (tr.amount as number) - (tr.amount_reversed as number);
    if (left <= 0) return err(400, 'invalid_request_error', `Transfer ${id} has already been fully reversed.`);
    const amount = b.amount === undefined ? left : checkAmount(b.amount);
    if (typeof amount === 'string') return err(400, 'invalid_request_error', amount);
    if (amount > left) return err(400, 'invalid_request_error', `Reversal amount (${amount}) is greater than the unreversed amount of transfer ${id} (${left})`);
    if (this.refuseReversals) {
      return { status: 400, body: { error: { type: 'invalid_request_error', code: this.refuseReversals, message: `fake: reversal refused (${this.refuseReversals})` } } };
    }
    return { status: 200, body: this.reverse(tr, amount, b.metadata) };
  }

  private reverse(tr: Obj, amount: number, metadata?: unknown): Obj {
    const trr = {
      id: fakeId('trr_'),
      object: 'transfer_reversal',
      amount,
      balance_transaction: fakeId('txn_'),
      created: this.o.now(),
      currency: tr.currency,
      destination_payment_refund: fakeId('pyr_'),
      metadata: metadata ?? {},
      source_refund: null,
      transfer: tr.id,
    };
    this.transferReversals.set(trr.id, trr);
    tr.amount_reversed = (tr.amount_reversed as number) + amount;
    tr.reversed = tr.amount_reversed === tr.amount;
    const list = tr.reversals as { data: Obj[]; total_count: number };
    list.data.unshift(trr);
    list.total_count += 1;
    return trr;
  }

  /** Someone reverses a transfer in the Dashboard (not through our API): the money is gone from the transfer. */
  reverseTransferOutOfBand(id: string, amount?: number): Obj {
    const tr = this.transfers.get(id);
    if (!tr) throw new Error(`fake: no transfer ${id}`);
    const left = (tr.amount as number) - (tr.amount_reversed as number);
    return this.reverse(tr, amount ?? left);
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
  async emit(type: string, object: Obj, previousAttributes?: Obj): Promise<Obj> {
    const data = { object: structuredClone(object), ...(previousAttributes ? { previous_attributes: previousAttributes } : {}) };
    const ev = { id: fakeId('evt_'), object: 'event', api_version: '2026-10-28.endive', created: this.o.now(), type, livemode: false, pending_webhooks: 1, request: { id: null, idempotency_key: null }, data };
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
