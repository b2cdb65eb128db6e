// parseOvsInterfaces reads the sampler's canonical ovs-vsctl JSON with a one-pass scanner and everything
// else with the general decoder: both must give the same values, and malformed text the general error.
import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/clock.ts';
import { parseOvsInterfaces, parseOvsInterfacesGeneric } from '../../src/hosts/parsers/ovs.ts';
import { SimAdapter } from '../../src/hosts/sim/adapter.ts';
import { SimFleet } from '../../src/hosts/sim/fleet.ts';
import { fixture } from './fixture.ts';

const doc = (headings: string[], rows: unknown[][]) => JSON.stringify({ data: rows, headings }, (_k, v: unknown) => (typeof v === 'bigint' ? `@@${v}@@` : v)).replace(/"@@(-?\d+)@@"/g, '$1');
const H = ['name', 'ofport', 'statistics', 'external_ids'];

describe('parseOvsInterfaces: canonical scanner vs general decoder', () => {
  it('agrees on a simulated fleet, hour by hour', async () => {
    const start = new Date(Date.UTC(2026, 0, 1));
    const fleet = new SimFleet({ seed: 3, start, hosts: 4, vmsPerHost: 12, events: { rebootsPerDay: 4, migrationsPerDay: 2 } });
    const clock = new ManualClock(start);
    for (let h = 0; h < 6; h++) {
      clock.advance(3_600_000);
      for (const name of fleet.hostNames) {
        const text = (await new SimAdapter(fleet, name, clock).sample()).ovs;
        expect(parseOvsInterfaces(text)).toEqual(parseOvsInterfacesGeneric(text));
      }
    }
  });

  it('agrees on the XCP-ng capture', () => {
    const text = fixture('ovs-list-interface-xcpng.json');
    expect(parseOvsInterfaces(text)).toEqual(parseOvsInterfacesGeneric(text));
  });

  const same: Array<[string, string]> = [
    ['big counters', doc(H, [['vif9.0', 3, ['map', [['rx_bytes', 18446744073709551615n], ['tx_bytes', 9007199254740993n]]], ['map', []]]])],
    ['empty data', doc(H, [])],
    ['empty sets', doc(H, [['vif1.0', ['set', []], ['set', []], ['set', []]]])],
    ['one-element set ofport', doc(H, [['vif1.0', ['set', [4]], ['map', [['rx_bytes', 1]]], ['map', [['vm-uuid', 'u']]]]])],
    ['ofport -1 and -0', doc(H, [['a', -1, ['map', []], ['map', []]], ['b', JSON.parse('-0'), ['map', []], ['map', []]]])],
    ['escaped strings', doc(H, [['vif"1.0', 1, ['map', [['rx\\bytes', 1]]], ['map', [['k', 'v\u00e9\n']]]]])],
    ['duplicate keys', doc(H, [['a', 1, ['map', [['rx_bytes', 1], ['rx_bytes', 2]]], ['map', [['k', 'x'], ['k', 'y']]]]])],
    ['column subset', doc(['name', 'statistics'], [['br0', ['map', [['rx_bytes', 5]]]]])],
    ['columns reordered', doc(['statistics', 'external_ids', 'name', 'ofport'], [[['map', [['tx_bytes', 7]]], ['map', []], 'eth0', 2]])],
    ['extra column', doc(['_uuid', ...H], [[['uuid', '0de54408-a136-4d67-a258-dc6e6b894f72'], 'a', 1, ['map', []], ['map', []]]])],
    ['whitespace', ' {"data": [["a", 1, ["map", [["rx_bytes", 1]]], ["map", []]]], "headings": ["name","ofport","statistics","external_ids"]}\n'],
    ['trailing newline', `${doc(H, [['a', 1, ['map', []], ['map', []]]])}\n`],
    ['headings first', '{"headings":["name","ofport","statistics","external_ids"],"data":[["a",1,["map",[]],["map",[]]]]}'],
    ['leading zero inside (decoder error)', '{"data":[["a",01,["map",[]],["map",[]]]],"headings":["name","ofport","statistics","external_ids"]}'],
    ['fraction counter (decoder error)', '{"data":[["a",1,["map",[["rx_bytes",1.5]]],["map",[]]]],"headings":["name","ofport","statistics","external_ids"]}'],
    ['negative counter (decoder error)', '{"data":[["a",1,["map",[["rx_bytes",-1]]],["map",[]]]],"headings":["name","ofport","statistics","external_ids"]}'],
    ['short row (decoder error)', '{"data":[["a",1,["map",[]]]],"headings":["name","ofport","statistics","external_ids"]}'],
    ['empty name (decoder error)', '{"data":[["",1,["map",[]],["map",[]]]],"headings":["name","ofport","statistics","external_ids"]}'],
    ['cut off (decoder error)', '{"data":[["a",1,["map",[]],["map",[]]]],"headings":["name","ofport","statistics","external_ids"]'],
    ['garbage between (decoder error)', '{"data":[["a",1,["map",[]],["map",[]]]]x,"headings":["name","ofport","statistics","external_ids"]}'],
    ['ofport out of range (decoder error)', '{"data":[["a",70000,["map",[]],["map",[]]]],"headings":["name","ofport","statistics","external_ids"]}'],
    ['string counter (decoder error)', '{"data":[["a",1,["map",[["rx_bytes","9"]]],["map",[]]]],"headings":["name","ofport","statistics","external_ids"]}'],
    ['number external id (decoder error)', '{"data":[["a",1,["map",[]],["map",[["k",9]]]]],"headings":["name","ofport","statistics","external_ids"]}'],
    ['no name heading (decoder error)', '{"data":[[1]],"headings":["ofport"]}'],
  ];
  it.each(same)('%s', (_n, text) => {
    let want: unknown;
    try {
      want = parseOvsInterfacesGeneric(text);
    } catch (err) {
      want = err;
    }
    if (want instanceof Error) expect(() => parseOvsInterfaces(text)).toThrowError(want.message);
    else expect(parseOvsInterfaces(text)).toEqual(want);
  });
});
