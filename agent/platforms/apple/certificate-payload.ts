/**
 * `com.apple.security.root`, `.pkcs1` and `.pem`: a certificate without a private key (docs/formats.md §1.3).
 *
 * Rules the simulated device applies:
 * - root/pkcs1 `PayloadContent` is DER ("DER-encoded certificate without private key"); it must parse
 *   completely (Apple's own pkcs1 example is truncated: 825 of a declared 865 bytes → CERT_PARSE).
 *   PEM text in a root/pkcs1 payload is refused with a hint to use a pem payload.
 * - pem `PayloadContent` is the PEM *text*; it must be plain ASCII with one CERTIFICATE block (Apple's own
 *   pem example holds a stray 0x8A byte → CERT_PARSE).
 * - Any certificate is accepted, CA or not: `root` is "Alias for com.apple.security.pkcs1" and pkcs1 "May
 *   contain root certificates" (ADM; docs/formats.md §1.3), so a leaf is allowed. A **self-issued** certificate
 *   (subject = issuer; its self-signature is not checked, as for any trust anchor) becomes a trust anchor (`attrs.role` `root`: MDM-installed roots are trusted without the user's "Certificate
 *   Trust Settings" step — inferred); any other is kept for chain building (`attrs.role` `intermediate`, or
 *   `leaf` when it is not a CA).
 * - An expired or not-yet-valid certificate is refused (INSTALL_CERT_EXPIRED). Nuance: a real device may
 *   store it and fail only at trust evaluation; certfleet refuses it so QA sees it at install time.
 */
import { Certificate, pemToDer } from '../../../pki/index.ts';
import type {
  PemCertificatePayload,
  Pkcs1CertificatePayload,
  RootCertificatePayload,
} from '../../../profiles/apple/index.ts';
import {
  baseAttrs,
  certificateFields,
  payloadName,
  validityRefusal,
  type PayloadVerdict,
  type VerdictContext,
} from './payload-verdict.ts';

/** A certificate payload without key. */
export type KeylessCertificatePayload =
  RootCertificatePayload | Pkcs1CertificatePayload | PemCertificatePayload;

function looksLikePemText(bytes: Buffer): boolean {
  return /^\s*-----BEGIN /.test(bytes.subarray(0, 64).toString('latin1'));
}

function readCertificate(p: KeylessCertificatePayload): Certificate {
  const bytes = p.PayloadContent;
  if (p.PayloadType === 'com.apple.security.pem') {
    return Certificate.fromDer(pemToDer(bytes, ['CERTIFICATE'], 'CERT_PARSE'));
  }
  if (looksLikePemText(bytes)) {
    throw new Error(
      `${p.PayloadType} expects DER, but PayloadContent is PEM text; send DER or use a com.apple.security.pem payload`,
    );
  }
  return Certificate.fromDer(bytes);
}

/** Decides about one root/pkcs1/pem payload; adds an accepted anchor to `ctx.trust` for later payloads. */
export function certificateVerdict(p: KeylessCertificatePayload, ctx: VerdictContext): PayloadVerdict {
  let cert: Certificate;
  try {
    cert = readCertificate(p);
  } catch (e) {
    const why = e instanceof Error ? e.message : String(e);
    return {
      kind: 'refuse',
      case: 'certParse',
      message: `The certificate in payload "${payloadName(p)}" (${p.PayloadType}) cannot be read: ${why}`,
    };
  }
  const expired = validityRefusal(cert, ctx.now, 'certificate');
  if (expired) return expired;
  const isCa = cert.basicConstraints?.ca === true;
  // Self-issued (subject = issuer) makes an anchor; its self-signature is not checked, as trust anchors'
  // are not (RFC 5280 §6.1; OpenSSL without -check_ss_sig). Apple's own CertificateRoot example needs this:
  // its self-signature does not verify.
  const selfIssued = Buffer.from(cert.subjectDer).equals(Buffer.from(cert.issuerDer));
  const role = selfIssued ? 'root' : isCa ? 'intermediate' : 'leaf';
  if (role === 'root') ctx.trust.anchors.push(cert);
  else ctx.trust.intermediates.push(cert);
  const what =
    role === 'root'
      ? 'trusted root'
      : role === 'intermediate'
        ? 'intermediate CA certificate'
        : 'certificate (not a CA)';
  return {
    kind: 'install',
    items: [
      {
        store: ctx.keychain,
        kind: 'certificate',
        ...certificateFields(cert),
        attrs: { ...baseAttrs(p, ctx), role, ca: isCa, fileName: p.PayloadCertificateFileName ?? null },
      },
    ],
    message: `Installed ${what} "${cert.subjectText}" (SHA-1 ${cert.sha1Thumbprint}) in ${ctx.keychain}.`,
  };
}
