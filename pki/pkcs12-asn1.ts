/**
 * The object identifiers certfleet's PKCS#12 code reads or names, tiny DER helpers for the primitive
 * attribute values (BMPString, OCTET STRING), and a BER element reader (definite and indefinite lengths,
 * as Windows and Java exports use) on which pki/pkcs12.ts, pkcs12-cipher.ts, pkcs12-mac.ts and
 * profiles/windows/pfx-password.ts decode their structures directly — no ASN.1 schema library on this path
 * (issue 11 point 2).
 *
 * "The schema decoder" below is the @peculiar/asn1-schema + asn1js decoder this code replaced. Where its
 * acceptance was a deliberate reading of BER (a whole element tree checked before any field is read; a
 * constructed context-specific tag taken as an implicitly tagged SEQUENCE; an INTEGER of four bytes or more
 * reported as decimal text) the reader does the same, so errors name the same place. Where it was a bounds
 * quirk (an element's last child allowed to run past its parent's declared length) the reader refuses.
 *
 * @see https://www.rfc-editor.org/rfc/rfc7292 (PKCS #12 v1.1: PFX, MacData, pkcs-12PbeParams, Appendix C)
 * @see https://www.rfc-editor.org/rfc/rfc8018#appendix-A.2 (PBKDF2-params) and A.4 (PBES2-params)
 * @see https://www.rfc-editor.org/rfc/rfc5652#section-8 (CMS EncryptedData)
 */
import { decodeOidContent } from './der.ts';

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

/** One BER element: its tag byte, where it starts, where its content starts and ends, where it ends. */
export interface BerElement {
  tag: number;
  start: number;
  contentStart: number;
  /** End of the content (before the end-of-contents octets of an indefinite length). */
  contentEnd: number;
  /** Offset just past the element (after the end-of-contents octets of an indefinite length). */
  end: number;
}

/** A BER structure that does not decode; callers turn it into a PKCS12_PARSE CertfleetError. */
export class BerShapeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'BerShapeError';
  }
}

/** Nesting bound for indefinite lengths (each level is a recursive call). */
const MAX_BER_DEPTH = 64;

/**
 * Reads the BER element at `offset`, which must end by `limit`: a one-byte tag, a definite length (up to
 * four length bytes) or, for a constructed element, the indefinite form closed by `00 00`.
 *
 * @throws BerShapeError when the bytes are not one whole element
 */
export function readBer(buf: Uint8Array, offset: number, limit = buf.length, depth = 0): BerElement {
  if (depth > MAX_BER_DEPTH) throw new BerShapeError('nested too deeply');
  if (offset + 2 > limit) throw new BerShapeError(`no element at byte ${offset}: the data ends`);
  const tag = buf[offset] as number;
  let at = offset + 1;
  if ((tag & 0x1f) === 0x1f) {
    // A high tag number (X.690 §8.1.2.4): no PKCS#12 element has one, so only its extent matters.
    let number = 0;
    for (;;) {
      if (at >= limit) throw new BerShapeError(`tag at byte ${offset} is cut short`);
      const b = buf[at++] as number;
      number = number * 128 + (b & 0x7f);
      if ((b & 0x80) === 0) break;
    }
    if ((tag & 0xc0) === 0 && number >= 37) throw new BerShapeError(`reserved universal tag ${number}`);
    if (at + 1 > limit) throw new BerShapeError(`tag at byte ${offset} has no length`);
  }
  const first = buf[at] as number;
  let contentStart = at + 1;
  if (first === 0x80) {
    if ((tag & 0x20) === 0)
      throw new BerShapeError(`primitive element with an indefinite length at byte ${offset}`);
    let pos = contentStart;
    for (;;) {
      if (pos + 2 > limit) throw new BerShapeError(`no end-of-contents for the element at byte ${offset}`);
      if (buf[pos] === 0 && buf[pos + 1] === 0)
        return { tag, start: offset, contentStart, contentEnd: pos, end: pos + 2 };
      pos = readBer(buf, pos, limit, depth + 1).end;
    }
  }
  let length = first;
  if (first > 0x80) {
    const n = first & 0x7f;
    if (n > 8) throw new BerShapeError(`length of ${n} bytes at byte ${at}`);
    if (contentStart + n > limit) throw new BerShapeError(`length at byte ${at} is cut short`);
    length = 0;
    for (let i = 0; i < n; i++) length = length * 256 + (buf[contentStart + i] as number);
    contentStart += n;
  }
  const end = contentStart + length;
  if (end > limit) throw new BerShapeError(`the element at byte ${offset} runs past the data`);
  return { tag, start: offset, contentStart, contentEnd: end, end };
}

/** Universal types that have no constructed form (BOOLEAN, INTEGER, NULL, OID, REAL, RELATIVE-OID, TIME, UTCTime, GeneralizedTime). */
const PRIMITIVE_ONLY = new Set([1, 2, 5, 6, 9, 13, 14, 23, 24]);

/** GeneralizedTime text (X.680 §46): YYYYMMDDHH[MM[SS]][.fff][Z|±HH[MM]]. */
const GENERALIZED_TIME = /^\d{10}(\d{2}(\d{2})?)?([.,]\d+)?(Z|[+-]\d{2}(\d{2})?)?$/;

/**
 * Checks that `el` and everything nested in it decodes as BER, as a whole-tree decoder does before any field
 * is read: so a structure broken deep inside is reported at the level that was asked for, not lazily at the
 * first field that happens to be read. The content of primitive elements (OCTET STRING, BIT STRING) is not
 * entered; the primitive values that cannot be decoded at all (an OID cut short, an odd-length BMPString,
 * a GeneralizedTime that is not one) are refused.
 *
 * @throws BerShapeError
 */
export function checkBerTree(buf: Uint8Array, el: BerElement, depth = 0): void {
  if (depth > MAX_BER_DEPTH) throw new BerShapeError('nested too deeply');
  const tag = el.tag;
  const universal = (tag & 0xc0) === 0;
  const number = tag & 0x1f;
  const length = el.contentEnd - el.contentStart;
  if (universal && number === 15) throw new BerShapeError('reserved universal tag 15');
  if (universal && number === 0 && length !== 0) throw new BerShapeError('end-of-contents with content');
  if ((tag & 0x20) !== 0) {
    if (universal && PRIMITIVE_ONLY.has(number))
      throw new BerShapeError(`constructed form of universal type ${number}`);
  } else if (!(universal && (number === 16 || number === 17))) {
    if (!universal) return;
    if (number === 6 && length > 0 && ((buf[el.contentEnd - 1] as number) & 0x80) !== 0) {
      throw new BerShapeError('OBJECT IDENTIFIER cut short');
    }
    if (number === 30 && length % 2 !== 0) throw new BerShapeError('BMPString of odd length');
    if (number === 28 && length % 4 !== 0) throw new BerShapeError('UniversalString not a multiple of 4');
    if (
      number === 24 &&
      !GENERALIZED_TIME.test(Buffer.from(buf.subarray(el.contentStart, el.contentEnd)).toString('latin1'))
    ) {
      throw new BerShapeError('not a GeneralizedTime');
    }
    return;
  }
  for (let pos = el.contentStart; pos < el.contentEnd;) {
    const child = readBer(buf, pos, el.contentEnd, depth + 1);
    checkBerTree(buf, child, depth + 1);
    pos = child.end;
  }
}

/** Whether `tag` is a SEQUENCE, or a constructed context-specific tag standing in for one (read as implicitly tagged). */
export function isSequenceTag(tag: number): boolean {
  return tag === 0x30 || (tag & 0xe0) === 0xa0;
}

/** The elements inside a constructed element. */
export function berChildren(buf: Uint8Array, parent: BerElement, depth = 0): BerElement[] {
  if ((parent.tag & 0x20) === 0)
    throw new BerShapeError(`tag 0x${parent.tag.toString(16)} is not constructed`);
  const out: BerElement[] = [];
  for (let pos = parent.contentStart; pos < parent.contentEnd;) {
    const child = readBer(buf, pos, parent.contentEnd, depth + 1);
    out.push(child);
    pos = child.end;
  }
  return out;
}

/** The bytes of an element (tag to end). */
export function berBytes(buf: Uint8Array, el: BerElement): Buffer {
  return Buffer.from(buf.buffer, buf.byteOffset + el.start, el.end - el.start);
}

/** The content bytes of an element. */
export function berContent(buf: Uint8Array, el: BerElement): Buffer {
  return Buffer.from(buf.buffer, buf.byteOffset + el.contentStart, el.contentEnd - el.contentStart);
}

/** An OBJECT IDENTIFIER element in dotted form. */
export function berOid(buf: Uint8Array, el: BerElement | undefined): string {
  if (el?.tag !== 0x06) throw new BerShapeError('expected an OBJECT IDENTIFIER');
  const content = berContent(buf, el);
  if (content.length === 0) return '';
  if (((content[content.length - 1] as number) & 0x80) !== 0)
    throw new BerShapeError('malformed OBJECT IDENTIFIER');
  return decodeOidContent(content);
}

/**
 * An INTEGER element as the ASN.1 schema decoder reported it: a number below four content bytes, the decimal
 * text of the two's-complement value from four bytes on (so huge or odd values reach messages unchanged).
 */
export function berInteger(buf: Uint8Array, el: BerElement | undefined): number | string {
  if (el?.tag !== 0x02) throw new BerShapeError('expected an INTEGER');
  const c = berContent(buf, el);
  if (c.length === 0) return 0; // not DER, but the schema decoder read it as 0
  if (c.length >= 4) {
    let v = BigInt(`0x${c.toString('hex')}`);
    if (((c[0] as number) & 0x80) !== 0) v -= 1n << BigInt(c.length * 8);
    return v.toString(10);
  }
  return c.readIntBE(0, c.length);
}

/** A primitive OCTET STRING element's value. */
export function berOctets(buf: Uint8Array, el: BerElement | undefined): Buffer {
  if (el?.tag !== 0x04) throw new BerShapeError('expected an OCTET STRING');
  return berContent(buf, el);
}

/** `AlgorithmIdentifier ::= SEQUENCE { algorithm OBJECT IDENTIFIER, parameters ANY OPTIONAL }` as read. */
export interface AlgorithmId {
  algorithm: string;
  /** The parameters element, whole (tag, length, content); `undefined` when absent. */
  parameters: Buffer | undefined;
}

/**
 * Decodes an AlgorithmIdentifier element (RFC 5280 §4.1.1.2). A required one may carry a constructed
 * context-specific tag instead of SEQUENCE (the schema decoder read it as implicitly tagged); an `optional`
 * one, told apart by its tag, may not.
 */
export function berAlgorithm(buf: Uint8Array, el: BerElement | undefined, optional = false): AlgorithmId {
  if (el === undefined || (optional ? el.tag !== 0x30 : !isSequenceTag(el.tag)))
    throw new BerShapeError('expected an AlgorithmIdentifier SEQUENCE');
  const [oid, params, extra] = berChildren(buf, el);
  if (extra) throw new BerShapeError('unexpected element after the AlgorithmIdentifier parameters');
  return { algorithm: berOid(buf, oid), parameters: params ? berBytes(buf, params) : undefined };
}

/** Decodes `bytes` as one element with `decode`; a BerShapeError (or a range error on hostile input) becomes `fail`. */
export function decodeBer<T>(
  bytes: Uint8Array,
  decode: (buf: Uint8Array, top: BerElement) => T,
  fail: (cause: unknown) => Error,
): T {
  try {
    const top = readBer(bytes, 0);
    checkBerTree(bytes, top);
    // Like the schema decoder, take a constructed context-specific tag at the top as an implicitly tagged SEQUENCE.
    return decode(bytes, isSequenceTag(top.tag) ? { ...top, tag: 0x30 } : top);
  } catch (cause) {
    if (cause instanceof BerShapeError || cause instanceof RangeError) throw fail(cause);
    throw cause;
  }
}
