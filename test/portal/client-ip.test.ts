// Client addresses behind reverse proxies: X-Forwarded-For counts only from a trusted proxy, read from the right.
import { Hono } from 'hono';
import { describe, expect, it } from 'vitest';
import { clientIp, clientIpMiddleware, resolveClientIp } from '../../src/portal/client-ip.ts';

const trusted = new Set(['10.0.0.2', '10.0.0.3']);

describe('resolveClientIp', () => {
  it('uses the socket when it is not a trusted proxy, whatever the header says', () => {
    expect(resolveClientIp('203.0.113.9', '198.51.100.1', trusted)).toBe('203.0.113.9');
    expect(resolveClientIp('::ffff:203.0.113.9', undefined, trusted)).toBe('203.0.113.9');
    expect(resolveClientIp(undefined, '198.51.100.1', trusted)).toBe('unknown');
  });

  it('takes the right-most untrusted hop; what the client wrote further left is ignored', () => {
    expect(resolveClientIp('10.0.0.2', '198.51.100.7', trusted)).toBe('198.51.100.7');
    expect(resolveClientIp('10.0.0.2', '1.2.3.4, 198.51.100.7', trusted)).toBe('198.51.100.7');
    expect(resolveClientIp('10.0.0.2', '1.2.3.4, 198.51.100.7, 10.0.0.3', trusted)).toBe('198.51.100.7');
    expect(resolveClientIp('::ffff:10.0.0.2', ' 2001:DB8::1 ', trusted)).toBe('2001:db8::1');
  });

  it('falls back sensibly on an empty or all-proxy header', () => {
    expect(resolveClientIp('10.0.0.2', '', trusted)).toBe('10.0.0.2');
    expect(resolveClientIp('10.0.0.2', ' , ', trusted)).toBe('10.0.0.2');
    expect(resolveClientIp('10.0.0.2', '10.0.0.3', trusted)).toBe('10.0.0.3');
  });
});

describe('clientIpMiddleware', () => {
  const app = (proxies: string[]) =>
    new Hono().use('*', clientIpMiddleware(proxies)).get('/', (c) => c.text(clientIp(c)));
  const env = (addr: string) => ({ incoming: { socket: { remoteAddress: addr } } });

  it('hands the resolved address to clientIp', async () => {
    const viaProxy = await app(['10.0.0.2']).request('/', { headers: { 'x-forwarded-for': '1.2.3.4, 198.51.100.7' } }, env('10.0.0.2'));
    expect(await viaProxy.text()).toBe('198.51.100.7');
    const direct = await app([]).request('/', { headers: { 'x-forwarded-for': '198.51.100.7' } }, env('203.0.113.9'));
    expect(await direct.text()).toBe('203.0.113.9');
  });
});
