// Parses `xl list -l` (libxl JSON) and plain `xl list` into XlDomain values; the format is chosen
// from the first non-blank character ('[' or '{' = JSON, '(' = pre-4.2 SXP, rejected; else plain).
import { JsonSyntaxError, parseExactJson, type JsonIn } from './json.ts';
import { ParseError, type XlDomain } from './types.ts';

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Either format; throws ParseError naming the line (plain) or the domain index (JSON). */
export function parseXlList(text: string): XlDomain[] {
  const first = text.trimStart()[0];
  if (first === undefined) throw new ParseError('xl', null, 'empty output (xl list always lists at least Domain-0)');
  if (first === '[' || first === '{') return parseXlListLong(text);
  if (first === '(') {
    throw new ParseError('xl', 1, 'SXP output (xl list -l before Xen 4.2) is not supported; expected JSON or the plain table');
  }
  return parseXlListPlain(text);
}

type Obj = { [key: string]: JsonIn };

function isObj(v: JsonIn | undefined): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * `xl list -l`: a JSON array of `{domid, config: libxl_domain_config}` (a single object is also
 * accepted). name/uuid come from config.c_info, vcpus from config.b_info.max_vcpus, memory from
 * b_info.target_memkb, else max_memkb (KiB → MiB, rounded down like plain `xl list`), vifs from
 * config.nics[]. libxl omits fields left at their default (dom0 often has no uuid), so absent → null;
 * a memkb of LIBXL_MEMKB_DEFAULT (2^64-1, "unset") → null too. There is no state in -l: null.
 */
export function parseXlListLong(text: string): XlDomain[] {
  let doc: JsonIn;
  try {
    doc = parseExactJson(text);
  } catch (err) {
    if (err instanceof JsonSyntaxError) throw new ParseError('xl', err.line, err.message);
    throw err;
  }
  const items = Array.isArray(doc) ? doc : [doc];
  return items.map((item, i) => domainFromJson(item, i));
}

function domainFromJson(item: JsonIn, i: number): XlDomain {
  const where = `domain #${i}`;
  const bad = (detail: string): never => {
    throw new ParseError('xl', null, `${where}: ${detail}`);
  };
  if (!isObj(item)) return bad('expected an object {"domid": ..., "config": {...}}');
  const domid = item['domid'];
  if (typeof domid !== 'bigint' || domid < 0n || domid > 0x7fffn) return bad(`expected "domid" a domain id 0..32767, found ${show(domid)}`);
  const config = item['config'];
  if (!isObj(config)) return bad('expected a "config" object');
  const cInfo = config['c_info'];
  if (!isObj(cInfo)) return bad('expected "config.c_info" object');
  const name = cInfo['name'];
  if (typeof name !== 'string' || name === '') return bad(`expected "config.c_info.name" a non-empty string, found ${show(name)}`);
  const uuid = cInfo['uuid'];
  if (uuid !== undefined && (typeof uuid !== 'string' || !UUID_RE.test(uuid))) {
    return bad(`"config.c_info.uuid" is not a UUID: ${show(uuid)}`);
  }
  const bInfo = config['b_info'];
  if (bInfo !== undefined && !isObj(bInfo)) return bad('"config.b_info" is not an object');
  const vcpusRaw = bInfo?.['max_vcpus'];
  let vcpus: number | null = null;
  if (vcpusRaw !== undefined) {
    if (typeof vcpusRaw !== 'bigint' || vcpusRaw < 0n || vcpusRaw > 0xffffn) return bad(`"b_info.max_vcpus" is not a VCPU count: ${show(vcpusRaw)}`);
    vcpus = Number(vcpusRaw);
  }
  const memoryMiB = memMiB(bInfo?.['target_memkb'], bad, 'target_memkb') ?? memMiB(bInfo?.['max_memkb'], bad, 'max_memkb');
  const nics = config['nics'];
  if (nics !== undefined && !Array.isArray(nics)) return bad('"config.nics" is not an array');
  const vifs = (nics ?? []).map((nic, n) => {
    if (!isObj(nic)) return bad(`config.nics[${n}] is not an object`);
    const devid = nic['devid'];
    if (devid !== undefined && (typeof devid !== 'bigint' || devid < 0n || devid > 0xffffn)) return bad(`config.nics[${n}].devid is not a device id: ${show(devid)}`);
    const mac = nic['mac'];
    const bridge = nic['bridge'];
    if (mac !== undefined && typeof mac !== 'string') return bad(`config.nics[${n}].mac is not a string`);
    if (bridge !== undefined && typeof bridge !== 'string') return bad(`config.nics[${n}].bridge is not a string`);
    // libxl numbers nics in order when the config gave no devid, so the index is the devid then.
    return { devid: devid === undefined ? n : Number(devid), mac: mac ?? null, bridge: bridge ?? null };
  });
  return {
    domid: Number(domid),
    name,
    uuid: typeof uuid === 'string' ? uuid.toLowerCase() : null,
    state: null,
    memoryMiB,
    vcpus,
    vifs,
  };
}

function memMiB(v: JsonIn | undefined, bad: (d: string) => never, field: string): number | null {
  if (v === undefined) return null;
  if (typeof v !== 'bigint' || v < 0n) return bad(`"b_info.${field}" is not a KiB count: ${show(v)}`);
  if (v === (1n << 64n) - 1n) return null; // LIBXL_MEMKB_DEFAULT: not set
  return Number(v / 1024n);
}

// xl_list.c list_domains(): header "Name                                        ID   Mem VCPUs\tState\tTime(s)",
// rows "%-40s %5d %5lu %5d     %c%c%c%c%c%c  %8.1f" with state letters r b p s c d in that order.
const PLAIN_HEADER_RE = /^Name\s+ID\s+Mem\s+VCPUs\s+State\s+Time\(s\)$/;
const PLAIN_STATE_RE = /^[r-][b-][p-][s-][c-][d-]$/;

/** Plain `xl list`: columns anchored from the right (Time(s) State VCPUs Mem ID), the rest is the name. */
export function parseXlListPlain(text: string): XlDomain[] {
  const lines = text.split('\n');
  const out: XlDomain[] = [];
  let headerSeen = false;
  for (let idx = 0; idx < lines.length; idx++) {
    const lineNo = idx + 1;
    const line = lines[idx]!.replace(/\r$/, '').trim();
    if (line === '') continue;
    if (!headerSeen) {
      if (!PLAIN_HEADER_RE.test(line)) {
        throw new ParseError('xl', lineNo, `expected the header "Name ID Mem VCPUs State Time(s)" (plain xl list, no -v/-Z), found ${JSON.stringify(line.slice(0, 80))}`);
      }
      headerSeen = true;
      continue;
    }
    const tokens = [...line.matchAll(/\S+/g)];
    if (tokens.length < 6) throw new ParseError('xl', lineNo, `expected Name ID Mem VCPUs State Time(s), found ${tokens.length} fields`);
    const [id, mem, vcpus, state, time] = tokens.slice(-5).map((m) => m[0]);
    const fail = (col: string, want: string, got: string): never => {
      throw new ParseError('xl', lineNo, `column ${col}: expected ${want}, found ${JSON.stringify(got)}`);
    };
    if (!/^\d+(\.\d)?$/.test(time!)) fail('Time(s)', 'seconds like 633.6', time!);
    if (!PLAIN_STATE_RE.test(state!)) fail('State', 'six letters like r----- or -b----', state!);
    if (!/^\d+$/.test(vcpus!)) fail('VCPUs', 'an integer', vcpus!);
    if (!/^\d+$/.test(mem!)) fail('Mem', 'an integer (MiB)', mem!);
    if (!/^\d+$/.test(id!) || Number(id) > 0x7fff) fail('ID', 'a domain id 0..32767', id!);
    const name = line.slice(0, tokens.at(-5)!.index).trim();
    out.push({ domid: Number(id), name, uuid: null, state: state!, memoryMiB: Number(mem), vcpus: Number(vcpus) });
  }
  if (!headerSeen) throw new ParseError('xl', null, 'no header line in xl list output');
  return out;
}

function show(v: JsonIn | undefined): string {
  if (v === undefined) return 'nothing';
  if (typeof v === 'bigint') return v.toString();
  return JSON.stringify(v)?.slice(0, 60) ?? String(v);
}
