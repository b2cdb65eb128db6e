// parseXlList for `xl list -l` JSON and plain `xl list`, format chosen from the first character.
import { describe, expect, it } from 'vitest';
import { ParseError } from '../../src/hosts/parsers/types.ts';
import { parseXlList, parseXlListLong, parseXlListPlain } from '../../src/hosts/parsers/xl.ts';
import { fixture } from './fixture.ts';

describe('parseXlList', () => {
  it('reads plain xl list (Xen 4.9.2 sample, tabs in header)', () => {
    expect(parseXlList(fixture('xl-list-plain.txt'))).toEqual([
      { domid: 0, name: 'Domain-0', uuid: null, state: 'r-----', memoryMiB: 15084, vcpus: 8 },
      { domid: 4, name: 'guest-01', uuid: null, state: '-bp---', memoryMiB: 1024, vcpus: 2 },
    ]);
  });

  it('reads xl list -l JSON: name/uuid from c_info, vcpus, memory KiB→MiB, vifs', () => {
    expect(parseXlList(fixture('xl-list-long.json'))).toEqual([
      { domid: 0, name: 'Domain-0', uuid: null, state: null, memoryMiB: 15084, vcpus: 8, vifs: [] },
      {
        domid: 4, name: 'guest-01', uuid: '5a1f5ad5-8a0b-4bc9-a1e0-7b3d4a07d2c1', state: null, memoryMiB: 1024, vcpus: 2,
        vifs: [{ devid: 0, mac: '00:16:3e:76:c6:56', bridge: 'xenbr0' }],
      },
    ]);
  });

  it('falls back to max_memkb, treats LIBXL_MEMKB_DEFAULT as unset and numbers nics without devid', () => {
    const doc = (bInfo: string, nics = '[]') => `[{"domid": 7, "config": {"c_info": {"name": "a"}, "b_info": ${bInfo}, "nics": ${nics}}}]`;
    expect(parseXlListLong(doc('{"max_memkb": 2097152}'))[0]!.memoryMiB).toBe(2048);
    expect(parseXlListLong(doc('{"target_memkb": 18446744073709551615}'))[0]!.memoryMiB).toBeNull();
    expect(parseXlListLong(doc('{}', '[{"mac": "00:16:3e:00:00:01"}, {"bridge": "br1"}]'))[0]!.vifs).toEqual([
      { devid: 0, mac: '00:16:3e:00:00:01', bridge: null },
      { devid: 1, mac: null, bridge: 'br1' },
    ]);
  });

  it('accepts a single domain object (xl list -l <domain>)', () => {
    expect(parseXlList('  {"domid": 3, "config": {"c_info": {"name": "web"}}}')).toMatchObject([{ domid: 3, name: 'web', vcpus: null, memoryMiB: null }]);
  });

  const errors: { name: string; text: string; message: RegExp }[] = [
    { name: 'empty output', text: '  \n', message: /xl output: empty output/ },
    { name: 'pre-4.2 SXP', text: '(domain (domid 0))', message: /line 1: SXP/ },
    { name: 'broken JSON', text: '[\n{"domid": 1,\n', message: /xl output line 3: invalid JSON/ },
    { name: 'missing name', text: '[{"domid": 1, "config": {"c_info": {}}}]', message: /domain #0: expected "config.c_info.name"/ },
    { name: 'bad uuid', text: '[{"domid": 1, "config": {"c_info": {"name": "a", "uuid": "nope"}}}]', message: /not a UUID/ },
    { name: 'negative domid', text: '[{"domid": -1, "config": {"c_info": {"name": "a"}}}]', message: /domid/ },
    { name: 'plain header with -v columns', text: 'Name ID Mem VCPUs State Time(s) UUID\n', message: /line 1: expected the header/ },
    { name: 'plain bad state', text: 'Name ID Mem VCPUs State Time(s)\nDomain-0 0 2048 2 running 0.0\n', message: /line 2: column State/ },
    { name: 'plain short row', text: 'Name ID Mem VCPUs State Time(s)\n0 2048 2 r----- 0.0\n', message: /line 2: expected Name ID Mem VCPUs State Time\(s\)/ },
  ];
  it.each(errors)('rejects $name', ({ text, message }) => {
    expect(() => parseXlList(text)).toThrowError(ParseError);
    expect(() => parseXlList(text)).toThrowError(message);
  });

  it('keeps names with spaces in plain output (anchored from the right)', () => {
    expect(parseXlListPlain('Name ID Mem VCPUs State Time(s)\nmy vm 12 512 1 -b---- 3.0\n')[0]).toMatchObject({ name: 'my vm', domid: 12 });
  });
});
