// The HTTP server around createApp(ctx): node-server with WebSocket upgrades (the portal's console).
import type { AppContext } from './context.ts';
import { createApp } from './app.ts';
import { serve } from '@hono/node-server';
import type { AddressInfo } from 'node:net';

export interface RunningServer {
  url: string;
  close(): Promise<void>;
}

export async function startHttpServer(ctx: AppContext, opts: { port: number; host: string }): Promise<RunningServer> {
  const app = createApp(ctx);
  return new Promise((resolve) => {
    const server = serve({ fetch: app.fetch, port: opts.port, hostname: opts.host }, (info: AddressInfo) => {
      const host = info.address.includes(':') ? `[${info.address}]` : info.address;
      resolve({
        url: `http://${host}:${info.port}`,
        close: () => new Promise<void>((r) => server.close(() => r())),
      });
    });
  });
}
