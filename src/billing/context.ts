// What billing verbs need from the service context (AppContext satisfies it; tests pass a ManualClock).
import type { Clock } from '../clock.ts';
import type { Db } from '../db/client.ts';

export interface BillingContext {
  db: Db;
  clock: Clock;
}
