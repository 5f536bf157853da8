/**
 * The Android **device administrator** device: the Company Portal app applying OMA-DM SyncML addressed to the
 * CertificateStore CSP (profiles/android/device-admin-syncml.ts; docs/formats.md §2.5/§3.4). Device administrator
 * is not AMAPI-managed, so it neither reads an AMAPI policy (an AMAPI JSON is not SyncML: 400, SYNCML_PARSE) nor
 * answers with non-compliance reasons: every command gets its SyncML status in a SyncML reply, and each outcome
 * carries that status with the per-device status the Intune admin center shows (device-admin-status.ts,
 * docs/errors.md §3.5).
 *
 * Rules (the same device facts the Android Enterprise path uses, enrollment-rules.ts): a root is refused on
 * Android 11+ except on Samsung (Knox) devices (TRUSTDOC); a certificate must parse and be valid on the device
 * clock; a PKCS#12 opens with the password sent beside it. Key pairs go to the KeyChain and stay visible to the
 * user (PFXDOC applies the hiding to work profiles only). Each install is atomic (one store row per key pair);
 * all writes of one message run in one transaction. The message is the profile's whole desired state: what the
 * profile installed before and no longer carries leaves the device.
 */
import { createHash } from 'node:crypto';
import { exportPrivateKeyDer } from '../../../pki/keys.ts';
import { parseCertificate, type Certificate } from '../../../pki/certificate.ts';
import { CertfleetError, isCertfleetError } from '../../../pki/errors.ts';
import { parsePkcs12 } from '../../../pki/pkcs12.ts';
import {
  readDeviceAdminMessage,
  type DeviceAdminInstall,
} from '../../../profiles/android/device-admin-syncml.ts';
import { buildReply } from '../../../profiles/windows/device-reply.ts';
import { decodeSyncml } from '../../../profiles/windows/syncml-decode.ts';
import { encodeSyncml } from '../../../profiles/windows/syncml-encode.ts';
import type { SyncmlMessage } from '../../../profiles/windows/syncml-model.ts';
import type { InstallOutcome } from '../../../protocol/wire/outcome.ts';
import type { DeliveryMeta, DeliveryResult, DeviceContext } from '../../platform-adapter.ts';
import { DEFAULT_RENEWAL_THRESHOLD } from '../../renewal/renewal.ts';
import { untrustedChainText } from '../../missing-root.ts';
import {
  ANDROID_KIND_RULES,
  API_USER_CA_NOT_TRUSTED_BY_APPS,
  apiLevelOf,
  caInstallAllowed,
  isSamsung,
} from './enrollment-rules.ts';
import { caseOfCertificateError } from './certificate-error-case.ts';
import { DEVICE_ADMIN_CASES, deviceAdminNative, type DeviceAdminCaseName } from './device-admin-status.ts';
import type { PlannedItem } from './plan.ts';
import { chainResultOf, putPlanned, refreshTrust, releasePolicy } from './policy-store.ts';

const RULES = ANDROID_KIND_RULES['device-admin'];

type Plan =
  | { ok: true; install: DeviceAdminInstall; item: PlannedItem }
  | { ok: false; install: DeviceAdminInstall; caseName: DeviceAdminCaseName; message: string };

function outcome(
  ctx: DeviceContext,
  payload: string,
  caseName: DeviceAdminCaseName,
  message: string,
  path?: string,
): InstallOutcome {
  const c = DEVICE_ADMIN_CASES[caseName];
  const o: InstallOutcome = {
    device: ctx.device.id,
    platform: 'android',
    payload,
    status: c.console === 'Succeeded' ? 'installed' : 'failed',
    code: c.code,
    message,
    native: deviceAdminNative(caseName),
  };
  if (path !== undefined) o.path = path;
  return o;
}

function errorMessage(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

function validityProblem(cert: Certificate, now: Date): string | null {
  if (now.getTime() < cert.notBefore.getTime())
    return `is not valid until ${cert.notBefore.toISOString()} (device clock ${now.toISOString()})`;
  if (now.getTime() > cert.notAfter.getTime())
    return `expired on ${cert.notAfter.toISOString()} (device clock ${now.toISOString()})`;
  return null;
}

function planRoot(
  ctx: DeviceContext,
  install: Extract<DeviceAdminInstall, { kind: 'root' }>,
  now: Date,
): Plan {
  if (!caInstallAllowed(ctx.device, 'device-admin')) {
    return {
      ok: false,
      install,
      caseName: 'caOnAndroid11',
      message:
        `Android ${ctx.device.osVersion} does not let the Company Portal install CA certificate "${install.guid}" on a ` +
        'device administrator device (Android 11+ removed it; Samsung Knox devices excepted). Install the root ' +
        'manually or move the device to Android Enterprise.',
    };
  }
  let cert: Certificate;
  try {
    cert = parseCertificate(Buffer.from(install.encoded, 'base64'));
  } catch (e) {
    return {
      ok: false,
      install,
      caseName: 'certParse',
      message: `CA certificate "${install.guid}" cannot be parsed (${errorMessage(e)}); send the DER certificate base64-encoded in EncodedCertificate.`,
    };
  }
  const invalid = validityProblem(cert, now);
  if (invalid !== null) {
    return {
      ok: false,
      install,
      caseName: 'certExpired',
      message: `CA certificate "${cert.subjectText}" ${invalid}; the device refuses it. Deploy a current certificate.`,
    };
  }
  return {
    ok: true,
    install,
    item: {
      store: RULES.caStore,
      kind: 'certificate',
      certificate: cert,
      attrs: {
        guid: install.guid,
        selfSigned: cert.isSelfSigned,
        basicConstraintsCa: cert.basicConstraints?.ca === true,
        trustedByApps: apiLevelOf(ctx.device.osVersion) < API_USER_CA_NOT_TRUSTED_BY_APPS,
        visibleToUser: true,
        installPath: isSamsung(ctx.device) ? 'samsung-knox' : RULES.installPath,
      },
    },
  };
}

function planPkcs(
  ctx: DeviceContext,
  install: Extract<DeviceAdminInstall, { kind: 'pkcs' }>,
  now: Date,
): Plan {
  let parsed: ReturnType<typeof parsePkcs12>;
  try {
    parsed = parsePkcs12(Buffer.from(install.encoded, 'base64'), install.password ?? '');
  } catch (e) {
    const code = isCertfleetError(e) ? e.code : 'INTERNAL';
    const caseName = caseOfCertificateError(code);
    const why =
      code === 'PKCS12_BAD_PASSWORD'
        ? 'does not open with the PFXCertPassword sent with it'
        : code === 'PKCS12_UNSUPPORTED'
          ? `uses an algorithm the device cannot read (${errorMessage(e)})`
          : `is corrupt (${errorMessage(e)})`;
    return {
      ok: false,
      install,
      caseName,
      message: `PKCS#12 "${install.guid}" ${why}; the Company Portal cannot install it.`,
    };
  }
  const [leafDer, ...chainDer] = parsed.certificates;
  if (leafDer === undefined) {
    return {
      ok: false,
      install,
      caseName: 'pkcs12Parse',
      message: `PKCS#12 "${install.guid}" holds no certificate.`,
    };
  }
  const leaf = parseCertificate(leafDer);
  const invalid = validityProblem(leaf, now);
  if (invalid !== null) {
    return {
      ok: false,
      install,
      caseName: 'certExpired',
      message: `Certificate "${leaf.subjectText}" of PKCS#12 "${install.guid}" ${invalid}; the device refuses it.`,
    };
  }
  return {
    ok: true,
    install,
    item: {
      store: RULES.keyPairStore,
      kind: 'identity',
      certificate: leaf,
      privateKey: Buffer.from(exportPrivateKeyDer(parsed.privateKey)),
      attrs: {
        guid: install.guid,
        alias: install.guid,
        access: { type: 'USER_APPROVAL' },
        exportable: false,
        visibleToUser: RULES.keyPairsVisibleToUser,
        installPath: RULES.installPath,
        chain: chainDer.map((d) => d.toString('base64')),
      },
    },
  };
}

function rejectReply(deviceId: string, status: number): Buffer {
  const request: SyncmlMessage = {
    header: {
      verDtd: '1.2',
      verProto: 'DM/1.2',
      sessionId: '0',
      msgId: 1,
      target: deviceId,
      source: 'unknown-server',
    },
    body: [],
    final: true,
  };
  return encodeSyncml(buildReply({ request, msgId: 2, headerStatus: status }));
}

/** Decodes and applies one device-administrator SyncML message; never throws for bad input. */
export function deliverDeviceAdmin(
  ctx: DeviceContext,
  payload: Buffer,
  meta: DeliveryMeta = {},
): DeliveryResult {
  const ref = meta.profileId ?? 'syncml';
  const decoded = decodeSyncml(payload);
  if (!decoded.ok) {
    const first = decoded.problems[0] ?? new CertfleetError('SYNCML_PARSE', 'The message is not SyncML.');
    const message =
      'The device administrator client (Company Portal) takes OMA-DM SyncML only, and this payload is not SyncML ' +
      `(${first.message.replace(/\.$/, '')}). Device administrator is not managed through the Android Management API.`;
    return {
      outcomes: [outcome(ctx, ref, 'syncmlParse', message, 'SyncML')],
      reply: rejectReply(ctx.device.id, DEVICE_ADMIN_CASES.syncmlParse.syncml),
    };
  }
  const request = decoded.message;
  const { installs, unknown } = readDeviceAdminMessage(request);
  const now = ctx.clock.now();
  const deviceId = ctx.device.id;
  const codes = new Map<number, number>();
  const outcomes: InstallOutcome[] = [];
  for (const u of unknown) {
    const caseName: DeviceAdminCaseName = u.status === 404 ? 'unknownNode' : 'commandNotAllowed';
    codes.set(u.cmdId, DEVICE_ADMIN_CASES[caseName].syncml);
    outcomes.push(outcome(ctx, u.locUri, caseName, `${u.reason}.`, u.locUri));
  }
  const contentHash = createHash('sha256').update(payload).digest('hex');
  const previous = ctx.db.profile(deviceId, ref);
  if (unknown.length === 0 && previous?.contentHash === contentHash && previous.meta.compliant === true) {
    return {
      outcomes: installs.map((i) =>
        outcome(ctx, i.guid, 'unchanged', `Profile "${ref}" is already installed; nothing changed.`),
      ),
      reply: encodeSyncml(buildReply({ request, msgId: request.header.msgId + 1 })),
    };
  }
  const plans = installs.map((i) => {
    try {
      return i.kind === 'root' ? planRoot(ctx, i, now) : planPkcs(ctx, i, now);
    } catch (e) {
      return {
        ok: false,
        install: i,
        caseName: 'internal',
        message: `Unexpected error while installing "${i.guid}": ${errorMessage(e)}`,
      } as Plan;
    }
  });
  try {
    const written = ctx.db.transaction(() => {
      const results = plans.map((p) => (p.ok ? putPlanned(ctx.db, deviceId, ref, p.item, now) : 'failed'));
      releasePolicy(ctx.db, deviceId, ref, (item) =>
        plans.some((p) =>
          p.ok
            ? p.item.store === item.store && p.item.certificate.sha1Thumbprint === item.thumbprint
            : item.attrs.guid === p.install.guid,
        ),
      );
      refreshTrust(ctx.db, deviceId, now);
      const failed = unknown.length > 0 || plans.some((p) => !p.ok);
      ctx.db.putProfile({
        deviceId,
        ref,
        contentHash,
        meta: {
          compliant: !failed,
          kind: 'device-admin',
          ...(meta.profileId !== undefined && { profileId: meta.profileId }),
          renewalThreshold: meta.renewalThreshold ?? DEFAULT_RENEWAL_THRESHOLD,
        },
        installedAt: now.toISOString(),
      });
      return results;
    });
    plans.forEach((p, i) => {
      const status = p.ok ? 200 : DEVICE_ADMIN_CASES[p.caseName].syncml;
      codes.set(p.install.cmdId, status);
      // A failed Atomic: 507 on the Atomic, the failing Add its own code, the other children 216 (docs/errors.md §1.1).
      if (p.install.kind === 'pkcs' && p.install.atomicCmdId !== p.install.cmdId) {
        codes.set(p.install.atomicCmdId, p.ok ? 200 : 507);
        if (!p.ok && p.install.passwordCmdId !== undefined) codes.set(p.install.passwordCmdId, 216);
      }
      if (!p.ok) {
        outcomes.push(outcome(ctx, p.install.guid, p.caseName, p.message));
        return;
      }
      if (written[i] === 'unchanged') {
        outcomes.push(
          outcome(
            ctx,
            p.install.guid,
            'unchanged',
            `"${p.install.guid}" is already installed; nothing changed.`,
          ),
        );
        return;
      }
      outcomes.push(installedOutcome(ctx, p, now));
    });
  } catch (e) {
    const message = `Applying profile "${ref}" failed and was rolled back: ${errorMessage(e)}`;
    return {
      outcomes: installs.map((i) => outcome(ctx, i.guid, 'internal', message)),
      reply: rejectReply(deviceId, DEVICE_ADMIN_CASES.internal.syncml),
    };
  }
  return {
    outcomes,
    reply: encodeSyncml(buildReply({ request, msgId: request.header.msgId + 1, codes })),
  };
}

function installedOutcome(ctx: DeviceContext, p: Extract<Plan, { ok: true }>, now: Date): InstallOutcome {
  const subject = p.item.certificate.subjectText;
  if (p.item.kind === 'certificate') {
    const apps =
      p.item.attrs.trustedByApps === false ? '; apps do not trust user CAs by default (Android 7+)' : '';
    return outcome(
      ctx,
      p.install.guid,
      'installed',
      `The Company Portal installed CA certificate "${subject}" as a user CA${apps}.`,
    );
  }
  const text = `The Company Portal installed the certificate "${subject}" with its key in the KeyChain (apps need user approval).`;
  const chain = chainResultOf(ctx.db, ctx.device.id, p.item.store, p.item.certificate.sha1Thumbprint, now);
  if (!chain || chain.ok) return outcome(ctx, p.install.guid, 'installed', text);
  return {
    ...outcome(
      ctx,
      p.install.guid,
      'installed',
      `${text.replace(/\.$/, '')}, NOT trusted: ${untrustedChainText(chain)}`,
    ),
    code: 'INSTALL_UNTRUSTED_CHAIN',
  };
}
