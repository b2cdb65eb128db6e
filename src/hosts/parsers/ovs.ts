// Parses `ovs-vsctl --format=json list Interface` into OvsInterface values.
// Format (ovs-vsctl(8) "--format=json", lib/table.c, OVSDB RFC 7047 §5.1): {"data": [[cell, ...], ...],
// "headings": [column, ...]}; a cell is an atom, ["uuid", s], ["named-uuid", s], ["set", [atoms]] or
// ["map", [[key, value], ...]]. A one-element set is printed as the bare atom; an empty set means "no value".
import { JsonSyntaxError, parseExactJson, type JsonIn } from './json.ts';
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
  let doc: JsonIn;
  try {
    doc = parseExactJson(text);
  } catch (err) {
    if (err instanceof JsonSyntaxError) throw new ParseError('ovs-vsctl', err.line, err.message);
    throw err;
  }
  if (!isObj(doc)) throw new ParseError('ovs-vsctl', 1, 'expected an object {"data": [...], "headings": [...]}');
  const headings = doc['headings'];
  const data = doc['data'];
  if (!Array.isArray(headings) || !headings.every((h) => typeof h === 'string')) {
    throw new ParseError('ovs-vsctl', null, 'expected "headings" to be an array of column names');
  }
  if (!Array.isArray(data)) throw new ParseError('ovs-vsctl', null, 'expected "data" to be an array of rows');
  const cols = headings as string[];
  const nameAt = cols.indexOf('name');
  if (nameAt < 0) throw new ParseError('ovs-vsctl', null, 'no "name" column in headings (run `ovs-vsctl --format=json list Interface` without --columns, or include name)');
  const ofportAt = cols.indexOf('ofport');
  const statsAt = cols.indexOf('statistics');
  const extAt = cols.indexOf('external_ids');

  return data.map((row, r) => {
    const bad = (detail: string): never => {
      throw new ParseError('ovs-vsctl', null, `row ${r}: ${detail}`);
    };
    if (!Array.isArray(row) || row.length !== cols.length) {
      return bad(`expected ${cols.length} cells (one per heading), found ${Array.isArray(row) ? row.length : 'no array'}`);
    }
    const name = scalar(row[nameAt]!);
    if (typeof name !== 'string' || name === '') return bad(`column name: expected a string, found ${show(row[nameAt]!)}`);
    const at = (col: string) => `row ${r} (${name}): column ${col}`;
    let ofport: number | null = null;
    if (ofportAt >= 0) {
      const v = scalar(row[ofportAt]!);
      if (v !== null && (typeof v !== 'bigint' || v < -1n || v > 0xffffn)) {
        throw new ParseError('ovs-vsctl', null, `${at('ofport')}: expected an integer or an empty set, found ${show(row[ofportAt]!)}`);
      }
      ofport = v === null ? null : Number(v);
    }
    const statistics: Record<string, bigint> = {};
    if (statsAt >= 0) {
      for (const [k, v] of mapEntries(row[statsAt]!, at('statistics'))) {
        if (typeof v !== 'bigint' || v < 0n) throw new ParseError('ovs-vsctl', null, `${at('statistics')}: ${k} is not a counter: ${show(v)}`);
        statistics[k] = v;
      }
    }
    const externalIds: Record<string, string> = {};
    if (extAt >= 0) {
      for (const [k, v] of mapEntries(row[extAt]!, at('external_ids'))) {
        if (typeof v !== 'string') throw new ParseError('ovs-vsctl', null, `${at('external_ids')}: ${k} is not a string: ${show(v)}`);
        externalIds[k] = v;
      }
    }
    return { name, ofport, statistics, externalIds };
  });
}

/**
 * The sampling round trip prints nothing for OVS when ovs-vsctl is not installed (see RawSample.ovs):
 * blank text → [] (no OVS), anything else must parse.
 */
export function parseOvsInterfacesOrAbsent(text: string): OvsInterface[] {
  return text.trim() === '' ? [] : parseOvsInterfaces(text);
}

type Atom = string | bigint | number | boolean;

function isObj(v: JsonIn): v is { [key: string]: JsonIn } {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Decodes a cell meant to hold at most one atom: the bare atom, ["set", []] → null, ["set", [a]] → a. */
function scalar(cell: JsonIn): Atom | null | undefined {
  if (Array.isArray(cell) && cell.length === 2 && typeof cell[0] === 'string') {
    const [tag, body] = cell;
    if ((tag === 'uuid' || tag === 'named-uuid') && typeof body === 'string') return body;
    if (tag === 'set' && Array.isArray(body)) {
      if (body.length === 0) return null;
      if (body.length === 1) return scalar(body[0]!) ?? undefined;
    }
    return undefined;
  }
  if (cell === null || Array.isArray(cell) || isObj(cell)) return undefined;
  return cell;
}

function mapEntries(cell: JsonIn, where: string): [string, Atom][] {
  // An empty map, or an empty set standing for "no value", carries nothing.
  if (Array.isArray(cell) && cell[0] === 'set' && Array.isArray(cell[1]) && cell[1].length === 0) return [];
  if (!Array.isArray(cell) || cell.length !== 2 || cell[0] !== 'map' || !Array.isArray(cell[1])) {
    throw new ParseError('ovs-vsctl', null, `${where}: expected ["map", [[key, value], ...]], found ${show(cell)}`);
  }
  return cell[1].map((pair) => {
    if (!Array.isArray(pair) || pair.length !== 2) throw new ParseError('ovs-vsctl', null, `${where}: map entry is not a [key, value] pair: ${show(pair)}`);
    const k = scalar(pair[0]!);
    const v = scalar(pair[1]!);
    if (typeof k !== 'string') throw new ParseError('ovs-vsctl', null, `${where}: map key is not a string: ${show(pair[0]!)}`);
    if (v === null || v === undefined) throw new ParseError('ovs-vsctl', null, `${where}: value of ${k} is not an atom: ${show(pair[1]!)}`);
    return [k, v];
  });
}

function show(v: JsonIn): string {
  const s = JSON.stringify(v, (_k, x: unknown) => (typeof x === 'bigint' ? x.toString() : x)) ?? String(v);
  return s.length > 60 ? `${s.slice(0, 60)}…` : s;
}
