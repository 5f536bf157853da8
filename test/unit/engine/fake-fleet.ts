/**
 * A small fleet for the fleet engine's tests, independent of the real service and agent: a fake service
 * (coordinator side, behind a RoundGate) and fake devices spread over K hosts, talking over whatever
 * `connect` gives (the in-memory broker of memory-net.ts, or real MQTT), driven by a Coordinator and K
 * HostRunners over whatever control channels are given.
 *
 * What makes it a test of the engine: the service numbers every message it handles (`#served`) and puts
 * the number in its answers, and a device decides from that number whether to answer again at once, later
 * in the same instant (a timer at now), or not at all. So the service's order of handling, the devices'
 * logs and the number of waves per instant all depend on the engine closing instants correctly and on the
 * canonical inbox order — and differ if a message slips into the wrong instant or the wrong place.
 */
import type { TransportLedger } from '../../../protocol/transport/device-ledger.ts';
import { DeviceLedger, type DeviceCounts } from '../../../protocol/transport/device-ledger.ts';
import { RoundGate } from '../../../protocol/transport/round-gate.ts';
import type { MessageHandler, Transport, TransportMessage } from '../../../protocol/transport/transport.ts';
import {
  deviceInbox,
  deviceOutTopic,
  enrolledTopic,
  parseDeviceTopic,
  tenantRoot,
} from '../../../protocol/wire/topics.ts';
import { VirtualClock } from '../../../simulator/clock/virtual-clock.ts';
import type { ControlChannel, HostControlChannel } from '../../../simulator/engine/control-channel.ts';
import {
  Coordinator,
  type CoordinatorLimits,
  type CoordinatorOptions,
  type CoordinatorResult,
  type CoordinatorSnapshot,
  type InstantClosed,
} from '../../../simulator/engine/coordinator.ts';
import {
  HostRunner,
  type HostRunnerLimits,
  type HostRunResult,
} from '../../../simulator/engine/host-runner.ts';
import type { ReportMessage } from '../../../protocol/wire/clock-messages.ts';

export const TENANT = 'acme';
export const T0 = Date.UTC(2025, 0, 1);
export const HOUR = 3_600_000;

/** Connects one client of the fake fleet. */
export type Connect = (o: {
  clientId: string;
  role: 'service' | 'device';
  ledger?: TransportLedger;
  subscriptions?: ReadonlyArray<{ filter: string; handler: MessageHandler }>;
}) => Promise<Transport>;

/** Makes the control channels. */
export interface ControlFactory {
  coordinator(): Promise<ControlChannel>;
  host(hostId: string): Promise<HostControlChannel>;
}

const iso = (t: number): string => new Date(t).toISOString().slice(11, 19);
export const deviceId = (i: number): string => `dev-${String(i).padStart(3, '0')}`;
export const hostId = (shard: number): string => `host-${shard}`;

/** Offline windows of the fake fleet: dev-001 is offline from 3 h to 5 h. */
export const OFFLINE: Record<string, [number, number]> = { 'dev-001': [T0 + 3 * HOUR, T0 + 5 * HOUR] };

export function isOnline(d: string, t: number): boolean {
  const w = OFFLINE[d];
  return !w || t < w[0] || t >= w[1];
}

/** What persists of a device across a host restart (its "key store"). */
export interface DeviceState {
  log: string[];
}

class FakeDevice {
  readonly id: string;
  readonly index: number;
  readonly #clock: VirtualClock;
  readonly #ledger: DeviceLedger;
  readonly #connect: Connect;
  readonly state: DeviceState;
  #transport: Transport | undefined;
  #checkins = 0;

  constructor(
    index: number,
    clock: VirtualClock,
    ledger: DeviceLedger,
    connect: Connect,
    state: DeviceState,
  ) {
    this.index = index;
    this.id = deviceId(index);
    this.#clock = clock;
    this.#ledger = ledger;
    this.#connect = connect;
    this.state = state;
  }

  async connect(): Promise<void> {
    this.#transport = await this.#connect({
      clientId: this.id,
      role: 'device',
      ledger: this.#ledger,
      subscriptions: [{ filter: deviceInbox(TENANT, this.id), handler: (m) => this.#onMessage(m) }],
    });
  }

  async close(): Promise<void> {
    const t = this.#transport;
    this.#transport = undefined;
    await t?.close();
  }

  #now(): string {
    return iso(this.#clock.nowMs());
  }

  async #send(kind: 'enroll' | 'checkin' | 'status' | 'outcome', text: string): Promise<void> {
    if (!this.#transport) {
      this.state.log.push(`${this.#now()} offline, not sent: ${kind} ${text}`);
      return;
    }
    await this.#transport.publish(
      deviceOutTopic(TENANT, this.id, kind, kind === 'status' || kind === 'outcome' ? 'p1' : undefined),
      Buffer.from(text),
    );
  }

  /** Schedules everything from `from` on (a restarted host replans from the instant it rejoins at). */
  plan(from: number): void {
    const key = this.id;
    const at = (t: number, fn: () => Promise<void>): void => {
      if (t >= from) this.#clock.schedule(t, fn, key);
    };
    at(T0 + (this.index % 3) * HOUR, () => this.#send('enroll', 'enroll'));
    for (let k = 0; k < 5; k++) {
      at(T0 + 30 * 60_000 * (this.index % 2) + k * 2 * HOUR, () => this.#send('checkin', `checkin:${k}`));
    }
    const w = OFFLINE[this.id];
    if (w) {
      at(w[0], () => this.close());
      at(w[1], () => this.connect());
    }
  }

  async #onMessage(m: TransportMessage): Promise<void> {
    const text = m.payload.toString();
    this.state.log.push(`${this.#now()} got ${text}`);
    const [kind, num] = text.split(':');
    const n = Number(num);
    if (kind !== 'ack') return;
    if (n % 2 === 0) await this.#send('status', `status:${n}`);
    if (n % 3 === 0) {
      // a second round in the same instant, through a timer at now
      this.#clock.after(0, () => this.#send('outcome', `outcome:${n}`), this.id);
    }
    this.#checkins++;
  }

  get checkins(): number {
    return this.#checkins;
  }
}

class FakeService {
  readonly log: string[] = [];
  #served = 0;
  readonly #clock: VirtualClock;
  readonly #gate: RoundGate;

  constructor(clock: VirtualClock, gate: RoundGate) {
    this.#clock = clock;
    this.#gate = gate;
  }

  async start(): Promise<void> {
    await this.#gate.subscribe(`${tenantRoot(TENANT)}/device/+/out/#`, (m) => this.#onMessage(m));
    for (let k = 0; k < 3; k++) {
      this.#clock.schedule(T0 + 90 * 60_000 + k * 3 * HOUR, () => this.#ping('dev-000'), 'svc');
    }
    this.#clock.schedule(T0 + 4 * HOUR, () => this.#ping('dev-001'), 'svc');
    // the service's own bookkeeping: instants at which no device hears anything
    for (let k = 0; k < 4; k++) {
      this.#clock.schedule(T0 + 17 * 60_000 + k * 2 * HOUR, () => this.#audit(), 'svc');
    }
  }

  #audit(): void {
    this.log.push(`${iso(this.#clock.nowMs())} audit #${this.#served}`);
  }

  async #ping(d: string): Promise<void> {
    this.log.push(`${iso(this.#clock.nowMs())} ping ${d} #${this.#served}`);
    await this.#gate.publish(enrolledTopic(TENANT, d), Buffer.from(`ping:${this.#served}`));
  }

  async #onMessage(m: TransportMessage): Promise<void> {
    const p = parseDeviceTopic(TENANT, m.topic);
    if (!p) return;
    const text = m.payload.toString();
    this.#served++;
    this.log.push(`${iso(this.#clock.nowMs())} ${p.deviceId} ${text} #${this.#served}`);
    if (p.kind === 'checkin' || p.kind === 'enroll') {
      await this.#gate.publish(
        `${tenantRoot(TENANT)}/device/${p.deviceId}/in/remove/p1`,
        Buffer.from(`ack:${this.#served}`),
      );
    } else if (p.kind === 'outcome') {
      await this.#gate.publish(enrolledTopic(TENANT, p.deviceId), Buffer.from(`fin:${this.#served}`));
    }
  }
}

/** One agent host of the fake fleet. */
export class FakeHost {
  readonly shard: number;
  readonly clock = new VirtualClock(T0);
  readonly ledger = new DeviceLedger({ tenant: TENANT, side: 'device' });
  readonly devices: FakeDevice[] = [];
  readonly runner: HostRunner;
  readonly abort = new AbortController();
  /** The instant the coordinator started (or welcomed back) this host at. */
  startedAt: number | undefined;

  constructor(o: {
    shard: number;
    shards: number;
    devices: number;
    connect: Connect;
    channel: HostControlChannel;
    states: Map<string, DeviceState>;
    limits?: Partial<HostRunnerLimits>;
    incarnation?: string;
  }) {
    this.shard = o.shard;
    for (let i = o.shard; i < o.devices; i += o.shards) {
      const id = deviceId(i);
      let state = o.states.get(id);
      if (!state) {
        state = { log: [] };
        o.states.set(id, state);
      }
      this.devices.push(new FakeDevice(i, this.clock, this.ledger, o.connect, state));
    }
    this.runner = new HostRunner({
      channel: o.channel,
      host: hostId(o.shard),
      shard: { index: o.shard, count: o.shards },
      digest: 'digest-1',
      seed: 'seed-1',
      devices: o.devices,
      clock: this.clock,
      ledger: this.ledger,
      progress: () => ({
        devices: this.devices.length,
        acks: this.devices.reduce((n, d) => n + d.checkins, 0),
      }),
      // one fake key-store item per device, carrying what the device did (sent when the coordinator collects)
      stores: () =>
        this.devices.map((d) => ({
          deviceId: d.id,
          store: 'fake/store',
          kind: 'certificate' as const,
          ref: 'fake',
          subject: `CN=${d.id}`,
          issuer: '',
          thumbprint: 'AA',
          notBefore: '',
          notAfter: '',
          installedAt: '',
          attrs: { checkins: d.checkins },
        })),
      onStart: async (t) => {
        this.startedAt = t;
        for (const d of this.devices) {
          if (isOnline(d.id, t)) await d.connect();
          d.plan(t);
        }
      },
      signal: this.abort.signal,
      ...(o.limits ? { limits: o.limits } : {}),
      ...(o.incarnation ? { incarnation: o.incarnation } : {}),
    });
  }

  /** Kills the host: stops its runner and drops its devices' connections (their sessions stay). */
  async kill(): Promise<void> {
    this.abort.abort(new Error('killed'));
    for (const d of this.devices) await d.close();
  }
}

/** Options of {@link runFakeFleet}. */
export interface FakeFleetOptions {
  connect: Connect;
  control: ControlFactory;
  shards: number;
  devices: number;
  /** Which shards start (default all). */
  start?: number[];
  end?: number;
  coordinatorLimits?: Partial<CoordinatorLimits>;
  hostLimits?: Partial<HostRunnerLimits>;
  onReport?: (report: ReportMessage, service: { counts(d: string): DeviceCounts }) => void;
  /** Passed to the coordinator. */
  onHostJoined?: (hostId: string, shard: { index: number; count: number }, rejoined: boolean) => void;
  /** Runs before each local settle (a test may make the service side slow). */
  beforeSettle?: () => Promise<void>;
  /** Called after each instant closed, with the hosts (a test may kill and restart one). */
  onInstant?: (state: InstantClosed, fleet: FakeFleetHandle) => void;
  /** The local side holds the service's sends to devices (RoundGate.holdOutbound), as the fleet does. */
  holdOutbound?: boolean;
  /** Passed to the coordinator: what a resumed one would need, after each instant closed. */
  onSnapshot?: (snapshot: CoordinatorSnapshot) => void;
  /** Passed to the coordinator: a stop request (SIGINT/SIGTERM on serve). */
  signal?: AbortSignal;
  /** Passed to the coordinator: the hosts' key stores at the end. */
  onStores?: CoordinatorOptions['onStores'];
}

/** What a test can do while the fleet runs. */
export interface FakeFleetHandle {
  hosts: Map<number, FakeHost>;
  /** Starts (or restarts, as a new incarnation) shard `shard`'s host. */
  startHost(shard: number): Promise<FakeHost>;
  /** The run results of every host started, in start order. */
  hostRuns: Array<Promise<HostRunResult>>;
}

/** Everything a run of the fake fleet produced that must not depend on delivery order. */
export interface FakeFleetOutcome {
  instants: string[];
  serviceLog: string[];
  deviceLogs: Record<string, string[]>;
  /** Per device: service-side [sent, handled]. */
  serviceCounts: Record<string, [number, number]>;
  /** Per device: device-side [sent, handled] (of the host's last incarnation). */
  hostCounts: Record<string, [number, number]>;
  result: CoordinatorResult;
  /** Waves of each instant (these may differ between delivery orders; not compared). */
  waves: number[];
}

/** Runs the fake fleet to its end (or its error). */
export async function runFakeFleet(
  o: FakeFleetOptions,
): Promise<{ outcome: FakeFleetOutcome; fleet: FakeFleetHandle }> {
  const clock = new VirtualClock(T0);
  const ledger = new DeviceLedger({ tenant: TENANT, side: 'service' });
  const serviceTransport = await o.connect({ clientId: 'svc', role: 'service', ledger });
  const gate = new RoundGate(serviceTransport, { tenant: TENANT });
  const service = new FakeService(clock, gate);
  await service.start();

  const states = new Map<string, DeviceState>();
  const fleet: FakeFleetHandle = {
    hosts: new Map(),
    hostRuns: [],
    async startHost(shard) {
      const channel = await o.control.host(hostId(shard));
      const host = new FakeHost({
        shard,
        shards: o.shards,
        devices: o.devices,
        connect: o.connect,
        channel,
        states,
        ...(o.hostLimits ? { limits: o.hostLimits } : {}),
      });
      fleet.hosts.set(shard, host);
      const run = host.runner.run();
      run.catch(() => undefined);
      fleet.hostRuns.push(run);
      return host;
    },
  };
  for (const shard of o.start ?? [...Array(o.shards).keys()]) await fleet.startHost(shard);

  const instants: string[] = [];
  const waves: number[] = [];
  const coordinator = new Coordinator({
    channel: await o.control.coordinator(),
    local: {
      advanceTo: (t) => clock.advanceTo(t),
      runDue: () => clock.runDue(),
      nextAt: () => clock.nextAtMs(),
      settle: async () => {
        await o.beforeSettle?.();
        await gate.flush();
        await ledger.idle();
      },
      idle: () => gate.held === 0 && ledger.inProgress() === 0,
      ...(o.holdOutbound
        ? {
            holdOutbound: () => gate.holdOutbound(),
            heldOutbound: () => gate.heldOutbound,
            releaseOutbound: () => gate.releaseOutbound(),
          }
        : {}),
      ledger,
    },
    start: T0,
    end: o.end ?? T0 + 10 * HOUR,
    expect: { shards: o.shards, digest: 'digest-1', seed: 'seed-1', devices: o.devices },
    isOnline,
    limits: o.coordinatorLimits ?? {},
    onReport: (r) => o.onReport?.(r, ledger),
    ...(o.onHostJoined ? { onHostJoined: o.onHostJoined } : {}),
    ...(o.onSnapshot ? { onSnapshot: o.onSnapshot } : {}),
    onInstant: (s) => {
      instants.push(iso(s.t));
      waves.push(s.wavesThisInstant);
      o.onInstant?.(s, fleet);
    },
    runId: 'run-1',
    ...(o.signal ? { signal: o.signal } : {}),
    ...(o.onStores ? { onStores: o.onStores } : {}),
  });
  try {
    const result = await coordinator.run();
    await Promise.all(fleet.hostRuns.map((r) => r.catch(() => undefined)));
    const deviceLogs: Record<string, string[]> = {};
    for (const [d, s] of [...states].sort(([a], [b]) => (a < b ? -1 : 1))) deviceLogs[d] = s.log;
    const serviceCounts: Record<string, [number, number]> = {};
    for (const d of ledger.devices().sort()) {
      const c = ledger.counts(d);
      serviceCounts[d] = [c.sent, c.handled];
    }
    const hostCounts: Record<string, [number, number]> = {};
    for (const h of fleet.hosts.values()) {
      for (const d of h.ledger.devices()) {
        const c = h.ledger.counts(d);
        hostCounts[d] = [c.sent, c.handled];
      }
    }
    return {
      outcome: {
        instants,
        serviceLog: service.log,
        deviceLogs,
        serviceCounts,
        hostCounts: Object.fromEntries(Object.entries(hostCounts).sort(([a], [b]) => (a < b ? -1 : 1))),
        result,
        waves,
      },
      fleet,
    };
  } finally {
    for (const h of fleet.hosts.values()) await h.kill();
    await serviceTransport.close();
  }
}
