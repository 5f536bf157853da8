/**
 * One key pool across the processes of a run (issue 11, `run --workers`, `serve` + `agents`): the partition
 * gives the service side and every shard disjoint ranges that tile the pool, each shard exactly the
 * management keys its own devices need when the pool is large enough, in proportion when it is not, and the
 * service's range does not depend on the shard count (serve does not need to know it); a draw over a range
 * hands out only that range's keys, then fresh ones (or, with reuse, that range again; an empty range with
 * reuse cycles the whole pool and counts every draw shared); the hosts' counts travel as numbers and sum.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FixedKeySource } from '../../../pki/key-factory.ts';
import type { KeyPair } from '../../../pki/keys.ts';
import type { Platform } from '../../../profiles/model/platform.ts';
import { KeyPool } from '../../../simulator/tools/key-pool/key-pool.ts';
import { makeKeyPool } from '../../../simulator/tools/key-pool/make-pool.ts';
import { PoolDraw } from '../../../simulator/tools/key-pool/pool-key-source.ts';
import {
  managementKeyKind,
  poolRange,
  poolRanges,
  type PoolPartitionInput,
  type PoolRange,
} from '../../../simulator/tools/key-pool/pool-partition.ts';
import {
  keyOriginCounts,
  keyPoolOption,
  sumKeyOrigins,
} from '../../../simulator/tools/key-pool/process-pool.ts';
import { poolKey } from '../../fixtures/key-pool.ts';

const PLATFORMS: Platform[] = ['windows', 'ios', 'windows', 'android', 'macos', 'windows', 'ios'];

/** `n` devices cycling through {@link PLATFORMS}. */
function fleet(n: number): PoolPartitionInput['devices'] {
  return Array.from({ length: n }, (_, index) => ({ index, platform: PLATFORMS[index % PLATFORMS.length]! }));
}

function input(rsa: number, ec: number, devices = 21, pkcsProfiles = 1): PoolPartitionInput {
  return { sizes: { 'rsa-2048': rsa, 'ec-p256': ec }, devices: fleet(devices), pkcsProfiles };
}

/** The ranges, in order, tile [0, size) exactly: each starts where the one before ended. */
function expectTiling(ranges: PoolRange[], size: number): void {
  let at = 0;
  for (const r of ranges) {
    expect(r.from).toBe(at);
    expect(r.to).toBeGreaterThanOrEqual(r.from);
    at = r.to;
  }
  expect(at).toBe(size);
}

/** Devices of shard `index` of `count` whose management key is of `kind`. */
function demand(i: PoolPartitionInput, kind: 'rsa-2048' | 'ec-p256', index: number, count: number): number {
  return i.devices.filter((d) => d.index % count === index && managementKeyKind(d.platform) === kind).length;
}

describe('poolRange: a deterministic partition of the pool', () => {
  it('a large pool: each shard gets exactly its devices’ management keys, the service the rest, tiling the pool', () => {
    const i = input(100, 40);
    for (const count of [1, 2, 3, 4]) {
      for (const kind of ['rsa-2048', 'ec-p256'] as const) {
        const ranges = poolRanges(i, kind, count);
        expectTiling(ranges, i.sizes[kind]);
        for (let h = 0; h < count; h++) {
          const r = ranges[h]!;
          expect(r.to - r.from).toBe(demand(i, kind, h, count));
        }
      }
    }
    // 21 devices, 9 Windows: the service keeps the 100 − 9 RSA keys and 40 − 12 EC keys after the devices'
    expect(poolRange(i, 'rsa-2048', { side: 'service' })).toEqual({ from: 9, to: 100 });
    expect(poolRange(i, 'ec-p256', { side: 'service' })).toEqual({ from: 12, to: 40 });
    // the shards' ranges do not depend on the pool's size while it is large enough (a pool topped up)
    expect(poolRanges(input(500, 90), 'rsa-2048', 3).slice(0, 3)).toEqual(
      poolRanges(i, 'rsa-2048', 3).slice(0, 3),
    );
  });

  it('the service’s range does not depend on the shard count, nor on which shard asks', () => {
    const i = input(30, 12);
    const service = poolRange(i, 'rsa-2048', { side: 'service' });
    for (const count of [1, 2, 5]) expect(poolRanges(i, 'rsa-2048', count)[count]).toEqual(service);
  });

  it('a pool smaller than both sides need: the regions shrink in proportion and still never overlap', () => {
    // RSA: 9 Windows devices + 21 PKCS keys expected = 30 > 12 → device region ⌊12·9/30⌋ = 3
    const i = input(12, 5);
    const rsa = poolRanges(i, 'rsa-2048', 3);
    expectTiling(rsa, 12);
    expect(rsa[3]).toEqual({ from: 3, to: 12 });
    expect(rsa.slice(0, 3).reduce((n, r) => n + r.to - r.from, 0)).toBe(3);
    // EC: 12 devices need one each and the service none: the whole pool goes to the shards, in proportion
    const ec = poolRanges(i, 'ec-p256', 2);
    expectTiling(ec, 5);
    expect(ec[2]).toEqual({ from: 5, to: 5 });
    // an empty pool: every range empty
    for (const r of poolRanges(input(0, 0), 'rsa-2048', 2)) expect(r).toEqual({ from: 0, to: 0 });
  });

  it('the same input gives the same ranges on every side (no state, no clock, no randomness)', () => {
    const a = poolRanges(input(57, 19, 40), 'rsa-2048', 3);
    const b = poolRanges(input(57, 19, 40), 'rsa-2048', 3);
    expect(a).toEqual(b);
    expect(a.some((r) => r.to > r.from)).toBe(true);
  });
});

describe('PoolDraw over a range', () => {
  const PASS = 'pool-partition-test';
  let work: string;
  let pool: KeyPool;
  let fresh: KeyPair[];
  /** The SPKI of every pool key, by number. */
  let spkis: string[];

  const spki = (k: KeyPair): string => k.publicKey.export({ type: 'spki', format: 'der' }).toString('hex');

  beforeAll(async () => {
    work = mkdtempSync(join(tmpdir(), 'certfleet-pool-partition-'));
    await makeKeyPool({ dir: work, count: 6, kind: 'ec-p256', passphrase: PASS, workers: 1 });
    pool = KeyPool.open(work, PASS);
    spkis = Array.from({ length: 6 }, (_, n) => spki(pool.key('ec-p256', n)));
    fresh = [poolKey('p256', 0)];
  }, 60_000);

  afterAll(() => {
    pool.close();
    rmSync(work, { recursive: true, force: true });
  });

  it('two processes with disjoint ranges never hand out the same key, and go fresh when their range is dry', async () => {
    const a = new PoolDraw(pool, { ranges: { 'ec-p256': { from: 0, to: 2 } } });
    const b = new PoolDraw(pool, { ranges: { 'ec-p256': { from: 2, to: 6 } } });
    const sa = a.source('ec-p256', new FixedKeySource(fresh));
    const sb = b.source('ec-p256', new FixedKeySource(fresh));
    const fromA = [await sa.take(), await sa.take(), await sa.take()].map(spki);
    const fromB = [await sb.take(), await sb.take(), await sb.take(), await sb.take()].map(spki);
    expect(fromA).toEqual([spkis[0], spkis[1], spki(fresh[0]!)]);
    expect(fromB).toEqual(spkis.slice(2, 6));
    expect(a.origins()).toMatchObject({ fromPool: { 'ec-p256': 2 }, fresh: { 'ec-p256': 1 }, shared: {} });
    expect(b.origins()).toMatchObject({ fromPool: { 'ec-p256': 4 }, fresh: {}, shared: {} });
  });

  it('with reuse, a process cycles its own range; with an empty range it cycles the whole pool, every draw shared', async () => {
    const own = new PoolDraw(pool, { reuse: true, ranges: { 'ec-p256': { from: 4, to: 6 } } });
    const s = own.source('ec-p256', new FixedKeySource(fresh));
    const keys = [];
    for (let n = 0; n < 5; n++) keys.push(spki(await s.take()));
    expect(keys).toEqual([spkis[4], spkis[5], spkis[4], spkis[5], spkis[4]]);
    expect(own.origins()).toMatchObject({ fromPool: { 'ec-p256': 5 }, fresh: {}, shared: { 'ec-p256': 3 } });

    const none = new PoolDraw(pool, { reuse: true, ranges: { 'ec-p256': { from: 3, to: 3 } } });
    const t = none.source('ec-p256', new FixedKeySource(fresh));
    expect([spki(await t.take()), spki(await t.take())]).toEqual([spkis[0], spkis[1]]);
    expect(none.origins()).toMatchObject({ fromPool: { 'ec-p256': 2 }, shared: { 'ec-p256': 2 } });
  });

  it('a range past the pool’s end is clipped to the keys the pool holds', async () => {
    const d = new PoolDraw(pool, { ranges: { 'ec-p256': { from: 5, to: 50 } } });
    const s = d.source('ec-p256', new FixedKeySource(fresh));
    expect([spki(await s.take()), spki(await s.take())]).toEqual([spkis[5], spki(fresh[0]!)]);
  });
});

describe('key counts across processes', () => {
  it('a host’s counts travel as numbers and sum with the coordinator’s, per kind', () => {
    const coordinator = {
      pool: '/p',
      fromPool: { 'rsa-2048': 10 },
      fresh: { 'rsa-2048': 1 },
      reuse: false,
      shared: {},
    };
    const host0 = keyOriginCounts({
      pool: '/p',
      fromPool: { 'rsa-2048': 2, 'ec-p256': 3 },
      fresh: {},
      reuse: false,
      shared: {},
    });
    expect(host0).toEqual({ 'keys.pool.rsa-2048': 2, 'keys.pool.ec-p256': 3 });
    const host1 = { devices: 4, enrolled: 4, 'keys.pool.ec-p256': 1, 'keys.fresh.ec-p256': 2 };
    expect(sumKeyOrigins(coordinator, [host0, host1])).toEqual({
      pool: '/p',
      fromPool: { 'rsa-2048': 12, 'ec-p256': 4 },
      fresh: { 'rsa-2048': 1, 'ec-p256': 2 },
      reuse: false,
      shared: {},
      processes: 3,
    });
    // the coordinator's own counts are not changed
    expect(coordinator.fromPool).toEqual({ 'rsa-2048': 10 });
  });
});

describe('keyPoolOption (run, serve and agents read --key-pool and --key-reuse alike)', () => {
  it('no pool: nothing; --key-reuse alone: USAGE; a pool without a passphrase: KEY_POOL_PASSPHRASE_MISSING', () => {
    expect(keyPoolOption({ dir: undefined, env: {} })).toBeUndefined();
    expect(() => keyPoolOption({ dir: undefined, reuse: true, env: {} })).toThrow(
      expect.objectContaining({ code: 'USAGE' }),
    );
    expect(() => keyPoolOption({ dir: 'p', env: {} })).toThrow(
      expect.objectContaining({ code: 'KEY_POOL_PASSPHRASE_MISSING' }),
    );
    expect(keyPoolOption({ dir: 'p', reuse: true, env: { CERTFLEET_KEY_POOL_PASSPHRASE: 'x' } })).toEqual({
      dir: 'p',
      passphrase: 'x',
      reuse: true,
    });
  });
});
