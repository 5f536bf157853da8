/**
 * The content-encryption algorithms of a SCEP pkcsPKIEnvelope (RFC 8894 §3.5.2 "AES", "DES3"; §2.9: DES is
 * the legacy default a server must still read). micromdm/scep 2.1's client encrypts with single DES-CBC
 * whatever the CA's capabilities say (observed, docs/formats.md §7.4), so the server reads it; Node 20's
 * OpenSSL 3 has no `des-cbc` without the legacy provider, and DES-EDE3 with three equal keys is DES, so
 * single DES runs as `des-ede3-cbc` with the key repeated (a simulator's interoperability path, not a
 * recommendation).
 */
import { createCipheriv, createDecipheriv } from 'node:crypto';

/** The algorithms certfleet reads and writes. */
export type ContentCipher = 'aes-128-cbc' | 'aes-256-cbc' | 'des-ede3-cbc' | 'des-cbc';

interface CipherSpec {
  oid: string;
  keyLength: number;
  ivLength: number;
}

export const CONTENT_CIPHERS: Readonly<Record<ContentCipher, CipherSpec>> = {
  'aes-128-cbc': { oid: '2.16.840.1.101.3.4.1.2', keyLength: 16, ivLength: 16 },
  'aes-256-cbc': { oid: '2.16.840.1.101.3.4.1.42', keyLength: 32, ivLength: 16 },
  'des-ede3-cbc': { oid: '1.2.840.113549.3.7', keyLength: 24, ivLength: 8 },
  'des-cbc': { oid: '1.3.14.3.2.7', keyLength: 8, ivLength: 8 },
};

/** The cipher of an algorithm OID; undefined for one certfleet does not implement. */
export function cipherOfOid(oid: string): ContentCipher | undefined {
  return (Object.keys(CONTENT_CIPHERS) as ContentCipher[]).find((c) => CONTENT_CIPHERS[c].oid === oid);
}

function nodeCipher(cipher: ContentCipher, key: Buffer): { name: string; key: Buffer } {
  return cipher === 'des-cbc'
    ? { name: 'des-ede3-cbc', key: Buffer.concat([key, key, key]) }
    : { name: cipher, key };
}

/** Encrypts with PKCS#7 padding (RFC 5652 §6.3). */
export function encryptContent(cipher: ContentCipher, key: Buffer, iv: Buffer, plain: Uint8Array): Buffer {
  const n = nodeCipher(cipher, key);
  const c = createCipheriv(n.name, n.key, iv);
  return Buffer.concat([c.update(plain), c.final()]);
}

/** Decrypts and removes the PKCS#7 padding; throws (OpenSSL's "bad decrypt") on a wrong key. */
export function decryptContent(cipher: ContentCipher, key: Buffer, iv: Buffer, data: Uint8Array): Buffer {
  const n = nodeCipher(cipher, key);
  const d = createDecipheriv(n.name, n.key, iv);
  return Buffer.concat([d.update(data), d.final()]);
}
