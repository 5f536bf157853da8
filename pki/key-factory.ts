/**
 * A key factory that keeps key generation ahead of demand: it holds up to `ahead` native generations in
 * flight on libuv's thread pool, so a caller that needs a key usually gets one that is already made, and
 * the machine's cores stay busy with the one real cost of a fleet run while everything else proceeds.
 *
 * @example
 * const keys = new KeyFactory({ kind: 'rsa', size: 2048 }, { ahead: 8 });
 * const pair = await keys.take();
 */
import { generateKeyPair, type KeyPair, type KeySpec } from './keys.ts';

/** Something that hands out key pairs (the factory, or a fixed pool in tests). */
export interface KeySource {
  take(): Promise<KeyPair>;
}

/** Keeps `ahead` key generations running in the background. */
export class KeyFactory implements KeySource {
  readonly #spec: KeySpec;
  readonly #ahead: number;
  readonly #ready: Promise<KeyPair>[] = [];
  #made = 0;

  constructor(spec: KeySpec, options: { ahead?: number } = {}) {
    this.#spec = spec;
    this.#ahead = Math.max(0, options.ahead ?? 4);
  }

  /** Starts generating up to `ahead` keys now (call when demand is about to start). */
  prime(): void {
    while (this.#ready.length < this.#ahead) this.#ready.push(this.#generate());
  }

  /** A key pair: one made ahead when available, else a new generation. Refills the queue. */
  take(): Promise<KeyPair> {
    const next = this.#ready.shift() ?? this.#generate();
    this.prime();
    return next;
  }

  /** How many keys this factory has started generating. */
  get made(): number {
    return this.#made;
  }

  #generate(): Promise<KeyPair> {
    this.#made += 1;
    const p = generateKeyPair(this.#spec);
    p.catch(() => undefined); // a failure surfaces to whoever takes it
    return p;
  }
}

/** A fixed list of keys handed out in turn (tests: the shared key pool). */
export class FixedKeySource implements KeySource {
  #i = 0;
  constructor(private readonly keys: readonly KeyPair[]) {}

  take(): Promise<KeyPair> {
    const k = this.keys[this.#i++ % this.keys.length];
    if (!k) return Promise.reject(new Error('FixedKeySource has no keys'));
    return Promise.resolve(k);
  }
}
