// The frame of operator pages: the layout with a title, a body and an optional notice.
import type { PortalContext } from '../env.ts';
import { Layout, type Notice } from './layout.tsx';
import { page } from '../render.ts';

export const opsFrame = (c: PortalContext, title: string, body: unknown, notice: Notice | null = null, status: 200 | 400 = 200): Promise<Response> =>
  page(
    c,
    <Layout title={title} auth={c.get('auth')} csrf={c.get('csrf')} notice={notice}>
      <h1>{title}</h1>
      {body as never}
    </Layout>,
    status,
  );
