/**
 * The operations behind `certfleet keys make` and `certfleet keys show`: fill a key pool with a progress
 * bar (Ctrl-C stops after the keys in flight are written; run the command again to go on), and say what a
 * pool holds. Neither ever prints a key or the passphrase.
 */
import { ProgressBar, type ProgressStream } from '../../report/progress-bar.ts';
import { KeyPool, poolPassphraseFrom } from './key-pool.ts';
import { makeKeyPool, type MakeKeyPoolResult } from './make-pool.ts';
import { POOL_KINDS, type PoolKind } from './pool-kind.ts';

/** Options of {@link keysMake}. */
export interface KeysMakeOptions {
  dir: string;
  count: number;
  kind: PoolKind;
  /** Where the passphrase is read (`CERTFLEET_KEY_POOL_PASSPHRASE`). */
  env: Record<string, string | undefined>;
  /** Where the progress bar goes (none when absent). */
  progress?: ProgressStream;
  workers?: number;
  signal?: AbortSignal;
}

/** What a pool holds: `rsa-2048 1,000 · ec-p256 2,000` (kinds with no key left out). */
export function countsText(counts: Record<PoolKind, number>): string {
  const parts = POOL_KINDS.filter((k) => counts[k] > 0).map(
    (k) => `${k} ${counts[k].toLocaleString('en-US')}`,
  );
  return parts.length > 0 ? parts.join(' · ') : 'no keys';
}

/** Fills the pool; returns the result and the lines to print. */
export async function keysMake(o: KeysMakeOptions): Promise<MakeKeyPoolResult & { summary: string }> {
  const passphrase = poolPassphraseFrom(o.env);
  const started = performance.now();
  let first: number | undefined;
  const bar = o.progress
    ? new ProgressBar({
        total: o.count,
        stream: o.progress,
        lineIntervalMs: 2000,
        describe: (c, total) => {
          const seconds = (performance.now() - started) / 1000;
          const made = c.enrolled - (first ?? c.enrolled);
          const rate = seconds > 0 && made > 0 ? ` · ${(made / seconds).toFixed(1)} keys/s` : '';
          return `${c.enrolled.toLocaleString('en-US')}/${total.toLocaleString('en-US')} ${o.kind} keys in the pool${rate}`;
        },
      })
    : undefined;
  const r = await makeKeyPool({
    dir: o.dir,
    count: o.count,
    kind: o.kind,
    passphrase,
    ...(o.workers !== undefined ? { workers: o.workers } : {}),
    ...(o.signal ? { signal: o.signal } : {}),
    onProgress: ({ have }) => {
      first ??= have;
      bar?.update({ enrolled: have });
    },
  });
  bar?.done();
  const lines = [
    r.made > 0
      ? `Made ${r.made} ${r.kind} key${r.made === 1 ? '' : 's'} in ${r.seconds.toFixed(1)} s on ${r.workers} worker thread${r.workers === 1 ? '' : 's'} (${(r.made / r.seconds).toFixed(1)} keys/s).`
      : `The pool already holds ${r.have} ${r.kind} keys (asked: ${o.count}); nothing to make.`,
    ...(r.stopped ? [`Stopped at ${r.have} of ${o.count}: run the same command again to go on.`] : []),
    `Key pool ${r.dir}: ${countsText(r.counts)} (encrypted with CERTFLEET_KEY_POOL_PASSPHRASE).`,
  ];
  return { ...r, summary: `${lines.join('\n')}\n` };
}

/** What the pool in `dir` holds (opening it checks the passphrase). */
export function keysShow(o: { dir: string; env: Record<string, string | undefined> }): {
  dir: string;
  counts: Record<PoolKind, number>;
  summary: string;
} {
  const pool = KeyPool.open(o.dir, poolPassphraseFrom(o.env));
  try {
    const counts = pool.counts();
    return { dir: pool.dir, counts, summary: `Key pool ${pool.dir}: ${countsText(counts)}.\n` };
  } finally {
    pool.close();
  }
}
