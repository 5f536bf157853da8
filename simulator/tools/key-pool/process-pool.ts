/**
 * The key pool in one process of a run spread over several (`run --workers N`, `serve`, `agents --shard
 * i/N`): opens the pool, computes this process's share of it (pool-partition.ts) from the scenario's fleet
 * plan, and wraps the process's own key factories so that its connector or device keys come from that share
 * first. The key counts each process reports travel to the coordinator as numbers
 * ({@link keyOriginCounts}) and are summed there ({@link sumKeyOrigins}): report.json `metrics.keys` of
 * `run --workers` counts the keys of every process.
 *
 * A process that may be killed and started again on its folder keeps how far it has drawn its share
 * ({@link ProcessPool.keepPosition}, pool-cursor.ts): `serve` in its run folder's service-state.db, `agents`
 * in its agents.db; started again, it goes on after the saved position, and its counts go on from the
 * saved ones, so the run's counts cover the whole run.
 */
import { planFleet, type Scenario } from '../../scenario/index.ts';
import type { KeyOrigins } from '../../run-model.ts';
import { CertfleetError } from '../../../pki/errors.ts';
import { KeyPool, poolPassphraseFrom } from './key-pool.ts';
import { PoolCursor } from './pool-cursor.ts';
import { PoolDraw, type PrimableKeySource } from './pool-key-source.ts';
import {
  poolRange,
  RUN_POOL_KINDS,
  type PoolRange,
  type PoolRole,
  type RunPoolKind,
} from './pool-partition.ts';

/** `--key-pool DIR` (and `--key-reuse`) as every fleet command takes it. */
export interface RunKeyPoolOption {
  dir: string;
  passphrase: string;
  reuse?: boolean;
}

/**
 * `--key-pool DIR` and `--key-reuse` as given on a command line, with the passphrase from `env`
 * (CERTFLEET_KEY_POOL_PASSPHRASE): undefined without a pool; USAGE for `--key-reuse` alone,
 * KEY_POOL_PASSPHRASE_MISSING for a pool without a passphrase.
 */
export function keyPoolOption(o: {
  dir: string | undefined;
  reuse?: boolean;
  env: Record<string, string | undefined>;
}): RunKeyPoolOption | undefined {
  if (o.reuse && o.dir === undefined) {
    throw new CertfleetError('USAGE', '--key-reuse cycles a key pool: give the pool with --key-pool DIR.');
  }
  if (o.dir === undefined) return undefined;
  return { dir: o.dir, passphrase: poolPassphraseFrom(o.env), ...(o.reuse ? { reuse: true } : {}) };
}

/** The pool, opened for one process of the run. */
export interface ProcessPool {
  /** The process's key sources: its share of the pool first, then `fallback`'s fresh keys. */
  keys: { rsa: PrimableKeySource; ec: PrimableKeySource };
  /** This process's share of each kind. */
  ranges: Record<RunPoolKind, PoolRange>;
  origins(): KeyOrigins;
  /**
   * Keeps this process's position in its share in SQLite file `path` (which must exist: service-state.db,
   * agents.db) and goes on from the one saved there (pool-cursor.ts). Call it before the first draw;
   * returns what closes the file's connection. With `--key-reuse` nothing is kept (the share is cycled).
   */
  keepPosition(path: string): () => void;
  close(): void;
}

/** The name of a process's role in its saved position (pool-cursor.ts): `service`, `host i/N`. */
export function poolRoleName(role: PoolRole): string {
  return role.side === 'service' ? 'service' : `host ${role.index}/${role.count}`;
}

/**
 * Opens `o.keyPool` for the process `o.role` of a run of `o.scenario` (KEY_POOL_* errors before anything
 * else is started: a wrong passphrase stops the process before it writes anything).
 */
export function openProcessPool(o: {
  keyPool: RunKeyPoolOption;
  scenario: Scenario;
  role: PoolRole;
  fallback: { rsa: PrimableKeySource; ec: PrimableKeySource };
}): ProcessPool {
  const pool = KeyPool.open(o.keyPool.dir, o.keyPool.passphrase);
  try {
    const sizes = { 'rsa-2048': pool.count('rsa-2048'), 'ec-p256': pool.count('ec-p256') };
    const input = {
      sizes,
      devices: planFleet(o.scenario).map((p) => ({ index: p.index, platform: p.platform })),
      pkcsProfiles: o.scenario.profiles.filter((p) => p.kind === 'pkcs-certificate').length,
    };
    const ranges = Object.fromEntries(RUN_POOL_KINDS.map((k) => [k, poolRange(input, k, o.role)])) as Record<
      RunPoolKind,
      PoolRange
    >;
    const draw = new PoolDraw(pool, { reuse: o.keyPool.reuse === true, ranges });
    return {
      keys: { rsa: draw.source('rsa-2048', o.fallback.rsa), ec: draw.source('ec-p256', o.fallback.ec) },
      ranges,
      origins: () => draw.origins(),
      keepPosition: (path) => {
        if (o.keyPool.reuse === true) return () => {};
        const cursor = PoolCursor.open(path, { pool: pool.id, role: poolRoleName(o.role) });
        try {
          draw.track(cursor);
        } catch (e) {
          cursor.close();
          throw e;
        }
        return () => cursor.close();
      },
      close: () => pool.close(),
    };
  } catch (e) {
    pool.close();
    throw e;
  }
}

const PREFIX = { fromPool: 'keys.pool.', fresh: 'keys.fresh.', shared: 'keys.shared.' } as const;

/** A process's key counts as flat numbers (an engine host's progress record): `keys.pool.rsa-2048` … */
export function keyOriginCounts(k: KeyOrigins): Record<string, number> {
  const out: Record<string, number> = {};
  for (const field of ['fromPool', 'fresh', 'shared'] as const)
    for (const [kind, n] of Object.entries(k[field])) out[PREFIX[field] + kind] = n;
  return out;
}

/**
 * The key counts of every process of the run: the coordinator's own `k` plus each host's latest counts
 * ({@link keyOriginCounts}); `processes` says how many processes drew.
 */
export function sumKeyOrigins(k: KeyOrigins, hosts: ReadonlyArray<Record<string, number>>): KeyOrigins {
  const out: KeyOrigins = {
    ...k,
    fromPool: { ...k.fromPool },
    fresh: { ...k.fresh },
    shared: { ...k.shared },
    processes: 1 + hosts.length,
  };
  for (const counts of hosts)
    for (const field of ['fromPool', 'fresh', 'shared'] as const)
      for (const [name, n] of Object.entries(counts))
        if (name.startsWith(PREFIX[field])) {
          const kind = name.slice(PREFIX[field].length);
          out[field][kind] = (out[field][kind] ?? 0) + n;
        }
  return out;
}
