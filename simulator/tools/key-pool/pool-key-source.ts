/**
 * Drawing a run's keys from a key pool (`certfleet run --key-pool DIR`). One {@link PoolDraw} per run holds
 * a cursor per kind: each take hands out the next unused key of the pool, so a key serves at most one
 * certificate in the run; the keys are marked used in the run (the cursor), never deleted from the pool —
 * the next run starts again from the first key (a pool is not consumed across runs). When the kind runs
 * dry the run goes on with fresh keys from its own factory; with `reuse` (`--key-reuse`, a load test with
 * a smaller pool) it cycles the pool instead, and the tally says how many draws shared a key.
 *
 * A process of a run spread over several (`run --workers`, `serve` + `agents`) draws only from its own
 * range of each kind (`ranges`, pool-partition.ts): its cursor runs over that range, with reuse it cycles
 * that range, and a process whose range is empty cycles the whole pool (every such draw counted shared).
 *
 * A process that can be killed and started again on its folder (`serve`, `agents`) keeps its cursor on
 * disk ({@link PoolDraw.track}, pool-cursor.ts): a draw past what is reserved there first reserves the
 * next {@link RESERVE_BATCH} keys of its range on disk, then hands its key out; the process started
 * again goes on after the saved reservation, and its counts go on from the saved ones (the keys the
 * killed process reserved count as taken from the pool: they are never handed out again in the run).
 * With reuse nothing is kept: the range is cycled on purpose.
 */
import type { KeyPair } from '../../../pki/keys.ts';
import type { KeySource } from '../../../pki/key-factory.ts';
import type { KeyOrigins } from '../../run-model.ts';
import type { KeyPool } from './key-pool.ts';
import type { PoolKind } from './pool-kind.ts';
import type { PoolRange } from './pool-partition.ts';
import { RESERVE_BATCH, type PoolCursor } from './pool-cursor.ts';

/** Keys left in the pool when the run's own factory starts generating ahead. */
const PRIME_BEFORE_DRY = 4;

/** A key source that may start generating ahead (the run's KeyFactory). */
export type PrimableKeySource = KeySource & { prime?(): void };

/** The keys one run draws from a pool; see the file comment. */
export class PoolDraw {
  readonly #pool: KeyPool;
  readonly #reuse: boolean;
  readonly #ranges: Partial<Record<PoolKind, PoolRange>>;
  readonly #range = new Map<PoolKind, PoolRange>();
  readonly #next = new Map<PoolKind, number>();
  readonly #origins: KeyOrigins;
  /** The position kept on disk ({@link track}), and how far into each range it reserved. */
  #cursor: PoolCursor | undefined;
  readonly #reserved = new Map<PoolKind, number>();
  #drawn = false;

  /**
   * `ranges`: this process's share of each kind (pool-partition.ts); a kind not named is drawn from the
   * whole pool (the one-process run).
   */
  constructor(pool: KeyPool, o: { reuse?: boolean; ranges?: Partial<Record<PoolKind, PoolRange>> } = {}) {
    this.#pool = pool;
    this.#reuse = o.reuse === true;
    this.#ranges = o.ranges ?? {};
    this.#origins = { pool: pool.dir, fromPool: {}, fresh: {}, reuse: this.#reuse, shared: {} };
  }

  /**
   * A key source for `kind`: the pool's next unused key, then (pool dry) `fallback`'s fresh keys — or,
   * with reuse, the pool again from its first key. `prime` starts the fallback's generation only once the
   * pool is dry, so no core is spent on keys the pool already holds.
   */
  source(kind: PoolKind, fallback: PrimableKeySource): PrimableKeySource {
    const { from, to } = this.#rangeOf(kind);
    const size = to - from;
    const dry = (): boolean => !this.#reuse && (this.#next.get(kind) ?? 0) >= size;
    // with reuse, a process with an empty share cycles the whole pool (each such draw may share a key)
    const whole = this.#reuse && size === 0 ? this.#pool.count(kind) : 0;
    return {
      take: (): Promise<KeyPair> => {
        this.#drawn = true;
        const i = this.#next.get(kind) ?? 0;
        if ((size > 0 && (i < size || this.#reuse)) || whole > 0) {
          // write-ahead: the key's number is reserved on disk before the key is handed out
          if (this.#cursor && !this.#reuse && i >= (this.#reserved.get(kind) ?? 0)) {
            const end = Math.min(size, i + RESERVE_BATCH);
            try {
              this.#cursor.save(kind, { next: from + end, fresh: this.#origins.fresh[kind] ?? 0 });
            } catch (e) {
              return Promise.reject(e);
            }
            this.#reserved.set(kind, end);
          }
          this.#next.set(kind, i + 1);
          bump(this.#origins.fromPool, kind);
          if (i >= size) bump(this.#origins.shared, kind);
          // the last keys of the range: start the factory, so the first fresh key is already being made
          if (!this.#reuse && size - i <= PRIME_BEFORE_DRY) fallback.prime?.();
          try {
            return Promise.resolve(this.#pool.key(kind, size > 0 ? from + (i % size) : i % whole));
          } catch (e) {
            return Promise.reject(e);
          }
        }
        // a fresh key costs far more than this write: its count is kept exactly
        if (this.#cursor && !this.#reuse) {
          try {
            this.#cursor.save(kind, { next: from + size, fresh: (this.#origins.fresh[kind] ?? 0) + 1 });
          } catch (e) {
            return Promise.reject(e);
          }
        }
        bump(this.#origins.fresh, kind);
        const key = fallback.take();
        return key;
      },
      prime: (): void => {
        if (dry()) fallback.prime?.();
      },
    };
  }

  /**
   * Keeps this draw's position in `cursor` (pool-cursor.ts) and goes on from the position saved there: a
   * process started again after a kill hands out no key of its range the killed one may have handed out,
   * and its counts go on from the saved ones. Call it before the first draw. With reuse it does nothing
   * (the range is cycled on purpose; a restarted process starts it from the top again).
   */
  track(cursor: PoolCursor): void {
    if (this.#reuse) return;
    if (this.#drawn) throw new Error('PoolDraw.track is called after the first draw');
    this.#cursor = cursor;
    for (const [name, saved] of cursor.saved()) {
      const kind = name as PoolKind;
      const { from, to } = this.#rangeOf(kind);
      // every key of the range before `next` was reserved by an earlier process: taken, never handed out again
      const at = Math.min(Math.max(0, saved.next - from), to - from);
      this.#next.set(kind, at);
      this.#reserved.set(kind, at);
      if (at > 0) this.#origins.fromPool[kind] = at;
      if (saved.fresh > 0) this.#origins.fresh[kind] = saved.fresh;
    }
  }

  /** Where the keys drawn so far came from (a copy). */
  origins(): KeyOrigins {
    return {
      ...this.#origins,
      fromPool: { ...this.#origins.fromPool },
      fresh: { ...this.#origins.fresh },
      shared: { ...this.#origins.shared },
    };
  }

  /** This process's range of `kind`, clipped to the pool (the whole pool when no range was given). */
  #rangeOf(kind: PoolKind): PoolRange {
    let r = this.#range.get(kind);
    if (r === undefined) {
      const count = this.#pool.count(kind);
      const given = this.#ranges[kind] ?? { from: 0, to: count };
      const from = Math.min(Math.max(0, given.from), count);
      r = { from, to: Math.max(from, Math.min(given.to, count)) };
      this.#range.set(kind, r);
    }
    return r;
  }
}

function bump(counts: Record<string, number>, kind: PoolKind): void {
  counts[kind] = (counts[kind] ?? 0) + 1;
}
