// Environment → typed, validated configuration. The one place that reads process.env.
import { z } from 'zod';

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
});

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
};

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
  };
}
