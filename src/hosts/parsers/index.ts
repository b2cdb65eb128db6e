// Public face of the tool-output parsers: pure functions from a tool's stdout to typed values.
export { parseXentop } from './xentop.ts';
export { parseXlList, parseXlListLong, parseXlListPlain } from './xl.ts';
export { parseOvsInterfaces, parseOvsInterfacesOrAbsent } from './ovs.ts';
export { parseVbdStats } from './vbd.ts';
export { toExactJson, parseExactJson, JsonSyntaxError, type JsonOut, type JsonIn } from './json.ts';
export { ParseError, type XentopRow, type XlDomain, type OvsInterface, type VbdStat } from './types.ts';
