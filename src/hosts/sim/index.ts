// Public face of the simulated Xen + OVS fleet: the model, its HostAdapter, printers and executables.
import type { SimFleetOptions } from './types.ts';
import { createSimFleet, type SimFleet } from './fleet.ts';

export { SimFleet, createSimFleet, createLargeSimFleet, SHUTDOWN_MS } from './fleet.ts';
export { SimAdapter, createSimAdapter } from './adapter.ts';
export { SimConsole, openSimConsole } from './console.ts';
export { printXentop, printXlListLong, printXlListPlain, printOvsInterfaces, printVbdStats, GARBAGE_RSECT } from './print.ts';
export { writeSimBin, SIM_TOOLS } from './bin.ts';
export { createSimStateFile, readSimState, loadSimFleet, setSimStateNow, type SimStateFile } from './state-file.ts';
export type { SimFleetOptions, SimEventRates, SimTruth, SimIncarnation, SimCommand, SimPowerAction, SimHostView, SimDomainView, SimVmDef } from './types.ts';

/** The fleet `npm start` embeds: a few hosts with everyday churn, deterministic from the seed. */
export function createDemoSimFleet(seed: number, start: Date, overrides: Partial<SimFleetOptions> = {}): SimFleet {
  return createSimFleet({
    seed,
    start,
    hosts: 3,
    vmsPerHost: 6,
    hvmShare: 0.3,
    ovsExternalIds: 'all',
    events: { rebootsPerDay: 0.5, shutdownsPerDay: 0.25, migrationsPerDay: 0.1, hostOutagesPerDay: 0.2 },
    ...overrides,
  });
}
