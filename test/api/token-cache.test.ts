// TokenCache: verified bearer tokens trusted for a moment. apiAuth answers from peek() without awaiting, so
// peek must never hand out an actor the slower path would refuse: not one still being looked up, not an expired
// one, not a dropped (revoked) one, not an unknown token.
import { describe, expect, it } from 'vitest';
import { TokenCache } from '../../src/api/auth.ts';
import type { Actor } from '../../src/auth/actor.ts';

const actor = (tokenId: string): Actor => ({ userId: 'u1', role: 'owner', tenantId: 't1', label: 'ci', via: 'token', readOnly: false, vmUuid: null, tokenId });

describe('TokenCache', () => {
  it('peeks a verified token until its time is up', async () => {
    const cache = new TokenCache(1000);
    expect(cache.peek('k', 0)).toBeUndefined();
    let loads = 0;
    const load = async () => (loads++, actor('tok1'));
    const lookup = cache.get('k', 0, load);
    expect(cache.peek('k', 0)).toBeUndefined(); // still being looked up
    expect(await lookup).toEqual(actor('tok1'));
    expect(cache.peek('k', 999)).toEqual(actor('tok1'));
    expect(cache.peek('k', 1000)).toBeUndefined();
    expect(await cache.get('k', 500, load)).toEqual(actor('tok1'));
    expect(loads).toBe(1);
  });

  it('forgets a dropped token at once, and never remembers an unknown one', async () => {
    const cache = new TokenCache(1000);
    await cache.get('k1', 0, async () => actor('tok1'));
    await cache.get('k2', 0, async () => actor('tok2'));
    cache.dropToken('tok1');
    expect(cache.peek('k1', 1)).toBeUndefined();
    expect(cache.peek('k2', 1)).toEqual(actor('tok2'));
    expect(await cache.get('bad', 0, async () => null)).toBeNull();
    expect(cache.peek('bad', 1)).toBeUndefined();
  });

  it('with no time to live it keeps nothing', async () => {
    const cache = new TokenCache(0);
    expect(await cache.get('k', 0, async () => actor('tok1'))).toEqual(actor('tok1'));
    expect(cache.peek('k', 0)).toBeUndefined();
  });
});
