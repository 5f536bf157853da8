/**
 * `certfleet run`: brings up the service side (CA, MDM service, certificate connectors), a real MQTT
 * broker, and a fleet of device agents; runs a scenario on the virtual clock; and reports per platform and
 * per device what installed, what failed and why, and what renewed.
 *
 * Everything is in one process here: agents, service and connectors each have their own MQTT client on a
 * real broker, and the virtual clock moves only when every message in flight has been handled, every
 * connector has finished its batch and the service is idle — so a run is reproducible from its seed
 * (outcomes, codes, times and payload bytes except fresh key material).
 */
import { mkdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { CertfleetError, isCertfleetError } from '../../pki/errors.ts';
import { KeyFactory } from '../../pki/key-factory.ts';
import { KeyPool } from '../tools/key-pool/key-pool.ts';
import { PoolDraw } from '../tools/key-pool/pool-key-source.ts';
import { randomPassword } from '../../pki/secret-witness.ts';
import { VirtualClock } from '../clock/virtual-clock.ts';
import { loadScenario, type Scenario } from '../scenario/index.ts';
import { EnterpriseCa } from '../service/ca/enterprise-ca.ts';
import { MDM_DEVICE_TEMPLATE, mdmDeviceTemplate } from '../service/mdm/mdm-device-template.ts';
import type { DeviceProfileOutcome, RunEvent } from '../run-model.ts';
import { DeviceLedger } from '../../protocol/transport/device-ledger.ts';
import { RoundGate } from '../../protocol/transport/round-gate.ts';
import { parseDeviceTopic } from '../../protocol/wire/topics.ts';
import { Coordinator } from '../engine/coordinator.ts';
import { HostRunner } from '../engine/host-runner.ts';
import { localControlChannels } from '../engine/local-control-channel.ts';
import { AGENT_HOST, agentHost } from './compose/agent-host.ts';
import { checkBrokerOptions, runBroker, type BrokerChoice } from './compose/broker.ts';
import { startFleet } from './compose/fleet-builder.ts';
import { fleetContext, need, type FleetContext } from './compose/fleet-context.ts';
import { KEY_STORES, keyStores } from './compose/key-stores.ts';
import { runRecords } from './compose/run-records.ts';
import { scepServer } from './compose/scep-server.ts';
import { buildRunResult, serviceCa, serviceSide, TENANT, type FleetRun } from './compose/service-side.ts';
import { onlineAt, serviceLocalSide } from './engine-fleet.ts';
import { hostClientId, SERVICE_CLIENT_ID } from './fleet-secret.ts';
import { RUN_MANIFEST_FORMAT, writeRunManifest } from './run-folder.ts';
import { pinRetirements, type OriginalRetirement } from './scenario-actions.ts';
import { wallClockTlsStart } from './wall-clock-start.ts';

export { TENANT, type BrokerChoice, type FleetRun };

/** Options of {@link runFleet}. */
export interface RunFleetOptions {
  /**
   * A scenario file, scenario text (with its file name and base folder), or a loaded scenario. For a file
   * or text, `run.json` keeps the text so that `certfleet replay` reproduces the run even if the file changes.
   */
  scenario: string | Scenario | { text: string; file?: string; baseDir?: string };
  /** Overrides `fleet.devices`. */
  devices?: number;
  /** Overrides the scenario's seed. */
  seed?: string;
  broker?: BrokerChoice;
  /** MQTT protocol version (5 only with external brokers or Mosquitto). */
  mqttVersion?: 4 | 5;
  /** The run folder (reports, run DB, key stores, the CA when the scenario makes one). */
  out: string;
  /** Progress and live counts (the console progress bar), with the virtual clock (epoch ms). */
  onProgress?: (p: {
    enrolled: number;
    answered: number;
    failed: number;
    total: number;
    virtual: { now: number; start: number; end: number };
  }) => void;
  /** Events as they happen (also recorded in the run DB). */
  onEvent?: (e: RunEvent) => void;
  /** Only devices with these indices (replay of one device). */
  only?: number[];
  /**
   * Replay: the devices the original run retired (fleet index, instant). Each retire action then retires
   * exactly the devices the original retired at it, and no other (scenario-actions.ts pinRetirements); an
   * empty list: no retire action retires anyone. Without it, a retire action chooses among the enrolled
   * devices of this run, as `run` and `serve` do.
   */
  retired?: readonly OriginalRetirement[];
  /**
   * The secret broker passwords derive from (fleet-secret.ts): give the `CERTFLEET_FLEET_SECRET` value to
   * run against a broker started by `certfleet broker`. Default: a random one for this run.
   */
  fleetSecret?: Buffer;
  /**
   * TLS broker (embedded or the Mosquitto the run starts): enrolled devices connect with their management
   * certificate as TLS client certificate; before enrollment they may only enrol (see tls-setup.ts). On
   * Mosquitto, which checks certificates by the wall clock, the virtual start moves into the wall-clock past
   * (wall-clock-start.ts).
   */
  tls?: boolean;
  /**
   * `--key-pool DIR`: connector and device keys (RSA-2048, EC P-256) come from this pool, each key at most
   * once in the run unless `reuse` (`--key-reuse`); fresh keys when it runs dry. report.json
   * `metrics.keys` says how many came from where. The passphrase is `CERTFLEET_KEY_POOL_PASSPHRASE`'s value.
   */
  keyPool?: { dir: string; passphrase: string; reuse?: boolean };
  /**
   * A stop request (SIGINT/SIGTERM on `certfleet run`, issue 10 point 7): once aborted, the run stops at the
   * next virtual instant, releases everything it started and returns its result so far, marked
   * `interrupted` with the abort reason (the signal's name) and the virtual instant it stopped at.
   */
  stop?: AbortSignal;
}

/**
 * Runs a scenario end to end and returns its result (reports are written by the caller: see run-command.ts).
 * The parts — run records, key stores, service CA, broker, service side, agent host — are the ones
 * `certfleet serve` and `certfleet agents` share (compose/); whatever fails, everything the run started
 * (broker, clients, databases) is released before it returns, and run.db records why (`run-failed`).
 */
export async function runFleet(o: RunFleetOptions): Promise<FleetRun> {
  const brokerChoice = o.broker ?? { type: 'embedded' };
  checkBrokerOptions({
    choice: brokerChoice,
    ...(o.tls !== undefined ? { tls: o.tls } : {}),
    ...(o.mqttVersion !== undefined ? { mqttVersion: o.mqttVersion } : {}),
  });
  const wallStart = performance.now();
  // opened first: a wrong passphrase or a missing pool stops the run before it writes anything
  const pool = o.keyPool ? KeyPool.open(o.keyPool.dir, o.keyPool.passphrase) : undefined;
  try {
    return await runWithKeys(o, wallStart, pool && new PoolDraw(pool, { reuse: o.keyPool?.reuse === true }));
  } finally {
    pool?.close();
  }
}

/** The run of {@link runFleet}, its connector and device keys drawn through `draw` when a pool is given. */
async function runWithKeys(
  o: RunFleetOptions,
  wallStart: number,
  draw: PoolDraw | undefined,
): Promise<FleetRun> {
  const brokerChoice = o.broker ?? { type: 'embedded' };
  const { scenario: loaded, text: scenarioText } = scenarioOf(o.scenario);
  let scenario = loaded;
  if (o.devices !== undefined) scenario = { ...scenario, fleet: { ...scenario.fleet, devices: o.devices } };
  if (o.seed !== undefined) scenario = { ...scenario, seed: o.seed };
  if (o.retired !== undefined) scenario = pinRetirements(scenario, o.retired);
  const dir = resolve(o.out);
  mkdirSync(dir, { recursive: true });
  writeRunManifest(dir, {
    format: RUN_MANIFEST_FORMAT,
    scenario: {
      name: scenario.name,
      file: typeof o.scenario === 'string' ? resolve(o.scenario) : scenario.file,
      baseDir: scenario.baseDir,
      ...(scenarioText !== undefined ? { text: scenarioText } : {}),
    },
    seed: scenario.seed,
    devices: scenario.fleet.devices,
    ...(o.only ? { only: [...o.only] } : {}),
    startedAt: new Date().toISOString(),
    broker: brokerChoice.type,
  });

  // --- the CA folder and the virtual start ------------------------------------------------------------------
  const folderCa =
    scenario.ca.type === 'folder' ? EnterpriseCa.open(resolve(scenario.baseDir, scenario.ca.dir)) : undefined;
  if (o.tls && brokerChoice.type === 'mosquitto') {
    // Mosquitto checks client certificates by the WALL clock (the embedded broker at virtual time): the run
    // is moved into the wall-clock past so that every management certificate it issues is valid for it.
    const caCerts = folderCa ? [folderCa.root, folderCa.issuing] : [];
    scenario = {
      ...scenario,
      start: wallClockTlsStart({
        file: scenario.file,
        start: scenario.start,
        ...(scenario.startLine !== undefined ? { startLine: scenario.startLine } : {}),
        durationMs: scenario.durationMs,
        rampMs: scenario.fleet.rampMs,
        managementValidity:
          folderCa?.templates().find((t) => t.template.name === MDM_DEVICE_TEMPLATE)?.template.validity ??
          mdmDeviceTemplate().validity,
        wallNow: Date.now(),
        ...(caCerts.length > 0
          ? { earliestStart: Math.max(...caCerts.map((c) => c.notBefore.getTime())) + 10 * 60_000 }
          : {}),
      }),
    };
  }
  // two clocks, as in every mode of the fleet engine: the coordinator's (service, connectors, actions) and
  // the agent host's (the devices' timers), moved together instant by instant
  const clock = new VirtualClock(scenario.start);
  const hostClock = new VirtualClock(scenario.start);
  const serviceLedger = new DeviceLedger({ tenant: TENANT, side: 'service' });
  const deviceLedger = new DeviceLedger({ tenant: TENANT, side: 'device' });
  let gate: RoundGate | undefined;
  let deviceIds: Set<string> | undefined;
  const rsa = new KeyFactory({ kind: 'rsa', size: 2048 }, { ahead: 12 });
  const ec = new KeyFactory({ kind: 'ec', curve: 'P-256' }, { ahead: 8 });
  const ctx = fleetContext({
    dir,
    scenario,
    tenant: TENANT,
    clock,
    keys: draw ? { rsa: draw.source('rsa-2048', rsa), ec: draw.source('ec-p256', ec) } : { rsa, ec },
  });

  // --- the parts: one process holds the service side and every agent -----------------------------------------
  let enrolled = 0;
  let answered = 0;
  let failed = 0;
  const virtual = (): { now: number; start: number; end: number } => ({
    now: clock.now().getTime(),
    start: ctx.scenario.start,
    end: ctx.scenario.start + ctx.scenario.durationMs,
  });
  const progress = (): void =>
    o.onProgress?.({ enrolled, answered, failed, total: ctx.devices.length, virtual: virtual() });
  const fleet = await startFleet(ctx, [
    runRecords(o.only ? { only: o.only } : {}),
    keyStores({ fresh: true }),
    // a fresh run CA's key files are sealed with a passphrase that lives in this process only (issue 10)
    serviceCa(folderCa ? { opened: folderCa } : { passphrase: randomPassword(32, 'ca-passphrase') }),
    scepServer(),
    runBroker({
      choice: brokerChoice,
      ...(o.tls !== undefined ? { tls: o.tls } : {}),
      ...(o.fleetSecret !== undefined ? { secret: o.fleetSecret } : {}),
      ...(o.mqttVersion !== undefined ? { mqttVersion: o.mqttVersion } : {}),
      ledgerOf: (id) => {
        // the fleet is planned by the run records part, before any client connects
        deviceIds ??= new Set(ctx.devices.map((d) => d.device.id));
        return id === SERVICE_CLIENT_ID ? serviceLedger : deviceIds.has(id) ? deviceLedger : undefined;
      },
    }),
    serviceSide({
      // the devices' messages wait for the wave's inbox to be complete; the connectors' pass at once
      wrapTransport: (t) =>
        (gate = new RoundGate(t, {
          tenant: TENANT,
          passes: (m) => parseDeviceTopic(TENANT, m.topic) === undefined,
        })),
      onEvent: (e) => {
        if (e.type === 'enrolled') enrolled += 1;
        o.onEvent?.(e);
      },
      onOutcome: (out: DeviceProfileOutcome) => {
        if (out.status === 'installed' || out.status === 'failed' || out.status === 'skipped') answered += 1;
        if (out.status === 'failed') failed += 1;
        progress();
      },
    }),
    {
      // the agent host on its own clock, sharing this process's key stores, broker and run records
      name: AGENT_HOST,
      async start(c, teardown) {
        const hostCtx: FleetContext = { ...c, clock: hostClock, idle: [] };
        await agentHost().start(hostCtx, teardown);
        c.agents = hostCtx.agents;
      },
    },
  ]);

  // --- run: the fleet engine, one coordinator and one in-process agent host ------------------------------------
  try {
    const end = ctx.scenario.start + ctx.scenario.durationMs;
    const inFlight = need(ctx.broker?.inFlight, 'the in-flight counter', 'run');
    let stoppedAt: number | undefined;
    const channels = localControlChannels(TENANT);
    const host = hostClientId(0);
    const identity = { digest: 'in-process', seed: ctx.scenario.seed, devices: ctx.devices.length };
    const runner = new HostRunner({
      channel: channels.host(host),
      host,
      shard: { index: 0, count: 1 },
      ...identity,
      clock: hostClock,
      ledger: deviceLedger,
    });
    const hosted = runner.run();
    // a host that fails (a device the broker refuses…) ends the run with its error at once
    hosted.catch((err: unknown) =>
      channels.fail(
        isCertfleetError(err)
          ? err
          : new CertfleetError('INTERNAL', `The agent host failed: ${(err as Error).message}`, {
              cause: err,
            }),
      ),
    );
    const plans = new Map(ctx.devices.map((d) => [d.device.id, d.plan]));
    const coordinator = new Coordinator({
      channel: channels.coordinator,
      local: serviceLocalSide({
        clock,
        gate: need(gate, 'the service inbox gate', 'run'),
        inFlight,
        ctx,
        ledger: serviceLedger,
      }),
      start: ctx.scenario.start,
      end,
      expect: { shards: 1, ...identity },
      // A device counts while it is online and — this process holding every client — while the in-flight
      // counter has a message on its way to it or to the service, or while it has handled every message the
      // service sent it: then its counts fail to balance only because its host reported before the last
      // message reached the device (the host's step or probe is in-process, the message crosses the
      // broker), and another wave brings its counts and its next timer (a slow device's delayed answer).
      // A message the broker never delivers (sent to a TLS device's password session as it reconnects
      // with its certificate) is forgotten by the counter with that session, as before the engine; the
      // service's own retry sends it again.
      isOnline: (d, t) => {
        const plan = plans.get(d);
        if (plan !== undefined && !onlineAt(plan, t)) return false;
        if (inFlight.count({ clientId: d }) > 0 || inFlight.count({ clientId: SERVICE_CLIENT_ID }) > 0) {
          return true;
        }
        return deviceLedger.counts(d).handled >= serviceLedger.counts(d).sent;
      },
      hostOf: () => host,
      // the host is in this process: it cannot go missing on its own
      limits: { livenessMs: 600_000 },
      onInstant: () => progress(),
      ...(o.stop ? { signal: o.stop } : {}),
    });
    const outcome = await coordinator.run();
    await hosted;
    if (outcome.stopped) stoppedAt = outcome.t;
    if (process.env.CERTFLEET_ENGINE_STATS) {
      process.stderr.write(`[engine] ${outcome.instants} instants, ${outcome.waves} waves\n`);
    }
    await fleet.stopAfter(KEY_STORES); // agents, connectors, service, broker: the reverse of their start

    // --- result --------------------------------------------------------------------------------------------------
    const runDb = need(ctx.runDb, 'the run database', 'run');
    const storeDb = need(ctx.storeDb, 'the key stores', 'run');
    const { service, named } = need(ctx.service, 'the service side', 'run');
    const result = buildRunResult({
      scenario: ctx.scenario,
      devices: ctx.devices,
      service,
      named,
      wallSeconds: (performance.now() - wallStart) / 1000,
      end: stoppedAt ?? end,
    });
    if (draw) result.metrics.keys = draw.origins();
    if (stoppedAt !== undefined) {
      const reason: unknown = o.stop?.reason;
      result.interrupted = {
        signal: typeof reason === 'string' ? reason : 'stop request',
        at: new Date(stoppedAt).toISOString(),
      };
    }
    for (const d of ctx.devices) runDb.snapshotStores(storeDb.items(d.device.id));
    runDb.finishRun(result);
    await fleet.stop();
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

/** The scenario of {@link RunFleetOptions.scenario}, and its text when it came from a file or text. */
function scenarioOf(source: RunFleetOptions['scenario']): { scenario: Scenario; text?: string } {
  if (typeof source === 'string') {
    const scenario = loadScenario(source);
    return { scenario, text: readFileSync(source, 'utf8') };
  }
  if ('text' in source && typeof source.text === 'string' && !('fleet' in source)) {
    const baseDir = resolve(source.baseDir ?? '.');
    const file = source.file ?? join(baseDir, 'scenario.yaml');
    return { scenario: loadScenario({ text: source.text, file, baseDir }), text: source.text };
  }
  return { scenario: source as Scenario };
}
