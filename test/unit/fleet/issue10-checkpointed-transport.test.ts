/**
 * Issue 10 point 3 — the inbox/outbox in front of the service's transport
 * (simulator/fleet/checkpointed-transport.ts), over the embedded broker with a real device client and a
 * real service-state.db: a message's changes and answers are committed before anything is published or
 * acknowledged, a message handled before runs no handler, an outbox a killed service left is published
 * again, a QoS 0 message needs no inbox.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectMqtt } from '../../../protocol/transport/mqtt-transport.ts';
import type { Transport, TransportMessage } from '../../../protocol/transport/transport.ts';
import { deviceInbox, deviceOutTopic } from '../../../protocol/wire/topics.ts';
import type { BrokerHandle } from '../../../simulator/broker/broker-handle.ts';
import { startEmbeddedBroker } from '../../../simulator/broker/embedded-broker.ts';
import { CheckpointedTransport } from '../../../simulator/fleet/checkpointed-transport.ts';
import { RecordDiff } from '../../../simulator/fleet/record-diff.ts';
import { ServiceCheckpoint, inboxKey } from '../../../simulator/fleet/service-checkpoint.ts';
import { jsonRecord } from '../../../simulator/service/mdm/stores/saved-records.ts';

const TENANT = 'acme';
const SECRET = 'issue10-outbox-secret-0123456789abcdef';
const DIGEST = 'digest-of-the-scenario-outbox';
const SVC_PASSWORD = 'svc-outbox-secret';
const DEV_PASSWORD = 'dev-outbox-secret';
const DEVICE = 'dev-1';
const answerTopic = (n: number): string => `certfleet/${TENANT}/device/${DEVICE}/in/remove/p${n}`;

let base: string;
let broker: BrokerHandle;
let inner: Transport;
let device: Transport;
let cp: ServiceCheckpoint;
/** What the service's stores hold (one store, JSON records) and what was saved of it. */
const store = new Map<string, string>();
const diff = new RecordDiff();
/** What the device received, in order. */
const atDevice: TransportMessage[] = [];

function changes() {
  const c = diff.changes(
    'deliveries',
    [...store].map(([k, v]) => jsonRecord(k, v)),
  );
  diff.commit(c);
  return c;
}

/** How many answer-1 the device received. */
const answers = (): number => atDevice.filter((a) => a.payload.toString() === 'answer-1').length;

/** Resolves once the device has received `n` messages. */
async function deviceHas(n: number): Promise<void> {
  while (atDevice.length < n) await new Promise((r) => setImmediate(r));
}

beforeAll(async () => {
  base = mkdtempSync(join(tmpdir(), 'certfleet-i10-outbox-'));
  broker = await startEmbeddedBroker({
    tenant: TENANT,
    credentials: [
      { role: 'service', name: 'svc-outbox', password: SVC_PASSWORD },
      { role: 'device', name: DEVICE, password: DEV_PASSWORD },
    ],
  });
  inner = await connectMqtt({
    url: broker.url,
    clientId: 'svc-outbox',
    username: 'svc-outbox',
    password: SVC_PASSWORD,
    ackTimeoutMs: 5000,
  });
  device = await connectMqtt({
    url: broker.url,
    clientId: DEVICE,
    username: DEVICE,
    password: DEV_PASSWORD,
    ackTimeoutMs: 5000,
  });
  await device.subscribe(deviceInbox(TENANT, DEVICE), (m) => void atDevice.push(m));
  cp = ServiceCheckpoint.open(base, { digest: DIGEST, secret: SECRET });
});
afterAll(async () => {
  await device?.close();
  await inner?.close();
  await broker?.close();
  cp?.close();
  rmSync(base, { recursive: true, force: true });
});

describe('issue 10 point 3: the service transport with the inbox/outbox in front', () => {
  it('commits a message with its changes and answers before publishing them; a redelivery runs nothing', async () => {
    const duplicates: string[] = [];
    const svc = new CheckpointedTransport(inner, {
      checkpoint: cp,
      changes,
      onDuplicate: (t) => duplicates.push(t),
    });
    const received: TransportMessage[] = [];
    let handled = 0;
    let late: Promise<void> | undefined;
    /** What the saved state held, inside the handler, after it published (outbox entries, records). */
    const inside: number[][] = [];
    const gotBeforeProbe: boolean[] = [];
    const handler = async (m: TransportMessage): Promise<void> => {
      handled += 1;
      received.push(m);
      const answersBefore = answers();
      store.set(`${DEVICE}/p1`, 'sent');
      await svc.publish(answerTopic(1), Buffer.from('answer-1'));
      inside.push([cp.unconfirmed().length, cp.records('deliveries').size]);
      // a probe sent past the holding: one publisher's QoS 1 messages reach a subscriber in order, so
      // had answer-1 gone out, the device would have it before the probe
      const probes = atDevice.length + 1;
      await inner.publish(answerTopic(9), Buffer.from('probe'));
      await deviceHas(probes);
      gotBeforeProbe.push(answers() > answersBefore);
      // a publish made after the handling was committed goes straight through
      late = new Promise((r) => setImmediate(r)).then(() => svc.publish(answerTopic(2), Buffer.from('late')));
    };
    // the device learns the answer only after the message, its record and the answer were committed
    const seenAtAnswer: { handled: boolean; record: string | undefined }[] = [];
    let key: string | undefined;
    await device.subscribe(deviceInbox(TENANT, DEVICE), (m) => {
      if (m.payload.toString() === 'answer-1')
        seenAtAnswer.push({
          handled: key !== undefined && cp.wasHandled(key),
          record: cp.records('deliveries').get(`${DEVICE}/p1`)?.toString(),
        });
    });
    await svc.subscribe(`certfleet/${TENANT}/device/+/out/#`, (m) => {
      key = inboxKey(m);
      return handler(m);
    });
    await device.publish(deviceOutTopic(TENANT, DEVICE, 'status', 'p1'), Buffer.from('<SyncML/>'));
    await deviceHas(3);
    await late;
    expect(handled).toBe(1);
    // held back: nothing of the handling was committed or published while the handler ran
    expect(inside).toEqual([[0, 0]]);
    expect(gotBeforeProbe).toEqual([false]);
    expect(key).toMatch(/^\d+:/);
    expect(seenAtAnswer).toEqual([{ handled: true, record: '"sent"' }]);
    expect(atDevice.map((m) => [m.topic, m.payload.toString()])).toEqual([
      [answerTopic(9), 'probe'],
      [answerTopic(1), 'answer-1'],
      [answerTopic(2), 'late'],
    ]);
    expect(cp.unconfirmed()).toEqual([]); // the broker took it: confirmed

    // the broker delivers the same message again (same packet identifier, same bytes): no handler runs,
    // nothing is recorded or published
    store.set(`${DEVICE}/p1`, 'changed by nobody');
    await svc.handleOnce({ ...received[0]!, payload: Buffer.from(received[0]!.payload) }, handler);
    expect(handled).toBe(1);
    expect(duplicates).toEqual([deviceOutTopic(TENANT, DEVICE, 'status', 'p1')]);
    expect(cp.records('deliveries').get(`${DEVICE}/p1`)?.toString()).toBe('"sent"');
    // … while the same bytes under another packet identifier are a new message
    await svc.handleOnce({ ...received[0]!, packetId: (received[0]!.packetId! % 65535) + 1 }, handler);
    expect(handled).toBe(2);
    await deviceHas(6);
    expect(gotBeforeProbe).toEqual([false, false]);
  });

  it('publishes again, once, the outbox a killed service committed but did not see published', async () => {
    atDevice.length = 0;
    // the state a kill leaves between the commit and the publish (step 3 done, step 4 not)
    const left = cp.handle('1234:killed-before-publish', [
      { topic: answerTopic(3), payload: Buffer.from('pfx for dev-1') },
    ]);
    expect(left).toHaveLength(1);
    const resumed = new CheckpointedTransport(inner, { checkpoint: cp, changes });
    expect(await resumed.resendUnconfirmed()).toBe(1);
    await deviceHas(1);
    expect(atDevice.map((m) => [m.topic, m.payload.toString()])).toEqual([[answerTopic(3), 'pfx for dev-1']]);
    expect(cp.unconfirmed()).toEqual([]);
    expect(await resumed.resendUnconfirmed()).toBe(0);
  });

  it('handles a QoS 0 message (no packet identifier) without an inbox row, each time', async () => {
    const svc = new CheckpointedTransport(inner, { checkpoint: cp, changes });
    let handled = 0;
    const m = { topic: deviceOutTopic(TENANT, DEVICE, 'checkin'), payload: Buffer.from('{}') };
    await svc.handleOnce(m, () => void (handled += 1));
    await svc.handleOnce(m, () => void (handled += 1));
    expect(handled).toBe(2);
  });
});
