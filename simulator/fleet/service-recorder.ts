/**
 * What the MDM service reports while it runs, written to the run database: events (and `enrolled` marks),
 * the inventory of each enrolled device, and each payload published. One place for `certfleet run` and
 * `certfleet serve`, so that both fill the same tables.
 */
import type { RunDb } from '../report/run-db.ts';
import type { RunEvent } from '../run-model.ts';
import type { MdmServiceOptions } from '../service/mdm/index.ts';

/** The MdmService hooks that record into `runDb`; `named` maps profile ids to scenario names. */
export function serviceRecorder(
  runDb: RunDb,
  named: <T extends { profile?: string }>(x: T) => T,
  onEvent?: (e: RunEvent) => void,
): Required<Pick<MdmServiceOptions, 'onEvent' | 'onInventory' | 'onDelivery'>> {
  return {
    onEvent: (e) => {
      if (e.type === 'enrolled' && e.device) runDb.recordEnrolled(e.device);
      const event = named(e);
      runDb.recordEvent(event);
      onEvent?.(event);
    },
    onInventory: (r) => runDb.recordInventory(r),
    onDelivery: (r) => runDb.recordDelivery(named(r)),
  };
}
