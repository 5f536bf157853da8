/**
 * The outer layer of a SCEP message (RFC 8894 §3.1, §3.2): a CMS SignedData (RFC 5652 §5) with one
 * SignerInfo whose signed (authenticated) attributes carry the SCEP fields, and the degenerate certs-only
 * SignedData (RFC 8894 §3.4: no content, no signers) that carries certificates in GetCACert and CertRep.
 *
 * The signature covers the DER of the signed attributes with the SET OF tag (RFC 5652 §5.4), which is why
 * this file writes and reads them with pki/der.ts rather than re-serialising a parsed structure: the
 * verifier must hash the bytes exactly as received.
 */
import { createHash, sign, verify, type KeyObject } from 'node:crypto';
import { parseCertificate, type Certificate } from '../../pki/certificate.ts';
import {
  bytesOf,
  contentOf,
  decodeOidContent,
  encodeInteger,
  encodeOctetString,
  encodeOid,
  encodeSequence,
  encodeTlv,
  readChildren,
  readOnly,
  type Tlv,
} from '../../pki/der.ts';
import { SIGNATURE_ALGORITHMS } from '../../pki/signature.ts';
import { findByIssuerAndSerial, issuerAndSerialDer } from './issuer-serial.ts';
import { CMS_OID } from './oids.ts';
import { scepError } from './scep-error.ts';

/** Digests a SCEP SignerInfo may use (RFC 8894 §3.5.2 "SHA-1", "SHA-256", "SHA-512"). */
export type ScepDigest = 'sha1' | 'sha256' | 'sha512';
const DIGEST_OIDS: Readonly<Record<ScepDigest, string>> = {
  sha1: CMS_OID.sha1,
  sha256: CMS_OID.sha256,
  sha512: CMS_OID.sha512,
};
function digestOfOid(oid: string): ScepDigest | undefined {
  return (Object.keys(DIGEST_OIDS) as ScepDigest[]).find((d) => DIGEST_OIDS[d] === oid);
}

/** One signed attribute: its OID and the DER of each value. */
export interface Attribute {
  oid: string;
  values: Uint8Array[];
}

/** What {@link signContent} needs. */
export interface SignOptions {
  /** The encapsulated content (the DER pkcsPKIEnvelope); absent for a message without one (a FAILURE). */
  content: Uint8Array | undefined;
  signer: { certificate: Certificate; privateKey: KeyObject };
  /** The SCEP attributes; contentType, messageDigest and signingTime are added here. */
  attributes: readonly Attribute[];
  digest: ScepDigest;
  signingTime: Date;
  /** Certificates to include (the signer's first). */
  certificates: readonly Certificate[];
}

function encodeAttribute(a: Attribute): Uint8Array {
  return encodeSequence([encodeOid(a.oid), encodeTlv(0x31, Buffer.concat(a.values))]);
}

/** The content of a DER SET OF: elements sorted by their encodings (X.690 §11.6). */
function setOfContent(items: readonly Uint8Array[]): Buffer {
  return Buffer.concat([...items].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b))));
}

function utcTime(d: Date): Uint8Array {
  const s = d.toISOString().replace(/[-:T]/g, '').slice(2, 14);
  return encodeTlv(0x17, Buffer.from(`${s}Z`, 'ascii'));
}

/** Builds a ContentInfo(SignedData) signed by `signer` over `content` and the attributes. */
export function signContent(o: SignOptions): Buffer {
  const content = o.content ?? new Uint8Array(0);
  const digestOid = DIGEST_OIDS[o.digest];
  const attrs: Attribute[] = [
    { oid: CMS_OID.contentType, values: [encodeOid(CMS_OID.data)] },
    { oid: CMS_OID.signingTime, values: [utcTime(o.signingTime)] },
    {
      oid: CMS_OID.messageDigest,
      values: [encodeOctetString(createHash(o.digest).update(content).digest())],
    },
    ...o.attributes,
  ];
  const attrContent = setOfContent(attrs.map(encodeAttribute));
  const key = o.signer.privateKey;
  if (key.asymmetricKeyType !== 'rsa') {
    // The CertRep is enveloped to the requester's key (RFC 8894 §3.3.2), which needs RSA key transport.
    throw scepError(
      'SCEP_UNSUPPORTED_ALGORITHM',
      'badAlg',
      `A SCEP message is signed with an RSA key (RFC 8894 §2.1); this key is ${String(key.asymmetricKeyType)}.`,
    );
  }
  const signature = sign(o.digest, encodeTlv(0x31, attrContent), key);
  const sigAlg = encodeSequence([encodeOid(CMS_OID.rsaEncryption), Uint8Array.of(0x05, 0x00)]);
  const signerInfo = encodeSequence([
    encodeInteger(1),
    issuerAndSerialDer(o.signer.certificate),
    encodeSequence([encodeOid(digestOid)]),
    encodeTlv(0xa0, attrContent),
    sigAlg,
    encodeOctetString(signature),
  ]);
  const encap =
    o.content === undefined
      ? encodeSequence([encodeOid(CMS_OID.data)])
      : encodeSequence([encodeOid(CMS_OID.data), encodeTlv(0xa0, encodeOctetString(content))]);
  const signed = encodeSequence([
    encodeInteger(1),
    encodeTlv(0x31, encodeSequence([encodeOid(digestOid)])),
    encap,
    encodeTlv(0xa0, Buffer.concat(o.certificates.map((c) => c.der))),
    encodeTlv(0x31, signerInfo),
  ]);
  return Buffer.from(encodeSequence([encodeOid(CMS_OID.signedData), encodeTlv(0xa0, signed)]));
}

/** A degenerate certs-only SignedData (RFC 8894 §3.4): the certificates, in the given order. */
export function degenerateCertificates(certs: readonly Certificate[]): Buffer {
  const signed = encodeSequence([
    encodeInteger(1),
    encodeTlv(0x31, new Uint8Array(0)),
    encodeSequence([encodeOid(CMS_OID.data)]),
    encodeTlv(0xa0, Buffer.concat(certs.map((c) => c.der))),
    encodeTlv(0x31, new Uint8Array(0)),
  ]);
  return Buffer.from(encodeSequence([encodeOid(CMS_OID.signedData), encodeTlv(0xa0, signed)]));
}

/** A parsed SignedData (not yet verified). */
export interface ParsedSignedData {
  content: Buffer | undefined;
  certificates: Certificate[];
  signer:
    | {
        sid: Uint8Array;
        digest: string;
        /** The signed attributes as received, re-tagged SET OF (what the signature covers). */
        signedAttrs: Uint8Array;
        attributes: Attribute[];
        signatureAlgorithm: string;
        signature: Uint8Array;
      }
    | undefined;
}

function invalid(message: string, cause?: unknown): Error {
  return scepError('SCEP_MESSAGE_INVALID', 'badMessageCheck', message, { cause });
}

function oidOf(buf: Uint8Array, tlv: Tlv | undefined): string {
  if (tlv?.tag !== 0x06) throw invalid('expected an OBJECT IDENTIFIER');
  return decodeOidContent(contentOf(buf, tlv));
}

/** Parses a DER ContentInfo(SignedData). Throws SCEP_MESSAGE_INVALID for anything else. */
export function parseSignedData(der: Uint8Array): ParsedSignedData {
  try {
    const top = readOnly(der, 0x30, 'ContentInfo');
    const [typeTlv, explicit] = readChildren(der, top);
    if (oidOf(der, typeTlv) !== CMS_OID.signedData || explicit?.tag !== 0xa0) {
      throw invalid('the message is not a CMS SignedData (RFC 8894 §3.1)');
    }
    const [sd] = readChildren(der, explicit);
    if (sd?.tag !== 0x30) throw invalid('SignedData is not a SEQUENCE');
    const fields = readChildren(der, sd);
    const encap = fields[2];
    if (encap?.tag !== 0x30) throw invalid('SignedData has no encapContentInfo');
    const [, eContent] = readChildren(der, encap);
    let content: Buffer | undefined;
    if (eContent?.tag === 0xa0) {
      const [octets] = readChildren(der, eContent);
      if (octets?.tag === 0x04) content = Buffer.from(contentOf(der, octets));
      else if (octets?.tag === 0x24)
        content = Buffer.concat(readChildren(der, octets).map((c) => contentOf(der, c)));
      else throw invalid('the encapsulated content is not an OCTET STRING');
    }
    const certsTlv = fields.find((f, i) => i > 2 && f.tag === 0xa0);
    const certificates = certsTlv
      ? readChildren(der, certsTlv)
          .filter((c) => c.tag === 0x30)
          .map((c) => parseCertificate(Buffer.from(bytesOf(der, c))))
      : [];
    const signersTlv = fields.at(-1);
    if (signersTlv?.tag !== 0x31) throw invalid('SignedData has no signerInfos');
    const [si] = readChildren(der, signersTlv);
    let signer: ParsedSignedData['signer'];
    if (si !== undefined) {
      const parts = readChildren(der, si);
      const [, sid, digestAlg, attrsTlv] = parts;
      if (!sid || digestAlg?.tag !== 0x30 || attrsTlv?.tag !== 0xa0) {
        throw invalid('the SignerInfo has no signed attributes (RFC 8894 §3.2.1 requires them)');
      }
      const [sigAlgTlv, sigTlv] = parts.slice(4);
      if (sigAlgTlv?.tag !== 0x30 || sigTlv?.tag !== 0x04) throw invalid('the SignerInfo has no signature');
      const attributes = readChildren(der, attrsTlv).map((a) => {
        const [o, set] = readChildren(der, a);
        if (set?.tag !== 0x31) throw invalid('a signed attribute has no values');
        return {
          oid: oidOf(der, o),
          values: readChildren(der, set).map((v) => Buffer.from(bytesOf(der, v))),
        };
      });
      const raw = Buffer.from(bytesOf(der, attrsTlv));
      raw[0] = 0x31;
      signer = {
        sid: Buffer.from(bytesOf(der, sid)),
        digest: oidOf(der, readChildren(der, digestAlg)[0]),
        signedAttrs: raw,
        attributes,
        signatureAlgorithm: oidOf(der, readChildren(der, sigAlgTlv)[0]),
        signature: contentOf(der, sigTlv),
      };
    }
    return { content, certificates, signer };
  } catch (cause) {
    if (String((cause as { code?: unknown }).code ?? '').startsWith('SCEP_')) throw cause;
    throw invalid(`the message is not DER SignedData (${(cause as Error).message})`, cause);
  }
}

/**
 * Verifies the signer of `parsed`: finds its certificate (in the message, or in `extra`), checks the
 * messageDigest attribute against the content and the signature over the signed attributes.
 *
 * @returns the signer's certificate.
 * @throws CertfleetError SCEP_MESSAGE_INVALID (no signer, unknown signer, digest or signature mismatch),
 *   SCEP_UNSUPPORTED_ALGORITHM (a digest or signature algorithm certfleet does not implement).
 */
export function verifySigner(parsed: ParsedSignedData, extra: readonly Certificate[] = []): Certificate {
  const s = parsed.signer;
  if (s === undefined) throw invalid('the SignedData has no SignerInfo; a SCEP message must be signed');
  const pool = [...parsed.certificates, ...extra].map((certificate) => ({ certificate }));
  const found = findByIssuerAndSerial(pool, s.sid);
  if (found === undefined) {
    throw invalid(
      'the SignerInfo names a certificate that is neither in the message nor known to the reader',
    );
  }
  const digest = digestOfOid(s.digest);
  if (digest === undefined) {
    throw scepError(
      'SCEP_UNSUPPORTED_ALGORITHM',
      'badAlg',
      `The message digest algorithm ${s.digest} is not SHA-1, SHA-256 or SHA-512.`,
    );
  }
  const md = s.attributes.find((a) => a.oid === CMS_OID.messageDigest)?.values[0];
  const content = parsed.content ?? Buffer.alloc(0);
  const want = encodeOctetString(createHash(digest).update(content).digest());
  if (md === undefined || !Buffer.from(md).equals(Buffer.from(want))) {
    throw invalid('the messageDigest attribute does not match the content: the message was altered');
  }
  const key = found.certificate.publicKey;
  const algo =
    s.signatureAlgorithm === CMS_OID.rsaEncryption
      ? { hash: digest, key: 'rsa' }
      : SIGNATURE_ALGORITHMS[s.signatureAlgorithm];
  if (algo === undefined || algo.key !== key.asymmetricKeyType) {
    throw scepError(
      'SCEP_UNSUPPORTED_ALGORITHM',
      'badAlg',
      `The signature algorithm ${s.signatureAlgorithm} does not fit the signer's ${String(key.asymmetricKeyType)} key.`,
    );
  }
  let ok: boolean;
  try {
    ok = verify(algo.hash, s.signedAttrs, key as KeyObject, s.signature);
  } catch {
    ok = false;
  }
  if (!ok)
    throw invalid(
      `the signature of "${found.certificate.subjectText}" does not verify: the message was altered or signed with another key`,
    );
  return found.certificate;
}

/** The certificates of a degenerate certs-only SignedData, in order. */
export function certificatesOf(der: Uint8Array): Certificate[] {
  return parseSignedData(der).certificates;
}
