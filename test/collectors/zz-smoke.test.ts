import { it, expect } from 'vitest';
import { createTestDatabase } from '../support/db.ts';
import { simWorld, usageTotals } from './support.ts';
import { runPollCycle } from '../../src/collectors/poll.ts';
it('smoke', async () => {
  const t = await createTestDatabase();
  const w = await simWorld(t.db, { start: new Date('2025-03-01T00:00:00Z'), fleet: { seed: 1, hosts: 2, vmsPerHost: 3 } });
  for (let i = 0; i < 5; i++) {
    const r = await runPollCycle(w.ctx);
    console.log(r.durationMs, r.hosts.map(h=>h.status).join());
    w.clock.advance(60_000);
  }

  await t.close();
});
