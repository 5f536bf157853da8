/**
 * `certfleet run --workers N`: the run as the fleet engine's coordinator with N agent hosts in CHILD
 * PROCESSES (not threads: a process may hold at most 20,000 open files here, and each host holds about
 * devices/N MQTT sockets while the broker's side of them sits in this process).
 *
 * This process starts the embedded broker on loopback (127.0.0.1, a free port; logins derive from a fleet
 * secret made for the run) — or uses one already running (`broker`: the idle bench) — and runs the coordinator (engine-fleet.ts `coordinateFleet`) into the run
 * folder; each host is `node bin/certfleet.mjs agents --scenario F --broker URL --shard i/N --out
 * <run>/hosts/i` with the secret in CERTFLEET_FLEET_SECRET. A child that dies before the run ends fails the
 * run (HOST_MISSING, naming it); whatever happens, every child is killed and the broker closed before this
 * returns — no orphans.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CertfleetError } from '../../pki/errors.ts';
import { randomSecretBytes } from '../../pki/secret-witness.ts';
import { coordinateFleet, type CoordinateOptions, type EngineProgress } from './engine-fleet.ts';
import { FLEET_SECRET_ENV } from './fleet-secret.ts';
import { startFleetBroker } from './fleet-broker.ts';
import { recordInterruption } from '../report/run-db.ts';
import type { FleetRun } from './compose/service-side.ts';
import { MAX_AGENT_HOSTS } from './auto-workers.ts';
import { TENANT } from './compose/service-side.ts';
import { KEY_POOL_PASSPHRASE_ENV } from '../tools/key-pool/key-pool.ts';
import type { RunKeyPoolOption } from '../tools/key-pool/process-pool.ts';

const BIN = fileURLToPath(new URL('../../bin/certfleet.mjs', import.meta.url));

/** Options of {@link runWorkers}. */
export interface RunWorkersOptions {
  /** The scenario file (the hosts load the same file). */
  scenario: string;
  workers: number;
  out: string;
  devices?: number;
  seed?: string;
  onProgress?: (p: EngineProgress) => void;
  /**
   * `--key-pool DIR` (`--key-reuse`): the coordinator and every host draw from their own share of the pool
   * (pool-partition.ts); each host gets the folder on its command line and the passphrase in its environment
   * (CERTFLEET_KEY_POOL_PASSPHRASE, never on a command line), and the report counts the keys of all of them.
   */
  keyPool?: RunKeyPoolOption;
  /** Wall-clock liveness: how long the hosts have to join (default 120 s; the bench's 10,000-device fleet on a loaded machine needs more). */
  hostTimeoutMs?: number;
  /**
   * A stop request (SIGINT/SIGTERM, issue 10 point 7): the coordinator stops at its next instant, the result
   * so far is returned marked `interrupted` (reason: the signal's name), and every host child is stopped.
   */
  stop?: AbortSignal;
  /**
   * A broker already running (its URL and the fleet secret its logins derive from) in place of the embedded
   * one this run would start: `npm run bench -- idle` measures the broker in its own process.
   */
  broker?: { url: string; secret: Buffer };
  /** More environment for the host children (the idle bench's memory probe). */
  hostEnv?: Record<string, string>;
  /** Called with each host child's process id once started (the idle bench reads their memory). */
  onHostsStarted?: (pids: readonly number[]) => void;
  /** Called when a host joins the coordinator (engine-fleet.ts `onHostJoined`). */
  onHostJoined?: CoordinateOptions['onHostJoined'];
}

/** How long the hosts have to exit after the run ended (wall clock) before the run is finished anyway. */
const HOST_EXIT_MS = 30_000;

function wallDelay(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms).unref());
}

/**
 * Refuses a worker count no run can have: `min` (0: one process) to {@link MAX_AGENT_HOSTS}, whole.
 * @throws CertfleetError USAGE quoting the count.
 */
export function checkWorkers(workers: number, min = 0): void {
  if (!Number.isInteger(workers) || workers < min || workers > MAX_AGENT_HOSTS) {
    throw new CertfleetError(
      'USAGE',
      `--workers ${workers}: give 0 (one process) or 1…${MAX_AGENT_HOSTS} agent host processes.`,
    );
  }
}

/** Runs the scenario over `workers` child-process hosts (see the file comment). */
export async function runWorkers(o: RunWorkersOptions): Promise<FleetRun> {
  checkWorkers(o.workers, 1);
  const dir = resolve(o.out);
  mkdirSync(dir, { recursive: true });
  // fresh key stores, as `run` starts from: stores an earlier run left in this folder would make its
  // devices believe they are enrolled (with another run's CA)
  rmSync(join(dir, 'hosts'), { recursive: true, force: true });
  const secret = o.broker
    ? o.broker.secret.toString('utf8')
    : randomSecretBytes(32, 'fleet-secret').toString('hex');
  const broker = o.broker
    ? { url: o.broker.url, close: async (): Promise<void> => undefined } // not ours to close
    : await startFleetBroker({ tenant: TENANT, secret: Buffer.from(secret, 'utf8'), host: '127.0.0.1' });
  const children: ChildProcess[] = [];
  const exits: Array<Promise<void>> = [];
  const died = new AbortController();
  let death: string | undefined;
  try {
    const overrides = [
      ...(o.devices !== undefined ? ['--devices', String(o.devices)] : []),
      ...(o.seed !== undefined ? ['--seed', o.seed] : []),
      ...(o.keyPool
        ? ['--key-pool', resolve(o.keyPool.dir), ...(o.keyPool.reuse ? ['--key-reuse'] : [])]
        : []),
    ];
    for (let i = 0; i < o.workers; i++) {
      const out = join(dir, 'hosts', String(i));
      const child = spawn(
        process.execPath,
        [
          BIN,
          'agents',
          '--scenario',
          resolve(o.scenario),
          '--broker',
          broker.url,
          '--shard',
          `${i}/${o.workers}`,
          '--out',
          out,
          ...overrides,
        ],
        {
          env: {
            ...process.env,
            [FLEET_SECRET_ENV]: secret,
            NO_COLOR: '1',
            ...o.hostEnv,
            ...(o.keyPool ? { [KEY_POOL_PASSPHRASE_ENV]: o.keyPool.passphrase } : {}),
          },
          stdio: ['ignore', 'ignore', 'pipe'],
        },
      );
      let err = '';
      child.stderr?.on('data', (b: Buffer) => (err = (err + b.toString()).slice(-2000)));
      child.once('exit', (code, signal) => {
        if (code === 0 || died.signal.aborted) return;
        death ??= `agent host ${i}/${o.workers} (pid ${child.pid}) exited with ${signal ?? `code ${code}`}: ${err.trim().split('\n').slice(-3).join(' | ')}`;
        died.abort();
      });
      children.push(child);
      exits.push(new Promise<void>((r) => child.once('exit', () => r())));
    }
    o.onHostsStarted?.(children.map((c) => c.pid ?? -1));
    const stop = new Promise<void>((r) => {
      died.signal.addEventListener('abort', () => r(), { once: true });
      o.stop?.addEventListener('abort', () => r(), { once: true });
      if (o.stop?.aborted) r();
    });
    let run: FleetRun;
    try {
      run = await coordinateFleet({
        scenario: o.scenario,
        broker: broker.url,
        secret: Buffer.from(secret, 'utf8'),
        hosts: o.workers,
        out: dir,
        hostTimeoutMs: o.hostTimeoutMs ?? 120_000,
        // the hosts are children on this machine: one that stops answering (it died) is missing sooner
        limits: { livenessMs: 20_000 },
        stop,
        // the hosts sent their key stores before the end (coordinateFleet puts them into run.db, as `run`
        // does its own) and exit once told the run is over: let them close their agents.db cleanly
        beforeFinish: async () => {
          await Promise.race([Promise.all(exits), wallDelay(HOST_EXIT_MS)]);
        },
        ...(o.devices !== undefined ? { devices: o.devices } : {}),
        ...(o.seed !== undefined ? { seed: o.seed } : {}),
        ...(o.keyPool ? { keyPool: o.keyPool } : {}),
        ...(o.onProgress ? { onProgress: o.onProgress } : {}),
        ...(o.onHostJoined ? { onHostJoined: o.onHostJoined } : {}),
      });
    } catch (err) {
      if (death === undefined) throw err;
      throw new CertfleetError('HOST_MISSING', `The run stopped: ${death}.`, {
        cause: err,
        details: { workers: o.workers },
      });
    }
    if (death !== undefined) {
      throw new CertfleetError('HOST_MISSING', `The run stopped: ${death}.`, {
        details: { workers: o.workers },
      });
    }
    if (o.stop?.aborted) {
      const reason: unknown = o.stop.reason;
      run.result.interrupted = {
        signal: typeof reason === 'string' ? reason : 'stop request',
        at: run.result.metrics.virtualEnd,
      };
      recordInterruption(run.dbPath, run.result.interrupted);
    }
    return run;
  } finally {
    died.abort();
    await Promise.all(
      children.map(
        (c) =>
          new Promise<void>((r) => {
            if (c.exitCode !== null || c.signalCode !== null) return r();
            c.once('exit', () => r());
            c.kill('SIGTERM');
            setTimeout(() => c.kill('SIGKILL'), 5_000).unref();
          }),
      ),
    );
    await broker.close();
  }
}
