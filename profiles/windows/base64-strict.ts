/**
 * Strict base64 checks for SyncML `b64` data: the standard alphabet, correct padding, and no whitespace or
 * line breaks (RootCATrustedCertificates: "The Base-64 string value can't include extra formatting characters
 * such as embedded linefeeds", docs/formats.md §2.4).
 */

import { isStrictBase64 } from '../../pki/base64.ts';
import { MAX_BASE64_CHARS } from '../../pki/limits.ts';

/**
 * Why a string is not strict base64, or `undefined` when it is (an empty string is reported as empty; one
 * longer than MAX_BASE64_CHARS, pki/limits.ts, as too long).
 */
export function base64Fault(text: string): 'empty' | 'whitespace' | 'invalid' | 'too-long' | undefined {
  if (text.length === 0) return 'empty';
  if (text.length > MAX_BASE64_CHARS) return 'too-long';
  if (/\s/.test(text)) return 'whitespace';
  return isStrictBase64(text) ? undefined : 'invalid';
}

/** Decodes strict base64 (check with {@link base64Fault} first). */
export function decodeBase64(text: string): Buffer {
  return Buffer.from(text, 'base64');
}

/** Encodes bytes as base64 on one line, with padding. */
export function encodeBase64(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('base64');
}
