/**
 * Writes the report files of a run into its folder (`--out DIR`, default `runs/<timestamp>/`):
 * `report.json`, `junit.xml` and `report.html`. Each file is written to a temporary name and renamed, so
 * a crash never leaves a half-written report that a CI system would read as complete.
 *
 * Besides the result, the reports read what the folder already holds: `run.json` (the run's metadata:
 * scenario text and wall-clock start, see run-meta.ts) and the closed `run.db` (renewal deferrals and the
 * key stores at the end, see time-series.ts). A folder without them gives reports without those parts.
 */
import { mkdir, open, rename, rm, type FileHandle } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { CertfleetError, isInputError } from '../../pki/errors.ts';
import type { RunResult } from '../run-model.ts';
import { renderHtml } from './html.ts';
import { writeJson, writeText } from './json-file.ts';
import { renderFailureJunit, renderJunit, type RunFailure } from './junit.ts';
import { buildReportJson, type ReportJson } from './report-json.ts';
import { runMetaOf } from './run-meta.ts';
import { summarize } from './summary.ts';
import { timeInputsFromRunDb, type TimeInputs } from './time-series.ts';
import type { WallClock } from './wall-times.ts';

/** File names inside a run folder. */
export const REPORT_FILES = { json: 'report.json', junit: 'junit.xml', html: 'report.html' } as const;

/** The paths {@link writeReports} wrote. */
export interface WrittenReports {
  json: string;
  junit: string;
  html: string;
  /** The content of report.json (what `run --json` prints). */
  report: ReportJson;
}

/** Options of {@link writeReports}. */
export interface WriteReportsOptions {
  /** The command line to record (default `process.argv`). */
  argv?: readonly string[];
  /**
   * The command's wall clock (simulator/report/wall-times.ts), for junit.xml's timestamps and durations.
   * Default: a start of now − the run's wall seconds, and no per-row spans.
   */
  wall?: WallClock;
}

/** Writes `content` (a string, or a writer of an open file) to `path`'s temporary name, then renames it. */
async function writeAtomically(
  path: string,
  content: string | ((file: FileHandle) => Promise<void>),
): Promise<void> {
  const tmp = `${path}.tmp-${process.pid}`;
  try {
    const file = await open(tmp, 'w');
    try {
      if (typeof content === 'string') await writeText(file, content);
      else await content(file);
    } finally {
      await file.close();
    }
    await rename(tmp, path);
  } catch (cause) {
    await rm(tmp, { force: true });
    throw new CertfleetError(
      'IO',
      `Cannot write the report ${path}: ${(cause as Error).message}. Check that the --out folder is writable.`,
      { cause },
    );
  }
}

/** run.db's part of the reports; a run.db that cannot be read leaves it out (report.json says `fromRunDb: false`). */
function readTimeInputs(dir: string): TimeInputs | undefined {
  try {
    return timeInputsFromRunDb(dir);
  } catch {
    return undefined;
  }
}

async function makeDir(dir: string): Promise<void> {
  try {
    await mkdir(dir, { recursive: true });
  } catch (cause) {
    throw new CertfleetError('IO', `Cannot create the run folder ${dir}: ${(cause as Error).message}.`, {
      cause,
    });
  }
}

/** Writes report.json, junit.xml and report.html for `result` into `dir` (created if needed). */
export async function writeReports(
  result: RunResult,
  dir: string,
  options: WriteReportsOptions = {},
): Promise<WrittenReports> {
  await makeDir(dir);
  const wall: WallClock = options.wall ?? {
    startedAt: Date.now() - result.metrics.wallSeconds * 1000,
    spanOf: () => undefined,
  };
  const summary = summarize(result);
  const time = readTimeInputs(dir);
  const extras = {
    run: runMetaOf(dir, result, options.argv),
    ...(time ? { time } : {}),
  };
  const report = buildReportJson(result, summary, extras);
  const paths = {
    json: join(dir, REPORT_FILES.json),
    junit: join(dir, REPORT_FILES.junit),
    html: join(dir, REPORT_FILES.html),
  };
  // piece by piece: the same bytes as JSON.stringify(report, null, 2), never the whole text at once
  await writeAtomically(paths.json, (file) => writeJson(file, report));
  await writeAtomically(paths.junit, renderJunit(result, { wall, hostname: hostname() }));
  await writeAtomically(paths.html, renderHtml(result, { report }));
  return { ...paths, report };
}

/**
 * Writes junit.xml with one failing test case for a run that could not be loaded (an invalid scenario, a
 * missing file) or did not finish, so a CI dashboard shows why instead of a stale or missing file.
 * Returns its path.
 */
export async function writeFailureReport(failure: RunFailure, dir: string): Promise<string> {
  await makeDir(dir);
  const path = join(dir, REPORT_FILES.junit);
  await writeAtomically(path, renderFailureJunit(failure, { hostname: hostname() }));
  return path;
}

/**
 * The failure to report for an error that ended a run, or undefined for a usage error (the command line is
 * refused before anything is loaded, and no run folder is made).
 */
export function runFailureOf(
  e: unknown,
  scenario: string,
  startedAt: number,
  now: number = Date.now(),
): RunFailure | undefined {
  if (e instanceof CertfleetError && e.code === 'USAGE') return undefined;
  const code = e instanceof CertfleetError ? e.code : 'INTERNAL';
  return {
    scenario,
    code,
    message: e instanceof Error ? e.message : String(e),
    stage: isInputError(e) ? 'load' : 'run',
    startedAt,
    seconds: Math.max(0, now - startedAt) / 1000,
  };
}

/**
 * A `.catch` handler for a run: for anything but a usage error it writes junit.xml with one failing case
 * saying why into `dir` (see {@link writeFailureReport}), then passes the error on. A failure to write the
 * file never hides the error itself.
 * @example
 * const run = await runFleet(options).catch(failureReporter(file, out, startedAt));
 */
export function failureReporter(
  scenario: string,
  dir: string,
  startedAt: number = Date.now(),
): (e: unknown) => Promise<never> {
  return async (e) => {
    const failure = runFailureOf(e, scenario, startedAt);
    // a folder holding an unfinished run, or refused as another run's, is left exactly as it is
    // (simulator/fleet/run-folder.ts, compose/run-records.ts, service-checkpoint.ts)
    const untouchable =
      e instanceof CertfleetError && (e.code === 'RUN_UNFINISHED' || e.code === 'RUN_STATE_MISMATCH');
    if (failure && !untouchable) await writeFailureReport(failure, dir).catch(() => undefined);
    throw e;
  };
}
