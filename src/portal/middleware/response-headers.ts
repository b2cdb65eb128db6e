// Headers added to every response the rest of the chain makes, where the route did not set its own.
// Under @hono/node-server they go onto Node's response before the handler runs: Node merges them under the
// headers of the route's Response (the route's value wins), and that Response keeps the plain header record
// node-server writes directly. Setting them on c.res.headers afterwards would first turn that record into a
// Fetch Headers object, which node-server then copies back into a record: slow, on every API answer. Without
// a Node response (app.request() in tests, WebSocket upgrades) they are set on c.res.headers after the handler.
import { ServerResponse } from 'node:http';
import type { Context, Next } from 'hono';

function nodeResponse(c: Context): ServerResponse | undefined {
  const out = (c.env as { outgoing?: unknown } | undefined)?.outgoing;
  return out instanceof ServerResponse ? out : undefined;
}

export function withDefaultHeaders(c: Context, next: Next, headers: Readonly<Record<string, string>>): Promise<void> {
  const out = nodeResponse(c);
  if (!out) return afterHandler(c, next, headers);
  for (const name in headers) out.setHeader(name, headers[name]!);
  return next();
}

async function afterHandler(c: Context, next: Next, headers: Readonly<Record<string, string>>): Promise<void> {
  await next();
  const h = c.res.headers;
  for (const name in headers) if (!h.has(name)) h.set(name, headers[name]!);
}
