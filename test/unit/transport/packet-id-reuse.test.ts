/**
 * The embedded broker never gives a new message a packet identifier that the session's queue still holds
 * (simulator/broker/packet-id-guard.ts; MQTT 3.1.1 §2.3.1). aedes 1.2 starts each connection's identifier
 * counter at random: here Math.random is pinned, so the second connection's counter starts where the first
 * one's did, and a new message B would take the identifier of A, queued and unacknowledged since the first
 * connection. The subscriber acknowledges B and not A, then the connection drops: with B's PUBACK clearing
 * A from the queue (aedes-persistence clears the first message with that identifier), A never comes again —
 * lost. With the guard, B takes another identifier and A comes again on the third connection.
 * (reconnect-proxy.test.ts lost 6 and 26 consecutive messages this way in 2 of 80 runs.)
 */
import mqtt from 'mqtt';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { startEmbeddedBroker } from '../../../simulator/broker/embedded-broker.ts';
import { TENANT } from './brokers.ts';

const TOPIC = `certfleet/${TENANT}/device/d1/out/checkin`;
const FILTER = `certfleet/${TENANT}/device/+/out/#`;

type Broker = Awaited<ReturnType<typeof startEmbeddedBroker>>;
let broker: Broker | undefined;
const clients: mqtt.MqttClient[] = [];
afterEach(async () => {
  vi.restoreAllMocks();
  for (const c of clients.splice(0)) c.end(true);
  await broker?.close();
  broker = undefined;
});

const until = async (what: string, ok: () => boolean, ms = 5000): Promise<void> => {
  const end = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
};

/**
 * The service's persistent session, one connection: records each PUBLISH (payload, identifier) and
 * acknowledges only those `ack` accepts (an error answer makes mqtt.js skip its PUBACK).
 */
async function service(
  b: Broker,
  ack: (payload: string) => boolean,
): Promise<{
  client: mqtt.MqttClient;
  got: Array<[string, number]>;
}> {
  const got: Array<[string, number]> = [];
  const client = mqtt.connect(b.url, {
    clientId: 'svc',
    username: 'svc',
    password: 's',
    clean: false,
    reconnectPeriod: 0,
    protocolVersion: 4,
  });
  clients.push(client);
  client.on('error', () => undefined);
  client.handleMessage = (packet, done) => {
    const payload = packet.payload.toString();
    got.push([payload, packet.messageId as number]);
    done(ack(payload) ? undefined : new Error('withheld'));
  };
  await new Promise<void>((ok, fail) => {
    client.once('connect', () => ok());
    client.once('error', fail);
  });
  return { client, got };
}

describe('the embedded broker: no packet identifier used twice in one session', () => {
  it('a message queued unacknowledged keeps its identifier to itself; it comes again after a reconnect', async () => {
    broker = await startEmbeddedBroker({
      tenant: TENANT,
      credentials: [
        { role: 'service', name: 'svc', password: 's' },
        { role: 'device', name: 'd1', password: 'd' },
      ],
    });
    // every client object's identifier counter starts at the same value (aedes: ceil(random × 65535))
    vi.spyOn(Math, 'random').mockReturnValue(0.5);
    const device = mqtt.connect(broker.url, {
      clientId: 'd1',
      username: 'd1',
      password: 'd',
      clean: true,
      reconnectPeriod: 0,
      protocolVersion: 4,
    });
    clients.push(device);
    await new Promise<void>((ok) => device.once('connect', () => ok()));

    // 1st connection: A arrives and is not acknowledged
    const first = await service(broker, () => false);
    await first.client.subscribeAsync(FILTER, { qos: 1 });
    await device.publishAsync(TOPIC, 'A', { qos: 1 });
    await until('A on the first connection', () => first.got.length === 1);
    const idOfA = first.got[0]![1];
    first.client.end(true);

    // 2nd connection: A comes again; B, new, is acknowledged, A is not
    const second = await service(broker, (p) => p === 'B');
    await until('A again', () => second.got.some(([p]) => p === 'A'));
    await device.publishAsync(TOPIC, 'B', { qos: 1 });
    await until('B', () => second.got.some(([p]) => p === 'B'));
    const idOfB = second.got.find(([p]) => p === 'B')![1];
    expect(second.got.find(([p]) => p === 'A')![1]).toBe(idOfA); // a re-send keeps its identifier (§4.4)
    expect(idOfB).not.toBe(idOfA); // the guard: a fresh identifier for B
    // B's PUBACK has reached the broker once a round trip after it has come back (PINGREQ/PINGRESP)
    await new Promise<void>((ok) => {
      second.client.once('packetreceive', () => ok());
      (second.client as unknown as { _sendPacket(p: object): void })._sendPacket({ cmd: 'pingreq' });
    });
    second.client.end(true);

    // 3rd connection: A, still unacknowledged, comes again; B, acknowledged, does not
    const third = await service(broker, () => true);
    await until('A on the third connection', () => third.got.some(([p]) => p === 'A'));
    await new Promise<void>((ok) => {
      third.client.once('packetreceive', () => ok());
      (third.client as unknown as { _sendPacket(p: object): void })._sendPacket({ cmd: 'pingreq' });
    });
    expect(third.got.map(([p]) => p)).toEqual(['A']);
  });
});
