/**
 * Issue 10 point 3 — a killed `serve` resumes: the coordinator's part. A coordinator is "killed" between
 * instants (its channel goes dead, its promise never settles); another one is started from the snapshot the
 * first saved (`onSnapshot`) with `resume`, over a new control channel, while the agent host that followed the
 * first is still running. What could be false:
 * - the host does not accept the resumed coordinator (another run id, or it waits for a join that never comes);
 * - the resumed coordinator waits for joins, starts over at the scenario's start, or skips the instant left;
 * - the host's next report does not carry every device's counts, so the resumed coordinator (which knows none)
 *   never sees the devices balance and the run stalls — the control run without them shows that it does;
 * - an `end` of another run id ends the host.
 */
import { describe, expect, it } from 'vitest';
import { isCertfleetError } from '../../../pki/errors.ts';
import { DeviceLedger } from '../../../protocol/transport/device-ledger.ts';
import { createRandom } from '../../../protocol/runtime/random.ts';
import { VirtualClock } from '../../../simulator/clock/virtual-clock.ts';
import type { ControlChannel } from '../../../simulator/engine/control-channel.ts';
import {
  Coordinator,
  type CoordinatorSnapshot,
  type LocalSide,
} from '../../../simulator/engine/coordinator.ts';
import { HostRunner, type HostLedger } from '../../../simulator/engine/host-runner.ts';
import { MemoryControlBus } from './memory-net.ts';

const TENANT = 'acme';
const T0 = Date.UTC(2025, 0, 1);
const HOUR = 3_600_000;
const DEVICE = 'dev-001';
const FAST = { resendMs: 50, maxPauseMs: 2, livenessMs: 10_000 };
const EXPECT = { shards: 1, digest: 'digest-1', seed: 'seed-1', devices: 1 };

/**
 * The coordinator's side: at 1 h and 2 h the service sends DEVICE one message (ledger only); at 3 h it has
 * a timer that sends nothing (an instant after the resume in which the device's counts do not change).
 */
function serviceSide(at: number): { local: LocalSide; ledger: DeviceLedger; clock: VirtualClock } {
  const clock = new VirtualClock(T0);
  clock.advanceTo(at);
  const ledger = new DeviceLedger({ tenant: TENANT, side: 'service' });
  for (const h of [1, 2]) {
    if (T0 + h * HOUR > at) clock.schedule(T0 + h * HOUR, () => ledger.sentTo(DEVICE));
  }
  clock.schedule(T0 + 3 * HOUR, () => undefined);
  const local: LocalSide = {
    advanceTo: (t) => clock.advanceTo(t),
    runDue: () => clock.runDue(),
    nextAt: () => clock.nextAtMs(),
    settle: async () => undefined,
    ledger,
  };
  return { local, ledger, clock };
}

/** A channel that goes dead on `kill()`: nothing more is published, and a publish never returns. */
function killable(inner: ControlChannel): { channel: ControlChannel; kill: () => void } {
  let dead = false;
  return {
    channel: {
      publish: (m) => (dead ? new Promise<void>(() => undefined) : inner.publish(m)),
      listen: (r) =>
        inner.listen({
          onHostMessage: (m) => (dead ? undefined : r.onHostMessage(m)),
          onInvalid: (e) => (dead ? undefined : r.onInvalid(e)),
        }),
    },
    kill: () => (dead = true),
  };
}

async function killAndResume(o: { fullCounts: boolean }): Promise<{
  snapshot: CoordinatorSnapshot;
  resumed: Promise<Awaited<ReturnType<Coordinator['run']>>>;
  host: Promise<Awaited<ReturnType<HostRunner['run']>>>;
  hostLedger: DeviceLedger;
  resumedLedger: DeviceLedger;
  bus: MemoryControlBus;
}> {
  const bus = new MemoryControlBus(createRandom('issue10-coordinator-resume'));
  // the host: at 1 h and 2 h its device handles the service's message (ledger only)
  const hostClock = new VirtualClock(T0);
  const hostLedger = new DeviceLedger({ tenant: TENANT, side: 'device' });
  for (const h of [1, 2]) hostClock.schedule(T0 + h * HOUR, () => hostLedger.handledFrom(DEVICE));
  const ledger: HostLedger = o.fullCounts
    ? hostLedger
    : {
        snapshotChanged: () => hostLedger.snapshotChanged(),
        inProgress: () => hostLedger.inProgress(),
        idle: () => hostLedger.idle(),
      };
  const runner = new HostRunner({
    channel: bus.host('host-0'),
    host: 'host-0',
    shard: { index: 0, count: 1 },
    digest: EXPECT.digest,
    seed: EXPECT.seed,
    devices: 1,
    clock: hostClock,
    ledger,
    limits: { joinRetryMs: 20, heartbeatMs: 1_000 },
  });
  const host = runner.run();

  // the first coordinator, killed once the instant at 2 h closed
  const first = serviceSide(T0);
  const dying = killable(bus.coordinator());
  const snapshots: CoordinatorSnapshot[] = [];
  void new Coordinator({
    channel: dying.channel,
    local: first.local,
    start: T0,
    end: T0 + 4 * HOUR,
    expect: EXPECT,
    runId: 'run-killed',
    limits: FAST,
    onSnapshot: (s) => {
      snapshots.push(s);
      if (s.t === T0 + 2 * HOUR) dying.kill();
    },
  }).run();
  for (let i = 0; i < 200 && !snapshots.some((s) => s.t === T0 + 2 * HOUR); i++) {
    await new Promise((r) => setTimeout(r, 10));
  }
  const snapshot = structuredClone(snapshots.at(-1) as CoordinatorSnapshot);
  expect(snapshot.t).toBe(T0 + 2 * HOUR);
  const saved = first.ledger.counts(DEVICE);

  // a stray coordinator of another run ends its run: not the host's
  await bus.coordinator().publish({
    type: 'end',
    run: 'run-other',
    t: T0,
    reason: 'error',
    message: 'another run',
    code: 'INTERNAL',
  });

  // the resumed coordinator: its service side restored (the saved counts, timers from 2 h on)
  const second = serviceSide(snapshot.t);
  second.ledger.restore([[DEVICE, saved]]);
  const resumed = new Coordinator({
    channel: bus.coordinator(),
    local: second.local,
    start: T0,
    end: T0 + 4 * HOUR,
    expect: EXPECT,
    limits: { ...FAST, stallWaves: 5, stallMs: 200 },
    resume: snapshot,
  }).run();
  return { snapshot, resumed, host, hostLedger, resumedLedger: second.ledger, bus };
}

describe('issue 10 point 3: a resumed coordinator goes on with the hosts of the killed one', () => {
  it('keeps the run id and the instant, the host follows it to the end with all its counts', async () => {
    const r = await killAndResume({ fullCounts: true });
    expect(r.snapshot.run).toBe('run-killed');
    expect(r.snapshot.hosts.map((h) => h.id)).toEqual(['host-0']);
    const result = await r.resumed;
    const ended = await r.host;
    expect(ended.reason).toBe('done');
    expect(result.stopped).toBe(false);
    expect(result.t).toBe(T0 + 4 * HOUR);
    // the instant at 3 h ran once, after the saved ones; the waves went on from the saved count
    expect(result.instants).toBe(r.snapshot.instants + 1);
    expect(result.waves).toBeGreaterThan(r.snapshot.waves);
    expect(r.resumedLedger.counts(DEVICE)).toEqual({ sent: 2, handled: 0 });
    expect(r.hostLedger.counts(DEVICE)).toEqual({ sent: 0, handled: 2 });
    // nothing but the saved run id reached the host after the kill, and the host did not join again
    const afterKill = r.bus.sent.slice(r.bus.sent.findIndex((m) => m.type === 'end'));
    const ctl = afterKill.filter((m) => m.type === 'start' || m.type === 'step' || m.type === 'probe');
    expect(ctl.length).toBeGreaterThan(0);
    expect(new Set(ctl.map((m) => ('run' in m ? m.run : '')))).toEqual(new Set(['run-killed']));
    expect(afterKill.some((m) => m.type === 'join')).toBe(false);
    // the first report to the resumed coordinator carried the device's counts, unchanged since the kill
    const report = afterKill.find((m) => m.type === 'report');
    expect(report && 'counters' in report ? report.counters[DEVICE] : undefined).toEqual([0, 2]);
  });

  it('without the full counts after `start` (control), the resumed coordinator cannot close an instant', async () => {
    const r = await killAndResume({ fullCounts: false });
    const failure = await r.resumed.then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(isCertfleetError(failure) && failure.code).toBe('RUN_STALLED');
    expect(String((failure as Error).message)).toContain(DEVICE);
  });
});
