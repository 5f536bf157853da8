/**
 * A strict XML property-list reader, on top of @xmldom/xmldom.
 *
 * It behaves like a careful device, not like the lenient `plist` npm package: it keeps every node's plist
 * type (so `<string>` where `<data>` belongs stays visible), refuses malformed base64 (bad characters or
 * padding, like Python plistlib's "Incorrect padding"), duplicate dictionary keys, stray text, unknown
 * elements, non-numeric `<integer>`s and partial `<date>`s, and reports **every** such problem with its
 * key path and source line/column. XML well-formedness errors come from xmldom with its locator.
 *
 * Not read: binary plists (`bplist00`) and CMS-signed profiles; both are reported as `PLIST_PARSE`.
 * Source: docs/formats.md §1 and §1.7 (quirks seen in the wild); Apple's `PropertyList-1.0.dtd` element set.
 */
import { DOMParser } from '@xmldom/xmldom';
import type { Element, Node } from '@xmldom/xmldom';
import { formatBytes, MAX_BASE64_CHARS, MAX_NESTING_DEPTH, MAX_PAYLOAD_BYTES } from '../../pki/limits.ts';
import { firstInvalidUtf8 } from '../../pki/utf8.ts';
import type { PlistLocation, PlistValue } from './plist-value.ts';
import { describePath, joinIndexPath, joinKeyPath } from './problem.ts';
import type { Problem, ProblemRule } from './problem.ts';
import { SECRET_KEYS } from './profile-schema.ts';

/** The outcome of {@link readPlistXml}: the value tree when the bytes are a well-formed plist, and all problems. */
export interface PlistReadResult {
  /** The root value; absent when the document could not be read at all. */
  readonly value?: PlistValue;
  /** Every syntax problem found (empty when the plist is well-formed). */
  readonly problems: readonly Problem[];
  /** Tolerated oddities (non-canonical base64). */
  readonly warnings: readonly Problem[];
}

const ELEMENT_NODE = 1;
const TEXT_NODE = 3;
const CDATA_SECTION_NODE = 4;
const MAX_DEPTH = MAX_NESTING_DEPTH;

/** Whether the value at `path` is a secret (a `Password` or `Challenge` key): its text is never quoted. */
function isSecretPath(path: string): boolean {
  const m = /(?:^|\.)([A-Za-z_][A-Za-z0-9_]*)$|\["((?:[^"\\]|\\.)*)"\]$/.exec(path);
  const key = m?.[1] ?? (m?.[2] !== undefined ? (JSON.parse(`"${m[2]}"`) as string) : undefined);
  return key !== undefined && SECRET_KEYS.has(key);
}

/** `text` quoted for a message, or `(value not shown)` when the value at `path` is a secret (issue 10). */
function quoteAt(path: string, text: string): string {
  return isSecretPath(path) ? '(value not shown)' : JSON.stringify(text);
}

function locOf(node: Node): PlistLocation | undefined {
  const n = node as Node & { lineNumber?: number; columnNumber?: number };
  return typeof n.lineNumber === 'number' && typeof n.columnNumber === 'number'
    ? { line: n.lineNumber, column: n.columnNumber }
    : undefined;
}

/** Line/column (1-based) of a byte offset in a UTF-8 buffer. */
function locOfByte(bytes: Buffer, offset: number): PlistLocation {
  let line = 1;
  let lineStart = 0;
  for (let i = 0; i < offset && i < bytes.length; i++) {
    if (bytes[i] === 0x0a) {
      line++;
      lineStart = i + 1;
    }
  }
  return { line, column: offset - lineStart + 1 };
}

/**
 * Decodes base64 whose characters are all in the alphabet or `=`, the way Python's
 * `binascii.a2b_base64` (used by plistlib) does: a `=` that completes a group ends the data, other `=` are
 * skipped; a final incomplete group is an error (`undefined`, Python's "Incorrect padding").
 */
function decodeBase64LikePlistlib(b64: string): Buffer | undefined {
  let data = '';
  let quad = 0;
  let pads = 0;
  for (const ch of b64) {
    if (ch === '=') {
      pads += 1;
      if (quad >= 2 && quad + pads >= 4) {
        quad = 0;
        break;
      }
      continue;
    }
    pads = 0;
    data += ch;
    quad = (quad + 1) % 4;
  }
  if (quad !== 0) return undefined;
  // `data` may end in a partial group only when it was closed by padding: Buffer decodes it the same way.
  return Buffer.from(data, 'base64');
}

class Reader {
  readonly problems: Problem[] = [];
  readonly warnings: Problem[] = [];

  warn(rule: ProblemRule, path: string, message: string, loc?: PlistLocation): void {
    this.warnings.push({ code: 'PLIST_PARSE', rule, path, message, ...(loc ?? {}) });
  }

  report(rule: ProblemRule, path: string, message: string, loc?: PlistLocation): void {
    const code =
      rule === 'plist-syntax' || rule === 'bad-base64' || rule === 'duplicate-key'
        ? 'PLIST_PARSE'
        : 'MOBILECONFIG_INVALID';
    this.problems.push({ code, rule, path, message, ...(loc ?? {}) });
  }

  /** Text of an element that may hold only text/CDATA (string, key, integer…). */
  textOf(el: Element, path: string): string | undefined {
    let text = '';
    for (let c = el.firstChild; c !== null; c = c.nextSibling) {
      if (c.nodeType === TEXT_NODE || c.nodeType === CDATA_SECTION_NODE) text += c.nodeValue ?? '';
      else if (c.nodeType === ELEMENT_NODE) {
        this.report(
          'plist-syntax',
          path,
          `<${el.tagName}> at ${describePath(path)} contains an element <${(c as Element).tagName}>; it may hold text only.`,
          locOf(c),
        );
        return undefined;
      }
    }
    return text;
  }

  /** Child elements of a container; non-blank text between them is a problem. */
  childElements(el: Element, path: string): Element[] {
    const out: Element[] = [];
    for (let c = el.firstChild; c !== null; c = c.nextSibling) {
      if (c.nodeType === ELEMENT_NODE) out.push(c as Element);
      else if (
        (c.nodeType === TEXT_NODE || c.nodeType === CDATA_SECTION_NODE) &&
        (c.nodeValue ?? '').trim() !== ''
      ) {
        this.report(
          'plist-syntax',
          path,
          `Stray text ${JSON.stringify((c.nodeValue ?? '').trim().slice(0, 40))} inside <${el.tagName}> at ${describePath(path)}; only elements belong there.`,
          locOf(c),
        );
      }
    }
    return out;
  }

  value(el: Element, path: string, depth: number): PlistValue | undefined {
    const loc = locOf(el);
    const at = describePath(path);
    if (depth > MAX_DEPTH) {
      this.report('plist-syntax', path, `Nesting deeper than ${MAX_DEPTH} levels at ${at}.`, loc);
      return undefined;
    }
    const withLoc = <T extends PlistValue>(v: T): T => (loc === undefined ? v : { ...v, loc });
    switch (el.tagName) {
      case 'string': {
        const text = this.textOf(el, path);
        return text === undefined ? undefined : withLoc({ kind: 'string', value: text });
      }
      case 'integer': {
        const text = this.textOf(el, path)?.trim();
        if (text === undefined) return undefined;
        let n: number | undefined;
        if (/^[+-]?[0-9]+$/.test(text)) n = Number(text);
        else if (/^0[xX][0-9a-fA-F]+$/.test(text)) n = Number.parseInt(text.slice(2), 16);
        if (n === undefined || !Number.isSafeInteger(n)) {
          this.report(
            'plist-syntax',
            path,
            `<integer> at ${at} holds ${quoteAt(path, text)}, which is not a (safe) integer.`,
            loc,
          );
          return undefined;
        }
        return withLoc({ kind: 'integer', value: n === 0 ? 0 : n });
      }
      case 'real': {
        const text = this.textOf(el, path)?.trim();
        if (text === undefined) return undefined;
        if (!/^[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?$/.test(text)) {
          this.report(
            'plist-syntax',
            path,
            `<real> at ${at} holds ${quoteAt(path, text)}, which is not a number.`,
            loc,
          );
          return undefined;
        }
        return withLoc({ kind: 'real', value: Number(text) });
      }
      case 'true':
      case 'false': {
        const text = this.textOf(el, path);
        if (text === undefined) return undefined;
        if (text.trim() !== '') {
          this.report('plist-syntax', path, `<${el.tagName}/> at ${at} must be empty.`, loc);
          return undefined;
        }
        return withLoc({ kind: 'boolean', value: el.tagName === 'true' });
      }
      case 'date': {
        const text = this.textOf(el, path)?.trim();
        if (text === undefined) return undefined;
        const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})Z$/.exec(text);
        const d = m === null ? undefined : new Date(text);
        if (d === undefined || Number.isNaN(d.getTime()) || d.toISOString().replace('.000Z', 'Z') !== text) {
          this.report(
            'plist-syntax',
            path,
            `<date> at ${at} holds ${quoteAt(path, text)}; expected YYYY-MM-DDTHH:MM:SSZ.`,
            loc,
          );
          return undefined;
        }
        return withLoc({ kind: 'date', value: d });
      }
      case 'data': {
        const text = this.textOf(el, path);
        if (text === undefined) return undefined;
        if (text.length > MAX_BASE64_CHARS) {
          this.report(
            'bad-base64',
            path,
            `<data> at ${at} holds ${text.length} characters, more than the ${MAX_BASE64_CHARS} certfleet decodes (a certificate or PKCS#12 is a few thousand).`,
            loc,
          );
          return undefined;
        }
        const b64 = text.replace(/[ \t\r\n]/g, '');
        const bad = /[^A-Za-z0-9+/=]/.exec(b64);
        if (bad !== null) {
          this.report(
            'bad-base64',
            path,
            isSecretPath(path)
              ? `<data> at ${at} is not base64: it holds a character outside the base64 alphabet (value not shown: it is a secret).`
              : `<data> at ${at} is not base64: character ${JSON.stringify(bad[0])} at position ${bad.index} is outside the base64 alphabet (an unsubstituted template variable?).`,
            loc,
          );
          return undefined;
        }
        const decoded = decodeBase64LikePlistlib(b64);
        if (decoded === undefined) {
          this.report(
            'bad-base64',
            path,
            isSecretPath(path)
              ? `<data> at ${at} is not base64: incorrect padding (value not shown: it is a secret).`
              : `<data> at ${at} is not base64: incorrect padding (${b64.replace(/=/g, '').length} data characters; ` +
                  'complete the last group of four with "=").',
            loc,
          );
          return undefined;
        }
        if (decoded.toString('base64') !== b64) {
          this.warn(
            'base64-noncanonical',
            path,
            `<data> at ${at} is not canonical base64 (stray or surplus "=" padding); read as Python plistlib and ` +
              `CoreFoundation do, giving ${decoded.length} bytes.`,
            loc,
          );
        }
        return withLoc({ kind: 'data', value: decoded });
      }
      case 'array': {
        const items: PlistValue[] = [];
        let ok = true;
        this.childElements(el, path).forEach((child, i) => {
          const v = this.value(child, joinIndexPath(path, i), depth + 1);
          if (v === undefined) ok = false;
          else items.push(v);
        });
        return ok ? withLoc({ kind: 'array', items }) : undefined;
      }
      case 'dict':
        return this.dict(el, path, depth);
      default:
        this.report('plist-syntax', path, `<${el.tagName}> at ${at} is not a property-list element.`, loc);
        return undefined;
    }
  }

  dict(el: Element, path: string, depth: number): PlistValue | undefined {
    const entries = new Map<string, PlistValue>();
    const children = this.childElements(el, path);
    let ok = true;
    for (let i = 0; i < children.length; i += 2) {
      const keyEl = children[i] as Element;
      if (keyEl.tagName !== 'key') {
        this.report(
          'plist-syntax',
          path,
          `<dict> at ${describePath(path)} has <${keyEl.tagName}> where a <key> is expected.`,
          locOf(keyEl),
        );
        ok = false;
        i -= 1; // resynchronise on the next element
        continue;
      }
      const key = this.textOf(keyEl, path);
      if (key === undefined) {
        ok = false;
        continue;
      }
      const childPath = joinKeyPath(path, key);
      const valueEl = children[i + 1];
      if (valueEl === undefined || valueEl.tagName === 'key') {
        this.report(
          'plist-syntax',
          childPath,
          `<key>${key}</key> at ${childPath} has no value.`,
          locOf(keyEl),
        );
        ok = false;
        if (valueEl !== undefined) i -= 1;
        continue;
      }
      if (entries.has(key)) {
        this.report(
          'duplicate-key',
          childPath,
          `The key ${JSON.stringify(key)} appears twice in the same <dict>.`,
          locOf(keyEl),
        );
        ok = false;
      }
      const v = this.value(valueEl, childPath, depth + 1);
      if (v === undefined) ok = false;
      else if (!entries.has(key)) entries.set(key, v);
    }
    if (!ok) return undefined;
    const loc = locOf(el);
    return loc === undefined ? { kind: 'dict', entries } : { kind: 'dict', entries, loc };
  }
}

/**
 * Reads XML plist bytes strictly. Returns the typed value tree, or every problem found (`PLIST_PARSE`).
 * Never throws for bad input.
 */
export function readPlistXml(bytes: Buffer): PlistReadResult {
  const reader = new Reader();
  const fail = (message: string, loc?: PlistLocation): PlistReadResult => {
    reader.report('plist-syntax', '', message, loc);
    return { problems: reader.problems, warnings: reader.warnings };
  };
  if (bytes.subarray(0, 6).toString('latin1') === 'bplist') {
    return fail(
      'This is a binary property list (bplist00); certfleet reads XML plists only. Convert it with `plutil -convert xml1`.',
    );
  }
  if (bytes[0] === 0x30) {
    return fail('This looks like a CMS-signed (DER) profile; certfleet reads unsigned XML plists only.');
  }
  const body = bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf ? bytes.subarray(3) : bytes;
  if (bytes.length > MAX_PAYLOAD_BYTES) {
    return fail(
      `The property list is ${bytes.length} bytes, more than the ${formatBytes(MAX_PAYLOAD_BYTES)} certfleet reads; a .mobileconfig is a few KB.`,
    );
  }
  const bad = firstInvalidUtf8(body);
  if (bad !== undefined) {
    return fail(`The bytes are not valid UTF-8 (first bad byte at offset ${bad}).`, locOfByte(body, bad));
  }
  const text = body.toString('utf8');
  const decl = /^<\?xml[^>]*encoding\s*=\s*["']([^"']+)["']/.exec(text);
  if (decl?.[1] !== undefined && decl[1].toLowerCase() !== 'utf-8') {
    return fail(`The XML declaration says encoding="${decl[1]}"; a .mobileconfig must be UTF-8.`, {
      line: 1,
      column: 1,
    });
  }
  if (text.trim() === '') return fail('The document is empty.');
  let doc: ReturnType<DOMParser['parseFromString']> | undefined;
  const xmlErrors: { message: string; loc?: PlistLocation }[] = [];
  const parser = new DOMParser({
    onError: (level, message, context) => {
      if (level === 'warning') return;
      const l = (context as { locator?: { lineNumber?: number; columnNumber?: number } } | undefined)
        ?.locator;
      const loc =
        l?.lineNumber !== undefined && l.lineNumber > 0
          ? { line: l.lineNumber, column: l.columnNumber ?? 1 }
          : undefined;
      xmlErrors.push(loc === undefined ? { message } : { message, loc });
    },
  });
  try {
    doc = parser.parseFromString(text, 'text/xml');
  } catch (e) {
    if (xmlErrors.length === 0) xmlErrors.push({ message: e instanceof Error ? e.message : String(e) });
  }
  if (xmlErrors.length > 0 || doc === undefined) {
    for (const { message, loc } of xmlErrors) {
      reader.report(
        'plist-syntax',
        '',
        `Not well-formed XML${loc === undefined ? '' : ` at line ${loc.line}, column ${loc.column}`}: ${message}`,
        loc,
      );
    }
    return { problems: reader.problems, warnings: reader.warnings };
  }
  const root = doc.documentElement;
  if (root === null || root.tagName !== 'plist') {
    return fail(
      `The root element is <${root?.tagName ?? '?'}>, not <plist>: this is not a property list.`,
      root === null ? undefined : locOf(root),
    );
  }
  const top = reader.childElements(root, '');
  if (top.length !== 1) {
    reader.report(
      'plist-syntax',
      '',
      `<plist> must hold exactly one value; it holds ${top.length}.`,
      locOf(root),
    );
    return { problems: reader.problems, warnings: reader.warnings };
  }
  const value = reader.value(top[0] as Element, '', 0);
  if (reader.problems.length > 0 || value === undefined)
    return { problems: reader.problems, warnings: reader.warnings };
  return { value, problems: [], warnings: reader.warnings };
}
