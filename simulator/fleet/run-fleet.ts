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
import { KeyFactory } from '../../pki/key-factory.ts';
import { randomPassword } from '../../pki/secret-witness.ts';
import { VirtualClock } from '../clock/virtual-clock.ts';
import { loadScenario, type Scenario } from '../scenario/index.ts';
import { EnterpriseCa } from '../service/ca/enterprise-ca.ts';
import { MDM_DEVICE_TEMPLATE, mdmDeviceTemplate } from '../service/mdm/mdm-device-template.ts';
import type { DeviceProfileOutcome, RunEvent } from '../run-model.ts';
import { agentHost } from './compose/agent-host.ts';
import { checkBrokerOptions, runBroker, type BrokerChoice } from './compose/broker.ts';
import { startFleet } from './compose/fleet-builder.ts';
import { fleetContext, need } from './compose/fleet-context.ts';
import { KEY_STORES, keyStores } from './compose/key-stores.ts';
import { runRecords } from './compose/run-records.ts';
import { buildRunResult, serviceCa, serviceSide, TENANT, type FleetRun } from './compose/service-side.ts';
import { settleFleet } from './compose/settle.ts';
import { RUN_MANIFEST_FORMAT, writeRunManifest } from './run-folder.ts';
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
   * A stop request (SIGINT/SIGTERM on `certfleet run`, issue 10 point 7): once aborted, the run stops at the
   * next virtual instant, releases everything it started and returns its result so far, marked
   * `interrupted` with the abort reason (the signal's name) and the virtual instant it stopped at.
   */
  stop?: AbortSignal;
}

/** Thrown inside the clock loop to leave it when {@link RunFleetOptions.stop} is aborted. */
const INTERRUPTED = Symbol('interrupted');

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
  const { scenario: loaded, text: scenarioText } = scenarioOf(o.scenario);
  let scenario = loaded;
  if (o.devices !== undefined) scenario = { ...scenario, fleet: { ...scenario.fleet, devices: o.devices } };
  if (o.seed !== undefined) scenario = { ...scenario, seed: o.seed };
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
  const clock = new VirtualClock(scenario.start);
  const rsa = new KeyFactory({ kind: 'rsa', size: 2048 }, { ahead: 12 });
  const ctx = fleetContext({
    dir,
    scenario,
    tenant: TENANT,
    clock,
    keys: { rsa, ec: new KeyFactory({ kind: 'ec', curve: 'P-256' }, { ahead: 8 }) },
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
    runBroker({
      choice: brokerChoice,
      ...(o.tls !== undefined ? { tls: o.tls } : {}),
      ...(o.fleetSecret !== undefined ? { secret: o.fleetSecret } : {}),
      ...(o.mqttVersion !== undefined ? { mqttVersion: o.mqttVersion } : {}),
    }),
    serviceSide({
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
    agentHost(),
  ]);

  // --- run ---------------------------------------------------------------------------------------------------
  try {
    const end = ctx.scenario.start + ctx.scenario.durationMs;
    const inFlight = need(ctx.broker?.inFlight, 'the in-flight counter', 'run');
    const settle = settleFleet({ inFlight, idle: ctx.idle, clock });
    let stoppedAt: number | undefined;
    try {
      await clock.runUntil(end, async () => {
        progress(); // the virtual date moves on the progress line even when nothing is answered (issue 13 point 4)
        await settle();
        if (o.stop?.aborted) throw INTERRUPTED;
      });
    } catch (e) {
      if (e !== INTERRUPTED) throw e;
      stoppedAt = clock.now().getTime();
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
    return { result, dir, dbPath: join(dir, 'run.db') };
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
