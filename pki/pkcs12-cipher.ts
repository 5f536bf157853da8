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
import { AsnParser, AsnSerializer, OctetString } from '@peculiar/asn1-schema';
import { AlgorithmIdentifier } from '@peculiar/asn1-x509';
import { CertfleetError } from './errors.ts';
import { OID, oidName, Pbes2Params, Pbkdf2Params, Pkcs12PbeParams } from './pkcs12-asn1.ts';
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

/** DER NULL, the parameters of the HMAC PRF identifiers as OpenSSL writes them. */
const DER_NULL = new Uint8Array([0x05, 0x00]).buffer;

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
  params: ArrayBuffer | null | undefined,
  type: new () => T,
  what: string,
  where: string,
): T {
  if (!params) {
    throw new CertfleetError('PKCS12_PARSE', `${where}: the ${what} parameters are missing.`, {
      details: { where },
    });
  }
  try {
    return AsnParser.parse(params, type);
  } catch (cause) {
    throw new CertfleetError(
      'PKCS12_PARSE',
      `${where}: expected ${what} parameters, could not decode them.`,
      {
        cause,
        details: { where },
      },
    );
  }
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
 * Schemes already read, by the AlgorithmIdentifier they were read from: a parse names a safe's encryption
 * ({@link encryptionName}) and then decrypts it ({@link pbeDecrypt}) with the same object, and read its
 * parameters' ASN.1 twice (issue 11 point 2). Only what reads without error is kept; a bad one throws each time.
 */
const SCHEMES = new WeakMap<AlgorithmIdentifier, Scheme>();

function scheme(alg: AlgorithmIdentifier, where: string): Scheme {
  let s = SCHEMES.get(alg);
  if (s === undefined) {
    s = readScheme(alg, where);
    SCHEMES.set(alg, s);
  }
  return s;
}

function readScheme(alg: AlgorithmIdentifier, where: string): Scheme {
  const pbe = PKCS12_PBE[alg.algorithm];
  if (pbe) {
    const p = parseParams(alg.parameters, Pkcs12PbeParams, 'pkcs-12PbeParams', where);
    const salt = Buffer.from(p.salt.buffer);
    checkIterations(p.iterations, where);
    return {
      name: oidName(alg.algorithm),
      passwords: pkcs12PasswordCandidates,
      run: (pw, data, decrypt) => {
        const key = pkcs12Kdf('sha1', pw, salt, p.iterations, 1, pbe.keyLength);
        const iv = pkcs12Kdf('sha1', pw, salt, p.iterations, 2, pbe.ivLength);
        return runCipher(pbe.cipher, key, iv, data, decrypt);
      },
    };
  }
  if (alg.algorithm !== OID.pbes2) throw unsupported(alg.algorithm, where);
  const p = parseParams(alg.parameters, Pbes2Params, 'PBES2-params', where);
  if (p.keyDerivationFunc.algorithm !== OID.pbkdf2) {
    throw unsupported(p.keyDerivationFunc.algorithm, `${where} (PBES2 key derivation)`);
  }
  const enc = PBES2_CIPHERS[p.encryptionScheme.algorithm];
  if (!enc) throw unsupported(p.encryptionScheme.algorithm, `${where} (PBES2 encryption scheme)`);
  const kdf = parseParams(p.keyDerivationFunc.parameters, Pbkdf2Params, 'PBKDF2-params', where);
  const prfOid = kdf.prf?.algorithm ?? OID.hmacWithSHA1;
  const prf = PRFS[prfOid];
  if (!prf) throw unsupported(prfOid, `${where} (PBKDF2 PRF)`);
  checkIterations(kdf.iterationCount, where);
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
    iv = Buffer.from(AsnParser.parse(ivParam, OctetString).buffer);
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
  const salt = Buffer.from(kdf.salt.buffer);
  return {
    name: `PBES2/PBKDF2-HMAC-${prf.toUpperCase()}/${enc.cipher.toUpperCase()}`,
    passwords: (pw) => [Buffer.from(pw, 'utf8')],
    run: (pw, data, decrypt) => {
      const key = memoisedDerivation(`pbkdf2 ${prf} ${kdf.iterationCount} ${enc.keyLength}`, [salt, pw], () =>
        pbkdf2Sync(pw, salt, kdf.iterationCount, enc.keyLength, prf),
      );
      return runCipher(enc.cipher, key, iv, data, decrypt);
    },
  };
}

function checkIterations(n: number, where: string): void {
  if (!Number.isSafeInteger(n) || n < 1 || n > 10_000_000) {
    throw new CertfleetError(
      'PKCS12_PARSE',
      `${where}: iteration count ${n} is out of range (1..10000000).`,
      {
        details: { where },
      },
    );
  }
}

/** The display name of an encryption AlgorithmIdentifier, without deriving anything. */
export function encryptionName(alg: AlgorithmIdentifier, where: string): string {
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
  alg: AlgorithmIdentifier,
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

/**
 * Encrypts `data` with the profile's scheme: 'legacy' → pbeWithSHAAnd3-KeyTripleDES-CBC;
 * 'modern' → PBES2 (PBKDF2-HMAC-SHA256, AES-256-CBC). Returns the AlgorithmIdentifier and the ciphertext.
 */
export function pbeEncrypt(
  profile: Pkcs12Profile,
  password: string,
  data: Buffer,
  iterations: number,
  random: RandomBytes,
): { algorithm: AlgorithmIdentifier; ciphertext: Buffer } {
  if (profile === 'legacy') {
    const salt = takeRandom(random, PKCS12_SALT_LEN);
    const params = new Pkcs12PbeParams({ salt: new OctetString(salt), iterations });
    const algorithm = new AlgorithmIdentifier({
      algorithm: OID.pbeWithSHAAnd3KeyTripleDESCBC,
      parameters: AsnSerializer.serialize(params),
    });
    const pw = bmpPassword(password);
    const key = pkcs12Kdf('sha1', pw, salt, iterations, 1, 24);
    const iv = pkcs12Kdf('sha1', pw, salt, iterations, 2, 8);
    return { algorithm, ciphertext: runCipher('des-ede3-cbc', key, iv, data, false) };
  }
  const salt = takeRandom(random, PBKDF2_SALT_LEN);
  const iv = takeRandom(random, 16);
  const kdfParams = new Pbkdf2Params({
    salt: new OctetString(salt),
    iterationCount: iterations,
    prf: new AlgorithmIdentifier({ algorithm: OID.hmacWithSHA256, parameters: DER_NULL }),
  });
  const pbes2 = new Pbes2Params({
    keyDerivationFunc: new AlgorithmIdentifier({
      algorithm: OID.pbkdf2,
      parameters: AsnSerializer.serialize(kdfParams),
    }),
    encryptionScheme: new AlgorithmIdentifier({
      algorithm: OID.aes256Cbc,
      parameters: AsnSerializer.serialize(new OctetString(iv)),
    }),
  });
  const algorithm = new AlgorithmIdentifier({
    algorithm: OID.pbes2,
    parameters: AsnSerializer.serialize(pbes2),
  });
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
