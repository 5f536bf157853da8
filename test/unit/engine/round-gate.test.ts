/**
 * The round gate: what arrives in any order is handed to the handlers, on flush, in one canonical order —
 * device id, then the device's own publish order (or its sequence number), then topic, then bytes.
 */
import { describe, expect, it } from 'vitest';
import { RoundGate } from '../../../protocol/transport/round-gate.ts';
import type { MessageHandler, Transport, TransportMessage } from '../../../protocol/transport/transport.ts';
import { createRandom } from '../../../protocol/runtime/random.ts';

/** A transport whose deliveries the test makes by hand. */
class HandTransport implements Transport {
  readonly clientId = 'svc';
  readonly subs: Array<{ filter: string; handler: MessageHandler }> = [];
  readonly published: TransportMessage[] = [];
  async publish(topic: string, payload: Buffer): Promise<void> {
    this.published.push({ topic, payload });
  }
  async subscribe(filter: string, handler: MessageHandler): Promise<void> {
    this.subs.push({ filter, handler });
  }
  async close(): Promise<void> {}
  async deliver(m: TransportMessage, sub = 0): Promise<void> {
    await this.subs[sub]!.handler(m);
  }
}

const dev = (d: string, kind: string, text: string): TransportMessage => ({
  topic: `certfleet/acme/device/${d}/out/${kind}`,
  payload: Buffer.from(text),
});
const svc = (kind: string, text: string): TransportMessage => ({
  topic: `certfleet/acme/service/to-service/${kind}`,
  payload: Buffer.from(text),
});

/** Each device's own messages in its publish order, interleaved with others' at random. */
function interleave(streams: TransportMessage[][], seed: number): TransportMessage[] {
  const rng = createRandom(`gate/${seed}`);
  const queues = streams.map((s) => [...s]);
  const out: TransportMessage[] = [];
  while (queues.some((q) => q.length > 0)) {
    const live = queues.filter((q) => q.length > 0);
    out.push(rng.pick(live).shift()!);
  }
  return out;
}

describe('RoundGate', () => {
  const streams = [
    [dev('d2', 'enroll', 'e'), dev('d2', 'checkin', 'c1'), dev('d2', 'checkin', 'c0')],
    [dev('d1', 'status/p', 's'), dev('d1', 'outcome/p', 'o')],
    [dev('d10', 'checkin', 'x')],
    [svc('poll', 'conn-2'), svc('commit', 'conn-1')],
    [svc('poll', 'conn-1')],
  ];
  const canonical = [
    // no group first (not a device topic): by topic, then bytes
    'to-service/commit conn-1',
    'to-service/poll conn-1',
    'to-service/poll conn-2',
    // then by device id (as text), each device's messages in its own publish order, never by topic
    'd1/out/status/p s',
    'd1/out/outcome/p o',
    'd10/out/checkin x',
    'd2/out/enroll e',
    'd2/out/checkin c1',
    'd2/out/checkin c0',
  ];
  const short = (m: TransportMessage): string =>
    `${m.topic.replace(/^certfleet\/acme\/(device\/|service\/)/, '')} ${m.payload.toString()}`;

  it.each([1, 2, 3, 4, 5])('releases the same order whatever the arrival order (seed %i)', async (seed) => {
    const inner = new HandTransport();
    const gate = new RoundGate(inner, { tenant: 'acme' });
    const handled: string[] = [];
    await gate.subscribe('certfleet/acme/#', (m) => void handled.push(short(m)));
    for (const m of interleave(streams, seed)) await inner.deliver(m);
    expect(handled).toEqual([]);
    expect(gate.held).toBe(9);
    expect(await gate.flush()).toBe(9);
    expect(handled).toEqual(canonical);
    expect(gate.held).toBe(0);
  });

  it('orders a group by the sender’s sequence number when one is given', async () => {
    const inner = new HandTransport();
    const gate = new RoundGate(inner, {
      tenant: 'acme',
      sequenceOf: (m) => Number(m.payload.toString().split('#')[1]),
    });
    const handled: string[] = [];
    await gate.subscribe('certfleet/acme/#', (m) => void handled.push(m.payload.toString()));
    for (const text of ['b#2', 'c#3', 'a#1']) await inner.deliver(dev('d1', 'checkin', text));
    await gate.flush();
    expect(handled).toEqual(['a#1', 'b#2', 'c#3']);
  });

  it('groups other topics as groupOf says, keeping each group in arrival order', async () => {
    const inner = new HandTransport();
    const gate = new RoundGate(inner, { tenant: 'acme', groupOf: (m) => m.payload.toString().split(':')[0] });
    const handled: string[] = [];
    await gate.subscribe('certfleet/acme/#', (m) => void handled.push(m.payload.toString()));
    for (const text of ['conn-2:poll', 'conn-1:result', 'conn-2:commit', 'conn-1:poll']) {
      await inner.deliver(svc('x', text));
    }
    await gate.flush();
    expect(handled).toEqual(['conn-1:result', 'conn-1:poll', 'conn-2:poll', 'conn-2:commit']);
  });

  it('keeps what arrives during a flush for the next one, and goes on past a handler that throws', async () => {
    const inner = new HandTransport();
    const errors: string[] = [];
    const gate = new RoundGate(inner, { tenant: 'acme', onHandlerError: (e) => void errors.push(String(e)) });
    const handled: string[] = [];
    await gate.subscribe('certfleet/acme/#', async (m) => {
      const text = m.payload.toString();
      handled.push(text);
      if (text === 'first') await inner.deliver(dev('d1', 'checkin', 'during'));
      if (text === 'boom') throw new Error('boom');
    });
    await inner.deliver(dev('d1', 'checkin', 'first'));
    await inner.deliver(dev('d2', 'checkin', 'boom'));
    await inner.deliver(dev('d3', 'checkin', 'last'));
    expect(await gate.flush()).toBe(3);
    expect(handled).toEqual(['first', 'boom', 'last']);
    expect(errors).toEqual(['Error: boom']);
    expect(gate.held).toBe(1);
    await gate.flush();
    expect(handled.at(-1)).toBe('during');
  });

  it('passes publishes straight through', async () => {
    const inner = new HandTransport();
    const gate = new RoundGate(inner, { tenant: 'acme' });
    await gate.publish('certfleet/acme/device/d1/in/enrolled', Buffer.from('x'));
    expect(inner.published.map((m) => m.topic)).toEqual(['certfleet/acme/device/d1/in/enrolled']);
    expect(gate.clientId).toBe('svc');
  });

  it('holds publishes to device topics while asked, answers the publisher at once, and releases them in order', async () => {
    const inner = new HandTransport();
    const gate = new RoundGate(inner, { tenant: 'acme' });
    await gate.publish('certfleet/acme/device/d1/in/pkcs/p', Buffer.from('before'));
    gate.holdOutbound();
    await gate.publish('certfleet/acme/device/d2/in/pkcs/p', Buffer.from('a'));
    await gate.publish('certfleet/acme/connector/c1/in/lease', Buffer.from('passes'));
    await gate.publish('certfleet/acme/device/d1/in/remove/p', Buffer.from('b'));
    // the publisher was answered; nothing to a device went out, the connector's did
    expect(inner.published.map((m) => m.payload.toString())).toEqual(['before', 'passes']);
    expect(gate.heldOutbound).toBe(2);
    expect(await gate.releaseOutbound()).toBe(2);
    expect(inner.published.map((m) => m.payload.toString())).toEqual(['before', 'passes', 'a', 'b']);
    expect(gate.heldOutbound).toBe(0);
    // released: no longer holding
    await gate.publish('certfleet/acme/device/d3/in/pkcs/p', Buffer.from('after'));
    expect(inner.published.at(-1)?.payload.toString()).toBe('after');
  });
});
