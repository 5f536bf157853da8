/**
 * Seeded pseudo-random numbers for everything certfleet draws (docs/architecture.md house rule 2: same seed, same fleet).
 * A runtime port of the neutral protocol/ layer: devices (agent/) and the service side (simulator/service/) both draw
 * from it.
 *
 * Generator: **sfc32** ("Small Fast Counter", Chris Doty-Humphrey, from the PractRand test suite; 128-bit
 * state, passes PractRand and BigCrush), written here from its published definition:
 * ```
 * t = (a + b + counter) >>> 0;  counter = counter + 1
 * a = b ^ (b >>> 9);  b = c + (c << 3);  c = rotl(c, 21) + t;  return t
 * ```
 * Seeding: the four state words are the first 16 bytes of SHA-256(seed key), so any string or number is a
 * seed and nearby seeds give unrelated streams; 12 outputs are discarded after seeding, as usual for sfc32.
 *
 * Forks: {@link Random.fork} derives a new stream from the seed key and a label only — never from the
 * current state — so `fork('device/7')` is the same stream however many numbers were drawn before it,
 * and device #7 never depends on what device #6 drew.
 *
 * Not for secrets: key material uses node:crypto (docs/architecture.md "Real parts").
 */
import { createHash } from 'node:crypto';
import { CertfleetError } from '../../pki/errors.ts';

/** A seed: any string or finite number (numbers are used by their decimal text). */
export type Seed = string | number;

/** A weighted choice: the value and its (non-negative) weight. */
export type Weighted<T> = readonly [value: T, weight: number];

/** A deterministic stream of random values. */
export interface Random {
  /** The seed key this stream was made from (forks append `/label`). */
  readonly key: string;
  /** A float in [0, 1). */
  next(): number;
  /** An integer in [min, max], both inclusive. */
  int(min: number, max: number): number;
  /** True with probability `p` (0..1). */
  chance(p: number): boolean;
  /** One element of a non-empty array. */
  pick<T>(items: readonly T[]): T;
  /** One value, chosen with probability proportional to its weight. */
  weighted<T>(entries: readonly Weighted<T>[]): T;
  /** `n` random bytes. */
  bytes(n: number): Uint8Array;
  /** `n` characters drawn from `alphabet`. */
  chars(alphabet: string, n: number): string;
  /** A lower-case version-4-shaped UUID (variant bits 10xx) drawn from this stream. */
  uuid(): string;
  /** An independent stream derived from this stream's key and `label` only. */
  fork(label: string): Random;
}

/** Seed key text of a seed, with the number/string distinction kept out (`7` and `'7'` are the same seed). */
function seedKey(seed: Seed): string {
  if (typeof seed === 'number' && !Number.isFinite(seed)) {
    throw new CertfleetError('USAGE', `The seed ${seed} is not a finite number: use an integer or a string.`);
  }
  return String(seed);
}

class Sfc32Random implements Random {
  readonly key: string;
  #a: number;
  #b: number;
  #c: number;
  #d: number;

  constructor(key: string) {
    this.key = key;
    const h = createHash('sha256').update(key, 'utf8').digest();
    this.#a = h.readUInt32LE(0);
    this.#b = h.readUInt32LE(4);
    this.#c = h.readUInt32LE(8);
    this.#d = h.readUInt32LE(12);
    for (let i = 0; i < 12; i++) this.#u32();
  }

  #u32(): number {
    const t = (((this.#a + this.#b) | 0) + this.#d) | 0;
    this.#d = (this.#d + 1) | 0;
    this.#a = this.#b ^ (this.#b >>> 9);
    this.#b = (this.#c + (this.#c << 3)) | 0;
    this.#c = (this.#c << 21) | (this.#c >>> 11);
    this.#c = (this.#c + t) | 0;
    return t >>> 0;
  }

  next(): number {
    return this.#u32() / 4294967296;
  }

  int(min: number, max: number): number {
    if (!Number.isInteger(min) || !Number.isInteger(max) || max < min) {
      throw new CertfleetError('INTERNAL', `Random.int needs integers with min <= max (got ${min}, ${max}).`);
    }
    return min + Math.floor(this.next() * (max - min + 1));
  }

  chance(p: number): boolean {
    return this.next() < p;
  }

  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new CertfleetError('INTERNAL', 'Random.pick was given an empty list.');
    return items[this.int(0, items.length - 1)] as T;
  }

  weighted<T>(entries: readonly Weighted<T>[]): T {
    const total = entries.reduce((s, [, w]) => s + (w > 0 ? w : 0), 0);
    if (!(total > 0))
      throw new CertfleetError('INTERNAL', 'Random.weighted needs at least one positive weight.');
    let r = this.next() * total;
    for (const [value, w] of entries) {
      if (w <= 0) continue;
      if (r < w) return value;
      r -= w;
    }
    // Floating-point rounding can leave r just above the last bucket: take the last positive entry.
    const last = [...entries].reverse().find(([, w]) => w > 0);
    if (last === undefined) throw new CertfleetError('INTERNAL', 'Random.weighted found no positive weight.');
    return last[0];
  }

  bytes(n: number): Uint8Array {
    const out = new Uint8Array(n);
    for (let i = 0; i < n; i += 4) {
      const v = this.#u32();
      for (let j = 0; j < 4 && i + j < n; j++) out[i + j] = (v >>> (8 * j)) & 0xff;
    }
    return out;
  }

  chars(alphabet: string, n: number): string {
    let s = '';
    for (let i = 0; i < n; i++) s += alphabet.charAt(this.int(0, alphabet.length - 1));
    return s;
  }

  uuid(): string {
    const b = this.bytes(16);
    b[6] = ((b[6] ?? 0) & 0x0f) | 0x40;
    b[8] = ((b[8] ?? 0) & 0x3f) | 0x80;
    const hex = Buffer.from(b).toString('hex');
    return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
  }

  fork(label: string): Random {
    return new Sfc32Random(`${this.key}/${label}`);
  }
}

/**
 * A new seeded stream.
 *
 * @example
 * const r = createRandom(42);
 * r.int(1, 6); // the same on every run
 * r.fork('device/3').uuid(); // independent of anything drawn from r
 */
export function createRandom(seed: Seed): Random {
  return new Sfc32Random(seedKey(seed));
}
