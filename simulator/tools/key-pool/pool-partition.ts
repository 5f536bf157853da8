/**
 * One key pool shared by the processes of one run (`run --workers N`, `serve` + `agents --shard i/N`): a
 * deterministic partition, so that no two processes ever hand out the same key without talking to each
 * other. Every process computes the same partition from what they already agree on — the scenario, seed and
 * fleet size (the fleet plan: planFleet), the number of shards, and the pool's size per kind — and draws
 * only from its own range (pool-key-source.ts `PoolDraw` with `ranges`).
 *
 * Why a partition and not a claim table in the pool's SQLite file: claims would be taken in whatever order
 * the processes happen to reach the file, so which process gets which keys would change from run to run
 * (and the pool file would be written to, and locked, during a run: a lock wait is wall time). The partition
 * reads the pool only; the same scenario, seed, shard count and pool give every process the same keys.
 *
 * The layout, per key kind (S keys in the pool):
 * - the devices' management keys take the front of the pool: device demand D = one key per planned device
 *   whose management identity is of that kind (Windows: RSA-2048; the other platforms: EC P-256), laid out
 *   shard after shard — shard h gets exactly the keys its own devices need (d_h), [0, D) in all;
 * - the service side (its connectors' PKCS keys, the SCEP registration authority…) takes the rest, [D, S).
 * The shards' ranges depend on the scenario only (not on S) while the pool is large enough, so a pool
 * topped up between the starts of two processes still gives them disjoint ranges.
 * When the pool is smaller than what both sides are expected to need (D + E, with E the service's estimate:
 * one key per planned device and PKCS profile), the two regions shrink in proportion (the device region is
 * ⌊S·D/(D+E)⌋) and each shard keeps its proportional slice; a process whose range runs dry goes on with
 * fresh keys, and the report counts them (or, with `--key-reuse`, cycles its own range).
 *
 * Draws beyond the demand a shard was given (a renewal of a management certificate, a device key for SCEP)
 * come from the same range while it lasts, then fresh: nothing is ever taken from another process's range.
 */
import type { Platform } from '../../../profiles/model/platform.ts';
import type { PoolKind } from './pool-kind.ts';

/** A process's share of one kind: pool keys `from` (inclusive) to `to` (exclusive). */
export interface PoolRange {
  from: number;
  to: number;
}

/** The kinds a run draws (connectors and Windows devices: RSA-2048; the other devices: EC P-256). */
export const RUN_POOL_KINDS = ['rsa-2048', 'ec-p256'] as const satisfies readonly PoolKind[];

/** One of {@link RUN_POOL_KINDS}. */
export type RunPoolKind = (typeof RUN_POOL_KINDS)[number];

/** Which process of the run: the service side, or the agent host of shard `index` of `count`. */
export type PoolRole = { side: 'service' } | { side: 'host'; index: number; count: number };

/** What the partition is computed from (the same on every side of the run). */
export interface PoolPartitionInput {
  /** Keys of each kind in the pool. */
  sizes: Readonly<Record<RunPoolKind, number>>;
  /** The fleet plan: every device's index and platform. */
  devices: ReadonlyArray<{ index: number; platform: Platform }>;
  /** PKCS profiles in the scenario (the service's estimate: one key per device and PKCS profile). */
  pkcsProfiles: number;
}

/** The pool kind of a device's management key. */
export function managementKeyKind(platform: Platform): RunPoolKind {
  return platform === 'windows' ? 'rsa-2048' : 'ec-p256';
}

/** The range of `kind` that `role` draws from; see the file comment. */
export function poolRange(i: PoolPartitionInput, kind: RunPoolKind, role: PoolRole): PoolRange {
  const size = Math.max(0, Math.floor(i.sizes[kind]));
  const count = role.side === 'host' ? role.count : 1;
  // device demand per shard (device index mod count), in shard order
  const perShard = new Array<number>(count).fill(0);
  for (const d of i.devices)
    if (managementKeyKind(d.platform) === kind)
      perShard[d.index % count] = (perShard[d.index % count] ?? 0) + 1;
  const demand = perShard.reduce((a, n) => a + n, 0);
  const serviceDemand = kind === 'rsa-2048' ? i.devices.length * Math.max(0, i.pkcsProfiles) : 0;
  const region =
    demand + serviceDemand <= size ? demand : Math.floor((size * demand) / (demand + serviceDemand));
  if (role.side === 'service') return { from: region, to: size };
  let before = 0;
  for (let h = 0; h < role.index; h++) before += perShard[h] ?? 0;
  const at = (c: number): number => (demand === 0 ? 0 : Math.floor((region * c) / demand));
  return { from: at(before), to: at(before + (perShard[role.index] ?? 0)) };
}

/** Every range of `kind` in pool order: each shard's, then the service's (tests, and the docs' example). */
export function poolRanges(i: PoolPartitionInput, kind: RunPoolKind, shards: number): PoolRange[] {
  return [
    ...Array.from({ length: shards }, (_, index) =>
      poolRange(i, kind, { side: 'host', index, count: shards }),
    ),
    poolRange(i, kind, { side: 'service' }),
  ];
}
