// Exact JSON for tool output: a serialiser that prints bigints as plain digits (JSON.stringify
// cannot) and a parser that keeps integer literals as bigint (JSON.parse rounds past 2^53).

/** What `toExactJson` can print. Object key order is kept. */
export type JsonOut = null | boolean | number | bigint | string | readonly JsonOut[] | { readonly [key: string]: JsonOut };

/**
 * Serialise with bigints as exact digits (`18446744073562662986`, not a string, not rounded).
 * `indent` > 0 pretty-prints like `JSON.stringify(v, null, indent)`; 0 gives one line.
 */
export function toExactJson(value: JsonOut, indent = 0): string {
  return write(value, indent, '');
}

function write(value: JsonOut, indent: number, pad: string): string {
  if (value === null) return 'null';
  switch (typeof value) {
    case 'bigint':
      return value.toString();
    case 'number':
      // JSON has no NaN/Infinity; null is what JSON.stringify prints for them too.
      return Number.isFinite(value) ? JSON.stringify(value) : 'null';
    case 'boolean':
      return value ? 'true' : 'false';
    case 'string':
      return JSON.stringify(value);
  }
  const inner = indent > 0 ? pad + ' '.repeat(indent) : '';
  const nl = indent > 0 ? '\n' : '';
  const colon = indent > 0 ? ': ' : ':';
  if (Array.isArray(value)) {
    const items = (value as readonly JsonOut[]).map((v) => inner + write(v, indent, inner));
    return items.length === 0 ? '[]' : `[${nl}${items.join(`,${nl}`)}${nl}${pad}]`;
  }
  const entries = Object.entries(value as { readonly [key: string]: JsonOut }).map(
    ([k, v]) => `${inner}${JSON.stringify(k)}${colon}${write(v, indent, inner)}`,
  );
  return entries.length === 0 ? '{}' : `{${nl}${entries.join(`,${nl}`)}${nl}${pad}}`;
}

/** Parsed JSON where integer literals are bigint and other numbers are number. */
export type JsonIn = null | boolean | number | bigint | string | JsonIn[] | { [key: string]: JsonIn };

/** Thrown by `parseExactJson`; `line` is 1-based. Callers wrap it in their tool's ParseError. */
export class JsonSyntaxError extends Error {
  constructor(
    readonly line: number,
    detail: string,
  ) {
    super(detail);
    this.name = 'JsonSyntaxError';
  }
}

/**
 * Strict RFC 8259 parsing (no comments, no trailing commas) keeping integers exact.
 * Fast path (a poll cycle parses megabytes of ovs-vsctl JSON): the native JSON.parse reads the text after
 * the few literals it would get wrong are rewritten as marked strings — integers of 16+ digits (past 2^53)
 * and numbers with a fraction or exponent (which must stay numbers) — and one walk turns plain integers
 * into bigint and marks back into values. Anything unusual (invalid JSON, odd number syntax, a real
 * `\u0000`/`\u0001` in the text) takes the exact hand-written parser, which also names the line of an error.
 */
export function parseExactJson(text: string): JsonIn {
  const marked = markNumbers(text);
  if (marked !== null) {
    let raw: unknown;
    try {
      raw = JSON.parse(marked);
    } catch {
      return parseExactJsonSlow(text); // reports where the text is wrong
    }
    return unmark(raw);
  }
  return parseExactJsonSlow(text);
}

/**
 * `parseExactJson` for a caller that reads only part of a large document: the tree as parsed, where a leaf
 * may still be in its intermediate form, and `atom` (for a leaf) / `deep` (for any subtree) give the exact
 * value. Reading a leaf through `atom` is what `parseExactJson` would have put there; nothing is converted
 * that the caller never looks at.
 */
export function parseExactJsonLazy(text: string): { tree: unknown; atom: (v: unknown) => JsonIn; deep: (v: unknown) => JsonIn } {
  const marked = markNumbers(text);
  if (marked !== null) {
    let raw: unknown;
    let ok = true;
    try {
      raw = JSON.parse(marked);
    } catch {
      ok = false;
    }
    if (ok) return { tree: raw, atom: unmarkAtom, deep: unmark };
  }
  return { tree: parseExactJsonSlow(text), atom: same, deep: same };
}

const same = (v: unknown): JsonIn => v as JsonIn;

/** `unmark` of a leaf (objects and arrays are returned as they are). */
function unmarkAtom(v: unknown): JsonIn {
  if (typeof v === 'number') return BigInt(v);
  if (typeof v === 'string') {
    const c = v.charCodeAt(0);
    return c === 0 ? BigInt(v.slice(1)) : c === 1 ? Number(v.slice(1)) : v;
  }
  return v as JsonIn;
}

const BIG = '\\u0000'; // marks a long integer literal
const FLOAT = '\\u0001'; // marks a number with a fraction or exponent

function unmark(v: unknown): JsonIn {
  switch (typeof v) {
    case 'number':
      return BigInt(v); // an integer literal of at most 15 digits: exact
    case 'string': {
      const c = v.charCodeAt(0);
      return c === 0 ? BigInt(v.slice(1)) : c === 1 ? Number(v.slice(1)) : v;
    }
    case 'object': {
      if (v === null) return null;
      if (Array.isArray(v)) {
        for (let i = 0; i < v.length; i++) v[i] = unmark(v[i]);
        return v as JsonIn[];
      }
      const o = v as Record<string, unknown>;
      for (const k of Object.keys(o)) o[k] = unmark(o[k]);
      return o as { [key: string]: JsonIn };
    }
    default:
      return v as boolean;
  }
}

/** Rewrites long integers and non-integers outside strings as marked strings; null when the fast path cannot be trusted. */
function markNumbers(text: string): string | null {
  if (text.includes('\\u0000') || text.includes('\\u0001')) return null;
  const n = text.length;
  const parts: string[] = [];
  let last = 0;
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(i);
    if (c === 34) {
      // skip a string, honouring escapes
      for (i++; i < n; i++) {
        const d = text.charCodeAt(i);
        if (d === 92) i++;
        else if (d === 34) break;
      }
      continue;
    }
    if (c !== 45 && (c < 48 || c > 57)) continue;
    const start = i;
    let j = c === 45 ? i + 1 : i;
    const digits = j;
    while (j < n && text.charCodeAt(j) >= 48 && text.charCodeAt(j) <= 57) j++;
    if (j === digits || (text.charCodeAt(digits) === 48 && j - digits > 1)) return null; // "-" alone, leading zero
    const next = j < n ? text.charCodeAt(j) : -1;
    let mark: string | null = j - digits > 15 ? BIG : null;
    if (next === 46 || next === 101 || next === 69) {
      while (j < n) {
        const d = text.charCodeAt(j);
        if ((d >= 48 && d <= 57) || d === 46 || d === 101 || d === 69 || d === 43 || d === 45) j++;
        else break;
      }
      mark = FLOAT;
      if (!/^-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?$/.test(text.slice(start, j))) return null;
    }
    if (mark !== null) {
      parts.push(text.slice(last, start), '"', mark, text.slice(start, j), '"');
      last = j;
    }
    i = j - 1;
  }
  if (last === 0) return text;
  parts.push(text.slice(last));
  return parts.join('');
}

/** The exact hand-written parser: slower, precise errors. */
export function parseExactJsonSlow(text: string): JsonIn {
  const p = new Parser(text);
  p.ws();
  const v = p.value();
  p.ws();
  if (p.i < text.length) p.fail('unexpected text after the JSON value');
  return v;
}

class Parser {
  i = 0;
  constructor(readonly s: string) {}

  fail(detail: string): never {
    let line = 1;
    for (let k = 0; k < this.i && k < this.s.length; k++) if (this.s.charCodeAt(k) === 10) line++;
    const near = JSON.stringify(this.s.slice(this.i, this.i + 20));
    throw new JsonSyntaxError(line, `invalid JSON: ${detail} at offset ${this.i} (near ${near})`);
  }

  ws(): void {
    while (this.i < this.s.length && ' \t\n\r'.includes(this.s[this.i]!)) this.i++;
  }

  value(): JsonIn {
    const c = this.s[this.i];
    if (c === '{') return this.object();
    if (c === '[') return this.array();
    if (c === '"') return this.string();
    if (c === '-' || (c !== undefined && c >= '0' && c <= '9')) return this.number();
    for (const [word, v] of [['true', true], ['false', false], ['null', null]] as const) {
      if (this.s.startsWith(word, this.i)) {
        this.i += word.length;
        return v;
      }
    }
    return this.fail(c === undefined ? 'unexpected end of input' : `unexpected character ${JSON.stringify(c)}`);
  }

  object(): { [key: string]: JsonIn } {
    const out: { [key: string]: JsonIn } = {};
    this.i++;
    this.ws();
    if (this.s[this.i] === '}') {
      this.i++;
      return out;
    }
    for (;;) {
      this.ws();
      if (this.s[this.i] !== '"') this.fail('expected a string key');
      const key = this.string();
      this.ws();
      if (this.s[this.i] !== ':') this.fail('expected ":"');
      this.i++;
      this.ws();
      // defineProperty, so a "__proto__" key is data (as JSON.parse does), never a prototype change
      Object.defineProperty(out, key, { value: this.value(), enumerable: true, writable: true, configurable: true });
      this.ws();
      const c = this.s[this.i++];
      if (c === '}') return out;
      if (c !== ',') {
        this.i--;
        this.fail('expected "," or "}"');
      }
    }
  }

  array(): JsonIn[] {
    const out: JsonIn[] = [];
    this.i++;
    this.ws();
    if (this.s[this.i] === ']') {
      this.i++;
      return out;
    }
    for (;;) {
      this.ws();
      out.push(this.value());
      this.ws();
      const c = this.s[this.i++];
      if (c === ']') return out;
      if (c !== ',') {
        this.i--;
        this.fail('expected "," or "]"');
      }
    }
  }

  string(): string {
    const m = /^"(?:[^"\\\u0000-\u001f]|\\(?:["\\/bfnrt]|u[0-9a-fA-F]{4}))*"/.exec(this.s.slice(this.i));
    if (!m) return this.fail('unterminated or malformed string');
    this.i += m[0].length;
    return JSON.parse(m[0]) as string;
  }

  number(): number | bigint {
    const m = /^-?(?:0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?/.exec(this.s.slice(this.i, this.i + 400));
    if (!m) return this.fail('malformed number');
    this.i += m[0].length;
    return m[1] === undefined && m[2] === undefined ? BigInt(m[0]) : Number(m[0]);
  }
}
