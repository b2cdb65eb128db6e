// Catalogue shapes: metered components over the usage meters, graduated tiers, bandwidth models.
// Decimals travel as strings (validated exact decimals); the divisor turns raw meter units into display units.
import { z } from 'zod';
import { Decimal } from '../decimal.ts';

/** Component → usage meter column, display unit, and raw units per display unit (exact). */
export const COMPONENTS = {
  cpu_hours: { meter: 'cpu_seconds', unit: 'CPU h', label: 'CPU time', divisor: 3600n },
  vcpu_hours: { meter: 'vcpu_seconds', unit: 'vCPU h', label: 'vCPU allocation', divisor: 3600n },
  memory_gib_hours: { meter: 'mem_mib_seconds', unit: 'GiB h', label: 'Memory', divisor: 1024n * 3600n },
  disk_read_gib: { meter: 'disk_read_bytes', unit: 'GiB', label: 'Disk read', divisor: 1n << 30n },
  disk_write_gib: { meter: 'disk_write_bytes', unit: 'GiB', label: 'Disk write', divisor: 1n << 30n },
  /** VM ingress (net_rx_bytes as the metering layer defines it). */
  network_in_gib: { meter: 'net_rx_bytes', unit: 'GiB', label: 'Network in', divisor: 1n << 30n },
  /** VM egress (net_tx_bytes). */
  network_out_gib: { meter: 'net_tx_bytes', unit: 'GiB', label: 'Network out', divisor: 1n << 30n },
} as const;

export type ComponentName = keyof typeof COMPONENTS;
export const COMPONENT_NAMES = Object.keys(COMPONENTS) as ComponentName[];
export const NETWORK_COMPONENTS: ReadonlyArray<ComponentName> = ['network_in_gib', 'network_out_gib'];

export const decimalString = z.string().refine((s) => {
  try {
    Decimal.parse(s);
    return true;
  } catch {
    return false;
  }
}, 'must be an exact decimal string such as "0.0125"');
const nonNegDecimal = decimalString.refine((s) => !Decimal.parse(s).isNegative(), 'must not be negative');

/** A graduated tier: units up to `upTo` (display units, total usage incl. allowance; null = no limit) at `unitPrice`. */
export const TierSchema = z.object({ upTo: nonNegDecimal.nullable(), unitPrice: nonNegDecimal });
export type Tier = z.infer<typeof TierSchema>;

export const PlanComponentSchema = z
  .object({
    component: z.enum(COMPONENT_NAMES as [ComponentName, ...ComponentName[]]),
    /** Free units per VM (display units); pooled components sum this over the tenant's VMs. */
    included: nonNegDecimal.default('0'),
    tiers: z.array(TierSchema).min(1),
  })
  .superRefine((c, ctx) => {
    c.tiers.forEach((t, i) => {
      const last = i === c.tiers.length - 1;
      if (!last && t.upTo === null) ctx.addIssue({ code: 'custom', message: `${c.component}: only the last tier may be open-ended (tier ${i + 1})` });
      if (last && t.upTo !== null) ctx.addIssue({ code: 'custom', message: `${c.component}: the last tier must be open-ended (upTo: null)` });
      const prev = i > 0 ? c.tiers[i - 1].upTo : null;
      if (prev !== null && t.upTo !== null && Decimal.parse(t.upTo).cmp(prev) <= 0) {
        ctx.addIssue({ code: 'custom', message: `${c.component}: tier ${i + 1} upTo must be above tier ${i}'s` });
      }
    });
  });
export type PlanComponent = z.infer<typeof PlanComponentSchema>;

/**
 * How network traffic is billed:
 * - volume: network components per VM like any other component (default);
 * - pooled: network components' allowances summed over the tenant's VMs on the plan, overage tiers applied once to the pool;
 * - p95: 95th percentile of max(in, out) over 5-minute samples (top 5% discarded), Mbit/s above `includedMbps` × `pricePerMbps`.
 */
export const BandwidthSchema = z.discriminatedUnion('model', [
  z.object({ model: z.literal('volume') }),
  z.object({ model: z.literal('pooled') }),
  z.object({ model: z.literal('p95'), pricePerMbps: nonNegDecimal, includedMbps: nonNegDecimal.default('0') }),
]);
export type Bandwidth = z.infer<typeof BandwidthSchema>;

export const TENANT_STATUSES = ['active', 'suspended'] as const;
export type TenantStatus = (typeof TENANT_STATUSES)[number];
export const PAYMENT_PROVIDERS = ['stripe', 'paypal', 'manual'] as const;
export type PaymentProviderName = (typeof PAYMENT_PROVIDERS)[number];
export const INVOICE_STATUSES = ['draft', 'finalized', 'paid', 'void', 'uncollectible'] as const;
export type InvoiceStatus = (typeof INVOICE_STATUSES)[number];
export const LINE_KINDS = ['base', 'usage', 'pooled', 'p95', 'cap', 'adjustment'] as const;
export type LineKind = (typeof LINE_KINDS)[number];
