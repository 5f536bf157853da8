/**
 * Delivery of an imported-PKCS profile (profiles/model/imported-pkcs.ts; issue 14 point 3): the service queues
 * one imported-PFX request per device × profile (the connector queue, ../certificate-queue.ts, role
 * `pfx-import`); the tenant's PFX connector (simulator/service/connector/pfx-connector.ts `PfxConnector`, a
 * client of its own, the holder of the tenant key) leases it, opens the user's newest import for the
 * profile's intended purpose from the tenant's store (the CA folder: `pfx-import/`, written by
 * `certfleet pfx import` and by a scenario's `importedPfx:`), re-encrypts the password to the device's
 * management certificate (Windows, PFXCertPasswordEncryptionType 1; the work carries the certificate) and
 * answers; the service compiles the PFX into the device's PKCS wrapping and sends it (delivery.ts
 * compileAndSend). Every device of the user therefore gets the same certificate and key — nothing is issued,
 * so nothing is renewed at the CA or revoked (an imported certificate is the tenant's, not the CA's to
 * withdraw).
 *
 * A user without an imported PFX for the purpose fails with the connector's PFX_NOT_IMPORTED (docs/errors.md),
 * naming the user and purpose; a tenant key the connector cannot use, with PFX_TENANT_KEY; a user without a
 * UPN fails here, before anything is queued (imports are kept by UPN); a device without a user never gets
 * here (applicability.ts: not applicable, as user PKCS).
 */
import { ownBytes } from '../../../../pki/own-bytes.ts';
import type { RenewRequest } from '../../../../protocol/wire/messages.ts';
import type { ImportedPkcsProfile } from '../../../../profiles/model/imported-pkcs.ts';
import { isImportedPfxResult, type ImportedPfxWork, type ResultMessage } from '../../connector/protocol.ts';
import { importsOf } from '../../pfx-import/pfx-store.ts';
import type { Delivery } from '../stores/deliveries.ts';
import { compileAndSend, type DeliveryContext } from './delivery.ts';

/** Starts the delivery: queues the request for the PFX connector (a user without a UPN fails here). */
export async function startImportedDelivery(ctx: DeliveryContext, d: Delivery): Promise<void> {
  const profile = d.assignment.profile as ImportedPkcsProfile;
  const upn = d.device.facts?.attributes.userPrincipalName ?? '';
  if (upn === '') {
    // imports are kept by user principal name: a user without one matches none
    const message = `The device's user has no user principal name in the directory, and imported PFXs are kept by UPN, so the PFX connector finds none for the purpose ${profile.intendedPurpose}; give the user a UPN and import the PFX for it.`;
    ctx.setOutcome(d, 'failed', 'PFX_NOT_IMPORTED', message);
    ctx.event('failed', `PFX_NOT_IMPORTED: ${message}`, d.device.id, d.assignment.name);
    return;
  }
  enqueueImported(ctx, d, 'initial');
}

/**
 * Queues the imported-PFX request of `d` for the PFX connector (a request still queued for it is cancelled
 * first: a re-enrolled device needs the password encrypted to its new management certificate).
 */
export function enqueueImported(
  ctx: DeliveryContext,
  d: Delivery,
  reason: 'initial' | 'renewal',
  replaces?: string,
): void {
  const profile = d.assignment.profile as ImportedPkcsProfile;
  if (d.requestId !== undefined) ctx.requests.cancel(d.requestId);
  // the password goes encrypted to the device's management certificate where the service would encrypt it
  // itself (Windows, the default encryption); otherwise it travels as the service's own setting says
  const mgmt = ctx.enrollments.managementCertificate(d.device.id);
  const encryptedByConnector =
    d.device.platform === 'windows' && ctx.encryptPassword === undefined && mgmt !== undefined;
  const work: ImportedPfxWork = {
    kind: 'imported-pfx',
    deviceId: d.device.id,
    profile: d.assignment.name,
    userPrincipalName: d.device.facts?.attributes.userPrincipalName ?? '',
    purpose: profile.intendedPurpose,
    ...(encryptedByConnector && { deviceCertificate: mgmt.der.toString('base64') }),
    reason,
    ...(replaces !== undefined && { replaces }),
  };
  const requestId = ctx.requests.enqueue(work);
  d.requestId = requestId;
  d.reason = reason;
  if (reason === 'initial')
    ctx.setOutcome(
      d,
      'pending',
      'CERTIFICATE_NOT_ISSUED',
      "Waiting for the PFX connector to open the user's imported PFX; nothing was sent to the device yet.",
    );
  ctx.event('imported-pfx-requested', `${requestId} (${reason})`, d.device.id, d.assignment.name);
}

/**
 * The PFX connector's answer to the request of `d` (handlers/result.ts, after the lease checks; a failure —
 * PFX_NOT_IMPORTED, PFX_TENANT_KEY — fails the delivery there with the connector's code, as a certificate
 * connector's does): the opened PFX is compiled and sent — in place of the installed one for a renewal. A
 * password encrypted to a management certificate the device no longer holds (it re-enrolled meanwhile) is
 * not sent: the request is queued again for the new one.
 */
export async function handleImportedResult(
  ctx: DeliveryContext,
  d: Delivery,
  work: ImportedPfxWork,
  msg: ResultMessage,
): Promise<void> {
  const { result, connectorId } = msg;
  if (!isImportedPfxResult(result)) {
    const message = `${connectorId} answered the imported-PFX request ${msg.requestId} with an issued certificate; only the PFX connector serves imported PFXs.`;
    ctx.setOutcome(d, 'failed', 'INTERNAL', message);
    ctx.event('failed', `INTERNAL: ${message}`, d.device.id, d.assignment.name);
    return;
  }
  const mgmt = ctx.enrollments.managementCertificate(d.device.id);
  if (
    work.deviceCertificate !== undefined &&
    mgmt !== undefined &&
    mgmt.der.toString('base64') !== work.deviceCertificate
  ) {
    // the device re-enrolled while the connector had the request: ask again for its new certificate
    enqueueImported(ctx, d, work.reason, work.replaces);
    return;
  }
  const issued = { pfx: ownBytes(Buffer.from(result.pfx, 'base64')), password: result.password ?? '' };
  d.issued = issued;
  ctx.event(
    work.reason === 'renewal' ? 'imported-pfx-replaced' : 'imported-pfx-opened',
    work.reason === 'renewal'
      ? `${connectorId}: the user's newer ${result.intendedPurpose} PFX (SHA-1 ${result.thumbprint}) replaces ${work.replaces ?? 'the installed one'}`
      : `${connectorId} opened ${work.userPrincipalName}'s ${result.intendedPurpose} PFX (SHA-1 ${result.thumbprint})`,
    d.device.id,
    d.assignment.name,
  );
  await compileAndSend(ctx, d, issued, work.reason === 'renewal', undefined, result.encryptedPassword);
}

/**
 * A device asks to renew the imported certificate it holds (its renewal threshold reached). Intune does not
 * renew an imported certificate; the tenant imports the user's new PFX. So: when the user's newest import for
 * the purpose is another certificate than the one the device holds, the PFX connector is asked for it and it
 * is delivered in place of the old one (Windows: Delete of the PFXCertInstall node, then the Atomic; Apple and
 * Android: the same profile id / key alias); otherwise the request is answered with an event only.
 */
export function renewImported(ctx: DeliveryContext, d: Delivery, req: RenewRequest): void {
  if (d.removed || d.device.state !== 'enrolled') return;
  const profile = d.assignment.profile as ImportedPkcsProfile;
  const upn = d.device.facts?.attributes.userPrincipalName ?? '';
  const newest = importsOf(ctx.ca.dir, upn).find((r) => r.intendedPurpose === profile.intendedPurpose);
  const held = typeof req.thumbprint === 'string' ? req.thumbprint.toUpperCase() : '';
  if (newest === undefined || newest.thumbprint.toUpperCase() === held) {
    ctx.event(
      'renewal-not-possible',
      `imported certificate ${req.thumbprint} ends ${req.notAfter}: an imported PFX is not renewed; import the user's new PFX (certfleet pfx import)`,
      d.device.id,
      d.assignment.name,
    );
    return;
  }
  if (d.requestId !== undefined) return; // the PFX connector has it already
  enqueueImported(ctx, d, 'renewal', req.thumbprint);
}
