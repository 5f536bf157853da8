/**
 * Strict XML parsing for SyncML: bytes → DOM, or a SYNCML_PARSE problem with line and column.
 *
 * @xmldom/xmldom reports line/column for most well-formedness errors (tag mismatch, unclosed tags, bad
 * attributes, extra content) but accepts a bare `&` and C0 control characters, which XML 1.0 forbids (xmllint
 * rejects both). A small pre-scan closes those two gaps so that every message this accepts is also accepted by
 * an independent parser (`xmllint --noout`).
 */
import { DOMParser, type Document } from '@xmldom/xmldom';
import type { CertfleetError } from '../../pki/errors.ts';
import { formatBytes, MAX_PAYLOAD_BYTES } from '../../pki/limits.ts';
import { syncmlProblem } from './syncml-problem.ts';

/** The parsed document, or the reason the bytes are not well-formed UTF-8 XML. */
export type XmlParseResult = { ok: true; doc: Document } | { ok: false; problem: CertfleetError };

/** Parses UTF-8 bytes as one XML document; every parser warning or error is a failure. */
export function parseStrictXml(raw: Buffer): XmlParseResult {
  if (raw.length > MAX_PAYLOAD_BYTES) {
    return {
      ok: false,
      problem: syncmlProblem(
        'SYNCML_PARSE',
        `The SyncML message is ${raw.length} bytes, more than the ${formatBytes(MAX_PAYLOAD_BYTES)} certfleet reads; a SyncML message is a few KB.`,
      ),
    };
  }
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(raw);
  } catch (cause) {
    return {
      ok: false,
      problem: syncmlProblem(
        'SYNCML_PARSE',
        'The SyncML message is not valid UTF-8. Send it UTF-8 encoded.',
        {},
        cause,
      ),
    };
  }
  if (text.startsWith('\uFEFF')) text = text.slice(1);
  const pre = prescan(text);
  if (pre !== undefined) return { ok: false, problem: pre };

  const messages: string[] = [];
  try {
    const doc = new DOMParser({
      onError: (level, msg) => {
        messages.push(`${level}: ${msg}`);
        throw new Error(msg);
      },
    }).parseFromString(text, 'text/xml');
    if (doc.documentElement === null) throw new Error('missing root element');
    return { ok: true, doc };
  } catch (cause) {
    const locator = (cause as { locator?: { lineNumber?: number; columnNumber?: number } }).locator;
    const line = locator?.lineNumber !== undefined && locator.lineNumber > 0 ? locator.lineNumber : undefined;
    const column = line !== undefined ? locator?.columnNumber : undefined;
    const what = messages[0] ?? (cause instanceof Error ? cause.message : String(cause));
    const where =
      line === undefined ? '' : ` at line ${line}${column === undefined ? '' : `, column ${column}`}`;
    return {
      ok: false,
      problem: syncmlProblem(
        'SYNCML_PARSE',
        `The SyncML message is not well-formed XML${where} (${what}). Fix the XML; a literal "<" or "&" in text must be escaped.`,
        { line, column },
        cause,
      ),
    };
  }
}

/** Position (1-based line and column) of a character offset. */
function position(text: string, offset: number): { line: number; column: number } {
  const before = text.slice(0, offset);
  const line = before.split('\n').length;
  const column = offset - before.lastIndexOf('\n');
  return { line, column };
}

// XML 1.0 Char production minus the surrogate handling done by the decoder.
// eslint-disable-next-line no-control-regex -- matching the control characters XML forbids is the point
const FORBIDDEN_CHAR = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]/;
const ENTITY_REF = /^&(?:#[0-9]+|#x[0-9A-Fa-f]+|[A-Za-z_:][A-Za-z0-9_:.-]*);/;

function prescan(text: string): CertfleetError | undefined {
  const bad = FORBIDDEN_CHAR.exec(text);
  if (bad !== null) {
    const at = position(text, bad.index);
    const code = bad[0].charCodeAt(0).toString(16).toUpperCase().padStart(4, '0');
    return syncmlProblem(
      'SYNCML_PARSE',
      `The SyncML message is not well-formed XML at line ${at.line}, column ${at.column}: character U+${code} is not allowed in XML 1.0. Remove it or base64-encode the data.`,
      at,
    );
  }
  let i = 0;
  while (i < text.length) {
    const c = text[i];
    if (c === '<') {
      const skip = [
        ['<![CDATA[', ']]>'],
        ['<!--', '-->'],
        ['<?', '?>'],
      ].find(([open]) => text.startsWith(open as string, i));
      if (skip !== undefined) {
        const end = text.indexOf(skip[1] as string, i);
        i = end < 0 ? text.length : end + (skip[1] as string).length;
        continue;
      }
    } else if (c === '&' && !ENTITY_REF.test(text.slice(i, i + 64))) {
      const at = position(text, i);
      return syncmlProblem(
        'SYNCML_PARSE',
        `The SyncML message is not well-formed XML at line ${at.line}, column ${at.column}: a bare "&" must be written "&amp;".`,
        at,
      );
    }
    i++;
  }
  return undefined;
}
