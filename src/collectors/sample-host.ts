// One host's raw sample → parsed tool outputs → joined per-VM samples. Malformed output throws ParseError.
import { parseOvsInterfacesOrAbsent } from '../hosts/parsers/ovs.ts';
import { parseVbdStats } from '../hosts/parsers/vbd.ts';
import { parseXentop } from '../hosts/parsers/xentop.ts';
import { parseXlList } from '../hosts/parsers/xl.ts';
import type { HostAdapter, RawSample } from '../hosts/types.ts';
import { joinPoll } from './join.ts';
import type { HostSample } from './sample.ts';

export function parseRawSample(raw: RawSample): HostSample {
  return joinPoll({
    xl: parseXlList(raw.xlList),
    xentop: parseXentop(raw.xentop),
    ovs: parseOvsInterfacesOrAbsent(raw.ovs),
    vbd: parseVbdStats(raw.vbd),
    takenAt: raw.takenAt,
  });
}

export async function sampleHost(adapter: HostAdapter): Promise<HostSample> {
  return parseRawSample(await adapter.sample());
}
