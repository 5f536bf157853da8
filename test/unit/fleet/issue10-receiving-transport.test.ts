/**
 * Issue 10 point 3 — a device message held by the coordinator's round gate is kept in service-state.db
 * before the broker is told it arrived (simulator/fleet/receiving-transport.ts): over the embedded broker
 * with a real device client, the chain serve uses (transport → keeping → round gate → inbox/outbox →
 * handler); the held messages are found by a new process's chain and handled there once, with the inbox
 * ids they were kept under.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectMqtt } from '../../../protocol/transport/mqtt-transport.ts';
import { RoundGate } from '../../../protocol/transport/round-gate.ts';
import type { Transport, TransportMessage } from '../../../protocol/transport/transport.ts';
import { deviceOutTopic } from '../../../protocol/wire/topics.ts';
import type { BrokerHandle } from '../../../simulator/broker/broker-handle.ts';
import { startEmbeddedBroker } from '../../../simulator/broker/embedded-broker.ts';
import { CheckpointedTransport } from '../../../simulator/fleet/checkpointed-transport.ts';
import { ReceivingTransport } from '../../../simulator/fleet/receiving-transport.ts';
import { ServiceCheckpoint, inboxKey } from '../../../simulator/fleet/service-checkpoint.ts';

const TENANT = 'acme';
const SECRET = 'issue10-receiving-secret-0123456789abcdef';
const DIGEST = 'digest-of-the-scenario-receiving';
const DEVICE = 'dev-r';
const FILTER = `certfleet/${TENANT}/device/+/out/#`;

let base: string;
let broker: BrokerHandle;
let inner: Transport;
let device: Transport;

beforeAll(async () => {
  base = mkdtempSync(join(tmpdir(), 'certfleet-i10-receiving-'));
  broker = await startEmbeddedBroker({
    tenant: TENANT,
    credentials: [
      { role: 'service', name: 'svc-recv', password: 'svc-recv-secret' },
      { role: 'device', name: DEVICE, password: 'dev-recv-secret' },
    ],
  });
  inner = await connectMqtt({
    url: broker.url,
    clientId: 'svc-recv',
    username: 'svc-recv',
    password: 'svc-recv-secret',
    ackTimeoutMs: 5000,
  });
  device = await connectMqtt({
    url: broker.url,
    clientId: DEVICE,
    username: DEVICE,
    password: 'dev-recv-secret',
    ackTimeoutMs: 5000,
  });
});
afterAll(async () => {
  await device?.close();
  await inner?.close();
  await broker?.close();
  rmSync(base, { recursive: true, force: true });
});

/** The chain of serve's service transport over `t`, with `handler` at the top. */
function chain(t: Transport, cp: ServiceCheckpoint, handler: (m: TransportMessage) => void) {
  const receiving = new ReceivingTransport(t, cp);
  const gate = new RoundGate(receiving, { tenant: TENANT });
  const svc = new CheckpointedTransport(gate, { checkpoint: cp, changes: () => [] });
  return { receiving, gate, svc, subscribe: () => svc.subscribe(FILTER, handler) };
}

describe('issue 10 point 3: messages held by the round gate are kept before they are acknowledged', () => {
  it('keeps them while held, and a new process handles them once under the same inbox ids', async () => {
    const first = ServiceCheckpoint.open(base, { digest: DIGEST, secret: SECRET });
    const handledFirst: string[] = [];
    const a = chain(inner, first, (m) => void handledFirst.push(m.topic));
    await a.subscribe();
    await device.publish(deviceOutTopic(TENANT, DEVICE, 'status', 'p1'), Buffer.from('<one/>'));
    await device.publish(deviceOutTopic(TENANT, DEVICE, 'status', 'p2'), Buffer.from('<two/>'));
    while (a.gate.held < 2) await new Promise((r) => setImmediate(r));
    // held by the gate, not handled — and kept: the transport has acknowledged them by now
    expect(handledFirst).toEqual([]);
    const kept = first.held();
    expect(kept.map((m) => [m.topic, m.payload.toString()])).toEqual([
      [deviceOutTopic(TENANT, DEVICE, 'status', 'p1'), '<one/>'],
      [deviceOutTopic(TENANT, DEVICE, 'status', 'p2'), '<two/>'],
    ]);

    // the process is killed before the wave's flush (its gate is dropped, its file left open); a new
    // process opens the same file and holds the kept messages again
    const second = ServiceCheckpoint.open(base, { digest: DIGEST, secret: SECRET });
    const handledSecond: TransportMessage[] = [];
    const b = chain(inner, second, (m) => void handledSecond.push(m));
    await b.subscribe();
    expect(await b.receiving.replayHeld()).toBe(2);
    expect(b.gate.held).toBe(2);
    expect(await b.gate.flush()).toBe(2);
    expect(handledSecond.map((m) => m.payload.toString())).toEqual(['<one/>', '<two/>']);
    // handled under the inbox ids they were kept under, and so removed from the kept ones
    expect(handledSecond.map((m) => inboxKey(m))).toEqual(kept.map((m) => m.inboxId));
    expect(second.held()).toEqual([]);
    for (const m of kept) expect(second.wasHandled(m.inboxId)).toBe(true);
    // a second replay finds nothing
    expect(await b.receiving.replayHeld()).toBe(0);
    expect(handledFirst).toEqual([]);
    second.close();
    first.close();
  });
});
