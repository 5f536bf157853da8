/**
 * Drawing a run's keys from a key pool (`certfleet run --key-pool DIR`). One {@link PoolDraw} per run holds
 * a cursor per kind: each take hands out the next unused key of the pool, so a key serves at most one
 * certificate in the run; the keys are marked used in the run (the cursor), never deleted from the pool —
 * the next run starts again from the first key (a pool is not consumed across runs). When the kind runs
 * dry the run goes on with fresh keys from its own factory; with `reuse` (`--key-reuse`, a load test with
 * a smaller pool) it cycles the pool instead, and the tally says how many draws shared a key.
 */
import type { KeyPair } from '../../../pki/keys.ts';
import type { KeySource } from '../../../pki/key-factory.ts';
import type { KeyOrigins } from '../../run-model.ts';
import type { KeyPool } from './key-pool.ts';
import type { PoolKind } from './pool-kind.ts';

/** Keys left in the pool when the run's own factory starts generating ahead. */
const PRIME_BEFORE_DRY = 4;

/** A key source that may start generating ahead (the run's KeyFactory). */
export type PrimableKeySource = KeySource & { prime?(): void };

/** The keys one run draws from a pool; see the file comment. */
export class PoolDraw {
  readonly #pool: KeyPool;
  readonly #reuse: boolean;
  readonly #size = new Map<PoolKind, number>();
  readonly #next = new Map<PoolKind, number>();
  readonly #origins: KeyOrigins;

  constructor(pool: KeyPool, o: { reuse?: boolean } = {}) {
    this.#pool = pool;
    this.#reuse = o.reuse === true;
    this.#origins = { pool: pool.dir, fromPool: {}, fresh: {}, reuse: this.#reuse, shared: {} };
  }

  /**
   * A key source for `kind`: the pool's next unused key, then (pool dry) `fallback`'s fresh keys — or,
   * with reuse, the pool again from its first key. `prime` starts the fallback's generation only once the
   * pool is dry, so no core is spent on keys the pool already holds.
   */
  source(kind: PoolKind, fallback: PrimableKeySource): PrimableKeySource {
    const size = this.#sizeOf(kind);
    const dry = (): boolean => !this.#reuse && (this.#next.get(kind) ?? 0) >= size;
    return {
      take: (): Promise<KeyPair> => {
        const i = this.#next.get(kind) ?? 0;
        if (size > 0 && (i < size || this.#reuse)) {
          this.#next.set(kind, i + 1);
          bump(this.#origins.fromPool, kind);
          if (i >= size) bump(this.#origins.shared, kind);
          // the last keys of the pool: start the factory, so the first fresh key is already being made
          if (!this.#reuse && size - i <= PRIME_BEFORE_DRY) fallback.prime?.();
          try {
            return Promise.resolve(this.#pool.key(kind, i % size));
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

  /** Where the keys drawn so far came from (a copy). */
  origins(): KeyOrigins {
    return {
      ...this.#origins,
      fromPool: { ...this.#origins.fromPool },
      fresh: { ...this.#origins.fresh },
      shared: { ...this.#origins.shared },
    };
  }

  #sizeOf(kind: PoolKind): number {
    let s = this.#size.get(kind);
    if (s === undefined) {
      s = this.#pool.count(kind);
      this.#size.set(kind, s);
    }
    return s;
  }
}

function bump(counts: Record<string, number>, kind: PoolKind): void {
  counts[kind] = (counts[kind] ?? 0) + 1;
}
