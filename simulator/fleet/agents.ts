/**
 * `certfleet agents`: the device side of a split fleet — the devices of one shard (split-fleet.ts), each a
 * DeviceAgent with its own MQTT connection to a broker another process runs, on scaled real time
 * (scaled-clock.ts), logging in with its device id and the password derived from the fleet secret. The
 * devices enrol at their planned times, go offline in their planned windows, answer slowly when planned
 * so — as in `certfleet run` — and keep their key stores in `agents.db` in the agents' folder.
 *
 * The store is kept across restarts: an agents process killed mid-run and started again with the same
 * `--out` resumes each device with its management identity (the broker kept its persistent session and
 * the QoS 1 payloads sent meanwhile; the device checks in, so the service re-sends anything pending).
 */
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { generateDevice } from '../../agent/device/generate.ts';
import type { Device } from '../../agent/device/device.ts';
import { StoreDb } from '../../agent/keystore/store-db.ts';
import { PLATFORM_ADAPTERS } from '../../agent/platforms/index.ts';
import { DeviceAgent } from '../../agent/runtime/device-agent.ts';
import { connectMqtt } from '../../protocol/transport/mqtt-transport.ts';
import type { InstallOutcome } from '../../protocol/wire/outcome.ts';
import { KeyFactory } from '../../pki/key-factory.ts';
import { planFleet, type DevicePlan } from '../scenario/index.ts';
import { splitFleetLogin } from './fleet-secret.ts';
import { TENANT } from './run-fleet.ts';
import { ScaledClock } from './scaled-clock.ts';
import {
  DEFAULT_TIME_SCALE,
  inShard,
  splitScenario,
  type Shard,
  type SplitFleetOptions,
} from './split-fleet.ts';

/** Options of {@link runAgents}. */
export interface AgentsOptions extends SplitFleetOptions {
  /** Which devices this process runs (default all: 0/1). */
  shard?: Shard;
  /** Called once the devices are scheduled. */
  onReady?: (info: { epoch: number; timeScale: number; devices: number; virtualEnd: number }) => void;
}

/** What one device of the shard did, as the device saw it. */
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

/** What {@link runAgents} hands back. */
export interface AgentsRun {
  dir: string;
  /** The agents' key stores (`agents.db`). */
  storePath: string;
  devices: AgentDeviceSummary[];
}

/** Runs the shard's devices until the scenario's virtual end (or `stop`). */
export async function runAgents(o: AgentsOptions): Promise<AgentsRun> {
  const scenario = splitScenario(o);
  const tenant = o.tenant ?? TENANT;
  const shard = o.shard ?? { index: 0, count: 1 };
  const timeScale = o.timeScale ?? DEFAULT_TIME_SCALE;
  const dir = resolve(o.out);
  mkdirSync(dir, { recursive: true });
  const storePath = join(dir, 'agents.db');
  const db = StoreDb.open(storePath);
  const epoch = o.epoch ?? Date.now();
  const clock = new ScaledClock({ start: scenario.start, epoch, scale: timeScale });
  const rsaKeys = new KeyFactory({ kind: 'rsa', size: 2048 }, { ahead: 4 });
  const ecKeys = new KeyFactory({ kind: 'ec', curve: 'P-256' }, { ahead: 8 });

  const mine: { device: Device; plan: DevicePlan; summary: AgentDeviceSummary }[] = planFleet(scenario)
    .filter((plan) => inShard(shard, plan.index))
    .map((plan) => {
      const device = generateDevice(plan.generate);
      return {
        device,
        plan,
        summary: {
          id: device.id,
          index: plan.index,
          platform: device.platform,
          enrolled: false,
          outcomes: {},
          storeItems: 0,
        },
      };
    });

  const agents = new Map<string, DeviceAgent>();
  const unlocked = new Set<string>();
  const loginOf = splitFleetLogin(o.broker, o.secret);
  const startAgent = async (device: Device, plan: DevicePlan, summary: AgentDeviceSummary): Promise<void> => {
    const transport = await connectMqtt({
      url: o.broker,
      clientId: device.id,
      ...loginOf(device.id),
      protocolVersion: o.mqttVersion ?? 4,
    });
    const agent: DeviceAgent = new DeviceAgent({
      device,
      tenant,
      db,
      clock,
      scheduler: clock,
      transport,
      adapter: PLATFORM_ADAPTERS[device.platform],
      keys: device.platform === 'windows' ? rsaKeys : ecKeys,
      checkInIntervalMs: scenario.checkInIntervalMs,
      answerDelayMs: plan.slowDelayMs,
      isLocked: () => plan.locked && !unlocked.has(device.id),
      onRenewalDeferred: () => {
        if (unlocked.has(device.id) || plan.unlockAfterMs === undefined) return;
        clock.after(plan.unlockAfterMs, async () => {
          unlocked.add(device.id);
          await agents.get(device.id)?.checkInNow();
        });
      },
      onOutcome: (out: InstallOutcome) => {
        const key = `${out.status} ${out.code}`;
        summary.outcomes[key] = (summary.outcomes[key] ?? 0) + 1;
      },
    });
    agents.set(device.id, agent);
    await agent.start();
  };
  const stopAgent = async (id: string): Promise<void> => {
    const agent = agents.get(id);
    agents.delete(id);
    await agent?.stop().catch(() => undefined);
  };

  for (const { device, plan, summary } of mine) {
    clock.schedule(plan.enrolAt, () => startAgent(device, plan, summary));
    for (const w of plan.offline) {
      clock.schedule(w.from, () => stopAgent(device.id));
      clock.schedule(w.to, async () => {
        if (!agents.has(device.id)) await startAgent(device, plan, summary);
      });
    }
  }

  const end = scenario.start + scenario.durationMs;
  o.onReady?.({ epoch, timeScale, devices: mine.length, virtualEnd: end });
  try {
    await Promise.race([clock.until(end), ...(o.stop ? [o.stop] : [])]);
  } finally {
    await clock.stop();
    for (const id of [...agents.keys()]) {
      const agent = agents.get(id);
      const s = mine.find((m) => m.device.id === id)?.summary;
      if (agent && s) s.enrolled = agent.enrolled;
      await stopAgent(id);
    }
  }
  for (const { device, summary } of mine) summary.storeItems = db.items(device.id).length;
  db.close();
  return { dir, storePath, devices: mine.map((m) => m.summary) };
}
