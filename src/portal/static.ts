// Assets the service serves itself (no CDN): our stylesheet and scripts, and xterm.js from node_modules.
// Read once when the portal is built, served with a content hash so browsers may cache them for long.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createHash } from 'node:crypto';
import { Hono } from 'hono';

interface Asset {
  body: Buffer;
  type: string;
  etag: string;
}

const require = createRequire(import.meta.url);
const own = (name: string) => new URL(`./static/${name}`, import.meta.url);

const SOURCES: Record<string, { path: string | URL; type: string }> = {
  'app.css': { path: own('app.css'), type: 'text/css; charset=utf-8' },
  'console.js': { path: own('console.js'), type: 'text/javascript; charset=utf-8' },
  'confirm.js': { path: own('confirm.js'), type: 'text/javascript; charset=utf-8' },
  'xterm.js': { path: require.resolve('@xterm/xterm/lib/xterm.js'), type: 'text/javascript; charset=utf-8' },
  'xterm.css': { path: require.resolve('@xterm/xterm/css/xterm.css'), type: 'text/css; charset=utf-8' },
  'addon-fit.js': { path: require.resolve('@xterm/addon-fit/lib/addon-fit.js'), type: 'text/javascript; charset=utf-8' },
};

export function assetRoutes(): Hono {
  const assets = new Map<string, Asset>();
  for (const [name, src] of Object.entries(SOURCES)) {
    const body = readFileSync(src.path);
    assets.set(name, { body, type: src.type, etag: `"${createHash('sha256').update(body).digest('hex').slice(0, 16)}"` });
  }
  const app = new Hono();
  app.get('/assets/:name', (c) => {
    const a = assets.get(c.req.param('name'));
    if (!a) return c.text('not found', 404);
    if (c.req.header('if-none-match') === a.etag) return c.body(null, 304);
    return c.body(new Uint8Array(a.body), 200, { 'content-type': a.type, etag: a.etag, 'cache-control': 'public, max-age=300' });
  });
  return app;
}
