export * from './hosts.ts';
export * from './usage.ts';
