/**
 * `out/renew/{profile}` (protocol/wire/messages.ts `RenewRequest`; docs/architecture.md flow step 7): the
 * device asks for a new certificate before its current one runs out. The service queues a renewal request
 * (with the delivery's resolved request) unless one is already on its way, the profile is not a PKCS
 * profile, or the request names a certificate that was already replaced. For an imported-PKCS profile it
 * records that the certificate cannot be renewed (the tenant imports a new PFX).
 */
import type { RenewRequest } from '../../../../protocol/wire/messages.ts';
import { enqueue, type DeliveryContext } from './delivery.ts';

/** What the renew handler uses. */
export type RenewContext = DeliveryContext;

/** Handles a renewal request of one device for `profile` (device id already checked against the topic). */
export async function handleRenew(ctx: RenewContext, req: RenewRequest, profile: string): Promise<void> {
  const d = ctx.deliveries.get(req.deviceId, profile);
  if (d?.assignment.profile.kind === 'pkcs-imported-certificate') {
    // an imported certificate is not renewed: it was made outside Intune (imported-delivery.ts)
    ctx.event(
      'renewal-not-possible',
      `imported certificate ${req.thumbprint} ends ${req.notAfter}: an imported PFX is not renewed; import the user's new PFX (certfleet pfx import)`,
      d.device.id,
      profile,
    );
    return;
  }
  if (!d || d.removed || d.device.state !== 'enrolled' || d.assignment.profile.kind !== 'pkcs-certificate')
    return;
  if (d.requestId !== undefined || d.sentCert !== undefined) return; // already renewing
  if (d.current !== undefined && typeof req.thumbprint === 'string' && req.thumbprint !== '') {
    if (req.thumbprint.toUpperCase() !== d.current.thumbprint.toUpperCase()) return; // about a replaced certificate
  }
  ctx.event('renewal-requested', `certificate ${req.thumbprint} ends ${req.notAfter}`, d.device.id, profile);
  enqueue(ctx, d, 'renewal');
}
