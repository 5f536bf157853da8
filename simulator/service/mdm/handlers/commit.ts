/**
 * Connector `commit` (../../connector/protocol.ts `CommitMessage`): the connector is about to ask the CA.
 * The commit is granted only to the request's current, unexpired lease; from then on the request is the
 * connector's until the commit deadline. Answered with `commit-answer` (ok, or why not).
 */
import { connectorTopics, type CommitAnswerMessage, type CommitMessage } from '../../connector/protocol.ts';
import type { ServiceContext } from './context.ts';

/** What the commit handler uses. */
export type CommitContext = Pick<ServiceContext, 'tenant' | 'clock' | 'commitMs' | 'requests' | 'publish'>;

/** Handles one commit. */
export async function handleCommit(ctx: CommitContext, msg: CommitMessage): Promise<void> {
  const refusal = ctx.requests.commit(msg.requestId, msg.leaseId, ctx.clock.now(), ctx.commitMs);
  const answer: CommitAnswerMessage = {
    type: 'commit-answer',
    requestId: msg.requestId,
    leaseId: msg.leaseId,
    ok: refusal === undefined,
    ...(refusal !== undefined && { reason: refusal }),
  };
  await ctx.publish(
    connectorTopics(ctx.tenant).commitAnswer(msg.connectorId),
    Buffer.from(JSON.stringify(answer)),
  );
}
