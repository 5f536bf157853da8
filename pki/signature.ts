/**
 * Signature algorithms for certificates, CSRs and CRLs (RFC 5280 §4.1.1.2; RFC 4055 / RFC 5758 OIDs), with
 * signing and verification by node:crypto only: RSASSA-PKCS1-v1_5 for RSA keys, ECDSA (DER signature value)
 * for EC keys.
 *
 * @example
 * const { algorithm, signature } = signTbs(tbsDer, privateKey, 'sha256');
 * verifyTbs(tbsDer, signature, algorithmOid, publicKey); // true
 */
import { sign, verify, type KeyObject } from 'node:crypto';
import { DER_NULL, encodeOid, encodeSequence } from './der.ts';
import { CertfleetError } from './errors.ts';

/** The hashes certfleet signs with. */
export type SignatureHash = 'sha256' | 'sha384';

/** Signature algorithm OIDs certfleet writes (sha256/sha384) or can verify (also sha1/sha512). */
export const SIGNATURE_ALGORITHMS: Record<string, { key: 'rsa' | 'ec'; hash: string; name: string }> = {
  '1.2.840.113549.1.1.5': { key: 'rsa', hash: 'sha1', name: 'sha1WithRSAEncryption' },
  '1.2.840.113549.1.1.11': { key: 'rsa', hash: 'sha256', name: 'sha256WithRSAEncryption' },
  '1.2.840.113549.1.1.12': { key: 'rsa', hash: 'sha384', name: 'sha384WithRSAEncryption' },
  '1.2.840.113549.1.1.13': { key: 'rsa', hash: 'sha512', name: 'sha512WithRSAEncryption' },
  '1.2.840.10045.4.1': { key: 'ec', hash: 'sha1', name: 'ecdsa-with-SHA1' },
  '1.2.840.10045.4.3.2': { key: 'ec', hash: 'sha256', name: 'ecdsa-with-SHA256' },
  '1.2.840.10045.4.3.3': { key: 'ec', hash: 'sha384', name: 'ecdsa-with-SHA384' },
  '1.2.840.10045.4.3.4': { key: 'ec', hash: 'sha512', name: 'ecdsa-with-SHA512' },
};

function algorithmOid(key: KeyObject, hash: SignatureHash): string {
  const type = key.asymmetricKeyType;
  for (const [oid, a] of Object.entries(SIGNATURE_ALGORITHMS))
    if (a.key === type && a.hash === hash) return oid;
  throw new CertfleetError('KEY_UNSUPPORTED', `Cannot sign with a ${String(type)} key; use RSA or EC.`);
}

/** The default hash for a signing key: SHA-384 for P-384 keys, SHA-256 otherwise. */
export function defaultHash(key: KeyObject): SignatureHash {
  return key.asymmetricKeyDetails?.namedCurve === 'secp384r1' ? 'sha384' : 'sha256';
}

/** The DER AlgorithmIdentifier for signing with `key` and `hash` (NULL parameters for RSA, none for ECDSA). */
export function signatureAlgorithmIdentifier(key: KeyObject, hash: SignatureHash): Uint8Array {
  const oid = algorithmOid(key, hash);
  return encodeSequence(key.asymmetricKeyType === 'rsa' ? [encodeOid(oid), DER_NULL] : [encodeOid(oid)]);
}

/** Signs `tbs` natively; returns the AlgorithmIdentifier DER and the signature value. */
export function signTbs(
  tbs: Uint8Array,
  privateKey: KeyObject,
  hash: SignatureHash,
): { algorithm: Uint8Array; signature: Uint8Array } {
  const algorithm = signatureAlgorithmIdentifier(privateKey, hash);
  return { algorithm, signature: new Uint8Array(sign(hash, tbs, privateKey)) };
}

/**
 * {@link signTbs} on libuv's thread pool: node:crypto's `sign` with a callback runs the private-key
 * operation off the calling thread (Node `crypto.sign(algorithm, data, key[, callback])`). Same
 * AlgorithmIdentifier, and for RSA (PKCS#1 v1.5, deterministic) the same signature bytes as {@link signTbs}.
 */
export async function signTbsAsync(
  tbs: Uint8Array,
  privateKey: KeyObject,
  hash: SignatureHash,
): Promise<{ algorithm: Uint8Array; signature: Uint8Array }> {
  const algorithm = signatureAlgorithmIdentifier(privateKey, hash);
  const signature = await new Promise<Buffer>((resolve, reject) =>
    sign(hash, tbs, privateKey, (err, sig) => (err ? reject(err) : resolve(sig))),
  );
  return { algorithm, signature: new Uint8Array(signature) };
}

/** Verifies `signature` over `tbs` with `publicKey` under the algorithm `oid`; false for any mismatch. */
export function verifyTbs(
  tbs: Uint8Array,
  signature: Uint8Array,
  oid: string,
  publicKey: KeyObject,
): boolean {
  const alg = SIGNATURE_ALGORITHMS[oid];
  if (!alg || alg.key !== publicKey.asymmetricKeyType) return false;
  try {
    return verify(alg.hash, tbs, publicKey, signature);
  } catch {
    return false;
  }
}

/** {@link verifyTbs} on libuv's thread pool (node:crypto `verify` with a callback): the same answer. */
export async function verifyTbsAsync(
  tbs: Uint8Array,
  signature: Uint8Array,
  oid: string,
  publicKey: KeyObject,
): Promise<boolean> {
  const alg = SIGNATURE_ALGORITHMS[oid];
  if (!alg || alg.key !== publicKey.asymmetricKeyType) return false;
  return new Promise<boolean>((resolve) => {
    try {
      verify(alg.hash, tbs, publicKey, signature, (err, ok) => resolve(err ? false : ok));
    } catch {
      resolve(false);
    }
  });
}
