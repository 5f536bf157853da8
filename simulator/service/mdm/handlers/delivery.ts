/**
 * The delivery state machine of one device × profile (docs/architecture.md flow steps 3 and 5), shared by
 * the message handlers: start a delivery (trusted: compile now; PKCS: resolve the request once, queue it
 * for a connector), compile with the issued identity and send, re-send with backoff when the device does
 * not answer, and withdraw (retire, assignment removed).
 *
 * The request is resolved once per delivery ({@link requestOf}): at its start; the resolved request goes
 * into each certificate work item (initial and renewal) for the connector, and into compileProfile
 * (`options.request`), which then does not resolve it again. Only a re-enrolment, which brings new device
 * facts, makes the next use resolve it again (handlers/enroll.ts clears it).
 */
import { createHash } from 'node:crypto';
import { payloadTopic } from '../../../../protocol/wire/topics.ts';
import { isCertfleetError } from '../../../../pki/errors.ts';
import { ownBytes, ownString } from '../../../../pki/own-bytes.ts';
import {
  compileProfile,
  resolveRequest,
  rewrapForAndroid,
  seededIds,
  type CompileOptions,
  type IssuedIdentity,
  type NativePayload,
  type ResolveRequestResult,
} from '../../../../profiles/compile/index.ts';
import type { CertificateProfile } from '../../../../profiles/model/profile.ts';
import type { OutcomeCode } from '../../../../protocol/wire/outcome.ts';
import { encryptPfxPasswordForDevice } from '../../../../profiles/windows/pfx-password.ts';
import { notApplicableReason } from '../applicability.ts';
import { enqueueImported, startImportedDelivery } from './imported-delivery.ts';
import { scepSerialsOf, startScepDelivery } from './scep-delivery.ts';
import type { ProfileAssignment } from '../assignment.ts';
import { answerTimeout } from '../retry-policy.ts';
import type { ServiceDevice } from '../service-types.ts';
import type { Delivery } from '../stores/deliveries.ts';
import type { ServiceContext } from './context.ts';

/** What the delivery state machine uses. */
export type DeliveryContext = Pick<
  ServiceContext,
  | 'tenant'
  | 'ca'
  | 'clock'
  | 'random'
  | 'retry'
  | 'encryptPassword'
  | 'pkcs12'
  | 'scep'
  | 'hooks'
  | 'deliveries'
  | 'enrollments'
  | 'requests'
  | 'now'
  | 'event'
  | 'setOutcome'
  | 'publish'
  | 'deviceTopic'
  | 'revoke'
  | 'track'
  | 'stopped'
>;

/** The identifier a device matches the payload on (for the run DB; best effort, from the native value or the bytes). */
function payloadIdOf(p: NativePayload): string {
  if (p.format === 'mobileconfig') return p.native.PayloadIdentifier;
  const text = p.bytes.toString('utf8');
  if (p.format === 'syncml') {
    const uri = /<LocURI>(\.\/(?:Device|User)\/Vendor\/MSFT\/[^<]*)<\/LocURI>/.exec(text)?.[1];
    return uri ?? '';
  }
  return /"(?:guid|GUID|alias)"\s*:\s*"([^"]*)"/.exec(text)?.[1] ?? '';
}

/**
 * The request of a PKCS delivery: the one resolved when it started, or — when there is none yet (the start,
 * or the first use after a re-enrolment) — resolved now against the device's facts and kept.
 */
export function requestOf(d: Delivery): ResolveRequestResult {
  if (d.request !== undefined) return { ok: true, request: d.request };
  const profile = d.assignment.profile;
  if (profile.kind !== 'pkcs-certificate') {
    throw new TypeError(`requestOf: ${d.assignment.name} is not a PKCS certificate profile`);
  }
  const resolved = resolveRequest(profile, d.device.facts!);
  if (!resolved.ok) return resolved;
  // the key size the run asks for reaches the connector (issue 12 point 1)
  const request = {
    ...resolved.request,
    ...(d.assignment.keySize !== undefined && { keySize: d.assignment.keySize }),
  };
  d.request = request;
  return { ok: true, request };
}

/** Fails the delivery with a compile or resolution outcome. */
function fail(ctx: DeliveryContext, d: Delivery, code: Delivery['outcome']['code'], message: string): void {
  ctx.setOutcome(d, 'failed', code, message);
  ctx.event('failed', `${code}: ${message}`, d.device.id, d.assignment.name);
}

/**
 * Starts the delivery of `assignment` to an enrolled `device` (nothing when one is already running):
 * trusted certificates compile and go out at once; a PKCS request is resolved (a variable the device
 * cannot supply fails it here) and queued for a connector.
 */
export async function startDelivery(
  ctx: DeliveryContext,
  device: ServiceDevice,
  assignment: ProfileAssignment,
): Promise<void> {
  const existing = ctx.deliveries.get(device.id, assignment.name);
  if (existing && !existing.removed) return;
  const fresh: Delivery = {
    device,
    assignment,
    outcome: {
      device: device.id,
      platform: device.platform,
      kind: device.kind,
      profile: assignment.name,
      status: 'pending',
      code: 'DELIVERY_NOT_SENT',
      message: 'Assigned; not sent yet.',
      renewals: 0,
      at: ctx.now(),
    },
    attempt: 0,
    awaiting: false,
    sends: 0,
    removed: false,
  };
  // the delivery as stored: its changes are marked for the saved state (stores/deliveries.ts)
  const d = ctx.deliveries.put(fresh);
  const notApplicable = notApplicableReason(assignment.profile, device.facts, device);
  if (notApplicable !== undefined) {
    ctx.setOutcome(d, 'not-applicable', 'NOT_APPLICABLE', notApplicable);
    ctx.event('not-applicable', notApplicable, device.id, assignment.name);
    return;
  }
  if (assignment.profile.kind === 'trusted-certificate') {
    await compileAndSend(ctx, d);
    return;
  }
  if (assignment.profile.kind === 'pkcs-imported-certificate') return startImportedDelivery(ctx, d);
  if (assignment.profile.kind === 'scep-certificate') return startScepDelivery(ctx, d);
  const resolved = requestOf(d);
  if (!resolved.ok) {
    fail(ctx, d, resolved.outcome.code, resolved.outcome.message);
    return;
  }
  enqueue(ctx, d, 'initial');
}

/**
 * Queues a certificate request for a PKCS delivery, carrying its resolved request in the work item. Should
 * the request not resolve (only possible after a re-enrolment with other facts), the delivery fails.
 */
export function enqueue(ctx: DeliveryContext, d: Delivery, reason: 'initial' | 'renewal'): void {
  if (d.assignment.profile.kind !== 'pkcs-certificate') return;
  const resolved = requestOf(d);
  if (!resolved.ok) {
    fail(ctx, d, resolved.outcome.code, resolved.outcome.message);
    return;
  }
  const requestId = ctx.requests.enqueue({
    deviceId: d.device.id,
    profile: d.assignment.name,
    request: resolved.request,
    reason,
  });
  d.requestId = requestId;
  d.reason = reason;
  if (reason === 'initial')
    ctx.setOutcome(
      d,
      'pending',
      'CERTIFICATE_NOT_ISSUED',
      'Waiting for a certificate connector to issue the certificate; nothing was sent to the device yet.',
    );
  ctx.event('certificate-requested', `${requestId} (${reason})`, d.device.id, d.assignment.name);
}

/** A profile whose compile re-wraps the connector's PFX (Android Enterprise PKCS: compile-android.ts). */
function rewrapsOnPool(profile: CertificateProfile): boolean {
  return (
    profile.kind === 'pkcs-certificate' &&
    (profile.family === 'android-work-profile' || profile.family === 'android-device-owner')
  );
}

/** Compiles (trusted: now; PKCS: with `issued` and the delivery's resolved request) and sends. */
export async function compileAndSend(
  ctx: DeliveryContext,
  d: Delivery,
  issued?: IssuedIdentity,
  /** The device holds an identity of this profile that `issued` replaces (a newer imported PFX). */
  replaces = false,
  /** A SCEP delivery (scep-delivery.ts): the profile as compiled for the device, and its enrolment. */
  scep?: { profile: CertificateProfile; scep: NonNullable<CompileOptions['scep']> },
  /**
   * The Windows PFX password already encrypted to the device's management certificate (the PFX connector's
   * answer, imported-delivery.ts): sent as it is, type 1, instead of encrypting `issued.password` here.
   */
  encryptedPassword?: string,
): Promise<void> {
  const { device } = d;
  const assignment = scep === undefined ? d.assignment : { ...d.assignment, profile: scep.profile };
  d.sends += 1;
  const seed = `${ctx.random.key}/${device.id}/${assignment.name}/${d.sends}`;
  // the PKCS#12 salts and IVs of this send: the same stream each time it is forked
  const saltsOf = (): ((n: number) => Buffer) => {
    const salts = ctx.random.fork(`pkcs12/${device.id}/${assignment.name}/${d.sends}`);
    return (n) => Buffer.from(salts.bytes(n));
  };
  // The identifiers a device matches on stay the same for one device × profile across re-sends and
  // renewals (Apple PayloadIdentifier, Windows PFXCertInstall {UniqueID}), so a renewed certificate
  // replaces the old one on the device; every other id is fresh per send.
  const stable = seededIds(`${ctx.random.key}/${device.id}/${assignment.name}`);
  const fresh = seededIds(seed);
  const options: CompileOptions = {
    ids: (purpose) =>
      purpose === 'apple-profile-uuid' || purpose === 'windows-unique-id' ? stable(purpose) : fresh(purpose),
    ...(issued !== undefined && (d.current !== undefined || replaces) && { replacesInstalled: true }),
    random: saltsOf(),
    ...(issued !== undefined && { issued }),
    ...(scep !== undefined && { scep: scep.scep }),
  };
  const encrypt = ctx.encryptPassword;
  const mgmt = ctx.enrollments.managementCertificate(device.id);
  if (device.platform === 'windows' && encryptedPassword !== undefined) {
    options.encryptPassword = () => encryptedPassword;
  } else if (device.platform === 'windows' && encrypt !== false && mgmt !== undefined) {
    options.encryptPassword = (pw) =>
      encrypt === undefined ? encryptPfxPasswordForDevice(pw, mgmt) : encrypt(pw, mgmt);
  }
  if (assignment.profile.kind === 'pkcs-certificate') {
    const resolved = requestOf(d);
    if (!resolved.ok) {
      fail(ctx, d, resolved.outcome.code, resolved.outcome.message);
      return;
    }
    options.request = resolved.request;
  }
  if (issued !== undefined && ctx.pkcs12 !== undefined && rewrapsOnPool(assignment.profile)) {
    // the Android re-wrap (open the connector's PFX, build it again with the empty passphrase) on the
    // issuance pool, off this thread; its salts are drawn here, in the build's order, so the bytes are the
    // compile's own. Should it fail, the compile below re-wraps in this thread and fails as it always did.
    const sendNo = d.sends;
    const rewrapped = await rewrapForAndroid(issued, options, ctx.pkcs12).catch((e: unknown) => {
      if (!isCertfleetError(e)) throw e;
      return undefined;
    });
    // a newer send of this delivery began, or it was removed, while the pool worked: that one counts
    if (d.sends !== sendNo || d.removed || ctx.stopped()) return;
    if (rewrapped !== undefined) options.rewrappedPkcs12 = rewrapped;
    else options.random = saltsOf(); // from the start again: the failed re-wrap may have drawn some
  }
  let result;
  try {
    result = compileProfile(assignment.profile, device.facts!, options);
  } catch (e) {
    if (!isCertfleetError(e)) throw e;
    fail(ctx, d, e.code, e.message);
    return;
  }
  if (!result.ok) {
    fail(ctx, d, result.outcome.code, result.outcome.message);
    return;
  }
  const profile = assignment.profile;
  const threshold =
    profile.kind === 'pkcs-certificate' || profile.kind === 'scep-certificate'
      ? profile.renewalThresholdPercentage
      : 0;
  d.sent = {
    format: result.payload.format,
    // a flat copy: the identifier is cut from the payload's text, which it would otherwise keep alive
    id: ownString(payloadIdOf(result.payload)),
    topic: payloadTopic({
      tenant: ctx.tenant,
      deviceId: device.id,
      format: result.payload.format,
      profileId: assignment.name,
      threshold,
    }),
    // kept for re-sends: in its own buffer, not a slice pinning an 8 KiB pool slab (own-bytes.ts)
    payload: ownBytes(result.payload.bytes),
  };
  d.attempt = 0;
  d.timer?.cancel();
  await send(ctx, d);
}

/** Compiles again with the identity last issued (a re-enrolled device: new management certificate). */
export async function recompileAndSend(ctx: DeliveryContext, d: Delivery): Promise<void> {
  // a SCEP payload carries a one-time challenge: a new one for the re-enrolled device
  if (d.assignment.profile.kind === 'scep-certificate') return startScepDelivery(ctx, d);
  // an imported PFX's password is re-encrypted by the PFX connector: to the new management certificate
  if (d.assignment.profile.kind === 'pkcs-imported-certificate') return enqueueImported(ctx, d, 'initial');
  await compileAndSend(ctx, d, d.issued);
}

/** Publishes the compiled payload (attempt n) and arms the no-answer timer. */
export async function send(ctx: DeliveryContext, d: Delivery): Promise<void> {
  if (d.sent?.payload === undefined || ctx.stopped()) return;
  const payload = d.sent.payload;
  d.attempt += 1;
  d.awaiting = true;
  const attempt = d.attempt;
  const wait = answerTimeout(ctx.retry, attempt);
  armNoAnswer(ctx, d, attempt, wait);
  if (d.reason !== 'renewal' || d.outcome.status !== 'installed') {
    ctx.setOutcome(
      d,
      'pending',
      'DELIVERY_NO_ANSWER',
      `Sent (attempt ${attempt} of ${ctx.retry.maxAttempts}); waiting for the device's answer.`,
    );
  }
  ctx.event(
    attempt === 1 ? 'delivered' : 'retry',
    `attempt ${attempt}: ${d.sent.topic}`,
    d.device.id,
    d.assignment.name,
  );
  ctx.hooks.onDelivery?.({
    device: d.device.id,
    profile: d.assignment.name,
    payload: d.sent.id,
    format: d.sent.format,
    topic: d.sent.topic,
    bytes: payload.length,
    attempt,
    at: ctx.now(),
    contentHash: createHash('sha256').update(payload).digest('hex'),
  });
  await ctx.publish(d.sent.topic, payload);
}

/** Arms the no-answer timer of send number `attempt`, `wait` ms from now (also a resumed service: resume.ts). */
export function armNoAnswer(ctx: DeliveryContext, d: Delivery, attempt: number, wait: number): void {
  d.timerAt = ctx.clock.now().getTime() + wait;
  d.timer = ctx.clock.after(wait, () => ctx.track(noAnswer(ctx, d, attempt)));
}

/** The no-answer timer of send number `attempt`: re-send, or after the last one leave the delivery pending. */
async function noAnswer(ctx: DeliveryContext, d: Delivery, attempt: number): Promise<void> {
  if (d.attempt !== attempt || !d.awaiting || d.removed) return;
  d.timer = undefined;
  if (attempt < ctx.retry.maxAttempts) {
    await send(ctx, d);
    return;
  }
  const message = `The device did not answer after ${attempt} sends (backoff up to ${Math.round(answerTimeout(ctx.retry, attempt) / 60_000)} min); it stays pending until it checks in.`;
  if (d.reason !== 'renewal' || d.outcome.status !== 'installed') {
    ctx.setOutcome(d, 'pending', 'DELIVERY_NO_ANSWER', message);
  }
  ctx.event('no-answer', message, d.device.id, d.assignment.name);
}

/**
 * The device answered: no more re-sends, so the payload's bytes go (issue 11 point 3: 4–6 KiB per
 * delivery, kept for the life of the run before). Only `send` reads them, and only while the delivery
 * awaits an answer; whatever is sent later is compiled afresh (a re-enrolment: `recompileAndSend`; a
 * renewal: a new certificate). What the payload was — topic, format, identifier — stays.
 */
export function answered(d: Delivery): void {
  if (d.sent?.payload !== undefined) {
    const { payload: _sent, ...kept } = d.sent;
    d.sent = kept;
  }
  // The timer of a delivery that awaits an answer is its no-answer timer; any other is the re-check of a
  // request the CA holds (result.ts armPendingRecheck), which an answer about the installed certificate
  // (its expiry reported while the renewal waits) must not cancel: the renewal would never be fetched.
  if (d.awaiting) {
    d.timer?.cancel();
    d.timer = undefined;
  }
  d.awaiting = false;
}

/**
 * The CA holds a renewal's request (result.ts). The device keeps the certificate it has, so the row keeps
 * the outcome it has — installed while that certificate is valid, as a tenant goes on showing the profile
 * installed while a renewal is in flight; `RENEWAL_EXPIRED` once the device reports the certificate expired
 * meanwhile (agent/renewal/expired-outcome.ts) — and the hold is an event, naming the certificate in use.
 */
export function renewalHeld(ctx: DeliveryContext, d: Delivery, code: OutcomeCode, message: string): void {
  // the connector's message ends with what it means for a first issue (the profile stays pending): not so here
  const held = message.replace(/;\s*the profile stays pending until [^;]*$/, '.');
  ctx.event(
    'certificate-pending',
    `${code}: ${held} Renewal pending: ${installedCertificateNote(ctx, d)}`,
    d.device.id,
    d.assignment.name,
  );
}

/** True when the certificate a renewal replaces has expired by now (the renewal comes late). */
export function replacesExpired(ctx: DeliveryContext, d: Delivery): boolean {
  const end = d.current === undefined ? NaN : Date.parse(d.current.notAfter);
  return Number.isFinite(end) && end <= ctx.clock.now().getTime();
}

/** The certificate a renewal replaces, for the renewal's events: its serial, and until when it is (was) valid. */
function installedCertificateNote(ctx: DeliveryContext, d: Delivery): string {
  const current = d.current;
  if (current === undefined) return 'the device keeps the certificate it has.';
  return replacesExpired(ctx, d)
    ? `the installed certificate ${current.serial} expired at ${current.notAfter} (RENEWAL_EXPIRED once the device reports it).`
    : `the installed certificate ${current.serial} stays in use (valid until ${current.notAfter}); the profile stays installed.`;
}

/**
 * Stops a delivery: cancels its timer and its certificate request, revokes its certificates (PKCS: the
 * ones the service issued; SCEP: the ones the SCEP connector reported for the device × profile), tells the
 * device to remove the profile; returns how many certificates were revoked.
 */
export async function withdraw(
  ctx: DeliveryContext,
  d: Delivery,
  why: 'retired' | 'assignment-removed',
): Promise<number> {
  d.timer?.cancel();
  d.timer = undefined;
  d.awaiting = false;
  if (d.requestId !== undefined) {
    ctx.requests.cancel(d.requestId);
    d.requestId = undefined;
  }
  let revoked = 0;
  // PKCS: the certificate installed and the one sent to replace it; SCEP: every certificate the SCEP
  // connector reported for this device × profile (ctx.revoke skips one already revoked)
  const serials = [d.current?.serial, d.sentCert?.serial, ...scepSerialsOf(ctx, d)];
  for (const serial of new Set(serials)) {
    if (serial !== undefined && ctx.revoke(serial, 'cessationOfOperation')) revoked += 1;
  }
  if (d.sent !== undefined) {
    await ctx.publish(ctx.deviceTopic(d.device.id, `remove/${d.assignment.name}`), Buffer.alloc(0));
  }
  ctx.event(
    'removed',
    `${why}: profile removed, ${revoked} certificate(s) revoked`,
    d.device.id,
    d.assignment.name,
  );
  return revoked;
}
