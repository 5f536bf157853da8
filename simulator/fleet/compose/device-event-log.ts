/**
 * The device event log part of `certfleet agents`: the device-side events its agents record (offline,
 * online, renewal-deferred — what `certfleet run` writes into run.db's events table) appended to
 * `device-events.jsonl` in the agents' folder, one JSON `RunEvent` per line. Appended, not replaced: an
 * agents process started again with the same `--out` continues the log, as it continues its key stores.
 */
import { closeSync, openSync, readFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import type { RunEvent } from '../../run-model.ts';
import type { FleetPart } from './fleet-builder.ts';
import type { FleetContext } from './fleet-context.ts';

/** The name of the device event log part. */
export const DEVICE_EVENT_LOG = 'device event log';

/** The log's file name in the agents' folder. */
export const DEVICE_EVENTS_FILE = 'device-events.jsonl';

/** Opens the log for appending and sends the device-side events there (`ctx.recordDeviceEvent`). */
export function deviceEventLog(): FleetPart<FleetContext> {
  return {
    name: DEVICE_EVENT_LOG,
    start(ctx, teardown) {
      const fd = openSync(join(ctx.dir, DEVICE_EVENTS_FILE), 'a');
      teardown.add(() => closeSync(fd));
      ctx.recordDeviceEvent = (e) => void writeSync(fd, `${JSON.stringify(e)}\n`);
    },
  };
}

/** The events of a device event log file (a partly written last line, after a kill, is skipped). */
export function readDeviceEvents(path: string): RunEvent[] {
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter((line) => line.trim() !== '')
    .flatMap((line) => {
      try {
        return [JSON.parse(line) as RunEvent];
      } catch {
        return [];
      }
    });
}
