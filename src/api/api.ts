// createApi(ctx): the JSON API mounted at /api — /api/v1 routes (bearer tokens or the portal's session),
// the OpenAPI document at /api/openapi.json and its reference page at /api/docs. Errors: problem+json only,
// answered by createApp's one error handler for every path under isApiPath (handleApiError).
import { OpenAPIHono } from '@hono/zod-openapi';
import type { AppContext } from '../context.ts';
import { AuthError } from '../auth/errors.ts';
import type { ProviderDetails } from '../billing/render/provider.ts';
import type { ApiEnv } from './env.ts';
import { apiAuth, TokenCache } from './auth.ts';
import { validationHook } from './errors.ts';
import { buildOpenApiDocument, registerSecuritySchemes, type OpenApiDocument } from './openapi.ts';
import { DOCS_CSS, renderDocsPage } from './docs-page.ts';
import { vmRoutes } from './routes/vms.ts';
import { invoiceRoutes } from './routes/invoices.ts';
import { tokenRoutes } from './routes/tokens.ts';
import { operatorRoutes } from './routes/operator.ts';
import { paymentMethodRoutes } from './routes/payment-method.ts';

export interface ApiOptions {
  /** The service's public URL (CSRF origin check for session callers). */
  publicUrl?: string;
  /** The invoicing party printed on PDFs; default: BILLING_PROVIDER_* from the environment. */
  provider?: ProviderDetails;
  /** Trust a verified bearer token this long without a database lookup (default 1000 ms; 0 = never cache). */
  tokenCacheMs?: number;
}

export function createApi(ctx: AppContext, opts: ApiOptions = {}): OpenAPIHono<ApiEnv> {
  const api = new OpenAPIHono<ApiEnv>({ defaultHook: validationHook });
  const provider = opts.provider ?? ctx.config.billingProvider;

  const tokenCache = new TokenCache(opts.tokenCacheMs ?? 1000);
  api.use('/v1/*', apiAuth(ctx, { publicUrl: opts.publicUrl ?? ctx.config.payments.publicUrl }, tokenCache));

  api.route('/v1', vmRoutes(ctx));
  api.route('/v1', invoiceRoutes(ctx, provider));
  api.route('/v1', tokenRoutes(ctx, tokenCache));
  api.route('/v1', operatorRoutes(ctx));
  api.route('/v1', paymentMethodRoutes(ctx));
  registerSecuritySchemes(api);

  let doc: OpenApiDocument | undefined;
  let page: string | undefined;
  const document = (): OpenApiDocument => (doc ??= buildOpenApiDocument(api));
  api.get('/openapi.json', (c) => c.json(document(), 200, { 'cache-control': 'no-cache' }));
  api.get('/docs', (c) => c.html((page ??= renderDocsPage(document(), '/api/docs.css'))));
  api.get('/docs.css', (c) => c.body(DOCS_CSS, 200, { 'content-type': 'text/css; charset=utf-8', 'cache-control': 'public, max-age=3600' }));

  api.all('*', (c) => {
    throw new AuthError('NotFound', `no API route ${c.req.method} ${c.req.path} (see /api/docs)`);
  });
  return api;
}

/** The paths createApi answers (it is mounted at /api). */
export const isApiPath = (path: string): boolean => path === '/api' || path.startsWith('/api/');

/** The API paths that answer data rather than a page: all but the reference page at /api/docs. */
export const isApiDataPath = (path: string): boolean => isApiPath(path) && path !== '/api/docs';
