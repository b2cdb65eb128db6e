// One view model for every rendering of an invoice (HTML for the portal, PDF for mail/download): all strings
// already formatted — money with the currency's exponent, dates in the tenant's timezone (period days in UTC).
import type { BillingContext } from '../context.ts';
import { Decimal } from '../decimal.ts';
import { formatAmount } from '../money.ts';
import { getTenant, type Tenant } from '../catalogue/tenants.ts';
import { getInvoice, type InvoiceWithLines } from '../invoices/queries.ts';
import type { ProviderDetails } from './provider.ts';

export interface InvoiceViewLine {
  description: string;
  quantity: string;
  unit: string;
  unitPrice: string;
  amount: string;
}

export interface InvoiceViewGroup {
  title: string;
  subtitle: string;
  lines: InvoiceViewLine[];
  subtotal: string;
}

export interface InvoiceView {
  title: string;
  number: string;
  status: string;
  currency: string;
  provider: ProviderDetails;
  tenant: { company: string; address: string; email: string; timezone: string };
  period: string;
  issued: string;
  due: string;
  paid: string;
  groups: InvoiceViewGroup[];
  subtotal: string;
  taxLabel: string;
  tax: string;
  total: string;
  creditNotes: Array<{ number: string; total: string; reason: string }>;
}

const STATUS: Record<string, string> = { draft: 'Draft', finalized: 'Open', paid: 'Paid', void: 'Void', uncollectible: 'Uncollectible' };

function fmtDate(d: Date | null, timeZone: string): string {
  if (!d) return '';
  return new Intl.DateTimeFormat('en-GB', { timeZone, year: 'numeric', month: 'short', day: 'numeric' }).format(d);
}

export function toInvoiceView(inv: InvoiceWithLines, tenant: Pick<Tenant, 'company' | 'billingAddress' | 'billingEmail' | 'timezone'>, provider: ProviderDetails): InvoiceView {
  const cur = inv.currency;
  const money = (a: bigint) => formatAmount(a, cur);
  const groups = new Map<string, InvoiceViewGroup & { sum: bigint }>();
  for (const l of inv.lines) {
    const key = l.vmUuid && l.kind !== 'adjustment' ? `vm|${l.vmUuid}` : l.kind === 'adjustment' ? 'adj' : 'pool';
    const title = key.startsWith('vm|') ? `VM ${l.vmName ?? l.vmUuid}` : key === 'adj' ? 'Adjustments for earlier periods' : 'Pooled usage';
    const g = groups.get(key) ?? { title, subtitle: key.startsWith('vm|') ? (l.vmUuid ?? '') : '', lines: [], subtotal: '', sum: 0n };
    g.lines.push({
      description: l.description,
      quantity: Decimal.parse(l.quantity).round(3).toString(),
      unit: l.unit,
      unitPrice: Decimal.parse(l.unitPrice).toString(),
      amount: money(l.amount),
    });
    g.sum += l.amount;
    groups.set(key, g);
  }
  const end = new Date(inv.periodEnd.getTime() - 1);
  const rate = Decimal.parse(inv.taxRatePercent).toString();
  return {
    title: inv.status === 'draft' ? 'Draft invoice' : 'Invoice',
    number: inv.number ?? 'DRAFT',
    status: STATUS[inv.status] ?? inv.status,
    currency: cur,
    provider,
    tenant: { company: tenant.company, address: tenant.billingAddress, email: tenant.billingEmail, timezone: tenant.timezone },
    period: `${fmtDate(inv.periodStart, 'UTC')} – ${fmtDate(end, 'UTC')}`,
    issued: fmtDate(inv.finalizedAt, tenant.timezone),
    due: fmtDate(inv.dueAt, tenant.timezone),
    paid: fmtDate(inv.paidAt, tenant.timezone),
    groups: [...groups.values()].map(({ sum, ...g }) => ({ ...g, subtotal: money(sum) })),
    subtotal: money(inv.subtotal),
    taxLabel: inv.taxInclusive ? `Tax ${rate}% (included)` : `Tax ${rate}%`,
    tax: money(inv.tax),
    total: money(inv.total),
    creditNotes: inv.creditNotes.map((c) => ({ number: c.number, total: money(c.total), reason: c.reason })),
  };
}

export async function buildInvoiceView(ctx: BillingContext, input: { invoiceId: string; provider: ProviderDetails }): Promise<InvoiceView> {
  const inv = await getInvoice(ctx, input.invoiceId);
  const tenant = await getTenant(ctx, inv.tenantId);
  return toInvoiceView(inv, tenant, input.provider);
}
