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

/** Strict RFC 8259 parser (no comments, no trailing commas) keeping integers exact. */
export function parseExactJson(text: string): JsonIn {
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
      out[key] = this.value();
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
