/**
 * InstallProfile on a simulated Apple device: decode the `.mobileconfig` strictly (profiles/apple codec),
 * decide about every payload, then install all of them in ONE keychain transaction or none (issue 4: "an
 * Apple profile installs all its payloads or none"), and answer with the command response.
 *
 * - Not decodable (PLIST_PARSE / MOBILECONFIG_INVALID): `Status Error` (not `CommandFormatError`: the
 *   InstallProfile command itself is well-formed; its Payload is a bad profile, for which Apple's table has
 *   4000 "Cannot parse profile" — docs/errors.md §2.2/§2.3). Every problem becomes one chain item naming its key.
 * - Any payload refused (or a SCEP payload, which certfleet does not simulate): nothing is installed; the
 *   refused payloads carry their own code, the others `INSTALL_ROLLED_BACK`; the chain holds, per refused
 *   payload, `4001 "The payload “X” could not be installed."` wrapping the specific Apple error.
 * - Same PayloadIdentifier and same bytes as the installed profile: no change, `UNCHANGED`, Acknowledged.
 *   Same identifier, other bytes: the profile's items are replaced (docs/formats.md §1.1; docs/errors.md §2.3 "No error:
 *   replaces the installed profile").
 * - User Enrollment: ADM allows all four certificate payloads and SCEP in user enrollment on iOS and macOS
 *   (`userenrollment: mode: allowed`), and so PayloadScope `System` on macOS too; the one key it forbids is
 *   iOS `PayloadRemovalDisallowed` (TopLevel.yaml `userenrollment: mode: forbidden`), refused when true.
 * - PayloadScope `User` on a Mac without a user: there is no user channel, so the device answers as for a
 *   user profile on the device channel (NSPOSIXErrorDomain 1, observed).
 */
import type {
  AppleProfile,
  ApplePayload,
  ApplePlatform,
  CertificatePayload,
  ErrorChainItem,
} from '../../../profiles/apple/index.ts';
import { decodeMobileconfig, type MobileconfigDecodeResult } from '../../../profiles/apple/index.ts';
import type { DeliveryMeta, DeliveryResult, DeviceContext } from '../../platform-adapter.ts';
import type { InstallOutcome, OutcomeCode } from '../../../protocol/wire/outcome.ts';
import { certificateVerdict } from './certificate-payload.ts';
import { appleReply, commandUuidFor, contentHashOf } from './command-reply.ts';
import { keychainFor, keychainPrefix, trustMaterial } from './keychains.ts';
import {
  APPLE_CASES,
  decodeFailureChain,
  payloadFailureChain,
  profileFailureChain,
  problemText,
  type AppleCase,
} from './native-status.ts';
import { pkcs12Verdict } from './pkcs12-payload.ts';
import { refusalPath } from './refusal-path.ts';
import {
  payloadName,
  type IdentityFacts,
  type PayloadVerdict,
  type VerdictContext,
} from './payload-verdict.ts';
import { profileLabels } from './profile-labels.ts';
import { removeProfileItems, writeProfileItems } from './profile-items.ts';

/** Default renewal threshold, percent of validity remaining (issue 4 "Renewal"). */
const DEFAULT_RENEWAL_THRESHOLD = 20;

interface Refusal {
  case: AppleCase;
  message: string;
}

function outcome(
  ctx: DeviceContext,
  platform: ApplePlatform,
  payload: string,
  status: InstallOutcome['status'],
  code: OutcomeCode,
  message: string,
  native: InstallOutcome['native'],
): InstallOutcome {
  return { device: ctx.device.id, platform, payload, status, code, message, native };
}

/** Profile-level refusals (before any payload is looked at). */
function profileRefusal(
  platform: ApplePlatform,
  ctx: DeviceContext,
  profile: AppleProfile,
): Refusal | undefined {
  if (
    platform === 'ios' &&
    ctx.device.enrollmentKind === 'user' &&
    profile.PayloadRemovalDisallowed === true
  ) {
    return {
      case: 'forbiddenInUserEnrollment',
      message:
        'PayloadRemovalDisallowed is not allowed in User Enrollment (Apple TopLevel.yaml: userenrollment forbidden); remove the key for user-enrolled devices.',
    };
  }
  if (platform === 'macos' && profile.PayloadScope === 'User' && ctx.device.user === null) {
    return {
      case: 'userScopeWithoutUser',
      message:
        'The profile must be a system profile. User profiles are not supported (PayloadScope User, but this Mac has no user channel).',
    };
  }
  return undefined;
}

function verdictsFor(
  platform: ApplePlatform,
  ctx: DeviceContext,
  profile: AppleProfile,
  scep: ScepVerdicts | undefined,
): PayloadVerdict[] {
  const vctx: VerdictContext = {
    platform,
    device: ctx.device,
    now: ctx.clock.now(),
    keychain: keychainFor(platform, profile.PayloadScope),
    trust: trustMaterial(ctx.db, ctx.device.id, platform, profile.PayloadIdentifier),
  };
  const verdicts: (PayloadVerdict | undefined)[] = profile.PayloadContent.map(() => undefined);
  // Certificates first, so the profile's own roots count for its identities' trust.
  profile.PayloadContent.forEach((p, i) => {
    if (p.PayloadType === 'com.apple.security.pkcs12') return;
    verdicts[i] =
      p.PayloadType === 'com.apple.security.scep'
        ? (scep?.get(i) ?? {
            kind: 'refuse',
            case: 'scepNotSimulated',
            message: `Payload "${payloadName(p)}" is a SCEP enrollment (${p.PayloadContent.URL}); certfleet does not simulate SCEP outside a run (a device enrols over SCEP in certfleet run), so the profile is not installed.`,
          })
        : certificateVerdict(p, vctx);
  });
  profile.PayloadContent.forEach((p, i) => {
    if (p.PayloadType === 'com.apple.security.pkcs12') verdicts[i] = pkcs12Verdict(p, vctx);
  });
  return verdicts as PayloadVerdict[];
}

function undecodable(
  platform: ApplePlatform,
  ctx: DeviceContext,
  raw: Buffer,
  problems: Parameters<typeof decodeFailureChain>[1],
  commandUuid: string,
): DeliveryResult {
  const labels = profileLabels(raw);
  const { reply, native } = appleReply(
    platform,
    ctx.device,
    commandUuid,
    decodeFailureChain(
      labels.name,
      problems,
      labels.payloads.map((x) => x.name),
    ),
  );
  const code: OutcomeCode = problems.some((p) => p.code === 'PLIST_PARSE')
    ? 'PLIST_PARSE'
    : 'MOBILECONFIG_INVALID';
  const all = problems.map(problemText);
  const listed: { code: string; path: string; message: string }[] = problems.map((pr) => ({
    code: pr.code,
    path: pr.path || '(top level)',
    message: problemText(pr),
  }));
  // Content faults of payloads that decoded on their own are listed as problems too, each with its key path
  // (issue 4: the Apple pkcs12 example's wrong Password is reported beside its bad PayloadType).
  const diagnoses = labels.payloads.map((p, i) => {
    const own = problems.some((pr) => pr.path.startsWith(`PayloadContent[${i}]`));
    return !own && p.lenient ? diagnose(platform, ctx, p.lenient, i) : undefined;
  });
  for (const d of diagnoses) if (d) listed.push(d);
  const summary = `The profile "${labels.name}" is invalid, nothing was installed: ${all.join('; ')}`;
  if (labels.payloads.length === 0) {
    return {
      outcomes: [
        {
          ...outcome(ctx, platform, labels.identifier ?? labels.name, 'failed', code, summary, native),
          problems: listed,
        },
      ],
      reply,
    };
  }
  const outcomes = labels.payloads.map((p, i) => {
    const own = problems.filter((pr) => pr.path.startsWith(`PayloadContent[${i}]`)).map(problemText);
    const d = diagnoses[i];
    const diagnosis = d === undefined ? undefined : `${d.message} [${d.code}]`;
    const message =
      (own.length > 0
        ? `Payload "${p.name}" is invalid: ${own.join('; ')}${own.length < all.length ? ` (the profile has ${all.length} problem(s) in all; nothing was installed)` : ''}`
        : `Payload "${p.name}" was not installed: ${summary}`) +
      (diagnosis === undefined ? '' : ` Its content would be refused too: ${diagnosis}`);
    return { ...outcome(ctx, platform, p.identifier, 'failed', code, message, native), problems: listed };
  });
  return { outcomes, reply };
}

/**
 * What the device would say about a payload's certificate if its profile were valid (certfleet's extra
 * diagnosis for a refused profile, so that one delivery reports every fault: Apple's pkcs12 example has a
 * bad top-level PayloadType AND a Password that does not open its PKCS#12). Reads nothing from the store.
 */
function diagnose(
  platform: ApplePlatform,
  ctx: DeviceContext,
  p: CertificatePayload,
  index: number,
): { code: string; path: string; message: string } | undefined {
  const vctx: VerdictContext = {
    platform,
    device: ctx.device,
    now: ctx.clock.now(),
    keychain: keychainFor(platform, undefined),
    trust: { anchors: [], intermediates: [] },
  };
  const v =
    p.PayloadType === 'com.apple.security.pkcs12' ? pkcs12Verdict(p, vctx) : certificateVerdict(p, vctx);
  if (v.kind !== 'refuse') return undefined;
  return {
    code: APPLE_CASES[v.case].code,
    path: refusalPath(v.case, index) ?? `PayloadContent[${index}]`,
    message: v.message,
  };
}

/** The verdicts of a profile's SCEP payloads, by payload index, once the device has enrolled (scep-payload.ts). */
export type ScepVerdicts = ReadonlyMap<number, PayloadVerdict>;

/**
 * Delivers one `.mobileconfig` to an Apple device (the adapter's `deliver`). Never throws for bad input.
 * `scep`: the outcome of each SCEP payload's enrolment, done before (deliverAppleScepProfile); without it
 * a SCEP payload is refused as not simulated. `decoded`: `payload` decoded for `platform` already (by
 * deliverAppleScepProfile), so the same bytes are not read twice (issue 11 point 2); decoded here without it.
 */
export function deliverAppleProfile(
  platform: ApplePlatform,
  ctx: DeviceContext,
  payload: Buffer,
  meta: DeliveryMeta = {},
  scep?: ScepVerdicts,
  decoded: MobileconfigDecodeResult = decodeMobileconfig(payload, { platform }),
): DeliveryResult {
  const contentHash = contentHashOf(payload);
  const commandUuid = commandUuidFor(meta.commandUuid, contentHash);
  if (!decoded.ok) return undecodable(platform, ctx, decoded.raw, decoded.problems, commandUuid);
  const profile = decoded.profile;
  const ref = profile.PayloadIdentifier;
  const deviceId = ctx.device.id;

  const installed = ctx.db.profile(deviceId, ref);
  if (installed?.contentHash === contentHash) {
    const { reply, native } = appleReply(platform, ctx.device, commandUuid);
    const outcomes = profile.PayloadContent.map((p) =>
      outcome(
        ctx,
        platform,
        p.PayloadIdentifier,
        'installed',
        'UNCHANGED',
        `Profile "${ref}" is already installed with this content; nothing changed.`,
        native,
      ),
    );
    return { outcomes, reply };
  }

  const refusedProfile = profileRefusal(platform, ctx, profile);
  const verdicts: PayloadVerdict[] = refusedProfile
    ? profile.PayloadContent.map(() => ({ kind: 'refuse', ...refusedProfile }))
    : verdictsFor(platform, ctx, profile, scep);

  if (verdicts.some((v) => v.kind === 'refuse')) {
    return refused(platform, ctx, profile, verdicts, commandUuid, refusedProfile !== undefined);
  }

  const installedAt = ctx.clock.now().toISOString();
  const keychain = keychainFor(platform, profile.PayloadScope);
  const identities: IdentityFacts[] = [];
  for (const v of verdicts) if (v.kind === 'install' && v.identity) identities.push(v.identity);
  try {
    ctx.db.transaction(() => {
      if (installed) removeProfileItems(ctx.db, deviceId, ref, keychainPrefix(platform));
      for (const v of verdicts)
        if (v.kind === 'install') writeProfileItems(ctx.db, deviceId, ref, v.items, installedAt);
      ctx.db.putProfile({
        deviceId,
        ref,
        contentHash,
        installedAt,
        meta: {
          platform,
          profileId: meta.profileId ?? null,
          renewalThreshold: meta.renewalThreshold ?? DEFAULT_RENEWAL_THRESHOLD,
          commandUuid,
          payloadUuid: profile.PayloadUUID,
          displayName: profile.PayloadDisplayName ?? null,
          scope: platform === 'macos' ? (profile.PayloadScope ?? 'System') : null,
          keychain,
          enrollment: ctx.device.enrollmentKind,
          payloads: profile.PayloadContent.map((p) => ({
            identifier: p.PayloadIdentifier,
            type: p.PayloadType,
            uuid: p.PayloadUUID,
          })),
          identities,
        },
      });
    });
  } catch (e) {
    const message = `The keychain could not be written (${(e as Error).message}); nothing was installed.`;
    const chain = payloadFailureChain(profile.PayloadDisplayName ?? ref, 'keychainError', message);
    const { reply, native } = appleReply(platform, ctx.device, commandUuid, chain);
    return {
      outcomes: profile.PayloadContent.map((p) =>
        outcome(
          ctx,
          platform,
          p.PayloadIdentifier,
          'failed',
          APPLE_CASES.keychainError.code,
          message,
          native,
        ),
      ),
      reply,
    };
  }

  const { reply, native } = appleReply(platform, ctx.device, commandUuid);
  const replaced = installed ? ` (replaced the earlier version of profile "${ref}")` : '';
  const outcomes = profile.PayloadContent.map((p, i) => {
    const v = verdicts[i] as PayloadVerdict & { kind: 'install' };
    // An untrusted identity is installed and acknowledged like any other (the device does not evaluate trust
    // at install); only the typed code says it is not trusted (pkcs12-payload.ts rule 5).
    const code = v.code ?? 'OK';
    return outcome(ctx, platform, p.PayloadIdentifier, 'installed', code, `${v.message}${replaced}`, native);
  });
  return { outcomes, reply };
}

function refused(
  platform: ApplePlatform,
  ctx: DeviceContext,
  profile: AppleProfile,
  verdicts: readonly PayloadVerdict[],
  commandUuid: string,
  wholeProfile: boolean,
): DeliveryResult {
  const chain: ErrorChainItem[] = [];
  if (wholeProfile) {
    const first = verdicts[0];
    if (first?.kind === 'refuse')
      chain.push(
        ...profileFailureChain(
          profile.PayloadDisplayName ?? profile.PayloadIdentifier,
          first.case,
          first.message,
        ),
      );
  } else {
    verdicts.forEach((v, i) => {
      if (v.kind === 'refuse')
        chain.push(
          ...payloadFailureChain(payloadName(profile.PayloadContent[i] as ApplePayload), v.case, v.message),
        );
    });
  }
  const { reply, native } = appleReply(platform, ctx.device, commandUuid, chain);
  const anyFailed = verdicts.some(
    (v) => v.kind === 'refuse' && APPLE_CASES[v.case].code !== 'INSTALL_NOT_SIMULATED',
  );
  const culprits = profile.PayloadContent.filter((_, i) => verdicts[i]?.kind === 'refuse')
    .map((p) => `"${payloadName(p)}"`)
    .join(', ');
  const outcomes = profile.PayloadContent.map((p, i) => {
    const v = verdicts[i] as PayloadVerdict;
    if (v.kind === 'refuse') {
      const code = v.code ?? APPLE_CASES[v.case].code;
      const o = outcome(
        ctx,
        platform,
        p.PayloadIdentifier,
        code === 'INSTALL_NOT_SIMULATED' ? 'skipped' : 'failed',
        code,
        v.message,
        native,
      );
      const path = refusalPath(v.case, i);
      return path === undefined ? o : { ...o, path };
    }
    return outcome(
      ctx,
      platform,
      p.PayloadIdentifier,
      anyFailed ? 'failed' : 'skipped',
      'INSTALL_ROLLED_BACK',
      `Payload "${payloadName(p)}" was fine but not installed: payload ${culprits} of the same profile was not installed, and Apple installs a profile all or nothing.`,
      native,
    );
  });
  return { outcomes, reply };
}
