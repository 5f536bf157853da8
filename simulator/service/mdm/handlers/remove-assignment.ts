/**
 * Administration: remove a profile assignment. It no longer applies to devices that enrol; on every device
 * that has it, its PKCS and SCEP certificates are revoked (cessationOfOperation) and the device is told to remove
 * the profile; a CRL is published when something was revoked. Removed deliveries leave the outcomes.
 */
import type { ServiceContext } from './context.ts';
import { withdraw, type DeliveryContext } from './delivery.ts';

/** What removing an assignment uses. */
export type RemoveAssignmentContext = DeliveryContext & Pick<ServiceContext, 'assignments' | 'publishCrl'>;

/** Removes the assignment `name`; nothing when there is none. */
export async function removeAssignment(ctx: RemoveAssignmentContext, name: string): Promise<void> {
  if (!ctx.assignments.remove(name)) return;
  let revoked = 0;
  for (const d of ctx.deliveries.ofAssignment(name)) {
    if (d.removed) continue;
    revoked += await withdraw(ctx, d, 'assignment-removed');
    d.removed = true;
  }
  if (revoked > 0) ctx.publishCrl();
}
