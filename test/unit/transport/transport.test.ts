/**
 * The MQTT transport against both brokers: binary round trip, offline delivery on a persistent session,
 * the topic ACL with two real device clients, refused credentials, MQTT 5, enrollment at runtime.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InFlight } from '../../../protocol/transport/in-flight.ts';
import { connectMqtt, type MqttTransportOptions } from '../../../protocol/transport/mqtt-transport.ts';
import { aclInFlightOptions } from '../../../protocol/wire/topic-acl.ts';
import { deviceInbox, deviceOutTopic, payloadTopic } from '../../../protocol/wire/topics.ts';
import type { Transport, TransportMessage } from '../../../protocol/transport/transport.ts';
import { isCertfleetError } from '../../../pki/errors.ts';
import { BROKERS, TENANT, type TestBroker } from './brokers.ts';

const SERVICE = { role: 'service' as const, name: 'svc', password: 'service-secret' };
/** The service clients of these tests, each its own account (a client id is bound to its login). */
const SERVICE_CLIENTS = ['svc-roundtrip', 'svc-offline', 'svc-acl', 'svc-v5'];
const devicePassword = (id: string): string => `pw-${id}-secret`;
const DEVICES = ['dev-a', 'dev-b', 'dev-off', 'dev-5', 'dev-v5', 'dev-closed'];

/** Every byte value, twice, with a NUL up front: not JSON, not UTF-8. */
const BINARY = Buffer.concat([
  Buffer.from([0]),
  Buffer.from([...Array(256).keys()]),
  Buffer.from([...Array(256).keys()].reverse()),
]);

describe.each(BROKERS)('MQTT transport over the $name broker', (row) => {
  if (row.skip) {
    it.skip(`skipped: ${row.skip}`, () => undefined);
    return;
  }
  let broker: TestBroker;
  const open: Transport[] = [];
  const inFlight = new InFlight(
    aclInFlightOptions(TENANT, (clientId) =>
      clientId.startsWith('svc') ? { role: 'service', name: 'svc' } : { role: 'device', name: clientId },
    ),
  );

  async function connect(o: Partial<MqttTransportOptions> & { clientId: string }): Promise<Transport> {
    const t = await connectMqtt({
      url: broker.url,
      username: o.clientId,
      password: o.clientId.startsWith('svc') ? SERVICE.password : devicePassword(o.clientId),
      inFlight,
      ackTimeoutMs: 5000,
      ...o,
    });
    open.push(t);
    return t;
  }

  beforeAll(async () => {
    broker = await row.start([
      ...SERVICE_CLIENTS.map((name) => ({ ...SERVICE, name })),
      ...DEVICES.map((name) => ({ role: 'device' as const, name, password: devicePassword(name) })),
    ]);
  });
  afterAll(async () => {
    for (const t of open) await t.close();
    await broker?.close();
  });

  it('carries raw binary bytes service → device and device → service unchanged', async () => {
    const svc = await connect({ clientId: 'svc-roundtrip' });
    const dev = await connect({ clientId: 'dev-a' });
    const atDevice: TransportMessage[] = [];
    const atService: TransportMessage[] = [];
    await dev.subscribe(deviceInbox(TENANT, 'dev-a'), (m) => void atDevice.push(m));
    await svc.subscribe(`certfleet/${TENANT}/device/+/out/#`, (m) => void atService.push(m));
    const topic = payloadTopic({
      tenant: TENANT,
      deviceId: 'dev-a',
      format: 'syncml',
      profileId: 'p1',
      threshold: 20,
    });
    await svc.publish(topic, BINARY);
    await dev.publish(deviceOutTopic(TENANT, 'dev-a', 'status', 'p1'), BINARY.subarray(1, 100));
    await inFlight.settled();
    expect(atDevice).toHaveLength(1);
    expect(atDevice[0]!.topic).toBe(topic);
    expect(Buffer.compare(atDevice[0]!.payload, BINARY)).toBe(0);
    expect(atService.map((m) => m.topic)).toEqual([deviceOutTopic(TENANT, 'dev-a', 'status', 'p1')]);
    expect(Buffer.compare(atService[0]!.payload, BINARY.subarray(1, 100))).toBe(0);
    // QoS 1: the handler sees the packet identifier a redelivery would carry (the resume's inbox key)
    expect(atService[0]!.packetId).toBeGreaterThanOrEqual(1);
    expect(atService[0]!.packetId).toBeLessThanOrEqual(65535);
  });

  it('delivers QoS 1 messages published while a persistent-session device was offline, in order', async () => {
    const first = await connect({ clientId: 'dev-off' });
    await first.subscribe(deviceInbox(TENANT, 'dev-off'), () => undefined);
    await first.close();
    const svc = await connect({ clientId: 'svc-offline' });
    for (const i of [1, 2, 3]) {
      await svc.publish(`certfleet/${TENANT}/device/dev-off/in/remove/p${i}`, Buffer.from([i, 0, 255]));
    }
    // the run waits for everyone except the offline device
    await inFlight.settled({ exceptOffline: true });
    expect(inFlight.count({ clientId: 'dev-off' })).toBe(3);

    const got: TransportMessage[] = [];
    await connect({
      clientId: 'dev-off',
      subscriptions: [{ filter: deviceInbox(TENANT, 'dev-off'), handler: (m) => void got.push(m) }],
    });
    await inFlight.settled();
    expect(got.map((m) => m.topic.split('/').pop())).toEqual(['p1', 'p2', 'p3']);
    expect(got.map((m) => m.payload[0])).toEqual([1, 2, 3]);
    expect(new Set(got.map((m) => m.packetId)).size).toBe(3);
    expect(inFlight.count({ clientId: 'dev-off' })).toBe(0);
  });

  it("refuses a device another device's inbox, and drops its publish to another device's out topic", async () => {
    const svc = await connect({ clientId: 'svc-acl' });
    const a = await connect({ clientId: 'dev-5' });
    const b = await connect({ clientId: 'dev-b' });
    const atA: string[] = [];
    const atService: string[] = [];
    await a.subscribe(deviceInbox(TENANT, 'dev-5'), (m) => void atA.push(m.topic));
    await b.subscribe(deviceInbox(TENANT, 'dev-b'), () => undefined);
    await svc.subscribe(`certfleet/${TENANT}/device/+/out/#`, (m) => void atService.push(m.topic));

    const foreign = a.subscribe(deviceInbox(TENANT, 'dev-b'), (m) => void atA.push(m.topic));
    if (row.subackRefusesForeignInbox) {
      await expect(foreign).rejects.toMatchObject({ code: 'TRANSPORT_SUBSCRIBE_REFUSED' });
    } else {
      await foreign; // granted by the broker, but nothing of dev-b's is delivered (checked below)
    }
    const wildcard = a.subscribe(`certfleet/${TENANT}/device/+/in/#`, (m) => void atA.push(m.topic));
    // (with Mosquitto the marker below may arrive once per matching subscription)
    if (row.subackRefusesForeignInbox) {
      await expect(wildcard).rejects.toMatchObject({ code: 'TRANSPORT_SUBSCRIBE_REFUSED' });
    } else {
      await wildcard;
    }

    // dev-b's payload, then a marker to dev-5: dev-5 sees only the marker
    await svc.publish(`certfleet/${TENANT}/device/dev-b/in/remove/secret`, Buffer.from('for b only'));
    await svc.publish(`certfleet/${TENANT}/device/dev-5/in/remove/marker`, Buffer.from('for a'));
    // dev-5 publishes as dev-b (dropped), then as itself
    await a.publish(deviceOutTopic(TENANT, 'dev-b', 'status', 'forged'), Buffer.from('forged'));
    await a.publish(deviceOutTopic(TENANT, 'dev-5', 'status', 'real'), Buffer.from('real'));
    await inFlight.settled();
    expect(atA.length).toBeGreaterThan(0);
    expect(new Set(atA)).toEqual(new Set([`certfleet/${TENANT}/device/dev-5/in/remove/marker`]));
    expect(atService).toEqual([deviceOutTopic(TENANT, 'dev-5', 'status', 'real')]);
  });

  it.each([
    { what: 'a wrong password', username: 'dev-a', password: 'wrong' },
    { what: 'an unknown user', username: 'dev-nobody', password: 'unknown-user-secret' },
    { what: 'no credentials', username: undefined, password: undefined },
  ])('refuses $what with TRANSPORT_NOT_AUTHORIZED and a message without the password', async (c) => {
    const err = await connectMqtt({
      url: broker.url,
      clientId: c.username ?? 'dev-anon',
      ...(c.username ? { username: c.username } : {}),
      ...(c.password ? { password: c.password } : {}),
    }).catch((e: unknown) => e);
    expect(isCertfleetError(err, 'TRANSPORT_NOT_AUTHORIZED')).toBe(true);
    expect((err as Error).message).toContain(broker.url);
    if (c.password) expect((err as Error).message).not.toContain(c.password);
  });

  it(`MQTT 5 ${row.mqtt5 ? 'works' : 'is refused with TRANSPORT_PROTOCOL'}`, async () => {
    const attempt = connect({ clientId: 'dev-v5', protocolVersion: 5, clean: true });
    if (!row.mqtt5) {
      const err = await attempt.catch((e: unknown) => e);
      expect(isCertfleetError(err, 'TRANSPORT_PROTOCOL')).toBe(true);
      expect((err as Error).message).toMatch(/3\.1\.1/);
      return;
    }
    const dev = await attempt;
    const svc = await connect({ clientId: 'svc-v5', protocolVersion: 5 });
    const got: Buffer[] = [];
    await dev.subscribe(deviceInbox(TENANT, 'dev-v5'), (m) => void got.push(m.payload));
    await svc.publish(`certfleet/${TENANT}/device/dev-v5/in/enrolled`, BINARY);
    await inFlight.settled();
    expect(got.map((b) => b.equals(BINARY))).toEqual([true]);
    // MQTT 5 reports a refused publish: it rejects instead of being dropped silently
    await expect(
      dev.publish(deviceOutTopic(TENANT, 'dev-b', 'checkin'), Buffer.from('x')),
    ).rejects.toMatchObject({
      code: 'TRANSPORT_NOT_AUTHORIZED',
    });
    await dev.close();
  });

  it('accepts a device added to the credentials while the broker runs (enrollment)', async () => {
    const id = 'dev-enrolled-later';
    const before = await connect({ clientId: id }).catch((e: unknown) => e);
    expect(isCertfleetError(before, 'TRANSPORT_NOT_AUTHORIZED')).toBe(true);
    broker.credentials.set({ role: 'device', name: id, password: devicePassword(id) });
    await broker.synced();
    const t = await connect({ clientId: id });
    await t.subscribe(deviceInbox(TENANT, id), () => undefined);
    await t.close();
  });

  it('rejects publish and subscribe after close with TRANSPORT_CLOSED', async () => {
    const t = await connect({ clientId: 'dev-closed', clean: true });
    await t.close();
    await expect(
      t.publish(deviceOutTopic(TENANT, 'dev-closed', 'checkin'), Buffer.alloc(1)),
    ).rejects.toMatchObject({
      code: 'TRANSPORT_CLOSED',
    });
    await expect(t.subscribe(deviceInbox(TENANT, 'dev-closed'), () => undefined)).rejects.toMatchObject({
      code: 'TRANSPORT_CLOSED',
    });
  });
});

describe('connectMqtt to nothing', () => {
  it('fails with TRANSPORT_UNREACHABLE naming the URL', async () => {
    const { freePort } = await import('../../../simulator/broker/free-port.ts');
    const port = await freePort();
    const err = await connectMqtt({
      url: `mqtt://127.0.0.1:${port}`,
      clientId: 'x',
      connectTimeoutMs: 3000,
    }).catch((e: unknown) => e);
    expect(isCertfleetError(err, 'TRANSPORT_UNREACHABLE')).toBe(true);
    expect((err as Error).message).toContain(`127.0.0.1:${port}`);
  });
});
