// Array literals for bulk statements (`unnest($1::text[], …)`): one bound parameter per column.
// db/client.ts's pgArray() is for unquoted-safe elements; free text and JSON need quoting.

/** `{"a","b \"c\"",NULL}`: every element double-quoted with `\` and `"` escaped, so any text survives. */
export function quotedArray(values: ReadonlyArray<string | null>): string {
  return `{${values.map((v) => (v === null ? 'NULL' : `"${v.replaceAll('\\', '\\\\').replaceAll('"', '\\"')}"`)).join(',')}}`;
}

/** Milli-units (bigint) → an exact decimal string with 3 places, e.g. 1500n → "1.500". */
export function milliToDecimal(m: bigint): string {
  // String slicing, not bigint division: this runs for every meter of every row written.
  const neg = m < 0n;
  const digits = (neg ? -m : m).toString().padStart(4, '0');
  return `${neg ? '-' : ''}${digits.slice(0, -3)}.${digits.slice(-3)}`;
}
