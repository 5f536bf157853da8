/**
 * The fleet engine's state machines (coordinator.ts, host-runner.ts) over the in-memory broker and control
 * bus of memory-net.ts, which deliver in a seeded random order with random delays: the outcome of a run
 * must not depend on that order; an instant never closes while a message is in flight, even when every
 * host says it is idle; a host that never joins, a host that falls silent and a message that never
 * arrives end the run with a clear error naming them; a host killed and restarted rejoins at the current
 * instant and the run ends as if nothing had happened; one restarted while the key stores are collected
 * has them taken from its new process only.
 */
import { describe, expect, it } from 'vitest';
import { isCertfleetError } from '../../../pki/errors.ts';
import { createRandom } from '../../../protocol/runtime/random.ts';
import { encodeClockMessage, type StoresMessage } from '../../../protocol/wire/clock-messages.ts';
import { parseDeviceTopic } from '../../../protocol/wire/topics.ts';
import {
  HOUR,
  T0,
  TENANT,
  hostId,
  runFakeFleet,
  type FakeFleetHandle,
  type FakeFleetOptions,
  type FakeFleetOutcome,
} from './fake-fleet.ts';
import { MemoryBroker, MemoryControlBus, type Fate } from './memory-net.ts';
import type { TransportMessage } from '../../../protocol/transport/transport.ts';
import type { CoordinatorSnapshot } from '../../../simulator/engine/coordinator.ts';

/** Short liveness limits so that failures show in well under a second. */
const FAST = { resendMs: 50, maxPauseMs: 2 };

function world(
  seed: number,
  fate?: (from: string, to: string, m: TransportMessage) => Fate,
): Pick<FakeFleetOptions, 'connect' | 'control'> & { bus: MemoryControlBus; broker: MemoryBroker } {
  const rng = createRandom(`delivery/${seed}`);
  const broker = new MemoryBroker(rng.fork('broker'), fate);
  const bus = new MemoryControlBus(rng.fork('bus'));
  return {
    broker,
    bus,
    connect: (o) => broker.connect(o),
    control: { coordinator: async () => bus.coordinator(), host: async (id) => bus.host(id) },
  };
}

/** The parts of an outcome that must be the same in every delivery order. */
function comparable(o: FakeFleetOutcome): Omit<FakeFleetOutcome, 'waves' | 'result'> & { t: number } {
  return {
    instants: o.instants,
    serviceLog: o.serviceLog,
    deviceLogs: o.deviceLogs,
    serviceCounts: o.serviceCounts,
    hostCounts: o.hostCounts,
    t: o.result.t,
  };
}

describe('fleet engine: coordinator and hosts over a seeded random in-memory broker', () => {
  it('gives the same instants, logs and per-device counts for every delivery order (3 hosts, 7 devices)', async () => {
    const outcomes: FakeFleetOutcome[] = [];
    for (const seed of [1, 2, 3, 4]) {
      const { outcome } = await runFakeFleet({
        ...world(seed),
        shards: 3,
        devices: 7,
        coordinatorLimits: FAST,
      });
      outcomes.push(outcome);
    }
    const first = comparable(outcomes[0]!);
    // the run did something worth comparing: several instants, chains of answers, an offline device
    expect(first.instants.length).toBeGreaterThan(8);
    expect(first.serviceLog.length).toBeGreaterThan(40);
    expect(first.serviceLog.some((l) => l.includes('outcome:'))).toBe(true);
    expect(first.deviceLogs['dev-001']).toContain('05:00:00 got ping:' + pingNumber(first.serviceLog));
    expect(first.t).toBe(T0 + 10 * HOUR);
    // both sides agree on every device's counts once the run is over
    for (const [d, [sent, handled]] of Object.entries(first.serviceCounts)) {
      expect([d, first.hostCounts[d]]).toEqual([d, [handled, sent]]);
    }
    for (const o of outcomes.slice(1)) expect(comparable(o)).toEqual(first);
  });

  it("after the last instant, every host sends its devices' key stores, in parts and any delivery order, before end", async () => {
    const collected: string[][] = [];
    for (const seed of [21, 22]) {
      const w = world(seed);
      const got: string[] = [];
      const { outcome } = await runFakeFleet({
        ...w,
        shards: 3,
        devices: 7,
        coordinatorLimits: FAST,
        hostLimits: { storeItemsPerPart: 1 }, // one part per device: parts may arrive in any order
        onStores: (host, shard, items) => {
          for (const it of items) {
            got.push(`${host} ${shard.index}/${shard.count} ${it.deviceId} ${JSON.stringify(it.attrs)}`);
          }
        },
      });
      // each host's items, in shard order and in its devices' order, with what the devices did by the end
      const checkins = (d: string): number =>
        (outcome.deviceLogs[d] ?? []).filter((l) => l.includes(' got ack:')).length;
      expect(got.length).toBe(7);
      for (const line of got) {
        const [host, shard, device, attrs] = line.split(' ');
        expect(host).toBe(`host-${shard!.split('/')[0]}`);
        expect(Number(device!.slice(4)) % 3).toBe(Number(shard!.split('/')[0]));
        expect(JSON.parse(attrs!)).toEqual({ checkins: checkins(device!) });
      }
      // asked once the last instant closed, every part in before the hosts were told the run is over
      const kinds = w.bus.sent.map((m) => m.type);
      const collect = kinds.indexOf('collect');
      expect(collect).toBeGreaterThan(kinds.lastIndexOf('probe'));
      expect(kinds.lastIndexOf('stores')).toBeLessThan(kinds.indexOf('end'));
      expect(kinds.filter((k) => k === 'stores')).toHaveLength(7);
      collected.push(got);
    }
    expect(collected[1]).toEqual(collected[0]);
  });

  it('takes the key stores of a host restarted in the middle of the collection from its new incarnation only', async () => {
    const w = world(23);
    let fleet: FakeFleetHandle | undefined;
    let restarted: Promise<unknown> | undefined;
    const channels = new Map<string, number>();
    const control: FakeFleetOptions['control'] = {
      coordinator: w.control.coordinator,
      host: async (id) => {
        const inner = await w.control.host(id);
        const incarnation = (channels.get(id) ?? 0) + 1;
        channels.set(id, incarnation);
        if (id !== hostId(1)) return inner;
        if (incarnation === 2) {
          // its second process's part 0 arrives after its part 1: until then, the first process's part 0
          // must not complete the host's stores
          let held: StoresMessage | undefined;
          return {
            listen: (r) => inner.listen(r),
            send: async (m) => {
              if (m.type === 'stores' && m.part === 0 && held === undefined) {
                held = m;
                return;
              }
              await inner.send(m);
              if (m.type === 'stores' && held !== undefined) await inner.send(held);
            },
          };
        }
        // host-1's first process: it sends its first key-store part, then dies before the second
        let dead = false;
        return {
          listen: (r) => inner.listen(r),
          send: async (m) => {
            if (dead) return;
            await inner.send(m);
            if (m.type !== 'stores') return;
            dead = true;
            restarted = fleet!.hosts
              .get(1)!
              .kill()
              .then(() => fleet!.startHost(1));
          },
        };
      },
    };
    const got: string[] = [];
    await runFakeFleet({
      ...w,
      control,
      shards: 2,
      devices: 4,
      coordinatorLimits: FAST,
      hostLimits: { storeItemsPerPart: 1 },
      onInstant: (_s, f) => {
        fleet = f;
      },
      onStores: (host, _shard, items) => {
        for (const it of items) got.push(`${host} ${it.deviceId} ${JSON.stringify(it.attrs)}`);
      },
    });
    await restarted;
    // host-1 came back in the middle of the collection (a second process joined)
    expect(channels.get(hostId(1))).toBe(2);
    const sent = w.bus.sent.filter((m): m is StoresMessage => m.type === 'stores' && m.host === hostId(1));
    // one part of the first process, both parts (at least: an ask may be answered twice) of the second
    const fromFirst = sent.filter((m) => m.incarnation === sent[0]!.incarnation);
    const fromSecond = sent.filter((m) => m.incarnation !== sent[0]!.incarnation);
    expect(fromFirst.map((m) => m.part)).toEqual([0]);
    expect(new Set(fromSecond.map((m) => m.part))).toEqual(new Set([0, 1]));
    // one item per device, none twice: host-1's are its new process's (its counts start again at 0),
    // not the part its first process sent before it died (that one had check-ins)
    expect(got.map((l) => l.split(' ').slice(0, 2).join(' '))).toEqual([
      'host-0 dev-000',
      'host-0 dev-002',
      'host-1 dev-001',
      'host-1 dev-003',
    ]);
    expect(checkinsOf(got, 'dev-000')).toBeGreaterThan(0);
    expect(checkinsOf(got, 'dev-001')).toBe(0);
    expect(checkinsOf(got, 'dev-003')).toBe(0);
    expect(fromFirst[0]!.items[0]!.attrs.checkins).toBeGreaterThan(0); // what the first process had seen
  });

  it('closes instants as well with one confirming wave instead of two (same outcome, fewer waves)', async () => {
    const two = await runFakeFleet({
      ...world(5),
      shards: 3,
      devices: 7,
      coordinatorLimits: { ...FAST, confirmWaves: 2 },
    });
    const one = await runFakeFleet({
      ...world(6),
      shards: 3,
      devices: 7,
      coordinatorLimits: { ...FAST, confirmWaves: 1 },
    });
    expect(comparable(one.outcome)).toEqual(comparable(two.outcome));
    const sum = (xs: number[]): number => xs.reduce((a, b) => a + b, 0);
    expect(sum(one.outcome.waves)).toBeLessThan(sum(two.outcome.waves));
  });

  it("holding the service's sends until the hosts are at the instant: instants only the service has work at take no wave, same outcome", async () => {
    const stepped = await runFakeFleet({ ...world(12), shards: 3, devices: 7, coordinatorLimits: FAST });
    const held = await runFakeFleet({
      ...world(13),
      shards: 3,
      devices: 7,
      coordinatorLimits: FAST,
      holdOutbound: true,
    });
    expect(comparable(held.outcome)).toEqual(comparable(stepped.outcome));
    // the service's audits (no device hears of them) closed without a wave; without the hold, none did
    const audits = held.outcome.serviceLog.filter((l) => l.includes(' audit ')).length;
    expect(audits).toBe(4);
    expect(held.outcome.waves.filter((w) => w === 0).length).toBeGreaterThanOrEqual(audits);
    expect(stepped.outcome.waves.filter((w) => w === 0)).toEqual([]);
    const sum = (xs: number[]): number => xs.reduce((a, b) => a + b, 0);
    expect(sum(held.outcome.waves)).toBeLessThan(sum(stepped.outcome.waves));
    // a ping the service sent at an instant no host had a timer at still reached its device, at that instant
    expect(held.outcome.deviceLogs['dev-001']).toContain(
      '05:00:00 got ping:' + pingNumber(held.outcome.serviceLog),
    );
  });

  it('gives the same outcome with one host and with three (the split does not change what happens)', async () => {
    const one = await runFakeFleet({ ...world(7), shards: 1, devices: 7, coordinatorLimits: FAST });
    const three = await runFakeFleet({ ...world(8), shards: 3, devices: 7, coordinatorLimits: FAST });
    expect(comparable(three.outcome)).toEqual(comparable(one.outcome));
  });

  it('never closes an instant while a message is still in the broker, though every host reports idle', async () => {
    // Hold the service's first answer to dev-000 in the broker for 40 ms of wall time: dev-000's host has
    // nothing left to do and reports idle meanwhile; only the counters show the message is owed.
    let held = false;
    const w = world(11, (from, _to, m) => {
      const p = parseDeviceTopic(TENANT, m.topic);
      if (!held && from === 'svc' && p?.deviceId === 'dev-000' && p.direction === 'in') {
        held = true;
        return { hold: 40 };
      }
      return undefined;
    });
    let idleWhileInFlight = 0;
    const { outcome } = await runFakeFleet({
      ...w,
      shards: 2,
      devices: 4,
      coordinatorLimits: FAST,
      onReport: (r, service) => {
        if (r.host !== hostId(0) || !r.idle) return;
        if (w.broker.inTransit > 0 && service.counts('dev-000').sent > 0) idleWhileInFlight++;
      },
    });
    expect(held).toBe(true);
    expect(idleWhileInFlight).toBeGreaterThan(0);
    // the held answer was handled at the instant it was sent (enrolment at T0), not at a later one
    expect(outcome.deviceLogs['dev-000']?.[0]).toMatch(/^00:00:00 got ack:\d+$/);
    const baseline = await runFakeFleet({ ...world(12), shards: 2, devices: 4, coordinatorLimits: FAST });
    expect(comparable(outcome)).toEqual(comparable(baseline.outcome));
  });

  it('fails with HOST_MISSING naming the shard that never joined', async () => {
    const w = world(21);
    const started = Date.now();
    const error = await runFakeFleet({
      ...w,
      shards: 2,
      devices: 4,
      start: [0],
      coordinatorLimits: { ...FAST, joinTimeoutMs: 150 },
    }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(isCertfleetError(error, 'HOST_MISSING')).toBe(true);
    expect((error as Error).message).toMatch(/shard 1\/2 within/);
    expect((error as Error).message).toContain('joined: host-0 (0/2)');
    expect(Date.now() - started).toBeLessThan(5_000);
    // the host that joined was told the run is over
    expect(w.bus.sent.some((m) => m.type === 'end' && m.reason === 'error')).toBe(true);
  });

  it('fails with HOST_MISSING naming a host that falls silent mid-run', async () => {
    const w = world(22);
    const error = await runFakeFleet({
      ...w,
      shards: 2,
      devices: 4,
      coordinatorLimits: { ...FAST, livenessMs: 500 },
      // the healthy host says it is alive every 50 ms while it works, so only the silenced one is missed
      hostLimits: { heartbeatMs: 50 },
      onInstant: (s) => {
        if (s.t >= T0 + 2 * HOUR) w.bus.silenced.add(hostId(1));
      },
    }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(isCertfleetError(error, 'HOST_MISSING')).toBe(true);
    expect((error as Error).message).toMatch(/'host-1' \(shard 1\/2, silent for \d+ s\) stopped answering/);
  });

  it('issue 10: a stop request while a host is still missing ends the run at once, not at the join timeout', async () => {
    const w = world(24);
    const stop = new AbortController();
    const started = Date.now();
    const { outcome } = await runFakeFleet({
      ...w,
      shards: 2,
      devices: 4,
      start: [0],
      coordinatorLimits: { ...FAST, joinTimeoutMs: 60_000 },
      onHostJoined: () => stop.abort('SIGTERM'),
      signal: stop.signal,
    });
    expect(outcome.result).toMatchObject({ stopped: true, t: T0, instants: 0 });
    expect(outcome.instants).toEqual([]);
    expect(Date.now() - started).toBeLessThan(30_000);
    // the host that joined was told the run is over
    expect(w.bus.sent.some((m) => m.type === 'end' && m.reason === 'done')).toBe(true);
  });

  it('issue 10: a stop request while a silent host’s report is missing does not wait out its liveness limit', async () => {
    const w = world(25);
    const stop = new AbortController();
    let silencedAt: number | undefined;
    const started = Date.now();
    const { outcome } = await runFakeFleet({
      ...w,
      shards: 2,
      devices: 4,
      coordinatorLimits: { ...FAST, livenessMs: 120_000 },
      hostLimits: { heartbeatMs: 50 },
      signal: stop.signal,
      onInstant: (s, fleet) => {
        if (silencedAt === undefined && s.t >= T0 + 2 * HOUR) {
          silencedAt = s.t;
          // an agents process stopped first: gone from the bus, its runner ended
          w.bus.silenced.add(hostId(1));
          fleet.hosts.get(1)!.abort.abort(new Error('SIGINT on agents'));
        }
      },
      // then the stop request, while the coordinator collects the next wave (host-0 reported, host-1 not)
      onReport: () => {
        if (silencedAt !== undefined && !stop.signal.aborted) stop.abort('SIGTERM');
      },
    });
    expect(silencedAt).toBeDefined();
    expect(outcome.result.stopped).toBe(true);
    expect(outcome.result.t).toBeGreaterThanOrEqual(silencedAt!);
    expect(outcome.result.t).toBeLessThan(T0 + 10 * HOUR);
    expect(Date.now() - started).toBeLessThan(60_000);
  });

  it('does not count a long settle of the service side against the hosts’ liveness', async () => {
    let slow = 2;
    const { outcome } = await runFakeFleet({
      ...world(23),
      shards: 2,
      devices: 4,
      coordinatorLimits: { ...FAST, livenessMs: 150 },
      hostLimits: { heartbeatMs: 50 },
      // the first two settles take twice the liveness limit (key generation for a whole wave, say)
      beforeSettle: async () => {
        if (slow-- > 0) await new Promise((r) => setTimeout(r, 300));
      },
    });
    expect(outcome.result.t).toBe(T0 + 10 * HOUR);
  });

  it('fails with RUN_STALLED naming the device whose message never arrives', async () => {
    let dropped = false;
    const error = await runFakeFleet({
      ...world(31, (from, _to, m) => {
        const p = parseDeviceTopic(TENANT, m.topic);
        if (!dropped && from === 'svc' && p?.deviceId === 'dev-002' && p.direction === 'in') {
          dropped = true;
          return 'drop';
        }
        return undefined;
      }),
      shards: 2,
      devices: 4,
      coordinatorLimits: { ...FAST, stallWaves: 5, stallMs: 100 },
    }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(dropped).toBe(true);
    expect(isCertfleetError(error, 'RUN_STALLED')).toBe(true);
    expect((error as Error).message).toContain(
      'device dev-002 (host host-0): the service sent it 1 message(s), its host handled 0',
    );
  });

  it('ends the run with CLOCK_PROTOCOL when a host sends a malformed report', async () => {
    const w = world(41);
    const error = await runFakeFleet({
      ...w,
      shards: 2,
      devices: 4,
      coordinatorLimits: FAST,
      onInstant: (s) => {
        if (s.instants === 2)
          w.bus.injectFromHost(hostId(1), Buffer.from('{"v":1,"type":"report","host":"host-1"}'));
      },
    }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(isCertfleetError(error, 'CLOCK_PROTOCOL')).toBe(true);
    expect((error as Error).message).toMatch(/incarnation is missing/);
  });

  it('ends the run with CLOCK_PROTOCOL when a host joins with another seed', async () => {
    const w = world(42);
    // shard 1's host joins with another seed while the coordinator waits for it
    const timer = setTimeout(
      () =>
        w.bus.injectFromHost(
          'host-9',
          encodeClockMessage({
            type: 'join',
            host: 'host-9',
            shard: { index: 1, count: 2 },
            digest: 'digest-1',
            seed: 'another-seed',
            devices: 4,
            incarnation: 'x',
          }),
        ),
      50,
    );
    const error = await runFakeFleet({
      ...w,
      shards: 2,
      devices: 4,
      start: [0],
      coordinatorLimits: { ...FAST, joinTimeoutMs: 10_000 },
    }).then(
      () => undefined,
      (e: unknown) => e,
    );
    clearTimeout(timer);
    expect(isCertfleetError(error, 'CLOCK_PROTOCOL')).toBe(true);
    expect((error as Error).message).toContain('"another-seed"');
  });

  it('takes back a host killed between instants: it rejoins at the current instant and the run ends as without the kill', async () => {
    const baseline = await runFakeFleet({ ...world(51), shards: 2, devices: 4, coordinatorLimits: FAST });
    let killedAt: number | undefined;
    let restarted: Promise<{ startedAt: () => number | undefined }> | undefined;
    const joins: string[] = [];
    const snapshots: CoordinatorSnapshot[] = [];
    const { outcome } = await runFakeFleet({
      ...world(52),
      shards: 2,
      devices: 4,
      coordinatorLimits: FAST,
      onSnapshot: (s) => snapshots.push(structuredClone(s)),
      onHostJoined: (id, shard, rejoined) =>
        joins.push(`${id} ${shard.index}/${shard.count}${rejoined ? ' again' : ''}`),
      onInstant: (s, fleet) => {
        if (killedAt !== undefined || s.t < T0 + 4 * HOUR) return;
        killedAt = s.t;
        const old = fleet.hosts.get(1)!;
        restarted = old.kill().then(async () => {
          const host = await fleet.startHost(1);
          return { startedAt: () => host.startedAt };
        });
      },
    });
    expect(killedAt).toBeDefined();
    expect(joins.sort()).toEqual(['host-0 0/2', 'host-1 1/2', 'host-1 1/2 again']);
    const host = await restarted!;
    // welcomed back at the instant after the one it was killed at, not at the start of the run
    expect(host.startedAt()).toBeGreaterThan(killedAt!);
    expect(comparable(outcome).deviceLogs).toEqual(comparable(baseline.outcome).deviceLogs);
    expect(outcome.serviceLog).toEqual(baseline.outcome.serviceLog);
    expect(outcome.instants).toEqual(baseline.outcome.instants);
    // the rejoined host's devices carry offsets from then on (its counts restarted at 0), and every
    // snapshot after the rejoin saves them for a resumed coordinator; none before
    const before = snapshots.filter((s) => s.t <= killedAt!);
    expect(before.length).toBeGreaterThan(0);
    for (const s of before) expect(s.bases).toEqual({});
    const last = snapshots.at(-1)!;
    expect(Object.keys(last.bases).length).toBeGreaterThan(0);
    for (const [, [inBase, outBase, owner]] of Object.entries(last.bases)) {
      expect(owner).toBe('host-1');
      expect(inBase + outBase).toBeGreaterThan(0);
    }
  });
});

/** The number the service put in its 4 h ping to dev-001 (queued while dev-001 is offline). */
function pingNumber(serviceLog: string[]): string {
  const line = serviceLog.find((l) => l.startsWith('04:00:00 ping dev-001'));
  return line?.split('#')[1] ?? '?';
}

/** The check-ins a collected line of `got` carries for device `d`. */
function checkinsOf(got: string[], d: string): number {
  const line = got.find((l) => l.split(' ')[1] === d);
  return line === undefined ? -1 : (JSON.parse(line.split(' ')[2]!) as { checkins: number }).checkins;
}
