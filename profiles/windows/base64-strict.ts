/**
 * Strict base64 checks for SyncML `b64` data: the standard alphabet, correct padding, and no whitespace or
 * line breaks (RootCATrustedCertificates: "The Base-64 string value can't include extra formatting characters
 * such as embedded linefeeds", docs/formats.md §2.4).
 */

const STRICT_B64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** Why a string is not strict base64, or `undefined` when it is (an empty string is reported as empty). */
export function base64Fault(text: string): 'empty' | 'whitespace' | 'invalid' | undefined {
  if (text.length === 0) return 'empty';
  if (/\s/.test(text)) return 'whitespace';
  return STRICT_B64.test(text) ? undefined : 'invalid';
}

/** Decodes strict base64 (check with {@link base64Fault} first). */
export function decodeBase64(text: string): Buffer {
  return Buffer.from(text, 'base64');
}

/** Encodes bytes as base64 on one line, with padding. */
export function encodeBase64(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('base64');
}
