/**
 * RSAES-PKCS1-v1_5 decryption (RFC 8017 §7.2.2) on top of a raw RSA operation. Node 20 refuses
 * RSA_PKCS1_PADDING in privateDecrypt (CVE-2023-46809), so the padding is removed by hand after a no-padding
 * RSA operation. Both CMS key-transport readers use it: the SCEP envelope (protocol/scep/envelope.ts) and the
 * Windows PFX-password codec (profiles/windows/pfx-password.ts). Fine for a simulator; not a hardened
 * (constant-time) implementation.
 *
 * @example
 * const contentKey = pkcs1v15Decrypt(recipientKey, encryptedKey);
 */
import { constants, privateDecrypt, type KeyObject } from 'node:crypto';

/** The shortest padding string PS RFC 8017 §7.2.2 step 3 allows (8 nonzero bytes). */
const MIN_PADDING_STRING = 8;

/**
 * Removes the padding of an encoded message `EM = 0x00 || 0x02 || PS || 0x00 || M` and returns M.
 *
 * @throws Error `PKCS#1 v1.5 padding is invalid` when EM does not start with 0x00 0x02, has no 0x00
 *   separator, or its padding string is shorter than 8 bytes. The message names no byte of EM.
 */
export function pkcs1v15Unpad(em: Uint8Array): Buffer {
  const bytes = Buffer.from(em.buffer, em.byteOffset, em.byteLength);
  const sep = bytes.indexOf(0, 2);
  if (bytes[0] !== 0 || bytes[1] !== 2 || sep < 2 + MIN_PADDING_STRING) {
    throw new Error('PKCS#1 v1.5 padding is invalid');
  }
  return bytes.subarray(sep + 1);
}

/** Decrypts `encrypted` with `privateKey` (raw RSA) and removes the PKCS#1 v1.5 padding. */
export function pkcs1v15Decrypt(privateKey: KeyObject, encrypted: Uint8Array): Buffer {
  return pkcs1v15Unpad(privateDecrypt({ key: privateKey, padding: constants.RSA_NO_PADDING }, encrypted));
}
