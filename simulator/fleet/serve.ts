/**
 * `certfleet serve`: the service side of a split fleet — the CA, the MDM service and its certificate
 * connectors — against a broker another process runs (`certfleet broker`, Mosquitto…), on scaled real time
 * (scaled-clock.ts). The devices are `certfleet agents` processes, on this machine or others. The service
 * knows the whole fleet from the scenario (its directory of devices: planFleet + generateDevice, the same on
 * every side), logs in as `mdm-service` / `connector-N` with passwords derived from the fleet secret, runs
 * until the scenario's virtual end (or a stop request), then writes report.json, junit.xml, report.html and
 * run.db into its folder — as `certfleet run` does, without the key-store snapshot (the stores live with
 * the agents: their agents.db). Its parts — run records, service CA, broker, service side — are the ones
 * `certfleet run` starts (compose/); a start that fails releases what it started, last first, and run.db
 * records why (a `run-failed` event; the run row stays unfinished).
 */
import { join } from 'node:path';
import { KeyFactory } from '../../pki/key-factory.ts';
import type { Scenario } from '../scenario/index.ts';
import { openProcessPool } from '../tools/key-pool/process-pool.ts';
import { writeReports } from '../report/write-reports.ts';
import type { KeyOrigins, RunEvent } from '../run-model.ts';
import { joinedBroker } from './compose/broker.ts';
import { startFleet } from './compose/fleet-builder.ts';
import { fleetContext, need, type FleetKeys } from './compose/fleet-context.ts';
import { RUN_RECORDS, runRecords } from './compose/run-records.ts';
import { scepServer } from './compose/scep-server.ts';
import { buildRunResult, serviceCa, serviceSide, TENANT, type FleetRun } from './compose/service-side.ts';
import { openSplitRunFolder } from './run-folder.ts';
import { DEFAULT_TIME_SCALE, ScaledClock } from './scaled-clock.ts';
import { splitScenario, type SplitFleetOptions } from './split-fleet.ts';

/** Options of {@link serveFleet}. */
export interface ServeOptions extends SplitFleetOptions {
  /** Called once connected, with the epoch and scale in use (the CLI prints the agents' command line). */
  onReady?: (info: { epoch: number; timeScale: number; virtualEnd: number }) => void;
  onEvent?: (e: RunEvent) => void;
}

/** Runs the service side until the scenario's virtual end (or `stop`), then writes the reports. */
export async function serveFleet(o: ServeOptions): Promise<FleetRun> {
  const wallStart = performance.now();
  const scenario = splitScenario(o);
  const timeScale = o.timeScale ?? DEFAULT_TIME_SCALE;
  // the connectors make RSA keys; EC keys are for devices, which serve does not host (never primed)
  const factories = {
    rsa: new KeyFactory({ kind: 'rsa', size: 2048 }, { ahead: 12 }),
    ec: new KeyFactory({ kind: 'ec', curve: 'P-256' }),
  };
  // the service side's share of the key pool, opened before anything is written (a wrong passphrase stops here)
  const pool = o.keyPool
    ? openProcessPool({ keyPool: o.keyPool, scenario, role: { side: 'service' }, fallback: factories })
    : undefined;
  try {
    return await serveWithKeys(o, wallStart, scenario, timeScale, pool ?? { keys: factories });
  } finally {
    pool?.close();
  }
}

async function serveWithKeys(
  o: ServeOptions,
  wallStart: number,
  scenario: Scenario,
  timeScale: number,
  pool: { keys: FleetKeys; origins?: () => KeyOrigins },
): Promise<FleetRun> {
  const dir = openSplitRunFolder(o.out, o.scenario, scenario, { wallPaced: { timeScale } });
  const epoch = o.epoch ?? Date.now();
  const clock = new ScaledClock({ start: scenario.start, epoch, scale: timeScale });
  const ctx = fleetContext({ dir, scenario, tenant: o.tenant ?? TENANT, clock, keys: pool.keys });
  try {
    const fleet = await startFleet(ctx, [
      runRecords(),
      serviceCa(),
      scepServer(),
      joinedBroker({
        url: o.broker,
        secret: o.secret,
        ...(o.mqttVersion !== undefined ? { mqttVersion: o.mqttVersion } : {}),
      }),
      serviceSide(o.onEvent ? { onEvent: o.onEvent } : {}),
    ]);
    try {
      const end = ctx.scenario.start + ctx.scenario.durationMs;
      o.onReady?.({ epoch, timeScale, virtualEnd: end });
      let stopped: string | undefined;
      try {
        await Promise.race([
          clock.until(end),
          ...(o.stop ? [o.stop.then((s) => (stopped = typeof s === 'string' ? s : 'stop request'))] : []),
        ]);
      } finally {
        await clock.stop();
      }
      await fleet.stopAfter(RUN_RECORDS); // connectors, service, broker clients

      const runDb = need(ctx.runDb, 'the run database', 'serve');
      const { service, named } = need(ctx.service, 'the service side', 'serve');
      const result = buildRunResult({
        scenario: ctx.scenario,
        devices: ctx.devices,
        service,
        named,
        wallSeconds: (performance.now() - wallStart) / 1000,
        end: Math.min(end, clock.now().getTime()),
      });
      if (stopped !== undefined) {
        // SIGINT/SIGTERM (issue 10 point 7): the reports say the run was interrupted, and when
        result.interrupted = { signal: stopped, at: result.metrics.virtualEnd };
      }
      // this side's keys only: each agents process reports its own (AgentsRun.keys)
      if (pool.origins) result.metrics.keys = pool.origins();
      runDb.finishRun(result);
      await fleet.stop();
      await writeReports(result, dir);
      return { result, dir, dbPath: join(dir, 'run.db') };
    } catch (failure) {
      await fleet.stop({ failure });
      throw failure;
    }
  } finally {
    // timers of a start that failed half-way (the parts cancel their own; this catches the rest)
    await clock.stop();
  }
}
