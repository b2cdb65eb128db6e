// PayPal SDK client construction. The SDK (v2.5) only knows its Production and Sandbox hosts, so for any
// other PAYPAL_API_BASE (tests: the local fake) every request's URL is rebased through the SDK's own
// request-interceptor hook; OAuth token requests go through the same factory, so they follow.
import { Client, Environment } from '@paypal/paypal-server-sdk';

const SANDBOX = 'https://api-m.sandbox.paypal.com';
const PRODUCTION = 'https://api-m.paypal.com';

export interface PayPalClientSettings {
  clientId: string;
  clientSecret: string;
  apiBase?: URL;
  timeoutMs?: number;
}

type Factory = ReturnType<Client['getRequestBuilderFactory']>;

class RebasedClient extends Client {
  private rebaseTo: string | undefined;
  constructor(config: ConstructorParameters<typeof Client>[0], rebaseTo: string) {
    super(config);
    this.rebaseTo = rebaseTo;
  }
  override getRequestBuilderFactory(): Factory {
    const inner = super.getRequestBuilderFactory();
    // Read lazily: the SDK asks for the factory inside its own constructor, before our field is set.
    return ((method: Parameters<Factory>[0], path?: Parameters<Factory>[1]) => {
      const rb = inner(method, path);
      rb.interceptRequest((req) => ({ ...req, url: rebase(req.url, this.rebaseTo) }));
      return rb;
    }) as Factory;
  }
}

function rebase(url: string, to: string | undefined): string {
  if (!to) return url;
  const u = new URL(url);
  const b = new URL(to);
  u.protocol = b.protocol;
  u.host = b.host;
  return u.toString();
}

/** The SDK client plus the origin our raw calls (webhook verification, payouts) use. */
export function createPayPalClient(s: PayPalClientSettings): { client: Client; origin: string } {
  const origin = s.apiBase ? s.apiBase.origin : SANDBOX;
  const config = {
    timeout: s.timeoutMs ?? 20_000,
    environment: origin === PRODUCTION ? Environment.Production : Environment.Sandbox,
    clientCredentialsAuthCredentials: { oAuthClientId: s.clientId, oAuthClientSecret: s.clientSecret },
  };
  if (origin === PRODUCTION || origin === SANDBOX) return { client: new Client(config), origin };
  return { client: new RebasedClient(config, origin), origin };
}
