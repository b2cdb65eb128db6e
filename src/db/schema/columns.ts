// Column helpers shared by every schema module: ids, timestamps, money-safe numbers.
import { bigint, numeric, timestamp, uuid } from 'drizzle-orm/pg-core';

export const id = () => uuid('id').primaryKey().defaultRandom();
export const createdAt = () => timestamp('created_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow();
export const tstz = (name: string) => timestamp(name, { withTimezone: true, mode: 'date' });
/** 64-bit integers travel as JS bigint: never a float. */
export const int64 = (name: string) => bigint(name, { mode: 'bigint' });
/** Exact decimals travel as strings. */
export const decimal = (name: string, precision: number, scale: number) => numeric(name, { precision, scale });
