/**
 * X.509 v3 certificates (RFC 5280 §4.1): `createCertificate` builds the TBSCertificate in DER and signs it
 * with node:crypto; `parseCertificate` reads DER or PEM into a {@link Certificate} with the fields certfleet
 * uses, and says precisely what is wrong with damaged input (CERT_PARSE).
 *
 * @example
 * const root = createCertificate({
 *   subject: 'CN=Contoso Root CA,O=Contoso,C=US', publicKey: rootKey.publicKey, issuer: 'self',
 *   signingKey: rootKey.privateKey, serialNumber: '01', notBefore, notAfter,
 *   extensions: { basicConstraints: { ca: true }, keyUsage: ['keyCertSign', 'cRLSign'] },
 * });
 * parseCertificate(root.pem).isSelfSigned; // true
 */
import { type KeyObject } from 'node:crypto';
import {
  bytesOf,
  contentOf,
  decodeIntegerHex,
  decodeOidContent,
  decodeTime,
  DerError,
  encodeBitString,
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
import { CertfleetError, type ErrorCode } from './errors.ts';
import {
  decodeExtensionList,
  encodeExtensionList,
  encodeExtensions,
  interpretExtensions,
  keyIdentifier,
  type ExtensionsSpec,
  type KeyUsageName,
  type ParsedExtensions,
  type SanEntry,
} from './extensions.ts';
import { keySpecOf, publicKeyFromSpki, spkiDerOf, type KeySpec } from './keys.ts';
import { ownBytes } from './own-bytes.ts';
import { derToPem, looksLikePem, pemToDer } from './pem.ts';
import {
  defaultHash,
  SIGNATURE_ALGORITHMS,
  signatureAlgorithmIdentifier,
  signTbs,
  signTbsAsync,
  verifyTbs,
  type SignatureHash,
} from './signature.ts';
import { sha1Thumbprint, sha256Thumbprint } from './thumbprint.ts';

/** An issuer given by its name and key pair. */
export interface CertificateIssuer {
  subject: Dn | string;
  privateKey: KeyObject;
  publicKey: KeyObject;
}

/** Options of {@link createCertificate}. */
export interface CreateCertificateOptions {
  subject: Dn | string;
  /** The subject's public key. */
  publicKey: KeyObject;
  /**
   * Who signs: `'self'` (self-signed; `signingKey` is the subject's private key), an issuer name + key pair, or
   * an issuer {@link Certificate} (then `signingKey` is its private key; its subject bytes become the issuer).
   */
  issuer: CertificateIssuer | Certificate | 'self';
  /** The signing private key, for `'self'` and for a {@link Certificate} issuer. */
  signingKey?: KeyObject;
  /** The serial number as hex (1–20 octets, positive). */
  serialNumber: string;
  notBefore: Date;
  notAfter: Date;
  extensions?: ExtensionsSpec;
  /** Default: sha384 for P-384 signing keys, sha256 otherwise. */
  hash?: SignatureHash;
}

function bad(message: string, details: Record<string, unknown> = {}): CertfleetError {
  return new CertfleetError('CERT_BAD_INPUT', message, { details });
}

/** A public key's SubjectPublicKeyInfo DER (exported once per KeyObject: keys.ts spkiDerOf). */
function spkiOf(key: KeyObject): Buffer {
  // a private key here is a caller's mistake: node:crypto refuses to export it as spki, as before the memo
  return key.type === 'public' ? spkiDerOf(key) : key.export({ type: 'spki', format: 'der' });
}

/** Checks a serial number given as hex (1–20 octets, not zero) and returns it upper-case without leading zeros. */
export function normaliseSerial(serial: string): string {
  if (!/^[0-9a-fA-F]+$/.test(serial)) throw bad(`The serial number "${serial}" is not hex.`, { serial });
  const stripped = serial.replace(/^0+/, '').toUpperCase();
  if (stripped === '') throw bad('The serial number must not be zero (RFC 5280 §4.1.2.2).', { serial });
  const octets =
    Math.ceil(stripped.length / 2) +
    (parseInt(stripped.slice(0, stripped.length % 2 ? 1 : 2), 16) >= 0x80 ? 1 : 0);
  if (octets > 20)
    throw bad(`The serial number "${serial}" is longer than 20 octets (RFC 5280 §4.1.2.2).`, { serial });
  return stripped.length % 2 ? `0${stripped}` : stripped;
}

/** A certificate encoded up to its signature: the TBSCertificate and what signs it. */
interface UnsignedCertificate {
  tbs: Uint8Array;
  algorithm: Uint8Array;
  signingKey: KeyObject;
  hash: SignatureHash;
  publicKey: KeyObject;
}

/** Checks `opts` and encodes the TBSCertificate (everything {@link createCertificate} does before it signs). */
function encodeUnsigned(opts: CreateCertificateOptions): UnsignedCertificate {
  const subjectDer = encodeDn(toDn(opts.subject));
  let issuerDer: Uint8Array;
  let signingKey: KeyObject | undefined;
  let issuerPublicKey: KeyObject;
  let issuerKeyId: string | undefined;
  const ext = opts.extensions ?? {};
  if (opts.issuer === 'self') {
    issuerDer = subjectDer;
    signingKey = opts.signingKey;
    issuerPublicKey = opts.publicKey;
    issuerKeyId = ext.authorityKeyIdentifier === true ? keyIdentifier(opts.publicKey) : undefined;
  } else if (opts.issuer instanceof Certificate) {
    issuerDer = opts.issuer.subjectDer;
    signingKey = opts.signingKey;
    issuerPublicKey = opts.issuer.publicKey;
    issuerKeyId = opts.issuer.ski ?? keyIdentifier(opts.issuer.publicKey);
  } else {
    issuerDer = encodeDn(toDn(opts.issuer.subject));
    signingKey = opts.issuer.privateKey;
    issuerPublicKey = opts.issuer.publicKey;
    issuerKeyId = keyIdentifier(opts.issuer.publicKey);
  }
  if (!signingKey)
    throw bad('No signing key: pass signingKey for a self-signed certificate or a Certificate issuer.');
  if (!spkiDerOf(signingKey).equals(spkiOf(issuerPublicKey))) {
    throw bad(
      'The signing key does not belong to the issuer (its public key differs from the issuer public key).',
    );
  }
  if (
    !(opts.notBefore instanceof Date) ||
    Number.isNaN(opts.notBefore.getTime()) ||
    Number.isNaN(opts.notAfter.getTime())
  ) {
    throw bad('notBefore and notAfter must be valid dates.');
  }
  if (opts.notAfter.getTime() <= opts.notBefore.getTime()) {
    throw bad(
      `notAfter (${opts.notAfter.toISOString()}) must be after notBefore (${opts.notBefore.toISOString()}).`,
    );
  }
  const hash = opts.hash ?? defaultHash(signingKey);
  const serial = normaliseSerial(opts.serialNumber);
  const spki = new Uint8Array(spkiOf(opts.publicKey));
  const exts = encodeExtensions(ext, { subjectPublicKey: opts.publicKey, issuerKeyId });
  // the AlgorithmIdentifier goes inside the TBS; the key signs once, the TBS itself (signing an empty
  // buffer to learn it cost one private-key operation per certificate, issue 11 point 2)
  const algorithm = signatureAlgorithmIdentifier(signingKey, hash);
  const tbs = encodeSequence([
    encodeTlv(0xa0, Uint8Array.of(0x02, 0x01, 0x02)),
    encodeIntegerHex(serial),
    algorithm,
    issuerDer,
    encodeSequence([encodeTime(opts.notBefore), encodeTime(opts.notAfter)]),
    subjectDer,
    spki,
    ...(exts.length > 0 ? [encodeTlv(0xa3, encodeExtensionList(exts))] : []),
  ]);
  return { tbs, algorithm, signingKey, hash, publicKey: opts.publicKey };
}

/** The certificate of `u` with its `signature`, parsed. */
function signedCertificate(u: UnsignedCertificate, signature: Uint8Array): Certificate {
  const der = encodeSequence([u.tbs, u.algorithm, encodeBitString(signature)]);
  return Certificate.fromDer(der, u.publicKey, EXTENSIONS_WHEN_READ);
}

/** Creates and signs a certificate; returns it parsed. Throws CERT_BAD_INPUT / DN_SYNTAX / KEY_UNSUPPORTED. */
export function createCertificate(opts: CreateCertificateOptions): Certificate {
  const u = encodeUnsigned(opts);
  return signedCertificate(u, signTbs(u.tbs, u.signingKey, u.hash).signature);
}

/**
 * {@link createCertificate} in two steps: the input is checked and the TBSCertificate encoded now, in the
 * calling thread (so a bad input throws here, before anything is signed), and the promise it returns is
 * signed on libuv's thread pool ({@link signTbsAsync}), off the calling thread. For an RSA issuer the
 * certificate is the same bytes as {@link createCertificate}'s.
 *
 * @example
 * const pending = startCertificate({ subject, publicKey, issuer, signingKey, serialNumber, notBefore, notAfter });
 * const cert = await pending; // signed off the main thread
 */
export function startCertificate(opts: CreateCertificateOptions): Promise<Certificate> {
  const u = encodeUnsigned(opts);
  return signTbsAsync(u.tbs, u.signingKey, u.hash).then((s) => signedCertificate(u, s.signature));
}

/**
 * Passed by {@link createCertificate} only: the extensions of a certificate this process has just encoded
 * are interpreted when first read, not on creation — a CA signs a certificate per device and hands on its
 * DER, and nobody reads the extensions back (issue 11 point 2). Bytes from outside are read whole at parse,
 * so a malformed extension is CERT_PARSE there.
 */
const EXTENSIONS_WHEN_READ = Symbol('extensions when read');

/** The {@link Certificate} fields that come from the extensions. */
const EXTENSION_FIELDS = [
  'extensions',
  'keyUsage',
  'extKeyUsage',
  'subjectAltName',
  'basicConstraints',
  'ski',
  'aki',
  'crlDistributionPoints',
  'template',
  'applicationPolicies',
] as const;
type ExtensionField = (typeof EXTENSION_FIELDS)[number];
type ExtensionFields = Pick<Certificate, ExtensionField>;
type CertificateFields = Omit<
  Certificate,
  'der' | 'pem' | 'verifySignature' | 'isSelfSigned' | ExtensionField
> &
  (ExtensionFields | { extensionsWhenRead: () => ExtensionFields });

/**
 * Self-signature checks made so far, by the certificate's SHA-256 thumbprint (the same bytes verify the same
 * way), least recently used first: a fleet parses the same root on every device and every trust evaluation,
 * and verified its signature each time (issue 11 point 2).
 */
const SELF_SIGNED = new Map<string, boolean>();
const SELF_SIGNED_LIMIT = 256;

function selfSignatureVerifies(cert: Certificate): boolean {
  const id = cert.sha256Thumbprint;
  let ok = SELF_SIGNED.get(id);
  if (ok === undefined) ok = cert.verifySignature(cert.publicKey);
  else SELF_SIGNED.delete(id); // most recently used last
  SELF_SIGNED.set(id, ok);
  if (SELF_SIGNED.size > SELF_SIGNED_LIMIT) SELF_SIGNED.delete(SELF_SIGNED.keys().next().value as string);
  return ok;
}

/**
 * Certificates parsed (or made) so far that are still alive, by the SHA-256 of their DER. A fleet parses the
 * same root and issuing CA on every device and every trust evaluation, and in one process a device parses
 * again the certificate the service has just made (issue 11 point 2). A {@link Certificate} never changes
 * and depends only on its bytes, so one parse serves every parse of the same bytes while it is alive.
 * Held weakly: this map keeps no parse alive (an idle agent keeps DER, not parses: kept-certificate.ts), so
 * an entry lives as long as someone uses the certificate — the CA its own, a device its current one — and
 * goes with it. Bytes that do not parse are not remembered (each parse throws its own CERT_PARSE).
 */
const PARSED = new Map<string, WeakRef<Certificate>>();
const FORGET_PARSED = new FinalizationRegistry<string>((id) => {
  if (PARSED.get(id)?.deref() === undefined) PARSED.delete(id);
});

/** The live parse of the DER whose SHA-256 thumbprint is `id`, if any. */
function parsedBefore(id: string): Certificate | undefined {
  return PARSED.get(id)?.deref();
}

function rememberParsed(id: string, cert: Certificate): void {
  PARSED.set(id, new WeakRef(cert));
  FORGET_PARSED.register(cert, id);
}

/** A parsed X.509 certificate (RFC 5280 §4.1). Build with {@link parseCertificate} or {@link createCertificate}. */
export class Certificate {
  /** The DER encoding. */
  readonly der: Buffer;
  /** X.509 version (1, 2 or 3). */
  readonly version: number;
  /** Serial number, upper-case hex (leading zero bytes removed). */
  readonly serialNumber: string;
  readonly subject: Dn;
  /** The subject as RFC 4514 text. */
  readonly subjectText: string;
  /** The subject Name exactly as encoded (chains match names byte for byte). */
  readonly subjectDer: Uint8Array;
  readonly issuer: Dn;
  readonly issuerText: string;
  readonly issuerDer: Uint8Array;
  readonly notBefore: Date;
  readonly notAfter: Date;
  readonly publicKey: KeyObject;
  /** The key spec, or undefined for keys certfleet does not issue (e.g. RSA-1024). */
  readonly keySpec: KeySpec | undefined;
  /** Signature algorithm OID and name. */
  readonly signatureAlgorithm: { oid: string; name: string };
  /** Every extension, interpreted where known. */
  declare readonly extensions: ParsedExtensions;
  /** Key usages (empty when the extension is absent). */
  declare readonly keyUsage: KeyUsageName[];
  /** EKU OIDs (empty when absent); see ekuName() for names. */
  declare readonly extKeyUsage: string[];
  /** SAN entries (empty when absent). */
  declare readonly subjectAltName: SanEntry[];
  declare readonly basicConstraints: { ca: boolean; pathLength?: number } | undefined;
  /** Subject key identifier, upper-case hex. */
  declare readonly ski: string | undefined;
  /** Authority key identifier (keyIdentifier), upper-case hex. */
  declare readonly aki: string | undefined;
  declare readonly crlDistributionPoints: string[];
  /** The AD CS template extension (v1 name or v2 OID/version). */
  declare readonly template: ParsedExtensions['template'];
  /** Microsoft application policies (OIDs; empty when absent). */
  declare readonly applicationPolicies: string[];
  /** SHA-1 thumbprint, upper-case hex without separators (as Windows shows it). */
  readonly sha1Thumbprint: string;
  readonly sha256Thumbprint: string;
  /** Issuer and subject names are equal and the certificate verifies with its own key. */
  readonly isSelfSigned: boolean;
  /** The signed TBSCertificate bytes and the signature value. */
  readonly tbsDer: Uint8Array;
  readonly signature: Uint8Array;

  private constructor(der: Buffer, f: CertificateFields) {
    this.der = der;
    this.version = f.version;
    this.serialNumber = f.serialNumber;
    this.subject = f.subject;
    this.subjectText = f.subjectText;
    this.subjectDer = f.subjectDer;
    this.issuer = f.issuer;
    this.issuerText = f.issuerText;
    this.issuerDer = f.issuerDer;
    this.notBefore = f.notBefore;
    this.notAfter = f.notAfter;
    this.publicKey = f.publicKey;
    this.keySpec = f.keySpec;
    this.signatureAlgorithm = f.signatureAlgorithm;
    if ('extensionsWhenRead' in f) {
      // own enumerable properties all the same: read once, on first use of any of them, then plain values
      const read = f.extensionsWhenRead;
      const settle = (): ExtensionFields => {
        const fields = read();
        for (const name of EXTENSION_FIELDS)
          Object.defineProperty(this, name, { value: fields[name], enumerable: true, configurable: false });
        return fields;
      };
      for (const name of EXTENSION_FIELDS)
        Object.defineProperty(this, name, {
          get: () => settle()[name],
          enumerable: true,
          configurable: true,
        });
    } else {
      this.extensions = f.extensions;
      this.keyUsage = f.keyUsage;
      this.extKeyUsage = f.extKeyUsage;
      this.subjectAltName = f.subjectAltName;
      this.basicConstraints = f.basicConstraints;
      this.ski = f.ski;
      this.aki = f.aki;
      this.crlDistributionPoints = f.crlDistributionPoints;
      this.template = f.template;
      this.applicationPolicies = f.applicationPolicies;
    }
    this.sha1Thumbprint = f.sha1Thumbprint;
    this.sha256Thumbprint = f.sha256Thumbprint;
    this.tbsDer = f.tbsDer;
    this.signature = f.signature;
    this.isSelfSigned =
      Buffer.from(this.subjectDer).equals(Buffer.from(this.issuerDer)) && selfSignatureVerifies(this);
  }

  /** The certificate as PEM (`-----BEGIN CERTIFICATE-----`). */
  get pem(): string {
    return derToPem(this.der, 'CERTIFICATE');
  }

  /** True when the certificate's signature verifies with `issuerPublicKey` (native crypto). */
  verifySignature(issuerPublicKey: KeyObject): boolean {
    return verifyTbs(this.tbsDer, this.signature, this.signatureAlgorithm.oid, issuerPublicKey);
  }

  /**
   * Parses DER; throws CERT_PARSE. Prefer {@link parseCertificate}. While a parse of the same bytes is alive
   * (see PARSED above), that same {@link Certificate} is returned.
   *
   * @param publicKey the subject's public key when the caller already holds it ({@link createCertificate}):
   *   taken as the certificate's `publicKey` when its SubjectPublicKeyInfo is byte for byte the certificate's,
   *   instead of importing the same key a second time; ignored otherwise, and when the bytes were parsed before
   */
  static fromDer(input: Uint8Array, publicKey?: KeyObject, when?: typeof EXTENSIONS_WHEN_READ): Certificate {
    const id = sha256Thumbprint(input);
    const seen = parsedBefore(id);
    if (seen !== undefined) return seen;
    // its own copy, outside Node's buffer pool: every field below is a view of it (own-bytes.ts)
    const der = ownBytes(input);
    let cert: Certificate;
    try {
      cert = new Certificate(der, readCertificateFields(der, publicKey, when === EXTENSIONS_WHEN_READ));
    } catch (e) {
      throw wrapParseError(e, 'CERT_PARSE', 'certificate');
    }
    rememberParsed(id, cert);
    return cert;
  }
}

/** Turns a DerError (or other failure) into a CertfleetError with `code` and a precise message. */
export function wrapParseError(e: unknown, code: ErrorCode, what: string): CertfleetError {
  if (e instanceof CertfleetError && e.code === code) return e;
  if (e instanceof DerError) {
    const truncated = /declares \d+ bytes, has \d+/.test(e.message);
    return new CertfleetError(
      code,
      `The ${what} is ${truncated ? 'truncated' : 'malformed'}: ${e.message}.`,
      {
        cause: e,
        details: { offset: e.offset },
      },
    );
  }
  const message = e instanceof Error ? e.message : String(e);
  return new CertfleetError(code, `The ${what} is malformed: ${message}`, { cause: e });
}

/** Checks that `der` is exactly one SEQUENCE and returns its TLV (throws DerError). */
export function readOuterSequence(der: Uint8Array, what: string): Tlv {
  if (der.length === 0) throw new DerError(`the ${what} is empty`, 0);
  const top = readTlv(der, 0);
  if (top.tag !== 0x30)
    throw new DerError(
      `expected a SEQUENCE (0x30) at byte 0, found tag 0x${top.tag.toString(16).toUpperCase().padStart(2, '0')}`,
      0,
    );
  if (top.end !== der.length)
    throw new DerError(`${String(der.length - top.end)} extra bytes after the ${what}`, top.end);
  return top;
}

/** Reads an AlgorithmIdentifier's OID. */
export function readAlgorithmOid(buf: Uint8Array, alg: Tlv): string {
  const [oid] = readChildren(buf, alg);
  if (alg.tag !== 0x30 || !oid || oid.tag !== 0x06)
    throw new DerError('expected an AlgorithmIdentifier', alg.start);
  return decodeOidContent(contentOf(buf, oid));
}

/** Reads a BIT STRING's bits (no unused bits expected for signatures). */
export function readBitString(buf: Uint8Array, tlv: Tlv, what: string): Uint8Array {
  if (tlv.tag !== 0x03) throw new DerError(`expected a BIT STRING for the ${what}`, tlv.start);
  return buf.slice(tlv.contentStart + 1, tlv.end);
}

function safeKeySpec(key: KeyObject): KeySpec | undefined {
  try {
    return keySpecOf(key);
  } catch {
    return undefined;
  }
}

function readCertificateFields(
  der: Buffer,
  knownKey?: KeyObject,
  extensionsWhenRead = false,
): CertificateFields {
  const top = readOuterSequence(der, 'certificate');
  const [tbsTlv, algTlv, sigTlv, extra] = readChildren(der, top);
  if (!tbsTlv || !algTlv || !sigTlv || extra) {
    throw new DerError('expected SEQUENCE { tbsCertificate, signatureAlgorithm, signatureValue }', 0);
  }
  if (tbsTlv.tag !== 0x30) throw new DerError('the tbsCertificate is not a SEQUENCE', tbsTlv.start);
  const fields = readChildren(der, tbsTlv);
  let i = 0;
  let version = 1;
  if (fields[0]?.tag === 0xa0) {
    const v = readTlv(der.subarray(0, fields[0].end), fields[0].contentStart);
    version = (contentOf(der, v)[0] ?? 0) + 1;
    i++;
  }
  const at = (name: string, tag?: number): Tlv => {
    const t = fields[i++];
    if (!t) throw new DerError(`the tbsCertificate has no ${name}`, tbsTlv.start);
    if (tag !== undefined && t.tag !== tag)
      throw new DerError(`the ${name} has tag 0x${t.tag.toString(16)} at byte ${String(t.start)}`, t.start);
    return t;
  };
  const serialTlv = at('serialNumber', 0x02);
  at('signature', 0x30);
  const issuerTlv = at('issuer', 0x30);
  const validityTlv = at('validity', 0x30);
  const subjectTlv = at('subject', 0x30);
  const spkiTlv = at('subjectPublicKeyInfo', 0x30);
  let extList: Tlv | undefined;
  for (; i < fields.length; i++) {
    const f = fields[i] as Tlv;
    if (f.tag === 0xa3) extList = readTlv(der.subarray(0, f.end), f.contentStart);
  }
  const [nb, na] = readChildren(der, validityTlv);
  if (!nb || !na) throw new DerError('the validity needs notBefore and notAfter', validityTlv.start);
  let publicKey: KeyObject;
  try {
    const spki = Buffer.from(bytesOf(der, spkiTlv));
    publicKey =
      knownKey?.type === 'public' && spkiDerOf(knownKey).equals(spki) ? knownKey : publicKeyFromSpki(spki);
  } catch (cause) {
    throw new CertfleetError(
      'CERT_PARSE',
      'The certificate public key could not be read (unsupported algorithm or bad encoding).',
      { cause },
    );
  }
  const sigOid = readAlgorithmOid(der, algTlv);
  const readExtensions = (): ExtensionFields => {
    const extensions = interpretExtensions(extList ? decodeExtensionList(der, extList) : []);
    return {
      extensions,
      keyUsage: extensions.keyUsage ?? [],
      extKeyUsage: extensions.extKeyUsage ?? [],
      subjectAltName: extensions.subjectAltName ?? [],
      basicConstraints: extensions.basicConstraints,
      ski: extensions.subjectKeyIdentifier,
      aki: extensions.authorityKeyIdentifier,
      crlDistributionPoints: extensions.crlDistributionPoints ?? [],
      template: extensions.template,
      applicationPolicies: extensions.applicationPolicies ?? [],
    };
  };
  const fromExtensions = extensionsWhenRead
    ? {
        extensionsWhenRead: (): ExtensionFields => {
          try {
            return readExtensions();
          } catch (e) {
            throw wrapParseError(e, 'CERT_PARSE', 'certificate');
          }
        },
      }
    : readExtensions();
  const subjectDer = der.slice(subjectTlv.start, subjectTlv.end);
  const issuerDer = der.slice(issuerTlv.start, issuerTlv.end);
  const subject = decodeDn(subjectDer);
  const issuer = decodeDn(issuerDer);
  return {
    version,
    serialNumber: decodeIntegerHex(contentOf(der, serialTlv)),
    subject,
    subjectText: formatDn(subject),
    subjectDer,
    issuer,
    issuerText: formatDn(issuer),
    issuerDer,
    notBefore: decodeTime(der, nb),
    notAfter: decodeTime(der, na),
    publicKey,
    keySpec: safeKeySpec(publicKey),
    signatureAlgorithm: { oid: sigOid, name: SIGNATURE_ALGORITHMS[sigOid]?.name ?? sigOid },
    ...fromExtensions,
    sha1Thumbprint: sha1Thumbprint(der),
    sha256Thumbprint: sha256Thumbprint(der),
    tbsDer: der.slice(tbsTlv.start, tbsTlv.end),
    signature: readBitString(der, sigTlv, 'signature'),
  };
}

/**
 * Parses a certificate from DER or PEM (string, or bytes starting with `-----BEGIN`). Throws CERT_PARSE with a
 * precise message: truncated ("declares 865 bytes, has 825"), trailing bytes, wrong tag, a non-ASCII byte in
 * PEM, a missing END line. The same bytes give the same {@link Certificate} while it is alive (fromDer).
 */
export function parseCertificate(input: Uint8Array | string): Certificate {
  const der =
    typeof input === 'string' || looksLikePem(input)
      ? pemToDer(input, ['CERTIFICATE', 'X509 CERTIFICATE'], 'CERT_PARSE')
      : input;
  return Certificate.fromDer(der);
}

/** Splits PEM text holding several certificates (a bundle) and parses each. */
export function parseCertificateBundle(pem: string): Certificate[] {
  const blocks = pem.match(/-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g) ?? [];
  return blocks.map((b) => parseCertificate(b));
}

/** Concatenates certificates as one PEM bundle. */
export function toPemBundle(certs: readonly Certificate[]): string {
  return certs.map((c) => c.pem).join('');
}
