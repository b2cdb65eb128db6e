// Stateless, seedable hashing for the simulated fleet: every random choice is a pure function of
// (seed, subject, time slot), so the fleet's state at time t never depends on how often it was sampled.

/** Mixes any number of 32-bit integers into one uniformly spread uint32 (murmur3-style finaliser). */
export function hash32(...parts: number[]): number {
  let h = 0x9e3779b9;
  for (const p of parts) {
    // Fold doubles beyond 32 bits in too (minute and millisecond indexes exceed 2^32).
    const lo = p | 0;
    const hi = Math.floor(p / 4294967296) | 0;
    h = Math.imul(h ^ lo, 0x85ebca6b);
    h = (h << 13) | (h >>> 19);
    h = Math.imul(h ^ hi, 0xc2b2ae35);
    h ^= h >>> 16;
  }
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

/** A uniform double in [0, 1) from hashed parts. */
export function rand01(...parts: number[]): number {
  return hash32(...parts) / 4294967296;
}

/** Small sequential generator (xorshift32) for drawing several values from one hash. */
export class Xorshift {
  private s: number;
  constructor(seed: number) {
    this.s = seed >>> 0 || 0x6d2b79f5;
  }
  next(): number {
    let x = this.s;
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    this.s = x >>> 0;
    return this.s / 4294967296;
  }
  /** A raw uint32. */
  word(): number {
    this.next();
    return this.s;
  }
  int(n: number): number {
    return Math.floor(this.next() * n);
  }
}

/** Hashes a string (host names, seeds given as text) to a uint32. */
export function hashString(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return hash32(h >>> 0);
}

function hex8(n: number): string {
  return (n >>> 0).toString(16).padStart(8, '0');
}

/** A v4-shaped UUID (version nibble 4, variant 10xx) from four uint32 words. */
export function uuidFromWords(w0: number, w1: number, w2: number, w3: number): string {
  const a = hex8(w0);
  const b = hex8(w1);
  const c = hex8(w2);
  const d = hex8(w3);
  const variant = ((parseInt(c[0], 16) & 0x3) | 0x8).toString(16);
  return `${a}-${b.slice(0, 4)}-4${b.slice(5, 8)}-${variant}${c.slice(1, 4)}-${c.slice(4)}${d}`;
}

/** A v4-shaped UUID derived from hashed parts. */
export function uuidFrom(...parts: number[]): string {
  const base = hash32(...parts);
  return uuidFromWords(hash32(base, 1), hash32(base, 2), hash32(base, 3), hash32(base, 4));
}

/** A Xen-style MAC (00:16:3e OUI, locally unique part from one uint32). */
export function macFromWord(h: number): string {
  const b = [(h >>> 16) & 0x7f, (h >>> 8) & 0xff, h & 0xff].map((x) => x.toString(16).padStart(2, '0'));
  return `00:16:3e:${b.join(':')}`;
}

/** An exponential inter-arrival time in whole seconds (at least 1) with the given mean. */
export function expSeconds(meanSeconds: number, ...parts: number[]): number {
  const u = (hash32(...parts) + 0.5) / 4294967296;
  return Math.max(1, Math.round(-Math.log(u) * meanSeconds));
}
