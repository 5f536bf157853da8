/**
 * The pkcsPKIEnvelope of a SCEP message (RFC 8894 §3.1, §3.2.2): a CMS EnvelopedData (RFC 5652 §6) whose
 * content is the request (a PKCS#10 CSR), the poll / GetCert identifiers, or the reply (a degenerate
 * certs-only SignedData). Key transport is RSAES-PKCS1-v1_5 (`rsaEncryption`), the one SCEP peers use; every
 * KeyTransRecipientInfo names its recipient by IssuerAndSerialNumber. A client may encrypt to several
 * certificates at once (micromdm/scep encrypts to every certificate of GetCACert); the reader picks the one
 * it holds.
 *
 * The Windows PFX-password codec (profiles/windows/pfx-password.ts) builds the same structure for another
 * purpose (a UTF-16 password, OAEP by default); this one carries bytes and keeps to what SCEP uses.
 * Node 20 refuses RSA_PKCS1_PADDING in privateDecrypt (CVE-2023-46809), so the PKCS#1 v1.5 padding is removed
 * by hand after a raw RSA operation (pki/rsa-pkcs1v15.ts), as there.
 */
import { constants, publicEncrypt, randomBytes, type KeyObject } from 'node:crypto';
import type { Certificate } from '../../pki/certificate.ts';
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
import { pkcs1v15Decrypt } from '../../pki/rsa-pkcs1v15.ts';
import {
  CONTENT_CIPHERS,
  cipherOfOid,
  decryptContent,
  encryptContent,
  type ContentCipher,
} from './content-cipher.ts';
import { findByIssuerAndSerial, issuerAndSerialDer } from './issuer-serial.ts';
import { CMS_OID } from './oids.ts';
import { scepError } from './scep-error.ts';

const DER_NULL = Uint8Array.of(0x05, 0x00);

/** A certificate with its private key: a party that can open an envelope addressed to it. */
export interface EnvelopeRecipient {
  certificate: Certificate;
  privateKey: KeyObject;
}

/** Encrypts `content` to every certificate of `recipients`; returns the DER ContentInfo. */
export function sealEnvelope(
  content: Uint8Array,
  recipients: readonly Certificate[],
  cipher: ContentCipher,
  random: (n: number) => Buffer = randomBytes,
): Buffer {
  const spec = CONTENT_CIPHERS[cipher];
  const key = random(spec.keyLength);
  const iv = random(spec.ivLength);
  const infos = recipients.map((r) => {
    if (r.publicKey.asymmetricKeyType !== 'rsa') {
      throw scepError(
        'SCEP_UNSUPPORTED_ALGORITHM',
        'badAlg',
        `"${r.subjectText}" has a ${String(r.publicKey.asymmetricKeyType)} key; a SCEP envelope needs an RSA recipient (key transport).`,
      );
    }
    const encryptedKey = publicEncrypt({ key: r.publicKey, padding: constants.RSA_PKCS1_PADDING }, key);
    return encodeSequence([
      encodeInteger(0),
      issuerAndSerialDer(r),
      encodeSequence([encodeOid(CMS_OID.rsaEncryption), DER_NULL]),
      encodeOctetString(encryptedKey),
    ]);
  });
  const encrypted = encryptContent(cipher, key, iv, content);
  const enveloped = encodeSequence([
    encodeInteger(0),
    encodeTlv(0x31, Buffer.concat(infos)),
    encodeSequence([
      encodeOid(CMS_OID.data),
      encodeSequence([encodeOid(spec.oid), encodeOctetString(iv)]),
      encodeTlv(0x80, encrypted),
    ]),
  ]);
  return Buffer.from(encodeSequence([encodeOid(CMS_OID.envelopedData), encodeTlv(0xa0, enveloped)]));
}

function invalid(message: string, cause?: unknown): Error {
  return scepError('SCEP_MESSAGE_INVALID', 'badMessageCheck', message, { cause });
}

function oidAt(buf: Uint8Array, tlv: Tlv | undefined, what: string): string {
  if (tlv?.tag !== 0x06) throw invalid(`${what}: expected an OBJECT IDENTIFIER`);
  return decodeOidContent(contentOf(buf, tlv));
}

/** What {@link openEnvelope} found. */
export interface OpenedEnvelope {
  content: Buffer;
  cipher: ContentCipher;
  /** The recipient whose key opened it. */
  recipient: EnvelopeRecipient;
}

/**
 * Opens a DER ContentInfo(EnvelopedData) with the first of `holders` it is addressed to.
 *
 * @throws CertfleetError SCEP_MESSAGE_INVALID (not an EnvelopedData), SCEP_NOT_RECIPIENT (addressed to none
 *   of `holders`, or their key does not open it), SCEP_UNSUPPORTED_ALGORITHM (a cipher or key transport
 *   certfleet does not implement).
 */
export function openEnvelope(der: Uint8Array, holders: readonly EnvelopeRecipient[]): OpenedEnvelope {
  let recipients: { rid: Uint8Array; alg: string; encryptedKey: Uint8Array }[];
  let cipherOid: string;
  let iv: Uint8Array;
  let encrypted: Uint8Array;
  try {
    const top = readOnly(der, 0x30, 'ContentInfo');
    const [typeTlv, explicit] = readChildren(der, top);
    if (oidAt(der, typeTlv, 'contentType') !== CMS_OID.envelopedData || explicit?.tag !== 0xa0) {
      throw invalid('the pkcsPKIEnvelope is not a CMS EnvelopedData (RFC 8894 §3.2.2)');
    }
    const [env] = readChildren(der, explicit);
    if (env?.tag !== 0x30) throw invalid('EnvelopedData is not a SEQUENCE');
    const fields = readChildren(der, env);
    const risTlv = fields.find((f) => f.tag === 0x31);
    const eciTlv = fields.filter((f) => f.tag === 0x30).at(-1);
    if (!risTlv || !eciTlv) throw invalid('EnvelopedData lacks recipientInfos or encryptedContentInfo');
    recipients = readChildren(der, risTlv)
      .filter((ri) => ri.tag === 0x30)
      .map((ri) => {
        const [, rid, alg, ek] = readChildren(der, ri);
        if (!rid || !alg || ek?.tag !== 0x04) throw invalid('a KeyTransRecipientInfo is malformed');
        const [algOid] = readChildren(der, alg);
        return {
          rid: bytesOf(der, rid),
          alg: oidAt(der, algOid, 'keyEncryptionAlgorithm'),
          encryptedKey: contentOf(der, ek),
        };
      });
    const [, algTlv, contentTlv] = readChildren(der, eciTlv);
    if (!algTlv || !contentTlv) throw invalid('encryptedContentInfo has no algorithm or no content');
    const [cOid, ivTlv] = readChildren(der, algTlv);
    cipherOid = oidAt(der, cOid, 'contentEncryptionAlgorithm');
    if (ivTlv?.tag !== 0x04) throw invalid('the content-encryption IV is missing');
    iv = contentOf(der, ivTlv);
    encrypted =
      contentTlv.tag === 0x80
        ? contentOf(der, contentTlv)
        : Buffer.concat(readChildren(der, contentTlv).map((c) => contentOf(der, c)));
  } catch (cause) {
    if (String((cause as { code?: unknown }).code ?? '').startsWith('SCEP_')) throw cause;
    throw invalid(`the pkcsPKIEnvelope is not DER EnvelopedData (${(cause as Error).message})`, cause);
  }
  const cipher = cipherOfOid(cipherOid);
  if (cipher === undefined) {
    throw scepError(
      'SCEP_UNSUPPORTED_ALGORITHM',
      'badAlg',
      `The envelope's content cipher ${cipherOid} is not one of AES-128/256-CBC, DES3-CBC or DES-CBC.`,
    );
  }
  for (const r of recipients) {
    const holder = findByIssuerAndSerial(holders, r.rid);
    if (holder === undefined) continue;
    if (r.alg !== CMS_OID.rsaEncryption) {
      throw scepError(
        'SCEP_UNSUPPORTED_ALGORITHM',
        'badAlg',
        `The envelope's key transport ${r.alg} is not rsaEncryption (PKCS#1 v1.5).`,
      );
    }
    try {
      const key = pkcs1v15Decrypt(holder.privateKey, r.encryptedKey);
      if (key.length !== CONTENT_CIPHERS[cipher].keyLength)
        throw new Error('the content key has the wrong length');
      return { content: decryptContent(cipher, key, Buffer.from(iv), encrypted), cipher, recipient: holder };
    } catch (cause) {
      throw scepError(
        'SCEP_NOT_RECIPIENT',
        'badMessageCheck',
        `The envelope names "${holder.certificate.subjectText}" but its key cannot open it (${(cause as Error).message}); it was altered or encrypted with another key.`,
        { cause },
      );
    }
  }
  const names = holders
    .map((h) => `"${h.certificate.subjectText}" (serial ${h.certificate.serialNumber})`)
    .join(', ');
  throw scepError(
    'SCEP_NOT_RECIPIENT',
    'badMessageCheck',
    `The envelope is encrypted to ${recipients.length} certificate(s), none of them ${names}; encrypt to the certificate GetCACert returns.`,
  );
}
