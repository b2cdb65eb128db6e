// One host's raw sample → parsed tool outputs → joined per-VM samples. Malformed output throws ParseError.
import { createHash } from 'node:crypto';
import { parseOvsInterfacesOrAbsent } from '../hosts/parsers/ovs.ts';
import { ParseError, type XlDomain } from '../hosts/parsers/types.ts';
import { parseVbdStats } from '../hosts/parsers/vbd.ts';
import { parseXentop } from '../hosts/parsers/xentop.ts';
import { parseXlList } from '../hosts/parsers/xl.ts';
import type { HostAdapter, RawSample } from '../hosts/types.ts';
import { joinPoll } from './join.ts';
import type { HostSample } from './sample.ts';

/**
 * `xl list -l` is domain configuration, not counters: between polls it is usually byte-identical, and it is
 * most of a sample's bytes. The last parse is kept per adapter with the text's SHA-256 (hex); the digest goes
 * to the host with the next sample, and a host whose text still has it sends "unchanged" instead of the text.
 * `fromHost`: the host computes digests itself (a dom0 without sha256sum always sends the text).
 */
const xlCache = new WeakMap<object, { digest: string; parsed: XlDomain[]; fromHost: boolean }>();

export function parseRawSample(raw: RawSample, cacheKey?: object): HostSample {
  let xl = cacheKey ? xlCache.get(cacheKey) : undefined;
  if (raw.xlUnchanged) {
    if (!xl || xl.digest !== raw.xlDigest) throw new ParseError('sample', 1, 'the host says xl list -l is unchanged, but not from the text this collector parsed last');
  } else {
    const digest = createHash('sha256').update(raw.xlList).digest('hex');
    // The host's digest of the text must be ours: else the next "unchanged" could not be trusted.
    if (raw.xlDigest !== undefined && raw.xlDigest !== digest) throw new ParseError('sample', 1, `the host's xl list -l digest ${raw.xlDigest} does not match the text it sent`);
    xl = { digest, parsed: xl?.digest === digest ? xl.parsed : parseXlList(raw.xlList), fromHost: raw.xlDigest !== undefined };
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
  const known = xlCache.get(adapter);
  return parseRawSample(await adapter.sample(known?.fromHost ? { xlDigest: known.digest } : undefined), adapter);
}
