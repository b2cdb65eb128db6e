// End to end in a real browser: the real server on 127.0.0.1 over the simulated fleet, Debian's chromium
// via playwright-core. Sign in, dashboard, shut down and start a VM, console round trip, invoice and PDF.
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
import { createSimFleet } from '../../src/hosts/sim/fleet.ts';
import { createAdapterProvider } from '../../src/hosts/provider.ts';
import { seedDemoFleet } from '../../src/collectors/seed-demo.ts';
import { runPollCycle } from '../../src/collectors/poll.ts';
import { rows, sql } from '../../src/db/client.ts';
import { assignVm, createPlan, createTenant, runInvoicePeriod } from '../../src/billing/index.ts';
import { createUser } from '../../src/auth/users.ts';
import { startServer, type RunningServer } from '../../src/portal/server.ts';
import { createProviderRegistry } from '../../src/billing/payments/select.ts';
import { StripeFake } from '../fakes/stripe-server.ts';

const ART = 'test-artifacts';
const EMAIL = 'owner@e2e.example';
const PASSWORD = 'e2e password 1234';

let database: TestDatabase;
let ctx: AppContext;
let server: RunningServer;
let browser: Browser;
let page: Page;
let vm: { uuid: string; name: string };
let stripe: StripeFake;

const shot = (name: string) => page.screenshot({ path: `${ART}/portal-${name}.png`, fullPage: true });

describe.skipIf(!hasChromium)('portal in a browser', () => {
  beforeAll(async () => {
    mkdirSync(ART, { recursive: true });
    database = await createTestDatabase();
    const now = systemClock.now();
    const fleet = createSimFleet({ seed: 11, start: new Date(now.getTime() - 3_600_000), hosts: 1, vmsPerHost: 3 });
    stripe = await StripeFake.start({ secretKey: 'sk_test_e2e', webhookSecret: 'whsec_e2e', now: () => Math.floor(Date.now() / 1000) });
    const config = loadConfig({ STRIPE_SECRET_KEY: 'sk_test_e2e', STRIPE_WEBHOOK_SECRET: 'whsec_e2e', STRIPE_API_BASE: stripe.url.toString(), PAYMENT_PROVIDER: 'stripe' });
    ctx = { db: database.db, clock: systemClock, log: silentLogger, config, hosts: createAdapterProvider({ fleet, clock: systemClock, config, log: silentLogger }), payments: createProviderRegistry(config.payments, systemClock) };
    await seedDemoFleet(ctx, { fleet });
    await runPollCycle(ctx);
    const vms = await rows<{ uuid: string; name: string }>(ctx.db, sql`select uuid::text as uuid, name from vms order by name`);
    expect(vms.length).toBe(3);
    vm = vms[0];
    const tenant = await createTenant(ctx, { company: 'E2E Ltd', billingEmail: 'ap@e2e.example', currency: 'EUR', paymentProvider: 'stripe' });
    const plan = await createPlan(ctx, { name: 'e2e', currency: 'EUR', basePrice: 1234n });
    const lastMonth = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() - 1, 1));
    for (const v of vms) await assignVm(ctx, { vmUuid: v.uuid, tenantId: tenant.id, planId: plan.id, from: lastMonth });
    await createUser(ctx.db, { email: EMAIL, password: PASSWORD, role: 'owner', tenantId: tenant.id });
    const label = `${lastMonth.getUTCFullYear()}-${String(lastMonth.getUTCMonth() + 1).padStart(2, '0')}`;
    await runInvoicePeriod(ctx, { period: label, tenantId: tenant.id, finalize: true });
    server = await startServer(ctx, 0, '127.0.0.1');
    // Links the payments module builds (return URLs) must point at this server; webhooks go to it too.
    config.payments.publicUrl = server.url;
    stripe.sink = async (raw, headers) => (await fetch(`${server.url}/webhooks/stripe`, { method: 'POST', body: raw, headers })).status;
    ({ browser, page } = await openLockedPage({ width: 1200, height: 900, checkoutTitle: 'Stripe Checkout (test stand-in)' }));
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await server?.close();
    await ctx?.hosts.closeAll();
    await database?.close();
    await stripe?.stop();
  });

  it('signs in and shows the dashboard', async () => {
    await page.goto(`${server.url}/`);
    expect(page.url()).toBe(`${server.url}/login`);
    await page.fill('#email', EMAIL);
    await page.fill('#password', PASSWORD);
    await page.click('button[type=submit]');
    await page.waitForSelector('#vms');
    expect(await page.locator('#vms tbody tr').count()).toBe(3);
    expect(await page.locator(`#vms tr[data-vm="${vm.uuid}"] [data-state]`).getAttribute('data-state')).toBe('running');
    await shot('dashboard');
  });

  it('shuts a VM down and starts it again, and the page shows the state change', async () => {
    await page.click(`a[href="/vms/${vm.uuid}"]`);
    await page.waitForSelector('button[data-action="shutdown"]');
    await page.click('button[data-action="shutdown"]');
    await page.waitForSelector('.notice.ok');
    expect(await page.textContent('.notice.ok')).toContain(`Shut down: sent to ${vm.name}`);
    // The guest takes a few seconds to power off (the sim's clean shutdown).
    await expect.poll(async () => {
      await page.goto(`${server.url}/vms/${vm.uuid}`);
      return page.locator('[data-state]').first().getAttribute('data-state');
    }, { timeout: 15_000, interval: 500 }).toBe('stopped');
    await shot('vm-stopped');
    await page.click('button[data-action="start"]');
    await page.waitForSelector('.notice.ok');
    expect(await page.locator('[data-state]').first().getAttribute('data-state')).toBe('running');
    await shot('vm-started');
  });

  it('opens the console, types, and sees the answer', async () => {
    await page.goto(`${server.url}/vms/${vm.uuid}/console`);
    await page.waitForSelector('#console-status[data-state="ok"]', { timeout: 15_000 });
    await page.waitForFunction((name) => document.querySelector('.xterm-rows')?.textContent?.includes(`${name} login:`), vm.name, { timeout: 10_000 });
    await page.click('#terminal');
    await page.keyboard.type('root\r');
    await page.keyboard.type('secret\r');
    await page.keyboard.type('hostname\r');
    await page.waitForFunction((name) => (document.querySelector('.xterm-rows')?.textContent ?? '').includes(`root@${name}:~$ hostname`), vm.name, { timeout: 10_000 });
    const text = await page.textContent('.xterm-rows');
    expect(text).toContain(`root@${vm.name}:~$`);
    await shot('console');
    await page.goto(`${server.url}/audit`);
    const audit = await page.textContent('#audit');
    expect(audit).toContain('console.open');
    expect(audit).toContain('vm.shutdown');
  });

  it('opens an invoice and its PDF', async () => {
    await page.goto(`${server.url}/invoices`);
    await page.click('#invoices tbody tr a');
    await page.waitForSelector('iframe.invoice');
    const frame = page.frameLocator('iframe.invoice');
    await expect.poll(async () => (await frame.locator('body').textContent()) ?? '', { timeout: 10_000 }).toContain('E2E Ltd');
    await shot('invoice');
    const href = await page.getAttribute('#pdf-link', 'href');
    const pdf = await page.request.get(`${server.url}${href}`);
    expect(pdf.headers()['content-type']).toBe('application/pdf');
    expect((await pdf.body()).subarray(0, 5).toString()).toBe('%PDF-');
  });

  it('pays the invoice through Stripe Checkout (the Stripe fake) and shows it paid', async () => {
    await page.goto(`${server.url}/invoices`);
    await page.click('#invoices tbody tr a');
    await page.waitForSelector('#pay');
    const invoiceUrl = page.url();
    await page.click('#pay');
    await page.waitForURL(/checkout\.stripe\.com/, { timeout: 10_000 }).catch(async (err: unknown) => {
      await shot('pay-failed');
      throw new Error(`no redirect to Checkout; the page at ${page.url()} says: ${(await page.textContent('main'))?.slice(0, 300)}`, { cause: err });
    });
    const sessionId = /\/pay\/(cs_[A-Za-z0-9_]+)/.exec(page.url())![1];
    await shot('stripe-checkout');
    await stripe.completeCheckout(sessionId);
    const success = stripe.sessions.get(sessionId)!.success_url as string;
    expect(success.startsWith(`${server.url}/pay/stripe/return`)).toBe(true);
    await page.goto(success);
    await page.waitForURL((u) => u.pathname === new URL(invoiceUrl).pathname && u.searchParams.has('payment'));
    await expect.poll(async () => {
      await page.reload();
      return page.textContent('#invoice-status');
    }, { timeout: 10_000 }).toBe('paid');
    await shot('invoice-paid');
  });
});
