// Shapes that flow through rating: assignment slices in, rated lines and billed-usage snapshots out.
import type { Decimal } from '../decimal.ts';
import type { LineKind } from '../catalogue/types.ts';
import type { Plan } from '../catalogue/plans.ts';
import type { Period } from '../period.ts';

/** Snapshot key for the 95th-percentile peak (raw = bits per 5 minutes at the percentile). */
export const P95_KEY = 'bandwidth_p95';

/** One assignment clipped to a billing period, with what proration needs. */
export interface AssignmentSlice {
  assignmentId: string;
  vmUuid: string;
  vmName: string;
  tenantId: string;
  plan: Plan;
  start: Date;
  end: Date;
  /** Milliseconds of every assignment of this VM inside the period (any tenant), in time order. */
  siblingMs: bigint[];
  /** This slice's index in siblingMs. */
  siblingIndex: number;
  /** Milliseconds in the whole period. */
  periodMs: bigint;
  /** Start of the billing period the slice was cut from. */
  periodStart: Date;
}

/** Raw (meter-unit) quantities per component name or P95_KEY, per assignment. */
export type UsageByAssignment = Map<string, Map<string, Decimal>>;

export interface RatedLine {
  kind: LineKind;
  /** Stable identity of the line across re-ratings (used to diff late usage). */
  key: string;
  vmUuid: string | null;
  vmName: string | null;
  component: string | null;
  description: string;
  /** Display quantity, exact. */
  quantity: Decimal;
  unit: string;
  unitPrice: Decimal;
  amount: bigint;
  rangeStart: Date;
  rangeEnd: Date;
}

export interface UsageSnapshotRow {
  sourcePeriodStart: Date;
  assignmentId: string;
  vmUuid: string;
  component: string;
  rangeStart: Date;
  rangeEnd: Date;
  rawQuantity: Decimal;
}

export interface TenantForRating {
  id: string;
  company: string;
  currency: string;
  taxRatePercent: string;
  pricesIncludeTax: boolean;
  billingDay: number;
}

export interface RatedInvoice {
  tenantId: string;
  company: string;
  currency: string;
  period: Period;
  lines: RatedLine[];
  subtotal: bigint;
  tax: bigint;
  total: bigint;
  taxRatePercent: string;
  taxInclusive: boolean;
  usage: UsageSnapshotRow[];
}
