/**
 * The fleet engine over a real broker (the embedded aedes, real TCP): a coordinator and two agent hosts in
 * one process, each with its own control client under the topic ACL (the coordinator as the service, the
 * hosts as `host` identities), the fake fleet's service and devices on their own MQTT clients feeding their
 * device ledgers through the transport's `ledger` hook. The run ends, and ends exactly as the same fleet
 * does over the in-memory broker.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectMqtt } from '../../../protocol/transport/mqtt-transport.ts';
import type { Transport } from '../../../protocol/transport/transport.ts';
import { createRandom } from '../../../protocol/runtime/random.ts';
import { clockCtlTopic } from '../../../protocol/wire/topics.ts';
import { startEmbeddedBroker, type EmbeddedBroker } from '../../../simulator/broker/embedded-broker.ts';
import { mqttCoordinatorChannel, mqttHostChannel } from '../../../simulator/engine/mqtt-control-channel.ts';
import { TENANT, deviceId, hostId, runFakeFleet, type Connect } from './fake-fleet.ts';
import { MemoryBroker, MemoryControlBus } from './memory-net.ts';

const SHARDS = 2;
const DEVICES = 4;
const password = (name: string): string => `pw-${name}`;

describe('fleet engine over the embedded aedes broker', () => {
  let broker: EmbeddedBroker;
  const controls: Transport[] = [];

  beforeAll(async () => {
    broker = await startEmbeddedBroker({
      tenant: TENANT,
      credentials: [
        { role: 'service', name: 'svc', password: password('svc') },
        { role: 'service', name: 'clock', password: password('clock') },
        ...[...Array(SHARDS).keys()].map((i) => ({
          role: 'host' as const,
          name: hostId(i),
          password: password(hostId(i)),
        })),
        ...[...Array(DEVICES).keys()].map((i) => ({
          role: 'device' as const,
          name: deviceId(i),
          password: password(deviceId(i)),
        })),
      ],
    });
  });
  afterAll(async () => {
    for (const t of controls) await t.close();
    await broker?.close();
  });

  /** A control client: clean session, no in-flight counter, no ledger. */
  async function control(name: string): Promise<Transport> {
    const t = await connectMqtt({
      url: broker.url,
      clientId: `${name}-ctl`,
      username: name,
      password: password(name),
      clean: true,
    });
    controls.push(t);
    return t;
  }

  it('runs a coordinator and two hosts to the end, with the outcome of the in-memory run', async () => {
    const connect: Connect = (o) =>
      connectMqtt({
        url: broker.url,
        clientId: o.clientId,
        username: o.clientId,
        password: password(o.clientId),
        ...(o.ledger ? { ledger: o.ledger } : {}),
        ...(o.subscriptions ? { subscriptions: o.subscriptions } : {}),
      });
    const instants: number[] = [];
    const { outcome } = await runFakeFleet({
      connect,
      control: {
        coordinator: async () => mqttCoordinatorChannel(await control('clock'), TENANT),
        host: async (id) => mqttHostChannel(await control(id), TENANT, id),
      },
      shards: SHARDS,
      devices: DEVICES,
      coordinatorLimits: { resendMs: 500, maxPauseMs: 5, joinTimeoutMs: 10_000, livenessMs: 10_000 },
      onInstant: (s) => instants.push(s.wavesThisInstant),
    });
    expect(outcome.result.instants).toBeGreaterThan(8);
    expect(instants.every((w) => w >= 2)).toBe(true);
    for (const [d, [sent, handled]] of Object.entries(outcome.serviceCounts)) {
      expect([d, outcome.hostCounts[d]]).toEqual([d, [handled, sent]]);
    }

    const rng = createRandom('delivery/mqtt-reference');
    const memBroker = new MemoryBroker(rng.fork('broker'));
    const bus = new MemoryControlBus(rng.fork('bus'));
    const reference = await runFakeFleet({
      connect: (o) => memBroker.connect(o),
      control: { coordinator: async () => bus.coordinator(), host: async (id) => bus.host(id) },
      shards: SHARDS,
      devices: DEVICES,
      coordinatorLimits: { resendMs: 50, maxPauseMs: 2 },
    });
    const { waves: _w1, result: _r1, ...got } = outcome;
    const { waves: _w2, result: _r2, ...want } = reference.outcome;
    expect(got).toEqual(want);
  });

  it('lets a host publish only its own clock topics: its control messages on clock/ctl are dropped', async () => {
    const t = await control(hostId(0));
    await t.publish(clockCtlTopic(TENANT), Buffer.from('{}'));
    await expect
      .poll(() => broker.denials.filter((d) => d.clientId === `${hostId(0)}-ctl` && d.action === 'publish'))
      .toHaveLength(1);
  });
});
