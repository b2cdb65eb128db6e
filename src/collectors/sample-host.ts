// One host's raw sample → parsed tool outputs → joined per-VM samples. Malformed output throws ParseError.
import { createHash } from 'node:crypto';
import { parseOvsInterfacesOrAbsent } from '../hosts/parsers/ovs.ts';
import type { XlDomain } from '../hosts/parsers/types.ts';
import { parseVbdStats } from '../hosts/parsers/vbd.ts';
import { parseXentop } from '../hosts/parsers/xentop.ts';
import { parseXlList } from '../hosts/parsers/xl.ts';
import type { HostAdapter, RawSample } from '../hosts/types.ts';
import { joinPoll } from './join.ts';
import type { HostSample } from './sample.ts';

/**
 * `xl list -l` is domain configuration, not counters: between polls it is usually byte-identical, and its
 * JSON is the largest section to parse. The last parse is reused per adapter while the text is unchanged,
 * recognised by its SHA-256 (a 1,000-host fleet would otherwise keep some 30 MB of old text alive).
 */
const xlCache = new WeakMap<object, { digest: string; parsed: XlDomain[] }>();

export function parseRawSample(raw: RawSample, cacheKey?: object): HostSample {
  let xl = cacheKey ? xlCache.get(cacheKey) : undefined;
  const digest = createHash('sha256').update(raw.xlList).digest('base64');
  if (!xl || xl.digest !== digest) {
    xl = { digest, parsed: parseXlList(raw.xlList) };
    if (cacheKey) xlCache.set(cacheKey, xl);
  }
  return joinPoll({
    xl: xl.parsed,
    xentop: parseXentop(raw.xentop),
    ovs: parseOvsInterfacesOrAbsent(raw.ovs),
    vbd: parseVbdStats(raw.vbd),
    takenAt: raw.takenAt,
  });
}

export async function sampleHost(adapter: HostAdapter): Promise<HostSample> {
  return parseRawSample(await adapter.sample(), adapter);
}
