/**
 * The run folder as `certfleet show device` and `certfleet replay` find it: which folder (`--run DIR`, or
 * the newest one under `runs/`), and `run.json` — what a run needs to be replayed: the scenario (its file,
 * the folder its relative paths resolve against, and its text as it was when the run started), the seed,
 * and the fleet size (a device's plan depends on the seed, its index and the fleet size).
 *
 * `run.json` format (version 1):
 * ```json
 * { "format": "certfleet-run/1", "scenario": { "name", "file", "baseDir", "text"? },
 *   "seed", "devices", "only"?, "startedAt", "broker"? }
 * ```
 * `text` is absent when the scenario was built in code (no file): replay then reads `file` if it exists.
 */
import {
  accessSync,
  constants,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmdirSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { CertfleetError } from '../../pki/errors.ts';
import { RUN_DB_FILE, RunDb, type RunInfo } from '../report/run-db.ts';
import type { Scenario } from '../scenario/index.ts';
import { SERVICE_STATE_FILE } from './service-checkpoint.ts';

/** The manifest's file name inside a run folder. */
export const RUN_MANIFEST_FILE = 'run.json';

/** The `format` value of the manifest this version writes. */
export const RUN_MANIFEST_FORMAT = 'certfleet-run/1';

/** What `run.json` holds (see the file comment). */
export interface RunManifest {
  format: typeof RUN_MANIFEST_FORMAT;
  scenario: {
    name: string;
    /** The scenario file as given (absolute when it was a path), for messages and as a fallback. */
    file: string;
    /** Folder the scenario's relative paths (CA folder, Graph JSON files) resolve against. */
    baseDir: string;
    /** The scenario text as it was read at the start of the run. */
    text?: string;
  };
  seed: string;
  /** The fleet size (`fleet.devices` after `--devices`), not the number of devices that ran. */
  devices: number;
  /** Device indices the run was restricted to (a replay), if any. */
  only?: number[];
  /** Wall time the run started (ISO). */
  startedAt: string;
  /** Agent hosts the fleet was spread over (`run --workers`, `serve --hosts`); absent: one process. */
  hosts?: number;
  /**
   * The broker of a one-process run (`run --broker`, or the one auto-workers.ts chose): `embedded` in the
   * run's process, `child` (the same broker in a child process), `mosquitto` or `external`.
   */
  broker?: 'embedded' | 'child' | 'mosquitto' | 'external';
  /**
   * The engine that wrote a coordinated run's folder: `serve` (its agent hosts are processes of their own,
   * which rejoin) or `run-workers` (its hosts were its child processes, gone with it). Only a folder a
   * `serve` wrote is resumed ({@link refuseForeignResume}); absent on a one-process run.
   */
  engine?: 'serve' | 'run-workers';
  /**
   * Set when the run went on a scaled wall clock (`serve --wall-paced`) instead of the shared virtual clock:
   * virtual ms per real ms. Such a run is NOT reproducible (its outcomes depend on the machines' speed), and
   * its reports say so.
   */
  wallPaced?: { timeScale: number };
}

/** The run `dir`'s run.db holds when it never finished (nor recorded a failure), else undefined. */
function unfinishedRun(dir: string): RunInfo | undefined {
  const path = join(dir, RUN_DB_FILE);
  if (!existsSync(path)) return undefined;
  let run: RunInfo | undefined;
  let failed: boolean;
  try {
    const db = RunDb.open(path);
    try {
      run = db.run();
      failed = db.events('run-failed').length > 0; // compose/run-records.ts RUN_FAILED_EVENT
    } finally {
      db.close();
    }
  } catch {
    return undefined; // not a run database we can read: replaced as before
  }
  return !run || run.finishedAt !== undefined || failed ? undefined : run;
}

/**
 * Whether `dir` holds a run a coordinated `serve` can go on with (issue 10 point 3): a run.db whose run
 * never finished, and the service state that run saved (`service-state.db`, service-checkpoint.ts). The
 * state is checked against the scenario, seed and fleet secret when it is opened (RUN_STATE_MISMATCH).
 */
export function canResume(dir: string): boolean {
  return unfinishedRun(dir) !== undefined && existsSync(join(dir, SERVICE_STATE_FILE));
}

/**
 * Refuses to resume in `serve` a folder another engine wrote (issue 10 point 3): `run --workers` saves its
 * state as a serve does, but its agent hosts were its child processes, gone with it, so nothing would
 * rejoin the resumed run. `run.json`'s `engine` says which wrote it; a folder without one (an older
 * certfleet) is refused too.
 * @throws CertfleetError RUN_NOT_RESUMABLE naming the folder and the engine.
 */
export function refuseForeignResume(dir: string): void {
  let engine: RunManifest['engine'];
  try {
    engine = readRunManifest(dir).engine;
  } catch {
    engine = undefined;
  }
  if (engine === 'serve') return;
  throw new CertfleetError(
    'RUN_NOT_RESUMABLE',
    `${dir} holds an unfinished run written by ${engine === 'run-workers' ? '`certfleet run --workers`' : 'another certfleet (its run.json names no engine)'}: ` +
      'a serve resumes only a run a serve wrote, since the agent hosts of that run are gone with its process. Nothing was changed. ' +
      'Start afresh: write the new run to another --out folder, or remove that folder yourself.',
    { details: { dir, ...(engine !== undefined && { engine }) } },
  );
}

/**
 * Refuses a run folder whose `run.db` holds a run that never finished and cannot be resumed here (issue 10
 * point 3: a restarted `serve` used to delete it, make a new CA with a new root key and pass): its records
 * and its CA are what the devices of that run trust, so nothing of it is replaced. A run that finished (or
 * failed to start: its `run-failed` event says so) is replaced as before. A coordinated `serve` resumes an
 * unfinished run that kept its saved state ({@link canResume}) instead of calling this.
 * @throws CertfleetError RUN_UNFINISHED naming the folder and the run.
 */
export function refuseUnfinished(dir: string): void {
  const run = unfinishedRun(dir);
  if (!run) return;
  throw new CertfleetError(
    'RUN_UNFINISHED',
    `${dir} holds a run that never finished (scenario ${run.scenario}, started ${run.startedAt}; its process was killed?). ` +
      'Only a coordinated `certfleet serve` on a folder that kept its saved state (service-state.db) resumes a killed run, ' +
      'and replacing it would lose its issued certificates and its CA: nothing was changed. ' +
      'Start the same serve command again if it was a serve, or write the new run to another --out folder (or remove that folder yourself).',
  );
}

/**
 * Checks and creates the `--out` folder before a command writes anything (issue 10 point 4): an existing
 * file, a parent that is a file, or a place where no folder can be made (`/proc/x`, a read-only disk) is an
 * IO error naming the path and what to do, and nothing is left behind. The folder is made one level at a
 * time: Node 20's `mkdirSync(…, { recursive: true })` never returns under `/proc`. Returns the absolute path.
 * @throws CertfleetError IO
 */
export function prepareOutFolder(out: string): string {
  return claimOutFolder(out).dir;
}

/** The `--out` folder of a command, as {@link claimOutFolder} checked and made it. */
export interface OutFolder {
  /** The absolute path. */
  dir: string;
  /** The folders the check made, the top-most first (`dir` and missing parents); empty when `dir` existed. */
  made: readonly string[];
}

/**
 * {@link prepareOutFolder}, saying which folders it made, for {@link dropOnUsageError}.
 * @throws CertfleetError IO
 */
export function claimOutFolder(out: string): OutFolder {
  const dir = resolve(out);
  const fail = (why: string, cause?: unknown): CertfleetError =>
    new CertfleetError('IO', `Cannot use ${out} as the run folder (--out): ${why}`, {
      ...(cause === undefined ? {} : { cause }),
      details: { path: dir },
    });
  const missing: string[] = [];
  let at = dir;
  while (!existsSync(at)) {
    missing.unshift(at);
    const parent = dirname(at);
    if (parent === at) break;
    at = parent;
  }
  let isDir: boolean;
  try {
    isDir = statSync(at).isDirectory();
  } catch (cause) {
    throw fail(`${at} cannot be read (${(cause as NodeJS.ErrnoException).code ?? String(cause)}).`, cause);
  }
  if (!isDir) {
    throw fail(
      at === dir
        ? 'it is a file, not a folder. Give a folder path (it is created if missing) or move the file away.'
        : `${at} is a file, so no folder can be made under it. Give a path under a folder.`,
    );
  }
  try {
    accessSync(at, constants.W_OK);
  } catch (cause) {
    throw fail(`${at} is not writable. Give a folder you can write to.`, cause);
  }
  const made: string[] = [];
  const { failed } = makeFolders(missing, made);
  if (failed !== undefined) {
    const code = (failed.cause as NodeJS.ErrnoException).code ?? String(failed.cause);
    throw fail(
      `the folder cannot be created (${code} at ${failed.at}). Give a folder on a writable disk.`,
      failed.cause,
    );
  }
  return { dir, made };
}

/**
 * A `.catch` handler for a command's work in `folder`: a usage error (exit 2) writes nothing (README
 * "Reports for CI"), so when the work fails with one — a value checked only once the work began — the
 * folders {@link claimOutFolder} made are removed again, with whatever the work had written in them. A
 * folder that existed before is left as it is, and so is the folder of a command that was asked to stop
 * (`stop` resolved or aborted: its reports are written, marked interrupted). The error is passed on.
 */
export function dropOnUsageError(
  folder: OutFolder,
  stop?: AbortSignal | Promise<unknown>,
): (e: unknown) => never {
  let stopped = false;
  if (stop instanceof Promise) void stop.then(() => (stopped = true));
  return (e) => {
    const top = folder.made[0];
    const asked = stopped || (stop instanceof AbortSignal && stop.aborted);
    if (top !== undefined && !asked && e instanceof CertfleetError && e.code === 'USAGE') {
      try {
        rmSync(top, { recursive: true, force: true });
      } catch {
        // what cannot be removed stays; the usage error is what the command reports
      }
    }
    throw e;
  };
}

/**
 * Makes `folders` (each one's parent first), one level at a time. A folder another process made since the
 * caller found it missing counts as made — the agent hosts of `run --workers` make `hosts/0`, `hosts/1`, …
 * at the same moment, and each finds `hosts` missing — but is not this call's, so it is not removed. The
 * folders this call made are pushed onto `made`. On another failure, what this call made is removed again
 * (and taken off `made`) and `failed` says where and why.
 */
export function makeFolders(
  folders: readonly string[],
  made: string[] = [],
): { failed?: { at: string; cause: unknown } } {
  for (const m of folders) {
    try {
      mkdirSync(m);
      made.push(m);
    } catch (cause) {
      if ((cause as NodeJS.ErrnoException).code === 'EEXIST' && isFolder(m)) continue;
      for (const x of made.splice(0).reverse()) rmdirSync(x);
      return { failed: { at: m, cause } };
    }
  }
  return {};
}

function isFolder(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

/** Writes `run.json` into `dir`. */
export function writeRunManifest(dir: string, manifest: RunManifest): void {
  refuseUnfinished(dir);
  writeFileSync(join(dir, RUN_MANIFEST_FILE), `${JSON.stringify(manifest, null, 2)}\n`);
}

/**
 * Opens the run folder of a split-fleet side (`serve`, on either clock): makes `out`, writes its `run.json`
 * for the scenario read from `scenarioFile` (its text kept as read now), and returns the folder's absolute
 * path. With `resume` (a killed serve's folder, {@link canResume}) the folder and its `run.json` stay as
 * the killed run left them.
 */
export function openSplitRunFolder(
  out: string,
  scenarioFile: string,
  scenario: Scenario,
  extra: Pick<RunManifest, 'hosts' | 'wallPaced' | 'engine'> = {},
  o: { resume?: boolean } = {},
): string {
  const dir = resolve(out);
  if (o.resume) return dir;
  mkdirSync(dir, { recursive: true });
  writeRunManifest(dir, {
    format: RUN_MANIFEST_FORMAT,
    scenario: {
      name: scenario.name,
      file: resolve(scenarioFile),
      baseDir: scenario.baseDir,
      text: readFileSync(scenarioFile, 'utf8'),
    },
    seed: scenario.seed,
    devices: scenario.fleet.devices,
    startedAt: new Date().toISOString(),
    ...extra,
  });
  return dir;
}

/**
 * Reads `run.json` from a run folder.
 * @throws CertfleetError USAGE when the folder has no manifest (a run of an older certfleet) or it is not one.
 */
export function readRunManifest(dir: string): RunManifest {
  const file = join(dir, RUN_MANIFEST_FILE);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (cause) {
    throw new CertfleetError(
      'USAGE',
      `${dir} has no ${RUN_MANIFEST_FILE}, so its scenario and seed are unknown: re-run the scenario with this certfleet, then replay from the new run folder.`,
      { cause },
    );
  }
  let m: Partial<RunManifest>;
  try {
    m = JSON.parse(text) as Partial<RunManifest>;
  } catch (cause) {
    throw new CertfleetError('USAGE', `${file} is not JSON (${(cause as Error).message}).`, { cause });
  }
  if (
    m.format !== RUN_MANIFEST_FORMAT ||
    typeof m.seed !== 'string' ||
    typeof m.devices !== 'number' ||
    typeof m.scenario?.file !== 'string'
  ) {
    throw new CertfleetError(
      'USAGE',
      `${file} is not a ${RUN_MANIFEST_FORMAT} manifest; re-run the scenario with this certfleet.`,
    );
  }
  return m as RunManifest;
}

/** True when `dir` holds a run database. */
export function isRunFolder(dir: string): boolean {
  return existsSync(join(dir, RUN_DB_FILE));
}

/**
 * The run folder a command means: `run` when given (it must hold run.db), else the newest folder under
 * `runsDir` (default `runs/` in the working folder) that holds one.
 * @throws CertfleetError USAGE when there is no such folder, saying what to pass.
 */
export function resolveRunFolder(run: string | undefined, runsDir = resolve('runs')): string {
  if (run !== undefined) {
    const dir = resolve(run);
    if (!existsSync(dir))
      throw new CertfleetError(
        'USAGE',
        `No run folder ${dir}: pass --run with the --out folder of a finished certfleet run.`,
      );
    if (!isRunFolder(dir))
      throw new CertfleetError(
        'USAGE',
        `${dir} is not a run folder (it has no ${RUN_DB_FILE}): pass --run with the --out folder of a finished certfleet run.`,
      );
    return dir;
  }
  const candidates = existsSync(runsDir)
    ? readdirSync(runsDir)
        .map((name) => join(runsDir, name))
        .filter((d) => statSync(d).isDirectory() && isRunFolder(d))
        .map((d) => ({ d, t: statSync(join(d, RUN_DB_FILE)).mtimeMs }))
        .sort((a, b) => b.t - a.t || b.d.localeCompare(a.d))
    : [];
  const newest = candidates[0];
  if (!newest)
    throw new CertfleetError(
      'USAGE',
      `No run folder under ${runsDir}: run a scenario first (certfleet run), or pass --run DIR.`,
    );
  return newest.d;
}
