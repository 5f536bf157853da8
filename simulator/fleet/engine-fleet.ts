/**
 * `certfleet serve` and `certfleet agents` on the fleet engine's shared virtual clock (simulator/engine/,
 * docs/architecture.md "The fleet engine: one virtual clock across hosts"): reproducible whatever the
 * machines' speed or load.
 *
 * - {@link coordinateFleet} (`serve --hosts K`): the coordinator. The service side (run records, service CA,
 *   the broker another process runs, the MDM service and its connectors) on a VirtualClock; the service's
 *   MQTT client feeds a service-side DeviceLedger and its inbox sits behind a RoundGate (released in
 *   canonical order once every host reported the wave); the service and connectors count on an in-process
 *   in-flight counter. A `Coordinator` over `MqttControlChannel` waits for the K hosts (wall-clock
 *   liveness limit `hostTimeoutMs` → HOST_MISSING naming the missing shards), runs every instant to the
 *   scenario's end, and the run folder is written as `run` writes it — the hosts' key stores included, which
 *   they send at the end over the control channel (`collect`/`stores`). It saves its state as it goes
 *   (compose/service-state.ts); a `serve` killed and started again on its folder resumes from it (option
 *   `resumable`; docs/architecture.md "Faults: the broker, a device, the service").
 * - {@link hostShard} (`agents --shard i/K`): one host. Its key stores (`agents.db`, kept across restarts),
 *   device event log, the broker, the agent host on its own VirtualClock; every device's client feeds a
 *   device-side ledger; a `HostRunner` does what the coordinator says (at the end: its devices' key stores,
 *   public facts only, for the coordinator's run.db) and returns when it ends the run.
 *   Killed and started again with the same command it rejoins at the current instant: the devices resume
 *   from their stores, the broker kept their persistent sessions.
 *
 * Wall time is used for liveness only (how long to wait for hosts, when a silent host is missing).
 */
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { CertfleetError } from '../../pki/errors.ts';
import { KeyFactory } from '../../pki/key-factory.ts';
import { DeviceLedger } from '../../protocol/transport/device-ledger.ts';
import { InFlight } from '../../protocol/transport/in-flight.ts';
import { connectMqtt } from '../../protocol/transport/mqtt-transport.ts';
import { RoundGate } from '../../protocol/transport/round-gate.ts';
import type { Transport } from '../../protocol/transport/transport.ts';
import type { StoreItemFacts } from '../../protocol/wire/clock-messages.ts';
import type { InstallOutcome } from '../../protocol/wire/outcome.ts';
import { parseDeviceTopic } from '../../protocol/wire/topics.ts';
import { VirtualClock } from '../clock/virtual-clock.ts';
import {
  Coordinator,
  type CoordinatorLimits,
  type CoordinatorSnapshot,
  type LocalSide,
} from '../engine/coordinator.ts';
import { HostRunner } from '../engine/host-runner.ts';
import { mqttCoordinatorChannel, mqttHostChannel } from '../engine/mqtt-control-channel.ts';
import { storeItemFacts, type RunDb } from '../report/run-db.ts';
import { writeReports } from '../report/write-reports.ts';
import type { RunEvent } from '../run-model.ts';
import type { Scenario } from '../scenario/index.ts';
import { agentHost } from './compose/agent-host.ts';
import { countOutcome, shardDevices } from './compose/shard-devices.ts';
import { joinedBroker } from './compose/broker.ts';
import { deviceEventLog } from './compose/device-event-log.ts';
import { startFleet, type FleetPart } from './compose/fleet-builder.ts';
import { fleetContext, need, type FleetContext } from './compose/fleet-context.ts';
import { AGENTS_DB_FILE, KEY_STORES, keyStores } from './compose/key-stores.ts';
import { keyPoolPosition } from './compose/key-pool-position.ts';
import { RUN_RECORDS, runRecords } from './compose/run-records.ts';
import { scepServer } from './compose/scep-server.ts';
import { buildRunResult, serviceCa, serviceSide, TENANT, type FleetRun } from './compose/service-side.ts';
import { serviceState } from './compose/service-state.ts';
import { SERVICE_STATE_FILE } from './service-checkpoint.ts';
import { faultInjection } from './fault-injection.ts';
import { CLOCK_CLIENT_ID, hostClientId, SERVICE_CLIENT_ID, splitFleetLogin } from './fleet-secret.ts';
import { canResume, refuseForeignResume, openSplitRunFolder } from './run-folder.ts';
import type { PlannedDevice } from './plan-devices.ts';
import { inShard, splitScenario, type Shard, type SplitFleetOptions } from './split-fleet.ts';
import type { AgentsRun } from './agents.ts';
import {
  keyOriginCounts,
  openProcessPool,
  sumKeyOrigins,
  type ProcessPool,
} from '../tools/key-pool/process-pool.ts';

/** Options both engine sides take (no time scale, no epoch: the clock is virtual). */
export type EngineFleetOptions = Omit<SplitFleetOptions, 'timeScale' | 'epoch'>;

/** The fleet's progress after an instant closed (the coordinator's progress line). */
export interface EngineProgress {
  /** The virtual instant (epoch ms), the scenario's start and end. */
  virtual: { now: number; start: number; end: number };
  enrolled: number;
  installed: number;
  /** Device × profile outcomes answered (installed, failed or skipped), and of them failed. */
  answered: number;
  failed: number;
  total: number;
  /** Each host's latest counts (devices, enrolled, installed), by host id. */
  hosts: Record<string, Record<string, number>>;
}

/** Options of {@link coordinateFleet}. */
export interface CoordinateOptions extends EngineFleetOptions {
  /** The number of agent hosts (shards 0/K … K-1/K). */
  hosts: number;
  /** How long every host has to join (wall clock, default 60 s). */
  hostTimeoutMs?: number;
  /** Other wall-clock limits of the coordinator (tests). */
  limits?: Partial<CoordinatorLimits>;
  onProgress?: (p: EngineProgress) => void;
  onHostJoined?: (hostId: string, shard: Shard, rejoined: boolean) => void;
  onEvent?: (e: RunEvent) => void;
  /**
   * Go on with the unfinished run the folder holds when it kept its saved state (`serve`, issue 10 point 3;
   * run-folder.ts `canResume`) instead of refusing it with RUN_UNFINISHED. `run --workers` does not: its
   * hosts start from fresh key stores.
   */
  resumable?: boolean;
  /** Called when a run is resumed, once the killed service's messages were taken up. */
  onResume?: (info: { at: number; instants: number; resent: number; replayed: number }) => void;
  /**
   * Called once the run is over (the hosts' key stores in run.db) and the network parts are released,
   * before the run is finished and the reports written: `run --workers` waits for its host children here.
   */
  beforeFinish?: (o: { runDb: RunDb; devices: readonly PlannedDevice[] }) => void | Promise<void>;
}

/** What both sides compare at join: the scenario as loaded (file text), devices and seed. */
export function scenarioDigest(file: string, scenario: Scenario): string {
  return createHash('sha256')
    .update(readFileSync(file))
    .update(`\0${scenario.seed}\0${scenario.fleet.devices}\0${scenario.start}\0${scenario.durationMs}`)
    .digest('hex')
    .slice(0, 32);
}

/** A control client of the engine: clean session, no in-flight counter, no ledger. */
async function controlClient(o: EngineFleetOptions, clientId: string): Promise<Transport> {
  const login = splitFleetLogin(o.broker, o.secret)(clientId);
  return connectMqtt({
    url: o.broker,
    clientId,
    ...login,
    clean: true,
    protocolVersion: o.mqttVersion ?? 4,
  });
}

/** Whether planned device `plan` is connected at `t`: enrolled (its client exists) and not in an offline window. */
export function onlineAt(
  plan: { enrolAt: number; offline: ReadonlyArray<{ from: number; to: number }> },
  t: number,
): boolean {
  return t >= plan.enrolAt && !plan.offline.some((w) => t >= w.from && t < w.to);
}

/** What {@link serviceLocalSide} drives: the service side of a fleet context, behind its round gate. */
export interface ServiceLocal {
  clock: VirtualClock;
  /** The round gate in front of the service's inbox. */
  gate: RoundGate;
  /** The in-process in-flight counter the service and its connectors count on. */
  inFlight: InFlight;
  /** The context whose `idle` list holds the service's and the connectors' idle checks. */
  ctx: FleetContext;
  /** The service-side device ledger its client feeds. */
  ledger: DeviceLedger;
}

/**
 * The coordinator's local side for a fleet's service side (`serve`, `run`, `run --workers`): its virtual
 * clock; `settle()` releases the gate once, then waits until the in-flight counter settled (except offline
 * devices), the service and connectors are idle and the ledger has nothing in progress.
 */
export function serviceLocalSide(s: ServiceLocal): LocalSide {
  let released = 0;
  return {
    advanceTo: (t) => s.clock.advanceTo(t),
    runDue: () => s.clock.runDue(),
    nextAt: () => s.clock.nextAtMs(),
    settle: async () => {
      released += await s.gate.flush();
      await s.inFlight.settled({ exceptOffline: true });
      for (const idle of s.ctx.idle) await idle();
      await s.ledger.idle();
    },
    idle: () =>
      s.gate.held === 0 && s.inFlight.count({ exceptOffline: true }) === 0 && s.ledger.inProgress() === 0,
    activity: () => released,
    holdOutbound: () => s.gate.holdOutbound(),
    heldOutbound: () => s.gate.heldOutbound,
    releaseOutbound: () => s.gate.releaseOutbound(),
    ledger: s.ledger,
  };
}

/** Runs the coordinator (see the file comment), then writes the reports into `o.out`. */
export async function coordinateFleet(o: CoordinateOptions): Promise<FleetRun> {
  const wallStart = performance.now();
  const scenario = splitScenario(o);
  const tenant = o.tenant ?? TENANT;
  // a killed serve's folder with its saved state is resumed (issue 10 point 3); without it, refused
  const resume = o.resumable === true && canResume(resolve(o.out));
  // …when a serve wrote it: run --workers saves its state too, but its hosts went with it
  if (resume) refuseForeignResume(resolve(o.out));
  const engine = o.resumable === true ? 'serve' : 'run-workers';
  // a testing aid, inert unless CERTFLEET_FAULT_KILL_AFTER is set (a bad value refused before anything is written)
  const fault = faultInjection();
  const factories = {
    rsa: new KeyFactory({ kind: 'rsa', size: 2048 }, { ahead: 12 }),
    ec: new KeyFactory({ kind: 'ec', curve: 'P-256' }),
  };
  // the service side's share of the key pool, opened before anything is written (a wrong passphrase stops here)
  const pool = o.keyPool
    ? openProcessPool({ keyPool: o.keyPool, scenario, role: { side: 'service' }, fallback: factories })
    : undefined;
  const dir = withPool(pool, () =>
    openSplitRunFolder(o.out, o.scenario, scenario, { hosts: o.hosts, engine }, { resume }),
  );
  const clock = new VirtualClock(scenario.start);
  const ledger = new DeviceLedger({ tenant, side: 'service' });
  /** The devices whose counts changed since the last checkpoint (each instant's saves only those). */
  const changedCounts = ledger.trackChanges();
  const inFlight = new InFlight();
  /** What the stop request resolved with: the signal's name (the CLI passes it). */
  let stopReason: string | undefined;
  void o.stop?.then((s) => (stopReason = typeof s === 'string' ? s : undefined));
  let gate: RoundGate | undefined;
  let enrolled = 0;
  let installed = 0;
  let answered = 0;
  let failed = 0;
  /** Each host's latest progress counts (its key counts among them). */
  let hostCounts: Record<string, Record<string, number>> = {};
  const ctx = fleetContext({
    dir,
    scenario,
    tenant,
    clock,
    keys: pool ? pool.keys : factories,
  });
  // service-state.db: what a killed serve will resume from (compose/service-state.ts)
  const digest = scenarioDigest(o.scenario, scenario);
  // run --workers keeps no checkpoints: its hosts die with it, so its folder is never resumed
  const state = serviceState({
    digest,
    secret: o.secret,
    dir,
    tenant,
    resume,
    checkpoints: engine === 'serve',
  });
  const connectorKeys = state.connectorKeys();
  const heldRequests = state.heldRequests();
  const scepJournal = state.scepJournal();
  /** What the killed coordinator saved (a resume), and the instant its last checkpoint closed. */
  let saved: { engine?: CoordinatorSnapshot; at?: number } | undefined;
  const resumedClock: FleetPart<FleetContext> = {
    name: 'resumed clock',
    start() {
      if (!resume) return;
      const engine = state.engine();
      const at = state.position()?.at;
      saved = { ...(engine ? { engine } : {}), ...(at !== undefined ? { at } : {}) };
      // the service side starts at the saved instant: its timers and the scenario's actions from there
      clock.advanceTo(engine?.t ?? at ?? scenario.start);
    },
  };
  const control: { transport?: Transport } = {};
  const controlPart: FleetPart<FleetContext> = {
    name: 'clock control',
    async start(_ctx, teardown) {
      control.transport = await controlClient(o, CLOCK_CLIENT_ID);
      teardown.add(() => control.transport?.close());
    },
  };
  const fleet = await startFleet(ctx, [
    keyPoolPart(pool),
    runRecords(resume ? { resume: true } : {}),
    state.part,
    // how far this side has drawn its share of the key pool, beside its saved state: a resumed serve goes on after it
    keyPoolPosition(pool, SERVICE_STATE_FILE),
    resumedClock,
    serviceCa(resume ? { resume: true } : {}),
    scepServer(scepJournal !== undefined ? { journal: scepJournal } : {}),
    joinedBroker({
      url: o.broker,
      secret: o.secret,
      inFlight,
      ledgerOf: (id) => (id === SERVICE_CLIENT_ID ? ledger : undefined),
      ...(o.mqttVersion !== undefined ? { mqttVersion: o.mqttVersion } : {}),
    }),
    serviceSide({
      // the devices' messages wait for the wave's inbox to be complete; the connectors' (in this process,
      // counted by the in-flight counter) pass at once: a connector's batch waits for the service's answers.
      // Below the gate each message is kept as it arrives, above it handled once (compose/service-state.ts)
      wrapTransport: (t) =>
        state.wrap(
          t,
          (below) =>
            (gate = new RoundGate(below, {
              tenant,
              passes: (m) => parseDeviceTopic(tenant, m.topic) === undefined,
            })),
        ),
      onService: (service) => {
        state.onService(service);
        // a resumed run: the saved records and counts, before the service starts (timers armed again)
        if (resume) state.restore(service, ledger);
      },
      ...(resume ? { resume: { after: () => saved?.at } } : {}),
      ...(connectorKeys !== undefined && { connectorKeys }),
      ...(heldRequests !== undefined && { heldRequests }),
      ...(fault ? { onCaIssued: fault.caIssued } : {}),
      onEvent: (e) => {
        if (e.type === 'enrolled') enrolled += 1;
        o.onEvent?.(e);
      },
      onOutcome: (out) => {
        if (out.status === 'installed') installed += 1;
        if (out.status === 'installed' || out.status === 'failed' || out.status === 'skipped') answered += 1;
        if (out.status === 'failed') failed += 1;
      },
    }),
    controlPart,
  ]);
  try {
    if (resume) {
      // the killed service's committed, unconfirmed answers published again; the messages it had kept
      // below the gate handed to this one's gate (held for the first wave)
      const taken = await state.resumeMessages();
      o.onResume?.({
        at: clock.nowMs(),
        instants: saved?.engine?.instants ?? 0,
        ...taken,
      });
    }
    const end = ctx.scenario.start + ctx.scenario.durationMs;
    const g = need(gate, 'the service inbox gate', 'serve');
    const runDb = need(ctx.runDb, 'the run database', 'serve');
    const plans = new Map(ctx.devices.map((d) => [d.device.id, d.plan]));
    /** The hosts' key stores at the end, by device: each device's items as its own host sent them. */
    const stores = new Map<string, StoreItemFacts[]>();
    /** The coordinator's state at the instant closing now (saved with its checkpoint). */
    let snapshot: CoordinatorSnapshot | undefined;
    const coordinator: Coordinator = new Coordinator({
      channel: await mqttCoordinatorChannel(need(control.transport, 'the control client', 'serve'), tenant),
      ...(saved?.engine ? { resume: saved.engine } : {}),
      onSnapshot: (s) => {
        snapshot = s;
        if (s.instants === 0) state.saveEngine(s); // the run started: its id and hosts, before any close
      },
      local: serviceLocalSide({ clock, gate: g, inFlight, ctx, ledger }),
      start: ctx.scenario.start,
      end,
      expect: {
        shards: o.hosts,
        digest,
        seed: scenario.seed,
        devices: scenario.fleet.devices,
      },
      isOnline: (d, t) => {
        const plan = plans.get(d);
        return plan === undefined || onlineAt(plan, t);
      },
      limits: { joinTimeoutMs: o.hostTimeoutMs ?? 60_000, ...o.limits },
      ...(o.onHostJoined ? { onHostJoined: o.onHostJoined } : {}),
      onEvents: (host, events) => {
        for (const e of events) {
          runDb.recordEvent(e as RunEvent);
          o.onEvent?.(e as RunEvent);
        }
        // on disk (run.db queues its writes), then marked recorded: a resumed coordinator does not take
        // them again from the host, which keeps them until a later wave
        runDb.flush();
        const seq = coordinator.hostEventSeq(host);
        if (seq) state.saveHostEvents(host, seq.incarnation, seq.seq);
      },
      ...(process.env.CERTFLEET_ENGINE_DEBUG
        ? {
            onReport: (r: unknown) => process.stderr.write(`[engine] ${JSON.stringify(r).slice(0, 400)}\n`),
          }
        : {}),
      onInstant: (s) => {
        hostCounts = s.hosts;
        // every side idle: the instant's checkpoint (position, ledger counts, changed store records)
        const changed = [...changedCounts];
        changedCounts.clear();
        state.saveInstant(s, changed, (id) => ledger.counts(id), snapshot);
        o.onProgress?.({
          virtual: { now: s.t, start: ctx.scenario.start, end },
          enrolled,
          installed,
          answered,
          failed,
          total: ctx.devices.length,
          hosts: s.hosts,
        });
      },
      onStores: (_host, shard, items) => {
        for (const item of items) {
          const plan = plans.get(item.deviceId);
          if (plan === undefined || !inShard(shard, plan.index)) continue; // a host speaks for its own devices
          let held = stores.get(item.deviceId);
          if (held === undefined) stores.set(item.deviceId, (held = []));
          held.push(item);
        }
      },
      ...(o.stop ? { signal: abortOn(o.stop) } : {}),
    });
    const outcome = await coordinator.run();
    if (process.env.CERTFLEET_ENGINE_STATS) {
      process.stderr.write(`[engine] ${outcome.instants} instants, ${outcome.waves} waves\n`);
    }
    await fleet.stopAfter(RUN_RECORDS); // control client, connectors, service, broker clients
    const { service, named } = need(ctx.service, 'the service side', 'serve');
    const result = buildRunResult({
      scenario: ctx.scenario,
      devices: ctx.devices,
      service,
      named,
      wallSeconds: (performance.now() - wallStart) / 1000,
      end: Math.min(end, outcome.t),
    });
    // the keys of every process: this one's and each host's (its latest report)
    if (pool) result.metrics.keys = sumKeyOrigins(pool.origins(), Object.values(hostCounts));
    if (outcome.stopped) {
      // SIGINT/SIGTERM on serve (issue 10 point 7): the reports say the run was interrupted, and when
      result.interrupted = { signal: stopReason ?? 'stop request', at: new Date(outcome.t).toISOString() };
    }
    // the hosts' key stores, device by device in fleet order, as `run` snapshots its own (run-fleet.ts)
    for (const d of ctx.devices) runDb.snapshotStores(stores.get(d.device.id) ?? []);
    await o.beforeFinish?.({ runDb, devices: ctx.devices });
    runDb.finishRun(result);
    await fleet.stop();
    state.remove(); // a finished run is not resumed: its saved state goes
    await writeReports(result, dir);
    return {
      result,
      dir,
      dbPath: join(dir, 'run.db'),
      engine: { instants: outcome.instants, waves: outcome.waves },
    };
  } catch (failure) {
    await fleet.stop({ failure });
    throw failure;
  }
}

/** Options of {@link hostShard}. */
export interface HostShardOptions extends EngineFleetOptions {
  shard: Shard;
  onReady?: (info: { devices: number; host: string }) => void;
}

/** Runs one agent host (see the file comment) until the coordinator ends the run. */
export async function hostShard(o: HostShardOptions): Promise<AgentsRun> {
  const scenario = splitScenario(o);
  const tenant = o.tenant ?? TENANT;
  const shard = o.shard;
  const host = hostClientId(shard.index);
  const factories = {
    rsa: new KeyFactory({ kind: 'rsa', size: 2048 }, { ahead: 4 }),
    ec: new KeyFactory({ kind: 'ec', curve: 'P-256' }, { ahead: 8 }),
  };
  // this shard's share of the key pool, opened before anything is written (a wrong passphrase stops here)
  const pool = o.keyPool
    ? openProcessPool({ keyPool: o.keyPool, scenario, role: { side: 'host', ...shard }, fallback: factories })
    : undefined;
  const dir = resolve(o.out);
  withPool(pool, () => mkdirSync(dir, { recursive: true }));
  const clock = new VirtualClock(scenario.start);
  const ledger = new DeviceLedger({ tenant, side: 'device' });
  const { devices, summaries } = shardDevices(scenario, shard);
  const deviceIds = new Set(devices.map((d) => d.device.id));
  let installed = 0;
  let stopReason: string | undefined;
  void o.stop?.then((s) => (stopReason = typeof s === 'string' ? s : 'stop request'));
  const pending: RunEvent[] = [];
  const control: { transport?: Transport } = {};
  const ctx = fleetContext({
    dir,
    scenario,
    tenant,
    clock,
    keys: pool ? pool.keys : factories,
    devices,
  });
  const fleet = await startFleet(ctx, [
    keyPoolPart(pool),
    keyStores({ secret: o.secret }),
    // how far this host has drawn its share of the key pool, in its agents.db: a restarted host goes on after it
    keyPoolPosition(pool, AGENTS_DB_FILE),
    deviceEventLog(),
    {
      // the device-side events also travel to the coordinator's run.db, in the host's reports
      name: 'event relay',
      start(c) {
        const log = c.recordDeviceEvent;
        c.recordDeviceEvent = (e) => {
          log?.(e);
          pending.push(e);
        };
      },
    },
    joinedBroker({
      url: o.broker,
      secret: o.secret,
      ledgerOf: (id) => (deviceIds.has(id) ? ledger : undefined),
      ...(o.mqttVersion !== undefined ? { mqttVersion: o.mqttVersion } : {}),
    }),
    {
      name: 'clock control',
      async start(_c, teardown) {
        control.transport = await controlClient(o, host);
        teardown.add(() => control.transport?.close());
      },
    },
    agentHost({
      onOutcome: (id: string, out: InstallOutcome) => {
        if (!summaries.has(id)) return;
        countOutcome(summaries, id, out);
        if (out.status === 'installed') installed += 1;
      },
    }),
  ]);
  try {
    const agents = need(ctx.agents, 'the agent host', 'agents');
    o.onReady?.({ devices: devices.length, host });
    const runner = new HostRunner({
      channel: await mqttHostChannel(need(control.transport, 'the control client', 'agents'), tenant, host),
      host,
      shard,
      digest: scenarioDigest(o.scenario, scenario),
      seed: scenario.seed,
      devices: scenario.fleet.devices,
      clock,
      ledger,
      settle: async () => {
        await ledger.idle();
      },
      progress: () => ({
        devices: devices.length,
        enrolled: [...agents.running.values()].filter((a) => a.enrolled).length,
        installed,
        // the keys this host drew: the coordinator sums them into the run's report
        ...(pool ? keyOriginCounts(pool.origins()) : {}),
      }),
      drainEvents: () => pending.splice(0),
      // at the end, for the coordinator's run.db: what its snapshot keeps of each item, nothing more
      stores: () => {
        const storeDb = need(ctx.storeDb, 'the key stores', 'agents');
        return devices.flatMap((d) => storeDb.items(d.device.id).map(storeItemFacts));
      },
      ...(o.stop ? { signal: abortOn(o.stop) } : {}),
    });
    let ended: Awaited<ReturnType<HostRunner['run']>> | undefined;
    try {
      ended = await runner.run();
    } catch (e) {
      if (stopReason === undefined) throw e;
      // SIGINT/SIGTERM (issue 10 point 7): the host leaves the run; its stores are kept for a restart
    }
    if (ended?.reason === 'error') {
      throw new CertfleetError(
        ended.code === 'HOST_MISSING' || ended.code === 'RUN_STALLED' || ended.code === 'CLOCK_PROTOCOL'
          ? ended.code
          : 'INTERNAL',
        `The coordinator ended the run with an error: ${ended.message ?? 'no message'}`,
      );
    }
    for (const [id, agent] of agents.running) {
      const summary = summaries.get(id);
      if (summary) summary.enrolled = agent.enrolled;
    }
    await fleet.stopAfter(KEY_STORES);
    const storeDb = need(ctx.storeDb, 'the key stores', 'agents');
    for (const s of summaries.values()) s.storeItems = storeDb.items(s.id).length;
    await fleet.stop();
    return {
      dir,
      storePath: join(dir, AGENTS_DB_FILE),
      devices: [...summaries.values()],
      ...(pool ? { keys: pool.origins() } : {}),
      ...(stopReason !== undefined && ended === undefined ? { interrupted: stopReason } : {}),
    };
  } catch (failure) {
    await fleet.stop({ failure });
    throw failure;
  }
}

/** `f()`, closing `pool` if it throws (a start that fails before the parts own the pool). */
function withPool<T>(pool: ProcessPool | undefined, f: () => T): T {
  try {
    return f();
  } catch (e) {
    pool?.close();
    throw e;
  }
}

/** The part that closes the process's key pool (if any) when the fleet stops: the first part, closed last. */
function keyPoolPart(pool: ProcessPool | undefined): FleetPart<FleetContext> {
  return {
    name: 'key pool',
    start(_ctx, teardown) {
      if (pool) teardown.add(() => pool.close());
    },
  };
}

/** An AbortSignal that aborts when `p` settles (a stop request). */
function abortOn(p: Promise<unknown>): AbortSignal {
  const c = new AbortController();
  const stop = (): void => c.abort(new CertfleetError('USAGE', 'Stopped by request.'));
  p.then(stop, stop);
  return c.signal;
}
