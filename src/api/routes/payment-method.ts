// /api/v1/payment-method: the tenant's saved card (display metadata only) and autopay. The same actions as
// the portal page: tenant users read their own; owners change it (not read-only or VM-limited tokens);
// operators read any tenant's with ?tenant=ID.
import { createRoute, OpenAPIHono, z } from '@hono/zod-openapi';
import type { AppContext } from '../../context.ts';
import type { PaymentMethodState } from '../../billing/payments/methods/state.ts';
import { paymentMethodFor, removeMethodFor, setAutopayFor, startSetupFor } from '../../portal/actions/payment-method.ts';
import { clientIp } from '../../portal/env.ts';
import type { ApiEnv } from '../env.ts';
import { PROBLEM_TYPE, PROBLEMS, validationHook } from '../errors.ts';
import { jsonBody, problems } from '../responses.ts';
import { ProblemSchema } from '../schemas.ts';

const tags = ['Payment method'];
const TENANT_EXAMPLE = '7c9e6679-7425-40de-944b-e07fc1f90ae7';

export const PaymentMethodSchema = z
  .object({
    tenantId: z.uuid().openapi({ example: TENANT_EXAMPLE }),
    provider: z.string().openapi({ description: "The tenant's payment provider: stripe, paypal or manual.", example: 'stripe' }),
    autopayAvailable: z.boolean().openapi({ description: 'Whether a card can be saved for autopay (Stripe only).' }),
    unavailableReason: z.string().nullable().openapi({ description: 'Why not, when autopayAvailable is false.' }),
    hasMethod: z.boolean(),
    card: z
      .object({
        brand: z.string().openapi({ example: 'visa' }),
        last4: z.string().openapi({ example: '4242' }),
        expMonth: z.number().int().openapi({ example: 12 }),
        expYear: z.number().int().openapi({ example: 2030 }),
        expired: z.boolean(),
      })
      .nullable()
      .openapi({ description: 'Display metadata reported by the provider; no card data is stored.' }),
    autopay: z.boolean().openapi({ description: 'Finalized invoices are charged to the saved card automatically.' }),
    updatedAt: z.string().nullable().openapi({ format: 'date-time' }),
  })
  .openapi('PaymentMethod');

const TenantQuery = z.object({
  tenant: z
    .uuid({ error: 'tenant ids are UUIDs' })
    .optional()
    .openapi({ param: { name: 'tenant', in: 'query' }, description: "Operators: the tenant to show (required). Tenant callers: omit, or their own tenant's id.", example: TENANT_EXAMPLE }),
});

const AutopayBody = z.object({ enabled: z.boolean() }).openapi('AutopaySetting');
const SetupBody = z.object({ autopay: z.boolean().default(true).openapi({ description: 'Turn autopay on once the card is saved.' }) }).openapi('NewCardSetup');
const SetupSchema = z
  .object({
    setupId: z.uuid(),
    url: z.string().openapi({ description: "Stripe's hosted page; send the person there. The card is saved when Stripe confirms it.", example: 'https://checkout.stripe.com/c/pay/cs_test_…' }),
  })
  .openapi('CardSetup');

const OWNER = 'Owners of the tenant only (not read-only or VM-limited tokens); operators can read but not change.';
const providerDown = { 503: { description: PROBLEMS['provider-unavailable'].about, content: { [PROBLEM_TYPE]: { schema: ProblemSchema } } } };

const getRoute = createRoute({
  method: 'get',
  path: '/payment-method',
  tags,
  summary: 'The saved card and autopay',
  request: { query: TenantQuery },
  responses: { 200: jsonBody(PaymentMethodSchema, "The tenant's payment method state."), ...problems(400, 403, 404) },
});

const autopayRoute = createRoute({
  method: 'post',
  path: '/payment-method/autopay',
  tags,
  summary: 'Turn autopay on or off',
  description: `${OWNER} Turning it on needs a saved card (409 otherwise).`,
  request: { body: { required: true, content: { 'application/json': { schema: AutopayBody } } } },
  responses: { 200: jsonBody(PaymentMethodSchema, 'The new state.'), ...problems(400, 403, 404, 409, 415) },
});

const setupRoute = createRoute({
  method: 'post',
  path: '/payment-method/setup',
  tags,
  summary: 'Start adding or replacing the card',
  description: `${OWNER} Opens a Stripe Checkout page in setup mode (a second call while it is valid returns the same page).`,
  request: { body: { required: false, content: { 'application/json': { schema: SetupBody } } } },
  responses: { 201: jsonBody(SetupSchema, 'Where to send the person.'), ...problems(400, 403, 404, 409, 415), ...providerDown },
});

const removeRoute = createRoute({
  method: 'delete',
  path: '/payment-method',
  tags,
  summary: 'Remove the saved card',
  description: `${OWNER} Detaches it at Stripe, forgets it here and turns autopay off. Removing nothing is not an error.`,
  responses: { 200: jsonBody(PaymentMethodSchema, 'The new state.'), ...problems(403, 404, 409), ...providerDown },
});

function methodJson(s: PaymentMethodState) {
  return {
    tenantId: s.tenantId,
    provider: s.provider,
    autopayAvailable: s.unavailableReason === null,
    unavailableReason: s.unavailableReason,
    hasMethod: s.hasMethod,
    card: s.card ? { ...s.card, expired: s.cardExpired } : null,
    autopay: s.autopay,
    updatedAt: s.updatedAt ? s.updatedAt.toISOString() : null,
  };
}

export function paymentMethodRoutes(ctx: AppContext): OpenAPIHono<ApiEnv> {
  const app = new OpenAPIHono<ApiEnv>({ defaultHook: validationHook });

  app.openapi(getRoute, async (c) => c.json(methodJson(await paymentMethodFor(ctx, c.get('actor'), c.req.valid('query').tenant)), 200));

  app.openapi(autopayRoute, async (c) => {
    const actor = c.get('actor');
    await setAutopayFor(ctx, actor, { enabled: c.req.valid('json').enabled, ip: clientIp(c) });
    return c.json(methodJson(await paymentMethodFor(ctx, actor)), 200);
  });

  app.openapi(setupRoute, async (c) => {
    const body = (c.req.header('content-type') ?? '').startsWith('application/json') ? c.req.valid('json') : { autopay: true };
    const r = await startSetupFor(ctx, c.get('actor'), { autopay: body.autopay, ip: clientIp(c) });
    return c.json({ setupId: r.setupId, url: r.redirectUrl }, 201);
  });

  app.openapi(removeRoute, async (c) => {
    const actor = c.get('actor');
    await removeMethodFor(ctx, actor, { ip: clientIp(c) });
    return c.json(methodJson(await paymentMethodFor(ctx, actor)), 200);
  });
  return app;
}
