/**
 * `certfleet serve`: the service side of a split fleet — the CA, the MDM service and its certificate
 * connectors — against a broker another process runs (`certfleet broker`, Mosquitto…), on scaled real time
 * (scaled-clock.ts). The devices are `certfleet agents` processes, on this machine or others. The service
 * knows the whole fleet from the scenario (its directory of devices: planFleet + generateDevice, the same on
 * every side), logs in as `mdm-service` / `connector-N` with passwords derived from the fleet secret, runs
 * until the scenario's virtual end (or a stop request), then writes report.json, junit.xml, report.html and
 * run.db into its folder — as `certfleet run` does, without the key-store snapshot (the stores live with
 * the agents: their agents.db).
 */
import { mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { createRandom } from '../../protocol/runtime/random.ts';
import { connectMqtt } from '../../protocol/transport/mqtt-transport.ts';
import type { Transport } from '../../protocol/transport/transport.ts';
import { KeyFactory } from '../../pki/key-factory.ts';
import { RunDb } from '../report/run-db.ts';
import { writeReports } from '../report/write-reports.ts';
import type { RunEvent } from '../run-model.ts';
import { bindCaRoot, needsCaRoot, planConnectors } from '../scenario/index.ts';
import { EnterpriseCa } from '../service/ca/enterprise-ca.ts';
import { MdmService } from '../service/mdm/index.ts';
import { assignmentsOf } from './assignments.ts';
import { startConnectorPool } from './connector-pool.ts';
import { planDevices } from './plan-devices.ts';
import { SERVICE_CLIENT_ID, splitFleetLogin } from './fleet-secret.ts';
import { RUN_MANIFEST_FORMAT, writeRunManifest } from './run-folder.ts';
import { buildRunResult, freshCa, TENANT, type FleetRun } from './run-fleet.ts';
import { ScaledClock } from './scaled-clock.ts';
import { serviceRecorder } from './service-recorder.ts';
import { crlWriter, scheduleActions } from './scenario-actions.ts';
import { DEFAULT_TIME_SCALE, splitScenario, type SplitFleetOptions } from './split-fleet.ts';

/** Options of {@link serveFleet}. */
export interface ServeOptions extends SplitFleetOptions {
  /** Called once connected, with the epoch and scale in use (the CLI prints the agents' command line). */
  onReady?: (info: { epoch: number; timeScale: number; virtualEnd: number }) => void;
  onEvent?: (e: RunEvent) => void;
}

/** Runs the service side until the scenario's virtual end (or `stop`), then writes the reports. */
export async function serveFleet(o: ServeOptions): Promise<FleetRun> {
  const wallStart = performance.now();
  let scenario = splitScenario(o);
  const tenant = o.tenant ?? TENANT;
  const timeScale = o.timeScale ?? DEFAULT_TIME_SCALE;
  const dir = resolve(o.out);
  mkdirSync(dir, { recursive: true });
  writeRunManifest(dir, {
    format: RUN_MANIFEST_FORMAT,
    scenario: {
      name: scenario.name,
      file: resolve(o.scenario),
      baseDir: scenario.baseDir,
      text: readFileSync(o.scenario, 'utf8'),
    },
    seed: scenario.seed,
    devices: scenario.fleet.devices,
    startedAt: new Date().toISOString(),
  });
  const dbPath = join(dir, 'run.db');
  for (const s of ['', '-wal', '-shm']) rmSync(dbPath + s, { force: true });
  const runDb = RunDb.create(dbPath, { overwrite: true });

  const epoch = o.epoch ?? Date.now();
  const clock = new ScaledClock({ start: scenario.start, epoch, scale: timeScale });
  const ca =
    scenario.ca.type === 'folder'
      ? EnterpriseCa.open(resolve(scenario.baseDir, scenario.ca.dir))
      : await freshCa(join(dir, 'ca'), scenario, new Date(scenario.start));
  if (needsCaRoot(scenario)) scenario = bindCaRoot(scenario, ca.root.der);

  const { devices, directory } = planDevices(scenario, runDb);

  const loginOf = splitFleetLogin(o.broker, o.secret);
  const connect = (clientId: string): Promise<Transport> =>
    connectMqtt({
      url: o.broker,
      clientId,
      ...loginOf(clientId),
      protocolVersion: o.mqttVersion ?? 4,
    });

  const rsaKeys = new KeyFactory({ kind: 'rsa', size: 2048 }, { ahead: 12 });
  rsaKeys.prime();
  const random = createRandom(scenario.seed);
  const { assignments, nameOfId } = assignmentsOf(scenario);
  const named = <T extends { profile?: string }>(x: T): T =>
    x.profile === undefined ? x : { ...x, profile: nameOfId.get(x.profile) ?? x.profile };
  const service = new MdmService({
    tenant,
    transport: await connect(SERVICE_CLIENT_ID),
    ca,
    clock,
    random: random.fork('service'),
    assignments,
    directory,
    restrictions: scenario.enrollmentRestrictions,
    onCrl: crlWriter(dir),
    ...serviceRecorder(runDb, named, o.onEvent),
  });
  await service.start();

  const connectors = await startConnectorPool({
    plans: planConnectors(scenario),
    tenant: tenant,
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
  const indexOf = new Map(devices.map((d) => [d.device.id, d.plan.index]));
  scheduleActions({
    scenario,
    service,
    clock,
    idOfProfile: (name) => idOfName.get(name),
    indexOf: (id) => indexOf.get(id) ?? Number.MAX_SAFE_INTEGER,
  });

  const end = scenario.start + scenario.durationMs;
  o.onReady?.({ epoch, timeScale, virtualEnd: end });
  try {
    await Promise.race([clock.until(end), ...(o.stop ? [o.stop] : [])]);
  } finally {
    await clock.stop();
    for (const c of connectors.values()) await c.stop().catch(() => undefined);
    await service.stop().catch(() => undefined);
  }

  const result = buildRunResult({
    scenario,
    devices,
    service,
    named,
    wallSeconds: (performance.now() - wallStart) / 1000,
    end: Math.min(end, clock.now().getTime()),
  });
  runDb.finishRun(result);
  runDb.close();
  await writeReports(result, dir);
  return { result, dir, dbPath };
}
