/**
 * The PFX integrity MAC (RFC 7292 §5.1 "password integrity mode" and Appendix B.4): HMAC over the
 * authSafe content octets, keyed with the Appendix B KDF (ID 3) using the same hash as the HMAC.
 *
 * @see https://www.rfc-editor.org/rfc/rfc7292#section-4 (MacData)
 * @see https://www.rfc-editor.org/rfc/rfc7292#appendix-B.4
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { DER_NULL, encodeInteger, encodeOctetString, encodeOid, encodeSequence } from './der.ts';
import { CertfleetError } from './errors.ts';
import {
  berAlgorithm,
  berChildren,
  berInteger,
  berOctets,
  BerShapeError,
  isSequenceTag,
  OID,
  oidName,
  type AlgorithmId,
  type BerElement,
} from './pkcs12-asn1.ts';
import { PKCS12_KDF_HASHES, pkcs12Kdf, pkcs12PasswordCandidates, type Pkcs12Hash } from './pkcs12-kdf.ts';

const MAC_HASHES: Record<string, Pkcs12Hash> = {
  [OID.sha1]: 'sha1',
  [OID.sha224]: 'sha224',
  [OID.sha256]: 'sha256',
  [OID.sha384]: 'sha384',
  [OID.sha512]: 'sha512',
};

const HASH_OIDS: Record<Pkcs12Hash, string> = {
  sha1: OID.sha1,
  sha224: OID.sha224,
  sha256: OID.sha256,
  sha384: OID.sha384,
  sha512: OID.sha512,
};

/**
 * `MacData ::= SEQUENCE { mac DigestInfo, macSalt OCTET STRING, iterations INTEGER DEFAULT 1 }` (RFC 7292 §4),
 * `DigestInfo ::= SEQUENCE { digestAlgorithm AlgorithmIdentifier, digest OCTET STRING }` (RFC 8017 A.2.4).
 */
export interface Pkcs12MacData {
  digestAlgorithm: AlgorithmId;
  digest: Buffer;
  macSalt: Buffer;
  /** As decoded: a number, or the decimal text of an INTEGER of four bytes or more. */
  iterations: number | string;
}

/** Decodes a MacData element. @throws BerShapeError */
export function readMacData(buf: Uint8Array, top: BerElement): Pkcs12MacData {
  if (top.tag !== 0x30) throw new BerShapeError('expected the MacData SEQUENCE');
  const [mac, salt, iterations, extra] = berChildren(buf, top);
  if (mac === undefined || !isSequenceTag(mac.tag) || extra) throw new BerShapeError('expected MacData');
  const [alg, digest, more] = berChildren(buf, mac);
  if (more) throw new BerShapeError('expected DigestInfo');
  return {
    digestAlgorithm: berAlgorithm(buf, alg),
    digest: berOctets(buf, digest),
    macSalt: berOctets(buf, salt),
    iterations: iterations === undefined ? 1 : berInteger(buf, iterations),
  };
}

/** HMAC-`hash` of `content` under the MAC key derived from the BMPString `password`. */
export function computePkcs12Mac(
  hash: Pkcs12Hash,
  password: Buffer,
  salt: Buffer,
  iterations: number,
  content: Buffer,
): Buffer {
  const key = pkcs12Kdf(hash, password, salt, iterations, 3, PKCS12_KDF_HASHES[hash].u);
  return createHmac(hash, key).update(content).digest();
}

/** The DER MacData for `content` (DigestInfo algorithm parameters are NULL, as OpenSSL writes them). */
export function makeMacData(
  hash: Pkcs12Hash,
  password: Buffer,
  salt: Buffer,
  iterations: number,
  content: Buffer,
): Buffer {
  const digestInfo = encodeSequence([
    encodeSequence([encodeOid(HASH_OIDS[hash]), DER_NULL]),
    encodeOctetString(computePkcs12Mac(hash, password, salt, iterations, content)),
  ]);
  // iterations is DEFAULT 1: DER leaves a default value out.
  const parts = [digestInfo, encodeOctetString(salt)];
  if (iterations !== 1) parts.push(encodeInteger(iterations));
  return Buffer.from(encodeSequence(parts));
}

/**
 * Verifies the MAC with `password` (for the empty password both `00 00` and the zero-length encoding are
 * tried, as OpenSSL and BoringSSL do).
 *
 * @returns the MAC hash name and the password encoding that matched (to try first when decrypting)
 * @throws CertfleetError PKCS12_UNSUPPORTED (e.g. PBMAC1 or MD5), PKCS12_PARSE (bad lengths/iterations),
 *   PKCS12_BAD_PASSWORD (no encoding of the password reproduces the MAC)
 */
export function verifyPkcs12Mac(
  macData: Pkcs12MacData,
  password: string,
  content: Buffer,
): { hash: Pkcs12Hash; password: Buffer } {
  const oid = macData.digestAlgorithm.algorithm;
  const hash = MAC_HASHES[oid];
  if (!hash) {
    throw new CertfleetError(
      'PKCS12_UNSUPPORTED',
      `PFX.macData uses the MAC algorithm ${oidName(oid)} (${oid}), which certfleet does not implement; ` +
        'supported: HMAC with SHA-1, SHA-224, SHA-256, SHA-384 or SHA-512.',
      { details: { oid, algorithm: oidName(oid), where: 'PFX.macData' } },
    );
  }
  const expected = macData.digest;
  const u = PKCS12_KDF_HASHES[hash].u;
  if (expected.length !== u) {
    throw new CertfleetError(
      'PKCS12_PARSE',
      `PFX.macData.mac.digest has ${expected.length} bytes; a ${hash} MAC has ${u}.`,
      { details: { where: 'PFX.macData.mac.digest' } },
    );
  }
  const iterations = macData.iterations;
  if (
    typeof iterations !== 'number' ||
    !Number.isSafeInteger(iterations) ||
    iterations < 1 ||
    iterations > 10_000_000
  ) {
    throw new CertfleetError(
      'PKCS12_PARSE',
      `PFX.macData.iterations ${iterations} is out of range (1..10000000).`,
      {
        details: { where: 'PFX.macData.iterations' },
      },
    );
  }
  const salt = macData.macSalt;
  for (const pw of pkcs12PasswordCandidates(password)) {
    if (timingSafeEqual(computePkcs12Mac(hash, pw, salt, iterations, content), expected)) {
      return { hash, password: pw };
    }
  }
  throw new CertfleetError(
    'PKCS12_BAD_PASSWORD',
    `The PKCS#12 password is wrong: the ${hash} MAC over the authenticated safe does not verify ` +
      '(OpenSSL says "Mac verify error"). Ask for the right password.',
    { details: { macAlgorithm: hash, where: 'PFX.macData' } },
  );
}
