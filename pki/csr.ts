/**
 * PKCS#10 certificate signing requests (RFC 2986 §4), with requested extensions in the PKCS#9
 * extensionRequest attribute (1.2.840.113549.1.9.14, RFC 2985 §5.4.2). Signed and verified natively.
 *
 * @example
 * const csr = createCsr({ subject: 'CN=ada@contoso.com', keyPair, san: [{ type: 'upn', value: 'ada@contoso.com' }] });
 * parseCsr(csr.pem).subjectAltName; // [{ type: 'upn', value: 'ada@contoso.com' }]
 */
import { type KeyObject } from 'node:crypto';
import { readAlgorithmOid, readBitString, readOuterSequence, wrapParseError } from './certificate.ts';
import {
  bytesOf,
  contentOf,
  decodeOidContent,
  DerError,
  encodeBitString,
  encodeOid,
  encodeSequence,
  encodeTlv,
  readChildren,
} from './der.ts';
import { decodeDn, encodeDn } from './dn-der.ts';
import { formatDn, toDn, type Dn } from './dn.ts';
import { CertfleetError } from './errors.ts';
import {
  decodeExtensionList,
  encodeExtensionList,
  encodeExtensions,
  interpretExtensions,
  type ExtensionsSpec,
  type ParsedExtensions,
  type SanEntry,
} from './extensions.ts';
import {
  keySpecOf,
  publicKeyFromSpki,
  rememberPublicKey,
  spkiDerOf,
  type KeyPair,
  type KeySpec,
} from './keys.ts';
import { EXT } from './oids.ts';
import { derToPem, looksLikePem, pemToDer } from './pem.ts';
import {
  defaultHash,
  SIGNATURE_ALGORITHMS,
  signTbs,
  signTbsAsync,
  verifyTbs,
  verifyTbsAsync,
  type SignatureHash,
} from './signature.ts';

/** Options of {@link createCsr}. */
export interface CreateCsrOptions {
  subject: Dn | string;
  keyPair: KeyPair;
  /** Requested SANs (merged into `extensions.subjectAltName`). */
  san?: readonly SanEntry[];
  /** Requested extensions (written into the extensionRequest attribute). */
  extensions?: ExtensionsSpec;
  hash?: SignatureHash;
}

/** A parsed, signature-checked PKCS#10 request. */
export interface Csr {
  der: Buffer;
  pem: string;
  subject: Dn;
  subjectText: string;
  subjectDer: Uint8Array;
  publicKey: KeyObject;
  /** Undefined for keys certfleet does not issue (e.g. RSA-1024) — the CA decides what to do with them. */
  keySpec: KeySpec | undefined;
  signatureAlgorithm: { oid: string; name: string };
  /** The requested extensions (from the extensionRequest attribute); `raw` is empty when none. */
  extensions: ParsedExtensions;
  /** Requested SANs (empty when none). */
  subjectAltName: SanEntry[];
  /** Every attribute, raw: OID and the DER of each value. */
  attributes: { oid: string; values: Uint8Array[] }[];
}

/** The CertificationRequestInfo of `opts` (DER) and the hash it is signed with. */
function requestInfo(opts: CreateCsrOptions): { info: Uint8Array; hash: SignatureHash } {
  const spec: ExtensionsSpec = { ...opts.extensions };
  if (opts.san && opts.san.length > 0) spec.subjectAltName = [...(spec.subjectAltName ?? []), ...opts.san];
  const exts = encodeExtensions(spec);
  const attributes =
    exts.length > 0
      ? [encodeSequence([encodeOid(EXT.extensionRequest), encodeTlv(0x31, encodeExtensionList(exts))])]
      : [];
  const hash = opts.hash ?? defaultHash(opts.keyPair.privateKey);
  const info = encodeSequence([
    Uint8Array.of(0x02, 0x01, 0x00),
    encodeDn(toDn(opts.subject)),
    new Uint8Array(spkiDerOf(opts.keyPair.publicKey)),
    encodeTlv(0xa0, Buffer.concat(attributes)),
  ]);
  return { info, hash };
}

/**
 * The signed request of `info` (DER): the one place its SEQUENCE { certificationRequestInfo,
 * signatureAlgorithm, signature } is built, for {@link createCsr} and {@link createCsrAsync} alike.
 */
function signedCsr(
  opts: CreateCsrOptions,
  info: Uint8Array,
  signed: { algorithm: Uint8Array; signature: Uint8Array },
): Uint8Array {
  // read back by the caller with the key it holds, not an import of the bytes just exported from it
  rememberPublicKey(opts.keyPair.publicKey);
  return encodeSequence([info, signed.algorithm, encodeBitString(signed.signature)]);
}

/** Creates and signs a CSR with the key pair's private key. */
export function createCsr(opts: CreateCsrOptions): Csr {
  const { info, hash } = requestInfo(opts);
  return parseCsr(signedCsr(opts, info, signTbs(info, opts.keyPair.privateKey, hash)));
}

/**
 * {@link createCsr} with the signature made on libuv's thread pool ({@link signTbsAsync}), off the calling
 * thread, and checked there too ({@link parseCsrAsync}: a key pair whose halves differ is CSR_BAD_SIGNATURE):
 * the same request (for an RSA key, the same bytes).
 */
export async function createCsrAsync(opts: CreateCsrOptions): Promise<Csr> {
  const { info, hash } = requestInfo(opts);
  return parseCsrAsync(signedCsr(opts, info, await signTbsAsync(info, opts.keyPair.privateKey, hash)));
}

/**
 * Parses a CSR from DER or PEM (`CERTIFICATE REQUEST` / `NEW CERTIFICATE REQUEST`) and verifies its
 * signature. Throws CSR_PARSE for malformed input, CSR_BAD_SIGNATURE when the signature does not verify.
 */
export function parseCsr(input: Uint8Array | string): Csr {
  const read = readCsr(input);
  if (!verifyTbs(read.info, read.signature, read.csr.signatureAlgorithm.oid, read.csr.publicKey))
    throw badSignature(read.csr);
  return read.csr;
}

/**
 * {@link parseCsr} with the signature checked on libuv's thread pool ({@link verifyTbsAsync}), off the calling
 * thread: the same request, the same codes (CSR_PARSE thrown before anything is checked, CSR_BAD_SIGNATURE).
 */
export async function parseCsrAsync(input: Uint8Array | string): Promise<Csr> {
  const read = readCsr(input);
  if (!(await verifyTbsAsync(read.info, read.signature, read.csr.signatureAlgorithm.oid, read.csr.publicKey)))
    throw badSignature(read.csr);
  return read.csr;
}

/** CSR_BAD_SIGNATURE for `csr`. */
function badSignature(csr: Csr): CertfleetError {
  return new CertfleetError(
    'CSR_BAD_SIGNATURE',
    `The signature on the request for "${csr.subjectText}" does not verify with its own public key (${csr.signatureAlgorithm.name}); the request was altered or signed with another key.`,
    { details: { subject: csr.subjectText } },
  );
}

/** Parses a CSR as {@link parseCsr} does, without verifying its signature (returned with what it signs). */
function readCsr(input: Uint8Array | string): { csr: Csr; info: Uint8Array; signature: Uint8Array } {
  const der = Buffer.from(
    typeof input === 'string' || looksLikePem(input)
      ? pemToDer(input, ['CERTIFICATE REQUEST', 'NEW CERTIFICATE REQUEST'], 'CSR_PARSE')
      : input,
  );
  let csr: Csr;
  let info: Uint8Array;
  let signature: Uint8Array;
  try {
    const top = readOuterSequence(der, 'request');
    const [infoTlv, algTlv, sigTlv, extra] = readChildren(der, top);
    if (!infoTlv || !algTlv || !sigTlv || extra || infoTlv.tag !== 0x30) {
      throw new DerError('expected SEQUENCE { certificationRequestInfo, signatureAlgorithm, signature }', 0);
    }
    const [version, subjectTlv, spkiTlv, attrsTlv] = readChildren(der, infoTlv);
    if (!version || version.tag !== 0x02 || !subjectTlv || !spkiTlv) {
      throw new DerError(
        'the certificationRequestInfo needs version, subject and subjectPKInfo',
        infoTlv.start,
      );
    }
    let publicKey: KeyObject;
    try {
      publicKey = publicKeyFromSpki(bytesOf(der, spkiTlv));
    } catch (cause) {
      throw new CertfleetError(
        'CSR_PARSE',
        'The request public key could not be read (unsupported algorithm or bad encoding).',
        {
          cause,
        },
      );
    }
    const attributes: Csr['attributes'] = [];
    let extensions: ParsedExtensions = { raw: [] };
    if (attrsTlv && attrsTlv.tag === 0xa0) {
      for (const attr of readChildren(der, attrsTlv)) {
        const [oidTlv, setTlv] = readChildren(der, attr);
        if (!oidTlv || !setTlv || oidTlv.tag !== 0x06 || setTlv.tag !== 0x31)
          throw new DerError('malformed attribute', attr.start);
        const oid = decodeOidContent(contentOf(der, oidTlv));
        const values = readChildren(der, setTlv);
        attributes.push({ oid, values: values.map((v) => der.slice(v.start, v.end)) });
        const first = values[0];
        if (oid === EXT.extensionRequest && first)
          extensions = interpretExtensions(decodeExtensionList(der, first));
      }
    }
    const subjectDer = der.slice(subjectTlv.start, subjectTlv.end);
    const subject = decodeDn(subjectDer);
    const sigOid = readAlgorithmOid(der, algTlv);
    let keySpec: KeySpec | undefined;
    try {
      keySpec = keySpecOf(publicKey);
    } catch {
      keySpec = undefined;
    }
    info = der.subarray(infoTlv.start, infoTlv.end);
    signature = readBitString(der, sigTlv, 'signature');
    csr = {
      der,
      pem: derToPem(der, 'CERTIFICATE REQUEST'),
      subject,
      subjectText: formatDn(subject),
      subjectDer,
      publicKey,
      keySpec,
      signatureAlgorithm: { oid: sigOid, name: SIGNATURE_ALGORITHMS[sigOid]?.name ?? sigOid },
      extensions,
      subjectAltName: extensions.subjectAltName ?? [],
      attributes,
    };
  } catch (e) {
    throw wrapParseError(e, 'CSR_PARSE', 'certificate request');
  }
  return { csr, info, signature };
}
