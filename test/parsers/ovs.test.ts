// parseOvsInterfaces on a real `ovs-vsctl --format=json list Interface` capture and on each encoding.
import { describe, expect, it } from 'vitest';
import { parseOvsInterfaces, parseOvsInterfacesOrAbsent } from '../../src/hosts/parsers/ovs.ts';
import { ParseError } from '../../src/hosts/parsers/types.ts';
import { fixture } from './fixture.ts';

const doc = (headings: string[], rows: unknown[][]) => JSON.stringify({ data: rows, headings });

describe('parseOvsInterfaces', () => {
  it('reads the XCP-ng capture: names, ofports, exact counters and external_ids', () => {
    const ifaces = parseOvsInterfaces(fixture('ovs-list-interface-xcpng.json'));
    expect(ifaces.map((i) => [i.name, i.ofport])).toEqual([['xapi0', 9], ['vif1.0', 2], ['xapi16_iface13', 1], ['eth0', 1]]);
    const vif = ifaces[1]!;
    // rx on a vif port is what the guest sent (egress); tx what it received.
    expect(vif.statistics.rx_bytes).toBe(950026692n);
    expect(vif.statistics.tx_bytes).toBe(101259026443n);
    expect(vif.statistics.tx_dropped).toBe(5n);
    expect(vif.externalIds).toEqual({
      'attached-mac': '56:55:a4:a4:ce:71',
      'xs-network-uuid': '9334aa83-6960-62e5-a463-5acc05295af4',
      'xs-vif-uuid': 'e41c690e-c0a1-f130-4e95-b9a505db2f3c',
      'xs-vm-uuid': '0ec00fdc-8127-8817-40d4-79d61797f87a',
    });
    expect(ifaces[2]!.statistics).toEqual({ rx_bytes: 0n, rx_packets: 0n, tx_bytes: 0n, tx_packets: 0n });
    expect(ifaces[3]!.externalIds).toEqual({});
  });

  it('keeps counters past 2^53 exact', () => {
    const text = '{"data":[["vif9.0",3,["map",[["rx_bytes",18446744073709551615],["tx_bytes",9007199254740993]]]]],"headings":["name","ofport","statistics"]}';
    expect(parseOvsInterfaces(text)[0]!.statistics).toEqual({ rx_bytes: 2n ** 64n - 1n, tx_bytes: 9007199254740993n });
  });

  const encodings: { name: string; ofport: unknown; stats: unknown; ext: unknown; expected: { ofport: number | null; statistics: object; externalIds: object } }[] = [
    { name: 'empty set ofport, empty maps', ofport: ['set', []], stats: ['map', []], ext: ['map', []], expected: { ofport: null, statistics: {}, externalIds: {} } },
    { name: 'one-element set ofport', ofport: ['set', [4]], stats: ['map', [['rx_bytes', 1]]], ext: ['map', [['vm-uuid', 'u']]], expected: { ofport: 4, statistics: { rx_bytes: 1n }, externalIds: { 'vm-uuid': 'u' } } },
    { name: 'failed port (-1)', ofport: -1, stats: ['set', []], ext: ['map', [['iface-id', 'x'], ['xen-vm-uuid', 'y']]], expected: { ofport: -1, statistics: {}, externalIds: { 'iface-id': 'x', 'xen-vm-uuid': 'y' } } },
  ];
  it.each(encodings)('decodes $name', ({ ofport, stats, ext, expected }) => {
    const text = doc(['_uuid', 'name', 'ofport', 'statistics', 'external_ids'], [[['uuid', '0de54408-a136-4d67-a258-dc6e6b894f72'], 'vif3.0', ofport, stats, ext]]);
    expect(parseOvsInterfaces(text)).toEqual([{ name: 'vif3.0', ...expected }]);
  });

  it('gives interfaces without a statistics column empty statistics', () => {
    expect(parseOvsInterfaces(doc(['name'], [['br0']]))).toEqual([{ name: 'br0', ofport: null, statistics: {}, externalIds: {} }]);
  });

  it('separates "OVS not installed" (blank) from the strict parser', () => {
    expect(parseOvsInterfacesOrAbsent(' \n')).toEqual([]);
    expect(() => parseOvsInterfaces('')).toThrowError(/ovs-vsctl output: empty output/);
  });

  const errors: { name: string; text: string; message: RegExp }[] = [
    { name: 'missing name heading', text: doc(['ofport'], [[1]]), message: /no "name" column/ },
    { name: 'row length mismatch', text: doc(['name', 'ofport'], [['a']]), message: /row 0: expected 2 cells/ },
    { name: 'non-integer counter', text: doc(['name', 'statistics'], [['a', ['map', [['rx_bytes', 'lots']]]]]), message: /row 0 \(a\): column statistics: rx_bytes is not a counter/ },
    { name: 'statistics not a map', text: doc(['name', 'statistics'], [['a', 5]]), message: /expected \["map"/ },
    { name: 'non-string external id', text: doc(['name', 'external_ids'], [['a', ['map', [['k', 1]]]]]), message: /external_ids: k is not a string/ },
    { name: 'multi-element ofport set', text: doc(['name', 'ofport'], [['a', ['set', [1, 2]]]]), message: /ofport: expected an integer or an empty set/ },
    { name: 'invalid JSON', text: '{"data": [', message: /ovs-vsctl output line 1: invalid JSON/ },
  ];
  it.each(errors)('rejects $name', ({ text, message }) => {
    expect(() => parseOvsInterfaces(text)).toThrowError(ParseError);
    expect(() => parseOvsInterfaces(text)).toThrowError(message);
  });
});
