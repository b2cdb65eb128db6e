// /api/v1/invoices: list, detail and PDF. Who sees which invoice is the portal's rule (tenants: their own
// issued invoices; operators: all), reused here. A token limited to one VM is refused outright (403).
import { createRoute, OpenAPIHono, z } from '@hono/zod-openapi';
import type { AppContext } from '../../context.ts';
import { getTenant } from '../../billing/catalogue/tenants.ts';
import { toInvoiceView } from '../../billing/render/view-model.ts';
import { renderInvoicePdf } from '../../billing/render/pdf.ts';
import type { ProviderDetails } from '../../billing/render/provider.ts';
import { getInvoiceForActor, listInvoicesForActor } from '../../portal/queries/invoices.ts';
import type { ApiEnv } from '../env.ts';
import { validationHook } from '../errors.ts';
import { assertTenantWide } from '../auth.ts';
import { jsonBody, problems } from '../responses.ts';
import { IdParam, InvoiceDetailSchema, InvoiceListQuery, InvoiceSchema } from '../schemas.ts';
import { invoiceDetailJson, invoiceJson } from '../views.ts';

const InvoiceId = IdParam('invoice', '9d7f0c56-2f4a-4c1b-9c3e-0a1b2c3d4e5f');
const tags = ['Invoices'];

const listRoute = createRoute({
  method: 'get',
  path: '/invoices',
  tags,
  summary: 'List invoices',
  description: "Tenants: their tenant's issued invoices (drafts are not shown). Operators: every invoice. Not for VM-limited tokens.",
  request: { query: InvoiceListQuery },
  responses: { 200: jsonBody(z.object({ items: z.array(InvoiceSchema) }), 'Newest period first.'), ...problems(400, 403) },
});

const getRoute = createRoute({
  method: 'get',
  path: '/invoices/{id}',
  tags,
  summary: 'One invoice with its lines and credit notes',
  request: { params: InvoiceId },
  responses: { 200: jsonBody(InvoiceDetailSchema, 'The invoice.'), ...problems(400, 403, 404) },
});

const pdfRoute = createRoute({
  method: 'get',
  path: '/invoices/{id}/pdf',
  tags,
  summary: 'The invoice as PDF',
  request: { params: InvoiceId },
  responses: {
    200: { description: 'The PDF document.', content: { 'application/pdf': { schema: z.string().openapi({ format: 'binary' }) } } },
    ...problems(400, 403, 404),
  },
});

export function invoiceRoutes(ctx: AppContext, provider: ProviderDetails): OpenAPIHono<ApiEnv> {
  const app = new OpenAPIHono<ApiEnv>({ defaultHook: validationHook });

  app.openapi(listRoute, async (c) => {
    const actor = c.get('actor');
    assertTenantWide(actor);
    const { status, period } = c.req.valid('query');
    const list = (await listInvoicesForActor(ctx, actor)).filter((i) => (!status || i.status === status) && (!period || i.period === period));
    return c.json({ items: list.map(invoiceJson) }, 200);
  });

  app.openapi(getRoute, async (c) => {
    const actor = c.get('actor');
    assertTenantWide(actor);
    return c.json(invoiceDetailJson(await getInvoiceForActor(ctx, actor, c.req.valid('param').id)), 200);
  });

  app.openapi(pdfRoute, async (c) => {
    const actor = c.get('actor');
    assertTenantWide(actor);
    const inv = await getInvoiceForActor(ctx, actor, c.req.valid('param').id);
    const pdf = await renderInvoicePdf(toInvoiceView(inv, await getTenant(ctx, inv.tenantId), provider));
    const file = `${(inv.number ?? `draft-${inv.period}`).replace(/[^A-Za-z0-9_.-]/g, '_')}.pdf`;
    return c.body(new Uint8Array(pdf), 200, {
      'content-type': 'application/pdf',
      'content-disposition': `attachment; filename="${file}"`,
      'cache-control': 'private, no-store',
    });
  });
  return app;
}
