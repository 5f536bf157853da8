/**
 * `--seed` of `run`, `serve` and `agents`: an empty or blank seed, or one given twice, is a usage error
 * when the command line is read (it used to reach the run's clock and end it with CLOCK_PROTOCOL, exit 1,
 * after the run folder was written); a value from CERTFLEET_SEED names the variable.
 */
import { describe, expect, it } from 'vitest';
import { seedCoerce } from '../../../cli/seed-option.ts';
import { CertfleetError } from '../../../pki/errors.ts';

function usageError(f: () => unknown): CertfleetError {
  try {
    f();
  } catch (e) {
    if (e instanceof CertfleetError) return e;
    throw e;
  }
  throw new Error('no error');
}

describe('--seed is checked when the command line is read', () => {
  it.each(['', ' ', '\t'])('%j typed on the command line is a usage error that says what to give', (v) => {
    const e = usageError(() => seedCoerce({ args: ['run', '--seed', v], env: {} })(v));
    expect(e.code).toBe('USAGE');
    expect(e.message).toBe(
      '--seed is empty: give a text or a number (--seed 42), or leave --seed out to use the seed of the scenario.',
    );
    // what the message suggests is accepted as given
    expect(seedCoerce({ args: ['run', '--seed', '42'], env: {} })('42')).toBe('42');
  });

  it('CERTFLEET_SEED= is a usage error naming the variable', () => {
    const e = usageError(() => seedCoerce({ args: ['run'], env: { CERTFLEET_SEED: '' } })(''));
    expect(e.code).toBe('USAGE');
    expect(e.message).toBe(
      '--seed (from CERTFLEET_SEED) is empty: set CERTFLEET_SEED to a text or a number, or unset it to use the seed of the scenario.',
    );
  });

  it('a seed given twice is refused, not joined into one', () => {
    const e = usageError(() => seedCoerce({ args: [], env: {} })(['a', 'b']));
    expect(e.message).toBe("--seed is given 2 times ('a', 'b'): give it once.");
  });
});
