/**
 * PFXCertPasswordEncryptionType 1: the PFX password travels as a CMS (PKCS#7) EnvelopedData encrypted to the
 * device's MDM management certificate, so only the enrolled device can read it (docs/formats.md §2.3 CCI
 * "1 – Password is encrypted with the MDM certificate"; §2.6: "The PFX password is CMS/PKCS7-encrypted to the
 * MDM client certificate" (DIRKJAN); PKCSTS step 6 "re-encrypts for the device using the Device Management
 * Certificate").
 *
 * A codec both sides use — the service encrypts (simulator/service/mdm), the Windows device decrypts
 * (agent/platforms/windows/pfx-apply.ts) — so it lives here, below both.
 *
 * Wire shape (RFC 5652 §6): `ContentInfo { id-envelopedData, EnvelopedData { version 0, recipientInfos { one
 * KeyTransRecipientInfo, rid = issuerAndSerialNumber }, encryptedContentInfo { id-data, AES-CBC, ciphertext } } }`,
 * DER, base64 on one line in the PFXCertPassword node.
 *
 * **[inferred]** choices (no public capture of Intune's exact blob):
 * - the plaintext is the password as UTF-16LE without a terminator (Windows CSP strings are WCHAR);
 * - {@link encryptPfxPasswordForDevice} uses RSAES-OAEP (SHA-256, MGF1-SHA-256) key transport and AES-256-CBC by
 *   default; {@link decryptPfxPassword} also reads RSAES-PKCS1-v1_5 and OAEP-SHA-1 key transport (what Windows'
 *   CryptEncryptMessage writes by default) and AES-128/192/256-CBC or 3DES-CBC content.
 *
 * Node 20 refuses RSA_PKCS1_PADDING in privateDecrypt (CVE-2023-46809), so PKCS#1 v1.5 is unpadded by hand
 * after a raw (no-padding) RSA operation (pki/rsa-pkcs1v15.ts). Fine for a simulator; not a hardened
 * implementation.
 *
 * @example
 * const blob = encryptPfxPasswordForDevice('s3cret', device.identity.certificate);
 * decryptPfxPassword(blob, [device.identity]); // 's3cret'
 */
import { MAX_BASE64_CHARS } from '../../pki/limits.ts';
import {
  constants,
  createDecipheriv,
  createCipheriv,
  privateDecrypt,
  publicEncrypt,
  randomBytes,
  type KeyObject,
} from 'node:crypto';
import { parseCertificate, type Certificate } from '../../pki/certificate.ts';
import {
  decodeOidContent,
  encodeInteger,
  encodeOctetString,
  encodeOid,
  encodeSequence,
  encodeTlv,
  readChildren,
  readTlv,
} from '../../pki/der.ts';
import { CertfleetError } from '../../pki/errors.ts';
import {
  berAlgorithm,
  berBytes,
  berChildren,
  berContent,
  berInteger,
  berOctets,
  berOid,
  BerShapeError,
  decodeBer,
  type AlgorithmId,
  type BerElement,
} from '../../pki/pkcs12-asn1.ts';
import { pkcs1v15Decrypt } from '../../pki/rsa-pkcs1v15.ts';

/** Key-transport schemes {@link encryptPfxPasswordForDevice} can write. */
export type KeyTransport = 'rsa-oaep-sha256' | 'rsa-oaep-sha1' | 'rsa-pkcs1';

/** Options of {@link encryptPfxPasswordForDevice}. */
export interface EncryptPasswordOptions {
  /** Default `rsa-oaep-sha256`. */
  keyTransport?: KeyTransport;
  /** Random source for the content key and IV; default crypto.randomBytes (docs/architecture.md house rule 2: pass it in). */
  random?: (size: number) => Buffer;
}

/** A certificate + private key that may be a recipient (the management identity, or a My-store identity). */
export interface PasswordRecipient {
  certificate: Certificate;
  privateKey: KeyObject;
}

/** Why a password blob could not be decrypted (`details.reason` of INSTALL_PASSWORD_UNDECRYPTABLE). */
export type UndecryptableReason = 'not-cms' | 'no-recipient' | 'decrypt-failed' | 'unsupported';

const OID = {
  data: '1.2.840.113549.1.7.1',
  envelopedData: '1.2.840.113549.1.7.3',
  rsaEncryption: '1.2.840.113549.1.1.1',
  rsaesOaep: '1.2.840.113549.1.1.7',
  mgf1: '1.2.840.113549.1.1.8',
  sha1: '1.3.14.3.2.26',
  sha256: '2.16.840.1.101.3.4.2.1',
  sha384: '2.16.840.1.101.3.4.2.2',
  sha512: '2.16.840.1.101.3.4.2.3',
  aes128Cbc: '2.16.840.1.101.3.4.1.2',
  aes192Cbc: '2.16.840.1.101.3.4.1.22',
  aes256Cbc: '2.16.840.1.101.3.4.1.42',
  desEde3Cbc: '1.2.840.113549.3.7',
} as const;

const HASH_NAMES: Readonly<Record<string, string>> = {
  [OID.sha1]: 'sha1',
  [OID.sha256]: 'sha256',
  [OID.sha384]: 'sha384',
  [OID.sha512]: 'sha512',
};

const CIPHERS: Readonly<Record<string, { name: string; keyLength: number; ivLength: number }>> = {
  [OID.aes128Cbc]: { name: 'aes-128-cbc', keyLength: 16, ivLength: 16 },
  [OID.aes192Cbc]: { name: 'aes-192-cbc', keyLength: 24, ivLength: 16 },
  [OID.aes256Cbc]: { name: 'aes-256-cbc', keyLength: 32, ivLength: 16 },
  [OID.desEde3Cbc]: { name: 'des-ede3-cbc', keyLength: 24, ivLength: 8 },
};

const DER_NULL = Uint8Array.of(0x05, 0x00);

/** A DER AlgorithmIdentifier (RFC 5280 §4.1.1.2). */
function algorithm(oid: string, parameters: Uint8Array): Uint8Array {
  return encodeSequence([encodeOid(oid), parameters]);
}

/** RSAES-OAEP-params (RFC 8017 A.2.1) with SHA-256 for the hash and MGF1. */
function oaepSha256Params(): Uint8Array {
  const sha256 = encodeSequence([encodeOid(OID.sha256), DER_NULL]);
  return encodeSequence([
    encodeTlv(0xa0, sha256),
    encodeTlv(0xa1, encodeSequence([encodeOid(OID.mgf1), sha256])),
  ]);
}

/**
 * The DER IssuerAndSerialNumber of `certificate` (RFC 5652 §10.2.4): its issuer Name and serialNumber
 * INTEGER exactly as the certificate encodes them, cut from its TBSCertificate (issue 11 point 2).
 */
function issuerAndSerialDer(certificate: Certificate): Buffer {
  const tbs = certificate.tbsDer;
  const fields = readChildren(tbs, readTlv(tbs, 0));
  const at = fields[0]?.tag === 0xa0 ? 1 : 0; // [0] version, absent in a v1 certificate
  const serial = fields[at];
  const issuer = fields[at + 2];
  if (serial?.tag !== 0x02 || issuer?.tag !== 0x30) {
    throw new CertfleetError(
      'CERT_PARSE',
      `The certificate "${certificate.subjectText}" has no issuer and serial number.`,
    );
  }
  return Buffer.from(
    encodeSequence([tbs.subarray(issuer.start, issuer.end), tbs.subarray(serial.start, serial.end)]),
  );
}

function undecryptable(reason: UndecryptableReason, message: string, cause?: unknown): CertfleetError {
  return new CertfleetError('INSTALL_PASSWORD_UNDECRYPTABLE', message, { cause, details: { reason } });
}

/**
 * Encrypts a PFX password to a device's MDM management certificate (RSA key) as the service does for
 * PFXCertPasswordEncryptionType 1; returns the base64 DER CMS ContentInfo for the PFXCertPassword node.
 *
 * @throws CertfleetError CERT_PARSE when `managementCertificate` is not a certificate, KEY_UNSUPPORTED when
 *   its key is not RSA (CMS key transport needs RSA).
 */
export function encryptPfxPasswordForDevice(
  password: string,
  managementCertificate: Certificate | Uint8Array,
  options: EncryptPasswordOptions = {},
): string {
  const cert =
    managementCertificate instanceof Uint8Array
      ? parseCertificate(managementCertificate)
      : managementCertificate;
  if (cert.publicKey.asymmetricKeyType !== 'rsa') {
    throw new CertfleetError(
      'KEY_UNSUPPORTED',
      `The management certificate "${cert.subjectText}" has a ${String(cert.publicKey.asymmetricKeyType)} key; encrypting a PFX password to it needs an RSA key (CMS key transport).`,
    );
  }
  const random = options.random ?? randomBytes;
  const transport = options.keyTransport ?? 'rsa-oaep-sha256';
  const cek = random(32);
  const iv = random(16);
  const cipher = createCipheriv('aes-256-cbc', cek, iv);
  const ciphertext = Buffer.concat([cipher.update(Buffer.from(password, 'utf16le')), cipher.final()]);

  let encryptedKey: Buffer;
  let keyAlg: Uint8Array;
  if (transport === 'rsa-pkcs1') {
    encryptedKey = publicEncrypt({ key: cert.publicKey, padding: constants.RSA_PKCS1_PADDING }, cek);
    keyAlg = algorithm(OID.rsaEncryption, DER_NULL);
  } else {
    const hash = transport === 'rsa-oaep-sha256' ? 'sha256' : 'sha1';
    encryptedKey = publicEncrypt(
      { key: cert.publicKey, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: hash },
      cek,
    );
    // OAEP with all-default parameters (SHA-1) is an empty SEQUENCE.
    keyAlg = algorithm(OID.rsaesOaep, hash === 'sha256' ? oaepSha256Params() : encodeSequence([]));
  }

  // EnvelopedData { version 0, RecipientInfos SET { KeyTransRecipientInfo { version 0, rid issuerAndSerialNumber,
  // keyEncryptionAlgorithm, encryptedKey } }, EncryptedContentInfo { data, aes-256-cbc(iv), [0] IMPLICIT ciphertext } }
  const ktri = encodeSequence([
    encodeInteger(0),
    issuerAndSerialDer(cert),
    keyAlg,
    encodeOctetString(encryptedKey),
  ]);
  const enveloped = encodeSequence([
    encodeInteger(0),
    encodeTlv(0x31, ktri),
    encodeSequence([
      encodeOid(OID.data),
      algorithm(OID.aes256Cbc, encodeTlv(0x04, iv)),
      encodeTlv(0x80, ciphertext),
    ]),
  ]);
  const info = encodeSequence([encodeOid(OID.envelopedData), encodeTlv(0xa0, enveloped)]);
  return Buffer.from(info).toString('base64');
}

/** One KeyTransRecipientInfo as read: who it is for, how the content key is wrapped. */
interface KeyTransRecipient {
  /** The IssuerAndSerialNumber element (tag, length, content), when the rid is one. */
  issuerAndSerialNumber?: Buffer;
  /** The subjectKeyIdentifier octets, when the rid is one. */
  subjectKeyIdentifier?: Buffer;
  keyEncryptionAlgorithm: AlgorithmId;
  encryptedKey: Buffer;
}

/** The parts of an EnvelopedData certfleet reads (RFC 5652 §6.1). */
interface Enveloped {
  /** The key-transport recipients (other RecipientInfo kinds are left out). */
  ktris: KeyTransRecipient[];
  contentEncryptionAlgorithm: AlgorithmId;
  ciphertext: Buffer;
}

function fieldsOf(buf: Uint8Array, el: BerElement | undefined, what: string): BerElement[] {
  if (el?.tag !== 0x30) throw new BerShapeError(`expected ${what} (SEQUENCE)`);
  return berChildren(buf, el);
}

/** `ContentInfo { contentType, [0] EXPLICIT content }` → content type and the content element's bytes. */
function readContentInfo(buf: Uint8Array, top: BerElement): { contentType: string; content: Buffer } {
  const [type, explicit] = fieldsOf(buf, top, 'ContentInfo');
  if (explicit?.tag !== 0xa0) throw new BerShapeError('expected the [0] content of the ContentInfo');
  const [content] = berChildren(buf, explicit);
  if (content === undefined) throw new BerShapeError('the ContentInfo content is empty');
  return { contentType: berOid(buf, type), content: berBytes(buf, content) };
}

function readKtri(buf: Uint8Array, el: BerElement): KeyTransRecipient {
  const [version, rid, alg, key] = fieldsOf(buf, el, 'KeyTransRecipientInfo');
  berInteger(buf, version);
  const out: KeyTransRecipient = {
    keyEncryptionAlgorithm: berAlgorithm(buf, alg, true),
    encryptedKey: berOctets(buf, key),
  };
  if (rid?.tag === 0x30) {
    const [issuer, serial, extra] = berChildren(buf, rid);
    if (issuer?.tag !== 0x30 || serial?.tag !== 0x02 || extra !== undefined) {
      throw new BerShapeError('expected IssuerAndSerialNumber { issuer Name, serialNumber INTEGER }');
    }
    out.issuerAndSerialNumber = berBytes(buf, rid);
  } else if (rid?.tag === 0x80) out.subjectKeyIdentifier = berContent(buf, rid);
  else throw new BerShapeError('expected the recipient identifier');
  return out;
}

function readEnvelopedData(buf: Uint8Array, top: BerElement): Enveloped {
  const fields = fieldsOf(buf, top, 'EnvelopedData');
  berInteger(buf, fields[0]);
  let at = 1;
  if (fields[at]?.tag === 0xa0) at++; // [0] IMPLICIT OriginatorInfo
  const recipients = fields[at];
  if (recipients?.tag !== 0x31) throw new BerShapeError('expected the RecipientInfos SET');
  // RecipientInfo CHOICE: a KeyTransRecipientInfo is a plain SEQUENCE; [1]..[4] are the other kinds.
  const infos = berChildren(buf, recipients);
  for (const ri of infos) {
    if (ri.tag !== 0x30 && (ri.tag < 0xa1 || ri.tag > 0xa4))
      throw new BerShapeError('expected a RecipientInfo');
  }
  const ktris = infos.filter((ri) => ri.tag === 0x30).map((ri) => readKtri(buf, ri));
  const [type, alg, content] = fieldsOf(buf, fields[at + 1], 'EncryptedContentInfo');
  berOid(buf, type);
  let ciphertext: Buffer = Buffer.alloc(0);
  if (content?.tag === 0x80) ciphertext = berContent(buf, content);
  else if (content?.tag === 0xa0) {
    ciphertext = Buffer.concat(berChildren(buf, content).map((seg) => berOctets(buf, seg)));
  }
  return { ktris, contentEncryptionAlgorithm: berAlgorithm(buf, alg, true), ciphertext };
}

function parseEnveloped(base64: string): Enveloped {
  const text = base64.trim();
  if (text.length > MAX_BASE64_CHARS) {
    throw undecryptable(
      'not-cms',
      `PFXCertPassword is ${text.length} characters long, more than the ${MAX_BASE64_CHARS} base64 characters certfleet decodes; a password CMS is well under 1 KB.`,
    );
  }
  if (text === '' || !/^[A-Za-z0-9+/]+={0,2}$/.test(text)) {
    throw undecryptable(
      'not-cms',
      'PFXCertPassword is not base64; with PFXCertPasswordEncryptionType 1 it must be a base64 CMS EnvelopedData.',
    );
  }
  try {
    const fail = (cause: unknown): Error => cause as Error;
    const info = decodeBer(Buffer.from(text, 'base64'), readContentInfo, fail);
    if (info.contentType !== OID.envelopedData) {
      throw new Error(`content type ${info.contentType} is not id-envelopedData (${OID.envelopedData})`);
    }
    return decodeBer(info.content, readEnvelopedData, fail);
  } catch (cause) {
    if (cause instanceof CertfleetError) throw cause;
    throw undecryptable(
      'not-cms',
      `PFXCertPassword is not a CMS EnvelopedData (${(cause as Error).message}); the service must encrypt the password to the device's management certificate.`,
      cause,
    );
  }
}

function ridMatches(rid: KeyTransRecipient, candidate: Certificate): boolean {
  if (rid.issuerAndSerialNumber !== undefined) {
    return rid.issuerAndSerialNumber.equals(issuerAndSerialDer(candidate));
  }
  if (rid.subjectKeyIdentifier !== undefined) {
    return candidate.ski === rid.subjectKeyIdentifier.toString('hex').toUpperCase();
  }
  return false;
}

function oaepHashOf(params: Buffer | undefined): string {
  if (params === undefined) return 'sha1';
  const buf = new Uint8Array(params);
  if (buf.length === 0 || (buf.length === 2 && buf[0] === 0x05)) return 'sha1';
  const top = readTlv(buf, 0);
  let hash = 'sha1';
  let mgfHash = 'sha1';
  for (const field of readChildren(buf, top)) {
    const inner = readTlv(buf, field.contentStart);
    const [oidTlv, paramTlv] = readChildren(buf, inner);
    if (oidTlv === undefined) continue;
    const oid = decodeOidContent(buf.subarray(oidTlv.contentStart, oidTlv.end));
    if (field.tag === 0xa0) hash = HASH_NAMES[oid] ?? `unsupported hash ${oid}`;
    else if (field.tag === 0xa1) {
      if (oid !== OID.mgf1 || paramTlv === undefined) {
        throw new Error(`mask generation function ${oid} is not MGF1`);
      }
      const [mgfOid] = readChildren(buf, paramTlv);
      if (mgfOid === undefined) throw new Error('MGF1 has no hash');
      const m = decodeOidContent(buf.subarray(mgfOid.contentStart, mgfOid.end));
      mgfHash = HASH_NAMES[m] ?? `unsupported hash ${m}`;
    } else if (field.tag === 0xa2) {
      throw new Error('an OAEP label (pSourceAlgorithm) is not supported');
    }
  }
  if (hash !== mgfHash) throw new Error(`OAEP hash ${hash} differs from the MGF1 hash ${mgfHash}`);
  if (hash.startsWith('unsupported')) throw new Error(hash);
  return hash;
}

function unwrapKey(ktri: KeyTransRecipient, privateKey: KeyObject): Buffer {
  const alg = ktri.keyEncryptionAlgorithm;
  const encrypted = ktri.encryptedKey;
  if (alg.algorithm === OID.rsaEncryption) return pkcs1v15Decrypt(privateKey, encrypted);
  if (alg.algorithm === OID.rsaesOaep) {
    const oaepHash = oaepHashOf(alg.parameters);
    return privateDecrypt(
      { key: privateKey, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash },
      encrypted,
    );
  }
  throw new Error(`key transport ${alg.algorithm} is not RSA`);
}

function decryptContent(enveloped: Enveloped, cek: Buffer): Buffer {
  const alg = enveloped.contentEncryptionAlgorithm;
  const cipher = CIPHERS[alg.algorithm];
  if (cipher === undefined) throw new Error(`content encryption ${alg.algorithm} is not supported`);
  if (cek.length !== cipher.keyLength) throw new Error('the content key has the wrong length');
  if (!alg.parameters) throw new Error('the content encryption has no IV');
  const ivBytes = new Uint8Array(alg.parameters);
  const ivTlv = readTlv(ivBytes, 0);
  const iv = Buffer.from(ivBytes.subarray(ivTlv.contentStart, ivTlv.end));
  if (ivTlv.tag !== 0x04 || iv.length !== cipher.ivLength) throw new Error('the IV is malformed');
  const ciphertext = enveloped.ciphertext;
  const decipher = createDecipheriv(cipher.name, cek, iv);
  return Buffer.concat([decipher.update(ciphertext), decipher.final()]);
}

/**
 * Decrypts a PFXCertPassword blob with the first of `recipients` it was encrypted to.
 *
 * @throws CertfleetError INSTALL_PASSWORD_UNDECRYPTABLE with `details.reason`: `not-cms` (not base64 CMS
 *   EnvelopedData), `no-recipient` (encrypted to a certificate none of `recipients` is — e.g. another device's
 *   or a device without an MDM identity), `decrypt-failed` (the key does not open it), `unsupported` (an
 *   algorithm not implemented). Messages never contain the password.
 */
export function decryptPfxPassword(base64: string, recipients: readonly PasswordRecipient[]): string {
  const enveloped = parseEnveloped(base64);
  const ktris = enveloped.ktris;
  if (ktris.length === 0) {
    throw undecryptable(
      'unsupported',
      'The password EnvelopedData has no key-transport (RSA) recipient; only KeyTransRecipientInfo is supported.',
    );
  }
  for (const ktri of ktris) {
    const recipient = recipients.find((r) => ridMatches(ktri, r.certificate));
    if (recipient === undefined) continue;
    let cek: Buffer;
    try {
      cek = unwrapKey(ktri, recipient.privateKey);
    } catch (cause) {
      throw undecryptable(
        'decrypt-failed',
        `The device's key for "${recipient.certificate.subjectText}" cannot unwrap the password's content key (${(cause as Error).message}).`,
        cause,
      );
    }
    let plain: Buffer;
    try {
      plain = decryptContent(enveloped, cek);
    } catch (cause) {
      const unsupported = /not supported/.test((cause as Error).message);
      throw undecryptable(
        unsupported ? 'unsupported' : 'decrypt-failed',
        `The password content cannot be decrypted (${(cause as Error).message}).`,
        cause,
      );
    }
    if (plain.length % 2 !== 0) {
      throw undecryptable(
        'decrypt-failed',
        'The decrypted password is not UTF-16LE text (odd length); the service must encrypt the UTF-16LE password.',
      );
    }
    return plain.toString('utf16le').replace(/\0+$/, '');
  }
  const names = recipients.map((r) => `"${r.certificate.subjectText}"`).join(', ');
  throw undecryptable(
    'no-recipient',
    recipients.length === 0
      ? 'The PFX password is encrypted to an MDM certificate, but this device has no management identity (not enrolled); it cannot decrypt it.'
      : `The PFX password is encrypted to a certificate this device does not hold (the device has ${names}); re-encrypt it to this device's management certificate.`,
  );
}
