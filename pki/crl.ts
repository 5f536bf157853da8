/**
 * Certificate revocation lists, v2 (RFC 5280 §5): `createCrl` signs natively, with the AKI and CRL number
 * extensions and a reasonCode per entry (RFC 5280 §5.3.1; an `unspecified` reason is written as no
 * reasonCode, as §5.3.1 recommends); `parseCrl` reads one back and can verify its signature.
 *
 * @example
 * const der = createCrl({ issuer: { subject: ca.subject, privateKey, publicKey: ca.publicKey },
 *   entries: [{ serialNumber: '1A2B', revokedAt, reason: 'keyCompromise' }], thisUpdate, nextUpdate, crlNumber: 1 });
 * parseCrl(der).entries[0]?.reason; // 'keyCompromise'
 */
import type { KeyObject } from 'node:crypto';
import {
  Certificate,
  normaliseSerial,
  readAlgorithmOid,
  readBitString,
  readOuterSequence,
  wrapParseError,
  type CertificateIssuer,
} from './certificate.ts';
import {
  contentOf,
  decodeIntegerHex,
  decodeTime,
  DerError,
  encodeBitString,
  encodeInteger,
  encodeIntegerHex,
  encodeSequence,
  encodeTime,
  encodeTlv,
  readChildren,
  readTlv,
  type Tlv,
} from './der.ts';
import { decodeDn, encodeDn } from './dn-der.ts';
import { formatDn, toDn, type Dn } from './dn.ts';
import { CertfleetError } from './errors.ts';
import { decodeExtensionList, encodeExtensionList, keyIdentifier, type RawExtension } from './extensions.ts';
import { EXT } from './oids.ts';
import { derToPem, looksLikePem, pemToDer } from './pem.ts';
import {
  defaultHash,
  SIGNATURE_ALGORITHMS,
  signatureAlgorithmIdentifier,
  signTbs,
  verifyTbs,
  type SignatureHash,
} from './signature.ts';

/** RFC 5280 §5.3.1 CRLReason codes (7 is unused). */
export const CRL_REASONS = {
  unspecified: 0,
  keyCompromise: 1,
  cACompromise: 2,
  affiliationChanged: 3,
  superseded: 4,
  cessationOfOperation: 5,
  certificateHold: 6,
  removeFromCRL: 8,
  privilegeWithdrawn: 9,
  aACompromise: 10,
} as const;

/** A CRL reason name (RFC 5280 §5.3.1). */
export type CrlReason = keyof typeof CRL_REASONS;

/** One revoked certificate. */
export interface CrlEntry {
  /** Serial number, hex. */
  serialNumber: string;
  revokedAt: Date;
  reason: CrlReason;
}

/** Options of {@link createCrl}. */
export interface CreateCrlOptions {
  /** The CRL issuer: name + key pair, or the CA certificate with `signingKey`. */
  issuer: CertificateIssuer | Certificate;
  signingKey?: KeyObject;
  entries: readonly CrlEntry[];
  thisUpdate: Date;
  nextUpdate: Date;
  crlNumber: number;
  hash?: SignatureHash;
}

/** A parsed CRL. */
export interface Crl {
  der: Buffer;
  pem: string;
  issuer: Dn;
  issuerText: string;
  issuerDer: Uint8Array;
  thisUpdate: Date;
  nextUpdate: Date | undefined;
  crlNumber: number | undefined;
  /** Authority key identifier, upper-case hex. */
  aki: string | undefined;
  entries: CrlEntry[];
  signatureAlgorithm: { oid: string; name: string };
  extensions: RawExtension[];
  /** True when the CRL signature verifies with `issuerPublicKey`. */
  verifySignature(issuerPublicKey: KeyObject): boolean;
  /** The entry for `serialNumber` (hex, any case, leading zeros ignored), if revoked. */
  find(serialNumber: string): CrlEntry | undefined;
}

/** Creates and signs a v2 CRL; returns its DER (use {@link parseCrl} to read it). Throws CERT_BAD_INPUT. */
export function createCrl(opts: CreateCrlOptions): Buffer {
  let issuerDer: Uint8Array;
  let signingKey: KeyObject | undefined;
  let keyId: string;
  if (opts.issuer instanceof Certificate) {
    issuerDer = opts.issuer.subjectDer;
    signingKey = opts.signingKey;
    keyId = opts.issuer.ski ?? keyIdentifier(opts.issuer.publicKey);
  } else {
    issuerDer = encodeDn(toDn(opts.issuer.subject));
    signingKey = opts.issuer.privateKey;
    keyId = keyIdentifier(opts.issuer.publicKey);
  }
  if (!signingKey)
    throw new CertfleetError('CERT_BAD_INPUT', 'No signing key: pass signingKey with a Certificate issuer.');
  if (opts.nextUpdate.getTime() <= opts.thisUpdate.getTime()) {
    throw new CertfleetError('CERT_BAD_INPUT', 'The CRL nextUpdate must be after thisUpdate.');
  }
  if (!Number.isInteger(opts.crlNumber) || opts.crlNumber < 0) {
    throw new CertfleetError(
      'CERT_BAD_INPUT',
      `The CRL number ${String(opts.crlNumber)} must be a non-negative integer.`,
    );
  }
  const hash = opts.hash ?? defaultHash(signingKey);
  // the AlgorithmIdentifier goes inside the TBS; the key signs once, the TBS itself (signing an empty
  // buffer to learn it cost one private-key operation per certificate, issue 11 point 2)
  const algorithm = signatureAlgorithmIdentifier(signingKey, hash);
  const entries = opts.entries.map((e) => {
    const code = CRL_REASONS[e.reason];
    if (code === undefined)
      throw new CertfleetError('CERT_BAD_INPUT', `Unknown CRL reason "${String(e.reason)}".`);
    const exts: RawExtension[] =
      code === 0
        ? []
        : [{ oid: EXT.crlReason, critical: false, value: encodeTlv(0x0a, Uint8Array.of(code)) }];
    return encodeSequence([
      encodeIntegerHex(normaliseSerial(e.serialNumber)),
      encodeTime(e.revokedAt),
      ...(exts.length > 0 ? [encodeExtensionList(exts)] : []),
    ]);
  });
  const crlExts: RawExtension[] = [
    {
      oid: EXT.authorityKeyIdentifier,
      critical: false,
      value: encodeSequence([encodeTlv(0x80, Buffer.from(keyId, 'hex'))]),
    },
    { oid: EXT.crlNumber, critical: false, value: encodeInteger(opts.crlNumber) },
  ];
  const tbs = encodeSequence([
    Uint8Array.of(0x02, 0x01, 0x01),
    algorithm,
    issuerDer,
    encodeTime(opts.thisUpdate),
    encodeTime(opts.nextUpdate),
    ...(entries.length > 0 ? [encodeSequence(entries)] : []),
    encodeTlv(0xa0, encodeExtensionList(crlExts)),
  ]);
  const { signature } = signTbs(tbs, signingKey, hash);
  return Buffer.from(encodeSequence([tbs, algorithm, encodeBitString(signature)]));
}

function reasonName(code: number): CrlReason {
  const found = Object.entries(CRL_REASONS).find(([, v]) => v === code);
  if (!found) throw new DerError(`unknown CRL reason code ${String(code)}`, 0);
  return found[0] as CrlReason;
}

/** Parses a CRL from DER or PEM (`X509 CRL`). Throws CRL_PARSE. The signature is checked by verifySignature. */
export function parseCrl(input: Uint8Array | string): Crl {
  const der = Buffer.from(
    typeof input === 'string' || looksLikePem(input) ? pemToDer(input, ['X509 CRL'], 'CRL_PARSE') : input,
  );
  try {
    const top = readOuterSequence(der, 'CRL');
    const [tbsTlv, algTlv, sigTlv, extra] = readChildren(der, top);
    if (!tbsTlv || !algTlv || !sigTlv || extra || tbsTlv.tag !== 0x30) {
      throw new DerError('expected SEQUENCE { tbsCertList, signatureAlgorithm, signatureValue }', 0);
    }
    const fields = readChildren(der, tbsTlv);
    let i = fields[0]?.tag === 0x02 ? 1 : 0;
    const next = (): Tlv | undefined => fields[i++];
    const sigInner = next();
    const issuerTlv = next();
    const thisTlv = next();
    if (!sigInner || !issuerTlv || issuerTlv.tag !== 0x30 || !thisTlv)
      throw new DerError('the tbsCertList is incomplete', tbsTlv.start);
    let nextUpdate: Date | undefined;
    const entries: CrlEntry[] = [];
    let extensions: RawExtension[] = [];
    for (let t = next(); t; t = next()) {
      if (t.tag === 0x17 || t.tag === 0x18) nextUpdate = decodeTime(der, t);
      else if (t.tag === 0x30) {
        for (const entry of readChildren(der, t)) {
          const [serial, date, exts] = readChildren(der, entry);
          if (!serial || !date || serial.tag !== 0x02)
            throw new DerError('malformed revoked-certificate entry', entry.start);
          let reason: CrlReason = 'unspecified';
          for (const e of exts ? decodeExtensionList(der, exts) : []) {
            if (e.oid === EXT.crlReason) reason = reasonName(e.value[2] ?? 0);
          }
          entries.push({
            serialNumber: decodeIntegerHex(contentOf(der, serial)),
            revokedAt: decodeTime(der, date),
            reason,
          });
        }
      } else if (t.tag === 0xa0)
        extensions = decodeExtensionList(der, readTlv(der.subarray(0, t.end), t.contentStart));
    }
    let crlNumber: number | undefined;
    let aki: string | undefined;
    for (const e of extensions) {
      if (e.oid === EXT.crlNumber)
        crlNumber = parseInt(decodeIntegerHex(e.value.subarray(readTlv(e.value, 0).contentStart)), 16);
      if (e.oid === EXT.authorityKeyIdentifier) {
        const id = readChildren(e.value, readTlv(e.value, 0)).find((k) => k.tag === 0x80);
        if (id) aki = Buffer.from(contentOf(e.value, id)).toString('hex').toUpperCase();
      }
    }
    const issuerDer = der.slice(issuerTlv.start, issuerTlv.end);
    const issuer = decodeDn(issuerDer);
    const sigOid = readAlgorithmOid(der, algTlv);
    const tbs = der.subarray(tbsTlv.start, tbsTlv.end);
    const signature = readBitString(der, sigTlv, 'signature');
    return {
      der,
      pem: derToPem(der, 'X509 CRL'),
      issuer,
      issuerText: formatDn(issuer),
      issuerDer,
      thisUpdate: decodeTime(der, thisTlv),
      nextUpdate,
      crlNumber,
      aki,
      entries,
      signatureAlgorithm: { oid: sigOid, name: SIGNATURE_ALGORITHMS[sigOid]?.name ?? sigOid },
      extensions,
      verifySignature: (key) => verifyTbs(tbs, signature, sigOid, key),
      find(serialNumber) {
        const s = serialNumber.replace(/^0+/, '').toUpperCase();
        return entries.find((e) => e.serialNumber.replace(/^0+/, '') === s);
      },
    };
  } catch (e) {
    throw wrapParseError(e, 'CRL_PARSE', 'CRL');
  }
}
