// The invoicing party (us): name, address, tax id. Read from the environment once, at the edge (CLI/app start).
import { z } from 'zod';

export interface ProviderDetails {
  name: string;
  address: string;
  taxId: string;
  email: string;
}

const Env = z.object({
  BILLING_PROVIDER_NAME: z.string().min(1).default('Kamikazi Hosting'),
  BILLING_PROVIDER_ADDRESS: z.string().default(''),
  BILLING_PROVIDER_TAX_ID: z.string().default(''),
  BILLING_PROVIDER_EMAIL: z.string().default(''),
});

/** `\n` in BILLING_PROVIDER_ADDRESS (literal backslash-n) separates address lines. */
export function providerFromEnv(env: Record<string, string | undefined>): ProviderDetails {
  const e = Env.parse(Object.fromEntries(Object.entries(env).filter(([k, v]) => k.startsWith('BILLING_PROVIDER_') && v !== '')));
  return { name: e.BILLING_PROVIDER_NAME, address: e.BILLING_PROVIDER_ADDRESS.replace(/\\n/g, '\n'), taxId: e.BILLING_PROVIDER_TAX_ID, email: e.BILLING_PROVIDER_EMAIL };
}
