// Turns a JSX page into an HTML response with a doctype.
import type { Context } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import type { JSX } from 'hono/jsx/jsx-runtime';

export async function page(c: Context, node: JSX.Element, status: ContentfulStatusCode = 200): Promise<Response> {
  const html = await node.toString();
  return c.html(`<!doctype html>${html}`, status);
}
