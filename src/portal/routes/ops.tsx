// Operator pages: every /ops route needs an operator; the pages themselves live in ops-*.tsx.
import { Hono } from 'hono';
import type { AppContext } from '../../context.ts';
import { assertOperator } from '../../auth/actor.ts';
import type { PortalEnv, SessionAuth } from '../env.ts';
import type { PortalOptions } from '../options.ts';
import { opsHostPages } from './ops-hosts.tsx';
import { opsPeoplePages } from './ops-people.tsx';
import { opsBillingPages } from './ops-billing.tsx';

export function opsPages(ctx: AppContext, opts: PortalOptions): Hono<PortalEnv> {
  const app = new Hono<PortalEnv>();
  app.use('/ops/*', async (c, next) => {
    assertOperator((c.get('auth') as SessionAuth).actor);
    await next();
  });
  app.route('/', opsHostPages(ctx, opts));
  app.route('/', opsPeoplePages(ctx, opts));
  app.route('/', opsBillingPages(ctx, opts));
  return app;
}
