// Builds the configured providers once, at start (never at import): Stripe and/or PayPal from PaymentsConfig.
import type { Clock } from '../../clock.ts';
import type { PaymentsConfig } from '../../config.ts';
import { PaymentError, type ProviderRegistry } from './deps.ts';
import { PayPalProvider } from './paypal.ts';
import type { PaymentProvider, ProviderName } from './provider.ts';
import { StripeProvider } from './stripe.ts';

export function createProviderRegistry(cfg: PaymentsConfig, clock: Clock, extra: Partial<Record<ProviderName, PaymentProvider>> = {}): ProviderRegistry {
  const map = new Map<ProviderName, PaymentProvider>();
  if (cfg.stripe) {
    map.set('stripe', new StripeProvider({ ...cfg.stripe, titheAccount: cfg.titheStripeAccount, clock }));
  }
  if (cfg.paypal) {
    map.set('paypal', new PayPalProvider({ ...cfg.paypal, tithePayee: cfg.tithePaypalPayee, clock }));
  }
  for (const [k, v] of Object.entries(extra) as [ProviderName, PaymentProvider][]) map.set(k, v);
  return {
    get(name) {
      const p = map.get(name);
      if (!p) throw new PaymentError('ProviderNotConfigured', `payment provider ${name} is not configured (set ${name === 'stripe' ? 'STRIPE_SECRET_KEY' : 'PAYPAL_CLIENT_ID and PAYPAL_CLIENT_SECRET'})`);
      return p;
    },
    has(name: string): name is ProviderName {
      return map.has(name as ProviderName);
    },
  };
}
