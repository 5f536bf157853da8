/**
 * The service's later query of a Windows SCEP enrolment (issue 14 point 2). A Windows device answers the SCEP
 * `Enroll` Exec at once (202) and enrols in the background; CCI: "The device will not notify MDM server after
 * cert enrollment is done. The MDM server could later query the device to find out whether new cert is
 * added." So at each check-in of the device, while a Windows SCEP delivery has been answered but its result
 * is not known (its outcome pending, or a renewal in progress), the service sends a SyncML `<Get>` of the
 * node's Status, ErrorCode and CertThumbprint (profiles/windows/scep-install.ts buildScepStatusGet) on the
 * profile's payload topic. The device answers with the Results and, once the enrolment has ended, with its
 * typed outcome (handlers/outcome.ts records it). Querying at every check-in is **[inferred]** (Intune
 * documents no schedule).
 */
import { buildScepStatusGet, scepNodeOf } from '../../../../profiles/windows/scep-install.ts';
import { encodeSyncml } from '../../../../profiles/windows/syncml-encode.ts';
import type { Delivery } from '../stores/deliveries.ts';
import type { DeliveryContext } from './delivery.ts';

/** Whether `d` is a Windows SCEP delivery whose device accepted the Enroll and whose result is not known yet. */
export function awaitsScepResult(d: Delivery): boolean {
  return (
    d.assignment.profile.kind === 'scep-certificate' &&
    d.sent?.format === 'syncml' &&
    !d.awaiting &&
    !d.removed &&
    (d.outcome.status === 'pending' || d.reason === 'renewal')
  );
}

/** Sends the Get of the SCEP node's Status to the device of `d` (see the file comment). */
export async function queryScepStatus(ctx: DeliveryContext, d: Delivery): Promise<void> {
  const sent = d.sent;
  const node = sent === undefined ? undefined : scepNodeOf(sent.id);
  if (sent === undefined || node === undefined) return;
  const bytes = encodeSyncml({
    header: {
      verDtd: '1.2',
      verProto: 'DM/1.2',
      sessionId: String(d.attempt + 1),
      msgId: 1,
      target: d.device.id,
      source: 'https://mdm.certfleet.test/omadm',
    },
    body: [buildScepStatusGet(node.scope, node.uniqueId, 1)],
    final: true,
  });
  ctx.event(
    'scep-status-query',
    `Get ${sent.id.replace(/\/Install\/.*$/, '')}/Status`,
    d.device.id,
    d.assignment.name,
  );
  await ctx.publish(sent.topic, bytes);
}
