/**
 * PEM (RFC 7468) decoding and encoding, strict enough to say exactly what is wrong with a damaged file:
 * a non-ASCII byte (and where), a missing BEGIN/END line, a wrong label, or characters that are not base64.
 *
 * @example
 * const der = pemToDer(text, ['CERTIFICATE'], 'CERT_PARSE');
 * derToPem(der, 'CERTIFICATE'); // '-----BEGIN CERTIFICATE-----\nMIIB…\n-----END CERTIFICATE-----\n'
 */
import { CertfleetError, type ErrorCode } from './errors.ts';

/** Whether `input` looks like PEM text (starts, after white space, with `-----BEGIN`). */
export function looksLikePem(input: string | Uint8Array): boolean {
  const head =
    typeof input === 'string' ? input.slice(0, 64) : Buffer.from(input.subarray(0, 64)).toString('latin1');
  return /^\s*-----BEGIN /.test(head);
}

/**
 * Decodes the first PEM block whose label is one of `labels`. Throws `code` (e.g. CERT_PARSE) with a message
 * naming the problem: a non-ASCII byte with its offset, no BEGIN line, no END line, a bad base64 character.
 */
export function pemToDer(input: string | Uint8Array, labels: readonly string[], code: ErrorCode): Buffer {
  const fail = (message: string, details: Record<string, unknown> = {}): never => {
    throw new CertfleetError(code, message, { details });
  };
  if (typeof input === 'string') {
    for (let i = 0; i < input.length; i++) {
      const c = input.charCodeAt(i);
      if (c > 0x7e || (c < 0x20 && c !== 0x0a && c !== 0x0d && c !== 0x09)) {
        fail(
          `The PEM text contains the non-ASCII character U+${c.toString(16).toUpperCase().padStart(4, '0')} at offset ${String(i)}; PEM must be plain ASCII (was the file edited or re-encoded?).`,
          { offset: i },
        );
      }
    }
  } else {
    for (let i = 0; i < input.length; i++) {
      const b = input[i] as number;
      if (b > 0x7e || (b < 0x20 && b !== 0x0a && b !== 0x0d && b !== 0x09)) {
        fail(
          `The PEM data contains the non-ASCII byte 0x${b.toString(16).toUpperCase().padStart(2, '0')} at offset ${String(i)}; PEM must be plain ASCII (was the file edited or re-encoded?).`,
          { offset: i },
        );
      }
    }
  }
  const text = typeof input === 'string' ? input : Buffer.from(input).toString('latin1');
  const begin = /-----BEGIN ([A-Z0-9 ]+)-----/g;
  let m: RegExpExecArray | null;
  let found: string[] = [];
  while ((m = begin.exec(text))) {
    const label = m[1] as string;
    found = [...found, label];
    if (!labels.includes(label)) continue;
    const endLine = `-----END ${label}-----`;
    const bodyStart = m.index + m[0].length;
    const end = text.indexOf(endLine, bodyStart);
    if (end < 0) fail(`The PEM block "${label}" has no "${endLine}" line (is the file cut off?).`);
    const body = text.slice(bodyStart, end);
    const bad = /[^A-Za-z0-9+/=\s]/.exec(body);
    if (bad) {
      fail(
        `The PEM block "${label}" contains "${bad[0]}" at offset ${String(bodyStart + bad.index)}, which is not base64.`,
        {
          offset: bodyStart + bad.index,
        },
      );
    }
    const b64 = body.replace(/\s+/g, '');
    if (b64.length === 0) fail(`The PEM block "${label}" is empty.`);
    if (b64.length % 4 !== 0 || /=[^=]/.test(b64))
      fail(`The PEM block "${label}" is not valid base64 (bad length or padding).`);
    return Buffer.from(b64, 'base64');
  }
  return fail(
    found.length > 0
      ? `Expected a PEM block labelled ${labels.join(' or ')}, found ${found.join(', ')}.`
      : `No "-----BEGIN ${labels[0] ?? ''}-----" line found; expected PEM or DER.`,
    { found },
  );
}

/** Encodes DER as PEM with 64-character lines and a trailing newline. */
export function derToPem(der: Uint8Array, label: string): string {
  const b64 = Buffer.from(der).toString('base64');
  const lines = b64.match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${label}-----\n${lines.join('\n')}\n-----END ${label}-----\n`;
}
