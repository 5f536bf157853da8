/**
 * A strict JSON (RFC 8259) parser that says where it failed: `JSON.parse` in Node 20 does not always give a
 * position ("Unexpected token '}', … is not valid JSON") and silently keeps the last of duplicated keys, which a
 * strict policy decoder must refuse. Values are plain JSON (`__proto__` becomes an ordinary own key,
 * never a prototype). Nesting deeper than MAX_NESTING_DEPTH (pki/limits.ts) is refused, not followed until the
 * stack overflows.
 */
import { MAX_NESTING_DEPTH } from '../../pki/limits.ts';

/** Any JSON value. */
export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

/** The parsed value, or what is wrong and where (1-based line and column). */
export type JsonParseResult =
  | { ok: true; value: JsonValue }
  | { ok: false; reason: string; line: number; column: number; offset: number };

class JsonSyntaxError extends Error {
  constructor(
    readonly reason: string,
    readonly offset: number,
  ) {
    super(reason);
  }
}

/** Parses one JSON text strictly: no trailing commas, comments, duplicate keys or trailing content. */
export function parseJsonStrict(text: string): JsonParseResult {
  const p = new Parser(text);
  try {
    p.ws();
    const value = p.value();
    p.ws();
    if (p.i < text.length) throw new JsonSyntaxError('unexpected content after the JSON value', p.i);
    return { ok: true, value };
  } catch (e) {
    if (!(e instanceof JsonSyntaxError)) throw e;
    const before = text.slice(0, e.offset);
    let line = 1;
    for (let k = before.indexOf('\n'); k !== -1; k = before.indexOf('\n', k + 1)) line++;
    const column = e.offset - before.lastIndexOf('\n');
    return { ok: false, reason: e.reason, line, column, offset: e.offset };
  }
}

class Parser {
  i = 0;
  depth = 0;
  constructor(private readonly s: string) {}

  ws(): void {
    while (this.i < this.s.length && ' \t\n\r'.includes(this.s[this.i] as string)) this.i++;
  }

  value(): JsonValue {
    const c = this.s[this.i];
    if (c === '{' || c === '[') {
      if (++this.depth > MAX_NESTING_DEPTH) {
        throw new JsonSyntaxError(`nesting deeper than ${MAX_NESTING_DEPTH} levels`, this.i);
      }
      const v = c === '{' ? this.object() : this.array();
      this.depth--;
      return v;
    }
    if (c === '"') return this.string();
    if (c === '-' || (c !== undefined && c >= '0' && c <= '9')) return this.number();
    for (const [word, v] of [
      ['true', true],
      ['false', false],
      ['null', null],
    ] as const) {
      if (this.s.startsWith(word, this.i)) {
        this.i += word.length;
        return v;
      }
    }
    if (c === undefined) throw new JsonSyntaxError('unexpected end of input', this.i);
    throw new JsonSyntaxError(`unexpected character ${JSON.stringify(c)}`, this.i);
  }

  object(): { [key: string]: JsonValue } {
    const out: { [key: string]: JsonValue } = {};
    const seen = new Set<string>();
    this.i++;
    this.ws();
    if (this.s[this.i] === '}') {
      this.i++;
      return out;
    }
    for (;;) {
      this.ws();
      if (this.s[this.i] !== '"') throw new JsonSyntaxError('expected a double-quoted property name', this.i);
      const keyAt = this.i;
      const key = this.string();
      if (seen.has(key)) throw new JsonSyntaxError(`duplicate key ${JSON.stringify(key)}`, keyAt);
      seen.add(key);
      this.ws();
      if (this.s[this.i] !== ':') throw new JsonSyntaxError('expected ":" after the property name', this.i);
      this.i++;
      this.ws();
      Object.defineProperty(out, key, {
        value: this.value(),
        enumerable: true,
        writable: true,
        configurable: true,
      });
      this.ws();
      const c = this.s[this.i];
      if (c === ',') {
        this.i++;
        continue;
      }
      if (c === '}') {
        this.i++;
        return out;
      }
      throw new JsonSyntaxError('expected "," or "}" in an object', this.i);
    }
  }

  array(): JsonValue[] {
    const out: JsonValue[] = [];
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
      const c = this.s[this.i];
      if (c === ',') {
        this.i++;
        continue;
      }
      if (c === ']') {
        this.i++;
        return out;
      }
      throw new JsonSyntaxError('expected "," or "]" in an array', this.i);
    }
  }

  string(): string {
    const start = this.i;
    this.i++;
    let out = '';
    for (;;) {
      const c = this.s[this.i];
      if (c === undefined) throw new JsonSyntaxError('unterminated string', start);
      if (c === '"') {
        this.i++;
        return out;
      }
      if (c < ' ') throw new JsonSyntaxError('control character in a string (escape it)', this.i);
      if (c === '\\') {
        const e = this.s[this.i + 1];
        const simple: Record<string, string> = {
          '"': '"',
          '\\': '\\',
          '/': '/',
          b: '\b',
          f: '\f',
          n: '\n',
          r: '\r',
          t: '\t',
        };
        if (e !== undefined && simple[e] !== undefined) {
          out += simple[e];
          this.i += 2;
          continue;
        }
        if (e === 'u' && /^[0-9A-Fa-f]{4}$/.test(this.s.slice(this.i + 2, this.i + 6))) {
          out += String.fromCharCode(parseInt(this.s.slice(this.i + 2, this.i + 6), 16));
          this.i += 6;
          continue;
        }
        throw new JsonSyntaxError('invalid escape in a string', this.i);
      }
      out += c;
      this.i++;
    }
  }

  number(): number {
    const m = /^-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?/.exec(this.s.slice(this.i));
    if (m === null) throw new JsonSyntaxError('invalid number', this.i);
    this.i += m[0].length;
    return Number(m[0]);
  }
}
