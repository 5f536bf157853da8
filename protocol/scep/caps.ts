/**
 * GetCACaps (RFC 8894 §3.5.2): the server's capabilities, one keyword per line, case-insensitive. The client
 * picks its content cipher and digest from them (§3.5.1: AES if offered, else DES3; SHA-256 if offered).
 */
import type { ContentCipher } from './content-cipher.ts';
import type { ScepDigest } from './signed-data.ts';

/** The capabilities certfleet's server announces: what it implements, nothing more. */
export const SERVER_CAPABILITIES = [
  'AES',
  'DES3',
  'POSTPKIOperation',
  'Renewal',
  'SHA-1',
  'SHA-256',
  'SHA-512',
  'SCEPStandard',
] as const;

/** Parses a GetCACaps body into upper-case keywords. */
export function parseCaps(body: string): Set<string> {
  return new Set(
    body
      .split(/\r?\n/)
      .map((l) => l.trim().toUpperCase())
      .filter((l) => l !== ''),
  );
}

/** The cipher a client uses against these capabilities (RFC 8894 §3.5.1). */
export function cipherForCaps(caps: ReadonlySet<string>): ContentCipher {
  if (caps.has('AES') || caps.has('SCEPSTANDARD')) return 'aes-128-cbc';
  if (caps.has('DES3')) return 'des-ede3-cbc';
  return 'des-cbc';
}

/** The digest a client uses against these capabilities. */
export function digestForCaps(caps: ReadonlySet<string>): ScepDigest {
  if (caps.has('SHA-256') || caps.has('SCEPSTANDARD')) return 'sha256';
  if (caps.has('SHA-512')) return 'sha512';
  return 'sha1';
}
