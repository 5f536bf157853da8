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
 *
 * Its parts — key stores, device event log, broker, agent host — are the ones `certfleet run` hosts its
 * agents with (compose/): the devices record the same device-side events (offline, online,
 * renewal-deferred), here into `device-events.jsonl` in the agents' folder. A start that fails (the broker
 * cannot be reached, say) releases what it started, last first: the key stores are closed cleanly.
 */
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { InstallOutcome } from '../../protocol/wire/outcome.ts';
import { KeyFactory } from '../../pki/key-factory.ts';
import type { KeyOrigins } from '../run-model.ts';
import { openProcessPool, type ProcessPool } from '../tools/key-pool/process-pool.ts';
import { agentHost } from './compose/agent-host.ts';
import { joinedBroker } from './compose/broker.ts';
import { deviceEventLog } from './compose/device-event-log.ts';
import { startFleet } from './compose/fleet-builder.ts';
import { fleetContext, need, type FleetKeys } from './compose/fleet-context.ts';
import { AGENTS_DB_FILE, KEY_STORES, keyStores } from './compose/key-stores.ts';
import { keyPoolPosition } from './compose/key-pool-position.ts';
import { TENANT } from './compose/service-side.ts';
import { DEFAULT_TIME_SCALE, ScaledClock } from './scaled-clock.ts';
import { splitScenario, type Shard, type SplitFleetOptions } from './split-fleet.ts';

/** Options of {@link runAgents}. */
export interface AgentsOptions extends SplitFleetOptions {
  /** Which devices this process runs (default all: 0/1). */
  shard?: Shard;
  /** Called once the devices are scheduled. */
  onReady?: (info: { epoch: number; timeScale: number; devices: number; virtualEnd: number }) => void;
}

/** What one device of the shard did, as the device saw it. */
import { countOutcome, shardDevices, type AgentDeviceSummary } from './compose/shard-devices.ts';
export type { AgentDeviceSummary };

/** What {@link runAgents} hands back. */
export interface AgentsRun {
  dir: string;
  /** The agents' key stores (`agents.db`). */
  storePath: string;
  devices: AgentDeviceSummary[];
  /** The signal that stopped this host before the run's end (issue 10 point 7), if one did. */
  interrupted?: string;
  /** `--key-pool`: where this host's device keys came from (its share of the pool, then fresh). */
  keys?: KeyOrigins;
}

/** Runs the shard's devices until the scenario's virtual end (or `stop`). */
export async function runAgents(o: AgentsOptions): Promise<AgentsRun> {
  const scenario = splitScenario(o);
  const shard = o.shard ?? { index: 0, count: 1 };
  const timeScale = o.timeScale ?? DEFAULT_TIME_SCALE;
  const factories = {
    rsa: new KeyFactory({ kind: 'rsa', size: 2048 }, { ahead: 4 }),
    ec: new KeyFactory({ kind: 'ec', curve: 'P-256' }, { ahead: 8 }),
  };
  // this shard's share of the key pool, opened before anything is written (a wrong passphrase stops here)
  const pool = o.keyPool
    ? openProcessPool({ keyPool: o.keyPool, scenario, role: { side: 'host', ...shard }, fallback: factories })
    : undefined;
  const dir = resolve(o.out);
  const epoch = o.epoch ?? Date.now();
  const clock = new ScaledClock({ start: scenario.start, epoch, scale: timeScale });
  try {
    mkdirSync(dir, { recursive: true });
    const run = await runShard(o, {
      scenario,
      shard,
      dir,
      epoch,
      timeScale,
      clock,
      keys: pool?.keys ?? factories,
      pool,
    });
    return pool ? { ...run, keys: pool.origins() } : run;
  } finally {
    pool?.close();
  }
}

/** The shard's run of {@link runAgents}, with its key sources. */
async function runShard(
  o: AgentsOptions,
  p: {
    scenario: ReturnType<typeof splitScenario>;
    shard: Shard;
    dir: string;
    epoch: number;
    timeScale: number;
    clock: ScaledClock;
    keys: FleetKeys;
    pool: ProcessPool | undefined;
  },
): Promise<AgentsRun> {
  const { scenario, shard, dir, epoch, timeScale, clock } = p;
  const { devices, summaries } = shardDevices(scenario, shard);
  const ctx = fleetContext({
    dir,
    scenario,
    tenant: o.tenant ?? TENANT,
    clock,
    keys: p.keys,
    devices,
  });
  try {
    const fleet = await startFleet(ctx, [
      keyStores({ secret: o.secret }),
      // how far this shard has drawn its share of the key pool, in its agents.db: a restart goes on after it
      keyPoolPosition(p.pool, AGENTS_DB_FILE),
      deviceEventLog(),
      joinedBroker({
        url: o.broker,
        secret: o.secret,
        ...(o.mqttVersion !== undefined ? { mqttVersion: o.mqttVersion } : {}),
      }),
      agentHost({
        onOutcome: (id: string, out: InstallOutcome) => countOutcome(summaries, id, out),
      }),
    ]);
    try {
      const end = scenario.start + scenario.durationMs;
      o.onReady?.({ epoch, timeScale, devices: devices.length, virtualEnd: end });
      let stopped: string | undefined;
      try {
        await Promise.race([
          clock.until(end),
          ...(o.stop ? [o.stop.then((s) => (stopped = typeof s === 'string' ? s : 'stop request'))] : []),
        ]);
      } finally {
        await clock.stop();
      }
      // a device counts as enrolled when its agent runs at the end and holds its management identity
      for (const [id, agent] of need(ctx.agents, 'the agent host', 'agents').running) {
        const summary = summaries.get(id);
        if (summary) summary.enrolled = agent.enrolled;
      }
      await fleet.stopAfter(KEY_STORES); // agents, broker clients, the event log
      const storeDb = need(ctx.storeDb, 'the key stores', 'agents');
      for (const s of summaries.values()) s.storeItems = storeDb.items(s.id).length;
      await fleet.stop();
      return {
        dir,
        storePath: join(dir, AGENTS_DB_FILE),
        devices: [...summaries.values()],
        ...(stopped !== undefined ? { interrupted: stopped } : {}),
      };
    } catch (failure) {
      await fleet.stop({ failure });
      throw failure;
    }
  } finally {
    // timers of a start that failed half-way (the parts cancel their own; this catches the rest)
    await clock.stop();
  }
}
