/**
 * Connector `poll` (../../connector/protocol.ts `PollMessage`): hands the connector up to `max` (at most
 * 100) claimable requests under a lease, each carrying its resolved request, and answers with the batch —
 * possibly empty. A request leased before (its lease ran out) is logged `lease-expired`.
 */
import { connectorTopics, type BatchMessage, type PollMessage } from '../../connector/protocol.ts';
import type { ServiceContext } from './context.ts';

/** What the poll handler uses. */
export type PollContext = Pick<
  ServiceContext,
  'tenant' | 'clock' | 'leaseMs' | 'requests' | 'event' | 'publish'
>;

/** Handles one poll. */
export async function handlePoll(ctx: PollContext, msg: PollMessage): Promise<void> {
  const max = Math.max(0, Math.min(100, Math.floor(Number(msg.max) || 0)));
  const leases = ctx.requests.claim(msg.connectorId, max, ctx.clock.now(), ctx.leaseMs);
  for (const l of leases) {
    const owner = ctx.requests.owner(l.requestId);
    if (ctx.requests.leaseCount(l.requestId) > 1) {
      ctx.event(
        'lease-expired',
        `${l.requestId} re-leased to ${msg.connectorId} as ${l.leaseId}`,
        owner?.deviceId,
        owner?.profile,
      );
    }
  }
  const batch: BatchMessage = { type: 'batch', pollId: String(msg.pollId), leases };
  await ctx.publish(connectorTopics(ctx.tenant).batch(msg.connectorId), Buffer.from(JSON.stringify(batch)));
}
