/**
 * X.509 v3 extensions (RFC 5280 §4.2) as certfleet writes and reads them: SAN (e-mail, DNS, URI, IP, and the
 * Microsoft UPN otherName), EKU, key usage, basic constraints, SKI/AKI, CRL distribution points, and the
 * AD CS certificate-template extensions (v1 name 1.3.6.1.4.1.311.20.2 as a BMPString; v2
 * templateInformation 1.3.6.1.4.1.311.21.7) plus Microsoft application policies 1.3.6.1.4.1.311.21.10; the
 * KB5014754 SID security extension 1.3.6.1.4.1.311.25.2 is read here and written by sid-extension.ts.
 *
 * Sources: RFC 5280 §4.2.1.1–§4.2.1.13; Microsoft [MS-WCCE] (the certificate template extensions: v2
 * CertificateTemplateOID = SEQUENCE {templateID OBJECT IDENTIFIER, templateMajorVersion INTEGER,
 * templateMinorVersion INTEGER OPTIONAL}; v1 = the template name as a BMPString) and "Object IDs associated
 * with Microsoft cryptography" for the OIDs (see oids.ts). Application policies use the CertificatePolicies
 * syntax with EKU OIDs, as AD CS writes them. (Section numbers of MS-WCCE were not checked here.)
 *
 * @example
 * encodeExtensions({ keyUsage: ['digitalSignature'], extKeyUsage: ['clientAuth'],
 *   subjectAltName: [{ type: 'upn', value: 'ada@contoso.com' }] });
 */
import { createHash, type KeyObject } from 'node:crypto';
import { isIP } from 'node:net';
import {
  bytesOf,
  concatBytes,
  contentOf,
  decodeIntegerHex,
  decodeOidContent,
  DerError,
  encodeBoolean,
  encodeInteger,
  encodeOctetString,
  encodeOid,
  encodeSequence,
  encodeTlv,
  readChildren,
  readTlv,
  toHex,
  type Tlv,
} from './der.ts';
import { decodeDn } from './dn-der.ts';
import { formatDn } from './dn.ts';
import { CertfleetError } from './errors.ts';
import { spkiDerOf } from './keys.ts';
import { EXT, ekuOid, OID_UPN } from './oids.ts';
import { decodeSidExtension, OID_NTDS_CA_SECURITY_EXT } from './sid-extension.ts';

/**
 * One subject alternative name (RFC 5280 §4.2.1.6). `upn` is the otherName 1.3.6.1.4.1.311.20.2.3 with a
 * UTF8String value, as AD CS writes it. When parsing, `dirName` (RFC 4514 text) and `other` (`OID:hex`) appear
 * for kinds certfleet does not write.
 */
export interface SanEntry {
  type: 'email' | 'dns' | 'uri' | 'upn' | 'ip' | 'dirName' | 'other';
  value: string;
}

/** Key usage bits (RFC 5280 §4.2.1.3), in bit order. */
export const KEY_USAGE_BITS = [
  'digitalSignature',
  'nonRepudiation',
  'keyEncipherment',
  'dataEncipherment',
  'keyAgreement',
  'keyCertSign',
  'cRLSign',
  'encipherOnly',
  'decipherOnly',
] as const;

/** One key usage. `nonRepudiation` is also called contentCommitment (Windows: "Signature is proof of origin"). */
export type KeyUsageName = (typeof KEY_USAGE_BITS)[number];

/** The AD CS certificate-template extension: v1 (template name) or v2 (template OID and version). */
export type TemplateExtension =
  { name: string } | { oid: string; majorVersion: number; minorVersion?: number };

/** The extensions {@link encodeExtensions} can write. Absent or undefined fields are not written. */
export interface ExtensionsSpec {
  /** Basic constraints, critical (RFC 5280 §4.2.1.9). */
  basicConstraints?: { ca: boolean; pathLength?: number };
  /** Key usage, critical. */
  keyUsage?: readonly KeyUsageName[];
  /** EKUs by name (clientAuth, serverAuth, emailProtection, efs, codeSigning, smartcardLogon…) or dotted OID. */
  extKeyUsage?: readonly string[];
  /** Subject alternative names (email, dns, uri, upn, ip). */
  subjectAltName?: readonly SanEntry[];
  /** CRL distribution point URIs. */
  crlDistributionPoints?: readonly string[];
  /** The AD CS template extension, v1 `{name}` or v2 `{oid, majorVersion, minorVersion}`. */
  template?: TemplateExtension;
  /** Microsoft application policies: `true` mirrors the EKUs; or an explicit list of names/OIDs. */
  applicationPolicies?: boolean | readonly string[];
  /** Subject key identifier: default true for certificates (SHA-1 of the key); false to leave it out. */
  subjectKeyIdentifier?: boolean;
  /** Authority key identifier: default true when the issuer is not the subject itself. */
  authorityKeyIdentifier?: boolean;
  /** Any other extension, as raw DER value. */
  custom?: readonly { oid: string; critical?: boolean; value: Uint8Array }[];
}

/** One encoded extension. */
export interface RawExtension {
  oid: string;
  critical: boolean;
  value: Uint8Array;
}

/** Extensions read from a certificate or CSR. Each field is absent when its extension is absent. */
export interface ParsedExtensions {
  keyUsage?: KeyUsageName[];
  extKeyUsage?: string[];
  subjectAltName?: SanEntry[];
  basicConstraints?: { ca: boolean; pathLength?: number };
  subjectKeyIdentifier?: string;
  authorityKeyIdentifier?: string;
  crlDistributionPoints?: string[];
  template?:
    { version: 1; name: string } | { version: 2; oid: string; majorVersion: number; minorVersion?: number };
  applicationPolicies?: string[];
  /** The on-premises SID of the KB5014754 SID security extension (sid-extension.ts). */
  securityIdentifier?: string;
  /** Every extension as found, including the above. */
  raw: RawExtension[];
}

/** SHA-1 over the subjectPublicKey BIT STRING contents (RFC 5280 §4.2.1.2 method 1), upper-case hex. */
export function keyIdentifier(publicKey: KeyObject): string {
  const spki = new Uint8Array(spkiDerOf(publicKey));
  const top = readTlv(spki, 0);
  const [, bits] = readChildren(spki, top);
  if (!bits) throw new CertfleetError('KEY_PARSE', 'The public key has no subjectPublicKey.');
  return createHash('sha1')
    .update(spki.subarray(bits.contentStart + 1, bits.end))
    .digest('hex')
    .toUpperCase();
}

function ia5(value: string, what: string): Buffer {
  // eslint-disable-next-line no-control-regex
  if (!/^[\x00-\x7f]*$/.test(value)) {
    // the value in a second sentence: the first is the cause, the same for every device a failure summary
    // groups (simulator/report/summary.ts), where a device's name in it made one group per device
    throw new CertfleetError('CERT_BAD_INPUT', `A ${what} must be ASCII (IA5String). "${value}" is not.`, {
      details: { value },
    });
  }
  return Buffer.from(value, 'latin1');
}

function encodeGeneralName(san: SanEntry): Uint8Array {
  switch (san.type) {
    case 'email':
      return encodeTlv(0x81, ia5(san.value, 'e-mail SAN'));
    case 'dns':
      return encodeTlv(0x82, ia5(san.value, 'DNS SAN'));
    case 'uri':
      return encodeTlv(0x86, ia5(san.value, 'URI SAN'));
    case 'upn':
      return encodeTlv(
        0xa0,
        concatBytes([encodeOid(OID_UPN), encodeTlv(0xa0, encodeTlv(0x0c, Buffer.from(san.value, 'utf8')))]),
      );
    case 'ip': {
      const v = isIP(san.value);
      if (v === 4) return encodeTlv(0x87, Uint8Array.from(san.value.split('.').map(Number)));
      if (v === 6) return encodeTlv(0x87, ipv6Bytes(san.value));
      throw new CertfleetError('CERT_BAD_INPUT', `"${san.value}" is not an IP address.`);
    }
    default:
      throw new CertfleetError('CERT_BAD_INPUT', `certfleet cannot write a SAN of type "${san.type}".`);
  }
}

function ipv6Bytes(text: string): Uint8Array {
  const [head = '', tail] = text.split('::');
  const h = head ? head.split(':') : [];
  const t = tail ? tail.split(':') : [];
  const groups = [...h, ...Array<string>(8 - h.length - t.length).fill('0'), ...t];
  const out = new Uint8Array(16);
  groups.forEach((g, i) => {
    const n = parseInt(g, 16);
    out[i * 2] = n >> 8;
    out[i * 2 + 1] = n & 0xff;
  });
  return out;
}

function keyUsageBits(usages: readonly KeyUsageName[]): Uint8Array {
  let bits = 0;
  for (const u of usages) {
    const i = KEY_USAGE_BITS.indexOf(u);
    if (i < 0) throw new CertfleetError('CERT_BAD_INPUT', `Unknown key usage "${String(u)}".`);
    bits |= 1 << i;
  }
  if (bits === 0) return encodeTlv(0x03, Uint8Array.of(0));
  const bytes = [0, 0].map((_, b) => {
    let v = 0;
    for (let i = 0; i < 8; i++) if (bits & (1 << (b * 8 + i))) v |= 0x80 >> i;
    return v;
  });
  const used = bytes[1] ? 2 : 1;
  const last = bytes[used - 1] as number;
  let unused = 0;
  while (unused < 8 && !(last & (1 << unused))) unused++;
  return encodeTlv(0x03, Uint8Array.of(unused, ...bytes.slice(0, used)));
}

function oidList(names: readonly string[], what: string): string[] {
  return names.map((n) => {
    const oid = ekuOid(n);
    if (!oid)
      throw new CertfleetError(
        'CERT_BAD_INPUT',
        `Unknown ${what} "${n}" (use a name such as clientAuth or a dotted OID).`,
      );
    return oid;
  });
}

/** Context an extension encoder needs: the subject's key, and the issuer's key identifier. */
export interface ExtensionContext {
  subjectPublicKey: KeyObject;
  /** Upper-case hex key identifier of the issuer (AKI), or undefined for a self-signed certificate. */
  issuerKeyId?: string;
}

/** Encodes the extensions of `spec` in a stable order. */
export function encodeExtensions(spec: ExtensionsSpec, ctx?: ExtensionContext): RawExtension[] {
  const out: RawExtension[] = [];
  if (spec.basicConstraints) {
    const bc = spec.basicConstraints;
    const parts: Uint8Array[] = [];
    if (bc.ca) parts.push(encodeBoolean(true));
    if (bc.pathLength !== undefined) parts.push(encodeInteger(bc.pathLength));
    out.push({ oid: EXT.basicConstraints, critical: true, value: encodeSequence(parts) });
  }
  if (spec.keyUsage) out.push({ oid: EXT.keyUsage, critical: true, value: keyUsageBits(spec.keyUsage) });
  const ekus = spec.extKeyUsage ? oidList(spec.extKeyUsage, 'extended key usage') : undefined;
  if (ekus) out.push({ oid: EXT.extKeyUsage, critical: false, value: encodeSequence(ekus.map(encodeOid)) });
  if (spec.subjectAltName && spec.subjectAltName.length > 0) {
    out.push({
      oid: EXT.subjectAltName,
      critical: false,
      value: encodeSequence(spec.subjectAltName.map(encodeGeneralName)),
    });
  }
  if (ctx && spec.subjectKeyIdentifier !== false) {
    out.push({
      oid: EXT.subjectKeyIdentifier,
      critical: false,
      value: encodeOctetString(Buffer.from(keyIdentifier(ctx.subjectPublicKey), 'hex')),
    });
  }
  if (ctx?.issuerKeyId && spec.authorityKeyIdentifier !== false) {
    out.push({
      oid: EXT.authorityKeyIdentifier,
      critical: false,
      value: encodeSequence([encodeTlv(0x80, Buffer.from(ctx.issuerKeyId, 'hex'))]),
    });
  }
  if (spec.crlDistributionPoints && spec.crlDistributionPoints.length > 0) {
    const points = spec.crlDistributionPoints.map((uri) =>
      encodeSequence([encodeTlv(0xa0, encodeTlv(0xa0, encodeTlv(0x86, ia5(uri, 'CRL distribution point'))))]),
    );
    out.push({ oid: EXT.crlDistributionPoints, critical: false, value: encodeSequence(points) });
  }
  if (spec.template) {
    const t = spec.template;
    if ('name' in t) {
      const b = Buffer.from(t.name, 'utf16le');
      b.swap16();
      out.push({ oid: EXT.msTemplateName, critical: false, value: encodeTlv(0x1e, b) });
    } else {
      const parts = [encodeOid(t.oid), encodeInteger(t.majorVersion)];
      if (t.minorVersion !== undefined) parts.push(encodeInteger(t.minorVersion));
      out.push({ oid: EXT.msTemplateInformation, critical: false, value: encodeSequence(parts) });
    }
  }
  if (spec.applicationPolicies) {
    const policies =
      spec.applicationPolicies === true
        ? (ekus ?? [])
        : oidList(spec.applicationPolicies, 'application policy');
    out.push({
      oid: EXT.msApplicationPolicies,
      critical: false,
      value: encodeSequence(policies.map((p) => encodeSequence([encodeOid(p)]))),
    });
  }
  for (const c of spec.custom ?? []) out.push({ oid: c.oid, critical: c.critical ?? false, value: c.value });
  return out;
}

/** Encodes `Extensions ::= SEQUENCE OF Extension`. */
export function encodeExtensionList(exts: readonly RawExtension[]): Uint8Array {
  return encodeSequence(
    exts.map((e) =>
      encodeSequence([
        encodeOid(e.oid),
        ...(e.critical ? [encodeBoolean(true)] : []),
        encodeOctetString(e.value),
      ]),
    ),
  );
}

/** Reads `Extensions ::= SEQUENCE OF Extension` (throws DerError). */
export function decodeExtensionList(buf: Uint8Array, list: Tlv): RawExtension[] {
  return readChildren(buf, list).map((ext) => {
    const parts = readChildren(buf, ext);
    const [oid, second, third] = parts;
    if (!oid || oid.tag !== 0x06) throw new DerError('an extension has no OID', ext.start);
    const critical = second?.tag === 0x01 ? contentOf(buf, second)[0] !== 0 : false;
    const valueTlv = second?.tag === 0x01 ? third : second;
    if (!valueTlv || valueTlv.tag !== 0x04)
      throw new DerError('an extension has no OCTET STRING value', ext.start);
    return {
      oid: decodeOidContent(contentOf(buf, oid)),
      critical,
      value: buf.slice(valueTlv.contentStart, valueTlv.end),
    };
  });
}

function decodeBmp(content: Uint8Array): string {
  const b = Buffer.from(content);
  b.swap16();
  return b.toString('utf16le');
}

function decodeGeneralName(buf: Uint8Array, gn: Tlv): SanEntry {
  const content = contentOf(buf, gn);
  switch (gn.tag) {
    case 0x81:
      return { type: 'email', value: Buffer.from(content).toString('latin1') };
    case 0x82:
      return { type: 'dns', value: Buffer.from(content).toString('latin1') };
    case 0x86:
      return { type: 'uri', value: Buffer.from(content).toString('latin1') };
    case 0x87:
      return {
        type: 'ip',
        value:
          content.length === 4
            ? [...content].join('.')
            : (Buffer.from(content)
                .toString('hex')
                .match(/.{4}/g)
                ?.map((g) => g.replace(/^0+(?=.)/, ''))
                .join(':') ?? ''),
      };
    case 0xa4:
      return { type: 'dirName', value: formatDn(decodeDn(bytesOf(buf, readTlv(buf, gn.contentStart)))) };
    case 0xa0: {
      const [oid, wrapped] = readChildren(buf, gn);
      const typeId = oid ? decodeOidContent(contentOf(buf, oid)) : '';
      if (typeId === OID_UPN && wrapped) {
        const inner = readTlv(buf.subarray(0, wrapped.end), wrapped.contentStart);
        return { type: 'upn', value: Buffer.from(contentOf(buf, inner)).toString('utf8') };
      }
      return { type: 'other', value: `${typeId}:${wrapped ? toHex(contentOf(buf, wrapped)) : ''}` };
    }
    default:
      return { type: 'other', value: `[${String(gn.tag & 0x1f)}]:${toHex(content)}` };
  }
}

function decodeKeyUsage(content: Uint8Array): KeyUsageName[] {
  const out: KeyUsageName[] = [];
  KEY_USAGE_BITS.forEach((name, i) => {
    const byte = content[1 + Math.floor(i / 8)];
    if (byte !== undefined && byte & (0x80 >> (i % 8))) out.push(name);
  });
  return out;
}

/** Interprets the extensions certfleet knows; others stay in `raw`. Throws DerError on malformed values. */
export function interpretExtensions(raw: RawExtension[]): ParsedExtensions {
  const out: ParsedExtensions = { raw };
  for (const e of raw) {
    const v = e.value;
    const top = readTlv(v, 0);
    const kids = (): Tlv[] => readChildren(v, top);
    switch (e.oid) {
      case EXT.keyUsage:
        out.keyUsage = decodeKeyUsage(contentOf(v, top));
        break;
      case EXT.extKeyUsage:
        out.extKeyUsage = kids().map((k) => decodeOidContent(contentOf(v, k)));
        break;
      case EXT.subjectAltName:
        out.subjectAltName = kids().map((k) => decodeGeneralName(v, k));
        break;
      case EXT.basicConstraints: {
        let ca = false;
        let pathLength: number | undefined;
        for (const k of kids()) {
          if (k.tag === 0x01) ca = contentOf(v, k)[0] !== 0;
          if (k.tag === 0x02) pathLength = parseInt(decodeIntegerHex(contentOf(v, k)), 16);
        }
        out.basicConstraints = pathLength === undefined ? { ca } : { ca, pathLength };
        break;
      }
      case EXT.subjectKeyIdentifier:
        out.subjectKeyIdentifier = toHex(contentOf(v, top));
        break;
      case EXT.authorityKeyIdentifier: {
        const id = kids().find((k) => k.tag === 0x80);
        if (id) out.authorityKeyIdentifier = toHex(contentOf(v, id));
        break;
      }
      case EXT.crlDistributionPoints: {
        const uris: string[] = [];
        for (const dp of kids()) {
          for (const dpn of readChildren(v, dp).filter((t) => t.tag === 0xa0)) {
            for (const full of readChildren(v, dpn).filter((t) => t.tag === 0xa0)) {
              for (const gn of readChildren(v, full)) {
                const san = decodeGeneralName(v, gn);
                if (san.type === 'uri') uris.push(san.value);
              }
            }
          }
        }
        out.crlDistributionPoints = uris;
        break;
      }
      case EXT.msTemplateName:
        out.template = {
          version: 1,
          name:
            top.tag === 0x1e ? decodeBmp(contentOf(v, top)) : Buffer.from(contentOf(v, top)).toString('utf8'),
        };
        break;
      case EXT.msTemplateInformation: {
        const [oid, major, minor] = kids();
        const t: { version: 2; oid: string; majorVersion: number; minorVersion?: number } = {
          version: 2,
          oid: oid ? decodeOidContent(contentOf(v, oid)) : '',
          majorVersion: major ? parseInt(decodeIntegerHex(contentOf(v, major)), 16) : 0,
        };
        if (minor) t.minorVersion = parseInt(decodeIntegerHex(contentOf(v, minor)), 16);
        out.template = t;
        break;
      }
      case EXT.msApplicationPolicies:
        out.applicationPolicies = kids().map((pi) => {
          const [oid] = readChildren(v, pi);
          return oid ? decodeOidContent(contentOf(v, oid)) : '';
        });
        break;
      case OID_NTDS_CA_SECURITY_EXT:
        out.securityIdentifier = decodeSidExtension(v);
        break;
      default:
        break;
    }
  }
  return out;
}
