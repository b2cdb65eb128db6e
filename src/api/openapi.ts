// The OpenAPI 3.0 document of /api/v1, generated from the route definitions, with the two ways to
// authenticate declared as security schemes. Built once per API instance (the routes do not change).
import type { OpenAPIHono } from '@hono/zod-openapi';
import type { ApiEnv } from './env.ts';

export type OpenApiDocument = ReturnType<OpenAPIHono<ApiEnv>['getOpenAPIDocument']>;

export function registerSecuritySchemes(api: OpenAPIHono<ApiEnv>): void {
  api.openAPIRegistry.registerComponent('securitySchemes', 'bearer', {
    type: 'http',
    scheme: 'bearer',
    bearerFormat: 'kb_<32 base32 characters>',
    description: 'An API token created in the portal (Account → API tokens). Read-only tokens cannot change anything; VM-limited tokens see one VM.',
  });
  api.openAPIRegistry.registerComponent('securitySchemes', 'session', {
    type: 'apiKey',
    in: 'cookie',
    name: 'kb_session',
    description: "The portal's session cookie, for the portal's own scripts. Changes also need Origin of this site and X-CSRF-Token.",
  });
}

export function buildOpenApiDocument(api: OpenAPIHono<ApiEnv>, serverUrl = '/api'): OpenApiDocument {
  return api.getOpenAPIDocument({
    openapi: '3.0.3',
    info: {
      title: 'kamikazi-billing API',
      version: '1.0.0',
      description:
        'VMs, power actions, usage, invoices and API tokens for tenants; hosts and tenants for operators. ' +
        'Errors are application/problem+json (RFC 9457); another tenant\'s resources answer 404, exactly like missing ones.',
    },
    servers: [{ url: serverUrl }],
    security: [{ bearer: [] }, { session: [] }],
  });
}
