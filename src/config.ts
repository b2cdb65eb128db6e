// Environment → typed, validated configuration. The one place that reads process.env.
import { isIP } from 'node:net';
import { z } from 'zod';
import type { ProviderDetails } from './billing/render/provider.ts';

const bool = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'])
  .transform((v) => v === 'true' || v === '1' || v === 'yes');

const ConfigSchema = z.object({
  DATABASE_URL: z.string().url().optional(),
  DATA_DIR: z.string().min(1).default('./data'),
  PORT: z.coerce.number().int().min(0).max(65535).default(8080),
  HOST: z.string().default('127.0.0.1'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  POLL_INTERVAL_SECONDS: z.coerce.number().int().min(1).max(3600).default(10),
  POLL_CONCURRENCY: z.coerce.number().int().min(1).max(1000).default(16),
  POLL_TIMEOUT_SECONDS: z.coerce.number().int().min(1).max(600).default(20),
  HOST_LEASE_SECONDS: z.coerce.number().int().min(5).max(3600).default(60),
  MINUTE_RETENTION_DAYS: z.coerce.number().int().min(2).max(3650).default(35),
  SSH_CONNECT_TIMEOUT_SECONDS: z.coerce.number().int().min(1).max(300).default(10),
  SCHEDULER: bool.default(true),
  DEMO_SEED: bool.default(true),
  SIM_SEED: z.coerce.number().int().default(42),
  // Payments (all optional: without keys the provider is simply not offered).
  PAYMENT_PROVIDER: z.enum(['stripe', 'paypal', 'none']).optional(),
  STRIPE_SECRET_KEY: z.string().regex(/^(sk|rk)_(test|live)_[A-Za-z0-9_]+$/, 'a Stripe secret key (sk_test_… / sk_live_…)').optional(),
  STRIPE_WEBHOOK_SECRET: z.string().regex(/^whsec_[A-Za-z0-9_+/=]+$/, 'a Stripe signing secret (whsec_…)').optional(),
  STRIPE_API_BASE: z.string().url().optional(),
  PAYPAL_CLIENT_ID: z.string().min(1).optional(),
  PAYPAL_CLIENT_SECRET: z.string().min(1).optional(),
  PAYPAL_API_BASE: z.string().url().optional(),
  PAYPAL_WEBHOOK_ID: z.string().min(1).optional(),
  PAYPAL_TITHE_MODE: z.enum(['platform_fees', 'payouts']).default('payouts'),
  TITHE_BPS: z.coerce.number().int().min(0).max(10000).default(0),
  TITHE_STRIPE_ACCOUNT: z.string().regex(/^acct_[A-Za-z0-9]+$/, 'a Stripe connected account id (acct_…)').optional(),
  TITHE_PAYPAL_PAYEE: z.string().min(3).optional(),
  PUBLIC_URL: z.string().url().default('http://127.0.0.1:8080'),
  // Reverse proxies whose X-Forwarded-For is believed (comma-separated addresses); none by default.
  TRUSTED_PROXIES: z
    .string()
    .default('')
    .refine((s) => s.split(',').every((a) => a.trim() === '' || isIP(a.trim()) !== 0), 'comma-separated IP addresses, e.g. 127.0.0.1,10.0.0.2'),
  DUNNING_RETRY_DAYS: z.string().regex(/^\d+(,\d+)*$/, 'comma-separated day offsets, e.g. 1,3,7').default('1,3,7'),
  // The invoicing party printed on invoices; `\n` (backslash-n) separates address lines.
  BILLING_PROVIDER_NAME: z.string().min(1).default('Kamikazi Hosting'),
  BILLING_PROVIDER_ADDRESS: z.string().default(''),
  BILLING_PROVIDER_TAX_ID: z.string().default(''),
  BILLING_PROVIDER_EMAIL: z.string().default(''),
  DUNNING_SUSPEND_AFTER_DAYS: z.coerce.number().int().min(0).max(365).optional(),
  // Encrypts secrets at rest (TOTP keys). Required with DATABASE_URL; the embedded default keeps one in DATA_DIR.
  SECRET_KEY: z
    .string()
    .transform((s, ctx) => {
      const key = parseSecretKey(s);
      if (key) return key;
      ctx.addIssue({ code: 'custom', message: '32 random bytes as 64 hex digits or base64 (e.g. `openssl rand -hex 32`)' });
      return z.NEVER;
    })
    .optional(),
});

/** 32 bytes from 64 hex digits or base64 (standard or url-safe); null for anything else. */
export function parseSecretKey(s: string): Buffer | null {
  const t = s.trim();
  if (/^[0-9a-fA-F]{64}$/.test(t)) return Buffer.from(t, 'hex');
  if (/^[A-Za-z0-9+/_-]{43}=?$/.test(t)) {
    const b = Buffer.from(t.replace(/-/g, '+').replace(/_/g, '/'), 'base64');
    if (b.length === 32) return b;
  }
  return null;
}

export type Config = {
  databaseUrl: string | undefined;
  dataDir: string;
  port: number;
  host: string;
  logLevel: z.infer<typeof ConfigSchema>['LOG_LEVEL'];
  pollIntervalSeconds: number;
  pollConcurrency: number;
  pollTimeoutSeconds: number;
  hostLeaseSeconds: number;
  minuteRetentionDays: number;
  sshConnectTimeoutSeconds: number;
  scheduler: boolean;
  demoSeed: boolean;
  simSeed: number;
  payments: PaymentsConfig;
  /** Who issues the invoices (name, address, tax id, e-mail). */
  billingProvider: ProviderDetails;
  /**
   * AES-256-GCM key for secrets at rest (SECRET_KEY). Undefined when not set: the CLI context then loads or
   * creates DATA_DIR/secret.key for the embedded database, and `serve` refuses to start with DATABASE_URL.
   */
  secretKey?: Buffer;
  /** Proxies whose X-Forwarded-For names the client (login throttling, audit log). */
  trustedProxies: string[];
};

/** Payment providers, tithe and dunning settings (see src/billing/payments/select.ts). */
export interface PaymentsConfig {
  provider: 'stripe' | 'paypal' | 'none';
  stripe?: { secretKey: string; webhookSecret?: string; apiBase?: URL };
  paypal?: { clientId: string; clientSecret: string; apiBase?: URL; webhookId?: string; titheMode: 'platform_fees' | 'payouts' };
  /** Tithe in basis points of each captured payment (0 = no tithe). */
  titheBps: number;
  titheStripeAccount?: string;
  tithePaypalPayee?: string;
  publicUrl: string;
  dunningRetryDays: number[];
  /** Days past due before VMs are shut down; undefined = never suspend. */
  dunningSuspendAfterDays?: number;
}

export class ConfigError extends Error {}

/** Parse the environment once at start; fail fast naming the variable to fix. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const parsed = ConfigSchema.safeParse(Object.fromEntries(Object.entries(env).filter(([, v]) => v !== '')));
  if (!parsed.success) {
    const msgs = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
    throw new ConfigError(`invalid configuration: ${msgs.join('; ')}`);
  }
  const e = parsed.data;
  return {
    databaseUrl: e.DATABASE_URL,
    dataDir: e.DATA_DIR,
    port: e.PORT,
    host: e.HOST,
    logLevel: e.LOG_LEVEL,
    pollIntervalSeconds: e.POLL_INTERVAL_SECONDS,
    pollConcurrency: e.POLL_CONCURRENCY,
    pollTimeoutSeconds: e.POLL_TIMEOUT_SECONDS,
    hostLeaseSeconds: e.HOST_LEASE_SECONDS,
    minuteRetentionDays: e.MINUTE_RETENTION_DAYS,
    sshConnectTimeoutSeconds: e.SSH_CONNECT_TIMEOUT_SECONDS,
    scheduler: e.SCHEDULER,
    demoSeed: e.DEMO_SEED,
    simSeed: e.SIM_SEED,
    payments: paymentsConfig(e),
    billingProvider: {
      name: e.BILLING_PROVIDER_NAME,
      address: e.BILLING_PROVIDER_ADDRESS.replace(/\\n/g, '\n'),
      taxId: e.BILLING_PROVIDER_TAX_ID,
      email: e.BILLING_PROVIDER_EMAIL,
    },
    secretKey: e.SECRET_KEY,
    trustedProxies: e.TRUSTED_PROXIES.split(',').map((a) => a.trim()).filter((a) => a !== ''),
  };
}

function paymentsConfig(e: z.infer<typeof ConfigSchema>): PaymentsConfig {
  const stripe = e.STRIPE_SECRET_KEY
    ? { secretKey: e.STRIPE_SECRET_KEY, webhookSecret: e.STRIPE_WEBHOOK_SECRET, apiBase: e.STRIPE_API_BASE ? new URL(e.STRIPE_API_BASE) : undefined }
    : undefined;
  if ((e.PAYPAL_CLIENT_ID === undefined) !== (e.PAYPAL_CLIENT_SECRET === undefined)) {
    throw new ConfigError('invalid configuration: PAYPAL_CLIENT_ID and PAYPAL_CLIENT_SECRET must be set together');
  }
  const paypal =
    e.PAYPAL_CLIENT_ID && e.PAYPAL_CLIENT_SECRET
      ? {
          clientId: e.PAYPAL_CLIENT_ID,
          clientSecret: e.PAYPAL_CLIENT_SECRET,
          apiBase: e.PAYPAL_API_BASE ? new URL(e.PAYPAL_API_BASE) : undefined,
          webhookId: e.PAYPAL_WEBHOOK_ID,
          titheMode: e.PAYPAL_TITHE_MODE,
        }
      : undefined;
  const provider = e.PAYMENT_PROVIDER ?? (stripe ? 'stripe' : paypal ? 'paypal' : 'none');
  if (provider === 'stripe' && !stripe) throw new ConfigError('invalid configuration: PAYMENT_PROVIDER=stripe needs STRIPE_SECRET_KEY');
  if (provider === 'paypal' && !paypal) throw new ConfigError('invalid configuration: PAYMENT_PROVIDER=paypal needs PAYPAL_CLIENT_ID and PAYPAL_CLIENT_SECRET');
  return {
    provider,
    stripe,
    paypal,
    titheBps: e.TITHE_BPS,
    titheStripeAccount: e.TITHE_STRIPE_ACCOUNT,
    tithePaypalPayee: e.TITHE_PAYPAL_PAYEE,
    publicUrl: e.PUBLIC_URL,
    dunningRetryDays: e.DUNNING_RETRY_DAYS.split(',').map(Number),
    dunningSuspendAfterDays: e.DUNNING_SUSPEND_AFTER_DAYS,
  };
}
