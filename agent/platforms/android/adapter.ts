/**
 * The Android device: an Android Enterprise device receives certfleet's policy JSON (profiles/android,
 * docs/formats.md §3), applies its certificate commands with the rules of the device's enrollment kind
 * (enrollment-rules.ts), and answers with an AMAPI-style compliance report (docs/errors.md §3). A device
 * administrator device is not AMAPI-managed: it takes OMA-DM SyncML and answers in SyncML statuses
 * (device-admin.ts, docs/errors.md §3.5).
 *
 * **Atomicity — per command, not per policy.** AMAPI applies a policy's settings independently and reports each
 * failed one as its own `NonComplianceDetail` (docs/errors.md §3.1–§3.3); a DPC calls `installCaCert` / `installKeyPair`
 * once per certificate, each succeeding or failing on its own (docs/errors.md §3.4). So one bad PKCS#12 does not stop
 * the root beside it from installing — unlike an Apple profile or a SyncML Atomic. Each command is atomic: it is
 * planned completely (parse, password, validity, mode rules) before anything is written, and a key pair is one
 * store row holding both key and certificate, so nothing is ever half-installed. All writes of one delivery run in
 * one StoreDb transaction (a crash mid-delivery leaves the previous state). A policy that does not decode changes
 * nothing at all.
 *
 * **Policies.** A device may hold several policies side by side, keyed by AMAPI `Policy.name` (certfleet's service
 * compiles one policy per profile); a new delivery of the same name is that policy's whole desired state: its
 * certificates no longer listed leave the device, those whose command fails this time stay as they were (a DPC
 * that cannot open the new PKCS#12 does not delete the old key). Same name and same bytes, after a compliant
 * delivery → `UNCHANGED`, nothing written.
 *
 * **SCEP.** A policy with `ENROLL_SCEP` commands (docs/formats.md §3.5) goes through `deliverAsync`: the device
 * enrols for each over the network first (scep-policy.ts), then the policy is planned and applied as above, the
 * enrolled key pair being one more planned item. The same bytes after a compliant delivery are `UNCHANGED`
 * without a second enrolment.
 */
import { createHash } from 'node:crypto';
import { CertfleetError } from '../../../pki/errors.ts';
import {
  decodeAndroidPolicy,
  encodeComplianceReport,
  type AndroidComplianceReport,
  type AndroidPolicy,
  type NonComplianceDetail,
} from '../../../profiles/android/index.ts';
import { isEnrollmentKindOf, type AndroidEnrollmentKind } from '../../../profiles/model/platform.ts';
import type { InstallOutcome } from '../../../protocol/wire/outcome.ts';
import {
  heldFromItem,
  type DeliveryMeta,
  type DeliveryResult,
  type DeviceContext,
  type HeldCertificate,
  type PlatformAdapter,
} from '../../platform-adapter.ts';
import { DEFAULT_RENEWAL_THRESHOLD } from '../../renewal/renewal.ts';
import { ANDROID_KIND_RULES, apiLevelOf } from './enrollment-rules.ts';
import { ANDROID_NATIVE_CASES, androidNative, nonComplianceDetail } from './native-status.ts';
import { commandRef, planPolicy, type CommandPlan } from './plan.ts';
import { enrolScepCommands } from './scep-policy.ts';
import type { AndroidScepResult } from './scep-enrol.ts';
import { deliverDeviceAdmin } from './device-admin.ts';
import { missingKeyAliases, oncNetworkProblems } from './onc-networks.ts';
import { untrustedChainText } from '../../missing-root.ts';
import {
  androidItems,
  chainResultOf,
  forgetContent,
  holdersOf,
  putPlanned,
  refreshTrust,
  releasePolicy,
} from './policy-store.ts';

/** The ref under which a policy is recorded: its AMAPI name, else the delivery's profile id. */
export function policyRefOf(policy: AndroidPolicy, meta: DeliveryMeta = {}): string {
  return policy.name ?? meta.profileId ?? 'policy';
}

function androidKind(ctx: DeviceContext): AndroidEnrollmentKind | undefined {
  const { device } = ctx;
  return device.platform === 'android' && isEnrollmentKindOf('android', device.enrollmentKind)
    ? device.enrollmentKind
    : undefined;
}

function outcome(
  ctx: DeviceContext,
  payload: string,
  status: InstallOutcome['status'],
  code: InstallOutcome['code'],
  message: string,
  detail?: NonComplianceDetail,
): InstallOutcome {
  const o: InstallOutcome = {
    device: ctx.device.id,
    platform: 'android',
    payload,
    status,
    code,
    message,
    native: androidNative(detail),
  };
  // The JSON path of the problem, in the codec's `$.`-rooted form.
  if (detail?.fieldPath !== undefined) o.path = `$.${detail.fieldPath}`;
  return o;
}

function reply(version: string | undefined, details: NonComplianceDetail[]): Buffer {
  const report: AndroidComplianceReport = {
    policyCompliant: details.length === 0,
    nonComplianceDetails: details,
  };
  if (version !== undefined) report.appliedPolicyVersion = version;
  return encodeComplianceReport(report);
}

function rejectWhole(
  ctx: DeviceContext,
  payload: string,
  problems: CertfleetError[],
  detail: (p: CertfleetError) => NonComplianceDetail,
): DeliveryResult {
  const first = problems[0] ?? new CertfleetError('INTERNAL', 'The policy was refused without a reason.');
  const message =
    problems.length === 1
      ? first.message
      : `${problems.length} problems: ${problems.map((p) => p.message).join('; ')}`;
  const details = problems.map(detail);
  return {
    outcomes: [outcome(ctx, payload, 'failed', first.code, message, details[0])],
    reply: reply(undefined, details),
  };
}

function successMessage(plan: Extract<CommandPlan, { ok: true }>, kind: AndroidEnrollmentKind): string {
  const { item } = plan;
  const subject = item.certificate.subjectText;
  if (item.kind === 'certificate') {
    const apps =
      item.attrs.trustedByApps === false ? '; apps do not trust user CAs by default (Android 7+)' : '';
    return `Installed CA certificate "${subject}" as a user CA in ${item.store}${apps}.`;
  }
  const access = item.attrs.access as { type: string; packages?: string[] };
  const who =
    access.type === 'SILENT'
      ? `granted silently to ${(access.packages ?? []).join(', ')}`
      : 'apps need user approval';
  const hidden = ANDROID_KIND_RULES[kind].keyPairsVisibleToUser ? '' : '; not visible to the device user';
  if (item.attrs.command === 'ENROLL_SCEP')
    return `Enrolled over SCEP with ${String(item.attrs.scepServer)} and installed key pair "${String(item.attrs.alias)}" ("${subject}", key made on the device) in ${item.store} (${who})${hidden}.`;
  return `Installed key pair "${String(item.attrs.alias)}" ("${subject}") in ${item.store} (${who})${hidden}.`;
}

/**
 * The outcome of a command that was written. A key pair whose chain does not lead to an installed root is
 * installed all the same (`installKeyPair` does no chain check, plan.ts) and reported as status installed,
 * code INSTALL_UNTRUSTED_CHAIN, naming the missing root — as Windows reports it; the compliance report stays
 * compliant (the setting was applied; trust is evaluated when an app uses the key, inferred).
 */
function installedOutcome(
  ctx: DeviceContext,
  p: Extract<CommandPlan, { ok: true }>,
  kind: AndroidEnrollmentKind,
  now: Date,
): InstallOutcome {
  const message = successMessage(p, kind);
  if (p.item.kind !== 'identity') return outcome(ctx, p.guid, 'installed', 'OK', message);
  const chain = chainResultOf(ctx.db, ctx.device.id, p.item.store, p.item.certificate.sha1Thumbprint, now);
  if (!chain || chain.ok) return outcome(ctx, p.guid, 'installed', 'OK', message);
  const text = `${message.replace(/\.$/, '')}, NOT trusted: ${untrustedChainText(chain)} Apps will fail trust evaluation until the root is installed.`;
  return outcome(ctx, p.guid, 'installed', 'INSTALL_UNTRUSTED_CHAIN', text);
}

function deliver(
  ctx: DeviceContext,
  payload: Buffer,
  meta: DeliveryMeta = {},
  enrolments?: ReadonlyMap<number, AndroidScepResult>,
): DeliveryResult {
  const kind = androidKind(ctx);
  const fallbackRef = meta.profileId ?? 'policy';
  if (kind === undefined) {
    const problem = new CertfleetError(
      'INSTALL_NOT_ALLOWED',
      `Device ${ctx.device.id} is a ${ctx.device.platform} device (${ctx.device.enrollmentKind}); it cannot apply an Android policy.`,
    );
    return rejectWhole(ctx, fallbackRef, [problem], () => nonComplianceDetail('wrongPlatform', undefined));
  }
  // Device administrator is not AMAPI-managed: the Company Portal applies OMA-DM SyncML (device-admin.ts).
  if (kind === 'device-admin') return deliverDeviceAdmin(ctx, payload, meta);
  const decoded = decodeAndroidPolicy(payload);
  if (!decoded.ok) {
    return rejectWhole(ctx, fallbackRef, decoded.problems, (p) => {
      const path = typeof p.details.path === 'string' ? p.details.path.replace(/^\$\.?/, '') : '';
      return p.code === 'ANDROID_POLICY_PARSE' || path === ''
        ? nonComplianceDetail('policyParse', undefined)
        : nonComplianceDetail('policyInvalid', path);
    });
  }
  const policy = decoded.policy;
  const policyRef = policyRefOf(policy, meta);
  const deviceId = ctx.device.id;
  const now = ctx.clock.now();
  const contentHash = createHash('sha256').update(payload).digest('hex');
  const commands = policy.certificateCommands ?? [];
  const guidOf = (i: number): string => {
    const c = commands[i];
    return c === undefined ? policyRef : commandRef(c);
  };

  const previous = ctx.db.profile(deviceId, policyRef);
  if (previous?.contentHash === contentHash && previous.meta.compliant === true) {
    return {
      outcomes: commands.map((_, i) =>
        outcome(
          ctx,
          guidOf(i),
          'installed',
          'UNCHANGED',
          `Policy "${policyRef}" is already applied; nothing changed.`,
        ),
      ),
      reply: reply(policy.version, []),
    };
  }

  const plans = planPolicy(
    { device: ctx.device, kind, now, ...(enrolments !== undefined && { enrolments }) },
    policy,
  );
  const networkFailures: InstallOutcome[] = [];
  const details = plans.flatMap((p) => (p.ok ? [] : [p.detail]));
  // What the device refuses in the policy's Wi-Fi networks whatever it holds (onc-networks.ts, AMAPI-NET).
  const networks = policy.openNetworkConfiguration?.NetworkConfigurations;
  const networkProblems = oncNetworkProblems(
    networks,
    policy.openNetworkConfiguration?.Certificates ?? [],
    apiLevelOf(ctx.device.osVersion),
  );
  try {
    const results = ctx.db.transaction(() => {
      const written = plans.map((p) =>
        p.ok ? putPlanned(ctx.db, deviceId, policyRef, p.item, now) : ('failed' as const),
      );
      const keepFailed = plans.filter((p) => !p.ok);
      releasePolicy(ctx.db, deviceId, policyRef, (item) => {
        if (
          plans.some(
            (p) =>
              p.ok &&
              p.item.store === item.store &&
              p.item.kind === item.kind &&
              p.item.certificate.sha1Thumbprint === item.thumbprint,
          )
        ) {
          return true;
        }
        return keepFailed.some((p) =>
          p.command.type !== 'INSTALL_CA_CERT'
            ? item.kind === 'identity' && item.attrs.alias === p.command.alias
            : item.kind === 'certificate' && item.attrs.guid === p.guid,
        );
      });
      refreshTrust(ctx.db, deviceId, now);
      // Android Enterprise refuses the networks found above, then checks the others against the key pairs it
      // now holds (AMAPI).
      const aliases = new Set(
        androidItems(ctx.db, deviceId)
          .filter((i) => i.kind === 'identity' && typeof i.attrs.alias === 'string')
          .map((i) => i.attrs.alias as string),
      );
      for (const np of networkProblems) {
        const detail: NonComplianceDetail = {
          ...nonComplianceDetail(np.case, np.fieldPath),
          ...(np.wifiGuid !== undefined && {
            specificNonComplianceContext: { oncWifiContext: { wifiGuid: np.wifiGuid } },
          }),
        };
        details.push(detail);
        networkFailures.push(
          outcome(ctx, np.guid, 'failed', ANDROID_NATIVE_CASES[np.case].code, np.message, detail),
        );
      }
      const refused = new Set(networkProblems.filter((np) => np.blocking).map((np) => np.index));
      for (const m of missingKeyAliases(networks, aliases, refused)) {
        const detail: NonComplianceDetail = {
          ...nonComplianceDetail('oncKeyPairAliasMissing', m.fieldPath),
          specificNonComplianceContext: { oncWifiContext: { wifiGuid: m.guid } },
        };
        details.push(detail);
        networkFailures.push(
          outcome(
            ctx,
            m.guid,
            'failed',
            'INSTALL_KEY_ALIAS_MISSING',
            `Wi-Fi network "${m.name ?? m.guid}" uses the client certificate with key-pair alias "${m.alias}", and no key pair with that alias is installed on this device (AMAPI: ONC_WIFI_KEY_PAIR_ALIAS_NOT_CORRESPONDING_TO_EXISTING_KEY). Install the PKCS certificate under that alias, or fix ClientCertKeyPairAlias.`,
            detail,
          ),
        );
      }
      const profileMeta: Record<string, unknown> = { compliant: details.length === 0, kind };
      if (meta.profileId !== undefined) profileMeta.profileId = meta.profileId;
      profileMeta.renewalThreshold = meta.renewalThreshold ?? DEFAULT_RENEWAL_THRESHOLD;
      if (meta.commandUuid !== undefined) profileMeta.commandUuid = meta.commandUuid;
      if (policy.version !== undefined) profileMeta.version = policy.version;
      if (policy.privateKeySelectionEnabled !== undefined)
        profileMeta.privateKeySelectionEnabled = policy.privateKeySelectionEnabled;
      // A renewal request stays pending while the certificate it was made for is still held (agent/renewal).
      const pendingFor = previous?.meta.renewalRequestedFor;
      if (
        typeof pendingFor === 'string' &&
        androidItems(ctx.db, deviceId).some(
          (i) => i.thumbprint === pendingFor && holdersOf(i).includes(policyRef),
        )
      ) {
        profileMeta.renewalRequestedFor = pendingFor;
        profileMeta.renewalRequestedAt = previous?.meta.renewalRequestedAt;
      }
      ctx.db.putProfile({
        deviceId,
        ref: policyRef,
        contentHash,
        meta: profileMeta,
        installedAt: now.toISOString(),
      });
      return written;
    });
    const outcomes = plans.map((p, i) =>
      p.ok
        ? results[i] === 'unchanged'
          ? outcome(
              ctx,
              p.guid,
              'installed',
              'UNCHANGED',
              `"${p.guid}" is already installed by policy "${policyRef}"; nothing changed.`,
            )
          : installedOutcome(ctx, p, kind, now)
        : // a SCEP command without the network is skipped, as Apple's (docs/errors.md INSTALL_NOT_SIMULATED)
          outcome(
            ctx,
            p.guid,
            p.code === 'INSTALL_NOT_SIMULATED' ? 'skipped' : 'failed',
            p.code,
            p.message,
            p.detail,
          ),
    );
    return { outcomes: [...outcomes, ...networkFailures], reply: reply(policy.version, details) };
  } catch (e) {
    const problem = new CertfleetError(
      'INTERNAL',
      `Applying policy "${policyRef}" failed and was rolled back: ${e instanceof Error ? e.message : String(e)}`,
      { cause: e },
    );
    const detail = nonComplianceDetail('internal', undefined);
    return {
      outcomes: commands.map((_, i) =>
        outcome(ctx, guidOf(i), 'failed', 'INTERNAL', problem.message, detail),
      ),
      reply: reply(policy.version, [detail]),
    };
  }
}

/**
 * Removes what `ref` installed: a policy name (the policy is withdrawn: its certificates leave unless another
 * policy still holds them), or a certificate GUID / key-pair alias (as a new policy version without that
 * certificate would; the policy is then re-applied in full on its next delivery).
 */
function remove(ctx: DeviceContext, ref: string): InstallOutcome {
  const deviceId = ctx.device.id;
  const now = ctx.clock.now();
  try {
    return ctx.db.transaction(() => {
      if (ctx.db.profile(deviceId, ref) !== undefined) {
        const removed = releasePolicy(ctx.db, deviceId, ref);
        ctx.db.removeProfile(deviceId, ref);
        refreshTrust(ctx.db, deviceId, now);
        return outcome(
          ctx,
          ref,
          'installed',
          'OK',
          `Policy "${ref}" withdrawn; ${removed} certificate(s) left the device.`,
        );
      }
      const victims = androidItems(ctx.db, deviceId).filter(
        (i) => i.attrs.guid === ref || (i.kind === 'identity' && i.attrs.alias === ref),
      );
      if (victims.length === 0) {
        return outcome(
          ctx,
          ref,
          'failed',
          'INSTALL_NOT_FOUND',
          `No Android policy, certificate GUID or key alias "${ref}" is installed on this device.`,
        );
      }
      for (const v of victims) {
        ctx.db.removeItems(deviceId, { store: v.store, thumbprint: v.thumbprint, kind: v.kind });
        for (const holder of holdersOf(v)) forgetContent(ctx.db, deviceId, holder);
      }
      refreshTrust(ctx.db, deviceId, now);
      return outcome(ctx, ref, 'installed', 'OK', `Removed "${ref}" (${victims.length} item(s)).`);
    });
  } catch (e) {
    return outcome(
      ctx,
      ref,
      'failed',
      'INTERNAL',
      `Removing "${ref}" failed and was rolled back: ${e instanceof Error ? e.message : String(e)}`,
    );
  }
}

/** The certificates on the device; the user view hides work-profile PKCS key pairs (PFXDOC). */
function held(ctx: DeviceContext, view: 'admin' | 'user'): HeldCertificate[] {
  return androidItems(ctx.db, ctx.device.id)
    .filter((i) => view === 'admin' || i.attrs.visibleToUser !== false)
    .map((i) =>
      heldFromItem(
        i,
        i.kind === 'identity' ? 'identity' : i.attrs.selfSigned === true ? 'root' : 'intermediate',
      ),
    );
}

/**
 * The same, enrolling the policy's `ENROLL_SCEP` commands over the network first (scep-policy.ts); a policy
 * without one, or already applied with these bytes, is the synchronous deliver.
 */
async function deliverAsync(
  ctx: DeviceContext,
  payload: Buffer,
  meta: DeliveryMeta = {},
): Promise<DeliveryResult> {
  const kind = androidKind(ctx);
  if (kind === undefined || kind === 'device-admin') return deliver(ctx, payload, meta);
  const decoded = decodeAndroidPolicy(payload);
  if (!decoded.ok) return deliver(ctx, payload, meta);
  const previous = ctx.db.profile(ctx.device.id, policyRefOf(decoded.policy, meta));
  const contentHash = createHash('sha256').update(payload).digest('hex');
  // the same bytes, applied: UNCHANGED without enrolling again (the challenge is spent)
  if (previous?.contentHash === contentHash && previous.meta.compliant === true)
    return deliver(ctx, payload, meta);
  const enrolments = await enrolScepCommands(ctx, kind, decoded.policy);
  return deliver(ctx, payload, meta, enrolments);
}

/** The Android platform adapter. */
export const androidAdapter: PlatformAdapter = {
  platform: 'android',
  format: 'android-policy',
  deliver: (ctx, payload, meta) => deliver(ctx, payload, meta),
  deliverAsync,
  remove,
  held,
};
