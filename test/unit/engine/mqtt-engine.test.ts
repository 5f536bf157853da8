/**
 * The fleet engine over a real broker — the embedded aedes, and Mosquitto when it is installed (real TCP):
 * a coordinator and two agent hosts in one process, each with its own control client under the topic ACL
 * (the coordinator as the service, the hosts as `host` identities), the fake fleet's service and devices on
 * their own MQTT clients feeding their device ledgers through the transport's `ledger` hook. The run ends,
 * and ends exactly as the same fleet does over the in-memory broker.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectMqtt } from '../../../protocol/transport/mqtt-transport.ts';
import type { Transport, TransportMessage } from '../../../protocol/transport/transport.ts';
import { createRandom } from '../../../protocol/runtime/random.ts';
import { clockCtlTopic } from '../../../protocol/wire/topics.ts';
import type { BrokerAccountInit } from '../../../simulator/broker/credential-table.ts';
import { mqttCoordinatorChannel, mqttHostChannel } from '../../../simulator/engine/mqtt-control-channel.ts';
import { BROKERS, type TestBroker } from '../transport/brokers.ts';
import { TENANT, deviceId, hostId, runFakeFleet, type Connect, type FakeFleetOutcome } from './fake-fleet.ts';
import { MemoryBroker, MemoryControlBus } from './memory-net.ts';

const SHARDS = 2;
const DEVICES = 4;
const password = (name: string): string => `pw-${name}`;

const ACCOUNTS: BrokerAccountInit[] = [
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
];

/** The same fleet over the in-memory broker: what the MQTT runs must end with. */
async function reference(): Promise<FakeFleetOutcome> {
  const rng = createRandom('delivery/mqtt-reference');
  const memBroker = new MemoryBroker(rng.fork('broker'));
  const bus = new MemoryControlBus(rng.fork('bus'));
  const { outcome } = await runFakeFleet({
    connect: (o) => memBroker.connect(o),
    control: { coordinator: async () => bus.coordinator(), host: async (id) => bus.host(id) },
    shards: SHARDS,
    devices: DEVICES,
    coordinatorLimits: { resendMs: 50, maxPauseMs: 2 },
  });
  return outcome;
}

describe.each(BROKERS)('fleet engine over the $name broker', (row) => {
  if (row.skip) {
    it.skip(`skipped: ${row.skip}`, () => undefined);
    return;
  }
  let broker: TestBroker;
  const controls: Transport[] = [];

  beforeAll(async () => {
    broker = await row.start(ACCOUNTS);
  });
  afterAll(async () => {
    for (const t of controls) await t.close();
    await broker?.close();
  });

  /** A control client: clean session, no in-flight counter, no ledger. */
  async function control(name: string, suffix = 'ctl'): Promise<Transport> {
    const t = await connectMqtt({
      url: broker.url,
      clientId: `${name}-${suffix}`,
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
    const waves: number[] = [];
    const { outcome } = await runFakeFleet({
      connect,
      control: {
        coordinator: async () => mqttCoordinatorChannel(await control('clock'), TENANT),
        host: async (id) => mqttHostChannel(await control(id), TENANT, id),
      },
      shards: SHARDS,
      devices: DEVICES,
      coordinatorLimits: { resendMs: 500, maxPauseMs: 5, joinTimeoutMs: 10_000, livenessMs: 10_000 },
      onInstant: (s) => waves.push(s.wavesThisInstant),
    });
    expect(outcome.result.instants).toBeGreaterThan(8);
    // every instant stepped the hosts (this local side holds nothing back): one wave at least
    expect(waves.every((w) => w >= 1)).toBe(true);
    for (const [d, [sent, handled]] of Object.entries(outcome.serviceCounts)) {
      expect([d, outcome.hostCounts[d]]).toEqual([d, [handled, sent]]);
    }
    const { waves: _w1, result: _r1, ...got } = outcome;
    const { waves: _w2, result: _r2, ...want } = await reference();
    expect(got).toEqual(want);
  });

  it('does not let a host speak for the coordinator: its publish on clock/ctl reaches no host', async () => {
    const listener = await control(hostId(1), 'listen');
    const heard: TransportMessage[] = [];
    await listener.subscribe(clockCtlTopic(TENANT), (m) => void heard.push(m));
    const rogue = await control(hostId(0), 'rogue');
    await rogue.publish(clockCtlTopic(TENANT), Buffer.from('from a host'));
    const coordinator = await control('clock', 'marker');
    await coordinator.publish(clockCtlTopic(TENANT), Buffer.from('from the coordinator'));
    await expect.poll(() => heard.map((m) => m.payload.toString())).toContain('from the coordinator');
    expect(heard.map((m) => m.payload.toString())).toEqual(['from the coordinator']);
  });
});
