/**
 * DER encoding and decoding of distinguished names (RFC 5280 §4.1.2.4 Name, X.690 DER).
 *
 * encodeDn writes UTF8String values, except PrintableString for C, SERIALNUMBER and dnQualifier and IA5String
 * for emailAddress and DC (RFC 5280 appendix A upper bounds and types). A value decoded from DER keeps its
 * string type, and a `#hex` value its raw BER, so `encodeDn(decodeDn(der))` gives back the same bytes —
 * which matters because issuer and subject names are matched byte for byte in chains. Multi-valued RDNs
 * (SET OF) are written in DER order (sorted by encoding) when built from text, and kept as found when decoded.
 *
 * @example
 * const der = encodeDn(parseDn('CN=Alice,O=Contoso,C=US'));
 * formatDn(decodeDn(der)); // 'CN=Alice,O=Contoso,C=US'
 */
import { attributeName, attributeTypeByOid, type DnStringType } from './dn-attributes.ts';
import type { Dn, DnAttribute, Rdn } from './dn.ts';
import {
  concatBytes,
  decodeOidContent,
  DerError,
  encodeOid,
  encodeTlv,
  readChildren,
  readTlv,
  toHex,
} from './der.ts';
import { CertfleetError } from './errors.ts';

const TAG_OF: Record<DnStringType, number> = {
  utf8: 0x0c,
  printable: 0x13,
  teletex: 0x14,
  ia5: 0x16,
  universal: 0x1c,
  bmp: 0x1e,
};
const TYPE_OF = new Map<number, DnStringType>(Object.entries(TAG_OF).map(([k, v]) => [v, k as DnStringType]));
const PRINTABLE = /^[A-Za-z0-9 '()+,\-./:=?]*$/;

/**
 * Decodes one BER string element (`#hex` value): its text and string type, `undefined` when the element is
 * complete but not a string type, or `'invalid'` when the bytes are not exactly one element.
 */
export function decodeStringTlv(
  ber: Uint8Array,
): { value: string; stringType: DnStringType } | undefined | 'invalid' {
  let tlv;
  try {
    tlv = readTlv(ber, 0);
  } catch {
    return 'invalid';
  }
  if (tlv.end !== ber.length) return 'invalid';
  const stringType = TYPE_OF.get(tlv.tag);
  if (!stringType) return undefined;
  const content = ber.subarray(tlv.contentStart, tlv.end);
  try {
    return { value: decodeString(stringType, content), stringType };
  } catch {
    return 'invalid';
  }
}

function decodeString(type: DnStringType, content: Uint8Array): string {
  switch (type) {
    case 'utf8':
      return new TextDecoder('utf-8', { fatal: true }).decode(content);
    case 'bmp': {
      if (content.length % 2 !== 0) throw new Error('odd BMPString length');
      const swapped = Buffer.from(content);
      swapped.swap16();
      return swapped.toString('utf16le');
    }
    case 'universal': {
      if (content.length % 4 !== 0) throw new Error('bad UniversalString length');
      let s = '';
      for (let i = 0; i < content.length; i += 4)
        s += String.fromCodePoint(Buffer.from(content).readUInt32BE(i));
      return s;
    }
    case 'teletex':
      return Buffer.from(content).toString('latin1');
    default:
      return Buffer.from(content).toString('latin1');
  }
}

function encodeString(type: DnStringType, value: string, what: string): Uint8Array {
  switch (type) {
    case 'printable':
      if (!PRINTABLE.test(value)) {
        throw new CertfleetError(
          'DN_SYNTAX',
          `${what} "${value}" cannot be a PrintableString (letters, digits, space and '()+,-./:=? only).`,
          {
            details: { value },
          },
        );
      }
      return encodeTlv(TAG_OF.printable, Buffer.from(value, 'latin1'));
    case 'ia5':
      // eslint-disable-next-line no-control-regex
      if (!/^[\x00-\x7f]*$/.test(value)) {
        throw new CertfleetError('DN_SYNTAX', `${what} "${value}" cannot be an IA5String (ASCII only).`, {
          details: { value },
        });
      }
      return encodeTlv(TAG_OF.ia5, Buffer.from(value, 'latin1'));
    case 'bmp': {
      const b = Buffer.from(value, 'utf16le');
      b.swap16();
      return encodeTlv(TAG_OF.bmp, b);
    }
    case 'universal': {
      const cps = [...value].map((c) => c.codePointAt(0) ?? 0);
      const b = Buffer.alloc(cps.length * 4);
      cps.forEach((cp, i) => b.writeUInt32BE(cp, i * 4));
      return encodeTlv(TAG_OF.universal, b);
    }
    case 'teletex':
      return encodeTlv(TAG_OF.teletex, Buffer.from(value, 'latin1'));
    default:
      return encodeTlv(TAG_OF.utf8, Buffer.from(value, 'utf8'));
  }
}

function encodeAttribute(a: DnAttribute): Uint8Array {
  const value = a.ber
    ? a.ber
    : encodeString(
        a.stringType ?? attributeTypeByOid(a.type)?.stringType ?? 'utf8',
        a.value,
        attributeName(a.type),
      );
  return encodeTlv(0x30, concatBytes([encodeOid(a.type), value]));
}

function compareBytes(a: Uint8Array, b: Uint8Array): number {
  return Buffer.compare(Buffer.from(a), Buffer.from(b));
}

/** Encodes one RDN as a DER SET. */
export function encodeRdn(rdn: Rdn, keepOrder = false): Uint8Array {
  if (rdn.length === 0) throw new CertfleetError('DN_SYNTAX', 'An RDN must have at least one attribute.');
  const items = rdn.map(encodeAttribute);
  if (!keepOrder) items.sort(compareBytes);
  return encodeTlv(0x31, concatBytes(items));
}

/**
 * Encodes a {@link Dn} as a DER Name. Throws DN_SYNTAX when a value cannot be written in its string type
 * (e.g. `C=Deutschland` is fine, `C=Österreich` is not a PrintableString).
 */
export function encodeDn(dn: Dn): Uint8Array {
  // Decoded names keep their SET order so their bytes round-trip; names built from text get DER order.
  return encodeTlv(
    0x30,
    concatBytes(
      dn.rdns.map((rdn) =>
        encodeRdn(
          rdn,
          rdn.some((a) => a.stringType !== undefined),
        ),
      ),
    ),
  );
}

function derFail(message: string, offset: number, cause?: unknown): CertfleetError {
  return new CertfleetError('DN_SYNTAX', `The DER name is malformed: ${message}.`, {
    cause,
    details: { offset },
  });
}

/** Decodes a DER Name into a {@link Dn}. Throws DN_SYNTAX on malformed DER. */
export function decodeDn(der: Uint8Array): Dn {
  try {
    const top = readTlv(der, 0);
    if (top.tag !== 0x30)
      throw derFail(`expected a SEQUENCE (0x30), found tag 0x${toHex(Uint8Array.of(top.tag))}`, 0);
    if (top.end !== der.length)
      throw derFail(`${String(der.length - top.end)} extra bytes after the name`, top.end);
    const rdns: Rdn[] = readChildren(der, top).map((set) => {
      if (set.tag !== 0x31) throw derFail('expected a SET (0x31) for an RDN', set.start);
      const attrs = readChildren(der, set);
      if (attrs.length === 0) throw derFail('an RDN is empty', set.start);
      return attrs.map((seq): DnAttribute => {
        const parts = seq.tag === 0x30 ? readChildren(der, seq) : [];
        const oidTlv = parts[0];
        const valTlv = parts[1];
        if (!oidTlv || !valTlv || parts.length !== 2 || oidTlv.tag !== 0x06) {
          throw derFail('expected SEQUENCE { type OBJECT IDENTIFIER, value }', seq.start);
        }
        const type = decodeOidContent(der.subarray(oidTlv.contentStart, oidTlv.end));
        const ber = der.slice(valTlv.start, valTlv.end);
        const decoded = decodeStringTlv(ber);
        const shortName = attributeName(type);
        if (decoded === 'invalid')
          throw derFail(`the value of ${shortName} is not a valid string`, valTlv.start);
        if (decoded === undefined)
          return { type, shortName, value: `#${toHex(ber)}`, form: 'hex', escaped: [], ber };
        return {
          type,
          shortName,
          value: decoded.value,
          form: 'plain',
          escaped: [],
          stringType: decoded.stringType,
        };
      });
    });
    return { rdns };
  } catch (e) {
    if (e instanceof CertfleetError) throw e;
    if (e instanceof DerError) throw derFail(e.message, e.offset, e);
    throw derFail(String(e), 0, e);
  }
}
