/**
 * A resumed service arms again the timers its deliveries had when it was saved (issue 10 point 3;
 * stores/deliveries.ts keeps the instant each fires, `timerAt`): the no-answer timer of a payload sent and
 * not answered, the re-check of a request the CA holds. Each fires at the instant it would have fired in
 * the uninterrupted run; one whose instant is already past (it fired before the save) is not armed.
 */
import type { Delivery } from '../stores/deliveries.ts';
import { armNoAnswer, type DeliveryContext } from './delivery.ts';
import { armPendingRecheck } from './result.ts';

/** Arms `d`'s saved timer again on the service's clock; false when it had none still ahead. */
export function rearmTimer(ctx: DeliveryContext, d: Delivery): boolean {
  if (d.timerAt === undefined || d.removed) return false;
  const wait = d.timerAt - ctx.clock.now().getTime();
  if (wait <= 0) return false;
  if (d.awaiting && d.sent !== undefined) armNoAnswer(ctx, d, d.attempt, wait);
  // a held request's re-check: a first issuance's row is pending; a renewal's keeps its installed row
  // while the CA holds it (result.ts), so its reason says it
  else if ((d.outcome.status === 'pending' || d.reason === 'renewal') && d.requestId === undefined)
    armPendingRecheck(ctx, d, wait);
  else return false;
  return true;
}
