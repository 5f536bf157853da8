/**
 * The run records part: the run database (`run.db`) of `certfleet run` and `certfleet serve`, with the
 * fleet's devices planned and recorded in it (plan-devices.ts), and the device-side events of a run that
 * hosts its own agents. Released last of all (it is started first): if the start or the run fails, the
 * database records a `run-failed` event with the error's code and message before it is closed, and its run
 * row stays unfinished (no `finished_at`) — the run folder says what happened.
 */
import { join } from 'node:path';
import { CertfleetError } from '../../../pki/errors.ts';
import { RUN_DB_FILE, RunDb } from '../../report/run-db.ts';
import { planDevices } from '../plan-devices.ts';
import { refuseUnfinished } from '../run-folder.ts';
import type { FleetPart } from './fleet-builder.ts';
import type { FleetContext } from './fleet-context.ts';

/** The name of the run records part. */
export const RUN_RECORDS = 'run records';

/** The event type a failed run records in its run database. */
export const RUN_FAILED_EVENT = 'run-failed';

/** Options of {@link runRecords}. */
export interface RunRecordsOptions {
  /** Only the devices with these indices (a replay of one device). */
  only?: readonly number[];
  /**
   * Reopen the run database of the unfinished run in the folder instead of making one (a resumed `serve`,
   * issue 10 point 3): its records stay, the devices are planned again (the same, from the seed) without
   * being recorded twice. The run row must be this scenario's (name, seed, fleet size).
   */
  resume?: boolean;
}

/**
 * Creates `run.db` in the run folder (replacing one left there), plans the fleet's devices into
 * `ctx.devices` and `ctx.directory`, and sends the device-side events there (`ctx.recordDeviceEvent`).
 */
export function runRecords(o: RunRecordsOptions = {}): FleetPart<FleetContext> {
  return {
    name: RUN_RECORDS,
    start(ctx, teardown) {
      const runDb = o.resume ? reopenUnfinished(ctx.dir, ctx.scenario) : freshRunDb(ctx.dir);
      teardown.add((reason) => {
        if (reason) runDb.recordEvent(failureEvent(reason.failure, ctx.clock.now()));
        runDb.close();
      });
      const { devices, directory } = planDevices(ctx.scenario, runDb, o.only, !o.resume);
      runDb.flush(); // the run row on disk now: a folder whose process is killed later is known unfinished
      ctx.runDb = runDb;
      ctx.devices = devices;
      ctx.directory = directory;
      ctx.recordDeviceEvent = (e) => runDb.recordEvent(e);
    },
  };
}

/** A new run database in `dir`, replacing the one of a finished run (an unfinished one is refused). */
function freshRunDb(dir: string): RunDb {
  refuseUnfinished(dir);
  return RunDb.create(join(dir, RUN_DB_FILE), { overwrite: true });
}

/**
 * The run database of the unfinished run in `dir`, reopened to go on.
 * @throws CertfleetError RUN_STATE_MISMATCH when it holds no unfinished run of this scenario (name, seed,
 *   fleet size); IO when there is no run database.
 */
function reopenUnfinished(dir: string, scenario: FleetContext['scenario']): RunDb {
  const path = join(dir, RUN_DB_FILE);
  // checked read-only first: a refused folder is left byte for byte (a writable open may fold the WAL in)
  const check = RunDb.open(path);
  let run: ReturnType<RunDb['run']>;
  try {
    run = check.run();
  } finally {
    check.close();
  }
  const why =
    run === undefined
      ? 'it holds no run row'
      : run.finishedAt !== undefined
        ? `its run finished at ${run.finishedAt}`
        : run.scenario !== scenario.name ||
            run.seed !== scenario.seed ||
            run.devices !== scenario.fleet.devices
          ? `its run is scenario ${run.scenario}, seed ${run.seed}, ${run.devices} devices, not ${scenario.name}, seed ${scenario.seed}, ${scenario.fleet.devices} devices`
          : undefined;
  if (why !== undefined)
    throw new CertfleetError(
      'RUN_STATE_MISMATCH',
      `${dir} cannot be resumed with this scenario: ${why}. Nothing was changed; start the run's own scenario, or write a new run to another --out folder.`,
    );
  return RunDb.reopen(path);
}

/** The `run-failed` event of an error: `CODE: message`, at the clock's time. */
function failureEvent(failure: unknown, at: Date): { at: string; type: string; detail: string } {
  const code = failure instanceof CertfleetError ? failure.code : 'INTERNAL';
  const message = failure instanceof Error ? failure.message : String(failure);
  return { at: at.toISOString(), type: RUN_FAILED_EVENT, detail: `${code}: ${message}` };
}
