/**
 * `out/checkin` (protocol/wire/messages.ts `CheckIn`): the device is online. Each payload it left
 * unanswered after the last re-send is sent again, starting a new cycle of re-sends; a Windows SCEP
 * enrolment the device accepted is queried for its result (scep-status-query.ts).
 */
import type { CheckIn } from '../../../../protocol/wire/messages.ts';
import { send, type DeliveryContext } from './delivery.ts';
import { awaitsScepResult, queryScepStatus } from './scep-status-query.ts';

/** What the check-in handler uses. */
export type CheckInContext = DeliveryContext;

/** Handles a check-in (device id already checked against the topic). */
export async function handleCheckIn(ctx: CheckInContext, msg: CheckIn): Promise<void> {
  for (const d of ctx.deliveries.ofDevice(msg.deviceId)) {
    if (d.removed || d.device.state !== 'enrolled') continue;
    if (d.sent !== undefined && d.awaiting && d.timer === undefined) {
      ctx.event(
        'resend',
        'device checked in: re-sending the unanswered payload',
        d.device.id,
        d.assignment.name,
      );
      d.attempt = 0;
      await send(ctx, d);
    } else if (awaitsScepResult(d)) {
      await queryScepStatus(ctx, d);
    }
  }
}
