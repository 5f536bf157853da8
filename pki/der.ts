/**
 * A minimal DER tag-length-value reader and writer (ITU-T X.690 §8.1), used where certfleet needs exact
 * control over bytes (distinguished names, Microsoft extensions) or precise messages about broken input
 * ("declares 865 bytes, has 825").
 *
 * @example
 * const tlv = readTlv(der, 0); // { tag: 0x30, start: 0, contentStart: 4, length: 861, end: 865 }
 */

/** One TLV found in a buffer; `end` is the offset just past its content. */
export interface Tlv {
  tag: number;
  start: number;
  contentStart: number;
  length: number;
  end: number;
}

/** A structural DER problem, with the offset where it was found. Callers wrap it in a CertfleetError. */
export class DerError extends Error {
  readonly offset: number;
  constructor(message: string, offset: number) {
    super(message);
    this.name = 'DerError';
    this.offset = offset;
  }
}

/**
 * Reads the TLV header at `offset` (single-byte tags only, definite lengths only, as DER requires) and checks
 * that its content fits inside `buf`. Throws {@link DerError} with a precise message otherwise.
 */
export function readTlv(buf: Uint8Array, offset: number): Tlv {
  if (offset >= buf.length)
    throw new DerError(`expected a tag at byte ${String(offset)} but the data ends there`, offset);
  const tag = buf[offset] as number;
  if ((tag & 0x1f) === 0x1f)
    throw new DerError(`multi-byte tag at byte ${String(offset)} is not supported`, offset);
  if (offset + 1 >= buf.length)
    throw new DerError(`tag 0x${hex2(tag)} at byte ${String(offset)} has no length`, offset);
  const first = buf[offset + 1] as number;
  let length: number;
  let contentStart: number;
  if (first < 0x80) {
    length = first;
    contentStart = offset + 2;
  } else if (first === 0x80) {
    throw new DerError(`indefinite length at byte ${String(offset + 1)} is not allowed in DER`, offset + 1);
  } else {
    const n = first & 0x7f;
    if (n > 4)
      throw new DerError(
        `length of ${String(n)} bytes at byte ${String(offset + 1)} is too large`,
        offset + 1,
      );
    if (offset + 2 + n > buf.length)
      throw new DerError(`length at byte ${String(offset + 1)} is cut off`, offset + 1);
    length = 0;
    for (let i = 0; i < n; i++) length = length * 256 + (buf[offset + 2 + i] as number);
    contentStart = offset + 2 + n;
  }
  const end = contentStart + length;
  if (end > buf.length) {
    throw new DerError(
      `the element with tag 0x${hex2(tag)} at byte ${String(offset)} declares ${String(end - offset)} bytes, has ${String(buf.length - offset)}`,
      offset,
    );
  }
  return { tag, start: offset, contentStart, length, end };
}

/** The TLVs directly inside a constructed element's content. */
export function readChildren(buf: Uint8Array, parent: Tlv): Tlv[] {
  const out: Tlv[] = [];
  let pos = parent.contentStart;
  while (pos < parent.end) {
    const child = readTlv(buf.subarray(0, parent.end), pos);
    out.push(child);
    pos = child.end;
  }
  return out;
}

/** Encodes a DER length. */
export function encodeLength(length: number): Uint8Array {
  if (length < 0x80) return Uint8Array.of(length);
  const bytes: number[] = [];
  for (let n = length; n > 0; n = Math.floor(n / 256)) bytes.unshift(n & 0xff);
  return Uint8Array.of(0x80 | bytes.length, ...bytes);
}

/** Encodes one TLV from a tag and its content. */
export function encodeTlv(tag: number, content: Uint8Array): Uint8Array {
  const len = encodeLength(content.length);
  const out = new Uint8Array(1 + len.length + content.length);
  out[0] = tag;
  out.set(len, 1);
  out.set(content, 1 + len.length);
  return out;
}

/** Concatenates byte arrays. */
export function concatBytes(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let pos = 0;
  for (const p of parts) {
    out.set(p, pos);
    pos += p.length;
  }
  return out;
}

/** Encodes an OBJECT IDENTIFIER from dotted text. */
export function encodeOid(oid: string): Uint8Array {
  let der = ENCODED_OIDS.get(oid);
  if (der === undefined) {
    der = encodeOidOnce(oid);
    remember(ENCODED_OIDS, oid, der);
  }
  return der.slice(); // each caller its own bytes
}

/**
 * OIDs encoded and decoded so far (pure functions of their input, arcs in BigInt: a certificate, a PFX or a
 * SyncML message encodes the same few dozen OIDs again and again, issue 11 point 2). Bounded; least recently
 * added goes first. Input that does not encode is not remembered (each call throws).
 */
const ENCODED_OIDS = new Map<string, Uint8Array>();
const DECODED_OIDS = new Map<string, string>();
/** How many OIDs each memo keeps. */
export const OID_MEMO_LIMIT = 1024;

function remember<V>(memo: Map<string, V>, key: string, value: V): void {
  memo.set(key, value);
  if (memo.size > OID_MEMO_LIMIT) memo.delete(memo.keys().next().value as string);
}

/** How many OIDs the encode and decode memos hold now (tests). */
export function oidMemoSizes(): { encoded: number; decoded: number } {
  return { encoded: ENCODED_OIDS.size, decoded: DECODED_OIDS.size };
}

function encodeOidOnce(oid: string): Uint8Array {
  const arcs = oid.split('.').map((s) => BigInt(s));
  const [a, b, ...rest] = arcs;
  if (a === undefined || b === undefined) throw new DerError(`"${oid}" is not a dotted OID`, 0);
  const body: number[] = [];
  for (const arc of [a * 40n + b, ...rest]) {
    const chunk: number[] = [];
    let v = arc;
    do {
      chunk.unshift(Number(v & 0x7fn));
      v >>= 7n;
    } while (v > 0n);
    for (let i = 0; i < chunk.length - 1; i++) chunk[i] = (chunk[i] as number) | 0x80;
    body.push(...chunk);
  }
  return encodeTlv(0x06, Uint8Array.from(body));
}

/** Decodes the content octets of an OBJECT IDENTIFIER to dotted text. */
export function decodeOidContent(content: Uint8Array): string {
  if (content.length > 64) return decodeOidOnce(content); // no real OID is this long: not remembered
  const key = Buffer.from(content.buffer, content.byteOffset, content.byteLength).toString('latin1');
  let oid = DECODED_OIDS.get(key);
  if (oid === undefined) {
    oid = decodeOidOnce(content);
    remember(DECODED_OIDS, key, oid);
  }
  return oid;
}

function decodeOidOnce(content: Uint8Array): string {
  const arcs: bigint[] = [];
  let v = 0n;
  for (const byte of content) {
    v = (v << 7n) | BigInt(byte & 0x7f);
    if ((byte & 0x80) === 0) {
      arcs.push(v);
      v = 0n;
    }
  }
  const first = arcs.shift() ?? 0n;
  const a = first < 80n ? first / 40n : 2n;
  return [a, first - a * 40n, ...arcs].join('.');
}

/** Two upper-case hex digits. */
export function hex2(n: number): string {
  return n.toString(16).toUpperCase().padStart(2, '0');
}

/** Upper-case hex of a byte array. */
export function toHex(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('hex').toUpperCase();
}

/** Compares byte arrays for equality. */
export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && Buffer.from(a).equals(Buffer.from(b));
}

/** A SEQUENCE of already-encoded elements. */
export function encodeSequence(items: readonly Uint8Array[]): Uint8Array {
  return encodeTlv(0x30, concatBytes(items));
}

/** A positive INTEGER from hex digits (leading zeros dropped, a 00 added when the high bit is set). */
export function encodeIntegerHex(hex: string): Uint8Array {
  let h = hex.replace(/^0+/, '');
  if (h.length % 2 !== 0) h = `0${h}`;
  if (h === '') h = '00';
  const bytes = Buffer.from(h, 'hex');
  return encodeTlv(0x02, (bytes[0] as number) & 0x80 ? concatBytes([Uint8Array.of(0), bytes]) : bytes);
}

/** A small non-negative INTEGER. */
export function encodeInteger(n: number): Uint8Array {
  return encodeIntegerHex(n.toString(16));
}

/** Hex (upper-case, no leading zero bytes except one for 0) of an INTEGER's content octets. */
export function decodeIntegerHex(content: Uint8Array): string {
  let i = 0;
  while (i < content.length - 1 && content[i] === 0) i++;
  return toHex(content.subarray(i));
}

/** A BOOLEAN. */
export function encodeBoolean(v: boolean): Uint8Array {
  return Uint8Array.of(0x01, 0x01, v ? 0xff : 0x00);
}

/** An OCTET STRING. */
export function encodeOctetString(content: Uint8Array): Uint8Array {
  return encodeTlv(0x04, content);
}

/** A BIT STRING with no unused bits. */
export function encodeBitString(content: Uint8Array): Uint8Array {
  return encodeTlv(0x03, concatBytes([Uint8Array.of(0), content]));
}

/** A NULL. */
export const DER_NULL = Uint8Array.of(0x05, 0x00);

/** A Time (RFC 5280 §4.1.2.5): UTCTime through 2049, GeneralizedTime from 2050; seconds precision, `Z`. */
export function encodeTime(date: Date): Uint8Array {
  const iso = date.toISOString(); // YYYY-MM-DDTHH:MM:SS.sssZ
  const digits = iso.slice(0, 19).replace(/[-T:]/g, '');
  const year = date.getUTCFullYear();
  if (year >= 1950 && year < 2050) return encodeTlv(0x17, Buffer.from(`${digits.slice(2)}Z`, 'latin1'));
  return encodeTlv(0x18, Buffer.from(`${digits}Z`, 'latin1'));
}

/** Decodes a UTCTime (0x17) or GeneralizedTime (0x18) TLV; throws DerError on anything else. */
export function decodeTime(buf: Uint8Array, tlv: Tlv): Date {
  const text = Buffer.from(buf.subarray(tlv.contentStart, tlv.end)).toString('latin1');
  let m: RegExpMatchArray | null;
  if (tlv.tag === 0x17 && (m = /^(\d\d)(\d\d)(\d\d)(\d\d)(\d\d)(\d\d)Z$/.exec(text))) {
    const yy = Number(m[1]);
    return new Date(
      Date.UTC(
        yy < 50 ? 2000 + yy : 1900 + yy,
        Number(m[2]) - 1,
        Number(m[3]),
        Number(m[4]),
        Number(m[5]),
        Number(m[6]),
      ),
    );
  }
  if (tlv.tag === 0x18 && (m = /^(\d{4})(\d\d)(\d\d)(\d\d)(\d\d)(\d\d)(\.\d+)?Z$/.exec(text))) {
    const ms = m[7] ? Math.round(Number(`0${m[7]}`) * 1000) : 0;
    return new Date(
      Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6]), ms),
    );
  }
  throw new DerError(
    `"${text}" at byte ${String(tlv.start)} is not a valid UTCTime or GeneralizedTime`,
    tlv.start,
  );
}

/** The content octets of a TLV. */
export function contentOf(buf: Uint8Array, tlv: Tlv): Uint8Array {
  return buf.subarray(tlv.contentStart, tlv.end);
}

/** The whole encoding (tag, length, content) of a TLV. */
export function bytesOf(buf: Uint8Array, tlv: Tlv): Uint8Array {
  return buf.subarray(tlv.start, tlv.end);
}

/** Reads `buf` as exactly one TLV with the given tag (throws DerError otherwise). */
export function readOnly(buf: Uint8Array, tag: number, what: string): Tlv {
  const tlv = readTlv(buf, 0);
  if (tlv.tag !== tag)
    throw new DerError(`${what}: expected tag 0x${hex2(tag)}, found 0x${hex2(tlv.tag)}`, 0);
  if (tlv.end !== buf.length)
    throw new DerError(`${what}: ${String(buf.length - tlv.end)} extra bytes after the element`, tlv.end);
  return tlv;
}
