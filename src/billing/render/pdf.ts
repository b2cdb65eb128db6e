// Invoice → PDF with pdfkit from the same view model as the HTML. Standard Helvetica (no font files needed).
import PDFDocument from 'pdfkit';
import type { InvoiceView } from './view-model.ts';

export async function renderInvoicePdf(v: InvoiceView, opts: { compress?: boolean } = {}): Promise<Buffer> {
  const doc = new PDFDocument({ size: 'A4', margin: 48, compress: opts.compress ?? true, info: { Title: `${v.title} ${v.number}`, Author: v.provider.name } });
  const chunks: Buffer[] = [];
  doc.on('data', (c: Buffer) => chunks.push(c));
  const done = new Promise<Buffer>((resolve, reject) => {
    doc.on('end', () => resolve(Buffer.concat(chunks)));
    doc.on('error', reject);
  });
  const left = doc.page.margins.left;
  const width = doc.page.width - left - doc.page.margins.right;
  const cols = [left, left + width * 0.5, left + width * 0.62, left + width * 0.72, left + width * 0.86];
  const colW = [width * 0.49, width * 0.11, width * 0.1, width * 0.13, width * 0.14];

  doc.font('Helvetica-Bold').fontSize(18).text(`${v.title} ${v.number}`);
  doc.font('Helvetica').fontSize(10).text(`Status: ${v.status}`);
  doc.moveDown();
  const top = doc.y;
  doc.font('Helvetica-Bold').text(v.provider.name, left, top, { width: width / 2 - 10 });
  doc.font('Helvetica').text([v.provider.address, v.provider.taxId ? `Tax ID: ${v.provider.taxId}` : '', v.provider.email].filter(Boolean).join('\n'), { width: width / 2 - 10 });
  const afterLeft = doc.y;
  doc.font('Helvetica-Bold').text(v.tenant.company, left + width / 2, top, { width: width / 2 });
  doc.font('Helvetica').text([v.tenant.address, v.tenant.email].filter(Boolean).join('\n'), { width: width / 2 });
  doc.y = Math.max(afterLeft, doc.y);
  doc.x = left;
  doc.moveDown();
  doc.text(`Period: ${v.period}${v.issued ? `   Issued: ${v.issued}` : ''}${v.due ? `   Due: ${v.due}` : ''}${v.paid ? `   Paid: ${v.paid}` : ''}`, left);
  doc.moveDown();

  const row = (cells: string[], bold = false) => {
    if (doc.y > doc.page.height - doc.page.margins.bottom - 40) doc.addPage();
    const y = doc.y;
    doc.font(bold ? 'Helvetica-Bold' : 'Helvetica').fontSize(9);
    let h = 0;
    cells.forEach((c, i) => {
      doc.text(c, cols[i], y, { width: colW[i], align: i === 0 || i === 2 ? 'left' : 'right' });
      h = Math.max(h, doc.y - y);
    });
    doc.x = left;
    doc.y = y + h + 3;
  };
  for (const g of v.groups) {
    doc.font('Helvetica-Bold').fontSize(11).text(`${g.title}${g.subtitle ? `  (${g.subtitle})` : ''}`, left);
    row(['Description', 'Quantity', 'Unit', 'Unit price', `Amount ${v.currency}`], true);
    for (const l of g.lines) row([l.description, l.quantity, l.unit, l.unitPrice, l.amount]);
    row(['Subtotal', '', '', '', g.subtotal], true);
    doc.moveDown(0.5);
  }
  row(['Subtotal', '', '', '', `${v.subtotal} ${v.currency}`]);
  row([v.taxLabel, '', '', '', `${v.tax} ${v.currency}`]);
  row(['Total', '', '', '', `${v.total} ${v.currency}`], true);
  for (const c of v.creditNotes) row([`Credit note ${c.number}: ${c.reason}`, '', '', '', `-${c.total}`]);
  doc.end();
  return done;
}
