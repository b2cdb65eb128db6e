// startServer: the HTTP server for createApp with WebSocket support (the console), on 127.0.0.1 by default.
import { serve } from '@hono/node-server';
import type { AddressInfo } from 'node:net';
import { WebSocketServer } from 'ws';
import type { AppContext } from '../context.ts';
import { createApp } from '../app.ts';

export interface RunningServer {
  url: string;
  close(): Promise<void>;
}

export async function startServer(ctx: AppContext, port: number, hostname = ctx.config.host ?? '127.0.0.1'): Promise<RunningServer> {
  const app = createApp(ctx);
  const wss = new WebSocketServer({ noServer: true });
  return new Promise((resolve, reject) => {
    const server = serve({ fetch: app.fetch, port, hostname, websocket: { server: wss } }, (info: AddressInfo) => {
      const host = info.family === 'IPv6' ? `[${info.address}]` : info.address;
      resolve({
        url: `http://${host}:${info.port}`,
        close: () =>
          new Promise<void>((done) => {
            for (const client of wss.clients) client.terminate();
            server.close(() => done());
            // Keep-alive connections would hold close() open.
            (server as unknown as { closeAllConnections?: () => void }).closeAllConnections?.();
          }),
      });
    });
    server.once('error', reject);
  });
}
