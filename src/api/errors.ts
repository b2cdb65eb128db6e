// The API's one error format: every domain error (auth, hosts, billing, payments), validation failure and
// unexpected exception becomes application/problem+json (RFC 9457) here, and nowhere else.
import { randomUUID } from 'node:crypto';
import type { Context } from 'hono';
import { HTTPException } from 'hono/http-exception';
import { ZodError } from 'zod';
import { AuthError } from '../auth/errors.ts';
import { HostError } from '../hosts/types.ts';
import { HostNotFound, InvalidHostInput } from '../hosts/registry.ts';
import { BillingError } from '../billing/errors.ts';
import { PaymentError } from '../billing/payments/deps.ts';
import { PaymentProviderError } from '../billing/payments/provider.ts';
import type { Logger } from '../log.ts';

export const PROBLEM_TYPE = 'application/problem+json';

/** The closed set of problem types; each has an anchor on the reference page (`/api/docs#problem-<slug>`). */
export const PROBLEMS = {
  'invalid-request': { status: 400, title: 'The request is not valid', about: 'A parameter, query or body field failed validation; `errors` names each field.' },
  unauthenticated: { status: 401, title: 'Authentication required', about: 'No credentials, or a bearer token that is unknown, revoked or belongs to a suspended user.' },
  forbidden: { status: 403, title: 'Not allowed', about: 'The caller is known but may not do this: a read-only or VM-limited token, a member instead of an owner, a tenant on an operator route, or a failed CSRF check.' },
  'not-found': { status: 404, title: 'Not found', about: 'The resource does not exist or belongs to another tenant; both answer the same so ids do not leak.' },
  conflict: { status: 409, title: 'Conflict', about: 'The action does not fit the current state (a VM already running, an invoice no longer draft, a duplicate name).' },
  'unsupported-media-type': { status: 415, title: 'Unsupported media type', about: 'Send request bodies as application/json.' },
  throttled: { status: 429, title: 'Too many requests', about: 'Slow down; Retry-After says when to try again.' },
  internal: { status: 500, title: 'Internal error', about: 'Something failed on our side. The detail never says what; quote the requestId to the operator.' },
  'bad-gateway': { status: 502, title: 'The host refused the command', about: 'The VM host answered but the command failed.' },
  'host-unavailable': { status: 503, title: 'Host unavailable', about: 'The VM host did not answer in time; nothing was done. Try again later.' },
  'provider-unavailable': { status: 503, title: 'Payment provider unavailable', about: 'Stripe or PayPal did not answer or refused the call; nothing was changed. Try again later.' },
} as const satisfies Record<string, { status: number; title: string; about: string }>;
export type ProblemSlug = keyof typeof PROBLEMS;

export interface FieldError {
  /** Where the field was: path, query or body. */
  in: 'path' | 'query' | 'body' | 'header' | 'cookie';
  field: string;
  message: string;
}

export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  instance: string;
  requestId: string;
  errors?: FieldError[];
}

interface Mapped {
  slug: ProblemSlug;
  detail: string;
  headers?: Record<string, string>;
  errors?: FieldError[];
  /** Logged at warn (expected but notable) instead of only debug. */
  logAs?: 'warn' | 'error';
}

const TARGET_IN: Record<string, FieldError['in']> = { param: 'path', query: 'query', json: 'body', form: 'body', header: 'header', cookie: 'cookie' };

/** A failed zod validation of one request part → the fields it names. */
export function fieldErrors(err: ZodError, target: string): FieldError[] {
  return err.issues.map((i) => ({ in: TARGET_IN[target] ?? 'body', field: i.path.map(String).join('.') || '(whole body)', message: i.message }));
}

export class RequestValidationError extends Error {
  constructor(readonly errors: FieldError[]) {
    super(errors.map((e) => `${e.in} ${e.field}: ${e.message}`).join('; '));
    this.name = 'RequestValidationError';
  }
}

const HOST_DOWN = "the VM's host did not answer; nothing was done. Try again in a minute.";

function classify(err: unknown): Mapped {
  if (err instanceof RequestValidationError) return { slug: 'invalid-request', detail: err.message, errors: err.errors };
  if (err instanceof AuthError) {
    switch (err.code) {
      case 'Unauthenticated':
        return { slug: 'unauthenticated', detail: err.message };
      case 'Forbidden':
        return { slug: 'forbidden', detail: err.message };
      case 'NotFound':
        return { slug: 'not-found', detail: err.message };
      case 'Throttled':
        return { slug: 'throttled', detail: err.message, headers: err.retryAfterSeconds ? { 'retry-after': String(err.retryAfterSeconds) } : undefined };
      case 'Conflict':
        return { slug: 'conflict', detail: err.message };
      case 'InvalidToken':
      case 'Validation':
        return { slug: 'invalid-request', detail: err.message };
    }
  }
  if (err instanceof HostError) {
    switch (err.code) {
      case 'InvalidState':
        return { slug: 'conflict', detail: err.message };
      case 'InvalidDomain':
        return { slug: 'invalid-request', detail: err.message };
      case 'CommandFailed':
        // Host stderr may name paths and addresses: logged, not shown.
        return { slug: 'bad-gateway', detail: 'the host could not carry out the command; the operator can see why in the log.', logAs: 'warn' };
      case 'HostUnreachable':
      case 'HostTimeout':
      case 'HostKeyMismatch':
        return { slug: 'host-unavailable', detail: HOST_DOWN, headers: { 'retry-after': '60' }, logAs: 'warn' };
    }
  }
  if (err instanceof HostNotFound) return { slug: 'not-found', detail: 'host not found' };
  if (err instanceof InvalidHostInput) return { slug: 'invalid-request', detail: err.message };
  if (err instanceof BillingError) {
    switch (err.code) {
      case 'NotFound':
        return { slug: 'not-found', detail: err.message };
      case 'InvalidInput':
        return { slug: 'invalid-request', detail: err.message };
      case 'Conflict':
      case 'InvoiceNotDraft':
      case 'InvalidTransition':
      case 'CurrencyMismatch':
        return { slug: 'conflict', detail: err.message };
    }
  }
  if (err instanceof PaymentError) {
    switch (err.code) {
      case 'NotFound':
        return { slug: 'not-found', detail: err.message };
      case 'InvalidAmount':
        return { slug: 'invalid-request', detail: err.message };
      case 'ProviderNotConfigured':
        return { slug: 'host-unavailable', detail: err.message };
      default:
        return { slug: 'conflict', detail: err.message };
    }
  }
  // The provider's message may name its internals (request ids, account state): logged, not shown.
  if (err instanceof PaymentProviderError) return { slug: 'provider-unavailable', detail: 'the payment provider did not answer or refused the call; nothing was changed. Try again later.', headers: { 'retry-after': '60' }, logAs: 'warn' };
  if (err instanceof ZodError) return { slug: 'invalid-request', detail: err.issues.map((i) => `${i.path.join('.') || 'input'}: ${i.message}`).join('; '), errors: fieldErrors(err, 'json') };
  if (err instanceof HTTPException) {
    const slug = (Object.keys(PROBLEMS) as ProblemSlug[]).find((k) => PROBLEMS[k].status === err.status);
    if (slug && err.status < 500) return { slug, detail: err.message || PROBLEMS[slug].title };
  }
  return { slug: 'internal', detail: 'an unexpected error occurred; it was logged with this requestId.', logAs: 'error' };
}

export function problemTypeUri(slug: ProblemSlug): string {
  return `/api/docs#problem-${slug}`;
}

/** Build the problem body (and extra headers) for any thrown value. */
export function toProblem(err: unknown, instance: string, requestId: string): { problem: Problem; headers: Record<string, string>; logAs?: 'warn' | 'error' } {
  const m = classify(err);
  const p = PROBLEMS[m.slug];
  const headers: Record<string, string> = { ...(m.headers ?? {}) };
  if (m.slug === 'unauthenticated') {
    headers['www-authenticate'] = err instanceof AuthError && err.message.startsWith('the bearer token')
      ? 'Bearer realm="kamikazi-api", error="invalid_token"'
      : 'Bearer realm="kamikazi-api"';
  }
  const problem: Problem = { type: problemTypeUri(m.slug), title: p.title, status: p.status, detail: m.detail, instance, requestId };
  if (m.errors) problem.errors = m.errors;
  return { problem, headers, logAs: m.logAs };
}

export function problemResponse(problem: Problem, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(problem), {
    status: problem.status,
    headers: { 'content-type': PROBLEM_TYPE, 'cache-control': 'no-store', ...headers },
  });
}

/**
 * The API's error handler: map, log internal failures with a request id (never echo them), answer problem+json.
 * The id is made here, where there is a log line for it to name; successful answers are not logged.
 */
export function handleApiError(log: Logger) {
  return (err: unknown, c: Context): Response => {
    const requestId = randomUUID();
    const { problem, headers, logAs } = toProblem(err, c.req.path, requestId);
    if (logAs === 'error') log.error({ err, requestId, method: c.req.method, path: c.req.path }, 'api: unhandled error');
    else if (logAs === 'warn') log.warn({ err, requestId, path: c.req.path }, 'api: host or payment provider problem');
    return problemResponse(problem, { ...headers, 'x-request-id': requestId });
  };
}

/** The defaultHook of every route: a failed zod validation becomes a 400 naming the fields. */
export function validationHook(result: { success: true } | { success: false; error: ZodError; target?: string }, _c: Context): void {
  if (!result.success) throw new RequestValidationError(fieldErrors(result.error, result.target ?? 'json'));
}
