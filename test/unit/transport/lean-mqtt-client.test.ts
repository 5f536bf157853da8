/**
 * The lean MQTT 3.1.1 client (protocol/transport/lean-mqtt-client.ts) against each broker, directly and
 * under the transport: refused credentials give the code mqtt.js gave; a QoS 1 message whose PUBACK was
 * withheld comes back after a dropped connection and not again once acknowledged; a payload larger than
 * one TCP read arrives whole; a SUBACK failure (0x80) is a coded error; what it cannot carry is refused.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { LeanMqttClient } from '../../../protocol/transport/lean-mqtt-client.ts';
import { connectMqtt } from '../../../protocol/transport/mqtt-transport.ts';
import type { IPublishPacket } from 'mqtt-packet';
import { deviceInbox } from '../../../protocol/wire/topics.ts';
import { isCertfleetError } from '../../../pki/errors.ts';
import { BROKERS, TENANT, type TestBroker } from './brokers.ts';

const SERVICE = { role: 'service' as const, name: 'svc-lean', password: 'lean-service-secret' };
const devicePassword = (id: string): string => `pw-${id}-lean-secret`;
const DEVICES = ['lean-a', 'lean-b', 'lean-c'];

/** Resolves at the client's next `event`. */
function next(client: LeanMqttClient, event: string): Promise<unknown> {
  return new Promise((resolve) => client.once(event, resolve));
}

describe.each(BROKERS)('lean MQTT client over the $name broker', (row) => {
  if (row.skip) {
    it.skip(`skipped: ${row.skip}`, () => undefined);
    return;
  }
  let broker: TestBroker;
  const open: LeanMqttClient[] = [];

  function lean(clientId: string, o: { password?: string; clean?: boolean } = {}): LeanMqttClient {
    const u = new URL(broker.url);
    const c = new LeanMqttClient({
      host: u.hostname,
      port: Number(u.port),
      clientId,
      username: clientId,
      password: o.password ?? (clientId === SERVICE.name ? SERVICE.password : devicePassword(clientId)),
      clean: o.clean ?? false,
      keepalive: 30,
      reconnectPeriod: 50,
      connectTimeout: 5000,
    });
    open.push(c);
    return c;
  }

  function publish(c: LeanMqttClient, topic: string, payload: Buffer): Promise<void> {
    return new Promise((resolve, reject) =>
      c.publish(topic, payload, { qos: 1 }, (err) => (err ? reject(err) : resolve())),
    );
  }

  function subscribe(c: LeanMqttClient, filter: string): Promise<Array<{ topic: string; qos: number }>> {
    return new Promise((resolve, reject) =>
      c.subscribe(filter, { qos: 1 }, (err, granted) => (err ? reject(err) : resolve(granted ?? []))),
    );
  }

  beforeAll(async () => {
    broker = await row.start([
      SERVICE,
      ...DEVICES.map((name) => ({ role: 'device' as const, name, password: devicePassword(name) })),
    ]);
  });
  // Each test's clients end with the test: one left connected (it reconnects every 50 ms) would take
  // the session of the next test's client with the same id in turn, and a message for it could go to
  // the old one.
  afterEach(async () => {
    for (const c of open.splice(0)) await new Promise<void>((resolve) => c.end(true, {}, resolve));
  });
  afterAll(async () => {
    await broker?.close();
  });

  it('refuses a wrong password with the code and message mqtt.js gave (TRANSPORT_NOT_AUTHORIZED)', async () => {
    const password = 'not-the-lean-password';
    const attempt = (client: 'lean' | 'mqtt.js'): Promise<unknown> =>
      connectMqtt({ url: broker.url, clientId: 'lean-a', username: 'lean-a', password, client }).catch(
        (e: unknown) => e,
      );
    const [byLean, byMqttJs] = [await attempt('lean'), await attempt('mqtt.js')];
    expect(isCertfleetError(byLean, 'TRANSPORT_NOT_AUTHORIZED')).toBe(true);
    expect(isCertfleetError(byMqttJs, 'TRANSPORT_NOT_AUTHORIZED')).toBe(true);
    expect((byLean as Error).message).toBe((byMqttJs as Error).message);
    expect((byLean as Error).message).not.toContain(password);
  });

  it('gets a QoS 1 message again after a dropped connection while its PUBACK was withheld, and not after the PUBACK', async () => {
    const dev = lean('lean-b');
    await next(dev, 'connect');
    const inbox = deviceInbox(TENANT, 'lean-b');
    expect((await subscribe(dev, inbox)).map((g) => g.qos)).toEqual([1]);
    const got: Array<{ payload: string; messageId: number | undefined }> = [];
    let withhold = true;
    let arrived: () => void = () => undefined;
    dev.handleMessage = (p: IPublishPacket, done) => {
      got.push({ payload: p.payload.toString(), messageId: p.messageId });
      arrived();
      done(withhold ? new Error('withheld') : undefined);
    };
    const svc = lean(SERVICE.name);
    await next(svc, 'connect');
    const first = new Promise<void>((resolve) => (arrived = resolve));
    await publish(svc, `certfleet/${TENANT}/device/lean-b/in/enrolled`, Buffer.from('once'));
    await first;
    // cut the connection before any PUBACK: the broker keeps the message for the session
    withhold = false;
    const again = new Promise<void>((resolve) => (arrived = resolve));
    dev.stream?.destroy();
    await again;
    expect(got.map((g) => g.payload)).toEqual(['once', 'once']);
    expect(got[1]?.messageId).toBe(got[0]?.messageId);
    // acknowledged now: after another cut only the next message comes, not 'once' again
    const reconnected = next(dev, 'connect');
    dev.stream?.destroy();
    await reconnected;
    const marker = new Promise<void>((resolve) => (arrived = resolve));
    await publish(svc, `certfleet/${TENANT}/device/lean-b/in/marker`, Buffer.from('marker'));
    await marker;
    expect(got.map((g) => g.payload)).toEqual(['once', 'once', 'marker']);
  });

  it('reassembles a payload larger than one TCP read (2 MiB), byte for byte', async () => {
    const dev = await connectMqtt({
      url: broker.url,
      clientId: 'lean-c',
      username: 'lean-c',
      password: devicePassword('lean-c'),
      client: 'lean',
    });
    const svc = await connectMqtt({
      url: broker.url,
      clientId: SERVICE.name,
      username: SERVICE.name,
      password: SERVICE.password,
      client: 'lean',
    });
    try {
      const big = Buffer.alloc(2 * 1024 * 1024);
      for (let i = 0; i < big.length; i++) big[i] = (i * 31 + (i >> 11)) & 0xff;
      const received = new Promise<Buffer>(
        (resolve) => void dev.subscribe(deviceInbox(TENANT, 'lean-c'), (m) => resolve(m.payload)),
      );
      // wait for the subscription before publishing
      await dev.subscribe(`certfleet/${TENANT}/device/lean-c/in/none/#`, () => undefined);
      await svc.publish(`certfleet/${TENANT}/device/lean-c/in/pkcs12/p/20`, big);
      const got = await received;
      expect(got.length).toBe(big.length);
      expect(got.equals(big)).toBe(true);
    } finally {
      await dev.close();
      await svc.close();
    }
  });

  it('counts the reads a large packet came in (it is split over TCP reads)', async () => {
    const dev = lean('lean-c', { clean: true });
    await next(dev, 'connect');
    let reads = 0;
    dev.stream?.on('data', () => void reads++);
    await subscribe(dev, deviceInbox(TENANT, 'lean-c'));
    const arrived = new Promise<number>((resolve) => {
      dev.handleMessage = (p, done) => {
        resolve(p.payload.length);
        done();
      };
    });
    const svc = lean(SERVICE.name, { clean: true });
    await next(svc, 'connect');
    await publish(svc, `certfleet/${TENANT}/device/lean-c/in/pkcs12/p/20`, Buffer.alloc(1024 * 1024, 7));
    expect(await arrived).toBe(1024 * 1024);
    expect(reads).toBeGreaterThan(1);
  });

  it('holds what one turn writes and lets it go after the turn: one system write, same packets in the same order', async () => {
    const dev = lean('lean-b', { clean: true });
    await next(dev, 'connect');
    await subscribe(dev, deviceInbox(TENANT, 'lean-b'));
    const got: string[] = [];
    const all = new Promise<void>((resolve) => {
      dev.handleMessage = (p, done) => {
        got.push(p.payload.toString());
        done();
        if (got.length === 40) resolve();
      };
    });
    const svc = lean(SERVICE.name, { clean: true });
    await next(svc, 'connect');
    const socket = svc.stream;
    if (!socket) throw new Error('no socket');
    let systemWrites = 0;
    const s = socket as unknown as { _write: unknown; _writev: unknown };
    for (const k of ['_write', '_writev'] as const) {
      const original = s[k] as (...a: unknown[]) => unknown;
      s[k] = function (this: unknown, ...a: unknown[]) {
        systemWrites++;
        return original.apply(this, a);
      };
    }
    const sent = Array.from({ length: 40 }, (_, i) => `m-${String(i).padStart(2, '0')}`);
    const acked = sent.map(
      (m) =>
        new Promise<void>((resolve, reject) =>
          svc.publish(`certfleet/${TENANT}/device/lean-b/in/none/p/${m}`, Buffer.from(m), { qos: 1 }, (e) =>
            e ? reject(e) : resolve(),
          ),
        ),
    );
    // held for the rest of this turn
    expect(socket.writableCorked).toBe(1);
    expect(systemWrites).toBe(0);
    await new Promise((resolve) => setImmediate(resolve));
    expect(socket.writableCorked).toBe(0);
    expect(systemWrites).toBe(1);
    await Promise.all(acked);
    await all;
    expect(got).toEqual(sent);
  });

  it.runIf(row.subackRefusesForeignInbox)(
    'turns a SUBACK failure (0x80) into TRANSPORT_SUBSCRIBE_REFUSED',
    async () => {
      const raw = lean('lean-a', { clean: true });
      await next(raw, 'connect');
      expect((await subscribe(raw, deviceInbox(TENANT, 'lean-b'))).map((g) => g.qos)).toEqual([0x80]);
      raw.end(true);
      const t = await connectMqtt({
        url: broker.url,
        clientId: 'lean-a',
        username: 'lean-a',
        password: devicePassword('lean-a'),
        clean: true,
        client: 'lean',
      });
      try {
        const err = await t
          .subscribe(deviceInbox(TENANT, 'lean-b'), () => undefined)
          .catch((e: unknown) => e);
        expect(isCertfleetError(err, 'TRANSPORT_SUBSCRIBE_REFUSED')).toBe(true);
        expect((err as Error).message).toContain('SUBACK 0x80');
      } finally {
        await t.close();
      }
    },
  );

  it('is refused (TRANSPORT_PROTOCOL) for TLS and for MQTT 5, which stay on mqtt.js', async () => {
    for (const o of [
      { url: broker.url.replace(/^mqtt:/, 'mqtts:'), protocolVersion: 4 as const },
      { url: broker.url, protocolVersion: 5 as const },
    ]) {
      const err = await connectMqtt({ ...o, clientId: 'lean-a', client: 'lean' }).catch((e: unknown) => e);
      expect(isCertfleetError(err, 'TRANSPORT_PROTOCOL')).toBe(true);
    }
  });
});
