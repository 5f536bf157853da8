/**
 * Password-based encryption for PKCS#12 bags and safes, with native node:crypto ciphers:
 * - the pkcs-12PbeIds schemes (RFC 7292 Appendix C): pbeWithSHAAnd3-KeyTripleDES-CBC (and the 2-key
 *   variant), key and IV from the RFC 7292 Appendix B KDF over the BMPString password;
 * - PBES2 (RFC 8018 §6.2) with PBKDF2 (HMAC-SHA1/224/256/384/512) and AES-128/192/256-CBC or
 *   DES-EDE3-CBC, over the UTF-8 password (as OpenSSL does).
 *
 * Anything else (RC2, RC4, PBES1, scrypt…) is reported as PKCS12_UNSUPPORTED naming the OID.
 *
 * @see https://www.rfc-editor.org/rfc/rfc7292#appendix-C
 * @see https://www.rfc-editor.org/rfc/rfc8018#section-6.2
 */
import { createCipheriv, createDecipheriv, pbkdf2Sync } from 'node:crypto';
import { DER_NULL, encodeInteger, encodeOctetString, encodeOid, encodeSequence } from './der.ts';
import { CertfleetError } from './errors.ts';
import {
  berAlgorithm,
  berChildren,
  berInteger,
  berOctets,
  BerShapeError,
  decodeBer,
  OID,
  oidName,
  type AlgorithmId,
  type BerElement,
} from './pkcs12-asn1.ts';
import { bmpPassword, memoisedDerivation, pkcs12Kdf, pkcs12PasswordCandidates } from './pkcs12-kdf.ts';

/** The two packaging profiles certfleet writes: see `buildPkcs12` in pkcs12.ts. */
export type Pkcs12Profile = 'legacy' | 'modern';

/** Supplies `n` random bytes (crypto.randomBytes by default; injectable for deterministic output). */
export type RandomBytes = (n: number) => Buffer;

/** Raised inside this module when decryption fails in a way that means "wrong key" (bad padding). */
export class Pkcs12DecryptError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'Pkcs12DecryptError';
  }
}

const PKCS12_PBE: Record<string, { cipher: string; keyLength: number; ivLength: number }> = {
  [OID.pbeWithSHAAnd3KeyTripleDESCBC]: { cipher: 'des-ede3-cbc', keyLength: 24, ivLength: 8 },
  [OID.pbeWithSHAAnd2KeyTripleDESCBC]: { cipher: 'des-ede-cbc', keyLength: 16, ivLength: 8 },
};

const PBES2_CIPHERS: Record<string, { cipher: string; keyLength: number; ivLength: number }> = {
  [OID.aes128Cbc]: { cipher: 'aes-128-cbc', keyLength: 16, ivLength: 16 },
  [OID.aes192Cbc]: { cipher: 'aes-192-cbc', keyLength: 24, ivLength: 16 },
  [OID.aes256Cbc]: { cipher: 'aes-256-cbc', keyLength: 32, ivLength: 16 },
  [OID.desEde3Cbc]: { cipher: 'des-ede3-cbc', keyLength: 24, ivLength: 8 },
};

const PRFS: Record<string, string> = {
  [OID.hmacWithSHA1]: 'sha1',
  [OID.hmacWithSHA224]: 'sha224',
  [OID.hmacWithSHA256]: 'sha256',
  [OID.hmacWithSHA384]: 'sha384',
  [OID.hmacWithSHA512]: 'sha512',
};

/** The elements of a SEQUENCE (or an implicitly tagged one) with at most `max` fields. */
function fields(buf: Uint8Array, top: BerElement, max: number): BerElement[] {
  if (top.tag !== 0x30) throw new BerShapeError('expected a SEQUENCE');
  const out = berChildren(buf, top);
  if (out.length > max) throw new BerShapeError(`${out.length} elements, at most ${max} expected`);
  return out;
}

/** `pkcs-12PbeParams ::= SEQUENCE { salt OCTET STRING, iterations INTEGER }` (RFC 7292 Appendix C). */
interface Pkcs12PbeParams {
  salt: Buffer;
  iterations: number | string;
}

function readPkcs12PbeParams(buf: Uint8Array, top: BerElement): Pkcs12PbeParams {
  const [salt, iterations] = fields(buf, top, 2);
  return { salt: berOctets(buf, salt), iterations: berInteger(buf, iterations) };
}

/**
 * `PBKDF2-params ::= SEQUENCE { salt CHOICE { specified OCTET STRING, otherSource AlgorithmIdentifier },
 * iterationCount INTEGER, keyLength INTEGER OPTIONAL, prf AlgorithmIdentifier DEFAULT algid-hmacWithSHA1 }`
 * (RFC 8018 Appendix A.2). Only the `specified` salt is read (otherSource is reserved).
 */
interface Pbkdf2Params {
  salt: Buffer;
  iterationCount: number | string;
  keyLength?: number | string;
  prf?: AlgorithmId;
}

function readPbkdf2Params(buf: Uint8Array, top: BerElement): Pbkdf2Params {
  const [salt, count, ...rest] = fields(buf, top, 4);
  const out: Pbkdf2Params = { salt: berOctets(buf, salt), iterationCount: berInteger(buf, count) };
  let next = rest.shift();
  if (next?.tag === 0x02) {
    out.keyLength = berInteger(buf, next);
    next = rest.shift();
  }
  if (next !== undefined) {
    out.prf = berAlgorithm(buf, next, true);
    next = rest.shift();
  }
  if (next !== undefined) throw new BerShapeError('unexpected element in PBKDF2-params');
  return out;
}

/** `PBES2-params ::= SEQUENCE { keyDerivationFunc AlgorithmIdentifier, encryptionScheme AlgorithmIdentifier }` (RFC 8018 A.4). */
function readPbes2Params(
  buf: Uint8Array,
  top: BerElement,
): { keyDerivationFunc: AlgorithmId; encryptionScheme: AlgorithmId } {
  const [kdf, enc] = fields(buf, top, 2);
  return { keyDerivationFunc: berAlgorithm(buf, kdf), encryptionScheme: berAlgorithm(buf, enc) };
}

/** A DER AlgorithmIdentifier. */
function derAlgorithm(oid: string, parameters: Uint8Array): Buffer {
  return Buffer.from(encodeSequence([encodeOid(oid), parameters]));
}

function unsupported(oid: string, where: string): CertfleetError {
  return new CertfleetError(
    'PKCS12_UNSUPPORTED',
    `${where} uses ${oidName(oid)} (${oid}), which certfleet does not implement; ` +
      'supported: pbeWithSHAAnd3-KeyTripleDES-CBC, pbeWithSHAAnd2-KeyTripleDES-CBC, and PBES2 with PBKDF2 ' +
      '(HMAC-SHA1/SHA-2) and AES-CBC or DES-EDE3-CBC. Re-export the file with one of those ' +
      '(e.g. `openssl pkcs12 -legacy -in old.p12 -nodes | openssl pkcs12 -export`).',
    { details: { oid, algorithm: oidName(oid), where } },
  );
}

function parseParams<T>(
  params: Buffer | undefined,
  read: (buf: Uint8Array, top: BerElement) => T,
  what: string,
  where: string,
): T {
  if (!params) {
    throw new CertfleetError('PKCS12_PARSE', `${where}: the ${what} parameters are missing.`, {
      details: { where },
    });
  }
  return decodeBer(params, read, (cause) => {
    return new CertfleetError(
      'PKCS12_PARSE',
      `${where}: expected ${what} parameters, could not decode them.`,
      {
        cause,
        details: { where },
      },
    );
  });
}

function runCipher(cipher: string, key: Buffer, iv: Buffer, data: Buffer, decrypt: boolean): Buffer {
  if (!decrypt) {
    const c = createCipheriv(cipher, key, iv);
    return Buffer.concat([c.update(data), c.final()]);
  }
  try {
    const d = createDecipheriv(cipher, key, iv);
    return Buffer.concat([d.update(data), d.final()]);
  } catch (cause) {
    throw new Pkcs12DecryptError(
      `${cipher} decryption failed (bad padding: wrong password or corrupt data)`,
      {
        cause,
      },
    );
  }
}

/** A parsed encryption scheme: how to get the key from password bytes, and the cipher. */
interface Scheme {
  /** Display name, e.g. 'pbeWithSHAAnd3-KeyTripleDES-CBC' or 'PBES2/PBKDF2-HMAC-SHA256/AES-256-CBC'. */
  name: string;
  /** Password encodings to try, in order. */
  passwords: (password: string) => Buffer[];
  run: (password: Buffer, data: Buffer, decrypt: boolean) => Buffer;
}

/**
 * Schemes already read, by the AlgorithmId they were read from: a parse names a safe's encryption
 * ({@link encryptionName}) and then decrypts it ({@link pbeDecrypt}) with the same object, and read its
 * parameters' ASN.1 twice (issue 11 point 2). Only what reads without error is kept; a bad one throws each time.
 */
const SCHEMES = new WeakMap<AlgorithmId, Scheme>();

function scheme(alg: AlgorithmId, where: string): Scheme {
  let s = SCHEMES.get(alg);
  if (s === undefined) {
    s = readScheme(alg, where);
    SCHEMES.set(alg, s);
  }
  return s;
}

function readScheme(alg: AlgorithmId, where: string): Scheme {
  const pbe = PKCS12_PBE[alg.algorithm];
  if (pbe) {
    const p = parseParams(alg.parameters, readPkcs12PbeParams, 'pkcs-12PbeParams', where);
    const salt = p.salt;
    const iterations = checkIterations(p.iterations, where);
    return {
      name: oidName(alg.algorithm),
      passwords: pkcs12PasswordCandidates,
      run: (pw, data, decrypt) => {
        const key = pkcs12Kdf('sha1', pw, salt, iterations, 1, pbe.keyLength);
        const iv = pkcs12Kdf('sha1', pw, salt, iterations, 2, pbe.ivLength);
        return runCipher(pbe.cipher, key, iv, data, decrypt);
      },
    };
  }
  if (alg.algorithm !== OID.pbes2) throw unsupported(alg.algorithm, where);
  const p = parseParams(alg.parameters, readPbes2Params, 'PBES2-params', where);
  if (p.keyDerivationFunc.algorithm !== OID.pbkdf2) {
    throw unsupported(p.keyDerivationFunc.algorithm, `${where} (PBES2 key derivation)`);
  }
  const enc = PBES2_CIPHERS[p.encryptionScheme.algorithm];
  if (!enc) throw unsupported(p.encryptionScheme.algorithm, `${where} (PBES2 encryption scheme)`);
  const kdf = parseParams(p.keyDerivationFunc.parameters, readPbkdf2Params, 'PBKDF2-params', where);
  const prfOid = kdf.prf?.algorithm ?? OID.hmacWithSHA1;
  const prf = PRFS[prfOid];
  if (!prf) throw unsupported(prfOid, `${where} (PBKDF2 PRF)`);
  const iterationCount = checkIterations(kdf.iterationCount, where);
  if (kdf.keyLength !== undefined && kdf.keyLength !== enc.keyLength) {
    throw new CertfleetError(
      'PKCS12_PARSE',
      `${where}: PBKDF2 keyLength ${kdf.keyLength} does not match ${enc.cipher} (${enc.keyLength} bytes).`,
      { details: { where } },
    );
  }
  const ivParam = p.encryptionScheme.parameters;
  let iv: Buffer;
  try {
    if (!ivParam) throw new Error('missing');
    iv = decodeBer(ivParam, berOctets, (cause) => cause as Error);
  } catch (cause) {
    throw new CertfleetError('PKCS12_PARSE', `${where}: expected the ${enc.cipher} IV as an OCTET STRING.`, {
      cause,
      details: { where },
    });
  }
  if (iv.length !== enc.ivLength) {
    throw new CertfleetError(
      'PKCS12_PARSE',
      `${where}: the ${enc.cipher} IV has ${iv.length} bytes, expected ${enc.ivLength}.`,
      { details: { where } },
    );
  }
  const salt = kdf.salt;
  return {
    name: `PBES2/PBKDF2-HMAC-${prf.toUpperCase()}/${enc.cipher.toUpperCase()}`,
    passwords: (pw) => [Buffer.from(pw, 'utf8')],
    run: (pw, data, decrypt) => {
      const key = memoisedDerivation(`pbkdf2 ${prf} ${iterationCount} ${enc.keyLength}`, [salt, pw], () =>
        pbkdf2Sync(pw, salt, iterationCount, enc.keyLength, prf),
      );
      return runCipher(enc.cipher, key, iv, data, decrypt);
    },
  };
}

function checkIterations(n: number | string, where: string): number {
  if (typeof n !== 'number' || !Number.isSafeInteger(n) || n < 1 || n > 10_000_000) {
    throw new CertfleetError(
      'PKCS12_PARSE',
      `${where}: iteration count ${n} is out of range (1..10000000).`,
      {
        details: { where },
      },
    );
  }
  return n;
}

/** The display name of an encryption AlgorithmId, without deriving anything. */
export function encryptionName(alg: AlgorithmId, where: string): string {
  return scheme(alg, where).name;
}

/**
 * Decrypts `data` encrypted under `alg` with `password`.
 *
 * @param preferred for the BMPString schemes, the password encoding the MAC matched (tried first)
 * @throws CertfleetError PKCS12_UNSUPPORTED for an algorithm not implemented, PKCS12_PARSE for bad parameters
 * @throws Pkcs12DecryptError when every password encoding fails to decrypt (bad padding)
 */
export function pbeDecrypt(
  alg: AlgorithmId,
  password: string,
  data: Buffer,
  where: string,
  preferred?: Buffer,
): Buffer {
  const s = scheme(alg, where);
  let candidates = s.passwords(password);
  if (preferred && candidates.some((c) => c.equals(preferred))) {
    candidates = [preferred, ...candidates.filter((c) => !c.equals(preferred))];
  }
  let last: unknown;
  for (const pw of candidates) {
    try {
      return s.run(pw, data, true);
    } catch (e) {
      if (!(e instanceof Pkcs12DecryptError)) throw e;
      last = e;
    }
  }
  throw last instanceof Error ? last : new Pkcs12DecryptError(`${where}: decryption failed`);
}

/** Salt lengths: 8 bytes for pkcs-12PbeParams (OpenSSL's PKCS12_SALT_LEN), 16 for PBKDF2 (RFC 8018 §4.1 ≥ 8; OpenSSL ≥ 3.2). */
const PKCS12_SALT_LEN = 8;
const PBKDF2_SALT_LEN = 16;
/** The AES-CBC IV: one AES block, 128 bits (FIPS 197 §3; CBC's IV is a block, NIST SP 800-38A §6.2). */
const AES_CBC_IV_LEN = 16;

/**
 * The random draws {@link pbeEncrypt} makes for `profile`, in order (bytes each): 'legacy' the 8-byte
 * pkcs-12PbeParams salt; 'modern' the 16-byte PBKDF2 salt, then the 16-byte AES IV.
 */
export function pbeRandomDraws(profile: Pkcs12Profile): number[] {
  return profile === 'legacy' ? [PKCS12_SALT_LEN] : [PBKDF2_SALT_LEN, AES_CBC_IV_LEN];
}

/**
 * Encrypts `data` with the profile's scheme: 'legacy' → pbeWithSHAAnd3-KeyTripleDES-CBC;
 * 'modern' → PBES2 (PBKDF2-HMAC-SHA256, AES-256-CBC). Returns the DER AlgorithmIdentifier and the ciphertext.
 *
 * @param drawn the random bytes of {@link pbeRandomDraws} for `profile`, one buffer per draw, in its order
 *   (the salt; the salt and the IV), each of its size (the caller draws them with {@link takeRandom})
 */
export function pbeEncrypt(
  profile: Pkcs12Profile,
  password: string,
  data: Buffer,
  iterations: number,
  drawn: readonly Buffer[],
): { algorithm: Buffer; ciphertext: Buffer } {
  if (profile === 'legacy') {
    const salt = drawn[0] as Buffer;
    const params = encodeSequence([encodeOctetString(salt), encodeInteger(iterations)]);
    const algorithm = derAlgorithm(OID.pbeWithSHAAnd3KeyTripleDESCBC, params);
    const pw = bmpPassword(password);
    const key = pkcs12Kdf('sha1', pw, salt, iterations, 1, 24);
    const iv = pkcs12Kdf('sha1', pw, salt, iterations, 2, 8);
    return { algorithm, ciphertext: runCipher('des-ede3-cbc', key, iv, data, false) };
  }
  const [salt, iv] = drawn as [Buffer, Buffer];
  const kdfParams = encodeSequence([
    encodeOctetString(salt),
    encodeInteger(iterations),
    derAlgorithm(OID.hmacWithSHA256, DER_NULL),
  ]);
  const pbes2 = encodeSequence([
    derAlgorithm(OID.pbkdf2, kdfParams),
    derAlgorithm(OID.aes256Cbc, encodeOctetString(iv)),
  ]);
  const algorithm = derAlgorithm(OID.pbes2, pbes2);
  const utf8 = Buffer.from(password, 'utf8');
  const key = memoisedDerivation(`pbkdf2 sha256 ${iterations} 32`, [salt, utf8], () =>
    pbkdf2Sync(utf8, salt, iterations, 32, 'sha256'),
  );
  return { algorithm, ciphertext: runCipher('aes-256-cbc', key, iv, data, false) };
}

/** Calls `random(n)` and checks that it kept its contract. */
export function takeRandom(random: RandomBytes, n: number): Buffer {
  const b = random(n);
  if (!Buffer.isBuffer(b) || b.length !== n) {
    throw new CertfleetError(
      'INTERNAL',
      `The injected random source returned ${b?.length} bytes, ${n} were asked.`,
    );
  }
  return b;
}
