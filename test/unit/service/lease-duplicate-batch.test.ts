/**
 * A connector's batch delivered twice (lease-client.ts): QoS 1 is at-least-once, and a copy sent again (by
 * the service when its PUBACK was lost, or routed again by a restarted broker) arrives as a new message
 * that the transport cannot tell from one sent twice on purpose. Seen in the split fleet with the broker
 * SIGKILLed mid-run
 * (test/e2e/issue10-faults.test.ts): the connector took the same lease twice, its second commit replaced
 * the first one's waiter, the first never ended, and `idle()` — which the coordinator's settle awaits —
 * never resolved, so the run's virtual clock stopped for good.
 *
 * The real LeaseClient on the virtual clock, behind a transport that records what it publishes and lets
 * the test deliver to its inbox.
 */
import { describe, expect, it } from 'vitest';
import type { MessageHandler, Transport } from '../../../protocol/transport/transport.ts';
import { VirtualClock } from '../../../simulator/clock/virtual-clock.ts';
import { LeaseClient } from '../../../simulator/service/connector/lease-client.ts';
import {
  connectorTopics,
  type CertificateWork,
  type CommitAnswerMessage,
  type WorkLease,
} from '../../../simulator/service/connector/protocol.ts';

const TENANT = 'contoso';
const ID = 'connector-1';

function lease(requestId: string, leaseId: string): WorkLease<CertificateWork> {
  // the client never reads the work: the connector's `process` does
  return {
    requestId,
    leaseId,
    leaseUntil: '2026-01-01T01:00:00.000Z',
    work: {} as CertificateWork,
  };
}

/** A LeaseClient whose `process` commits each lease and records it; `deliver` hands its inbox a message. */
async function connector() {
  let inbox: MessageHandler | undefined;
  const commits: string[] = [];
  /** Commit publishes still to fail (the broker refused or the transport closed). */
  const failing = { commits: 0 };
  const transport: Transport = {
    clientId: ID,
    publish: async (topic, payload) => {
      if (topic === connectorTopics(TENANT).commit && failing.commits > 0) {
        failing.commits--;
        throw new Error('the transport is closed');
      }
      if (topic === connectorTopics(TENANT).commit) {
        commits.push((JSON.parse(payload.toString('utf8')) as { leaseId: string }).leaseId);
      }
    },
    subscribe: async (_filter, handler) => {
      inbox = handler;
    },
    close: async () => undefined,
  };
  const processed: string[] = [];
  const answers: boolean[] = [];
  const client: LeaseClient<CertificateWork> = new LeaseClient<CertificateWork>(
    // no poll during the test: batches come only from `deliver`
    {
      id: ID,
      tenant: TENANT,
      transport,
      clock: new VirtualClock(Date.UTC(2026, 0, 1)),
      role: 'pkcs',
      firstPollDelayMs: 3_600_000,
    },
    async (l) => {
      processed.push(l.leaseId);
      answers.push((await client.commit(l)).ok);
    },
  );
  await client.start();
  const deliver = async (message: unknown): Promise<void> => {
    if (!inbox) throw new Error('the client did not subscribe');
    await inbox({
      topic: connectorTopics(TENANT).connectorInbox(ID),
      payload: Buffer.from(JSON.stringify(message)),
    });
  };
  const answer = (l: WorkLease<CertificateWork>): CommitAnswerMessage => ({
    type: 'commit-answer',
    requestId: l.requestId,
    leaseId: l.leaseId,
    ok: true,
  });
  return { client, deliver, answer, processed, commits, answers, failing };
}

describe('a connector batch delivered twice (a broker restarted from its persistence)', () => {
  it('takes the lease once, commits once, and goes idle once the answer comes', async () => {
    const c = await connector();
    const l = lease('req-1', 'req-1.1');
    const batch = { type: 'batch', pollId: `${ID}/1`, leases: [l] };
    await c.deliver(batch);
    await c.deliver(batch); // the same batch again, as a new message
    await new Promise((r) => setImmediate(r));
    expect(c.processed).toEqual(['req-1.1']);
    expect(c.commits).toEqual(['req-1.1']);
    await c.deliver(c.answer(l));
    // before the fix this never resolved (the first commit's waiter was replaced): the test timed out
    await c.client.idle();
    expect(c.answers).toEqual([true]);
  });

  it('a finished lease delivered again is not taken again; a new lease of the same request is', async () => {
    const c = await connector();
    const first = lease('req-1', 'req-1.1');
    await c.deliver({ type: 'batch', pollId: `${ID}/1`, leases: [first] });
    await new Promise((r) => setImmediate(r));
    await c.deliver(c.answer(first));
    await c.client.idle();
    // late duplicate of the finished lease, then the service leasing the request anew (new lease id)
    const again = lease('req-1', 'req-1.2');
    await c.deliver({ type: 'batch', pollId: `${ID}/1`, leases: [first] });
    await c.deliver({ type: 'batch', pollId: `${ID}/2`, leases: [again] });
    await new Promise((r) => setImmediate(r));
    expect(c.processed).toEqual(['req-1.1', 'req-1.2']);
    expect(c.commits).toEqual(['req-1.1', 'req-1.2']);
    await c.deliver(c.answer(again));
    await c.client.idle();
    expect(c.answers).toEqual([true, true]);
  });

  it('two waits for the same commit both get its one answer', async () => {
    const c = await connector();
    const l = lease('req-7', 'req-7.1');
    const both = Promise.all([c.client.commit(l), c.client.commit(l)]);
    await c.deliver(c.answer(l));
    const [a, b] = await both;
    expect([a.ok, b.ok]).toEqual([true, true]);
  });

  it('a wait whose commit could not be sent fails alone; the other still gets the answer', async () => {
    const c = await connector();
    const l = lease('req-8', 'req-8.1');
    const first = c.client.commit(l);
    c.failing.commits = 1;
    const second = await c.client.commit(l);
    expect(second).toMatchObject({ ok: false, reason: 'publish failed' });
    await c.deliver(c.answer(l));
    expect((await first).ok).toBe(true);
  });
});
