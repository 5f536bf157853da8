/**
 * The devices of a run: the scenario's plan turned into devices, their directory entries (the stand-in for
 * Entra ID the service reads user attributes from), recorded in the run database.
 */
import type { Device } from '../../agent/device/device.ts';
import { generateDevice } from '../../agent/device/generate.ts';
import { deviceRecordOf, type RunDb } from '../report/run-db.ts';
import { absenceCausesOf, planFleet, type DevicePlan, type Scenario } from '../scenario/index.ts';
import type { DirectoryEntry } from '../service/mdm/index.ts';
import { directoryEntryOf } from './directory-entry.ts';

/** One planned device. */
export interface PlannedDevice {
  device: Device;
  plan: DevicePlan;
}

/**
 * Generates the planned devices (only the indices in `only`, when given) and records them and the run —
 * unless `record` is false: a resumed run (issue 10 point 3) has them on record already.
 */
export function planDevices(
  scenario: Scenario,
  runDb: RunDb,
  only?: readonly number[],
  record = true,
): { devices: PlannedDevice[]; directory: Map<string, DirectoryEntry> } {
  const devices: PlannedDevice[] = [];
  const directory = new Map<string, DirectoryEntry>();
  for (const plan of planFleet(scenario)) {
    if (only && !only.includes(plan.index)) continue;
    const device = generateDevice(plan.generate);
    devices.push({ device, plan });
    directory.set(device.id, directoryEntryOf(device, plan.tags));
    if (record) runDb.recordDevice(deviceRecordOf(device, false, removedByScenario(device, plan, scenario)));
  }
  if (!record) return { devices, directory };
  runDb.recordRun({
    scenario: scenario.name,
    seed: scenario.seed,
    startedAt: new Date().toISOString(),
    devices: devices.length,
  });
  return { devices, directory };
}

/** The attributes of `device` the scenario removed (`fleet.missing`), each with its cause in words. */
function removedByScenario(device: Device, plan: DevicePlan, scenario: Scenario): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [attribute, cause] of Object.entries(absenceCausesOf(device, plan, scenario.fleet.missing))) {
    if (cause?.source === 'scenario') out[attribute] = cause.text;
  }
  return out;
}
