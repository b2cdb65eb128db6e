// Invoice → self-contained HTML (inline styles, no scripts, every value escaped). `fragment` gives just the
// <article> for the portal to embed; otherwise a whole document.
import type { InvoiceView } from './view-model.ts';

const ESC: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ESC[c]);
}
const lines = (s: string) => s.split('\n').map(escapeHtml).join('<br>');

const STYLE = `.kz-invoice{font:14px/1.4 system-ui,sans-serif;color:#111;max-width:860px;margin:0 auto}
.kz-invoice table{width:100%;border-collapse:collapse;margin:.5em 0 1em}
.kz-invoice th,.kz-invoice td{padding:4px 6px;border-bottom:1px solid #ddd;text-align:left;vertical-align:top}
.kz-invoice .n{text-align:right;white-space:nowrap}.kz-invoice .parties{display:flex;justify-content:space-between;gap:2em}
.kz-invoice .total td{font-weight:700;border-top:2px solid #111}.kz-invoice .status{font-weight:700;text-transform:uppercase}
.kz-invoice .sub{color:#666;font-size:12px}`;

export function renderInvoiceHtml(v: InvoiceView, opts: { fragment?: boolean } = {}): string {
  const groups = v.groups
    .map(
      (g) => `<h3>${escapeHtml(g.title)} <span class="sub">${escapeHtml(g.subtitle)}</span></h3>
<table><thead><tr><th>Description</th><th class="n">Quantity</th><th>Unit</th><th class="n">Unit price</th><th class="n">Amount</th></tr></thead><tbody>
${g.lines
  .map(
    (l) =>
      `<tr><td>${escapeHtml(l.description)}</td><td class="n">${escapeHtml(l.quantity)}</td><td>${escapeHtml(l.unit)}</td><td class="n">${escapeHtml(l.unitPrice)}</td><td class="n">${escapeHtml(l.amount)}</td></tr>`,
  )
  .join('\n')}
<tr><td colspan="4">Subtotal</td><td class="n">${escapeHtml(g.subtotal)}</td></tr></tbody></table>`,
    )
    .join('\n');
  const credits = v.creditNotes.length
    ? `<h3>Credit notes</h3><ul>${v.creditNotes.map((c) => `<li>${escapeHtml(c.number)}: ${escapeHtml(c.total)} ${escapeHtml(v.currency)} — ${escapeHtml(c.reason)}</li>`).join('')}</ul>`
    : '';
  const article = `<article class="kz-invoice"><style>${STYLE}</style>
<header><h1>${escapeHtml(v.title)} ${escapeHtml(v.number)}</h1><p class="status">${escapeHtml(v.status)}</p></header>
<section class="parties"><div><strong>${escapeHtml(v.provider.name)}</strong><br>${lines(v.provider.address)}${v.provider.taxId ? `<br>Tax ID: ${escapeHtml(v.provider.taxId)}` : ''}${v.provider.email ? `<br>${escapeHtml(v.provider.email)}` : ''}</div>
<div><strong>${escapeHtml(v.tenant.company)}</strong><br>${lines(v.tenant.address)}<br>${escapeHtml(v.tenant.email)}</div></section>
<p>Period: ${escapeHtml(v.period)}${v.issued ? ` · Issued: ${escapeHtml(v.issued)}` : ''}${v.due ? ` · Due: ${escapeHtml(v.due)}` : ''}${v.paid ? ` · Paid: ${escapeHtml(v.paid)}` : ''} <span class="sub">(${escapeHtml(v.tenant.timezone)})</span></p>
${groups}
<table><tbody><tr><td>Subtotal</td><td class="n">${escapeHtml(v.subtotal)} ${escapeHtml(v.currency)}</td></tr>
<tr><td>${escapeHtml(v.taxLabel)}</td><td class="n">${escapeHtml(v.tax)} ${escapeHtml(v.currency)}</td></tr>
<tr class="total"><td>Total</td><td class="n">${escapeHtml(v.total)} ${escapeHtml(v.currency)}</td></tr></tbody></table>
${credits}</article>`;
  if (opts.fragment) return article;
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(v.title)} ${escapeHtml(v.number)}</title></head><body>${article}</body></html>`;
}
