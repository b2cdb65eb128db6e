export * from './hosts.ts';
export * from './usage.ts';
export * from './payments.ts';
export * from './ledger.ts';
export * from './billing.ts';
export * from './auth.ts';
export * from './tithe.ts';
