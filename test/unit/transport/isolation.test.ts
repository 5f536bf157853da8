/**
 * Issue 10 point 6: broker isolation on every broker. A device that logs in with its own credentials but
 * another device's client id cannot take that device's session (the victim's queued messages survive),
 * and a retained message a device publishes is not replayed to a later subscriber.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { connectMqtt, type MqttTransportOptions } from '../../../protocol/transport/mqtt-transport.ts';
import type { Transport, TransportMessage } from '../../../protocol/transport/transport.ts';
import { deviceInbox, deviceOutTopic, enrolledTopic } from '../../../protocol/wire/topics.ts';
import { isCertfleetError } from '../../../pki/errors.ts';
import { waitForState } from '../../e2e/fixtures/cli-process.ts';
import { BROKERS, TENANT, type TestBroker } from './brokers.ts';

const ACCOUNTS = [
  { role: 'service' as const, name: 'svc', password: 'svc-secret' },
  { role: 'service' as const, name: 'svc-late', password: 'svc-secret' },
  { role: 'device' as const, name: 'victim', password: 'victim-secret' },
  { role: 'device' as const, name: 'thief', password: 'thief-secret' },
  { role: 'device' as const, name: 'planter', password: 'planter-secret' },
  { role: 'device' as const, name: 'marker', password: 'marker-secret' },
];
const passwordOf = (name: string): string => ACCOUNTS.find((a) => a.name === name)!.password;

describe.each(BROKERS)('issue 10: broker isolation ($name)', (row) => {
  let broker: TestBroker | undefined;
  const open: Transport[] = [];
  afterEach(async () => {
    for (const t of open.splice(0)) await t.close().catch(() => undefined);
    await broker?.close();
    broker = undefined;
  });

  async function connect(
    login: string,
    o: Partial<MqttTransportOptions> & { clientId?: string } = {},
  ): Promise<Transport> {
    const t = await connectMqtt({
      url: broker!.url,
      clientId: login,
      username: login,
      password: passwordOf(login),
      ackTimeoutMs: 5000,
      reconnectPeriodMs: 50,
      ...o,
    });
    open.push(t);
    return t;
  }

  it.skipIf(row.skip !== undefined)(
    `issue 10 (${row.name}): a device with another device's client id cannot take its session; the victim's queued messages survive`,
    async () => {
      broker = await row.start(ACCOUNTS);
      const received: string[] = [];
      const handler = async (m: TransportMessage): Promise<void> => void received.push(m.payload.toString());
      // the victim subscribes with a persistent session, then goes offline
      const victim = await connect('victim', {
        subscriptions: [{ filter: deviceInbox(TENANT, 'victim'), handler }],
      });
      await victim.close();
      open.splice(open.indexOf(victim), 1);
      const svc = await connect('svc');
      for (const n of ['q1', 'q2', 'q3']) await svc.publish(enrolledTopic(TENANT, 'victim'), Buffer.from(n));

      // the thief logs in as itself but asks for the victim's client id, with a clean session (which, if
      // it got the victim's session, would discard it and its queue)
      const stolen: string[] = [];
      const attempt = await connectMqtt({
        url: broker.url,
        clientId: 'victim',
        username: 'thief',
        password: passwordOf('thief'),
        clean: true,
        ackTimeoutMs: 5000,
        reconnectPeriodMs: 50,
        subscriptions: [
          {
            filter: deviceInbox(TENANT, 'victim'),
            handler: async (m) => void stolen.push(m.payload.toString()),
          },
        ],
      }).then(
        (t) => {
          open.push(t);
          return t;
        },
        (err: unknown) => err,
      );
      if (row.name !== 'mosquitto') {
        // aedes (in this process or a child) refuses the login outright (CONNACK 2: identifier rejected)
        expect(isCertfleetError(attempt, 'TRANSPORT_NOT_AUTHORIZED')).toBe(true);
      } else {
        // Mosquitto replaces the client id with the user name (use_username_as_clientid): the thief gets its
        // own session, and its subscription to the victim's inbox is never served (ACL: read own only)
        expect(isCertfleetError(attempt)).toBe(false);
        await (attempt as Transport).close();
      }

      // the victim comes back: every queued message is still there
      await connect('victim', { subscriptions: [{ filter: deviceInbox(TENANT, 'victim'), handler }] });
      await waitForState('the three queued messages', () => received.length >= 3, 10_000);
      expect(received).toEqual(['q1', 'q2', 'q3']);
      expect(stolen).toEqual([]);
    },
    60_000,
  );

  it.skipIf(row.skip !== undefined)(
    `issue 10 (${row.name}): a retained message published by a device is not replayed to a later subscriber`,
    async () => {
      broker = await row.start(ACCOUNTS);
      const planter = await connect('planter', { ackTimeoutMs: 1500 });
      const planted = await planter
        .publish(deviceOutTopic(TENANT, 'planter', 'status'), Buffer.from('planted'), { retain: true })
        .then(
          () => 'acknowledged',
          (err: unknown) => (isCertfleetError(err) ? err.code : String(err)),
        );
      // aedes acknowledges and drops it (recorded as a denial); Mosquitto (retain_available false) closes
      // the connection, so the publish is never acknowledged
      expect(planted).toBe(row.name !== 'mosquitto' ? 'acknowledged' : 'TRANSPORT_TIMEOUT');
      if (row.name === 'embedded') {
        const denials = (
          broker as unknown as { denials: ReadonlyArray<{ clientId: string; reason: string }> }
        ).denials;
        expect(denials).toContainEqual(expect.objectContaining({ clientId: 'planter', reason: 'retain' }));
      }
      await planter.close();
      open.splice(open.indexOf(planter), 1);

      // a later service subscriber: a retained message would arrive right after its SUBACK, before the
      // marker another device publishes afterwards
      const seen: string[] = [];
      await connect('svc-late', {
        clean: true,
        subscriptions: [
          {
            filter: `certfleet/${TENANT}/device/+/out/#`,
            handler: async (m) => void seen.push(m.payload.toString()),
          },
        ],
      });
      const marker = await connect('marker');
      await marker.publish(deviceOutTopic(TENANT, 'marker', 'checkin'), Buffer.from('marker'));
      await waitForState('the marker', () => seen.includes('marker'), 10_000);
      expect(seen).toEqual(['marker']);
    },
    60_000,
  );
});
