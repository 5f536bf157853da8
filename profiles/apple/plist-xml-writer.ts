/**
 * A small, deterministic XML property-list writer.
 *
 * Why not the `plist` npm package: its output layout belongs to its own version of xmlbuilder, it cannot
 * be told that a value is `<data>` rather than `<string>` except by JavaScript type, and golden files must
 * not change when a dependency does. This writer is ~100 lines and pins every byte.
 *
 * Layout (chosen to be byte-identical to Python `plistlib.dumps()` with its defaults, which also matches
 * the tab-indented style Apple's own tools write, e.g. the mosen templates in the corpus):
 * - header `<?xml version="1.0" encoding="UTF-8"?>`, Apple's `<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST
 *   1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">`, `<plist version="1.0">`, LF line ends;
 * - one tab per nesting level, the root value at level 0;
 * - dictionary keys sorted by Unicode code point (as `sorted()` in plistlib); empty containers as
 *   `<dict/>` / `<array/>`;
 * - `<data>` as base64 lines at the tag's own indentation, each line at most `max(16, 76 - 8·level)`
 *   characters (plistlib's rule), standard alphabet with `=` padding;
 * - `&`, `<`, `>` escaped as entities, `\r` as `&#13;` (so it survives XML line-end normalisation);
 *   other control characters are refused (XML 1.0 cannot carry them);
 * - `<integer>` in decimal, `<real>` with at least one decimal digit (`3.0`), `<date>` as
 *   `YYYY-MM-DDTHH:MM:SSZ` (UTC; fractional seconds are refused).
 *
 * Source: docs/formats.md §1 (XML plist profiles); Python `Lib/plistlib.py` (`_PlistWriter`, `_encode_base64`).
 */
import { CertfleetError } from '../../pki/errors.ts';
import type { PlistValue } from './plist-value.ts';
import { describePath, joinIndexPath, joinKeyPath } from './problem.ts';

/** The exact bytes every XML plist starts with (declaration and Apple's DOCTYPE). */
export const PLIST_XML_HEADER =
  '<?xml version="1.0" encoding="UTF-8"?>\n' +
  '<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">\n';

// XML 1.0 Char production minus TAB, LF, CR; plus lone surrogates.
const FORBIDDEN_CHARS =
  // eslint-disable-next-line no-control-regex
  /[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/u;

/** Compares two strings by Unicode code point (Python's `str` order), not UTF-16 code unit. */
export function compareCodePoints(a: string, b: string): number {
  const ai = a[Symbol.iterator]();
  const bi = b[Symbol.iterator]();
  for (;;) {
    const x = ai.next();
    const y = bi.next();
    if (x.done === true || y.done === true) return (x.done === true ? 0 : 1) - (y.done === true ? 0 : 1);
    const d = (x.value.codePointAt(0) ?? 0) - (y.value.codePointAt(0) ?? 0);
    if (d !== 0) return d;
  }
}

function escapeText(text: string, path: string): string {
  if (FORBIDDEN_CHARS.test(text)) {
    throw new CertfleetError(
      'MOBILECONFIG_INVALID',
      `The string at ${describePath(path)} holds a control character or a lone surrogate that XML cannot carry; ` +
        'remove it, or carry the bytes as <data>.',
      { details: { path } },
    );
  }
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/\r/g, '&#13;');
}

function formatReal(n: number, path: string): string {
  if (!Number.isFinite(n)) {
    throw new CertfleetError('MOBILECONFIG_INVALID', `The <real> at ${path} is not a finite number.`, {
      details: { path },
    });
  }
  const s = String(n);
  return /[.e]/.test(s) ? s : `${s}.0`;
}

function formatDate(d: Date, path: string): string {
  const t = d.getTime();
  if (!Number.isFinite(t) || t % 1000 !== 0) {
    throw new CertfleetError(
      'MOBILECONFIG_INVALID',
      `The <date> at ${path} is invalid or has fractional seconds; plist dates carry whole seconds only.`,
      { details: { path } },
    );
  }
  return d.toISOString().replace(/\.000Z$/, 'Z');
}

function writeValue(out: string[], v: PlistValue, level: number, path: string): void {
  const ind = '\t'.repeat(level);
  switch (v.kind) {
    case 'string':
      out.push(`${ind}<string>${escapeText(v.value, path)}</string>`);
      return;
    case 'integer':
      if (!Number.isSafeInteger(v.value)) {
        throw new CertfleetError('MOBILECONFIG_INVALID', `The <integer> at ${path} is not a safe integer.`, {
          details: { path },
        });
      }
      out.push(`${ind}<integer>${v.value}</integer>`);
      return;
    case 'real':
      out.push(`${ind}<real>${formatReal(v.value, path)}</real>`);
      return;
    case 'boolean':
      out.push(`${ind}<${v.value ? 'true' : 'false'}/>`);
      return;
    case 'date':
      out.push(`${ind}<date>${formatDate(v.value, path)}</date>`);
      return;
    case 'data': {
      out.push(`${ind}<data>`);
      const maxLine = Math.max(16, 76 - 8 * level);
      const chunk = Math.floor(maxLine / 4) * 3;
      for (let i = 0; i < v.value.length; i += chunk) {
        out.push(ind + v.value.subarray(i, i + chunk).toString('base64'));
      }
      out.push(`${ind}</data>`);
      return;
    }
    case 'array':
      if (v.items.length === 0) {
        out.push(`${ind}<array/>`);
        return;
      }
      out.push(`${ind}<array>`);
      v.items.forEach((item, i) => writeValue(out, item, level + 1, joinIndexPath(path, i)));
      out.push(`${ind}</array>`);
      return;
    case 'dict': {
      if (v.entries.size === 0) {
        out.push(`${ind}<dict/>`);
        return;
      }
      out.push(`${ind}<dict>`);
      const keys = [...v.entries.keys()].sort(compareCodePoints);
      for (const key of keys) {
        const child = v.entries.get(key) as PlistValue;
        const childPath = joinKeyPath(path, key);
        out.push(`${ind}\t<key>${escapeText(key, childPath)}</key>`);
        writeValue(out, child, level + 1, childPath);
      }
      out.push(`${ind}</dict>`);
      return;
    }
  }
}

/**
 * Serialises a plist value tree to XML plist bytes (UTF-8), deterministically: the same tree always gives
 * the same bytes. Throws `MOBILECONFIG_INVALID` for values XML cannot carry (control characters, NaN,
 * unsafe integers, fractional-second dates).
 *
 * @example
 * writePlistXml(plistDict([['PayloadVersion', { kind: 'integer', value: 1 }]]));
 */
export function writePlistXml(root: PlistValue): Buffer {
  const out: string[] = [];
  writeValue(out, root, 0, '');
  return Buffer.from(`${PLIST_XML_HEADER}<plist version="1.0">\n${out.join('\n')}\n</plist>\n`, 'utf8');
}
