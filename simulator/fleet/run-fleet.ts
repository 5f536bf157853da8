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
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Device } from '../../agent/device/device.ts';
import { StoreDb } from '../../agent/keystore/store-db.ts';
import { PLATFORM_ADAPTERS } from '../../agent/platforms/index.ts';
import type { ManagementIdentity } from '../../agent/platform-adapter.ts';
import { DeviceAgent, MDM_IDENTITY_STORE } from '../../agent/runtime/device-agent.ts';
import { createRandom } from '../../protocol/runtime/random.ts';
import { InFlight } from '../../protocol/transport/in-flight.ts';
import { connectMqtt } from '../../protocol/transport/mqtt-transport.ts';
import { aclInFlightOptions, type BrokerIdentity } from '../../protocol/wire/topic-acl.ts';
import type { Transport } from '../../protocol/transport/transport.ts';
import { CertfleetError } from '../../pki/errors.ts';
import { generateKeyPair, importPrivateKey, parseCertificate } from '../../pki/index.ts';
import { KeyFactory } from '../../pki/key-factory.ts';
import type { BrokerHandle } from '../broker/broker-handle.ts';
import { CredentialTable } from '../broker/credential-table.ts';
import { startEmbeddedBroker } from '../broker/embedded-broker.ts';
import { externalBroker, sharedLogin } from '../broker/external-broker.ts';
import { findMosquitto, startMosquitto } from '../broker/mosquitto.ts';
import { VirtualClock } from '../clock/virtual-clock.ts';
import { RunDb } from '../report/run-db.ts';
import type { DeviceProfileOutcome, DeviceSummary, RunEvent, RunResult } from '../run-model.ts';
import {
  absenceCausesOf,
  bindCaRoot,
  evaluateExpectations,
  extraFactsOf,
  loadScenario,
  needsCaRoot,
  planConnectors,
  type DevicePlan,
  type Scenario,
} from '../scenario/index.ts';
import { EnterpriseCa } from '../service/ca/enterprise-ca.ts';
import { MdmService } from '../service/mdm/index.ts';
import { MDM_DEVICE_TEMPLATE, mdmDeviceTemplate } from '../service/mdm/mdm-device-template.ts';
import { assignmentsOf } from './assignments.ts';
import { planDevices } from './plan-devices.ts';
import { startConnectorPool } from './connector-pool.ts';
import { serviceRecorder } from './service-recorder.ts';
import { crlWriter, scheduleActions } from './scenario-actions.ts';
import { setUpRunTls, type RunTls } from './tls-setup.ts';
import { wallClockTlsStart } from './wall-clock-start.ts';
import { derivePassword } from './fleet-secret.ts';
import { RUN_MANIFEST_FORMAT, writeRunManifest } from './run-folder.ts';
import { Teardown } from './teardown.ts';

/** Which broker carries the run. */
export type BrokerChoice =
  { type: 'embedded' } | { type: 'mosquitto'; binary?: string } | { type: 'external'; url: string };

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
  /** Progress and live counts (the console progress bar). */
  onProgress?: (p: { enrolled: number; answered: number; failed: number; total: number }) => void;
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
}

/** What a run hands back: the result, and where its files are. */
export interface FleetRun {
  result: RunResult;
  dir: string;
  dbPath: string;
}

/** The tenant of a fleet run (its topic tree: `certfleet/contoso/…`). */
export const TENANT = 'contoso';

/**
 * Runs a scenario end to end and returns its result (reports are written by the caller: see run-command.ts).
 * Whatever fails, everything the run started (broker, clients, databases) is released before it returns.
 */
export async function runFleet(o: RunFleetOptions): Promise<FleetRun> {
  checkBrokerOptions(o);
  // two stacks: the network side goes down when the clock stops; the databases stay open for the result
  const teardown = { network: new Teardown(), stores: new Teardown() };
  try {
    return await runFleetWith(o, teardown);
  } finally {
    await teardown.network.run();
    await teardown.stores.run();
  }
}

/**
 * Refuses option combinations the broker cannot carry, before anything starts (USAGE, exit 2).
 * aedes 1.x speaks only MQTT 3.1.1: an MQTT 5 CONNECT gets CONNACK "unacceptable protocol version" (tried,
 * see the issue 5 text), so `--mqtt-version 5` needs Mosquitto or an external broker.
 */
function checkBrokerOptions(o: RunFleetOptions): void {
  const type = (o.broker ?? { type: 'embedded' }).type;
  if (o.tls && type === 'external') {
    // The broker must trust the run's CA (made for this run) to check device certificates, and map each
    // certificate to its device: only a broker the run sets up itself can.
    throw new CertfleetError(
      'USAGE',
      '--tls works with the embedded broker (no --broker) or --broker mosquitto (the Mosquitto the run starts): ' +
        "the broker must trust the run's CA, which is made for this run, to accept device certificates — an " +
        'external broker does not. Drop --broker URL, use --broker mosquitto, or drop --tls.',
    );
  }
  if (o.mqttVersion === 5 && type === 'embedded') {
    throw new CertfleetError(
      'USAGE',
      '--mqtt-version 5 needs a broker that speaks MQTT 5: the embedded broker (aedes) speaks MQTT 3.1.1 only. ' +
        'Use --broker mosquitto or an external broker (--broker mqtt://host:port), or drop --mqtt-version.',
    );
  }
}

/** The body of {@link runFleet}: registers everything it starts with `teardown` as soon as it started. */
async function runFleetWith(
  o: RunFleetOptions,
  teardown: { network: Teardown; stores: Teardown },
): Promise<FleetRun> {
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
  const dbPath = join(dir, 'run.db');
  // A run starts from nothing: key stores left by an earlier run in this folder would make its devices
  // believe they are already enrolled.
  for (const f of ['run.db', 'agents.db'])
    for (const suffix of ['', '-wal', '-shm']) rmSync(join(dir, f + suffix), { force: true });
  const runDb = RunDb.create(dbPath, { overwrite: true });
  teardown.stores.add(() => runDb.close());
  const storeDb = StoreDb.open(join(dir, 'agents.db'));
  teardown.stores.add(() => storeDb.close());

  // --- the CA and the virtual start -----------------------------------------------------------------------
  const brokerChoice = o.broker ?? { type: 'embedded' };
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
  const ca = folderCa ?? (await freshCa(join(dir, 'ca'), scenario, clock.now()));
  if (needsCaRoot(scenario)) scenario = bindCaRoot(scenario, ca.root.der);

  // --- the fleet plan, the devices and their directory entries --------------------------------------------
  const planned = planDevices(scenario, runDb, o.only);
  const { directory } = planned;
  const plans = planned.devices.map((d) => d.plan);
  const devices = new Map(planned.devices.map((d) => [d.device.id, d]));

  // --- the broker and accounts ------------------------------------------------------------------------------
  const secret = o.fleetSecret ?? randomBytes(32);
  const passwordOf = (name: string): string => derivePassword(secret, name);
  const credentials = new CredentialTable([
    { role: 'service', name: 'mdm-service', password: passwordOf('mdm-service') },
  ]);
  const connectorPlans = planConnectors(scenario);
  for (const c of connectorPlans)
    credentials.set({ role: 'connector', name: c.id, password: passwordOf(c.id) });
  const tls = o.tls
    ? setUpRunTls(ca, await generateKeyPair({ kind: 'ec', curve: 'P-256' }), new Date(), () => clock.now())
    : undefined;
  const broker = await startBroker(brokerChoice, credentials, tls);
  teardown.network.add(() => broker.close());
  // an external broker's one account (CERTFLEET_BROKER_USERNAME/PASSWORD), used by every client of the run
  const shared = sharedLogin(broker);
  const identityOf = (clientId: string): BrokerIdentity | undefined => {
    if (clientId === 'mdm-service') return { role: 'service', name: clientId };
    if (connectorPlans.some((c) => c.id === clientId)) return { role: 'connector', name: clientId };
    return devices.has(clientId) ? { role: 'device', name: clientId } : undefined;
  };
  const inFlight = new InFlight(aclInFlightOptions(TENANT, identityOf));
  // every client of the run, so that a setup step failing half-way leaves none connected
  const opened = new Set<Transport>();
  teardown.network.add(() => Promise.all([...opened].map((t) => t.close().catch(() => undefined))));
  const connect = async (clientId: string, identity?: ManagementIdentity): Promise<Transport> => {
    const transport = await connectMqtt({
      // Mosquitto with --tls: certificates on their own listener, passwords (enrolment) on `url`
      url: identity && broker.deviceTlsUrl ? broker.deviceTlsUrl : broker.url,
      clientId,
      username: shared?.username ?? clientId,
      // with its management certificate a TLS device authenticates by certificate, not by password
      ...(shared
        ? shared.password !== undefined
          ? { password: shared.password }
          : {}
        : identity
          ? {}
          : { password: passwordOf(clientId) }),
      protocolVersion: o.mqttVersion ?? 4,
      inFlight,
      ...(tls ? { tls: identity ? tls.deviceClient(identity) : tls.client } : {}),
    });
    opened.add(transport);
    return transport;
  };

  // --- the service and connectors ---------------------------------------------------------------------------
  const rsaKeys = new KeyFactory({ kind: 'rsa', size: 2048 }, { ahead: 12 });
  const ecKeys = new KeyFactory({ kind: 'ec', curve: 'P-256' }, { ahead: 8 });
  rsaKeys.prime();
  const random = createRandom(scenario.seed);
  const { assignments, nameOfId } = assignmentsOf(scenario);
  const named = <T extends { profile?: string }>(x: T): T =>
    x.profile === undefined ? x : { ...x, profile: nameOfId.get(x.profile) ?? x.profile };
  let enrolled = 0;
  let answered = 0;
  let failed = 0;
  const progress = (): void => o.onProgress?.({ enrolled, answered, failed, total: plans.length });
  const service = new MdmService({
    tenant: TENANT,
    transport: await connect('mdm-service'),
    ca,
    clock,
    random: random.fork('service'),
    assignments,
    directory,
    restrictions: scenario.enrollmentRestrictions,
    onCrl: crlWriter(dir),
    ...serviceRecorder(runDb, named, (e) => {
      if (e.type === 'enrolled') enrolled += 1;
      o.onEvent?.(e);
    }),
    onOutcome: (out: DeviceProfileOutcome) => {
      if (out.status === 'installed' || out.status === 'failed' || out.status === 'skipped') answered += 1;
      if (out.status === 'failed') failed += 1;
      progress();
    },
  });
  teardown.network.add(() => service.stop());
  await service.start();

  const connectors = await startConnectorPool({
    plans: connectorPlans,
    tenant: TENANT,
    connect: (id) => connect(id),
    ca,
    clock,
    random,
    pollIntervalMs: scenario.connectors.pollIntervalMs,
    maxIdlePollIntervalMs: scenario.connectors.maxIdlePollIntervalMs,
    keys: rsaKeys,
    onEvent: (e) => {
      runDb.recordEvent(e);
      o.onEvent?.(e);
    },
  });

  const idOfName = new Map([...nameOfId].map(([id, name]) => [name, id]));
  scheduleActions({
    scenario,
    service,
    clock,
    idOfProfile: (name) => idOfName.get(name),
    indexOf: (id) => devices.get(id)?.plan.index ?? Number.MAX_SAFE_INTEGER,
  });
  teardown.network.add(() =>
    Promise.all([...connectors.values()].map((c) => c.stop().catch(() => undefined))),
  );

  // --- the agents ---------------------------------------------------------------------------------------------
  const agents = new Map<string, DeviceAgent>();
  teardown.network.add(async () => {
    for (const a of agents.values()) await a.stop().catch(() => undefined);
  });
  const unlocked = new Set<string>();
  const startAgent = async (device: Device, plan: DevicePlan): Promise<void> => {
    credentials.set({ role: 'device', name: device.id, password: passwordOf(device.id) });
    await broker.synced?.();
    const held = tls ? storedIdentity(storeDb, device.id) : undefined;
    const transport = await connect(device.id, held);
    inFlight.setOnline(device.id, true);
    const agent: DeviceAgent = new DeviceAgent({
      device,
      tenant: TENANT,
      db: storeDb,
      clock,
      scheduler: clock,
      transport,
      adapter: PLATFORM_ADAPTERS[device.platform],
      keys: device.platform === 'windows' ? rsaKeys : ecKeys,
      ...(tls ? { reconnect: (identity: ManagementIdentity) => connect(device.id, identity) } : {}),
      checkInIntervalMs: scenario.checkInIntervalMs,
      answerDelayMs: plan.slowDelayMs,
      isLocked: () => plan.locked && !unlocked.has(device.id),
      onRenewalDeferred: (d) => {
        runDb.recordEvent({
          at: clock.now().toISOString(),
          device: device.id,
          type: 'renewal-deferred',
          detail: d.message,
        });
        if (unlocked.has(device.id) || plan.unlockAfterMs === undefined) return;
        clock.after(plan.unlockAfterMs, async () => {
          unlocked.add(device.id);
          await agents.get(device.id)?.checkInNow();
        });
      },
    });
    agents.set(device.id, agent);
    await agent.start();
  };
  for (const { device, plan } of devices.values()) {
    clock.schedule(plan.enrolAt, () => startAgent(device, plan));
    for (const w of plan.offline) {
      clock.schedule(w.from, async () => {
        const agent = agents.get(device.id);
        if (!agent) return;
        agents.delete(device.id);
        inFlight.setOnline(device.id, false);
        await agent.stop();
        runDb.recordEvent({
          at: clock.now().toISOString(),
          device: device.id,
          type: 'offline',
          detail: 'device went offline',
        });
      });
      clock.schedule(w.to, async () => {
        if (agents.has(device.id) || clock.now().getTime() < plan.enrolAt) return;
        runDb.recordEvent({
          at: clock.now().toISOString(),
          device: device.id,
          type: 'online',
          detail: 'device back online',
        });
        await startAgent(device, plan);
      });
    }
  }

  // --- run -----------------------------------------------------------------------------------------------------
  const settle = async (): Promise<void> => {
    for (let round = 0; round < 1000; round++) {
      await inFlight.settled({ exceptOffline: true });
      await service.idle();
      await Promise.all([...connectors.values()].map((c) => c.idle()));
      if (inFlight.count({ exceptOffline: true }) === 0) return;
    }
  };
  const end = scenario.start + scenario.durationMs;
  await clock.runUntil(end, settle);
  await teardown.network.run(); // agents, connectors, service, broker: the reverse of their start

  // --- result ----------------------------------------------------------------------------------------------------
  const result = buildRunResult({
    scenario,
    devices: [...devices.values()],
    service,
    named,
    wallSeconds: (performance.now() - wallStart) / 1000,
    end,
  });
  for (const id of devices.keys()) runDb.snapshotStores(storeDb.items(id));
  runDb.finishRun(result);
  await teardown.stores.run();
  return { result, dir, dbPath };
}

/** What {@link buildRunResult} needs: the scenario, its devices, the service after the run. */
export interface RunResultInput {
  scenario: Scenario;
  devices: { device: Device; plan: DevicePlan }[];
  service: MdmService;
  /** Maps profile ids in outcomes and events to the scenario's profile names. */
  named: <T extends { profile?: string }>(x: T) => T;
  wallSeconds: number;
  /** Virtual end of the run, epoch ms. */
  end: number;
}

/** The {@link RunResult} of a run from the service's records, with the expectations evaluated. */
export function buildRunResult(i: RunResultInput): RunResult {
  const { scenario, service, named, wallSeconds, end } = i;
  const enrolledIds = new Set(
    service
      .devices()
      .filter((d) => d.state === 'enrolled')
      .map((d) => d.id),
  );
  const devicesList: DeviceSummary[] = i.devices.map(({ device, plan }) => ({
    id: device.id,
    index: plan.index,
    platform: device.platform,
    kind: device.enrollmentKind,
    osVersion: device.osVersion,
    model: device.model,
    enrolled: enrolledIds.has(device.id),
    absent: absenceCausesOf(device, plan, scenario.fleet.missing),
  }));
  const counters = service.counters();
  const result: RunResult = {
    scenario: scenario.name,
    seed: scenario.seed,
    devices: i.devices.length,
    startedAt: new Date(scenario.start).toISOString(),
    devicesList,
    outcomes: sortOutcomes(service.outcomes().map(named)),
    // Events of one virtual instant happen in whatever order the network delivered them; sort them so the
    // same seed gives the same report.
    events: service.events().map(named).sort(compareEvents),
    expectations: [],
    ...(scenario.warnings?.length ? { warnings: scenario.warnings.map((w) => ({ ...w })) } : {}),
    metrics: {
      wallSeconds,
      virtualStart: new Date(scenario.start).toISOString(),
      virtualEnd: new Date(end).toISOString(),
      devicesPerSecond: i.devices.length / wallSeconds,
      certificatesIssued: counters.certificatesIssued,
      connectorLoad: counters.connectorLoad,
      messages: counters.messagesIn + counters.messagesOut,
    },
  };
  result.expectations = evaluateExpectations(scenario.expect, result, {
    facts: extraFactsOf(
      i.devices.map((d) => d.device),
      i.devices.map((d) => d.plan),
    ),
  });
  return result;
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

/** A fresh run CA in `dir`, made a year before the run starts (exported for `certfleet serve`). */
export async function freshCa(dir: string, scenario: Scenario, now: Date): Promise<EnterpriseCa> {
  // The CA is made a year before the run starts, as a tenant's CA would be.
  const ca = await EnterpriseCa.init(dir, {
    now: new Date(now.getTime() - 365 * 86_400_000),
    force: true,
    // serial numbers from the seed: the same run issues the same serials (the keys are fresh anyway)
    random: seededBytes(`${scenario.seed}/ca`),
  });
  if (scenario.ca.type === 'fresh' && scenario.ca.templates.length > 0) {
    ca.configureTemplates({
      templates: scenario.ca.templates,
      published: scenario.ca.templates.map((t) => t.name),
    });
  }
  return ca;
}

/** The management identity a device's store holds (a restarted TLS device connects with it). */
function storedIdentity(db: StoreDb, deviceId: string): ManagementIdentity | undefined {
  const item = db.items(deviceId, { store: MDM_IDENTITY_STORE })[0];
  if (!item?.privateKey) return undefined;
  return { certificate: parseCertificate(item.certificate), privateKey: importPrivateKey(item.privateKey) };
}

async function startBroker(
  choice: BrokerChoice,
  credentials: CredentialTable,
  tls: RunTls | undefined,
): Promise<BrokerHandle> {
  switch (choice.type) {
    case 'embedded':
      return startEmbeddedBroker({ tenant: TENANT, credentials, ...(tls ? { tls: tls.broker } : {}) });
    case 'mosquitto':
      if (!findMosquitto(choice.binary)) {
        throw new CertfleetError(
          'BROKER_START',
          'Mosquitto is not installed: apt-get install mosquitto, or use the embedded broker.',
        );
      }
      return startMosquitto({
        tenant: TENANT,
        credentials,
        ...(choice.binary ? { binary: choice.binary } : {}),
        ...(tls ? { tls: { ca: tls.broker.ca, cert: tls.broker.cert, key: tls.broker.key } } : {}),
      });
    case 'external':
      return externalBroker(choice.url, process.env);
  }
}

/** A deterministic byte stream from a label (CA serial numbers of a fresh run CA). */
function seededBytes(label: string): (n: number) => Buffer {
  let counter = 0;
  return (n) => {
    const out: Buffer[] = [];
    let have = 0;
    while (have < n) {
      const block = createHash('sha256').update(`${label}/${counter++}`).digest();
      out.push(block);
      have += block.length;
    }
    return Buffer.concat(out).subarray(0, n);
  };
}

function compareEvents(a: RunEvent, b: RunEvent): number {
  return (
    a.at.localeCompare(b.at) ||
    (a.device ?? '').localeCompare(b.device ?? '') ||
    (a.profile ?? '').localeCompare(b.profile ?? '') ||
    a.type.localeCompare(b.type) ||
    a.detail.localeCompare(b.detail)
  );
}

function sortOutcomes(outcomes: DeviceProfileOutcome[]): DeviceProfileOutcome[] {
  return outcomes.sort((a, b) =>
    a.device === b.device ? a.profile.localeCompare(b.profile) : a.device.localeCompare(b.device),
  );
}
