import { describe, expect, it } from 'vitest';
import { FixedClock, SystemClock } from '../../../protocol/runtime/clock.ts';
import { createRandom } from '../../../protocol/runtime/random.ts';
import { isCertfleetError } from '../../../pki/errors.ts';

const draw = (seed: string | number, n = 8): number[] => {
  const r = createRandom(seed);
  return Array.from({ length: n }, () => r.next());
};

describe('createRandom (sfc32, SHA-256 seeded)', () => {
  it.each([[0], [42], ['fleet-a'], ['']])('seed %j gives the same stream twice', (seed) => {
    expect(draw(seed)).toEqual(draw(seed));
  });

  it.each([
    [1, 2],
    ['a', 'b'],
    ['fleet', 'fleet '],
  ])('seeds %j and %j give different streams', (a, b) => {
    expect(draw(a)).not.toEqual(draw(b));
  });

  it('treats 7 and "7" as the same seed', () => {
    expect(draw(7)).toEqual(draw('7'));
  });

  it('rejects a non-finite numeric seed with USAGE', () => {
    expect(() => createRandom(Number.NaN)).toThrow(expect.objectContaining({ code: 'USAGE' }));
  });

  it('next() stays in [0, 1) and spreads over the interval', () => {
    const r = createRandom('spread');
    const xs = Array.from({ length: 5000 }, () => r.next());
    expect(Math.min(...xs)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...xs)).toBeLessThan(1);
    const buckets = new Array<number>(10).fill(0);
    for (const x of xs) buckets[Math.floor(x * 10)]! += 1;
    for (const b of buckets) expect(b).toBeGreaterThan(350); // expected 500 each
  });

  it.each([
    [1, 6],
    [0, 0],
    [-3, 3],
  ])('int(%i, %i) stays inside and reaches both ends', (min, max) => {
    const r = createRandom(`int-${min}-${max}`);
    const seen = new Set<number>();
    for (let i = 0; i < 2000; i++) seen.add(r.int(min, max));
    expect(Math.min(...seen)).toBe(min);
    expect(Math.max(...seen)).toBe(max);
    expect(seen.size).toBe(max - min + 1);
  });

  it('fork(label) does not depend on how much the parent drew', () => {
    const a = createRandom('parent');
    const b = createRandom('parent');
    for (let i = 0; i < 37; i++) b.next();
    expect(a.fork('device/3').uuid()).toBe(b.fork('device/3').uuid());
    expect(a.fork('device/3').uuid()).not.toBe(a.fork('device/4').uuid());
    expect(a.fork('x').key).toBe('parent/x');
  });

  it('uuid() is v4-shaped and repeatable', () => {
    const r = createRandom('uuid');
    const ids = Array.from({ length: 50 }, () => r.uuid());
    for (const id of ids)
      expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(new Set(ids).size).toBe(50);
    expect(createRandom('uuid').uuid()).toBe(ids[0]);
  });

  it('weighted() never picks a zero weight and follows the weights', () => {
    const r = createRandom('weights');
    const counts = { a: 0, b: 0, z: 0 };
    for (let i = 0; i < 4000; i++) {
      counts[
        r.weighted([
          ['a', 3],
          ['b', 1],
          ['z', 0],
        ] as const)
      ] += 1;
    }
    expect(counts.z).toBe(0);
    expect(counts.a / counts.b).toBeGreaterThan(2.4);
    expect(counts.a / counts.b).toBeLessThan(3.7);
  });

  it.each([
    ['pick', () => createRandom(1).pick([])],
    ['weighted', () => createRandom(1).weighted([['a', 0]])],
    ['int', () => createRandom(1).int(3, 1)],
  ])('%s with nothing to choose throws INTERNAL', (_name, f) => {
    let error: unknown;
    try {
      f();
    } catch (e) {
      error = e;
    }
    expect(isCertfleetError(error, 'INTERNAL')).toBe(true);
  });

  it.each([[0], [1], [5], [16], [33]])('bytes(%i) returns that many bytes', (n) => {
    expect(createRandom('b').bytes(n)).toHaveLength(n);
  });

  it('chars() only uses the alphabet', () => {
    expect(createRandom('c').chars('XY', 200)).toMatch(/^[XY]{200}$/);
  });
});

describe('clocks', () => {
  it.each([['2024-05-01T10:00:00Z'], [0], [new Date('2030-01-01T00:00:00Z')]])(
    'FixedClock(%j) always says the same',
    (at) => {
      const clock = new FixedClock(at);
      const first = clock.now();
      first.setFullYear(1999); // callers may mutate what they get
      expect(clock.now().getTime()).toBe(new Date(at).getTime());
    },
  );

  it('FixedClock rejects an invalid instant with USAGE', () => {
    expect(() => new FixedClock('not a date')).toThrow(expect.objectContaining({ code: 'USAGE' }));
  });

  it('SystemClock follows the wall clock', () => {
    const before = Date.now();
    const now = new SystemClock().now().getTime();
    expect(now).toBeGreaterThanOrEqual(before);
  });
});
