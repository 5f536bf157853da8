/**
 * Administration: retire a device. Its PKCS and SCEP certificates (SCEP: those the SCEP connector reported
 * for it) and its management certificate are revoked (cessationOfOperation), a CRL is published, and the
 * device is told to remove each profile it was sent. Its deliveries are marked removed, as when an assignment
 * is removed (remove-assignment.ts): their rows leave the outcomes — the profiles are no longer on the device,
 * and no expectation can pass on rows that say they are installed — and no later message, timer or
 * administration touches them again. The run's device list says it is not enrolled; its timeline, retired.
 * A retired device cannot enrol again in the run (handlers/enroll.ts).
 */
import type { ServiceContext } from './context.ts';
import { withdraw, type DeliveryContext } from './delivery.ts';

/** What retiring uses. */
export type RetireContext = DeliveryContext & Pick<ServiceContext, 'publishCrl'>;

/** Retires `deviceId`; nothing when it is not enrolled. */
export async function retireDevice(ctx: RetireContext, deviceId: string): Promise<void> {
  const device = ctx.enrollments.device(deviceId);
  if (!device || !ctx.enrollments.retired(deviceId)) return;
  let revoked = 0;
  for (const d of ctx.deliveries.ofDevice(deviceId)) {
    if (d.removed) continue;
    revoked += await withdraw(ctx, d, 'retired');
    d.removed = true;
  }
  if (device.managementSerial !== undefined && ctx.revoke(device.managementSerial, 'cessationOfOperation')) {
    revoked += 1;
  }
  if (revoked > 0) ctx.publishCrl();
  ctx.event('retired', `device retired; ${revoked} certificate(s) revoked`, deviceId);
}
