// Against a REAL Open vSwitch (userspace datapath) with traffic between two namespaces the test creates:
// the vif port's rx_bytes is what the namespace behind it SENT (guest egress), tx_bytes what it received.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/clock.ts';
import { LocalAdapter } from '../../src/hosts/local.ts';
import { parseOvsInterfaces } from '../../src/hosts/parsers/index.ts';
import type { OvsInterface } from '../../src/hosts/parsers/types.ts';
import { silentLogger } from '../../src/log.ts';
import { startOvsLab, type LabNamespace, type OvsLab } from '../support/ovs.ts';

let lab: OvsLab;
let a: LabNamespace;
let b: LabNamespace;
let adapter: LocalAdapter;
const vmUuid = randomUUID();

/** Ethernet 14 + IPv6 40 + ICMPv6 echo header 8. */
const ICMP6_FRAME_OVERHEAD = 14 + 40 + 8;
/** Ethernet 14 + IPv6 40 + TCP 20 + timestamp option 12 (Linux default). */
const TCP6_SEGMENT_OVERHEAD = 14 + 40 + 32;
/** IPv6 TCP MSS on a 1500-byte MTU with timestamps: 1500 - 40 - 20 - 12. */
const MSS = 1428;
/** Neighbour discovery (one NS + NA exchange, 86 bytes each) and the odd MLD report. */
const ND_SLACK = 1024;

async function portStats(name: string): Promise<OvsInterface> {
  const all = parseOvsInterfaces(await adapter.interfaceStats());
  const found = all.find((i) => i.name === name);
  if (!found) throw new Error(`port ${name} not in ovs-vsctl list Interface (have: ${all.map((i) => i.name).join(', ')})`);
  return found;
}

/** The "guest" kernel's own account: its NIC's byte counters and its TCP segment counters. */
interface NsCounters {
  txBytes: bigint;
  rxBytes: bigint;
  outSegs: bigint;
  retransSegs: bigint;
}

async function nsCounters(ns: LabNamespace): Promise<NsCounters> {
  const out = await lab.nsExec(ns, ['cat', `/sys/class/net/${ns.inner}/statistics/tx_bytes`, `/sys/class/net/${ns.inner}/statistics/rx_bytes`, '/proc/net/snmp']);
  const [tx, rx] = out.split('\n');
  const tcp = out.split('\n').filter((l) => l.startsWith('Tcp:')).map((l) => l.split(/\s+/).slice(1));
  const col = (name: string) => BigInt(tcp[1]![tcp[0]!.indexOf(name)]!);
  return { txBytes: BigInt(tx!), rxBytes: BigInt(rx!), outSegs: col('OutSegs'), retransSegs: col('RetransSegs') };
}

interface Snapshot {
  ovs: OvsInterface;
  kernel: NsCounters;
}

/**
 * `list Interface` statistics lag ~5 s behind the datapath. The port was plugged in before the namespace
 * sent anything, so OVS catches up when its totals equal the namespace NIC's: rx_bytes = what the
 * namespace transmitted, tx_bytes = what it received. Poll for that, bounded.
 */
async function caughtUp(ns: LabNamespace): Promise<Snapshot> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const kernel = await nsCounters(ns);
    const ovs = await portStats(ns.port);
    const rx = ovs.statistics['rx_bytes'] ?? 0n;
    const tx = ovs.statistics['tx_bytes'] ?? 0n;
    if (rx === kernel.txBytes && tx === kernel.rxBytes) return { ovs, kernel };
    if (Date.now() > deadline) {
      throw new Error(`${ns.port}: OVS rx_bytes ${rx}/tx_bytes ${tx} never caught up with ${ns.inner} tx ${kernel.txBytes}/rx ${kernel.rxBytes} in 20 s`);
    }
    await new Promise((r) => setTimeout(r, 500));
  }
}

function delta(after: Snapshot, before: Snapshot, counter: string): bigint {
  return (after.ovs.statistics[counter] ?? 0n) - (before.ovs.statistics[counter] ?? 0n);
}

/** Receives on [addr]:port, prints the byte count when the peer closes. */
const SINK = `const net=require('node:net');const [addr,port]=process.argv.slice(1);let n=0;
const s=net.createServer(c=>{c.on('data',d=>n+=d.length);c.on('end',()=>{process.stdout.write(String(n));c.end();s.close();});});
s.listen(Number(port),addr,()=>process.stderr.write('ready'));`;
/** Connects to [addr]:port and writes `bytes` bytes. */
const SOURCE = `const net=require('node:net');const [addr,port,bytes]=process.argv.slice(1);
const c=net.connect(Number(port),addr,()=>{c.end(Buffer.alloc(Number(bytes),120));});c.on('close',()=>process.exit(0));c.resume();`;

beforeAll(async () => {
  lab = startOvsLab();
  a = lab.addNamespace('a', 'fd00:6b62::1');
  b = lab.addNamespace('b', 'fd00:6b62::2');
  lab.vsctl('set', 'Interface', a.port, `external_ids:vm-uuid=${vmUuid}`, 'external_ids:iface-id=vif-test');
  adapter = new LocalAdapter({ name: `ovs-${lab.id}`, env: lab.env }, new ManualClock(0), { commandMs: 10_000 }, silentLogger);
  // Prime neighbour caches so the measured windows carry only the test's traffic.
  await lab.nsExec(a, ['ping', '-6', '-c', '1', '-W', '2', b.address]);
}, 60_000);

afterAll(() => {
  lab?.cleanup();
});

describe('real Open vSwitch interface statistics via LocalAdapter', () => {
  it('shows the vif port with its vm-uuid external id', async () => {
    const port = await portStats(a.port);
    expect(port.externalIds['vm-uuid']).toBe(vmUuid);
    expect(port.ofport).toBeGreaterThan(0);
    expect(typeof port.statistics['rx_bytes']).toBe('bigint');
  });

  it('counts ICMPv6 the namespace sent as the port’s rx_bytes, replies as tx_bytes', async () => {
    const count = 25;
    const size = 1200;
    const frame = BigInt(size + ICMP6_FRAME_OVERHEAD);
    const before = await caughtUp(a);
    const out = await lab.nsExec(a, ['ping', '-6', '-q', '-c', String(count), '-i', '0.01', '-s', String(size), b.address]);
    expect(out).toMatch(new RegExp(`${count} packets transmitted, ${count} received`));
    const after = await caughtUp(a);
    const sent = delta(after, before, 'rx_bytes');
    const received = delta(after, before, 'tx_bytes');
    console.log(`ICMPv6: ${count} × ${frame}-byte frames each way; port rx_bytes +${sent}, tx_bytes +${received}`);
    expect(sent).toBeGreaterThanOrEqual(BigInt(count) * frame);
    expect(sent).toBeLessThanOrEqual(BigInt(count) * frame + BigInt(ND_SLACK));
    expect(received).toBeGreaterThanOrEqual(BigInt(count) * frame);
    expect(received).toBeLessThanOrEqual(BigInt(count) * frame + BigInt(ND_SLACK));
    expect(delta(after, before, 'rx_packets')).toBeGreaterThanOrEqual(BigInt(count));
  });

  it('a TCP upload from the namespace is guest egress: rx_bytes on its port, tx_bytes on the peer’s', async () => {
    const bytes = 3 * 1024 * 1024;
    const port = 20000 + Math.floor(Math.random() * 20000);
    const beforeA = await caughtUp(a);
    const beforeB = await caughtUp(b);
    const sink = lab.nsExec(b, ['node', '-e', SINK, b.address, String(port)]);
    await new Promise((r) => setTimeout(r, 400)); // let the sink listen (it is in another namespace: no cheap probe)
    await lab.nsExec(a, ['node', '-e', SOURCE, b.address, String(port), String(bytes)]);
    expect(Number(await sink)).toBe(bytes);
    const afterA = await caughtUp(a);
    const afterB = await caughtUp(b);

    const egress = delta(afterA, beforeA, 'rx_bytes');
    const ingress = delta(afterA, beforeA, 'tx_bytes');
    // Upper bound from the sender's own TCP counters: every segment's headers, plus retransmitted
    // payload (the userspace datapath drops under load, and a retransmission is real egress, billed).
    const segs = afterA.kernel.outSegs - beforeA.kernel.outSegs;
    const retrans = afterA.kernel.retransSegs - beforeA.kernel.retransSegs;
    const maxEgress = BigInt(bytes) + (segs + retrans) * BigInt(TCP6_SEGMENT_OVERHEAD) + retrans * BigInt(MSS) + BigInt(ND_SLACK);
    console.log(`TCP: ${bytes} payload bytes in ${segs} segments + ${retrans} retransmissions; sender port rx_bytes +${egress} (≤ ${maxEgress}), tx_bytes +${ingress}`);
    expect(egress).toBeGreaterThanOrEqual(BigInt(bytes));
    expect(egress).toBeLessThanOrEqual(maxEgress);
    // The sender received only ACKs and the handshake: far less than it sent.
    expect(ingress).toBeGreaterThan(0n);
    expect(ingress).toBeLessThan(BigInt(bytes) / 10n);
    // The receiver's port carried the upload towards it (guest ingress = tx_bytes) and the ACKs back.
    const bIngress = delta(afterB, beforeB, 'tx_bytes');
    const bEgress = delta(afterB, beforeB, 'rx_bytes');
    expect(bIngress).toBeGreaterThanOrEqual(BigInt(bytes));
    expect(bIngress).toBeLessThanOrEqual(egress);
    expect(bEgress).toBeLessThanOrEqual(ingress + BigInt(ND_SLACK));
    expect(bEgress).toBeGreaterThanOrEqual(ingress - BigInt(ND_SLACK));
  });
});
