// Parses `ovs-vsctl --format=json list Interface` into OvsInterface values.
// Format (ovs-vsctl(8) "--format=json", lib/table.c, OVSDB RFC 7047 §5.1): {"data": [[cell, ...], ...],
// "headings": [column, ...]}; a cell is an atom, ["uuid", s], ["named-uuid", s], ["set", [atoms]] or
// ["map", [[key, value], ...]]. A one-element set is printed as the bare atom; an empty set means "no value".
import { JsonSyntaxError, parseExactJsonLazy, type JsonIn } from './json.ts';
import { ParseError, type OvsInterface } from './types.ts';

/*
 * Direction: on a Xen vif port, OVS rx_* is what the guest sent (guest egress) and tx_* what it
 * received (guest ingress), matching xentop's NETRX/NETTX. Counters are kept exact (bigint):
 * they reach 2^64 and JSON.parse would round them past 2^53.
 */

/** Rejects empty text: an empty answer is not an empty switch. Use `parseOvsInterfacesOrAbsent` for "OVS not installed". */
export function parseOvsInterfaces(text: string): OvsInterface[] {
  if (text.trim() === '') {
    throw new ParseError('ovs-vsctl', null, 'empty output (expected {"data": [...], "headings": [...]}); if OVS is not installed use parseOvsInterfacesOrAbsent');
  }
  return scanCanonical(text) ?? parseOvsInterfacesGeneric(text);
}

/**
 * The general decoder (any columns, any cell encoding, precise errors). `parseOvsInterfaces` uses it for
 * whatever the canonical scanner below does not accept; exported so tests can compare the two.
 */
export function parseOvsInterfacesGeneric(text: string): OvsInterface[] {
  if (text.trim() === '') {
    throw new ParseError('ovs-vsctl', null, 'empty output (expected {"data": [...], "headings": [...]}); if OVS is not installed use parseOvsInterfacesOrAbsent');
  }
  // Leaves are converted as they are read (parseExactJsonLazy).
  let lazy: ReturnType<typeof parseExactJsonLazy>;
  try {
    lazy = parseExactJsonLazy(text);
  } catch (err) {
    if (err instanceof JsonSyntaxError) throw new ParseError('ovs-vsctl', err.line, err.message);
    throw err;
  }
  const { tree: doc, atom, deep } = lazy;
  if (!isRawObj(doc)) throw new ParseError('ovs-vsctl', 1, 'expected an object {"data": [...], "headings": [...]}');
  const headings = doc['headings'];
  const data = doc['data'];
  if (!Array.isArray(headings) || !headings.every((h) => typeof atom(h) === 'string')) {
    throw new ParseError('ovs-vsctl', null, 'expected "headings" to be an array of column names');
  }
  if (!Array.isArray(data)) throw new ParseError('ovs-vsctl', null, 'expected "data" to be an array of rows');
  const cols = headings as string[];
  const nameAt = cols.indexOf('name');
  if (nameAt < 0) throw new ParseError('ovs-vsctl', null, 'no "name" column in headings (run `ovs-vsctl --format=json list Interface` without --columns, or include name)');
  const ofportAt = cols.indexOf('ofport');
  const statsAt = cols.indexOf('statistics');
  const extAt = cols.indexOf('external_ids');
  const show = (v: unknown) => showJson(deep(v));
  const scalar = (cell: unknown) => rawScalar(cell, atom);

  const out: OvsInterface[] = [];
  for (let r = 0; r < data.length; r++) {
    const row: unknown = data[r];
    if (!Array.isArray(row) || row.length !== cols.length) {
      throw new ParseError('ovs-vsctl', null, `row ${r}: expected ${cols.length} cells (one per heading), found ${Array.isArray(row) ? row.length : 'no array'}`);
    }
    const name = scalar(row[nameAt]);
    if (typeof name !== 'string' || name === '') throw new ParseError('ovs-vsctl', null, `row ${r}: column name: expected a string, found ${show(row[nameAt])}`);
    const at = (col: string) => `row ${r} (${name}): column ${col}`;
    let ofport: number | null = null;
    if (ofportAt >= 0) {
      const v = scalar(row[ofportAt]);
      if (v !== null && (typeof v !== 'bigint' || v < -1n || v > 0xffffn)) {
        throw new ParseError('ovs-vsctl', null, `${at('ofport')}: expected an integer or an empty set, found ${show(row[ofportAt])}`);
      }
      ofport = v === null ? null : Number(v);
    }
    const statistics: Record<string, bigint> = {};
    if (statsAt >= 0) {
      forEachMapEntry(row[statsAt], atom, show, () => at('statistics'), (k, v) => {
        if (typeof v !== 'bigint' || v < 0n) throw new ParseError('ovs-vsctl', null, `${at('statistics')}: ${k} is not a counter: ${showJson(v)}`);
        statistics[k] = v;
      });
    }
    const externalIds: Record<string, string> = {};
    if (extAt >= 0) {
      forEachMapEntry(row[extAt], atom, show, () => at('external_ids'), (k, v) => {
        if (typeof v !== 'string') throw new ParseError('ovs-vsctl', null, `${at('external_ids')}: ${k} is not a string: ${showJson(v)}`);
        externalIds[k] = v;
      });
    }
    out.push({ name, ofport, statistics, externalIds });
  }
  return out;
}

/** Columns the canonical scanner decodes; a heading outside this set sends the text to the general decoder. */
const SCANNED_COLUMNS = new Set(['name', 'ofport', 'statistics', 'external_ids']);
const HEADINGS_RE = /"headings":\[((?:"[a-z_]+",?)*)\]\}\s*$/;

/**
 * What the sampler asks for, `{"data":[[name, ofport, statistics, external_ids], ...],"headings":[...]}`,
 * read in one pass over the text with no intermediate JSON tree (a 1,000-host poll reads some 13 MB of
 * it). Accepts only the canonical shape ovs-vsctl prints: string names, integer or empty-set ofports,
 * maps of string keys to non-negative integer counters / string values, no escapes, no fractions.
 * Anything else, including every malformed text, returns null and goes to the general decoder, which
 * gives the same values (test/parsers/ovs-scan.test.ts) or the precise error.
 */
function scanCanonical(text: string): OvsInterface[] | null {
  const hm = HEADINGS_RE.exec(text);
  if (!hm) return null;
  const cols = hm[1] === '' ? [] : hm[1]!.split(',').map((h) => h.slice(1, -1));
  if (hm[1]!.endsWith(',') || new Set(cols).size !== cols.length || !cols.every((c) => SCANNED_COLUMNS.has(c)) || !cols.includes('name')) return null;
  const s = new Scan(text, hm.index);
  if (!s.lit('{"data":[')) return null;
  const out: OvsInterface[] = [];
  if (s.peek() === 93 /* ] */) s.i++;
  else {
    for (;;) {
      const row = scanRow(s, cols);
      if (row === null) return null;
      out.push(row);
      if (s.eat(44 /* , */)) continue;
      if (s.eat(93 /* ] */)) break;
      return null;
    }
  }
  // the data array must end exactly where the headings begin
  return s.i + 1 === hm.index && s.peek() === 44 ? out : null;
}

function scanRow(s: Scan, cols: string[]): OvsInterface | null {
  if (!s.eat(91 /* [ */)) return null;
  let name: string | null = null;
  let ofport: number | null = null;
  const statistics: Record<string, bigint> = {};
  const externalIds: Record<string, string> = {};
  for (let c = 0; c < cols.length; c++) {
    if (c > 0 && !s.eat(44)) return null;
    const col = cols[c];
    if (col === 'name') {
      name = s.str();
      if (name === null || name === '') return null;
    } else if (col === 'ofport') {
      if (s.peek() === 91) {
        if (!s.lit('["set",[]]')) return null;
      } else {
        const v = s.int();
        if (v === null || v < -1n || v > 0xffffn) return null;
        ofport = Number(v);
      }
    } else {
      const stats = col === 'statistics';
      if (s.lit('["set",[]]')) continue;
      if (!s.lit('["map",[')) return null;
      if (!s.eat(93)) {
        for (;;) {
          if (!s.eat(91)) return null;
          const k = s.str();
          if (k === null || !s.eat(44)) return null;
          if (stats) {
            const v = s.int();
            if (v === null || v < 0n) return null;
            statistics[k] = v;
          } else {
            const v = s.str();
            if (v === null) return null;
            externalIds[k] = v;
          }
          if (!s.eat(93)) return null;
          if (s.eat(44)) continue;
          if (s.eat(93)) break;
          return null;
        }
      }
      if (!s.eat(93)) return null;
    }
  }
  if (!s.eat(93) || name === null) return null;
  return { name, ofport, statistics, externalIds };
}

class Scan {
  i = 0;
  constructor(
    readonly t: string,
    readonly end: number,
  ) {}

  peek(): number {
    return this.i < this.end ? this.t.charCodeAt(this.i) : -1;
  }

  eat(c: number): boolean {
    if (this.peek() !== c) return false;
    this.i++;
    return true;
  }

  lit(l: string): boolean {
    if (!this.t.startsWith(l, this.i) || this.i + l.length > this.end) return false;
    this.i += l.length;
    return true;
  }

  /** A string without escapes or control characters; null for anything else. */
  str(): string | null {
    if (this.peek() !== 34) return null;
    const from = this.i + 1;
    const close = this.t.indexOf('"', from);
    if (close < 0 || close >= this.end) return null;
    for (let j = from; j < close; j++) {
      const c = this.t.charCodeAt(j);
      if (c < 32 || c === 92) return null;
    }
    this.i = close + 1;
    return this.t.slice(from, close);
  }

  /** An integer literal (JSON syntax, no fraction or exponent); null for anything else. */
  int(): bigint | null {
    const from = this.i;
    let j = from;
    if (this.t.charCodeAt(j) === 45) j++;
    const digits = j;
    while (j < this.end && this.t.charCodeAt(j) >= 48 && this.t.charCodeAt(j) <= 57) j++;
    if (j === digits || (this.t.charCodeAt(digits) === 48 && j - digits > 1)) return null;
    const next = j < this.end ? this.t.charCodeAt(j) : -1;
    if (next === 46 || next === 101 || next === 69) return null;
    this.i = j;
    return BigInt(this.t.slice(from, j));
  }
}

/**
 * The sampling round trip prints nothing for OVS when ovs-vsctl is not installed (see RawSample.ovs):
 * blank text → [] (no OVS), anything else must parse.
 */
export function parseOvsInterfacesOrAbsent(text: string): OvsInterface[] {
  return text.trim() === '' ? [] : parseOvsInterfaces(text);
}

type Atom = string | bigint | number | boolean;

function isRawObj(v: unknown): v is { [key: string]: unknown } {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Decodes a cell meant to hold at most one atom: the bare atom, ["set", []] → null, ["set", [a]] → a. */
function rawScalar(cell: unknown, atom: (v: unknown) => JsonIn): Atom | null | undefined {
  if (Array.isArray(cell)) {
    if (cell.length === 2) {
      const tag = atom(cell[0]);
      if (typeof tag === 'string') {
        const body: unknown = cell[1];
        if (tag === 'uuid' || tag === 'named-uuid') {
          const b = atom(body);
          if (typeof b === 'string') return b;
        }
        if (tag === 'set' && Array.isArray(body)) {
          if (body.length === 0) return null;
          if (body.length === 1) return rawScalar(body[0], atom) ?? undefined;
        }
      }
    }
    return undefined;
  }
  if (cell === null || typeof cell === 'object') return undefined;
  return atom(cell) as Atom;
}

/** Each [key, value] of a ["map", [...]] cell; an empty map or an empty set ("no value") carries nothing. */
function forEachMapEntry(
  cell: unknown,
  atom: (v: unknown) => JsonIn,
  show: (v: unknown) => string,
  where: () => string,
  fn: (k: string, v: Atom) => void,
): void {
  if (!Array.isArray(cell) || cell.length !== 2) throw new ParseError('ovs-vsctl', null, `${where()}: expected ["map", [[key, value], ...]], found ${show(cell)}`);
  const tag = atom(cell[0]);
  const body: unknown = cell[1];
  if (tag === 'set' && Array.isArray(body) && body.length === 0) return;
  if (tag !== 'map' || !Array.isArray(body)) throw new ParseError('ovs-vsctl', null, `${where()}: expected ["map", [[key, value], ...]], found ${show(cell)}`);
  for (const pair of body as unknown[]) {
    if (!Array.isArray(pair) || pair.length !== 2) throw new ParseError('ovs-vsctl', null, `${where()}: map entry is not a [key, value] pair: ${show(pair)}`);
    const k = rawScalar(pair[0], atom);
    const v = rawScalar(pair[1], atom);
    if (typeof k !== 'string') throw new ParseError('ovs-vsctl', null, `${where()}: map key is not a string: ${show(pair[0])}`);
    if (v === null || v === undefined) throw new ParseError('ovs-vsctl', null, `${where()}: value of ${k} is not an atom: ${show(pair[1])}`);
    fn(k, v);
  }
}

function showJson(v: JsonIn): string {
  const s = JSON.stringify(v, (_k, x: unknown) => (typeof x === 'bigint' ? x.toString() : x)) ?? String(v);
  return s.length > 60 ? `${s.slice(0, 60)}…` : s;
}
