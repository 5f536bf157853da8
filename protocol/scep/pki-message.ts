/**
 * The SCEP PKIMessage (RFC 8894 §3.2): a SignedData (signed-data.ts) whose signed attributes carry
 * messageType, transactionID, senderNonce, and in a reply recipientNonce, pkiStatus and failInfo, and whose
 * content is the pkcsPKIEnvelope (envelope.ts) around the message data: the PKCS#10 request (PKCSReq,
 * RenewalReq), IssuerAndSubject (CertPoll, §3.3.3), IssuerAndSerialNumber (GetCert, GetCRL, §3.3.4), or in
 * a CertRep SUCCESS a degenerate certs-only SignedData with the issued certificate (§3.3.2). FAILURE and
 * PENDING replies carry no envelope (§3.3.2.1, §3.3.2.2).
 */
import { createHash, randomBytes, type KeyObject } from 'node:crypto';
import type { Certificate } from '../../pki/certificate.ts';
import { contentOf, encodeOctetString, encodeTlv, readTlv } from '../../pki/der.ts';
import type { ContentCipher } from './content-cipher.ts';
import { openEnvelope, sealEnvelope, type EnvelopeRecipient } from './envelope.ts';
import {
  FAIL_INFO,
  MESSAGE_TYPES,
  PKI_STATUS,
  SCEP_ATTR,
  nameOf,
  type FailInfo,
  type MessageType,
  type PkiStatus,
} from './oids.ts';
import { scepError } from './scep-error.ts';
import {
  parseSignedData,
  signContent,
  verifySigner,
  type Attribute,
  type ScepDigest,
} from './signed-data.ts';

/** The SCEP fields of a message. */
export interface PkiMessageFields {
  messageType: MessageType;
  transactionId: string;
  senderNonce: Buffer;
  recipientNonce?: Buffer;
  pkiStatus?: PkiStatus;
  failInfo?: FailInfo;
}

/** What {@link encodePkiMessage} needs besides the fields. */
export interface EncodePkiMessageOptions extends PkiMessageFields {
  /** The message data to envelope; absent for a FAILURE or PENDING CertRep. */
  data?: Uint8Array;
  /** Who may open the envelope (the CA/RA certificate(s), or the requester's signing certificate). */
  recipients: readonly Certificate[];
  cipher: ContentCipher;
  digest: ScepDigest;
  signer: { certificate: Certificate; privateKey: KeyObject };
  /** Certificates to include; default the signer's. */
  certificates?: readonly Certificate[];
  signingTime: Date;
  random?: (n: number) => Buffer;
}

/** Nonces are 16 random bytes (RFC 8894 §3.2.1.5). */
export function newNonce(random: (n: number) => Buffer = randomBytes): Buffer {
  return random(16);
}

/** The transactionID of a key: the SHA-256 of its SubjectPublicKeyInfo, hex (RFC 8894 §3.2.1.1 "SHOULD be a hash of the public key"). */
export function transactionIdOf(publicKey: KeyObject): string {
  return createHash('sha256')
    .update(publicKey.export({ type: 'spki', format: 'der' }))
    .digest('hex')
    .toUpperCase();
}

function printable(text: string): Uint8Array {
  return encodeTlv(0x13, Buffer.from(text, 'ascii'));
}

/** Builds the DER PKIMessage. */
export function encodePkiMessage(o: EncodePkiMessageOptions): Buffer {
  const attrs: Attribute[] = [
    { oid: SCEP_ATTR.messageType, values: [printable(MESSAGE_TYPES[o.messageType])] },
    { oid: SCEP_ATTR.transactionID, values: [printable(o.transactionId)] },
    { oid: SCEP_ATTR.senderNonce, values: [encodeOctetString(o.senderNonce)] },
  ];
  if (o.recipientNonce)
    attrs.push({ oid: SCEP_ATTR.recipientNonce, values: [encodeOctetString(o.recipientNonce)] });
  if (o.pkiStatus) attrs.push({ oid: SCEP_ATTR.pkiStatus, values: [printable(PKI_STATUS[o.pkiStatus])] });
  if (o.failInfo) attrs.push({ oid: SCEP_ATTR.failInfo, values: [printable(FAIL_INFO[o.failInfo])] });
  const content = o.data === undefined ? undefined : sealEnvelope(o.data, o.recipients, o.cipher, o.random);
  return signContent({
    content,
    signer: o.signer,
    attributes: attrs,
    digest: o.digest,
    signingTime: o.signingTime,
    certificates: o.certificates ?? [o.signer.certificate],
  });
}

/** A verified, decoded PKIMessage. */
export interface DecodedPkiMessage extends PkiMessageFields {
  /** The certificate that signed it (self-signed for a first request; the RA/CA for a reply). */
  signerCertificate: Certificate;
  /** Every certificate the SignedData carried. */
  certificates: Certificate[];
  /** The opened message data; undefined when there is no envelope or `holders` was not given. */
  data: Buffer | undefined;
  /** The envelope's cipher (a server answers with the one the client used). */
  cipher: ContentCipher | undefined;
  /** The holder whose key opened the envelope. */
  openedBy: EnvelopeRecipient | undefined;
}

function invalid(message: string): Error {
  return scepError('SCEP_MESSAGE_INVALID', 'badMessageCheck', message);
}

function stringValue(attrs: Attribute[], oid: string, name: string): string | undefined {
  const v = attrs.find((a) => a.oid === oid)?.values[0];
  if (v === undefined) return undefined;
  const tlv = readTlv(v, 0);
  if (tlv.tag !== 0x13 && tlv.tag !== 0x0c && tlv.tag !== 0x16)
    throw invalid(`${name} is not a PrintableString`);
  return Buffer.from(contentOf(v, tlv)).toString('latin1');
}

function octetsValue(attrs: Attribute[], oid: string, name: string): Buffer | undefined {
  const v = attrs.find((a) => a.oid === oid)?.values[0];
  if (v === undefined) return undefined;
  const tlv = readTlv(v, 0);
  if (tlv.tag !== 0x04) throw invalid(`${name} is not an OCTET STRING`);
  return Buffer.from(contentOf(v, tlv));
}

/**
 * Parses and verifies a PKIMessage, and opens its envelope with `holders` when given.
 *
 * @param trusted certificates that may have signed it besides those it carries (a renewal's old certificate).
 * @throws CertfleetError SCEP_MESSAGE_INVALID (malformed, bad signature or digest, a missing or unknown
 *   field), SCEP_NOT_RECIPIENT, SCEP_UNSUPPORTED_ALGORITHM.
 */
export function decodePkiMessage(
  der: Uint8Array,
  holders?: readonly EnvelopeRecipient[],
  trusted: readonly Certificate[] = [],
): DecodedPkiMessage {
  const parsed = parseSignedData(der);
  const signerCertificate = verifySigner(parsed, trusted);
  const attrs = parsed.signer?.attributes ?? [];
  const typeText = stringValue(attrs, SCEP_ATTR.messageType, 'messageType');
  const messageType = typeText === undefined ? undefined : nameOf(MESSAGE_TYPES, typeText);
  if (messageType === undefined)
    throw invalid(`messageType ${typeText ?? '(missing)'} is not one of RFC 8894 §3.2.1.2`);
  const transactionId = stringValue(attrs, SCEP_ATTR.transactionID, 'transactionID');
  if (transactionId === undefined || transactionId === '')
    throw invalid('the transactionID attribute is missing');
  const senderNonce = octetsValue(attrs, SCEP_ATTR.senderNonce, 'senderNonce');
  if (senderNonce === undefined) throw invalid('the senderNonce attribute is missing');
  const fields: PkiMessageFields = { messageType, transactionId, senderNonce };
  const recipientNonce = octetsValue(attrs, SCEP_ATTR.recipientNonce, 'recipientNonce');
  if (recipientNonce) fields.recipientNonce = recipientNonce;
  const statusText = stringValue(attrs, SCEP_ATTR.pkiStatus, 'pkiStatus');
  if (statusText !== undefined) {
    const s = nameOf(PKI_STATUS, statusText);
    if (s === undefined) throw invalid(`pkiStatus ${statusText} is not one of RFC 8894 §3.2.1.3`);
    fields.pkiStatus = s;
  }
  const failText = stringValue(attrs, SCEP_ATTR.failInfo, 'failInfo');
  if (failText !== undefined) {
    const f = nameOf(FAIL_INFO, failText);
    if (f === undefined) throw invalid(`failInfo ${failText} is not one of RFC 8894 §3.2.1.4`);
    fields.failInfo = f;
  }
  if (messageType === 'CertRep' && fields.pkiStatus === undefined)
    throw invalid('a CertRep has no pkiStatus');
  let data: Buffer | undefined;
  let cipher: ContentCipher | undefined;
  let openedBy: EnvelopeRecipient | undefined;
  if (parsed.content !== undefined && parsed.content.length > 0 && holders !== undefined) {
    const opened = openEnvelope(parsed.content, holders);
    data = opened.content;
    cipher = opened.cipher;
    openedBy = opened.recipient;
  }
  return { ...fields, signerCertificate, certificates: parsed.certificates, data, cipher, openedBy };
}

/**
 * The transactionID, senderNonce and digest of a message before anything is verified: what a server needs
 * to address a FAILURE reply to a message it cannot trust (RFC 8894 §3.3.2.1). Undefined fields when absent.
 *
 * @throws CertfleetError SCEP_MESSAGE_INVALID when it is not a SignedData at all.
 */
export function peekPkiMessage(der: Uint8Array): {
  transactionId: string | undefined;
  senderNonce: Buffer | undefined;
  digestOid: string | undefined;
} {
  const parsed = parseSignedData(der);
  const attrs = parsed.signer?.attributes ?? [];
  let transactionId: string | undefined;
  let senderNonce: Buffer | undefined;
  try {
    transactionId = stringValue(attrs, SCEP_ATTR.transactionID, 'transactionID');
  } catch {
    transactionId = undefined;
  }
  try {
    senderNonce = octetsValue(attrs, SCEP_ATTR.senderNonce, 'senderNonce');
  } catch {
    senderNonce = undefined;
  }
  return { transactionId, senderNonce, digestOid: parsed.signer?.digest };
}
