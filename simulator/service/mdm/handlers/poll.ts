/**
 * Connector `poll` (../../connector/protocol.ts `PollMessage`): hands the connector up to `max` (at most
 * 100) claimable requests of its role (`pkcs` by default; the PFX connector's `pfx-import`) under a lease,
 * each carrying its work, and answers with the batch — possibly empty. A request leased before (its lease ran
 * out) is logged `lease-expired`.
 */
import {
  connectorTopics,
  type BatchMessage,
  type ConnectorRole,
  type ConnectorWork,
  type PollMessage,
} from '../../connector/protocol.ts';
import type { ServiceContext } from './context.ts';

/** What the poll handler uses. */
export type PollContext = Pick<
  ServiceContext,
  'tenant' | 'clock' | 'leaseMs' | 'requests' | 'event' | 'publish'
>;

/** Handles one poll. */
export async function handlePoll(ctx: PollContext, msg: PollMessage): Promise<void> {
  const max = Math.max(0, Math.min(100, Math.floor(Number(msg.max) || 0)));
  const role: ConnectorRole | undefined =
    msg.role === undefined ? 'pkcs' : msg.role === 'pkcs' || msg.role === 'pfx-import' ? msg.role : undefined;
  // a role the service does not know takes nothing (an empty batch)
  const leases =
    role === undefined ? [] : ctx.requests.claim(msg.connectorId, max, ctx.clock.now(), ctx.leaseMs, role);
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
  const batch: BatchMessage<ConnectorWork> = { type: 'batch', pollId: String(msg.pollId), leases };
  await ctx.publish(connectorTopics(ctx.tenant).batch(msg.connectorId), Buffer.from(JSON.stringify(batch)));
}
