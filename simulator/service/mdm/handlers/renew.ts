/**
 * `out/renew/{profile}` (protocol/wire/messages.ts `RenewRequest`; docs/architecture.md flow step 7): the
 * device asks for a new certificate before its current one runs out. The service queues a renewal request
 * (with the delivery's resolved request) unless one is already on its way, the profile is not a PKCS
 * profile, or the request names a certificate that was already replaced. An imported-PKCS profile is not
 * renewed: the user's newer import, if the tenant made one, is delivered instead (imported-delivery.ts). A
 * SCEP profile is sent again with a new challenge, and the device re-enrols (scep-delivery.ts).
 */
import type { RenewRequest } from '../../../../protocol/wire/messages.ts';
import { enqueue, type DeliveryContext } from './delivery.ts';
import { renewImported } from './imported-delivery.ts';
import { renewScep } from './scep-delivery.ts';

/** What the renew handler uses. */
export type RenewContext = DeliveryContext;

/** Handles a renewal request of one device for `profile` (device id already checked against the topic). */
export async function handleRenew(ctx: RenewContext, req: RenewRequest, profile: string): Promise<void> {
  const d = ctx.deliveries.get(req.deviceId, profile);
  if (d?.assignment.profile.kind === 'pkcs-imported-certificate') return renewImported(ctx, d, req);
  if (d?.assignment.profile.kind === 'scep-certificate') return renewScep(ctx, d, req);
  if (!d || d.removed || d.device.state !== 'enrolled' || d.assignment.profile.kind !== 'pkcs-certificate')
    return;
  if (d.requestId !== undefined || d.sentCert !== undefined) return; // already renewing
  if (d.current !== undefined && typeof req.thumbprint === 'string' && req.thumbprint !== '') {
    if (req.thumbprint.toUpperCase() !== d.current.thumbprint.toUpperCase()) return; // about a replaced certificate
  }
  ctx.event('renewal-requested', `certificate ${req.thumbprint} ends ${req.notAfter}`, d.device.id, profile);
  enqueue(ctx, d, 'renewal');
}
