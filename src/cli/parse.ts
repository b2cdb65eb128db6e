// `kamikazi parse xentop|xl|ovs|vbd [FILE|-]`: parse a saved tool output and print it as JSON.
// Output is a pretty-printed (2-space) JSON array; counters are exact JSON numbers, never strings.
// Exit 0 on success, 2 with one line on stderr for a bad subcommand, unreadable file or malformed input.
import { readFile } from 'node:fs/promises';
import type { Command } from '../cli.ts';
import { toExactJson, type JsonOut } from '../hosts/parsers/json.ts';
import { parseOvsInterfaces } from '../hosts/parsers/ovs.ts';
import { ParseError } from '../hosts/parsers/types.ts';
import { parseVbdStats } from '../hosts/parsers/vbd.ts';
import { parseXentop } from '../hosts/parsers/xentop.ts';
import { parseXlList } from '../hosts/parsers/xl.ts';

const USAGE = 'usage: kamikazi parse xentop|xl|ovs|vbd [FILE|-]';

// Key order here is the documented output order (the objects are built field by field on purpose).
const formats: Record<string, (text: string) => JsonOut[]> = {
  xentop: (text) =>
    parseXentop(text).map((r) => ({
      name: r.name, state: r.state, cpuSeconds: r.cpuSeconds, cpuPercent: r.cpuPercent,
      memKiB: r.memKiB, memPercent: r.memPercent, maxMemKiB: r.maxMemKiB, maxMemPercent: r.maxMemPercent,
      vcpus: r.vcpus, nets: r.nets, netTxKiB: r.netTxKiB, netRxKiB: r.netRxKiB, vbds: r.vbds,
      vbdOo: r.vbdOo, vbdRd: r.vbdRd, vbdWr: r.vbdWr, vbdRsect: r.vbdRsect, vbdWsect: r.vbdWsect, ssid: r.ssid,
    })),
  xl: (text) =>
    parseXlList(text).map((d) => ({
      domid: d.domid, name: d.name, uuid: d.uuid, state: d.state, memoryMiB: d.memoryMiB, vcpus: d.vcpus,
    })),
  ovs: (text) =>
    parseOvsInterfaces(text).map((i) => ({
      name: i.name, ofport: i.ofport, statistics: i.statistics, externalIds: i.externalIds,
    })),
  vbd: (text) =>
    parseVbdStats(text).map((v) => ({
      domid: v.domid, dev: v.dev, rdSect: v.rdSect, wrSect: v.wrSect, rdReq: v.rdReq, wrReq: v.wrReq, ooReq: v.ooReq,
    })),
};

export const command: Command = {
  summary: 'parse saved xentop / xl list / ovs-vsctl / vbd output into JSON',
  async run(args) {
    const [kind, file, ...extra] = args;
    const parse = kind === undefined ? undefined : formats[kind];
    if (!parse || extra.length > 0) return fail(kind === undefined || parse ? USAGE : `unknown format "${kind}" (${USAGE})`);
    let text: string;
    try {
      text = file === undefined || file === '-' ? await readStdin() : await readFile(file, 'utf8');
    } catch (err) {
      return fail(`cannot read ${file ?? 'stdin'}: ${err instanceof Error ? err.message : String(err)}`);
    }
    try {
      process.stdout.write(`${toExactJson(parse(text), 2)}\n`);
      return 0;
    } catch (err) {
      if (err instanceof ParseError) return fail(err.message);
      throw err;
    }
  },
};

function fail(message: string): number {
  process.stderr.write(`kamikazi parse: ${message.replace(/\s*\n\s*/g, ' ')}\n`);
  return 2;
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}
