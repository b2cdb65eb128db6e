// Printers that reproduce the real tools' output byte for byte in layout, so sim data goes through the
// same parsers as real hosts. Formats from Xen's tools/xentop/xentop.c and tools/xl/xl_info.c, and
// from `ovs-vsctl --format=json list Interface` as printed by OVS (see test/sim fixtures' comments).
import type { SimDomainView, SimHostView } from './types.ts';

/** What libxenstat leaves in the never-filled read-sector field on real hosts (seen in the wild). */
export const GARBAGE_RSECT = 18446744073562662986n;
const U64 = 1n << 64n;

const pad = (s: string | number | bigint, w: number): string => String(s).padStart(w, ' ');
const digits = (n: bigint): number => String(n).length;

interface XentopRow {
  name: string;
  state: string;
  cpuSec: bigint;
  memKiB: bigint;
  maxMemKiB: bigint | null;
  vcpus: number;
  nets: number;
  netTxK: bigint;
  netRxK: bigint;
  vbds: number;
  oo: bigint;
  rd: bigint;
  wr: bigint;
  rsect: bigint;
  wsect: bigint;
}

function xentopRow(d: SimDomainView, garbage: boolean): XentopRow {
  // NETTX is what dom0 sent to the guest (guest ingress), NETRX what the guest sent (egress):
  // libxenstat reads vif<domid>.<devid> from dom0's /proc/net/dev without swapping.
  let tx = 0n, rx = 0n, oo = 0n, rd = 0n, wr = 0n, rs = 0n, ws = 0n;
  for (const v of d.vifs) {
    tx += v.guestRxBytes;
    rx += v.guestTxBytes;
  }
  for (const b of d.vbds) {
    oo += b.ooReq;
    rd += b.rdReq;
    wr += b.wrReq;
    rs += b.rdSect;
    ws += b.wrSect;
  }
  return {
    name: d.name, state: d.busy ? '-----r' : '--b---', cpuSec: d.cpuNs / 1_000_000_000n, memKiB: d.memKiB, maxMemKiB: d.memKiB,
    vcpus: d.vcpus, nets: d.vifs.length, netTxK: (tx % U64) / 1024n, netRxK: (rx % U64) / 1024n, vbds: d.vbds.length,
    oo: oo % U64, rd: rd % U64, wr: wr % U64, rsect: garbage ? GARBAGE_RSECT : rs % U64, wsect: ws % U64,
  };
}

const pct = (part: bigint, whole: bigint): string => ((Number(part) / Number(whole)) * 100).toFixed(1);

/** `xentop -b -i 1 [-f]`: one header line, then every domain sorted by name (xentop's default sort). */
export function printXentop(v: SimHostView, opts: { full: boolean; xen3?: boolean }): string {
  const rows: XentopRow[] = [
    { name: 'Domain-0', state: '-----r', cpuSec: v.dom0.cpuNs / 1_000_000_000n, memKiB: v.dom0.memKiB, maxMemKiB: null, vcpus: v.dom0.vcpus, nets: 0, netTxK: 0n, netRxK: 0n, vbds: 0, oo: 0n, rd: 0n, wr: 0n, rsect: 0n, wsect: 0n },
    ...v.domains.map((d) => xentopRow(d, v.vbdRsectGarbage)),
  ];
  rows.sort((a, b) => {
    const x = a.name.toLowerCase(), y = b.name.toLowerCase();
    return x < y ? -1 : x > y ? 1 : 0;
  });
  // adjust_field_widths(): widths grow to fit the largest value + 1.
  let wName = 10, wTx = 8, wRx = 8, wRd = 8, wWr = 8, wRs = 10, wWs = 10;
  for (const r of rows) {
    if (opts.full) wName = Math.max(wName, r.name.length);
    wTx = Math.max(wTx, digits(r.netTxK + 1n));
    wRx = Math.max(wRx, digits(r.netRxK + 1n));
    wRd = Math.max(wRd, digits(r.rd + 1n));
    wWr = Math.max(wWr, digits(r.wr + 1n));
    wRs = Math.max(wRs, digits(r.rsect + 1n));
    wWs = Math.max(wWs, digits(r.wsect + 1n));
  }
  const head = [pad('NAME', wName), pad('STATE', 6), pad('CPU(sec)', 10), pad('CPU(%)', 6), pad('MEM(k)', 10), pad('MEM(%)', 6), pad('MAXMEM(k)', 10), pad('MAXMEM(%)', 9), pad('VCPUS', 5), pad('NETS', 4), pad('NETTX(k)', wTx), pad('NETRX(k)', wRx), pad('VBDS', 4), pad('VBD_OO', 8), pad('VBD_RD', wRd), pad('VBD_WR', wWr)];
  if (!opts.xen3) head.push(pad('VBD_RSECT', wRs), pad('VBD_WSECT', wWs));
  head.push(pad('SSID', 4));
  const lines = [head.join(' ')];
  for (const r of rows) {
    const name = opts.full ? pad(r.name, wName) : pad(r.name.slice(0, 10), 10);
    const f = [
      name, r.state, pad(r.cpuSec, 10), pad('0.0', 6), pad(r.memKiB, 10), pad(pct(r.memKiB, v.totalMemKiB), 6),
      r.maxMemKiB === null ? pad('no limit', 10) : pad(r.maxMemKiB, 10),
      r.maxMemKiB === null ? pad('n/a', 9) : pad(pct(r.maxMemKiB, v.totalMemKiB), 9),
      pad(r.vcpus, 5), pad(r.nets, 4), pad(r.netTxK, wTx), pad(r.netRxK, wRx), pad(r.vbds, 4), pad(r.oo, 8), pad(r.rd, wRd), pad(r.wr, wWr),
    ];
    if (!opts.xen3) f.push(pad(r.rsect, wRs), pad(r.wsect, wWs));
    f.push(pad(0, 4));
    lines.push(f.join(' '));
  }
  return lines.join('\n') + '\n';
}

/** Plain `xl list` (xl_info.c list_domains): sorted by domid, Time(s) as %8.1f. */
export function printXlListPlain(v: SimHostView): string {
  const row = (name: string, domid: number, memMiB: bigint, vcpus: number, state: string, cpuNs: bigint): string =>
    `${name.padEnd(40)} ${pad(domid, 5)} ${pad(memMiB, 5)} ${pad(vcpus, 5)}     ${state}  ${pad((Number(cpuNs) / 1e9).toFixed(1), 8)}`;
  const lines = ['Name                                        ID   Mem VCPUs\tState\tTime(s)'];
  lines.push(row('Domain-0', 0, v.dom0.memKiB / 1024n, v.dom0.vcpus, 'r-----', v.dom0.cpuNs));
  for (const d of v.domains) lines.push(row(d.name, d.domid, d.memKiB / 1024n, d.vcpus, d.busy ? 'r-----' : '-b----', d.cpuNs));
  return lines.join('\n') + '\n';
}

/** Static text per domain incarnation / OVS row never changes, so it is rendered once per fleet (sampling is hot). */
function cached(v: SimHostView, key: string, make: () => string): string {
  let s = v.textCache.get(key);
  if (s === undefined) {
    if (v.textCache.size > 200_000) v.textCache.clear();
    s = make();
    v.textCache.set(key, s);
  }
  return s;
}

const indent = (json: string, by: string): string => json.split('\n').map((l) => by + l).join('\n');

/** `xl list -l`: a JSON array of { domid, config: libxl_domain_config } pretty-printed by yajl (4 spaces). */
export function printXlListLong(v: SimHostView): string {
  const vcpuList = (n: number): number[] => Array.from({ length: n }, (_, i) => i);
  const dom0 = cached(v, `xl/${v.name}/0`, () => indent(JSON.stringify(
    {
      domid: 0,
      config: {
        c_info: { type: 'pv', name: 'Domain-0', uuid: '00000000-0000-0000-0000-000000000000' },
        b_info: { max_vcpus: v.dom0.vcpus, avail_vcpus: vcpuList(v.dom0.vcpus), max_memkb: Number(v.dom0.memKiB), target_memkb: Number(v.dom0.memKiB), 'type.pv': {} },
      },
    }, null, 4), '    '));
  const parts = [dom0];
  for (const d of v.domains) parts.push(cached(v, `xl/${d.uuid}/${d.domid}`, () => indent(JSON.stringify({
      domid: d.domid,
      config: {
        c_info: { type: d.hvm ? 'hvm' : 'pv', name: d.name, uuid: d.uuid, run_hotplug_scripts: 'True' },
        b_info: {
          max_vcpus: d.vcpus,
          avail_vcpus: vcpuList(d.vcpus),
          max_memkb: Number(d.memKiB),
          target_memkb: Number(d.memKiB),
          sched_params: {},
          ...(d.hvm ? { 'type.hvm': { firmware: 'bios', pae: 'True', acpi: 'True', vnc: { enable: 'False' } } } : { 'type.pv': { bootloader: 'pygrub' } }),
        },
        disks: d.vbds.map((b) => ({ pdev_path: `/dev/vg0/${d.name}-${b.vdev}`, vdev: b.vdev, format: 'raw', readwrite: 1 })),
        nics: d.vifs.map((n) => ({ devid: n.devid, mac: n.mac, bridge: 'xenbr0', script: 'vif-openvswitch', nictype: d.hvm ? 'vif_ioemu' : 'vif' })),
        on_reboot: 'restart',
        on_poweroff: 'destroy',
        on_crash: 'restart',
      },
    }, null, 4), '    ')));
  return `[\n${parts.join(',\n')}\n]\n`;
}

// ---------- ovs-vsctl --format=json list Interface ----------

const HEADINGS = ['_uuid', 'admin_state', 'bfd', 'bfd_status', 'cfm_fault', 'cfm_fault_status', 'cfm_flap_count', 'cfm_health', 'cfm_mpid', 'cfm_remote_mpids', 'cfm_remote_opstate', 'duplex', 'error', 'external_ids', 'ifindex', 'ingress_policing_burst', 'ingress_policing_kpkts_burst', 'ingress_policing_kpkts_rate', 'ingress_policing_rate', 'lacp_current', 'link_resets', 'link_speed', 'link_state', 'lldp', 'mac', 'mac_in_use', 'mtu', 'mtu_request', 'name', 'ofport', 'ofport_request', 'options', 'other_config', 'statistics', 'status', 'type'];

const js = (s: string): string => JSON.stringify(s);
const EMPTY_SET = '["set",[]]';
const EMPTY_MAP = '["map",[]]';
const map = (pairs: [string, string][]): string => `["map",[${pairs.map(([k, val]) => `[${js(k)},${js(val)}]`).join(',')}]]`;

interface OvsStatic {
  uuid: string;
  name: string;
  ofport: number;
  ifindex: number;
  macInUse: string;
  type: string;
  externalIds: [string, string][];
  driver: string;
  duplex: string | null;
  linkSpeed: number | null;
}

type PortStats = [rxBytes: bigint, rxPackets: bigint, txBytes: bigint, txPackets: bigint] | null;

/** OVS statistics keys in OVSDB's (sorted) order; rx_* is what the port received from the guest. */
function statsMap(s: PortStats): string {
  if (s === null) return EMPTY_MAP;
  return `["map",[["collisions",0],["rx_bytes",${s[0]}],["rx_crc_err",0],["rx_dropped",0],["rx_errors",0],["rx_frame_err",0],` +
    `["rx_missed_errors",0],["rx_multicast_packets",0],["rx_over_err",0],["rx_packets",${s[1]}],` +
    `["tx_bytes",${s[2]}],["tx_dropped",0],["tx_errors",0],["tx_packets",${s[3]}]]]`;
}

/** Every cell of a row but the counters (statistics is a NUL placeholder), by column name. */
function cells(r: OvsStatic): Record<string, string> {
  const values = [
    `["uuid",${js(r.uuid)}]`, js('up'), EMPTY_MAP, EMPTY_MAP, EMPTY_SET, EMPTY_SET, EMPTY_SET, EMPTY_SET, EMPTY_SET, EMPTY_SET, EMPTY_SET,
    r.duplex === null ? EMPTY_SET : js(r.duplex), EMPTY_SET, map(r.externalIds), String(r.ifindex), '0', '0', '0', '0', EMPTY_SET, '1',
    r.linkSpeed === null ? EMPTY_SET : String(r.linkSpeed), js('up'), EMPTY_MAP, EMPTY_SET, js(r.macInUse), '1500', EMPTY_SET,
    js(r.name), String(r.ofport), EMPTY_SET, EMPTY_MAP, EMPTY_MAP, '\u0000', map([['driver_name', r.driver]]), js(r.type),
  ];
  return Object.fromEntries(HEADINGS.map((h, i) => [h, values[i]]));
}

/** A row's text around its statistics (split at a NUL): everything but the counters is fixed for a port's life. */
function staticParts(v: SimHostView, uuid: string, columns: readonly string[], make: () => OvsStatic): [string, string] {
  const s = cached(v, `ovs/${columns === HEADINGS ? '*' : columns.join(',')}/${uuid}`, () => {
    const c = cells(make());
    return `[${columns.map((h) => c[h]).join(',')}]`;
  });
  const i = s.indexOf('\u0000');
  return i < 0 ? [s, ''] : [s.slice(0, i), s.slice(i + 1)];
}

/** Columns `ovs-vsctl list Interface` knows, in the order it prints them without --columns. */
export const OVS_INTERFACE_COLUMNS: readonly string[] = HEADINGS;

const HEADINGS_JSON = `"headings":[${HEADINGS.map(js).join(',')}]`;

/**
 * `ovs-vsctl --format=json list Interface`. For a vif port, rx_bytes is what the GUEST SENT (egress)
 * and tx_bytes what was delivered TO the guest (ingress). The bridge's internal port has no stats.
 */
export function printOvsInterfaces(v: SimHostView, columns: readonly string[] = HEADINGS): string {
  const bad = columns.find((c) => !HEADINGS.includes(c));
  if (bad !== undefined) throw new Error(`Interface does not contain a column whose name matches "${bad}"`);
  const withStats = columns.includes('statistics');
  const rows: { uuid: string; parts: [string, string]; stats: PortStats }[] = [];
  for (const d of v.domains) {
    for (const n of d.vifs) {
      const parts = staticParts(v, n.ovsUuid, columns, () => {
        const ext: [string, string][] = [];
        if (d.ovsUuidKey !== null) {
          ext.push(['attached-mac', n.mac]);
          if (d.ovsUuidKey === 'xs-vm-uuid') ext.push(['xs-vif-uuid', uuidLike(n.ovsUuid)], ['xs-vm-uuid', d.uuid]);
          else ext.push(['vm-uuid', d.uuid]);
        }
        return { uuid: n.ovsUuid, name: `vif${d.domid}.${n.devid}`, ofport: n.ofport, ifindex: n.ifindex, macInUse: 'fe:ff:ff:ff:ff:ff', type: '', externalIds: ext, driver: 'vif', duplex: null, linkSpeed: null };
      });
      rows.push({ uuid: n.ovsUuid, parts, stats: [n.guestTxBytes, n.guestTxPackets, n.guestRxBytes, n.guestRxPackets] });
    }
    for (const e of d.emu) {
      const parts = staticParts(v, e.ovsUuid, columns, () => ({
        uuid: e.ovsUuid, name: `vif${d.domid}.${e.devid}-emu`, ofport: e.ofport, ifindex: e.ifindex, macInUse: 'fe:ff:ff:ff:ff:ff', type: '', externalIds: [], driver: 'tun', duplex: 'full', linkSpeed: 10000000,
      }));
      rows.push({ uuid: e.ovsUuid, parts, stats: [e.bytes, e.bytes / 300n + 1n, e.bytes / 2n, e.bytes / 600n + 1n] });
    }
  }
  const u = v.uplink;
  rows.push({
    uuid: u.ovsUuid,
    parts: staticParts(v, u.ovsUuid, columns, () => ({ uuid: u.ovsUuid, name: 'eth0', ofport: 1, ifindex: 2, macInUse: 'f8:0d:ac:1a:da:de', type: '', externalIds: [], driver: 'ixgbe', duplex: 'full', linkSpeed: 10000000000 })),
    stats: [u.rxBytes, u.rxPackets, u.txBytes, u.txPackets],
  });
  rows.push({
    uuid: v.bridgeUuid,
    parts: staticParts(v, v.bridgeUuid, columns, () => ({ uuid: v.bridgeUuid, name: 'xenbr0', ofport: 65534, ifindex: 4, macInUse: 'f8:0d:ac:1a:da:de', type: 'internal', externalIds: [], driver: 'openvswitch', duplex: null, linkSpeed: null })),
    stats: null,
  });
  // OVSDB prints rows in hash order; sorting by row uuid gives an order just as arbitrary, but stable.
  rows.sort((a, b) => (a.uuid < b.uuid ? -1 : a.uuid > b.uuid ? 1 : 0));
  let out = '{"data":[';
  for (let i = 0; i < rows.length; i++) out += (i ? ',' : '') + rows[i].parts[0] + (withStats ? statsMap(rows[i].stats) : '') + rows[i].parts[1];
  return out + '],' + (columns === HEADINGS ? HEADINGS_JSON : `"headings":[${columns.map(js).join(',')}]`) + '}\n';
}

/** A second uuid derived from a row uuid (XenServer's xs-vif-uuid), by reversing its hex digits. */
function uuidLike(u: string): string {
  const hex = u.replace(/-/g, '').split('').reverse().join('');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** sysfs VBD statistics as the sampling script prints them: `vbd-<domid>-<dev> rd_sect wr_sect rd_req wr_req oo_req`. */
export function printVbdStats(v: SimHostView): string {
  let out = '';
  for (const d of v.domains) for (const b of d.vbds) out += `vbd-${d.domid}-${b.dev} ${b.rdSect} ${b.wrSect} ${b.rdReq} ${b.wrReq} ${b.ooReq}\n`;
  return out;
}
