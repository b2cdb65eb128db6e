// The invoicing party (us): name, address, tax id. Configured in src/config.ts (BILLING_PROVIDER_*).

export interface ProviderDetails {
  name: string;
  address: string;
  taxId: string;
  email: string;
}
