// zod parsing for verb inputs: failures become BillingError('InvalidInput') naming every field to fix.
import type { z } from 'zod';
import { BillingError } from '../errors.ts';

export function parseInput<S extends z.ZodType>(schema: S, input: unknown, what: string): z.output<S> {
  const r = schema.safeParse(input);
  if (!r.success) {
    const msg = r.error.issues.map((i) => `${i.path.join('.') || what}: ${i.message}`).join('; ');
    throw new BillingError('InvalidInput', `invalid ${what}: ${msg}`);
  }
  return r.data;
}
