// Array literals for bulk statements (`unnest($1::text[], …)`): one bound parameter per column.
// db/client.ts's pgArray() is for unquoted-safe elements; free text and JSON need quoting.

/** `{"a","b \"c\"",NULL}`: every element double-quoted with `\` and `"` escaped, so any text survives. */
export function quotedArray(values: ReadonlyArray<string | null>): string {
  return `{${values.map((v) => (v === null ? 'NULL' : `"${v.replaceAll('\\', '\\\\').replaceAll('"', '\\"')}"`)).join(',')}}`;
}

/** Milli-units (bigint) → an exact decimal string with 3 places, e.g. 1500n → "1.500". */
export function milliToDecimal(m: bigint): string {
  const neg = m < 0n;
  const a = neg ? -m : m;
  return `${neg ? '-' : ''}${a / 1000n}.${(a % 1000n).toString().padStart(3, '0')}`;
}

/** The start of the UTC minute holding `t`, as ISO text. */
export function minuteOf(t: Date): string {
  return new Date(Math.floor(t.getTime() / 60_000) * 60_000).toISOString();
}
