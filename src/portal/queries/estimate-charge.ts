// The rating dry-run for one tenant and period, formatted. Isolated so the dashboard does not fail when
// rating fails (a plan misconfigured, a currency mismatch): the estimate is then shown as unavailable.
import type { AppContext } from '../../context.ts';
import { formatMoney, runInvoicePeriod } from '../../billing/index.ts';

/** Rating a month is not free; an estimate a minute old is good enough for a dashboard. */
const CACHE_MS = 60_000;
const cache = new WeakMap<AppContext, Map<string, { at: number; value: string | null }>>();

export async function estimateTenantCharge(ctx: AppContext, tenantId: string, period: string): Promise<string | null> {
  let byKey = cache.get(ctx);
  if (!byKey) cache.set(ctx, (byKey = new Map()));
  const key = `${tenantId}:${period}`;
  const now = ctx.clock.now().getTime();
  const hit = byKey.get(key);
  if (hit && now - hit.at < CACHE_MS && now >= hit.at) return hit.value;
  try {
    const r = await runInvoicePeriod(ctx, { period, tenantId, dryRun: true });
    const inv = r.invoices.find((i) => i.tenantId === tenantId);
    const value = inv ? `${formatMoney({ amount: inv.total, currency: inv.currency })} (so far, incl. tax)` : null;
    byKey.set(key, { at: now, value });
    return value;
  } catch (err) {
    ctx.log.warn({ err, tenantId, period }, 'dashboard: rating dry-run failed; estimate not shown');
    return null;
  }
}
