// Billing periods: a tenant's period 'YYYY-MM' runs from day `billingDay` of that month to the same day of the
// next, both at 00:00 UTC (documented choice: boundaries are UTC, the tenant's timezone only affects display).
import { BillingError } from './errors.ts';

export interface Period {
  /** 'YYYY-MM' */
  label: string;
  start: Date;
  end: Date;
}

const PERIOD_RE = /^(\d{4})-(\d{2})$/;

export function parsePeriodLabel(label: string): { year: number; month: number } {
  const m = PERIOD_RE.exec(label);
  const month = m ? Number(m[2]) : 0;
  if (!m || month < 1 || month > 12) throw new BillingError('InvalidInput', `period "${label}": expected YYYY-MM, e.g. 2026-03`);
  return { year: Number(m[1]), month };
}

export function billingPeriod(billingDay: number, label: string): Period {
  if (!Number.isInteger(billingDay) || billingDay < 1 || billingDay > 28) {
    throw new BillingError('InvalidInput', `billing day ${billingDay}: must be an integer 1–28`);
  }
  const { year, month } = parsePeriodLabel(label);
  return {
    label,
    start: new Date(Date.UTC(year, month - 1, billingDay)),
    end: new Date(Date.UTC(year, month, billingDay)),
  };
}

/** The period label `n` months before `label`. */
export function shiftPeriodLabel(label: string, n: number): string {
  const { year, month } = parsePeriodLabel(label);
  const d = new Date(Date.UTC(year, month - 1 + n, 1));
  return `${d.getUTCFullYear()}-${String(d.getUTCMonth() + 1).padStart(2, '0')}`;
}

/** The label of the period that contains `at` for the given billing day. */
export function periodLabelAt(billingDay: number, at: Date): string {
  const shift = at.getUTCDate() < billingDay ? -1 : 0;
  const d = new Date(Date.UTC(at.getUTCFullYear(), at.getUTCMonth() + shift, 1));
  return `${d.getUTCFullYear()}-${String(d.getUTCMonth() + 1).padStart(2, '0')}`;
}
