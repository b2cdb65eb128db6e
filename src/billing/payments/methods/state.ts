// getPaymentMethodState: what a tenant has saved for autopay at its provider, whether autopay is on, and
// whether its provider can save a method at all. Callers check the caller may see this tenant.
import type { PaymentsDeps } from '../deps.ts';
import type { SavedCard } from '../provider.ts';
import { autopayUnavailable, customerRow, loadMethodTenant } from './common.ts';

export interface PaymentMethodState {
  tenantId: string;
  /** The tenant's payment provider: stripe | paypal | manual. */
  provider: string;
  /** Null when a method can be saved here; otherwise why not (shown to the tenant). */
  unavailableReason: string | null;
  /** A method is saved (its card details below, when the provider reported a card). */
  hasMethod: boolean;
  card: SavedCard | null;
  /** True when the card's expiry month is over (at the injected clock). */
  cardExpired: boolean;
  autopay: boolean;
  updatedAt: Date | null;
}

export async function getPaymentMethodState(d: Pick<PaymentsDeps, 'db' | 'clock' | 'providers'>, tenantId: string): Promise<PaymentMethodState> {
  const t = await loadMethodTenant(d.db, tenantId);
  const row = await customerRow(d.db, t.id, t.provider);
  const card =
    row?.defaultPaymentMethod && row.cardLast4 && row.cardExpMonth && row.cardExpYear
      ? { brand: row.cardBrand ?? 'card', last4: row.cardLast4, expMonth: row.cardExpMonth, expYear: row.cardExpYear }
      : null;
  const now = d.clock.now();
  const cardExpired = !!card && (card.expYear < now.getUTCFullYear() || (card.expYear === now.getUTCFullYear() && card.expMonth < now.getUTCMonth() + 1));
  return {
    tenantId: t.id,
    provider: t.provider,
    unavailableReason: autopayUnavailable(d, t.provider),
    hasMethod: !!row?.defaultPaymentMethod,
    card,
    cardExpired,
    autopay: !!row?.autopay && !!row.defaultPaymentMethod,
    updatedAt: row?.updatedAt ?? null,
  };
}
