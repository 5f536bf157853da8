/**
 * `out/enroll` (protocol/wire/messages.ts `EnrollRequest`; docs/architecture.md flow step 2): reads the
 * device's facts from its inventory and the directory, checks the enrolment restrictions (the per-user
 * device limit counted by the enrollments store), issues the device-management certificate from the
 * CertfleetMdmDevice template, answers on `in/enrolled`, and starts a delivery per applicable assignment. A
 * device that enrols again (an agent that lost its state) gets a new management certificate, the old one is
 * revoked (superseded), and every delivery it was sent is compiled again for the new identity. Refusals
 * answer `enroll-refused` and fail each profile the device would have received with the refusal's code.
 *
 * Enrolment is idempotent (issue 10 point 3): a request from an enrolled device whose CSR carries the key of
 * the management certificate it already holds is the same enrolment asked again — its answer was lost, the
 * agent retried, or a resumed `serve` replays its journal — and is answered with that same certificate:
 * nothing is issued, recorded or sent again. Only a new key (an agent that lost its state) re-enrols.
 */
import type { EnrollRequest, EnrollResponse } from '../../../../protocol/wire/messages.ts';
import { isCertfleetError, type ErrorCode } from '../../../../pki/errors.ts';
import { parseCsr, type Certificate } from '../../../../pki/index.ts';
import type { DeviceFacts } from '../../../../profiles/variables/facts.ts';
import type { DeviceProfileOutcome } from '../../../run-model.ts';
import { applicableAssignments, notApplicableAssignments } from '../assignment.ts';
import type { DirectoryEntry } from '../directory.ts';
import { checkEnrollment } from '../enrollment-restrictions.ts';
import { factsFromInventory } from '../facts-from-inventory.ts';
import { MDM_DEVICE_TEMPLATE, MDM_SERVICE_REQUESTER } from '../mdm-device-template.ts';
import type { ServiceDevice } from '../service-types.ts';
import type { ServiceContext } from './context.ts';
import { recompileAndSend, startDelivery, type DeliveryContext } from './delivery.ts';

/** What the enroll handler uses. */
export type EnrollContext = DeliveryContext &
  Pick<ServiceContext, 'ca' | 'directory' | 'restrictions' | 'assignments' | 'reports' | 'publishCrl'>;

/** The user a device counts against for the device limit: the directory's limit key, else the user's UPN. */
function limitKeyOf(entry: DirectoryEntry | undefined): string | undefined {
  return entry?.limitKey ?? entry?.user?.userPrincipalName;
}

/** Handles one enrolment request (its device id already checked against the topic). */
export async function handleEnroll(ctx: EnrollContext, req: EnrollRequest): Promise<void> {
  const { ca, clock } = ctx;
  const id = req.deviceId;
  const previous = ctx.enrollments.device(id);
  if (previous?.state === 'retired') {
    await answerRefusal(
      ctx,
      id,
      'ENROLL_PLATFORM_BLOCKED',
      'This device was retired; it cannot enrol again in this run.',
    );
    return;
  }
  if (previous?.state === 'enrolled' && (await answerDuplicate(ctx, id, req.csr))) return;
  const entry = ctx.directory?.get(id);
  const device: ServiceDevice = {
    id,
    platform: req.platform,
    kind: req.kind,
    osVersion: req.osVersion,
    ownership: req.ownership,
    state: 'refused',
    // no inventory here: once facts are read from it the service never reads it again, and run.db keeps
    // an enrolled device's (onInventory below) — kept, it held about 3 KB per device for the whole run
    // (issue 11 point 3); a refused device's record keeps it (refuseDevice)
    tags: [...(entry?.tags ?? [])],
  };
  let facts: DeviceFacts;
  try {
    facts = factsFromInventory(req.platform, req.kind, req.inventory, entry, id);
  } catch (e) {
    if (!isCertfleetError(e)) throw e;
    return refuseDevice(ctx, device, e.code, e.message, req.inventory);
  }
  device.facts = facts;
  const limitKey = limitKeyOf(entry);
  const enrolledByUser = limitKey === undefined ? 0 : ctx.enrollments.enrolledUnder(limitKey, id);
  const refusal = checkEnrollment(ctx.restrictions, {
    platform: req.platform,
    kind: req.kind,
    osVersion: req.osVersion,
    ownership: req.ownership,
    enrolledByUser,
    hasUser: facts.hasUser,
  });
  if (refusal) return refuseDevice(ctx, device, refusal.code, refusal.message, req.inventory);
  let certificate: Certificate;
  try {
    const csr = parseCsr(req.csr);
    certificate = ca.issue({
      template: MDM_DEVICE_TEMPLATE,
      requester: MDM_SERVICE_REQUESTER,
      subject: `CN=${id}`,
      publicKey: csr.publicKey,
      now: clock.now(),
    }).certificate;
  } catch (e) {
    if (!isCertfleetError(e)) throw e;
    return refuseDevice(ctx, device, e.code, e.message, req.inventory);
  }
  ctx.reports.counters.managementCertificates += 1;
  device.state = 'enrolled';
  device.managementSerial = certificate.serialNumber;
  device.enrolledAt = clock.now().toISOString();
  ctx.enrollments.enrolled(device, certificate, limitKey);
  ctx.hooks.onInventory?.({ device: id, at: device.enrolledAt, inventory: req.inventory });
  const response: EnrollResponse = {
    type: 'enrolled',
    deviceId: id,
    certificate: certificate.pem,
    chain: [ca.issuing.pem, ca.root.pem],
  };
  await ctx.publish(ctx.deviceTopic(id, 'enrolled'), Buffer.from(JSON.stringify(response)));
  if (previous?.state === 'enrolled') {
    // Re-enrollment (an agent that lost its state): the old management certificate is superseded, and
    // every delivery is sent again (the new identity decrypts Windows passwords). The new facts are the
    // deliveries' from now on: their requests resolve again on next use.
    if (previous.managementSerial !== undefined && ctx.revoke(previous.managementSerial, 'superseded')) {
      ctx.publishCrl();
    }
    ctx.event('re-enrolled', `management certificate ${certificate.serialNumber}`, id);
    for (const d of ctx.deliveries.ofDevice(id)) {
      if (d.removed) continue;
      d.device = device;
      d.request = undefined;
      if (d.sent !== undefined && d.outcome.status !== 'failed') await recompileAndSend(ctx, d);
    }
    return;
  }
  ctx.event(
    'enrolled',
    `management certificate ${certificate.serialNumber} (${req.platform} ${req.kind})`,
    id,
  );
  const target = {
    platform: device.platform,
    kind: device.kind,
    ownership: device.ownership,
    tags: device.tags,
  };
  for (const a of applicableAssignments(ctx.assignments.list(), target)) await startDelivery(ctx, device, a);
  // Profiles of another family that the groups bring to the device: a not-applicable row each, nothing sent.
  for (const a of notApplicableAssignments(ctx.assignments.list(), target))
    await startDelivery(ctx, device, a);
}

/**
 * Answers a repeated enrolment of enrolled device `id` with the management certificate it holds when the
 * request's CSR is for that certificate's key; false when it is not (a new key, or a CSR that does not parse:
 * the request is then handled as a new enrolment, which refuses it with the parse error's code).
 */
async function answerDuplicate(ctx: EnrollContext, id: string, csrPem: string): Promise<boolean> {
  const held = ctx.enrollments.managementCertificate(id);
  if (held === undefined) return false;
  let same: boolean;
  try {
    same = parseCsr(csrPem).publicKey.equals(held.publicKey);
  } catch (e) {
    if (!isCertfleetError(e)) throw e;
    return false;
  }
  if (!same) return false;
  const response: EnrollResponse = {
    type: 'enrolled',
    deviceId: id,
    certificate: held.pem,
    chain: [ctx.ca.issuing.pem, ctx.ca.root.pem],
  };
  ctx.event('enroll-repeated', `management certificate ${held.serialNumber} sent again`, id);
  await ctx.publish(ctx.deviceTopic(id, 'enrolled'), Buffer.from(JSON.stringify(response)));
  return true;
}

/**
 * Refuses `device`: unless a device of that id is enrolled, records it refused with a failed row (the
 * refusal's code) for each profile it would have received; then answers `enroll-refused`.
 */
async function refuseDevice(
  ctx: EnrollContext,
  device: ServiceDevice,
  code: ErrorCode,
  message: string,
  /** The inventory the refused device reported: its record keeps it (run.db records only enrolled ones'). */
  inventory: unknown,
): Promise<void> {
  device.state = 'refused';
  device.refusal = { code, message };
  device.inventory = inventory;
  if (ctx.enrollments.device(device.id)?.state !== 'enrolled') {
    // Each profile the device would have received fails with the refusal's code, so that reports and
    // expectations see the refused device × profile rows (nothing is sent).
    const at = ctx.now();
    const rows = applicableAssignments(ctx.assignments.list(), device).map((a): DeviceProfileOutcome => ({
      device: device.id,
      platform: device.platform,
      kind: device.kind,
      profile: a.name,
      status: 'failed',
      code,
      message,
      renewals: 0,
      at,
    }));
    ctx.enrollments.refused(device, rows);
    for (const r of rows) ctx.hooks.onOutcome?.({ ...r });
  }
  await answerRefusal(ctx, device.id, code, message);
}

async function answerRefusal(
  ctx: EnrollContext,
  id: string,
  code: ErrorCode,
  message: string,
): Promise<void> {
  const response: EnrollResponse = { type: 'enroll-refused', deviceId: id, code, message };
  ctx.event('enroll-refused', `${code}: ${message}`, id);
  await ctx.publish(ctx.deviceTopic(id, 'enrolled'), Buffer.from(JSON.stringify(response)));
}
