/**
 * PKCS#12 (PFX) build, parse and re-wrap with native crypto (RFC 7292), in the two shapes devices need:
 *
 * - `legacy`: shrouded key bag and certificate safe encrypted with pbeWithSHAAnd3-KeyTripleDES-CBC, SHA-1
 *   MAC — what older Apple and Android devices (and Windows before 10 1709) open;
 * - `modern`: PBES2 (PBKDF2-HMAC-SHA256, AES-256-CBC) for key and certificates, SHA-256 MAC — what
 *   `openssl pkcs12 -export` writes by default in OpenSSL 3.
 *
 * The layout follows OpenSSL's: AuthenticatedSafe = [EncryptedData(SafeContents of CertBags),
 * Data(SafeContents of one PKCS8ShroudedKeyBag)], the leaf's CertBag and the key bag linked by a
 * localKeyId attribute (SHA-1 of the leaf certificate's DER) and, when given, a friendlyName.
 *
 * @see https://www.rfc-editor.org/rfc/rfc7292
 * @example
 * const p12 = buildPkcs12({ privateKey, certificates: [leafDer, caDer], password: 'pw', profile: 'modern' });
 * const { privateKey: k, certificates } = parsePkcs12(p12, 'pw');
 */
import { createHash, randomBytes, type KeyObject, type X509Certificate } from 'node:crypto';
import { encodeInteger, encodeOctetString, encodeOid, encodeSequence, encodeTlv } from './der.ts';
import { CertfleetError } from './errors.ts';
import { privateKeyFromPkcs8 } from './keys.ts';
import { x509Of } from './node-x509.ts';
import {
  berAlgorithm,
  berBytes,
  berChildren,
  berContent,
  berInteger,
  berOctets,
  berOid,
  BerShapeError,
  isSequenceTag,
  decodeBer,
  derBmpString,
  OID,
  readBerOctetString,
  readBmpString,
  readPrimitive,
  readTlvHeader,
  type AlgorithmId,
  type BerElement,
} from './pkcs12-asn1.ts';
import {
  encryptionName,
  pbeDecrypt,
  pbeEncrypt,
  pbeRandomDraws,
  Pkcs12DecryptError,
  takeRandom,
  type Pkcs12Profile,
  type RandomBytes,
} from './pkcs12-cipher.ts';
import { bmpPassword } from './pkcs12-kdf.ts';
import { makeMacData, readMacData, verifyPkcs12Mac, type Pkcs12MacData } from './pkcs12-mac.ts';

export type { Pkcs12Profile, RandomBytes } from './pkcs12-cipher.ts';

/** Default PBE and MAC iteration count (OpenSSL's PKCS12_DEFAULT_ITER). */
export const PKCS12_DEFAULT_ITERATIONS = 2048;

/** The MAC salt: 8 bytes, as OpenSSL's PKCS12_SALT_LEN. */
const PKCS12_MAC_SALT_LEN = 8;

/** Display names of the schemes the two profiles use (as reported by {@link parsePkcs12}). */
export const PKCS12_PROFILE_ALGORITHMS = {
  legacy: { mac: 'sha1', encryption: 'pbeWithSHAAnd3-KeyTripleDES-CBC' },
  modern: { mac: 'sha256', encryption: 'PBES2/PBKDF2-HMAC-SHA256/AES-256-CBC' },
} as const satisfies Record<Pkcs12Profile, { mac: string; encryption: string }>;

/** Input of {@link buildPkcs12}. */
export interface BuildPkcs12Options {
  /** The identity's private key (any type node:crypto can export as PKCS#8: RSA, EC, Ed25519…). */
  privateKey: KeyObject;
  /** DER certificates: the leaf (matching `privateKey`) first, then its chain. */
  certificates: Buffer[];
  /** The password; may be empty (Android ONC wants an empty passphrase). Never appears in errors. */
  password: string;
  /** 'legacy' (3DES + SHA-1 MAC) or 'modern' (PBES2 AES-256-CBC + SHA-256 MAC). */
  profile: Pkcs12Profile;
  /** Written as the friendlyName attribute of the key bag and the leaf's certificate bag. */
  friendlyName?: string;
  /** PBE and MAC iteration count; default {@link PKCS12_DEFAULT_ITERATIONS}. */
  iterations?: number;
  /** Random source for salts and IVs; default crypto.randomBytes. Inject one for deterministic bytes. */
  random?: RandomBytes;
}

/** What {@link parsePkcs12} found. */
export interface ParsedPkcs12 {
  privateKey: KeyObject;
  /** DER certificates: the one matching the key first, then its issuers in chain order, then the rest. */
  certificates: Buffer[];
  /** friendlyName of the key bag (or of the leaf's certificate bag). */
  friendlyName?: string;
  /** 'legacy' / 'modern' when the file uses exactly that profile's algorithms, else 'other'. */
  profile: Pkcs12Profile | 'other';
  /** MAC hash ('sha1', 'sha256'…) or 'none' for a PFX without MacData. */
  macAlgorithm: string;
  /** Encryption of the key bag and of the certificate safe(s) ('none' when unencrypted). */
  encryption: { key: string; certificates: string };
}

/**
 * Builds a password-protected PKCS#12 holding one private key and its certificate chain.
 *
 * @throws CertfleetError USAGE for bad arguments (no certificate, key not matching the leaf, bad
 *   iteration count), CERT_PARSE for a certificate that is not DER X.509
 */
export function buildPkcs12(options: BuildPkcs12Options): Buffer {
  const { privateKey, certificates, password, profile, friendlyName } = options;
  const iterations = options.iterations ?? PKCS12_DEFAULT_ITERATIONS;
  const random = options.random ?? randomBytes;
  checkBuildOptions(options, iterations);
  const drawn = drawBuildRandom(random, profile);
  const leaf = certificates[0] as Buffer;
  const localKeyId = createHash('sha1').update(leaf).digest();
  const attributes = bagAttributes(friendlyName, localKeyId);

  const certBags = certificates.map((der, i) =>
    safeBag(
      OID.certBag,
      encodeSequence([encodeOid(OID.x509Certificate), encodeTlv(0xa0, encodeOctetString(der))]),
      i === 0 ? attributes : undefined,
    ),
  );
  const certSafe = Buffer.from(encodeSequence(certBags));
  const certEnc = pbeEncrypt(profile, password, certSafe, iterations, drawn.certificates);
  // CMS EncryptedData { version 0, EncryptedContentInfo { data, algorithm, [0] IMPLICIT OCTET STRING } }
  const encryptedData = encodeSequence([
    encodeInteger(0),
    encodeSequence([encodeOid(OID.data), certEnc.algorithm, encodeTlv(0x80, certEnc.ciphertext)]),
  ]);

  // not remembered for a parse here (exportPrivateKeyDer): a build runs on the pool's threads, whose memo
  // would only hold keys, and a parse that misses imports from the key's numbers (keys.ts)
  const pkcs8 = privateKey.export({ type: 'pkcs8', format: 'der' });
  const keyEnc = pbeEncrypt(profile, password, pkcs8, iterations, drawn.key);
  // EncryptedPrivateKeyInfo { encryptionAlgorithm, encryptedData OCTET STRING } (RFC 5208 §6)
  const shrouded = encodeSequence([keyEnc.algorithm, encodeOctetString(keyEnc.ciphertext)]);
  const keySafe = encodeSequence([safeBag(OID.pkcs8ShroudedKeyBag, shrouded, attributes)]);

  const authSafe = Buffer.from(
    encodeSequence([
      contentInfo(OID.encryptedData, encryptedData),
      contentInfo(OID.data, encodeOctetString(keySafe)),
    ]),
  );
  const macSalt = drawn.mac[0] as Buffer;
  const macHash = profile === 'legacy' ? 'sha1' : 'sha256';
  return Buffer.from(
    encodeSequence([
      encodeInteger(3),
      contentInfo(OID.data, encodeOctetString(authSafe)),
      makeMacData(macHash, bmpPassword(password), macSalt, iterations, authSafe),
    ]),
  );
}

/** `ContentInfo ::= SEQUENCE { contentType OBJECT IDENTIFIER, content [0] EXPLICIT ANY }` (RFC 5652 §3). */
function contentInfo(type: string, content: Uint8Array): Uint8Array {
  return encodeSequence([encodeOid(type), encodeTlv(0xa0, content)]);
}

/** `SafeBag ::= SEQUENCE { bagId, bagValue [0] EXPLICIT, bagAttributes SET OF PKCS12Attribute OPTIONAL }` (RFC 7292 §4.2). */
function safeBag(bagId: string, value: Uint8Array, attributes: Uint8Array[] | undefined): Uint8Array {
  const parts = [encodeOid(bagId), encodeTlv(0xa0, value)];
  if (attributes) parts.push(encodeTlv(0x31, Buffer.concat(attributes)));
  return encodeSequence(parts);
}

function checkBuildOptions(o: BuildPkcs12Options, iterations: number): void {
  if (o.profile !== 'legacy' && o.profile !== 'modern') {
    throw new CertfleetError(
      'USAGE',
      `Unknown PKCS#12 profile '${String(o.profile)}'; use 'legacy' or 'modern'.`,
    );
  }
  if (!Number.isSafeInteger(iterations) || iterations < 1) {
    throw new CertfleetError('USAGE', `PKCS#12 iterations must be a positive integer, got ${iterations}.`);
  }
  if (typeof o.password !== 'string') {
    throw new CertfleetError('USAGE', 'The PKCS#12 password must be a string (use "" for no password).');
  }
  if (o.privateKey?.type !== 'private') {
    throw new CertfleetError('USAGE', 'buildPkcs12 needs a private KeyObject (createPrivateKey(…)).');
  }
  if (!Array.isArray(o.certificates) || o.certificates.length === 0) {
    throw new CertfleetError(
      'USAGE',
      'buildPkcs12 needs at least the leaf certificate (DER) in `certificates`.',
    );
  }
  o.certificates.forEach((der, i) => {
    let cert: X509Certificate;
    try {
      cert = x509Of(der);
    } catch (cause) {
      throw new CertfleetError('CERT_PARSE', `certificates[${i}] is not a DER X.509 certificate.`, {
        cause,
        details: { index: i },
      });
    }
    if (i === 0 && !cert.checkPrivateKey(o.privateKey)) {
      throw new CertfleetError(
        'USAGE',
        `certificates[0] (${cert.subject.replace(/\n/g, ', ')}) does not match the private key; ` +
          'put the leaf certificate of that key first.',
      );
    }
  });
}

/** The bag attributes (`SEQUENCE { attrId, attrValues SET OF }`, one value each), in DER SET OF order. */
function bagAttributes(friendlyName: string | undefined, localKeyId: Buffer): Uint8Array[] {
  const attrs: Uint8Array[] = [];
  const make = (id: string, value: Uint8Array): void => {
    attrs.push(encodeSequence([encodeOid(id), encodeTlv(0x31, value)]));
  };
  if (friendlyName !== undefined) make(OID.friendlyName, derBmpString(friendlyName));
  make(OID.localKeyId, encodeOctetString(localKeyId));
  return attrs.sort((a, b) => Buffer.compare(a, b));
}

// ------------------------------------------------------------------------------------------------
// Parsing

/**
 * Why a PKCS#12 that decodes is still no identity (`details.identity` of its PKCS12_PARSE): no key bag, several
 * key bags, or a key no certificate matches — a device may answer these differently from undecodable bytes
 * (Apple: 9006 "Certificate is not an identity", 9001 "Too many certificates in a payload").
 */
export type Pkcs12IdentityProblem = 'no-key' | 'several-keys' | 'no-matching-certificate';

function parseError(
  where: string,
  message: string,
  cause?: unknown,
  identity?: Pkcs12IdentityProblem,
): CertfleetError {
  return new CertfleetError('PKCS12_PARSE', `Not a readable PKCS#12 at ${where}: ${message}`, {
    cause,
    details: { where, ...(identity !== undefined && { identity }) },
  });
}

function decodeAt<T>(
  bytes: Uint8Array,
  read: (buf: Uint8Array, top: BerElement) => T,
  where: string,
  expected: string,
): T {
  return decodeBer(bytes, read, (cause) =>
    parseError(where, `expected ${expected}; the bytes do not decode as that.`, cause),
  );
}

// The PKCS#12 structures, decoded straight from BER (RFC 7292 §4, RFC 5652 §3 and §8, RFC 5208 §6). A
// decoder reads the fields it knows and refuses a SEQUENCE with more, as the schema decoder did (see
// pkcs12-asn1.ts); anything that does not decode is a BerShapeError, which decodeAt turns into PKCS12_PARSE.

interface ContentInfo {
  contentType: string;
  /** The element inside `[0] EXPLICIT`, whole. */
  content: Buffer;
}

interface SafeBag {
  bagId: string;
  bagValue: Buffer;
  bagAttributes: { attrId: string; attrValues: Buffer[] }[];
}

/**
 * The elements of a SEQUENCE with at most `max` fields (a SEQUENCE OF when `max` is omitted). A required
 * field or an item of a SEQUENCE OF (`implicitOk`) may carry a constructed context-specific tag instead
 * (the schema decoder read it as implicitly tagged); an optional field or an attribute of a SET OF may not.
 */
function sequence(
  buf: Uint8Array,
  el: BerElement | undefined,
  what: string,
  max = Infinity,
  implicitOk = false,
): BerElement[] {
  if (el === undefined || (implicitOk ? !isSequenceTag(el.tag) : el.tag !== 0x30))
    throw new BerShapeError(`expected ${what} (SEQUENCE)`);
  const fields = berChildren(buf, el);
  if (fields.length > max)
    throw new BerShapeError(`${what} has ${fields.length} elements, at most ${max} expected`);
  return fields;
}

/** The single element inside an `[n] EXPLICIT` (tag `0xa0 | n`). */
function explicit(buf: Uint8Array, el: BerElement | undefined, tag: number): Buffer {
  if (el?.tag !== tag) throw new BerShapeError(`expected [${tag & 0x1f}]`);
  const [inner] = berChildren(buf, el);
  if (!inner) throw new BerShapeError(`[${tag & 0x1f}] is empty`);
  return berBytes(buf, inner);
}

function readContentInfo(buf: Uint8Array, el: BerElement | undefined, implicitOk = false): ContentInfo {
  const [type, content] = sequence(buf, el, 'ContentInfo', 2, implicitOk);
  return { contentType: berOid(buf, type), content: explicit(buf, content, 0xa0) };
}

function readPfx(
  buf: Uint8Array,
  top: BerElement,
): { version: number | string; authSafe: ContentInfo; macData?: Pkcs12MacData } {
  const [version, authSafe, macData] = sequence(buf, top, 'PFX', 3);
  return {
    version: berInteger(buf, version),
    authSafe: readContentInfo(buf, authSafe, true),
    ...(macData ? { macData: readMacData(buf, macData) } : {}),
  };
}

function readAuthenticatedSafe(buf: Uint8Array, top: BerElement): ContentInfo[] {
  return sequence(buf, top, 'AuthenticatedSafe').map((el) => readContentInfo(buf, el, true));
}

/** CMS EncryptedData's algorithm and ciphertext (`[0] IMPLICIT` OCTET STRING, primitive or in segments). */
function readEncryptedData(
  buf: Uint8Array,
  top: BerElement,
): { algorithm: AlgorithmId; ciphertext?: Buffer } {
  const [version, eci, unprotected] = sequence(buf, top, 'EncryptedData', 3);
  if (unprotected !== undefined && (unprotected.tag & 0xdf) !== 0x81) {
    throw new BerShapeError('expected [1] unprotectedAttrs');
  }
  berInteger(buf, version);
  const [type, alg, content] = sequence(buf, eci, 'EncryptedContentInfo', 3, true);
  berOid(buf, type);
  const algorithm = berAlgorithm(buf, alg);
  if (content?.tag === 0x80) return { algorithm, ciphertext: berContent(buf, content) };
  if (content !== undefined && content.tag !== 0xa0) throw new BerShapeError('expected [0] encryptedContent');
  if (content?.tag === 0xa0) {
    return {
      algorithm,
      ciphertext: Buffer.concat(berChildren(buf, content).map((seg) => berOctets(buf, seg))),
    };
  }
  return { algorithm };
}

function readSafeContents(buf: Uint8Array, top: BerElement): SafeBag[] {
  return sequence(buf, top, 'SafeContents').map((el) => {
    const [id, value, attrs] = sequence(buf, el, 'SafeBag', 3, true);
    const bag: SafeBag = { bagId: berOid(buf, id), bagValue: explicit(buf, value, 0xa0), bagAttributes: [] };
    if (attrs !== undefined && attrs.tag !== 0x31) throw new BerShapeError('expected the bag attributes SET');
    for (const a of attrs === undefined ? [] : berChildren(buf, attrs)) {
      const [attrId, values] = sequence(buf, a, 'PKCS12Attribute', 2);
      if (values?.tag !== 0x31) throw new BerShapeError('expected the attribute values SET');
      bag.bagAttributes.push({
        attrId: berOid(buf, attrId),
        attrValues: berChildren(buf, values).map((v) => berBytes(buf, v)),
      });
    }
    return bag;
  });
}

function readCertBag(buf: Uint8Array, top: BerElement): { certId: string; certValue: Buffer } {
  const [id, value] = sequence(buf, top, 'CertBag', 2);
  return { certId: berOid(buf, id), certValue: explicit(buf, value, 0xa0) };
}

function readEncryptedPrivateKeyInfo(
  buf: Uint8Array,
  top: BerElement,
): { algorithm: AlgorithmId; encryptedData: Buffer } {
  const [alg, data] = sequence(buf, top, 'EncryptedPrivateKeyInfo', 2);
  return { algorithm: berAlgorithm(buf, alg), encryptedData: berOctets(buf, data) };
}

/** The value of an OCTET STRING (DER primitive, or BER constructed of segments); nothing may follow it. */
function octetStringValue(buf: Uint8Array, where: string): Buffer {
  const r = readBerOctetString(buf);
  if (typeof r === 'string') throw parseError(where, `${r}.`);
  if (r.consumed !== buf.length)
    throw parseError(where, `${buf.length - r.consumed} unexpected byte(s) after the OCTET STRING.`);
  return r.value;
}

/** Rejects input that is plainly not a DER PFX before handing it to the ASN.1 parser. */
function checkEnvelope(buf: Buffer): void {
  const head = buf.subarray(0, 64).toString('latin1');
  if (head.trimStart().startsWith('-----BEGIN')) {
    throw parseError(
      'byte 0',
      'this is PEM text, but a PKCS#12 is binary DER. Convert it (`openssl pkcs12 -export`) or pass the DER bytes.',
    );
  }
  if (/^\s*MII[A-Za-z0-9+/]/.test(head)) {
    throw parseError('byte 0', 'this looks like base64 text; base64-decode it to the DER bytes first.');
  }
  const h = readTlvHeader(buf);
  if (typeof h === 'string') throw parseError('byte 0', `expected a DER SEQUENCE (PFX); ${h}.`);
  if (h.tag !== 0x30) {
    throw parseError(
      'byte 0',
      `expected a SEQUENCE (tag 0x30) starting the PFX, found tag 0x${h.tag.toString(16)}.`,
    );
  }
  if (h.length !== undefined) {
    const total = h.headerLength + h.length;
    if (buf.length < total) {
      throw parseError(
        'PFX',
        `truncated: the PFX SEQUENCE declares ${total} bytes but only ${buf.length} are present.`,
      );
    }
    if (buf.length > total) {
      throw parseError(
        'PFX',
        `${buf.length - total} unexpected byte(s) after the PFX SEQUENCE (${total} bytes).`,
      );
    }
  }
}

interface Bag {
  kind: 'key' | 'cert';
  where: string;
  der: Buffer;
  /** The parsed certificate (cert bags only). */
  x509?: X509Certificate;
  localKeyId?: Buffer;
  friendlyName?: string;
  encryption: string;
  /**
   * Decrypted under a password no MAC confirmed: a wrong password passes the CBC padding check about
   * once in 256 tries and yields garbage, so garbage here means "wrong password", not "corrupt file".
   */
  unconfirmed?: boolean;
}

interface WalkState {
  password: string;
  macPassword: Buffer | undefined;
  hasMac: boolean;
  bags: Bag[];
}

/**
 * Parses a PKCS#12 and returns its private key and certificates.
 *
 * Reads both certfleet profiles, `openssl pkcs12 -export` output (PBES2/AES or 3DES), unencrypted
 * certificate safes, plain key bags and nested SafeContents. The MAC is checked before anything is
 * decrypted; for the empty password both encodings (`00 00` and zero-length) are tried.
 *
 * @throws CertfleetError PKCS12_PARSE (not DER, not a PFX, truncated, no key or no matching certificate —
 *   the message says what was expected where), PKCS12_BAD_PASSWORD (MAC mismatch; or, without a MAC, a
 *   decryption padding error or decrypted bytes that are not DER), PKCS12_UNSUPPORTED (an algorithm not implemented, named with its OID)
 */
export function parsePkcs12(blob: Buffer | Uint8Array, password: string): ParsedPkcs12 {
  const buf = Buffer.isBuffer(blob) ? blob : Buffer.from(blob.buffer, blob.byteOffset, blob.byteLength);
  checkEnvelope(buf);
  const pfx = decodeAt(buf, readPfx, 'PFX', 'PFX ::= SEQUENCE { version, authSafe ContentInfo, macData }');
  if (pfx.version !== 3) throw parseError('PFX.version', `expected version 3, found ${pfx.version}.`);
  if (pfx.authSafe.contentType === OID.signedData) {
    throw new CertfleetError(
      'PKCS12_UNSUPPORTED',
      `PFX.authSafe is signedData (${OID.signedData}): public-key integrity mode is not implemented; ` +
        'only password integrity (MacData) is.',
      { details: { oid: OID.signedData, algorithm: 'signedData', where: 'PFX.authSafe' } },
    );
  }
  if (pfx.authSafe.contentType !== OID.data) {
    throw parseError(
      'PFX.authSafe.contentType',
      `expected data (${OID.data}), found ${pfx.authSafe.contentType}.`,
    );
  }
  const authSafeBytes = octetStringValue(pfx.authSafe.content, 'PFX.authSafe.content');
  const safes = decodeAt(
    authSafeBytes,
    readAuthenticatedSafe,
    'AuthenticatedSafe',
    'SEQUENCE OF ContentInfo',
  );

  let macAlgorithm = 'none';
  let macPassword: Buffer | undefined;
  if (pfx.macData) {
    const ok = verifyPkcs12Mac(pfx.macData, password, authSafeBytes);
    macAlgorithm = ok.hash;
    macPassword = ok.password;
  }

  const state: WalkState = { password, macPassword, hasMac: pfx.macData !== undefined, bags: [] };
  safes.forEach((ci, i) => readSafe(ci, `AuthenticatedSafe[${i}]`, state));
  return assemble(state.bags, macAlgorithm);
}

function readSafe(ci: ContentInfo, where: string, state: WalkState): void {
  let safeBytes: Buffer;
  let encryption = 'none';
  if (ci.contentType === OID.data) {
    safeBytes = octetStringValue(ci.content, `${where}.content`);
  } else if (ci.contentType === OID.encryptedData) {
    const { algorithm: alg, ciphertext } = decodeAt(
      ci.content,
      readEncryptedData,
      `${where}.content`,
      'CMS EncryptedData',
    );
    if (!ciphertext) throw parseError(`${where}.encryptedContentInfo`, 'the encryptedContent is missing.');
    encryption = encryptionName(alg, `${where} (certificate safe encryption)`);
    safeBytes = decrypt(alg, ciphertext, `${where} (encrypted SafeContents)`, state);
  } else if (ci.contentType === OID.envelopedData) {
    throw new CertfleetError(
      'PKCS12_UNSUPPORTED',
      `${where} is envelopedData (${OID.envelopedData}): public-key privacy mode is not implemented.`,
      { details: { oid: OID.envelopedData, algorithm: 'envelopedData', where } },
    );
  } else {
    throw parseError(`${where}.contentType`, `expected data or encryptedData, found ${ci.contentType}.`);
  }
  const contents = decodeBer(safeBytes, readSafeContents, (cause) =>
    encryption !== 'none' && !state.hasMac
      ? garbledWithoutMac(where, cause)
      : parseError(
          where,
          'expected SafeContents (SEQUENCE OF SafeBag); the bytes do not decode as that.',
          cause,
        ),
  );
  readBags(contents, where, encryption, state);
}

function decrypt(alg: AlgorithmId, data: Buffer, where: string, state: WalkState): Buffer {
  try {
    return pbeDecrypt(alg, state.password, data, where, state.macPassword);
  } catch (e) {
    if (!(e instanceof Pkcs12DecryptError)) throw e;
    throw new CertfleetError(
      'PKCS12_BAD_PASSWORD',
      state.hasMac
        ? `${where}: the MAC verifies but decryption fails, so the file uses a different privacy password ` +
            '(two-password mode); ask for that password.'
        : `${where}: decryption fails (bad padding) and the file has no MAC: the password is wrong.`,
      { cause: e, details: { where } },
    );
  }
}

function garbledWithoutMac(where: string, cause: unknown): CertfleetError {
  return new CertfleetError(
    'PKCS12_BAD_PASSWORD',
    `${where}: the decrypted data is not valid DER and the file has no MAC: the password is most likely wrong.`,
    { cause, details: { where } },
  );
}

function readBags(contents: SafeBag[], where: string, encryption: string, state: WalkState): void {
  contents.forEach((bag, j) => {
    const at = `${where}.SafeContents[${j}]`;
    const attrs = readAttributes(bag, at);
    if (bag.bagId === OID.certBag) {
      const cb = decodeAt(bag.bagValue, readCertBag, `${at}.certBag`, 'CertBag');
      if (cb.certId !== OID.x509Certificate) return; // SDSI certificates and others are not identities
      const der = Buffer.from(octetStringValue(cb.certValue, `${at}.certBag.certValue`));
      let x509: X509Certificate;
      try {
        x509 = x509Of(der);
      } catch (cause) {
        throw parseError(`${at}.certBag.certValue`, 'expected a DER X.509 certificate.', cause);
      }
      state.bags.push({ kind: 'cert', where: at, der, x509, encryption, ...attrs });
    } else if (bag.bagId === OID.pkcs8ShroudedKeyBag) {
      const epki = decodeAt(bag.bagValue, readEncryptedPrivateKeyInfo, at, 'EncryptedPrivateKeyInfo');
      const name = encryptionName(epki.algorithm, `${at} (shrouded key bag)`);
      const der = decrypt(epki.algorithm, epki.encryptedData, `${at} (shrouded key bag)`, state);
      state.bags.push({
        kind: 'key',
        where: at,
        der,
        encryption: name,
        unconfirmed: !state.hasMac,
        ...attrs,
      });
    } else if (bag.bagId === OID.keyBag) {
      state.bags.push({
        kind: 'key',
        where: at,
        der: Buffer.from(bag.bagValue),
        encryption: 'none',
        ...attrs,
      });
    } else if (bag.bagId === OID.safeContentsBag) {
      const nested = decodeAt(bag.bagValue, readSafeContents, at, 'nested SafeContents');
      readBags(nested, at, encryption, state);
    }
    // CRL and secret bags carry nothing an identity needs; they are skipped.
  });
}

function readAttributes(bag: SafeBag, at: string): { localKeyId?: Buffer; friendlyName?: string } {
  const out: { localKeyId?: Buffer; friendlyName?: string } = {};
  for (const a of bag.bagAttributes) {
    const first = a.attrValues[0];
    if (!first) continue;
    if (a.attrId === OID.localKeyId) {
      const v = readPrimitive(first, 0x04);
      if (!v) throw parseError(`${at}.localKeyId`, 'expected an OCTET STRING.');
      out.localKeyId = v;
    } else if (a.attrId === OID.friendlyName) {
      const v = readBmpString(first);
      if (v === undefined) throw parseError(`${at}.friendlyName`, 'expected a BMPString.');
      out.friendlyName = v;
    }
  }
  return out;
}

function assemble(bags: Bag[], macAlgorithm: string): ParsedPkcs12 {
  const keys = bags.filter((b) => b.kind === 'key');
  const certBags = bags.filter((b) => b.kind === 'cert');
  if (keys.length !== 1) {
    throw parseError(
      'SafeContents',
      keys.length === 0
        ? 'no private key bag found; a PKCS#12 identity needs exactly one.'
        : `${keys.length} private key bags found; a PKCS#12 identity needs exactly one.`,
      undefined,
      keys.length === 0 ? 'no-key' : 'several-keys',
    );
  }
  const keyBag = keys[0] as Bag;
  let privateKey: KeyObject;
  try {
    privateKey = privateKeyFromPkcs8(keyBag.der);
  } catch (cause) {
    if (keyBag.unconfirmed) throw garbledWithoutMac(keyBag.where, cause);
    throw parseError(keyBag.where, 'expected a PKCS#8 PrivateKeyInfo inside the key bag.', cause);
  }
  const certs = certBags.map((b) => ({ bag: b, x509: b.x509 ?? x509Of(b.der) }));
  const byKey = certs.filter((c) => c.x509.checkPrivateKey(privateKey));
  const byId = (c: (typeof certs)[number]): boolean =>
    !!keyBag.localKeyId && !!c.bag.localKeyId && keyBag.localKeyId.equals(c.bag.localKeyId);
  const leaf = byKey.find(byId) ?? byKey[0] ?? certs.find(byId);
  if (!leaf) {
    throw parseError(
      'SafeContents',
      'no certificate matches the private key (by public key or localKeyId).',
      undefined,
      'no-matching-certificate',
    );
  }
  // Leaf first, then its issuers as far as they are present, then whatever else is in the file.
  const ordered = [leaf];
  let rest = certs.filter((c) => c !== leaf);
  for (let cur = leaf; ;) {
    const issuer = rest.find(
      (c) => cur.x509.checkIssued(c.x509) && c.x509.fingerprint256 !== cur.x509.fingerprint256,
    );
    if (!issuer) break;
    ordered.push(issuer);
    rest = rest.filter((c) => c !== issuer);
    cur = issuer;
  }
  ordered.push(...rest);

  const certEncryptions = [...new Set(certBags.map((b) => b.encryption))];
  const encryption = { key: keyBag.encryption, certificates: certEncryptions.join(', ') || 'none' };
  const friendlyName = keyBag.friendlyName ?? leaf.bag.friendlyName;
  const result: ParsedPkcs12 = {
    privateKey,
    certificates: ordered.map((c) => c.bag.der),
    profile: detectProfile(macAlgorithm, encryption),
    macAlgorithm,
    encryption,
  };
  if (friendlyName !== undefined) result.friendlyName = friendlyName;
  return result;
}

function detectProfile(mac: string, enc: { key: string; certificates: string }): Pkcs12Profile | 'other' {
  for (const profile of ['legacy', 'modern'] as const) {
    const p = PKCS12_PROFILE_ALGORITHMS[profile];
    if (mac === p.mac && enc.key === p.encryption && enc.certificates === p.encryption) return profile;
  }
  return 'other';
}

/** The parts of a build that draw random bytes. */
type BuildDrawPart = 'certificates' | 'key' | 'mac';

/**
 * The random draws of {@link buildPkcs12} for `profile`, in the order the build makes them — the one place that
 * order is stated: the certificate safe's PBE salt (and IV for PBES2), the key bag's, then the MAC salt. The
 * build draws its bytes through {@link drawBuildRandom}, and {@link pkcs12RandomDraws} lists this plan.
 */
function buildDrawPlan(profile: Pkcs12Profile): { part: BuildDrawPart; sizes: number[] }[] {
  return [
    { part: 'certificates', sizes: pbeRandomDraws(profile) },
    { part: 'key', sizes: pbeRandomDraws(profile) },
    { part: 'mac', sizes: [PKCS12_MAC_SALT_LEN] },
  ];
}

/**
 * The build's random bytes, drawn from `random` call by call in {@link buildDrawPlan}'s order (takeRandom
 * refuses a draw of another size), by part: each part's draws, in its order.
 */
function drawBuildRandom(random: RandomBytes, profile: Pkcs12Profile): Record<BuildDrawPart, Buffer[]> {
  const parts = buildDrawPlan(profile).map(({ part, sizes }) => [
    part,
    sizes.map((n) => takeRandom(random, n)),
  ]);
  return Object.fromEntries(parts) as Record<BuildDrawPart, Buffer[]>;
}

/**
 * The random draws {@link buildPkcs12} makes for `profile`, in order (bytes each): its draw plan. A build on
 * another thread is handed exactly these draws from the caller's source, so a seeded source gives the bytes
 * an in-thread build gives.
 */
export function pkcs12RandomDraws(profile: Pkcs12Profile): number[] {
  return buildDrawPlan(profile).flatMap((p) => p.sizes);
}

/** The bytes of {@link pkcs12RandomDraws} drawn from `random`, call by call, joined. */
export function drawPkcs12Random(random: RandomBytes, profile: Pkcs12Profile): Buffer {
  return Buffer.concat(pkcs12RandomDraws(profile).map((n) => takeRandom(random, n)));
}

/** Options of {@link rewrapPkcs12} beyond the passwords and profile. */
export interface RewrapPkcs12Options {
  iterations?: number;
  random?: RandomBytes;
  /** Replaces the friendlyName; default: keep the one the input has. */
  friendlyName?: string;
}

/**
 * Opens a PKCS#12 with `oldPassword` and writes the same key, certificates and friendlyName under
 * `newPassword` in `profile` (the Android ONC path re-wraps with the empty passphrase).
 *
 * @throws CertfleetError the codes of {@link parsePkcs12} and {@link buildPkcs12}
 */
export function rewrapPkcs12(
  blob: Buffer | Uint8Array,
  oldPassword: string,
  newPassword: string,
  profile: Pkcs12Profile,
  options: RewrapPkcs12Options = {},
): Buffer {
  const parsed = parsePkcs12(blob, oldPassword);
  const friendlyName = options.friendlyName ?? parsed.friendlyName;
  return buildPkcs12({
    privateKey: parsed.privateKey,
    certificates: parsed.certificates,
    password: newPassword,
    profile,
    ...(friendlyName !== undefined ? { friendlyName } : {}),
    ...(options.iterations !== undefined ? { iterations: options.iterations } : {}),
    ...(options.random !== undefined ? { random: options.random } : {}),
  });
}
