// Debian's chromium through playwright-core, locked to this machine: every request that is not to 127.0.0.1 is
// refused, and Stripe's hosted Checkout is played by a local stand-in page (the Stripe fake completes it).
import { existsSync } from 'node:fs';
import { chromium, type Browser, type Page } from 'playwright-core';

export const CHROMIUM = '/usr/bin/chromium';
export const hasChromium = existsSync(CHROMIUM);

export async function openLockedPage(opts: { width: number; height: number; checkoutTitle: string }): Promise<{ browser: Browser; page: Page }> {
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  const page = await browser.newPage({ viewport: { width: opts.width, height: opts.height } });
  await page.route(/^(?!http:\/\/127\.0\.0\.1)/, (route) => route.abort());
  await page.route(/^https:\/\/checkout\.stripe\.com\//, (route) =>
    route.fulfill({ status: 200, contentType: 'text/html', body: `<!doctype html><title>Checkout (fake)</title><h1>${opts.checkoutTitle}</h1>` }),
  );
  page.on('dialog', (d) => void d.accept());
  return { browser, page };
}
