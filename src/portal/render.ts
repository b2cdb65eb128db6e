// Turns a JSX page into an HTML response with a doctype.
import type { Context } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import type { JSX } from 'hono/jsx/jsx-runtime';
import type { JSXNode } from 'hono/jsx';
import { escapeToBuffer, type StringBufferWithCallbacks } from 'hono/utils/html';

/**
 * Renders synchronously into a string. hono/jsx's own toString() runs every render inside an AsyncLocalStorage,
 * and the first run switches on promise hooks for the whole process: every promise of every request (database,
 * host calls) then pays for them. Our components are synchronous and use no context across an await, so the
 * buffer is filled in one go; an async component or callback would be a bug here and throws.
 */
export function renderHtml(node: JSX.Element): string {
  const buffer = [''] as unknown as StringBufferWithCallbacks;
  (node as unknown as JSXNode).toStringToBuffer(buffer);
  if (buffer.length !== 1 || buffer.callbacks?.length) throw new Error('renderHtml: async components and callbacks are not supported');
  return buffer[0] as string;
}

export async function page(c: Context, node: JSX.Element, status: ContentfulStatusCode = 200): Promise<Response> {
  return c.html(`<!doctype html>${renderHtml(node)}`, status);
}

/** Escapes text for HTML content and double-quoted attributes, as hono/jsx does (for markup written as strings). */
export function escapeHtml(text: string): string {
  const buffer: [string] = [''];
  escapeToBuffer(text, buffer);
  return buffer[0];
}
