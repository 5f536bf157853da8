/**
 * The quiescence counter: per-recipient counting, ACL-aware, offline clients, and — over the embedded
 * broker — settling only after the handlers (and what they published in turn) ran.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InFlight } from '../../../protocol/transport/in-flight.ts';
import { connectMqtt } from '../../../protocol/transport/mqtt-transport.ts';
import { aclInFlightOptions } from '../../../protocol/wire/topic-acl.ts';
import type { Transport } from '../../../protocol/transport/transport.ts';
import { startEmbeddedBroker, type EmbeddedBroker } from '../../../simulator/broker/embedded-broker.ts';
import { TENANT } from './brokers.ts';

const identityOf = (id: string) =>
  id === 'svc' ? ({ role: 'service', name: 'svc' } as const) : ({ role: 'device', name: id } as const);

describe('InFlight counting (no broker)', () => {
  it.each([
    { topic: 'certfleet/acme/device/d1/in/enrolled', publisher: 'svc', expected: { d1: 1, d2: 0, svc: 0 } },
    { topic: 'certfleet/acme/device/d2/in/enrolled', publisher: 'svc', expected: { d1: 0, d2: 1, svc: 0 } },
    { topic: 'certfleet/acme/device/d1/out/checkin', publisher: 'd1', expected: { d1: 0, d2: 0, svc: 1 } },
    // refused by the broker: d1 may not publish as d2
    { topic: 'certfleet/acme/device/d2/out/checkin', publisher: 'd1', expected: { d1: 0, d2: 0, svc: 0 } },
    // d2 subscribed a wildcard Mosquitto would grant, but d1's inbox is never delivered to it
    { topic: 'certfleet/acme/device/d1/in/remove/p', publisher: 'svc', expected: { d1: 1, d2: 0, svc: 0 } },
  ])('$publisher → $topic counts $expected', ({ topic, publisher, expected }) => {
    const f = new InFlight(aclInFlightOptions(TENANT, identityOf));
    f.subscribed('d1', 'certfleet/acme/device/d1/in/#');
    f.subscribed('d2', 'certfleet/acme/device/d2/in/#');
    f.subscribed('d2', 'certfleet/acme/device/+/in/#');
    f.subscribed('svc', 'certfleet/acme/device/+/out/#');
    f.published(publisher, topic);
    expect({
      d1: f.count({ clientId: 'd1' }),
      d2: f.count({ clientId: 'd2' }),
      svc: f.count({ clientId: 'svc' }),
    }).toEqual(expected);
  });

  it('the prefix index finds every filter shape (none, +, #, exact, root wildcard) once per client, and forgets', () => {
    const f = new InFlight();
    f.subscribed('exact', 'a/b/c');
    f.subscribed('plus', 'a/+/c');
    f.subscribed('hash', 'a/b/#');
    f.subscribed('root', '#');
    f.subscribed('rootPlus', '+/b/c');
    f.subscribed('other', 'a/x/#');
    f.subscribed('twice', 'a/#');
    f.subscribed('twice', 'a/b/+'); // two matching filters: one delivery
    f.published('p', 'a/b/c');
    const counts = (ids: string[]) => Object.fromEntries(ids.map((id) => [id, f.count({ clientId: id })]));
    const ids = ['exact', 'plus', 'hash', 'root', 'rootPlus', 'other', 'twice'];
    expect(counts(ids)).toEqual({ exact: 1, plus: 1, hash: 1, root: 1, rootPlus: 1, other: 0, twice: 1 });
    f.forget('hash');
    f.published('p', 'a/b/c');
    expect(counts(ids)).toEqual({ exact: 2, plus: 2, hash: 0, root: 2, rootPlus: 2, other: 0, twice: 2 });
    f.subscribed('hash', 'a/b/#'); // subscribed again after a forget: counted afresh
    f.published('p', 'a/b/d');
    expect(counts(ids)).toEqual({ exact: 2, plus: 2, hash: 1, root: 3, rootPlus: 2, other: 0, twice: 3 });
  });

  it('settles except for offline clients, and never counts below zero', async () => {
    const f = new InFlight();
    f.subscribed('a', 'x/#');
    f.subscribed('b', 'y/#');
    f.published('p', 'x/1');
    f.published('p', 'y/1');
    f.setOnline('b', false);
    let all = false;
    void f.settled().then(() => (all = true));
    let online = false;
    void f.settled({ exceptOffline: true }).then(() => (online = true));
    for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
    expect(online).toBe(false); // a is online and still pending
    f.handled('a');
    await f.settled({ exceptOffline: true });
    expect(online).toBe(true);
    expect(all).toBe(false);
    expect(f.pendingClients()).toEqual(['b']);
    f.handled('b');
    f.handled('b'); // a QoS 1 duplicate
    expect(f.count()).toBe(0);
    await f.settled();
    expect(all).toBe(true);
  });
});

describe('InFlight sums (kept as they change, not counted each time)', () => {
  it('count() equals the sum of every client, and of the online ones, through a seeded mix of changes', () => {
    const f = new InFlight();
    const ids = ['a', 'b', 'c', 'd'];
    for (const id of ids) f.subscribed(id, `t/${id}/#`);
    f.subscribed('c', 't/+/shared');
    // a small seeded generator (the sequence is the same every run)
    let seed = 7;
    const next = (n: number): number => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed % n;
    };
    const online = new Map(ids.map((id) => [id, true]));
    const recount = (exceptOffline: boolean): number =>
      [...online.keys()]
        .filter((id) => !exceptOffline || online.get(id))
        .reduce((n, id) => n + f.count({ clientId: id }), 0);
    let sawOfflinePending = false;
    for (let step = 0; step < 400; step++) {
      const id = ids[next(ids.length)]!;
      const op = next(6);
      if (op <= 1) f.published('p', next(3) === 0 ? `t/${id}/shared` : `t/${id}/x`);
      else if (op === 2) f.handled(id);
      else if (op === 3) f.cancelled('p', `t/${id}/x`);
      else if (op === 4) {
        const on = next(2) === 0;
        f.setOnline(id, on);
        if (online.has(id)) online.set(id, on);
      } else if (op === 5 && id === 'd' && next(10) === 0) {
        f.forget('d');
        online.delete('d');
      }
      if (!online.get('a') && f.count({ clientId: 'a' }) > 0) sawOfflinePending = true;
      expect(f.count()).toBe(recount(false));
      expect(f.count({ exceptOffline: true })).toBe(recount(true));
    }
    // the mix reached the cases the sums must follow
    expect(sawOfflinePending).toBe(true);
    expect(f.count()).toBeGreaterThan(0);
  });
});

describe('InFlight over the embedded broker', () => {
  let broker: EmbeddedBroker;
  const open: Transport[] = [];
  beforeAll(async () => {
    broker = await startEmbeddedBroker({
      tenant: TENANT,
      credentials: [
        { role: 'service', name: 'svc', password: 's' },
        { role: 'device', name: 'd1', password: 'd' },
      ],
    });
  });
  afterAll(async () => {
    for (const t of open) await t.close();
    await broker?.close();
  });

  it('settles only after the device handler and the service handler of its reply both finished', async () => {
    const f = new InFlight(aclInFlightOptions(TENANT, identityOf));
    const svc = await connectMqtt({
      url: broker.url,
      clientId: 'svc',
      username: 'svc',
      password: 's',
      inFlight: f,
    });
    const dev = await connectMqtt({
      url: broker.url,
      clientId: 'd1',
      username: 'd1',
      password: 'd',
      inFlight: f,
    });
    open.push(svc, dev);
    const steps: string[] = [];
    await dev.subscribe('certfleet/acme/device/d1/in/#', async (m) => {
      for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r)); // a slow install
      steps.push(`device handled ${m.payload.toString()}`);
      await dev.publish('certfleet/acme/device/d1/out/status/p1', Buffer.from('installed'));
    });
    await svc.subscribe('certfleet/acme/device/+/out/#', async (m) => {
      await new Promise((r) => setTimeout(r, 20));
      steps.push(`service handled ${m.payload.toString()}`);
    });
    await svc.publish('certfleet/acme/device/d1/in/enrolled', Buffer.from('one'));
    await svc.publish('certfleet/acme/device/d1/in/enrolled', Buffer.from('two'));
    await f.settled();
    // all four handlers finished before settled() resolved; their interleaving is the machine's (the
    // device's second install may finish before or after the service handled the first answer)
    expect([...steps].sort()).toEqual([
      'device handled one',
      'device handled two',
      'service handled installed',
      'service handled installed',
    ]);
    expect(steps.filter((s) => s.startsWith('device'))).toEqual(['device handled one', 'device handled two']);
    expect(f.count()).toBe(0);
  });
});
