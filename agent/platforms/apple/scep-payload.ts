/**
 * An Apple profile with `com.apple.security.scep` payloads, on the device (issue 14 point 2): before the
 * profile is installed, the device enrols for each SCEP payload (scep-enrol.ts: its own key, the payload's
 * subject, SANs and one-time challenge, RFC 8894 over HTTP); a payload whose enrolment succeeded installs as
 * an identity in the profile's keychain (the key is written only to the device's store), one that failed
 * refuses the profile (all or nothing, deliver.ts) with the enrolment's own code. The device then answers
 * the InstallProfile command as for any profile (Acknowledged, or Error with the 4001 chain).
 *
 * A profile installed already with the same bytes is not enrolled again (UNCHANGED). A renewal is the
 * service's new payload (a new challenge), which replaces the profile and so its identity.
 */
import { decodeMobileconfig, type ApplePlatform, type ScepPayload } from '../../../profiles/apple/index.ts';
import { CertfleetError, verifyChain, type KeyPair } from '../../../pki/index.ts';
import { deviceScepKey } from '../../scep-device-key.ts';
import type { DeliveryMeta, DeliveryResult, DeviceContext } from '../../platform-adapter.ts';
import { untrustedChainText } from '../../missing-root.ts';
import { contentHashOf } from './command-reply.ts';
import { deliverAppleProfile } from './deliver.ts';
import { keychainFor, trustMaterial } from './keychains.ts';
import {
  baseAttrs,
  certificateFields,
  payloadName,
  type PayloadVerdict,
  type VerdictContext,
} from './payload-verdict.ts';
import { enrolAppleScep, type AppleScepResult } from './scep-enrol.ts';

/** The verdict on one SCEP payload from its enrolment's result. */
export function scepVerdict(p: ScepPayload, r: AppleScepResult, ctx: VerdictContext): PayloadVerdict {
  if (!r.ok) {
    return {
      kind: 'refuse',
      case: 'scepEnrolFailed',
      code: r.code,
      message: `The SCEP enrolment of payload "${payloadName(p)}" with ${p.PayloadContent.URL} failed: ${r.message}`,
    };
  }
  const leaf = r.certificate;
  const chain = verifyChain({
    leaf,
    intermediates: [...r.chain.filter((c) => c.basicConstraints?.ca === true), ...ctx.trust.intermediates],
    trustedRoots: ctx.trust.anchors,
    at: ctx.now,
  });
  const fields = certificateFields(leaf);
  const attrs: Record<string, unknown> = {
    ...baseAttrs(p, ctx),
    role: 'identity',
    trusted: chain.ok,
    exportable: ctx.platform === 'macos' ? (p.PayloadContent.KeyIsExtractable ?? true) : false,
    scepTransactionId: r.transactionId,
    chainProblem: chain.problems[0]?.code ?? null,
  };
  if (ctx.platform === 'macos') attrs.allowAllAppsAccess = p.PayloadContent.AllowAllAppsAccess ?? false;
  return {
    kind: 'install',
    code: chain.ok ? 'OK' : 'INSTALL_UNTRUSTED_CHAIN',
    items: [
      {
        store: ctx.keychain,
        kind: 'identity',
        ...fields,
        privateKey: r.keyPair.privateKey.export({ type: 'pkcs8', format: 'der' }),
        attrs,
      },
    ],
    identity: {
      payloadIdentifier: p.PayloadIdentifier,
      thumbprint: fields.thumbprint,
      store: ctx.keychain,
      notBefore: fields.notBefore,
      notAfter: fields.notAfter,
    },
    message:
      `Enrolled over SCEP and installed identity "${leaf.subjectText}" (SHA-1 ${leaf.sha1Thumbprint}) in ${ctx.keychain}` +
      (chain.ok ? '; its chain leads to an installed root.' : `, NOT trusted: ${untrustedChainText(chain)}`),
  };
}

/**
 * Delivers a `.mobileconfig`, enrolling its SCEP payloads first (the adapter's `deliverAsync`). A profile
 * without SCEP payloads, or one installed already with these bytes, is the synchronous deliver.
 */
export async function deliverAppleScepProfile(
  platform: ApplePlatform,
  ctx: DeviceContext,
  payload: Buffer,
  meta: DeliveryMeta = {},
): Promise<DeliveryResult> {
  const decoded = decodeMobileconfig(payload, { platform }); // read once: deliverAppleProfile takes it
  if (!decoded.ok) return deliverAppleProfile(platform, ctx, payload, meta, undefined, decoded);
  const profile = decoded.profile;
  const installed = ctx.db.profile(ctx.device.id, profile.PayloadIdentifier);
  const scepAt = profile.PayloadContent.flatMap((p, i) =>
    p.PayloadType === 'com.apple.security.scep' ? [i] : [],
  );
  if (scepAt.length === 0 || installed?.contentHash === contentHashOf(payload)) {
    return deliverAppleProfile(platform, ctx, payload, meta, undefined, decoded);
  }
  const vctx: VerdictContext = {
    platform,
    device: ctx.device,
    now: ctx.clock.now(),
    keychain: keychainFor(platform, profile.PayloadScope),
    trust: trustMaterial(ctx.db, ctx.device.id, platform, profile.PayloadIdentifier),
  };
  const verdicts = new Map<number, PayloadVerdict>();
  for (const i of scepAt) {
    const p = profile.PayloadContent[i] as ScepPayload;
    const bits = p.PayloadContent.Keysize ?? 1024;
    let key: KeyPair | undefined;
    try {
      key = await deviceScepKey(ctx, bits);
    } catch {
      key = undefined; // enrolAppleScep reports the size the device cannot make
    }
    const r = await enrolAppleScep(p.PayloadContent, {
      keyPair: (b) => {
        if (key === undefined)
          throw new CertfleetError('KEY_UNSUPPORTED', `The device cannot make a ${b}-bit RSA key for SCEP.`);
        return key;
      },
      now: () => ctx.clock.now(),
    });
    verdicts.set(i, scepVerdict(p, r, vctx));
  }
  return deliverAppleProfile(platform, ctx, payload, meta, verdicts, decoded);
}
