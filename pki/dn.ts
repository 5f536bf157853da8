/**
 * Distinguished names: the structured model, the RFC 4514 string parser (`parseDn`) and the canonical
 * RFC 4514 writer (`formatDn`).
 *
 * The parser is RFC 4514 (https://www.rfc-editor.org/rfc/rfc4514 §3) with the usual RFC 1779 / RFC 2253
 * leniencies: spaces around separators and `=` are ignored, `;` separates RDNs like `,`, `OID.` may prefix a
 * dotted type, and values may be double-quoted (RFC 1779 §2.3; Windows CertStrToName style, with `""` for a
 * quote) — Intune documents quoting as the workaround for subjects with commas (docs/formats.md §5.1, §5.2,
 * SCEPDOC "Avoid certificate signing requests with escaped special characters").
 *
 * Every value keeps how it was written (`form`, `escaped`, `raw`), because the difference between
 * `CN=Test\, LLC` and `CN="Test, LLC"` decides whether Intune's CSR subject comes out right (docs/formats.md §5.2).
 *
 * @example
 * const dn = parseDn('CN=Test\\, LLC,O=Contoso,C=US');
 * dn.rdns[2]?.[0]; // { type: '2.5.4.3', shortName: 'CN', typeText: 'CN', value: 'Test, LLC', form: 'escaped', escaped: [','], raw: 'Test\\, LLC' }
 * formatDn(dn); // 'CN=Test\\, LLC,O=Contoso,C=US'
 */
import { attributeName, attributeTypeByName, type DnStringType } from './dn-attributes.ts';
import { decodeStringTlv } from './dn-der.ts';
import { CertfleetError } from './errors.ts';

export type { DnStringType } from './dn-attributes.ts';

/**
 * How a value was written: `plain` (no escapes), `escaped` (RFC 4514 backslash escapes), `quoted` (RFC 1779 /
 * CertStrToName double quotes), `hex` (RFC 4514 `#` + hex BER). Values decoded from DER are `plain`, or `hex`
 * when the BER is not a string type.
 */
export type DnValueForm = 'plain' | 'escaped' | 'quoted' | 'hex';

/** One attribute type and value (RFC 5280 AttributeTypeAndValue). */
export interface DnAttribute {
  /** Attribute type as a dotted OID. */
  type: string;
  /** The canonical short name (`CN`, `E`, `ST`…) or, for a type not in the table, the dotted OID. */
  shortName: string;
  /** The type exactly as written in the string (e.g. `cn`, `emailAddress`, `OID.2.5.4.3`); absent when decoded. */
  typeText?: string;
  /** The value as text (escapes resolved). For a non-string BER value, `#` + upper-case hex. */
  value: string;
  /** How the value was written. */
  form: DnValueForm;
  /** The characters that were written escaped (a `\,` and a `\2C` both give `,`), in order. */
  escaped: string[];
  /** The value exactly as written in the string (absent when decoded from DER). */
  raw?: string;
  /** The raw BER of a `hex` value (tag, length, content). */
  ber?: Uint8Array;
  /** The ASN.1 string type, when decoded from DER (encodeDn then reuses it, so bytes round-trip). */
  stringType?: DnStringType;
}

/** A relative distinguished name: one or more attributes (multi-valued with `+`). */
export type Rdn = DnAttribute[];

/**
 * A distinguished name (RFC 5280 §4.1.2.4 Name / RDNSequence). `rdns` is in ASN.1 (DER) order — the REVERSE of
 * the RFC 4514 string, so for `CN=x,O=y,C=US` `rdns[0]` is the C RDN.
 */
export interface Dn {
  rdns: Rdn[];
}

const SPECIALS = '"+,;<>\\=# ';
const HEX = /^[0-9A-Fa-f]$/;

function syntax(message: string, offset: number, text: string): CertfleetError {
  return new CertfleetError('DN_SYNTAX', `${message} at offset ${String(offset)} of "${text}".`, {
    details: { offset, text },
  });
}

/**
 * Parses an RFC 4514 string (with RFC 1779 quoting) into a {@link Dn}. The empty string is the empty DN.
 * Throws DN_SYNTAX with the character offset of the problem.
 */
export function parseDn(text: string): Dn {
  const p = new Parser(text);
  return { rdns: p.parse().reverse() };
}

class Parser {
  private pos = 0;
  constructor(private readonly text: string) {}

  private peek(): string | undefined {
    return this.text[this.pos];
  }

  private skipSpaces(): void {
    while (this.peek() === ' ') this.pos++;
  }

  parse(): Rdn[] {
    const rdns: Rdn[] = [];
    this.skipSpaces();
    if (this.pos >= this.text.length) return rdns;
    for (;;) {
      const rdn: Rdn = [];
      for (;;) {
        rdn.push(this.attribute());
        this.skipSpaces();
        if (this.peek() !== '+') break;
        this.pos++;
        this.skipSpaces();
      }
      rdns.push(rdn);
      const c = this.peek();
      if (c === undefined) return rdns;
      if (c !== ',' && c !== ';')
        throw syntax(`Unexpected "${c}" after a value (expected "," or "+")`, this.pos, this.text);
      this.pos++;
      this.skipSpaces();
      if (this.pos >= this.text.length)
        throw syntax('The name ends with a separator', this.pos - 1, this.text);
    }
  }

  private attribute(): DnAttribute {
    const start = this.pos;
    let name = '';
    while (this.pos < this.text.length && /[A-Za-z0-9.-]/.test(this.text[this.pos] as string))
      name += this.text[this.pos++];
    if (name === '') {
      const c = this.peek();
      throw syntax(
        c === undefined
          ? 'Expected an attribute type but the name ends'
          : `Expected an attribute type, found "${c}"`,
        this.pos,
        this.text,
      );
    }
    const type = this.resolveType(name, start);
    this.skipSpaces();
    if (this.peek() !== '=')
      throw syntax(`Expected "=" after the attribute type "${name}"`, this.pos, this.text);
    this.pos++;
    this.skipSpaces();
    const c = this.peek();
    const head = { type, shortName: attributeName(type), typeText: name };
    if (c === '#') return { ...head, ...this.hexValue() };
    if (c === '"') return { ...head, ...this.quotedValue() };
    return { ...head, ...this.stringValue() };
  }

  private resolveType(name: string, start: number): string {
    const oidText = /^oid\./i.test(name) ? name.slice(4) : name;
    if (/^[0-9]/.test(oidText)) {
      if (!/^(0|[1-9][0-9]*)(\.(0|[1-9][0-9]*))+$/.test(oidText)) {
        throw syntax(`"${name}" is not a valid dotted OID`, start, this.text);
      }
      return oidText;
    }
    const known = attributeTypeByName(name);
    if (!known)
      throw syntax(
        `Unknown attribute type "${name}" (use a short name such as CN, O, OU or a dotted OID)`,
        start,
        this.text,
      );
    return known.oid;
  }

  private hexValue(): Omit<DnAttribute, 'type' | 'shortName'> {
    const start = this.pos;
    this.pos++;
    let digits = '';
    while (this.pos < this.text.length && HEX.test(this.text[this.pos] as string))
      digits += this.text[this.pos++];
    if (digits.length === 0 || digits.length % 2 !== 0) {
      throw syntax('A "#" value needs an even, non-zero number of hex digits', start, this.text);
    }
    const ber = Uint8Array.from(Buffer.from(digits, 'hex'));
    const decoded = decodeStringTlv(ber);
    if (decoded === 'invalid')
      throw syntax('The "#" value is not one complete BER element', start, this.text);
    const raw = this.text.slice(start, this.pos);
    return {
      value: decoded?.value ?? `#${digits.toUpperCase()}`,
      form: 'hex',
      escaped: [],
      raw,
      ber,
    };
  }

  private quotedValue(): Omit<DnAttribute, 'type' | 'shortName'> {
    const start = this.pos;
    this.pos++;
    const out = new ValueBuilder();
    for (;;) {
      const c = this.peek();
      if (c === undefined) throw syntax('Unterminated quoted value', start, this.text);
      if (c === '"') {
        if (this.text[this.pos + 1] === '"') {
          out.char('"');
          this.pos += 2;
          continue;
        }
        this.pos++;
        break;
      }
      if (c === '\\') {
        this.escape(out);
        continue;
      }
      out.char(c);
      this.pos++;
    }
    const raw = this.text.slice(start, this.pos);
    this.skipSpaces();
    const next = this.peek();
    if (next !== undefined && next !== ',' && next !== ';' && next !== '+') {
      throw syntax(`Unexpected "${next}" after a quoted value`, this.pos, this.text);
    }
    return { value: out.finish(this.text), form: 'quoted', escaped: out.escaped, raw };
  }

  private stringValue(): Omit<DnAttribute, 'type' | 'shortName'> {
    const start = this.pos;
    const out = new ValueBuilder();
    let rawEnd = this.pos;
    let trailingSpaces = 0;
    for (;;) {
      const c = this.peek();
      if (c === undefined || c === ',' || c === ';' || c === '+') break;
      if (c === '\\') {
        this.escape(out);
        rawEnd = this.pos;
        trailingSpaces = 0;
        continue;
      }
      if (c === '"' || c === '<' || c === '>' || c === '\0') {
        const shown = c === '\0' ? '00' : c;
        throw syntax(`The character "${shown}" must be escaped (write "\\${shown}")`, this.pos, this.text);
      }
      out.char(c);
      this.pos++;
      if (c === ' ') trailingSpaces++;
      else {
        trailingSpaces = 0;
        rawEnd = this.pos;
      }
    }
    // Unescaped trailing spaces before a separator are not part of the value (RFC 1779 leniency).
    out.dropLast(trailingSpaces);
    const raw = this.text.slice(start, rawEnd);
    const value = out.finish(this.text);
    const escaped = out.escaped;
    return { value, form: escaped.length > 0 ? 'escaped' : 'plain', escaped, raw };
  }

  /** Reads one `\` escape at pos (a special character or a hex pair) into `out`. */
  private escape(out: ValueBuilder): void {
    const at = this.pos;
    const next = this.text[at + 1];
    if (next === undefined) throw syntax('A "\\" at the end of the name escapes nothing', at, this.text);
    const next2 = this.text[at + 2];
    if (HEX.test(next) && next2 !== undefined && HEX.test(next2)) {
      out.byte(parseInt(next + next2, 16), at);
      this.pos += 3;
      return;
    }
    if (SPECIALS.includes(next)) {
      out.char(next, true);
      this.pos += 2;
      return;
    }
    throw syntax(
      `"\\${next}" is not a valid escape (escape one of ${SPECIALS.trim()} or space, or write two hex digits)`,
      at,
      this.text,
    );
  }
}

/** Accumulates a value: characters, and runs of `\XX` bytes decoded as UTF-8. */
class ValueBuilder {
  private parts: string[] = [];
  private bytes: number[] = [];
  private bytesAt = 0;
  readonly escaped: string[] = [];

  char(c: string, wasEscaped = false): void {
    this.flushPendingBytes();
    this.parts.push(c);
    if (wasEscaped) this.escaped.push(c);
  }

  byte(b: number, at: number): void {
    if (this.bytes.length === 0) this.bytesAt = at;
    this.bytes.push(b);
  }

  /** Drops the last `n` characters (only called when they are plain, unescaped spaces). */
  dropLast(n: number): void {
    if (n > 0) this.parts.length -= n;
  }

  private flushPendingBytes(text?: string): void {
    if (this.bytes.length === 0) return;
    let s: string;
    try {
      s = new TextDecoder('utf-8', { fatal: true }).decode(Uint8Array.from(this.bytes));
    } catch {
      throw new CertfleetError(
        'DN_SYNTAX',
        `The hex escapes at offset ${String(this.bytesAt)} are not valid UTF-8${text === undefined ? '' : ` in "${text}"`}.`,
        { details: { offset: this.bytesAt } },
      );
    }
    this.bytes = [];
    for (const ch of s) {
      this.parts.push(ch);
      this.escaped.push(ch);
    }
  }

  finish(text: string): string {
    this.flushPendingBytes(text);
    return this.parts.join('');
  }
}

/** Escapes a value for an RFC 4514 string (§2.4): specials, a leading `#` or space, a trailing space, NUL. */
export function escapeDnValue(value: string): string {
  let out = '';
  const chars = [...value];
  chars.forEach((c, i) => {
    if (c === '\0') out += '\\00';
    else if ('"+,;<>\\'.includes(c)) out += `\\${c}`;
    else if (i === 0 && (c === '#' || c === ' ')) out += `\\${c}`;
    else if (i === chars.length - 1 && c === ' ') out += '\\ ';
    else out += c;
  });
  return out;
}

/** Formats one attribute as `NAME=value` with canonical RFC 4514 escaping (or `#hex` for a BER value). */
export function formatDnAttribute(a: DnAttribute): string {
  const value = a.ber ? `#${Buffer.from(a.ber).toString('hex').toUpperCase()}` : escapeDnValue(a.value);
  return `${attributeName(a.type)}=${value}`;
}

/** Formats a {@link Dn} as an RFC 4514 string: most-specific RDN first, `,` between RDNs, `+` inside. */
export function formatDn(dn: Dn): string {
  return [...dn.rdns]
    .reverse()
    .map((rdn) => rdn.map(formatDnAttribute).join('+'))
    .join(',');
}

/** The values of every attribute of type `nameOrOid` (short name or dotted OID), in RFC 4514 string order. */
export function dnValues(dn: Dn, nameOrOid: string): string[] {
  const oid = /^[0-9]/.test(nameOrOid) ? nameOrOid : (attributeTypeByName(nameOrOid)?.oid ?? nameOrOid);
  return [...dn.rdns]
    .reverse()
    .flat()
    .filter((a) => a.type === oid)
    .map((a) => a.value);
}

/** The first value of `nameOrOid` in RFC 4514 string order (e.g. the CN), or undefined. */
export function dnGet(dn: Dn, nameOrOid: string): string | undefined {
  return dnValues(dn, nameOrOid)[0];
}

/** Builds a {@link Dn} from `[name, value]` pairs in RFC 4514 string order, e.g. `[['CN','x'],['C','US']]`. */
export function dnFromPairs(pairs: ReadonlyArray<readonly [string, string]>): Dn {
  return {
    rdns: pairs
      .map(([name, value]): Rdn => {
        const t = attributeTypeByName(name);
        const type = t?.oid ?? (/^[0-9]/.test(name) ? name : undefined);
        if (type === undefined)
          throw new CertfleetError('DN_SYNTAX', `Unknown attribute type "${name}".`, { details: { name } });
        return [{ type, shortName: attributeName(type), value, form: 'plain', escaped: [] }];
      })
      .reverse(),
  };
}

/** Accepts a DN as a {@link Dn} or an RFC 4514 string. */
export function toDn(dn: Dn | string): Dn {
  return typeof dn === 'string' ? parseDn(dn) : dn;
}
