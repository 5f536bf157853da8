/**
 * Writes the report files of a run into its folder (`--out DIR`, default `runs/<timestamp>/`):
 * `report.json`, `junit.xml` and `report.html`. Each file is written to a temporary name and renamed, so
 * a crash never leaves a half-written report that a CI system would read as complete.
 *
 * Besides the result, the reports read what the folder already holds: `run.json` (the run's metadata:
 * scenario text and wall-clock start, see run-meta.ts) and the closed `run.db` (renewal deferrals and the
 * key stores at the end, see time-series.ts). A folder without them gives reports without those parts.
 */
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { CertfleetError } from '../../pki/errors.ts';
import type { RunResult } from '../run-model.ts';
import { renderHtml } from './html.ts';
import { renderJunit } from './junit.ts';
import { buildReportJson, type ReportJson } from './report-json.ts';
import { runMetaOf } from './run-meta.ts';
import { summarize } from './summary.ts';
import { timeInputsFromRunDb, type TimeInputs } from './time-series.ts';

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
}

async function writeAtomically(path: string, content: string): Promise<void> {
  const tmp = `${path}.tmp-${process.pid}`;
  try {
    await writeFile(tmp, content, 'utf8');
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

/** Writes report.json, junit.xml and report.html for `result` into `dir` (created if needed). */
export async function writeReports(
  result: RunResult,
  dir: string,
  options: WriteReportsOptions = {},
): Promise<WrittenReports> {
  try {
    await mkdir(dir, { recursive: true });
  } catch (cause) {
    throw new CertfleetError('IO', `Cannot create the run folder ${dir}: ${(cause as Error).message}.`, {
      cause,
    });
  }
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
  await writeAtomically(paths.json, JSON.stringify(report, null, 2) + '\n');
  await writeAtomically(paths.junit, renderJunit(result));
  await writeAtomically(paths.html, renderHtml(result, { report }));
  return { ...paths, report };
}
