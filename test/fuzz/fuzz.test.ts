/**
 * The fuzz budget that runs in `npm test` (issue 10 point 4): a fixed number of seeded cases over every
 * decoder and loader (test/fuzz/targets.ts). Property: each input decodes or fails with a coded error (never
 * INTERNAL, never a raw TypeError/RangeError) and takes under 2 s. A failure prints the seed and case index;
 * `npm run fuzz -- --time N --seed S` runs longer. CERTFLEET_FUZZ_SEED overrides the fixed seed.
 */
import { describe, expect, it } from 'vitest';
import { poolKey } from '../fixtures/key-pool.ts';
import { describeFailures, judge, runFuzz } from './property.ts';
import { buildTargets } from './targets.ts';

const SEED = Number(process.env['CERTFLEET_FUZZ_SEED'] ?? 20261205);
/** Cases per target: 14 targets × 150 = 2,100 cases, about 6 s of CPU here idle, 20-30 s loaded. */
const CASES_PER_TARGET = 150;

describe('fuzz: every decoder and loader decodes or fails with a coded error', () => {
  const targets = buildTargets(poolKey('rsa2048', 0));

  it('has a seed input of every target that decodes cleanly (the mutations start from valid inputs)', () => {
    expect(targets.length).toBeGreaterThanOrEqual(16);
    for (const t of targets) {
      expect(t.seeds.length, t.name).toBeGreaterThan(0);
      let thrown: unknown;
      try {
        t.run(t.seeds[0]!);
      } catch (e) {
        thrown = e;
      }
      expect(thrown, `${t.name}: ${String(thrown)}`).toBeUndefined();
    }
  });

  it('judges an uncoded or INTERNAL error as a failure and a coded one as a pass', () => {
    expect(judge({ thrown: new RangeError('Maximum call stack size exceeded') })).toMatch(
      /uncoded RangeError/,
    );
    expect(judge({ codes: ['INTERNAL'] })).toMatch(/INTERNAL/);
    expect(judge({ codes: ['NOT_A_CODE'] })).toMatch(/NOT_A_CODE/);
    expect(judge({ codes: ['PLIST_PARSE'] })).toBeUndefined();
  });

  it(`runs ${CASES_PER_TARGET} cases per target from seed ${SEED} with 0 INTERNAL and 0 over 2 s`, () => {
    const stats = runFuzz(targets, { seed: SEED, cases: CASES_PER_TARGET * targets.length });
    expect(stats.cases).toBe(CASES_PER_TARGET * targets.length);
    for (const t of targets) expect(stats.perTarget[t.name], t.name).toBe(CASES_PER_TARGET);
    expect(stats.failures, `seed ${SEED}:\n${describeFailures(stats.failures)}`).toEqual([]);
    expect([stats.internal, stats.slow]).toEqual([0, 0]);
  });
});
