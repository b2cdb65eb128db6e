// Property tests: CI replays one fixed exploration so its verdict is reproducible; local runs explore new
// seeds every time (FC_SEED=<n> replays a failure a local run printed).
import fc from 'fast-check';

const seed = process.env.FC_SEED ?? (process.env.CI ? '20261127' : undefined);
if (seed !== undefined) fc.configureGlobal({ seed: Number(seed) });
