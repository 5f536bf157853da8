/**
 * The devices an agent host holds — the scenario's fleet plan restricted to its shard (device index mod K),
 * each generated from its seed — and the per-device summary the host hands back when it exits. One place for
 * `certfleet agents` on the shared virtual clock (engine-fleet.ts `hostShard`) and on a scaled wall clock
 * (agents.ts `runAgents`), so that both hold the same devices for the same scenario, seed and shard.
 */
import type { Device } from '../../../agent/device/device.ts';
import { generateDevice } from '../../../agent/device/generate.ts';
import { planFleet, type Scenario } from '../../scenario/index.ts';
import type { PlannedDevice } from '../plan-devices.ts';
import { inShard, type Shard } from '../split-fleet.ts';

/** What an agent host reports of one of its devices when it exits. */
export interface AgentDeviceSummary {
  id: string;
  index: number;
  platform: Device['platform'];
  enrolled: boolean;
  /** Install outcomes the device reported, by `status code` (`installed OK`, `failed …`). */
  outcomes: Record<string, number>;
  /** Items in its key stores at the end. */
  storeItems: number;
}

/** The shard's devices, in fleet order, and an empty summary for each (by device id). */
export function shardDevices(
  scenario: Scenario,
  shard: Shard,
): { devices: PlannedDevice[]; summaries: Map<string, AgentDeviceSummary> } {
  const devices = planFleet(scenario)
    .filter((plan) => inShard(shard, plan.index))
    .map((plan) => ({ device: generateDevice(plan.generate), plan }));
  const summaries = new Map<string, AgentDeviceSummary>(
    devices.map(({ device, plan }) => [
      device.id,
      {
        id: device.id,
        index: plan.index,
        platform: device.platform,
        enrolled: false,
        outcomes: {},
        storeItems: 0,
      },
    ]),
  );
  return { devices, summaries };
}

/** Counts an install outcome in its device's summary (`status code`). */
export function countOutcome(
  summaries: Map<string, AgentDeviceSummary>,
  id: string,
  out: { status: string; code: string },
): void {
  const summary = summaries.get(id);
  if (!summary) return;
  const key = `${out.status} ${out.code}`;
  summary.outcomes[key] = (summary.outcomes[key] ?? 0) + 1;
}
