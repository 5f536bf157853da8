/**
 * The background SCEP enrolment a Windows device runs after `Exec SCEP/{UniqueID}/Install/Enroll` (CCI; issue
 * 14 point 2), on the device's clock. Steps, in order:
 * 1. The key: RSA of `KeyLength` bits, made on the device (agent/scep-device-key.ts), in the KSP that
 *    `KeyProtection` names under the PKCS path's rules (key-storage.ts chooseKsp: 1 TPM or fail, 2 TPM if
 *    present, 3 software, 4 Windows Hello for Business with `ContainerName`); never exportable **[inferred]**.
 * 2. The request is signed with SHA-256, so `HashAlgorithm` must allow SHA-2; a list without it fails
 *    SCEP_UNSUPPORTED_ALGORITHM **[certfleet]**.
 * 3. `ServerURL`: each URL in order until one answers GetCACert (CCI: several URLs separated by `;`); the one
 *    that answers becomes `RespondentServerUrl`. None → SCEP_HTTP.
 * 4. `CAThumbprint`: one certificate of the server's GetCACert answer must have that SHA-1, else the device
 *    does not trust the server (CCI "if it doesn't match, the authentication will fail") → INSTALL_UNTRUSTED_CHAIN.
 * 5. The PKCS#10 request carries `SubjectName`, the `SubjectAlternativeNames`, `Challenge`, the `KeyUsage`
 *    bits and `EKUMapping` OIDs as requested extensions, `TemplateName` as the v1 template extension, and
 *    `ValidPeriod`/`ValidPeriodUnits` as the name-value pairs ValidityPeriod/ValidityPeriodUnits (CCI: the
 *    server decides what to do with them). It goes over RFC 8894 HTTP with the client the Apple device uses
 *    (protocol/scep/client.ts).
 * 6. Renewal: when the node already holds a certificate that is still valid and the server's GetCACaps lists
 *    `Renewal`, the request is a RenewalReq signed with the old certificate and its key (RFC 8894 §3.3.1.2);
 *    otherwise a new PKCSReq. Either way with a new key **[inferred]**.
 * 7. PENDING: the device tries again after `RetryDelay` minutes of its clock, at most `RetryCount` times (CCI),
 *    with the same key and so the same transactionID (the server answers it as a poll). Still pending after
 *    that → SCEP_PENDING.
 * 8. Success: the identity (certificate + key) goes to the My store of the node's scope, the CA certificates
 *    of the answer to the CA store (as pfx-apply.ts), replacing the node's previous certificate; `Status` 1,
 *    `CertThumbprint`. Failure: `Status` 16, `ErrorCode` from native-status.ts SCEP_ERROR_CODE; a previous
 *    certificate stays.
 * 9. Then the device opens a session with the service (checks in), in which the service reads `Status`
 *    (CCI: "The device will not notify MDM server after certificate enrollment is done. The MDM server could
 *    later query the device"; that the device opens a session then is **[inferred]** from the generic alert
 *    Windows raises when a SCEP install finishes, docs/formats.md §2.2).
 *
 * The private key never leaves the device: it is written only to the identity item of the device's store.
 */
import { CertfleetError, isCertfleetError, type ErrorCode } from '../../../pki/errors.ts';
import type { KeyObject } from 'node:crypto';
import { parseCertificate, type Certificate } from '../../../pki/certificate.ts';
import { KEY_USAGE_BITS, type KeyUsageName } from '../../../pki/extensions.ts';
import { exportPrivateKeyDer, importPrivateKey, type KeyPair } from '../../../pki/keys.ts';
import type { ScepEnrolSettings } from '../../../profiles/windows/scep-install-decode.ts';
import { ScepClient } from '../../../protocol/scep/client.ts';
import { putSharedItem } from '../../keystore/shared-items.ts';
import { deviceScepKey } from '../../scep-device-key.ts';
import type { DeviceContext } from '../../platform-adapter.ts';
import { chainSummary, evaluateTrust, type ApplyEnv } from './apply-context.ts';
import { chooseKsp, describeKey, KSP_NAMES } from './key-storage.ts';
import { scepErrorName, WIN32 } from './native-status.ts';
import { chainRefOf, releaseNode } from './pfx-apply.ts';
import { markLive, SCEP_STATUS, scepNode, updateScepNode } from './scep-node.ts';
import { personalStoreFor, WINDOWS_STORES } from './stores.ts';

/** One enrolment at work: the node, its generation, the settings taken at Exec (the challenge among them). */
export interface ScepJob {
  ref: string;
  generation: number;
  settings: ScepEnrolSettings;
  scope: 'Device' | 'User';
}

/** The key-usage names of a KeyUsage byte (bit 0x80 = digitalSignature … 0x01 = encipherOnly). */
export function keyUsageNames(bits: number): KeyUsageName[] {
  return KEY_USAGE_BITS.slice(0, 8).filter((_, i) => (bits & (0x80 >> i)) !== 0);
}

/** Starts the enrolment of `job` now on the device's scheduler (the context must have `background`). */
export function startScepEnrolment(ctx: DeviceContext, job: ScepJob): void {
  if (ctx.background === undefined) return;
  markLive(ctx, job.ref, job.generation, true);
  ctx.background.scheduler.after(0, () => attempt(ctx, job, undefined, 0));
}

function current(ctx: DeviceContext, job: ScepJob): boolean {
  const node = scepNode(ctx, job.ref);
  return node?.generation === job.generation && node.status === SCEP_STATUS.pending;
}

async function attempt(
  ctx: DeviceContext,
  job: ScepJob,
  kept: KeyPair | undefined,
  retries: number,
): Promise<void> {
  let again = false;
  try {
    again = await step(ctx, job, kept, retries);
  } finally {
    if (!again) markLive(ctx, job.ref, job.generation, false);
  }
  if (!again) await ctx.background?.checkIn();
}

/** One try; true when another is scheduled (PENDING within RetryCount). */
async function step(
  ctx: DeviceContext,
  job: ScepJob,
  kept: KeyPair | undefined,
  retries: number,
): Promise<boolean> {
  if (!current(ctx, job)) return false;
  let key = kept;
  try {
    key ??= await makeKey(ctx, job);
    const r = await enrolOnce(ctx, job, key);
    if (current(ctx, job)) install(ctx, job, key, r.certificate, r.chain, r.url);
    return false;
  } catch (e) {
    if (!current(ctx, job)) return false;
    const code: ErrorCode = isCertfleetError(e) ? e.code : 'INTERNAL';
    const text = e instanceof Error ? e.message : String(e);
    const message =
      code === 'INTERNAL'
        ? `certfleet failed unexpectedly (${text}); this is a bug, please report it.`
        : text;
    if (code === 'SCEP_PENDING' && key !== undefined && retries < job.settings.retryCount) {
      // CCI RetryDelay (minutes) / RetryCount: try again later with the same key (same transactionID)
      const k = key;
      ctx.background?.scheduler.after(job.settings.retryDelay * 60_000, () =>
        attempt(ctx, job, k, retries + 1),
      );
      return true;
    }
    fail(
      ctx,
      job,
      code,
      retries > 0 && code === 'SCEP_PENDING'
        ? `${message} The device tried ${retries + 1} time(s), ${job.settings.retryDelay} min apart (RetryCount ${job.settings.retryCount}).`
        : message,
    );
    return false;
  }
}

async function makeKey(ctx: DeviceContext, job: ScepJob): Promise<KeyPair> {
  const s = job.settings;
  if (!s.hashAlgorithms.includes('SHA-2')) {
    throw new CertfleetError(
      'SCEP_UNSUPPORTED_ALGORITHM',
      `HashAlgorithm ${s.hashAlgorithms.join('+')} does not allow SHA-2; this device signs its SCEP requests with SHA-256. Include SHA-2 in the profile's hash algorithms.`,
    );
  }
  const key = await deviceScepKey(ctx, s.keyLength);
  const ksp = chooseKsp(
    ctx.device,
    {
      keyLocation: s.keyProtection,
      keyExportable: false,
      ...(s.containerName !== undefined && { containerName: s.containerName }),
    },
    key.privateKey,
  );
  if (!ksp.ok) throw new CertfleetError(ksp.code, ksp.message);
  return key;
}

async function enrolOnce(
  ctx: DeviceContext,
  job: ScepJob,
  keyPair: KeyPair,
): Promise<{ certificate: Certificate; chain: Certificate[]; url: string }> {
  const s = job.settings;
  const now = (): Date => ctx.clock.now();
  let client: ScepClient | undefined;
  let caCerts: Certificate[] = [];
  let url = '';
  const unreachable: string[] = [];
  for (const u of s.serverUrls) {
    try {
      const c = new ScepClient({ url: u, now });
      caCerts = await c.getCaCert();
      client = c;
      url = u;
      break;
    } catch (e) {
      if (!isCertfleetError(e)) throw e;
      unreachable.push(`${u}: ${e.message}`);
    }
  }
  if (client === undefined) {
    throw new CertfleetError(
      'SCEP_HTTP',
      `No SCEP server of ServerURL answered GetCACert (${unreachable.join('; ')}).`,
    );
  }
  if (!caCerts.some((c) => c.sha1Thumbprint.toUpperCase() === s.caThumbprint)) {
    throw new CertfleetError(
      'INSTALL_UNTRUSTED_CHAIN',
      `The SCEP server ${url} offers no CA certificate with the profile's CAThumbprint ${s.caThumbprint}; the device does not enrol with it. Check that the profile's root certificate and the SCEP server belong to the same CA.`,
    );
  }
  const renew = await renewalSigner(ctx, job, client);
  const r = await client.enrol({
    keyPair,
    subject: s.subjectName,
    challenge: s.challenge,
    san: s.sans,
    extensions: {
      keyUsage: keyUsageNames(s.keyUsage),
      ...(s.ekus.length > 0 && { extKeyUsage: s.ekus }),
      ...(s.templateName !== undefined && { template: { name: s.templateName } }),
    },
    ...(s.validPeriod !== undefined && {
      nameValuePairs: [
        ['ValidityPeriod', s.validPeriod],
        ['ValidityPeriodUnits', String(s.validPeriodUnits)],
      ],
    }),
    ...(renew !== undefined && { renew }),
  });
  return { certificate: r.certificate, chain: r.chain, url };
}

/** The old certificate and key to sign a RenewalReq with, when the node holds a valid one and the server renews. */
async function renewalSigner(
  ctx: DeviceContext,
  job: ScepJob,
  client: ScepClient,
): Promise<{ certificate: Certificate; privateKey: KeyObject } | undefined> {
  const item = ctx.db.items(ctx.device.id, { ref: job.ref, kind: 'identity' })[0];
  if (item?.privateKey === undefined || Date.parse(item.notAfter) <= ctx.clock.now().getTime())
    return undefined;
  const caps = await client.getCaCaps().catch(() => new Set<string>());
  if (![...caps].some((c) => c.toLowerCase() === 'renewal')) return undefined;
  return { certificate: parseCertificate(item.certificate), privateKey: importPrivateKey(item.privateKey) };
}

function install(
  ctx: DeviceContext,
  job: ScepJob,
  key: KeyPair,
  leaf: Certificate,
  chain: Certificate[],
  url: string,
): void {
  const s = job.settings;
  const { db, device } = ctx;
  const env: ApplyEnv = { ctx, meta: undefined, now: ctx.clock.now() };
  db.transaction(() => {
    const previous = db.items(device.id, { ref: job.ref, kind: 'identity' })[0];
    releaseNode(env, job.ref);
    const installedAt = env.now.toISOString();
    const caStore = job.scope === 'User' ? WINDOWS_STORES.userCa : WINDOWS_STORES.machineCa;
    for (const ca of chain) {
      if (ca.basicConstraints?.ca !== true || ca.subjectText === ca.issuerText) continue;
      putSharedItem(db, {
        deviceId: device.id,
        store: caStore,
        kind: 'certificate',
        ref: chainRefOf(job.ref),
        thumbprint: ca.sha1Thumbprint,
        subject: ca.subjectText,
        issuer: ca.issuerText,
        notBefore: ca.notBefore.toISOString(),
        notAfter: ca.notAfter.toISOString(),
        certificate: ca.der,
        attrs: { fromScep: job.ref },
        installedAt,
      });
    }
    const ksp = chooseKsp(
      device,
      {
        keyLocation: s.keyProtection,
        keyExportable: false,
        ...(s.containerName !== undefined && { containerName: s.containerName }),
      },
      key.privateKey,
    );
    const kspName = ksp.ok ? ksp.ksp : 'software';
    const trust = evaluateTrust(env, leaf);
    const store = personalStoreFor(job.scope);
    db.putItem({
      deviceId: device.id,
      store,
      kind: 'identity',
      ref: job.ref,
      thumbprint: leaf.sha1Thumbprint,
      subject: leaf.subjectText,
      issuer: leaf.issuerText,
      notBefore: leaf.notBefore.toISOString(),
      notAfter: leaf.notAfter.toISOString(),
      certificate: leaf.der,
      privateKey: Buffer.from(exportPrivateKeyDer(key.privateKey)),
      attrs: {
        csp: 'SCEP',
        keyLocation: s.keyProtection,
        ksp: kspName,
        provider: KSP_NAMES[kspName],
        keyAlgorithm: describeKey(key.privateKey),
        exportable: false,
        trusted: trust.trusted,
        ...(s.containerName !== undefined && { containerName: s.containerName }),
        ...(!trust.trusted && { chainProblems: trust.problems.map((p) => p.code) }),
      },
      installedAt,
    });
    const what = `${leaf.subjectText} (${leaf.sha1Thumbprint}) from ${url} into ${store} with its key in the ${KSP_NAMES[kspName]} (not exportable)`;
    const replaced =
      previous === undefined ? '' : ` It replaces ${previous.subject} (${previous.thumbprint}).`;
    updateScepNode(ctx, job.ref, {
      status: SCEP_STATUS.finished,
      errorCode: 0,
      thumbprint: leaf.sha1Thumbprint,
      respondentServerUrl: url,
      result: {
        status: 'installed',
        code: trust.code,
        message: trust.trusted
          ? `Enrolled over SCEP and installed ${what}.${replaced}`
          : `Enrolled over SCEP and installed ${what}, but its chain is not trusted on this device: ${chainSummary(trust.problems)}${replaced}`,
        errorCode: 'ERROR_SUCCESS',
        reported: false,
      },
    });
  });
}

function fail(ctx: DeviceContext, job: ScepJob, code: ErrorCode, message: string): void {
  const errorCode = scepErrorName(code);
  updateScepNode(ctx, job.ref, {
    status: SCEP_STATUS.failed,
    errorCode: WIN32[errorCode],
    result: {
      status: 'failed',
      code,
      message: `The SCEP enrolment of ${job.ref} failed: ${message}`,
      errorCode,
      reported: false,
    },
  });
}
