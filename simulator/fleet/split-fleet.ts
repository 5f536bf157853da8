/**
 * What the two sides of a split fleet (`certfleet serve`, `certfleet agents`) share: the scenario (loaded
 * the same way on both sides, so `planFleet` gives both the same devices), the broker URL, the fleet
 * secret, the tenant, and the time (scaled real time from one agreed epoch: scaled-clock.ts).
 *
 * Sharding (`certfleet agents --shard i/n`): shard `i` (0-based) of `n` runs the devices whose index
 * `k` has `k mod n = i` — strided, not contiguous, so that every shard gets an even share of each part
 * of the enrollment ramp and of each platform mix entry drawn along the indices. Run `n` agent processes
 * with `--shard 0/n` … `--shard n-1/n` to cover the fleet once.
 */
import { CertfleetError } from '../../pki/errors.ts';
import { externalBroker } from '../broker/external-broker.ts';
import { loadScenario, type Scenario } from '../scenario/index.ts';
import { fleetSecretFrom } from './fleet-secret.ts';
import type { RunKeyPoolOption } from '../tools/key-pool/process-pool.ts';

/** One shard of a fleet: devices with `index mod count = index`. */
export interface Shard {
  index: number;
  count: number;
}

/**
 * Parses `i/n` (0 ≤ i < n).
 * @throws CertfleetError USAGE for anything else.
 */
export function parseShard(text: string | undefined): Shard {
  if (text === undefined || text === '') return { index: 0, count: 1 };
  const m = /^(\d+)\/(\d+)$/.exec(text.trim());
  const index = m ? Number(m[1]) : NaN;
  const count = m ? Number(m[2]) : NaN;
  if (!m || count < 1 || index >= count) {
    throw new CertfleetError(
      'USAGE',
      `--shard ${text} is not a shard: give i/n with 0 ≤ i < n (e.g. --shard 0/4 … --shard 3/4 for four agent processes).`,
    );
  }
  return { index, count };
}

/** True when device `deviceIndex` belongs to `shard`. */
export function inShard(shard: Shard, deviceIndex: number): boolean {
  return deviceIndex % shard.count === shard.index;
}

/** Options both sides take. */
export interface SplitFleetOptions {
  /** Scenario file (both sides must load the same file). */
  scenario: string;
  devices?: number;
  seed?: string;
  /** The broker's URL (`certfleet broker`, Mosquitto, EMQX…). */
  broker: string;
  /** The shared fleet secret (CERTFLEET_FLEET_SECRET). */
  secret: Buffer;
  tenant?: string;
  /** Virtual ms per real ms (default {@link DEFAULT_TIME_SCALE}). */
  timeScale?: number;
  /** The real instant the scenario starts, epoch ms (default: now). Give both sides the same one. */
  epoch?: number;
  mqttVersion?: 4 | 5;
  /** The folder this side writes to (serve: reports and run.db; agents: agents.db). */
  out: string;
  /** Stops the side early (e.g. on SIGINT); it still writes what it has. */
  stop?: Promise<unknown>;
  /**
   * `--key-pool DIR` (`--key-reuse`): this side draws its connector or device keys from its own share of
   * the pool (simulator/tools/key-pool/pool-partition.ts: computed the same on every side from the scenario,
   * the shard count and the pool, so no key serves two processes); give every side the same pool.
   */
  keyPool?: RunKeyPoolOption;
}

/** The scenario with `--devices` and `--seed` applied. */
export function splitScenario(o: Pick<SplitFleetOptions, 'scenario' | 'devices' | 'seed'>): Scenario {
  let s = loadScenario(o.scenario);
  if (o.devices !== undefined) s = { ...s, fleet: { ...s.fleet, devices: o.devices } };
  if (o.seed !== undefined) s = { ...s, seed: o.seed };
  return s;
}

/**
 * Parses `--epoch`: an ISO-8601 instant or epoch milliseconds; undefined → now.
 * @throws CertfleetError USAGE for anything else.
 */
export function parseEpoch(value: string | number | undefined, now = Date.now()): number {
  if (value === undefined || value === '') return now;
  const ms = typeof value === 'number' || /^\d+$/.test(value) ? Number(value) : Date.parse(value);
  if (!Number.isFinite(ms)) {
    throw new CertfleetError(
      'USAGE',
      `--epoch ${String(value)} is not an instant: give an ISO-8601 time (2026-05-01T12:00:00Z) or epoch milliseconds.`,
    );
  }
  return ms;
}

/**
 * What a side of a split fleet (`serve`, `agents`) checks before it connects to or writes anything, so that
 * a usage error (exit 2) writes nothing (README "Reports for CI"): the fleet secret in `env`
 * (CERTFLEET_FLEET_SECRET), the broker URL as the side will read it (with CERTFLEET_BROKER_USERNAME and
 * CERTFLEET_BROKER_PASSWORD: `--broker bogus` is refused here, not once the run folder holds a CA), and
 * `--epoch` (with or without --wall-paced, as `--time-scale` is). Returns the fleet secret.
 * @throws CertfleetError USAGE naming what is wrong.
 */
export function checkSplitStart(
  o: { broker: string; epoch?: string },
  env: Record<string, string | undefined> = process.env,
): Buffer {
  const secret = fleetSecretFrom(env);
  externalBroker(o.broker, env);
  parseEpoch(o.epoch);
  return secret;
}
