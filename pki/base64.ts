/**
 * Strict base64 (RFC 4648 §4: the standard alphabet, padded to a multiple of 4, no whitespace), checked in
 * one linear pass. The regular expression it replaces, `^(?:[A-Za-z0-9+/]{4})*(?:…)?$`, backtracks on a
 * long string until V8 throws "RangeError: Maximum call stack size exceeded" (issue 10: 8 MB).
 */

const ALPHABET = new Uint8Array(128);
for (const c of 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/')
  ALPHABET[c.charCodeAt(0)] = 1;

/** True when `text` is strict base64 (the empty string is, by this definition). */
export function isStrictBase64(text: string): boolean {
  const n = text.length;
  if (n % 4 !== 0) return false;
  let pad = 0;
  if (n > 0 && text.charCodeAt(n - 1) === 0x3d) pad = text.charCodeAt(n - 2) === 0x3d ? 2 : 1;
  for (let i = 0; i < n - pad; i++) {
    const c = text.charCodeAt(i);
    if (c >= 128 || ALPHABET[c] !== 1) return false;
  }
  return true;
}
