/**
 * ASN.1 pieces of PKCS#12 that the @peculiar packages do not define (PBE parameters, PBES2/PBKDF2
 * parameters, the CMS EncryptedData, MacData with its DigestInfo), the object identifiers certfleet's
 * PKCS#12 code reads or names, and tiny DER helpers for the primitive attribute values (BMPString,
 * OCTET STRING) and for checking an outer TLV's length.
 *
 * @see https://www.rfc-editor.org/rfc/rfc7292 (PKCS #12 v1.1: PFX, MacData, pkcs-12PbeParams, Appendix C)
 * @see https://www.rfc-editor.org/rfc/rfc8018#appendix-A.2 (PBKDF2-params) and A.4 (PBES2-params)
 * @see https://www.rfc-editor.org/rfc/rfc5652#section-8 (CMS EncryptedData)
 */
import { AsnProp, AsnPropTypes, OctetString } from '@peculiar/asn1-schema';
import { AlgorithmIdentifier } from '@peculiar/asn1-x509';
import { ContentInfo, EncryptedContentInfo } from '@peculiar/asn1-cms';

/** Object identifiers used by certfleet's PKCS#12 code. */
export const OID = {
  data: '1.2.840.113549.1.7.1',
  signedData: '1.2.840.113549.1.7.2',
  envelopedData: '1.2.840.113549.1.7.3',
  encryptedData: '1.2.840.113549.1.7.6',
  keyBag: '1.2.840.113549.1.12.10.1.1',
  pkcs8ShroudedKeyBag: '1.2.840.113549.1.12.10.1.2',
  certBag: '1.2.840.113549.1.12.10.1.3',
  crlBag: '1.2.840.113549.1.12.10.1.4',
  secretBag: '1.2.840.113549.1.12.10.1.5',
  safeContentsBag: '1.2.840.113549.1.12.10.1.6',
  x509Certificate: '1.2.840.113549.1.9.22.1',
  friendlyName: '1.2.840.113549.1.9.20',
  localKeyId: '1.2.840.113549.1.9.21',
  pbeWithSHAAnd128BitRC4: '1.2.840.113549.1.12.1.1',
  pbeWithSHAAnd40BitRC4: '1.2.840.113549.1.12.1.2',
  pbeWithSHAAnd3KeyTripleDESCBC: '1.2.840.113549.1.12.1.3',
  pbeWithSHAAnd2KeyTripleDESCBC: '1.2.840.113549.1.12.1.4',
  pbeWithSHAAnd128BitRC2CBC: '1.2.840.113549.1.12.1.5',
  pbeWithSHAAnd40BitRC2CBC: '1.2.840.113549.1.12.1.6',
  pbes2: '1.2.840.113549.1.5.13',
  pbkdf2: '1.2.840.113549.1.5.12',
  pbmac1: '1.2.840.113549.1.5.14',
  scrypt: '1.3.6.1.4.1.11591.4.11',
  hmacWithSHA1: '1.2.840.113549.2.7',
  hmacWithSHA224: '1.2.840.113549.2.8',
  hmacWithSHA256: '1.2.840.113549.2.9',
  hmacWithSHA384: '1.2.840.113549.2.10',
  hmacWithSHA512: '1.2.840.113549.2.11',
  aes128Cbc: '2.16.840.1.101.3.4.1.2',
  aes192Cbc: '2.16.840.1.101.3.4.1.22',
  aes256Cbc: '2.16.840.1.101.3.4.1.42',
  desEde3Cbc: '1.2.840.113549.3.7',
  desCbc: '1.3.14.3.2.7',
  rc2Cbc: '1.2.840.113549.3.2',
  sha1: '1.3.14.3.2.26',
  sha224: '2.16.840.1.101.3.4.2.4',
  sha256: '2.16.840.1.101.3.4.2.1',
  sha384: '2.16.840.1.101.3.4.2.2',
  sha512: '2.16.840.1.101.3.4.2.3',
  md5: '1.2.840.113549.2.5',
  pbeWithMD5AndDESCBC: '1.2.840.113549.1.5.3',
  pbeWithSHA1AndDESCBC: '1.2.840.113549.1.5.10',
  pbeWithSHA1AndRC2CBC: '1.2.840.113549.1.5.11',
} as const;

/** The customary name of an OID from {@link OID} (for messages and parse results), or the OID itself. */
export function oidName(oid: string): string {
  for (const [name, value] of Object.entries(OID)) if (value === oid) return OID_DISPLAY[name] ?? name;
  return oid;
}

const OID_DISPLAY: Record<string, string> = {
  pbeWithSHAAnd3KeyTripleDESCBC: 'pbeWithSHAAnd3-KeyTripleDES-CBC',
  pbeWithSHAAnd2KeyTripleDESCBC: 'pbeWithSHAAnd2-KeyTripleDES-CBC',
  pbeWithSHAAnd128BitRC2CBC: 'pbeWithSHAAnd128BitRC2-CBC',
  pbeWithSHAAnd40BitRC2CBC: 'pbeWithSHAAnd40BitRC2-CBC',
  pbes2: 'PBES2',
  pbkdf2: 'PBKDF2',
  pbmac1: 'PBMAC1',
  aes128Cbc: 'aes-128-cbc',
  aes192Cbc: 'aes-192-cbc',
  aes256Cbc: 'aes-256-cbc',
  desEde3Cbc: 'des-ede3-cbc',
  desCbc: 'des-cbc',
  rc2Cbc: 'rc2-cbc',
};

/**
 * `pkcs-12PbeParams ::= SEQUENCE { salt OCTET STRING, iterations INTEGER }` (RFC 7292 Appendix C).
 */
export class Pkcs12PbeParams {
  @AsnProp({ type: OctetString }) salt = new OctetString();
  @AsnProp({ type: AsnPropTypes.Integer }) iterations = 0;
  constructor(params: Partial<Pkcs12PbeParams> = {}) {
    Object.assign(this, params);
  }
}

/**
 * `PBKDF2-params ::= SEQUENCE { salt CHOICE { specified OCTET STRING, otherSource AlgorithmIdentifier },
 * iterationCount INTEGER, keyLength INTEGER OPTIONAL, prf AlgorithmIdentifier DEFAULT algid-hmacWithSHA1 }`
 * (RFC 8018 Appendix A.2). Only the `specified` salt is modelled (otherSource is reserved).
 */
export class Pbkdf2Params {
  @AsnProp({ type: OctetString }) salt = new OctetString();
  @AsnProp({ type: AsnPropTypes.Integer }) iterationCount = 0;
  @AsnProp({ type: AsnPropTypes.Integer, optional: true }) keyLength?: number;
  @AsnProp({ type: AlgorithmIdentifier, optional: true }) prf?: AlgorithmIdentifier;
  constructor(params: Partial<Pbkdf2Params> = {}) {
    Object.assign(this, params);
  }
}

/**
 * `PBES2-params ::= SEQUENCE { keyDerivationFunc AlgorithmIdentifier, encryptionScheme AlgorithmIdentifier }`
 * (RFC 8018 Appendix A.4).
 */
export class Pbes2Params {
  @AsnProp({ type: AlgorithmIdentifier }) keyDerivationFunc = new AlgorithmIdentifier();
  @AsnProp({ type: AlgorithmIdentifier }) encryptionScheme = new AlgorithmIdentifier();
  constructor(params: Partial<Pbes2Params> = {}) {
    Object.assign(this, params);
  }
}

/**
 * CMS `EncryptedData ::= SEQUENCE { version CMSVersion, encryptedContentInfo EncryptedContentInfo,
 * unprotectedAttrs [1] IMPLICIT UnprotectedAttributes OPTIONAL }` (RFC 5652 §8); PKCS#12 uses it for a
 * password-encrypted SafeContents (RFC 7292 §4.1). Unprotected attributes are kept as raw bytes.
 */
export class CmsEncryptedData {
  @AsnProp({ type: AsnPropTypes.Integer }) version = 0;
  @AsnProp({ type: EncryptedContentInfo }) encryptedContentInfo = new EncryptedContentInfo();
  @AsnProp({ type: AsnPropTypes.Any, context: 1, implicit: true, optional: true })
  unprotectedAttrs?: ArrayBuffer;
  constructor(params: Partial<CmsEncryptedData> = {}) {
    Object.assign(this, params);
  }
}

/** `DigestInfo ::= SEQUENCE { digestAlgorithm AlgorithmIdentifier, digest OCTET STRING }` (RFC 8017 A.2.4). */
export class MacDigestInfo {
  @AsnProp({ type: AlgorithmIdentifier }) digestAlgorithm = new AlgorithmIdentifier();
  @AsnProp({ type: OctetString }) digest = new OctetString();
  constructor(params: Partial<MacDigestInfo> = {}) {
    Object.assign(this, params);
  }
}

/** `MacData ::= SEQUENCE { mac DigestInfo, macSalt OCTET STRING, iterations INTEGER DEFAULT 1 }` (RFC 7292 §4). */
export class Pkcs12MacData {
  @AsnProp({ type: MacDigestInfo }) mac = new MacDigestInfo();
  @AsnProp({ type: OctetString }) macSalt = new OctetString();
  @AsnProp({ type: AsnPropTypes.Integer, defaultValue: 1 }) iterations = 1;
  constructor(params: Partial<Pkcs12MacData> = {}) {
    Object.assign(this, params);
  }
}

/** `PFX ::= SEQUENCE { version INTEGER {v3(3)}, authSafe ContentInfo, macData MacData OPTIONAL }` (RFC 7292 §4). */
export class Pkcs12Pfx {
  @AsnProp({ type: AsnPropTypes.Integer }) version = 3;
  @AsnProp({ type: ContentInfo }) authSafe = new ContentInfo();
  @AsnProp({ type: Pkcs12MacData, optional: true }) macData?: Pkcs12MacData;
  constructor(params: Partial<Pkcs12Pfx> = {}) {
    Object.assign(this, params);
  }
}

/** The DER encoding of a length. */
function derLength(n: number): Buffer {
  if (n < 0x80) return Buffer.from([n]);
  const bytes: number[] = [];
  for (let v = n; v > 0; v = Math.floor(v / 256)) bytes.unshift(v & 0xff);
  return Buffer.from([0x80 | bytes.length, ...bytes]);
}

/** A DER TLV with a one-byte tag. */
export function derTlv(tag: number, value: Buffer): Buffer {
  return Buffer.concat([Buffer.from([tag]), derLength(value.length), value]);
}

/** A DER BMPString (UTF-16BE) holding `text`. */
export function derBmpString(text: string): Buffer {
  const body = Buffer.alloc(text.length * 2);
  for (let i = 0; i < text.length; i++) body.writeUInt16BE(text.charCodeAt(i), i * 2);
  return derTlv(0x1e, body);
}

/** The header of a TLV at the start of `buf`: tag byte, header length and declared content length. */
export interface TlvHeader {
  tag: number;
  headerLength: number;
  /** Declared content length; `undefined` for the BER indefinite form. */
  length: number | undefined;
}

/** Reads the TLV header at the start of `buf`, or returns a reason why there is none. */
export function readTlvHeader(buf: Uint8Array): TlvHeader | string {
  if (buf.length < 2) return `only ${buf.length} byte(s), too short for a TLV header`;
  const tag = buf[0] as number;
  if ((tag & 0x1f) === 0x1f) return `multi-byte tag 0x${tag.toString(16)} is not expected here`;
  const first = buf[1] as number;
  if (first < 0x80) return { tag, headerLength: 2, length: first };
  if (first === 0x80) return { tag, headerLength: 2, length: undefined };
  const n = first & 0x7f;
  if (n > 4) return `length of ${n} bytes is implausible`;
  if (buf.length < 2 + n) return 'the length field is cut short';
  let len = 0;
  for (let i = 0; i < n; i++) len = len * 256 + (buf[2 + i] as number);
  return { tag, headerLength: 2 + n, length: len };
}

/** The content of a primitive TLV with the given tag, or `undefined` when `buf` is not exactly that. */
export function readPrimitive(buf: Uint8Array, tag: number): Buffer | undefined {
  const h = readTlvHeader(buf);
  if (typeof h === 'string' || h.tag !== tag || h.length === undefined) return undefined;
  if (h.headerLength + h.length !== buf.length) return undefined;
  return Buffer.from(buf.buffer, buf.byteOffset + h.headerLength, h.length);
}

/** Decodes a DER BMPString, or `undefined` when `buf` is not one. */
export function readBmpString(buf: Uint8Array): string | undefined {
  const body = readPrimitive(buf, 0x1e);
  if (!body || body.length % 2 !== 0) return undefined;
  let s = '';
  for (let i = 0; i < body.length; i += 2) s += String.fromCharCode(body.readUInt16BE(i));
  return s;
}

/**
 * The value of a BER OCTET STRING: primitive (tag 0x04) or constructed (tag 0x24, definite or indefinite
 * length, segments nested to any depth), as some PKCS#12 writers (Windows, Java) emit. Returns the bytes and
 * how many input bytes the TLV took, or a reason why it is not one.
 */
export function readBerOctetString(buf: Uint8Array): { value: Buffer; consumed: number } | string {
  const h = readTlvHeader(buf);
  if (typeof h === 'string') return h;
  if (h.tag === 0x04) {
    if (h.length === undefined) return 'a primitive OCTET STRING cannot have an indefinite length';
    if (h.headerLength + h.length > buf.length) return 'the OCTET STRING is truncated';
    const value = Buffer.from(buf.buffer, buf.byteOffset + h.headerLength, h.length);
    return { value, consumed: h.headerLength + h.length };
  }
  if (h.tag !== 0x24) return `expected an OCTET STRING, found tag 0x${h.tag.toString(16)}`;
  const parts: Buffer[] = [];
  let pos = h.headerLength;
  const end = h.length === undefined ? buf.length : h.headerLength + h.length;
  if (end > buf.length) return 'the constructed OCTET STRING is truncated';
  for (;;) {
    if (h.length === undefined) {
      if (pos + 2 > end) return 'the constructed OCTET STRING has no end-of-contents marker';
      if (buf[pos] === 0 && buf[pos + 1] === 0) return { value: Buffer.concat(parts), consumed: pos + 2 };
    } else if (pos === end) {
      return { value: Buffer.concat(parts), consumed: end };
    }
    const seg = readBerOctetString(buf.subarray(pos, end));
    if (typeof seg === 'string') return `segment at offset ${pos}: ${seg}`;
    parts.push(seg.value);
    pos += seg.consumed;
  }
}
