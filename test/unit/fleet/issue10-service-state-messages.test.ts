/**
 * Issue 10 point 3 — the messages a killed `serve` left, taken up by the chain its saved state builds
 * (simulator/fleet/compose/service-state.ts `wrap` / `resumeMessages`): over the embedded broker with a
 * real device client, a committed outbox entry never confirmed is published again (the device receives
 * it once), and the device messages kept below the round gate are passed to the new gate and handled
 * once. What could be false: nothing re-sent or replayed, or a message handled twice.
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectMqtt } from '../../../protocol/transport/mqtt-transport.ts';
import { RoundGate } from '../../../protocol/transport/round-gate.ts';
import type { Transport, TransportMessage } from '../../../protocol/transport/transport.ts';
import { deviceInbox, deviceOutTopic, enrolledTopic } from '../../../protocol/wire/topics.ts';
import type { BrokerHandle } from '../../../simulator/broker/broker-handle.ts';
import { startEmbeddedBroker } from '../../../simulator/broker/embedded-broker.ts';
import { serviceState } from '../../../simulator/fleet/compose/service-state.ts';
import { ServiceCheckpoint } from '../../../simulator/fleet/service-checkpoint.ts';
import { Teardown } from '../../../simulator/fleet/teardown.ts';

const TENANT = 'acme';
const SECRET = Buffer.from('issue10-state-messages-secret-0123456789', 'utf8');
const DIGEST = 'digest-of-the-scenario-state-messages';
const DEVICE = 'dev-s';
const FILTER = `certfleet/${TENANT}/device/+/out/#`;
const FleetCtx = {} as Parameters<ReturnType<typeof serviceState>['part']['start']>[0];

let base: string;
let broker: BrokerHandle;
let inner: Transport;
let device: Transport;

beforeAll(async () => {
  base = mkdtempSync(join(tmpdir(), 'certfleet-i10-state-msg-'));
  broker = await startEmbeddedBroker({
    tenant: TENANT,
    credentials: [
      { role: 'service', name: 'svc-s', password: 'svc-s-secret' },
      { role: 'device', name: DEVICE, password: 'dev-s-secret' },
    ],
  });
  const login = (id: string, pw: string) => ({
    url: broker.url,
    clientId: id,
    username: id,
    password: pw,
    ackTimeoutMs: 5000,
  });
  inner = await connectMqtt(login('svc-s', 'svc-s-secret'));
  device = await connectMqtt(login(DEVICE, 'dev-s-secret'));
});
afterAll(async () => {
  await device?.close();
  await inner?.close();
  await broker?.close();
  rmSync(base, { recursive: true, force: true });
});

describe('issue 10 point 3: a resumed chain takes up what the killed service left', () => {
  it('re-sends the unconfirmed outbox once and hands the kept messages to the new gate once', async () => {
    const dir = join(base, 'run');
    mkdirSync(dir);
    const received: string[] = [];
    await device.subscribe(deviceInbox(TENANT, DEVICE), (m) => void received.push(m.payload.toString()));

    // the killed process: two device messages kept below its gate, not handled; and a message it handled
    // whose answer was committed but never seen published
    const first = serviceState({ digest: DIGEST, secret: SECRET, dir, tenant: TENANT });
    const t1 = new Teardown();
    await first.part.start(FleetCtx, t1);
    const handledFirst: string[] = [];
    let gateA: RoundGate | undefined;
    const a = first.wrap(inner, (below) => (gateA = new RoundGate(below, { tenant: TENANT })));
    await a.subscribe(FILTER, (m) => void handledFirst.push(m.topic));
    await device.publish(deviceOutTopic(TENANT, DEVICE, 'status', 'p1'), Buffer.from('<one/>'));
    await device.publish(deviceOutTopic(TENANT, DEVICE, 'status', 'p2'), Buffer.from('<two/>'));
    while ((gateA?.held ?? 0) < 2) await new Promise((r) => setImmediate(r));
    const side = ServiceCheckpoint.open(dir, { digest: DIGEST, secret: SECRET });
    side.handle('7:answered-before-the-kill', [
      { topic: enrolledTopic(TENANT, DEVICE), payload: Buffer.from('<answer/>') },
    ]);
    side.close();
    expect(handledFirst).toEqual([]);

    // the new process: the same file, a new chain; once subscribed, what was left is taken up
    const second = serviceState({ digest: DIGEST, secret: SECRET, dir, tenant: TENANT, resume: true });
    const t2 = new Teardown();
    await second.part.start(FleetCtx, t2);
    const handledSecond: TransportMessage[] = [];
    let gateB: RoundGate | undefined;
    const b = second.wrap(inner, (below) => (gateB = new RoundGate(below, { tenant: TENANT })));
    await b.subscribe(FILTER, (m) => void handledSecond.push(m));
    expect(await second.resumeMessages()).toEqual({ resent: 1, replayed: 2 });
    expect(gateB?.held).toBe(2);
    expect(await gateB?.flush()).toBe(2);
    expect(handledSecond.map((m) => m.payload.toString())).toEqual(['<one/>', '<two/>']);
    while (received.length < 1) await new Promise((r) => setImmediate(r));
    expect(received).toEqual(['<answer/>']);

    // taken up once: a second call finds nothing left
    expect(await second.resumeMessages()).toEqual({ resent: 0, replayed: 0 });
    expect(handledFirst).toEqual([]);
    await t2.run();
    await t1.run();
  });
});
