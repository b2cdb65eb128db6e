// Cumulative counter series of simulated domains: piecewise-constant integer rates per minute, each
// rate a pure function of (seed, vm, minute), integrated in closed form at whole-second resolution.
import { hash32, Xorshift } from './prng.ts';

export const MAX_VIFS = 2;
export const MAX_VBDS = 2;
/** Series per VM: [cpu ms, per vif: guest egress bytes, guest ingress bytes, per vbd: read sectors, write sectors]. */
export const NS = 1 + 2 * MAX_VIFS + 2 * MAX_VBDS;
export const S_CPU = 0;
/** Guest egress (what the guest SENT): OVS rx_bytes, xentop NETRX. */
export const sVifOut = (devid: number): number => 1 + 2 * devid;
/** Guest ingress (delivered TO the guest): OVS tx_bytes, xentop NETTX. */
export const sVifIn = (devid: number): number => 2 + 2 * devid;
export const sVbdRd = (i: number): number => 1 + 2 * MAX_VIFS + 2 * i;
export const sVbdWr = (i: number): number => 2 + 2 * MAX_VIFS + 2 * i;

/** Mean rates of one VM (per second): cpu in ms of CPU time, bytes, 512-byte sectors. */
export interface RateProfile {
  cpuMsPerSec: number;
  /** vcpus x 1000: a guest cannot use more CPU time than its vcpus give it. */
  cpuCapMsPerSec: number;
  netOutBps: number;
  netInBps: number;
  rdSectPerSec: number;
  wrSectPerSec: number;
  vifs: number;
  vbds: number;
}

/**
 * Rates for all series of one VM in one minute. Deterministic in (seed, vm, minute) only.
 * Some minutes are idle, some burst, so deltas vary like real guests.
 */
export function minuteRates(seed: number, vm: number, minute: number, p: RateProfile, out: Float64Array, o: number): void {
  const r = new Xorshift(hash32(seed, vm, minute, 0x5e71e5));
  const mood = r.next();
  const f = mood < 0.1 ? 0.02 : mood > 0.95 ? 5 : 0.2 + 1.6 * r.next();
  out[o + S_CPU] = Math.floor(Math.min(p.cpuCapMsPerSec, p.cpuMsPerSec * f * (0.5 + r.next())));
  for (let d = 0; d < MAX_VIFS; d++) {
    const on = d < p.vifs ? 1 : 0;
    const share = d === 0 ? 1 : 0.25;
    out[o + sVifOut(d)] = on * Math.floor(p.netOutBps * share * f * (0.5 + r.next()));
    out[o + sVifIn(d)] = on * Math.floor(p.netInBps * share * f * (0.5 + r.next()));
  }
  for (let i = 0; i < MAX_VBDS; i++) {
    const on = i < p.vbds ? 1 : 0;
    const share = i === 0 ? 1 : 0.3;
    out[o + sVbdRd(i)] = on * Math.floor(p.rdSectPerSec * share * f * (0.5 + r.next()));
    out[o + sVbdWr(i)] = on * Math.floor(p.wrSectPerSec * share * f * (0.5 + r.next()));
  }
}

/**
 * C(s): each series integrated from the fleet's first second to second `s` (relative to fleet start).
 * A per-VM cursor caches the sums at the start of the last minute evaluated, so evaluating forward in
 * time costs one rate draw per new minute; evaluating the past recomputes from the start (exactly the
 * same integers, just slower).
 */
export class SeriesBank {
  private readonly curMinute: Float64Array;
  private readonly sums: Float64Array;
  private readonly rates: Float64Array;
  private readonly scratch = new Float64Array(NS);

  constructor(
    private readonly seed: number,
    private readonly profiles: RateProfile[],
  ) {
    const n = profiles.length;
    this.curMinute = new Float64Array(n).fill(-1);
    this.sums = new Float64Array(n * NS);
    this.rates = new Float64Array(n * NS);
  }

  /** Writes C(s) for every series of `vm` into out[0..NS). `s` is whole seconds since fleet start (>= 0). */
  eval(vm: number, s: number, out: Float64Array): void {
    const m = Math.floor(s / 60);
    const o = vm * NS;
    if (m < this.curMinute[vm]) {
      this.evalFresh(vm, s, out);
      return;
    }
    if (this.curMinute[vm] < 0) {
      for (let k = 0; k < NS; k++) this.sums[o + k] = 0;
      minuteRates(this.seed, vm, 0, this.profiles[vm], this.rates, o);
      this.curMinute[vm] = 0;
    }
    while (this.curMinute[vm] < m) {
      for (let k = 0; k < NS; k++) this.sums[o + k] += this.rates[o + k] * 60;
      this.curMinute[vm] += 1;
      minuteRates(this.seed, vm, this.curMinute[vm], this.profiles[vm], this.rates, o);
    }
    const within = s - m * 60;
    for (let k = 0; k < NS; k++) out[k] = this.sums[o + k] + this.rates[o + k] * within;
  }

  private evalFresh(vm: number, s: number, out: Float64Array): void {
    const m = Math.floor(s / 60);
    const p = this.profiles[vm];
    out.fill(0);
    for (let i = 0; i < m; i++) {
      minuteRates(this.seed, vm, i, p, this.scratch, 0);
      for (let k = 0; k < NS; k++) out[k] += this.scratch[k] * 60;
    }
    minuteRates(this.seed, vm, m, p, this.scratch, 0);
    for (let k = 0; k < NS; k++) out[k] += this.scratch[k] * (s - m * 60);
  }
}
