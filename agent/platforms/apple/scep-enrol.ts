/**
 * `com.apple.security.scep` on the simulated Apple device (docs/formats.md §1.4): the device makes its own
 * key pair, builds the PKCS#10 request with the payload's `Subject`, `SubjectAltName` and `Challenge`, and
 * enrols with the SCEP server at `URL` over HTTP (protocol/scep/client.ts, RFC 8894). The private key is the
 * device's: it is returned to the caller (the keychain) and never put in a message.
 *
 * Rules, in order (**[inferred]** where Apple documents none):
 * 1. `Keysize` picks the RSA key size (default 1024 per the schema; Intune sends the profile's size); the
 *    key comes from the device's key source (`keyPair(bits)`), a size it cannot make is KEY_UNSUPPORTED.
 * 2. `Subject` RDNs become the request subject in the payload's order (most significant first), and
 *    `SubjectAltName` rfc822Name / dNSName / uniformResourceIdentifier / ntPrincipalName become e-mail, DNS,
 *    URI and UPN SANs.
 * 3. `CAFingerprint`, when present, must be the SHA-256 of one certificate of the server's GetCACert
 *    answer (certfleet's reading: Apple names no digest); otherwise the device refuses the server with
 *    INSTALL_UNTRUSTED_CHAIN before sending anything.
 * 4. The server's answer is the outcome: the issued certificate and chain, or the client's coded failure
 *    (SCEP_REQUEST_FAILED with the server's failInfo, SCEP_HTTP, SCEP_PENDING…).
 */
import { createHash } from 'node:crypto';
import { isCertfleetError, type ErrorCode } from '../../../pki/errors.ts';
import type { Certificate } from '../../../pki/certificate.ts';
import type { SanEntry } from '../../../pki/extensions.ts';
import type { KeyPair } from '../../../pki/keys.ts';
import type { ScepPayloadContent } from '../../../profiles/apple/mobileconfig-types.ts';
import { ScepClient } from '../../../protocol/scep/client.ts';

/** What the device needs to act on a SCEP payload. */
export interface AppleScepDeps {
  /** The device's key source: a fresh key pair of `bits` (the fixture pool in tests). */
  keyPair: (bits: number) => KeyPair;
  /** The device clock (virtual in a run). */
  now: () => Date;
}

/** The outcome of a SCEP payload on the device. */
export type AppleScepResult =
  | { ok: true; keyPair: KeyPair; certificate: Certificate; chain: Certificate[]; transactionId: string }
  | { ok: false; code: ErrorCode; message: string; details?: Record<string, unknown> };

const SAN_TYPE = {
  rfc822Name: 'email',
  dNSName: 'dns',
  uniformResourceIdentifier: 'uri',
  ntPrincipalName: 'upn',
} as const satisfies Record<keyof NonNullable<ScepPayloadContent['SubjectAltName']>, SanEntry['type']>;

/** DN text of Apple's `Subject` RDN list (most significant first), escaping RFC 4514 specials. */
export function subjectTextOf(subject: ScepPayloadContent['Subject']): string {
  const esc = (v: string): string => v.replace(/([,+"\\<>;=])/g, '\\$1').replace(/^([ #])|( )$/g, '\\$1$2');
  return [...(subject ?? [])]
    .reverse()
    .map((rdn) => rdn.map(([type, value]) => `${type}=${esc(value)}`).join('+'))
    .join(',');
}

/** The SANs of Apple's `SubjectAltName` dictionary. */
export function sansOf(san: ScepPayloadContent['SubjectAltName']): SanEntry[] {
  const out: SanEntry[] = [];
  for (const key of Object.keys(SAN_TYPE) as (keyof typeof SAN_TYPE)[]) {
    const v = san?.[key];
    if (v === undefined) continue;
    for (const value of Array.isArray(v) ? v : [v]) out.push({ type: SAN_TYPE[key], value });
  }
  return out;
}

/** Acts on one SCEP payload: enrols over HTTP and returns the identity, or the coded failure. */
export async function enrolAppleScep(
  content: ScepPayloadContent,
  deps: AppleScepDeps,
): Promise<AppleScepResult> {
  try {
    const keyPair = deps.keyPair(content.Keysize ?? 1024);
    const client = new ScepClient({ url: content.URL, now: deps.now });
    if (content.CAFingerprint !== undefined) {
      const wanted = Buffer.from(content.CAFingerprint).toString('hex');
      const certs = await client.getCaCert();
      const match = certs.some((c) => createHash('sha256').update(c.der).digest('hex') === wanted);
      if (!match) {
        return {
          ok: false,
          code: 'INSTALL_UNTRUSTED_CHAIN',
          message: `The SCEP server ${content.URL} offers no CA certificate with the profile's CAFingerprint ${wanted}; the device does not enrol with it. Check that the profile and the server belong to the same CA.`,
        };
      }
    }
    const r = await client.enrol({
      keyPair,
      subject: subjectTextOf(content.Subject),
      ...(content.Challenge !== undefined && { challenge: content.Challenge }),
      san: sansOf(content.SubjectAltName),
    });
    return { ok: true, keyPair, certificate: r.certificate, chain: r.chain, transactionId: r.transactionId };
  } catch (e) {
    if (!isCertfleetError(e)) throw e;
    return { ok: false, code: e.code, message: e.message, details: { ...e.details } };
  }
}
