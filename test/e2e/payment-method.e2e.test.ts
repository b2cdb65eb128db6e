// End to end in a real browser: an owner adds a card through Stripe Checkout in setup mode (the Stripe fake,
// with a local stand-in for Stripe's hosted page), sees it with autopay on, turns autopay off and removes it.
// Screenshots go to test-artifacts/.
import { mkdirSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { hasChromium, openLockedPage } from './browser.ts';
import { createTestDatabase, type TestDatabase } from '../support/db.ts';
import { systemClock } from '../../src/clock.ts';
import { loadConfig } from '../../src/config.ts';
import { silentLogger } from '../../src/log.ts';
import type { AppContext } from '../../src/context.ts';
import { HostError } from '../../src/hosts/types.ts';
import { createTenant } from '../../src/billing/index.ts';
import { createUser } from '../../src/auth/users.ts';
import { startServer, type RunningServer } from '../../src/portal/server.ts';
import { createProviderRegistry } from '../../src/billing/payments/select.ts';
import { StripeFake } from '../fakes/stripe-server.ts';

const ART = 'test-artifacts';
const EMAIL = 'owner@card.example';
const PASSWORD = 'e2e password 1234';

let database: TestDatabase;
let server: RunningServer;
let browser: Browser;
let page: Page;
let stripe: StripeFake;

const shot = (name: string) => page.screenshot({ path: `${ART}/payment-method-${name}.png`, fullPage: true });

describe.skipIf(!hasChromium)('payment method in a browser', () => {
  beforeAll(async () => {
    mkdirSync(ART, { recursive: true });
    database = await createTestDatabase();
    stripe = await StripeFake.start({ secretKey: 'sk_test_e2e', webhookSecret: 'whsec_e2e', now: () => Math.floor(Date.now() / 1000) });
    const config = loadConfig({ STRIPE_SECRET_KEY: 'sk_test_e2e', STRIPE_WEBHOOK_SECRET: 'whsec_e2e', STRIPE_API_BASE: stripe.url.toString(), PAYMENT_PROVIDER: 'stripe' });
    const ctx: AppContext = {
      db: database.db,
      clock: systemClock,
      log: silentLogger,
      config,
      hosts: { adapterFor: () => { throw new HostError('HostUnreachable', 'no hosts in this test'); }, forget: async () => {}, closeAll: async () => {} },
      payments: createProviderRegistry(config.payments, systemClock),
    };
    const tenant = await createTenant(ctx, { company: 'Card Ltd', billingEmail: 'ap@card.example', currency: 'EUR', paymentProvider: 'stripe' });
    await createUser(ctx.db, { email: EMAIL, password: PASSWORD, role: 'owner', tenantId: tenant.id });
    server = await startServer(ctx, 0, '127.0.0.1');
    config.payments.publicUrl = server.url;
    // Webhooks go to the server, as Stripe would send them.
    stripe.sink = async (raw, headers) => (await fetch(`${server.url}/webhooks/stripe`, { method: 'POST', body: raw, headers })).status;
    ({ browser, page } = await openLockedPage({ width: 1100, height: 800, checkoutTitle: 'Stripe Checkout, setup mode (test stand-in)' }));
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await server?.close();
    await database?.close();
    await stripe?.stop();
  });

  it('adds a card through Checkout, shows it, turns autopay off and removes it', async () => {
    await page.goto(`${server.url}/login`);
    await page.fill('#email', EMAIL);
    await page.fill('#password', PASSWORD);
    await page.click('button[type=submit]');
    await page.waitForURL((u) => u.pathname === '/');
    await page.click('nav a[href="/payment-method"]');
    await page.waitForSelector('#add-card');
    expect(await page.textContent('#saved-card')).toContain('none');
    await shot('empty');

    await page.click('#add-card');
    await page.waitForURL(/checkout\.stripe\.com/, { timeout: 10_000 });
    const sessionId = /\/pay\/(cs_[A-Za-z0-9_]+)/.exec(page.url())![1];
    await stripe.completeSetup(sessionId, { brand: 'visa', last4: '4242', expMonth: 8, expYear: 2031 });
    await page.goto(stripe.sessions.get(sessionId)!.success_url as string);
    await page.waitForSelector('#remove-card');
    expect(await page.textContent('#saved-card')).toContain('visa ending 4242, expires 08/2031');
    expect(await page.textContent('#autopay-state')).toBe('on');
    expect(await page.textContent('.notice')).toContain('Card saved.');
    await shot('saved');

    await page.click('#toggle-autopay');
    await page.waitForFunction(() => document.querySelector('#autopay-state')?.textContent === 'off');
    await page.click('#remove-card');
    await page.waitForFunction(() => document.querySelector('#saved-card')?.textContent?.includes('none'));
    expect(await page.textContent('.notice')).toContain('Card removed');
    await shot('removed');
  }, 60_000);
});
