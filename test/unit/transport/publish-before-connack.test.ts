/**
 * A PUBLISH that a broker writes on a new connection before that connection's CONNACK (mqtt-transport.ts
 * `#epoch`). aedes does it when a persistent session comes back: the session's subscriptions are live
 * again before the CONNACK is written, so a message published in that moment goes out first. Seen in the
 * split fleet after a broker SIGKILL and restart (test/e2e/issue10-faults.test.ts): the service's
 * transport took the message for one of the earlier connection, dropped it at the CONNACK to wait for a
 * redelivery that never came (the broker had delivered it on this very connection), and the run's clock
 * stopped with the message counted in flight for good.
 *
 * A scripted broker (node:net and mqtt-packet, what a broker writes is the point here) drives both MQTT
 * clients the transport can run on: connection 1 is a fresh session; it is cut; connection 2 answers the
 * CONNECT with a PUBLISH first and the CONNACK (session present) after it.
 */
import { createServer, type Server, type Socket } from 'node:net';
import mqttPacket, { type Packet } from 'mqtt-packet';
import { afterEach, describe, expect, it } from 'vitest';
import { DeviceLedger } from '../../../protocol/transport/device-ledger.ts';
import { connectMqtt } from '../../../protocol/transport/mqtt-transport.ts';
import type { Transport } from '../../../protocol/transport/transport.ts';
import { deviceInbox, enrolledTopic } from '../../../protocol/wire/topics.ts';
import { waitForState } from '../../e2e/fixtures/cli-process.ts';

const TENANT = 'contoso';
const DEVICE = 'd-early';
const TOPIC = enrolledTopic(TENANT, DEVICE);

/** The scripted broker: what each connection does, and every PUBACK it read (connection number, id). */
async function scriptedBroker(): Promise<{
  port: number;
  pubacks: Array<[number, number]>;
  cut: () => void;
  server: Server;
}> {
  const pubacks: Array<[number, number]> = [];
  const sockets: Socket[] = [];
  let connections = 0;
  const server = createServer((socket) => {
    const n = ++connections;
    sockets.push(socket);
    const parser = mqttPacket.parser({ protocolVersion: 4 });
    const send = (p: Packet): void => {
      socket.write(mqttPacket.generate(p, { protocolVersion: 4 }));
    };
    const publish = (messageId: number, text: string): void =>
      send({
        cmd: 'publish',
        topic: TOPIC,
        payload: Buffer.from(text),
        qos: 1,
        dup: false,
        retain: false,
        messageId,
      });
    parser.on('packet', (p: Packet) => {
      if (p.cmd === 'connect' && n === 1) send({ cmd: 'connack', returnCode: 0, sessionPresent: false });
      if (p.cmd === 'connect' && n === 2) {
        // the message first, then the CONNACK: what aedes writes when a publish meets a session coming back
        publish(2, 'delivered before the CONNACK');
        send({ cmd: 'connack', returnCode: 0, sessionPresent: true });
      }
      if (p.cmd === 'subscribe') {
        send({ cmd: 'suback', messageId: p.messageId, granted: p.subscriptions.map(() => 1) });
        publish(1, 'on the first connection');
      }
      if (p.cmd === 'puback') pubacks.push([n, p.messageId as number]);
      if (p.cmd === 'pingreq') send({ cmd: 'pingresp' });
    });
    socket.on('data', (b) => parser.parse(b));
    socket.on('error', () => undefined);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  return { port, pubacks, server, cut: () => sockets.at(-1)?.destroy() };
}

describe.each(['lean', 'mqtt.js'] as const)(
  "a PUBLISH before its connection's CONNACK (%s client)",
  (client) => {
    let transport: Transport | undefined;
    let server: Server | undefined;
    afterEach(async () => {
      await transport?.close();
      await new Promise((r) => server?.close(r));
    });

    it('is handled once and acknowledged on that connection; the ledger ends with nothing in progress', async () => {
      const broker = await scriptedBroker();
      server = broker.server;
      const ledger = new DeviceLedger({ tenant: TENANT, side: 'device' });
      const handled: string[] = [];
      transport = await connectMqtt({
        url: `mqtt://127.0.0.1:${broker.port}`,
        clientId: DEVICE,
        client,
        ledger,
        reconnectPeriodMs: 20,
      });
      await transport.subscribe(deviceInbox(TENANT, DEVICE), async (m) => {
        handled.push(m.payload.toString());
      });
      // bounded only against a hang (the failure names what never happened); never a timing assertion
      await waitForState(
        'the first message handled and acknowledged',
        () => broker.pubacks.some(([n, id]) => n === 1 && id === 1),
        10_000,
      );
      broker.cut();
      await waitForState(
        'the early message acknowledged on connection 2',
        () => broker.pubacks.some(([n, id]) => n === 2 && id === 2),
        10_000,
      );
      expect(handled).toEqual(['on the first connection', 'delivered before the CONNACK']);
      expect(ledger.inProgress()).toBe(0);
      expect(ledger.counts(DEVICE)).toEqual({ sent: 0, handled: 2 });
    });
  },
);
