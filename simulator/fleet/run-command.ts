/**
 * The operation behind `certfleet run`: run the scenario with a progress bar, write the reports into the
 * run folder, print the summary, and say whether every expectation held.
 */
import { claimOutFolder, dropOnUsageError } from './run-folder.ts';
import { checkBrokerOptions } from './compose/broker.ts';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ProgressBar } from '../report/progress-bar.ts';
import { renderSummary } from '../report/console.ts';
import { shouldColor } from '../report/ansi.ts';
import { failureReporter, writeReports } from '../report/write-reports.ts';
import { WallTimes } from '../report/wall-times.ts';
import { fleetSecretFrom, FLEET_SECRET_ENV } from './fleet-secret.ts';
import { CertfleetError } from '../../pki/errors.ts';
import { issueWorkersFrom } from '../../pki/pkcs12-pool.ts';
import { keyPoolOption } from '../tools/key-pool/process-pool.ts';
import { checkWorkers, runWorkers } from './run-workers.ts';
import { runFleet, type BrokerChoice } from './run-fleet.ts';
import { autoLayout, type RunLayout } from './auto-workers.ts';
import { splitScenario } from './split-fleet.ts';

/** Options of {@link runCommand} (the CLI's flags). */
export interface RunCommandOptions {
  scenario: string;
  devices?: number;
  seed?: string;
  /**
   * `embedded` (in the run's process), `child` (the embedded broker in a child process), `mosquitto`, or an
   * `mqtt://host:port` URL; undefined: {@link autoLayout} picks embedded or child by the fleet's size.
   */
  broker?: string;
  mqttVersion?: 4 | 5;
  /** TLS broker; devices connect with their management certificate (embedded broker only). */
  tls?: boolean;
  out?: string;
  json?: boolean;
  /** Replay: only these device indices. */
  only?: number[];
  /**
   * Agent hosts in child processes over a loopback embedded broker (run-workers.ts); 0: one process;
   * undefined: {@link autoLayout} (one process; with the broker in a child process for a large fleet).
   */
  workers?: number;
  /** `--key-pool DIR`: draw connector and device keys from this pool (simulator/tools/key-pool/). */
  keyPool?: string;
  /** `--key-reuse`: cycle the pool when it runs dry instead of making fresh keys (a load test). */
  keyReuse?: boolean;
  /** Where the pool's passphrase is read (`CERTFLEET_KEY_POOL_PASSPHRASE`); default `process.env`. */
  env?: Record<string, string | undefined>;
  /**
   * A stop request (the CLI aborts it on SIGINT/SIGTERM with the signal's name as reason): the run stops at
   * its next virtual instant and its reports are written, marked interrupted (issue 10 point 7).
   */
  stop?: AbortSignal;
}

/** Parses the `--broker` value. */
export function brokerChoice(value: string | undefined): BrokerChoice {
  if (!value || value === 'embedded') return { type: 'embedded' };
  if (value === 'child') return { type: 'child' };
  if (value === 'mosquitto') return { type: 'mosquitto' };
  return { type: 'external', url: value };
}

/** Default run folder: `runs/<timestamp>/`. */
export function defaultRunDir(now = new Date()): string {
  return resolve('runs', now.toISOString().replace(/[:.]/g, '-'));
}

/**
 * The scenario file to run: as given, or — for the default `scenarios/default.yaml` when the current folder
 * has none — the one shipped with certfleet, so `npx certfleet run` works from any folder.
 */
export function scenarioPath(given: string): string {
  if (existsSync(given) || given !== 'scenarios/default.yaml') return given;
  return fileURLToPath(new URL('../../scenarios/default.yaml', import.meta.url));
}

/** Runs, reports, prints; returns true when every expectation held. */
export async function runCommand(
  o: RunCommandOptions,
): Promise<{ passed: boolean; dir: string; interrupted?: string }> {
  const color = shouldColor(process.stdout.isTTY, process.env);
  let bar: ProgressBar | undefined;
  // every option is checked before anything is connected to or written: a usage error writes nothing
  if (o.workers !== undefined) checkWorkers(o.workers);
  if (
    o.workers &&
    ((o.broker !== undefined && o.broker !== 'embedded') || o.tls || o.only || o.mqttVersion === 5)
  ) {
    throw new CertfleetError(
      'USAGE',
      '--workers runs its own embedded broker on loopback: drop --broker, --tls and --mqtt-version 5, or drop --workers (serve + agents take any broker).',
    );
  }
  // option combinations the broker cannot carry (and a broker URL that is not one) are usage errors before
  // the run folder is made
  if (!o.workers) {
    checkBrokerOptions({ choice: brokerChoice(o.broker), tls: o.tls, mqttVersion: o.mqttVersion });
  }
  const keyPool = keyPoolOption({ dir: o.keyPool, reuse: o.keyReuse === true, env: o.env ?? process.env });
  // the issuance pool's size (CERTFLEET_ISSUE_WORKERS), read by the service side: refused before anything is written
  issueWorkersFrom(o.env ?? process.env);
  // against a broker started by `certfleet broker`: passwords derive from the shared fleet secret
  const fleetSecret = process.env[FLEET_SECRET_ENV] ? fleetSecretFrom(process.env) : undefined;
  // checked (and made) before anything is written: a bad --out is an IO error, nothing half-created
  const folder = claimOutFolder(o.out ?? defaultRunDir());
  const out = folder.dir;
  // a usage error found once the run began takes back the folder it made (README "Reports for CI")
  const dropFolder = dropOnUsageError(folder, o.stop);
  // wall-clock start and per-row durations for junit.xml (the run itself keeps virtual time)
  const wall = new WallTimes();
  // a scenario that cannot be loaded, or a run that does not finish: junit.xml says why (issue 13 point 1)
  const reportFailure = failureReporter(o.scenario, out, wall.startedAt);
  const layout: RunLayout = o.workers !== undefined ? { workers: o.workers } : defaultLayout(o);
  const workers = layout.workers;
  const run = workers
    ? await runWorkers({
        scenario: scenarioPath(o.scenario),
        workers,
        out,
        ...(o.devices !== undefined ? { devices: o.devices } : {}),
        ...(o.seed !== undefined ? { seed: o.seed } : {}),
        ...(keyPool ? { keyPool } : {}),
        ...(o.stop ? { stop: o.stop } : {}),
        onProgress: (p) => {
          if (o.json) return;
          bar ??= new ProgressBar({ total: p.total, stream: process.stderr, color });
          bar.update({ enrolled: p.enrolled, answered: p.answered, failed: p.failed, virtual: p.virtual });
        },
      })
        .catch(reportFailure)
        .catch(dropFolder)
    : await runFleet({
        scenario: scenarioPath(o.scenario),
        out,
        broker: brokerChoice(o.broker ?? layout.broker),
        ...(o.devices !== undefined ? { devices: o.devices } : {}),
        ...(o.seed !== undefined ? { seed: o.seed } : {}),
        ...(o.mqttVersion !== undefined ? { mqttVersion: o.mqttVersion } : {}),
        ...(o.only ? { only: o.only } : {}),
        ...(o.tls ? { tls: true } : {}),
        ...(keyPool ? { keyPool } : {}),
        ...(fleetSecret ? { fleetSecret } : {}),
        onEvent: wall.record,
        ...(o.stop ? { stop: o.stop } : {}),
        onProgress: (p) => {
          if (o.json) return;
          bar ??= new ProgressBar({ total: p.total, stream: process.stderr, color });
          bar.update({ enrolled: p.enrolled, answered: p.answered, failed: p.failed, virtual: p.virtual });
        },
      })
        .catch(reportFailure)
        .catch(dropFolder);
  bar?.done();
  const written = await writeReports(run.result, run.dir, { wall });
  const interrupted = run.result.interrupted?.signal;
  const passed = written.report.passed;
  if (o.json) {
    process.stdout.write(`${JSON.stringify(written.report, null, 2)}\n`);
  } else {
    process.stdout.write(renderSummary(run.result, { color }));
    process.stdout.write(`\nReports: ${run.dir}/report.html, report.json, junit.xml, run.db\n`);
  }
  return { passed, dir: run.dir, ...(interrupted !== undefined && { interrupted }) };
}

/**
 * The layout when no `--workers` is given (auto-workers.ts): the fleet size comes from the scenario; a
 * scenario that cannot be loaded runs in one process, whose start then reports why (junit.xml included).
 */
export function defaultLayout(o: RunCommandOptions): RunLayout {
  // any --broker (embedded included: "in the run's process"), TLS, MQTT 5 or a replay subset is kept as given
  const oneProcessOnly =
    o.broker !== undefined || Boolean(o.tls) || o.only !== undefined || o.mqttVersion === 5;
  if (oneProcessOnly) return { workers: 0 };
  let devices: number;
  try {
    devices = splitScenario({
      scenario: scenarioPath(o.scenario),
      ...(o.devices !== undefined ? { devices: o.devices } : {}),
    }).fleet.devices;
  } catch {
    return { workers: 0 };
  }
  return autoLayout({ devices, oneProcessOnly });
}
