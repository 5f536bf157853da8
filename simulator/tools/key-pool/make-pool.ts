/**
 * `certfleet keys make`: fills a key pool (key-pool.ts) up to a number of keys of one kind, generating on
 * every core. Each worker thread runs node:crypto's `generateKeyPairSync` and hands the private JWK back;
 * this thread seals each key and appends it to the pool in small transactions, so a run that is stopped
 * keeps every key written so far and a second call only makes what is missing (resumable, top-up).
 */
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { CertfleetError } from '../../../pki/errors.ts';
import { KeyPool } from './key-pool.ts';
import { specOfKind, type PoolKind } from './pool-kind.ts';

/** Options of {@link makeKeyPool}. */
export interface MakeKeyPoolOptions {
  dir: string;
  /** The number of keys of `kind` the pool should hold when done (a top-up makes only what is missing). */
  count: number;
  kind: PoolKind;
  passphrase: string;
  /** Worker threads (default: every core, at most the keys to make). */
  workers?: number;
  /** Keys written per transaction (default 16). */
  batch?: number;
  /** After each batch is written: keys of `kind` in the pool, and the target. */
  onProgress?: (p: { have: number; count: number }) => void;
  /** Stops after the keys in flight are written (Ctrl-C). */
  signal?: AbortSignal;
}

/** What {@link makeKeyPool} did. */
export interface MakeKeyPoolResult {
  dir: string;
  kind: PoolKind;
  /** Keys of `kind` before the call. */
  before: number;
  /** Keys made by this call. */
  made: number;
  /** Keys of `kind` in the pool now. */
  have: number;
  /** Keys of every kind in the pool now. */
  counts: Record<PoolKind, number>;
  workers: number;
  seconds: number;
  /** True when the signal stopped the call before `count` was reached. */
  stopped: boolean;
}

/** The worker: one key per message, its private JWK as UTF-8 JSON back (transferred). Plain JS: no loader needed. */
const WORKER_SOURCE = `
const { parentPort } = require('node:worker_threads');
const { generateKeyPairSync } = require('node:crypto');
parentPort.on('message', (spec) => {
  const opts = spec.kind === 'rsa'
    ? { modulusLength: spec.size, publicExponent: 0x10001 }
    : { namedCurve: spec.curve === 'P-256' ? 'prime256v1' : 'secp384r1' };
  const { privateKey } = generateKeyPairSync(spec.kind, opts);
  const json = Buffer.from(JSON.stringify(privateKey.export({ format: 'jwk' })), 'utf8');
  const out = new Uint8Array(json.length);
  out.set(json);
  json.fill(0);
  parentPort.postMessage(out, [out.buffer]);
});
`;

/** Fills the pool in `o.dir` (created if missing) up to `o.count` keys of `o.kind`; see the file comment. */
export async function makeKeyPool(o: MakeKeyPoolOptions): Promise<MakeKeyPoolResult> {
  if (!Number.isInteger(o.count) || o.count < 1 || o.count > 10_000_000) {
    throw new CertfleetError('USAGE', `--count ${String(o.count)} is not a whole number from 1 to 10000000.`);
  }
  const started = performance.now();
  const pool = KeyPool.open(o.dir, o.passphrase, { create: true });
  try {
    const before = pool.count(o.kind);
    const missing = Math.max(0, o.count - before);
    const threads = Math.max(1, Math.min(o.workers ?? availableParallelism(), missing || 1));
    const spec = specOfKind(o.kind);
    let have = before;
    let made = 0;
    o.onProgress?.({ have, count: o.count });
    if (missing > 0 && !o.signal?.aborted) {
      const batchSize = Math.max(1, o.batch ?? 16);
      const batch: Buffer[] = [];
      const flush = (): void => {
        if (batch.length === 0) return;
        pool.appendJwk(o.kind, batch);
        have += batch.length;
        made += batch.length;
        batch.length = 0;
        o.onProgress?.({ have, count: o.count });
      };
      let asked = 0;
      await new Promise<void>((resolveAll, rejectAll) => {
        const workers: Worker[] = [];
        let live = 0;
        let failed = false;
        const finishOne = (w: Worker): void => {
          void w.terminate();
          live -= 1;
          if (live === 0) {
            try {
              flush();
              resolveAll();
            } catch (e) {
              rejectAll(e);
            }
          }
        };
        const next = (w: Worker): void => {
          if (failed || o.signal?.aborted || asked >= missing) return finishOne(w);
          asked += 1;
          w.postMessage(spec);
        };
        for (let i = 0; i < threads; i++) {
          const w = new Worker(WORKER_SOURCE, { eval: true });
          workers.push(w);
          live += 1;
          w.on('message', (der: Uint8Array) => {
            batch.push(Buffer.from(der.buffer, der.byteOffset, der.byteLength));
            try {
              if (batch.length >= batchSize) flush();
            } catch (e) {
              failed = true;
              rejectAll(e);
            }
            next(w);
          });
          w.on('error', (e) => {
            failed = true;
            rejectAll(
              new CertfleetError('INTERNAL', `A key generation worker failed: ${e.message}`, { cause: e }),
            );
            for (const x of workers) void x.terminate();
          });
          next(w);
        }
      });
    }
    return {
      dir: pool.dir,
      kind: o.kind,
      before,
      made,
      have,
      counts: pool.counts(),
      workers: missing > 0 ? threads : 0,
      seconds: (performance.now() - started) / 1000,
      stopped: have < o.count,
    };
  } finally {
    pool.close();
  }
}
