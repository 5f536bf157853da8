/**
 * `com.apple.security.pkcs12`: "Password-protected identity certificate. Only one certificate may be
 * included." (ADM; docs/formats.md §1.3).
 *
 * Rules the simulated device applies, in order:
 * 1. The `Password` opens the PKCS#12 (wrong → PKCS12_BAD_PASSWORD, Apple 9000). An absent `Password` is
 *    tried as the empty password: an MDM install cannot prompt for one. **iOS** refuses an empty (or absent)
 *    password outright: iOS historically cannot install a .p12 exported with an empty password (docs/formats.md
 *    §1.6, Radar 12307889) — modelled as PKCS12_BAD_PASSWORD (Apple 9000, inferred).
 * 2. It holds exactly one identity (pki parsePkcs12: one key bag and a matching certificate; else PKCS12_PARSE,
 *    answered 9006 "Certificate is not an identity" for no key or no matching certificate, 9001 for several
 *    keys, 9005 for bytes that are no PFX: docs/errors.md §2.3).
 * 3. The identity certificate is valid on the device clock (else INSTALL_CERT_EXPIRED, certfleet policy).
 * 4. **iOS**: a leaf with the nonRepudiation key usage is refused (INSTALL_KEY_USAGE_REFUSED). This is
 *    certfleet's model of PFXDOC's instruction "For iOS/iPadOS certificate templates … deselect Signature is
 *    proof of origin" (docs/formats.md §5.2) — **inferred**: Microsoft documents the template setting, not a device error.
 * 5. Trust: the chain is evaluated against the keychains' anchors (plus the profile's own roots, and the CA
 *    certificates inside the PKCS#12 as intermediates). A chain that does not reach an installed root does
 *    NOT stop the install: Apple keychains accept an identity whatever its trust, and apps fail later at
 *    trust evaluation. The identity is stored with `attrs.trusted=false` and the outcome is status installed,
 *    code INSTALL_UNTRUSTED_CHAIN, naming the missing root (as Windows reports it); the command response stays
 *    `Acknowledged` (inferred from keychain behaviour: SecPKCS12Import/SecItemAdd do not evaluate trust).
 * 6. The CA certificates inside the PKCS#12 are stored beside the identity as key-less certificates
 *    (`attrs.fromPkcs12`), never as anchors: macOS `security import`/SecPKCS12Import add a PKCS#12's
 *    certificates to the keychain; that iOS keeps them for trust evaluation too is inferred.
 * 7. Key attributes: macOS honours `KeyIsExtractable` (default true) and `AllowAllAppsAccess` (default false)
 *    (docs/formats.md §1.3), stored as `attrs.exportable` / `attrs.allowAllAppsAccess`. iOS has neither key; its
 *    PKCS keys are stored not exportable (PFXDOC: "the private key is marked as not exportable").
 */
import { isCertfleetError, parseCertificate, verifyChain, type Certificate } from '../../../pki/index.ts';
import { parsePkcs12, type ParsedPkcs12, type Pkcs12IdentityProblem } from '../../../pki/pkcs12.ts';
import type { Pkcs12CertificatePayload } from '../../../profiles/apple/index.ts';
import { untrustedChainText } from '../../missing-root.ts';
import type { AppleCase } from './native-status.ts';
import {
  baseAttrs,
  certificateFields,
  payloadName,
  validityRefusal,
  type PayloadVerdict,
  type VerdictContext,
} from './payload-verdict.ts';

const PKCS12_CASES: Record<string, AppleCase> = {
  PKCS12_BAD_PASSWORD: 'pkcs12BadPassword',
  PKCS12_UNSUPPORTED: 'pkcs12Unsupported',
  PKCS12_PARSE: 'pkcs12Parse',
};

function refuse(kase: AppleCase, message: string): PayloadVerdict {
  return { kind: 'refuse', case: kase, message };
}

/** Decides about one pkcs12 payload (after the profile's certificate payloads). */
export function pkcs12Verdict(p: Pkcs12CertificatePayload, ctx: VerdictContext): PayloadVerdict {
  const fileName = p.PayloadCertificateFileName ?? payloadName(p);
  const password = p.Password ?? '';
  if (ctx.platform === 'ios' && password === '') {
    return refuse(
      'pkcs12EmptyPasswordIos',
      `iOS cannot install the PKCS#12 "${fileName}" with an empty password` +
        `${p.Password === undefined ? ' (the payload has no Password key)' : ''}; ` +
        'export the PKCS#12 with a password and put it in the payload (docs/formats.md §1.6, Radar 12307889).',
    );
  }

  let parsed: ParsedPkcs12;
  try {
    parsed = parsePkcs12(p.PayloadContent, password);
  } catch (e) {
    if (!isCertfleetError(e)) throw e;
    const identity = e.details['identity'] as Pkcs12IdentityProblem | undefined;
    const kase =
      identity === undefined
        ? (PKCS12_CASES[e.code] ?? 'pkcs12Parse')
        : identity === 'several-keys'
          ? 'pkcs12SeveralIdentities'
          : 'pkcs12NotIdentity';
    if (kase === 'pkcs12BadPassword') {
      return refuse(
        kase,
        p.Password === undefined
          ? `The payload has no Password and the PKCS#12 "${fileName}" does not open with an empty one; an MDM install cannot prompt for it.`
          : `The password for the certificate \u201c${fileName}\u201d is incorrect.`,
      );
    }
    return refuse(kase, `The PKCS#12 "${fileName}" cannot be read: ${e.message}`);
  }

  let leaf: Certificate;
  const extra: Certificate[] = [];
  try {
    leaf = parseCertificate(parsed.certificates[0] as Buffer);
    for (const der of parsed.certificates.slice(1)) extra.push(parseCertificate(der));
  } catch (e) {
    return refuse(
      'certParse',
      `A certificate inside the PKCS#12 "${fileName}" cannot be read: ${(e as Error).message}`,
    );
  }

  const expired = validityRefusal(leaf, ctx.now, 'identity certificate');
  if (expired) return expired;

  // PFXDOC: iOS/iPadOS certificates must not carry nonRepudiation ("Signature is proof of origin")
  if (ctx.platform === 'ios' && leaf.keyUsage.includes('nonRepudiation')) {
    return refuse(
      'keyUsageRefused',
      `The identity certificate "${leaf.subjectText}" carries the nonRepudiation key usage, which iOS/iPadOS ` +
        'certificates must not have; clear "Signature is proof of origin" in the certificate template.',
    );
  }

  const chain = verifyChain({
    leaf,
    intermediates: [...extra.filter((c) => c.basicConstraints?.ca === true), ...ctx.trust.intermediates],
    trustedRoots: ctx.trust.anchors,
    at: ctx.now,
  });
  const trusted = chain.ok;
  const firstProblem = chain.problems[0];

  const exportable = ctx.platform === 'macos' ? (p.KeyIsExtractable ?? true) : false;
  const attrs: Record<string, unknown> = {
    ...baseAttrs(p, ctx),
    role: 'identity',
    trusted,
    exportable,
    fileName: p.PayloadCertificateFileName ?? null,
    chainProblem: firstProblem ? firstProblem.code : null,
  };
  if (ctx.platform === 'macos') attrs.allowAllAppsAccess = p.AllowAllAppsAccess ?? false;

  // The PKCS#12's CA certificates join the keychain as key-less certificates (never as anchors, even a
  // self-issued root: only a certificate payload makes an anchor), so later trust evaluation finds them.
  const chainItems = extra
    .filter((c) => c.basicConstraints?.ca === true)
    .map((c) => ({
      store: ctx.keychain,
      kind: 'certificate' as const,
      ...certificateFields(c),
      attrs: { ...baseAttrs(p, ctx), role: 'intermediate', ca: true, fromPkcs12: true },
    }));
  const fields = certificateFields(leaf);
  const privateKey = parsed.privateKey.export({ type: 'pkcs8', format: 'der' });
  return {
    kind: 'install',
    code: trusted ? 'OK' : 'INSTALL_UNTRUSTED_CHAIN',
    items: [{ store: ctx.keychain, kind: 'identity', ...fields, privateKey, attrs }, ...chainItems],
    identity: {
      payloadIdentifier: p.PayloadIdentifier,
      thumbprint: fields.thumbprint,
      store: ctx.keychain,
      notBefore: fields.notBefore,
      notAfter: fields.notAfter,
    },
    message:
      `Installed identity "${leaf.subjectText}" (SHA-1 ${leaf.sha1Thumbprint}) in ${ctx.keychain}` +
      (trusted
        ? '; its chain leads to an installed root.'
        : `, NOT trusted: ${untrustedChainText(chain)} Apps will fail trust evaluation until the root is installed.`),
  };
}
