// createApp(ctx): the one Hono application — health, metrics, portal and API — built from the service context.
import { Hono } from 'hono';
import type { AppContext } from './context.ts';
import { rows, sql } from './db/client.ts';

export function createApp(ctx: AppContext): Hono {
  const app = new Hono();

  app.get('/healthz', async (c) => {
    try {
      await rows(ctx.db, sql`select 1`);
      return c.json({ status: 'ok', time: ctx.clock.now().toISOString() });
    } catch (err) {
      ctx.log.error({ err }, 'health check: database unreachable');
      return c.json({ status: 'error', error: 'database unreachable' }, 503);
    }
  });

  return app;
}
