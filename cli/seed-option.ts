/**
 * `--seed` (`run`, `serve`, `agents`): the seed that overrides the scenario's. An empty one (`--seed ""`,
 * `--seed` with no value, `CERTFLEET_SEED=`) is a usage error (exit 2) when the command line is read,
 * before the run folder is made: the run's clock protocol refuses an empty seed (protocol/wire/clock-messages.ts),
 * which used to end the run with CLOCK_PROTOCOL (exit 1) and a half-written folder. Read by yargs `coerce`, as
 * the numeric options are (numeric-options.ts), so `CERTFLEET_SEED` is checked the same way and named.
 */
import { CertfleetError } from '../pki/errors.ts';
import { valueOrigin } from './numeric-options.ts';

/**
 * A yargs `coerce` function for `--seed` (undefined stays undefined: the option was not given).
 * @throws CertfleetError USAGE for an empty or blank seed, or one given more than once.
 */
export function seedCoerce(
  where: { args?: readonly string[]; env?: Record<string, string | undefined> } = {},
): (value: unknown) => string | undefined {
  return (value) => {
    if (value === undefined) return undefined;
    const from = valueOrigin('--seed', where.args, where.env);
    if (Array.isArray(value)) {
      throw new CertfleetError(
        'USAGE',
        `--seed${from} is given ${value.length} times (${value.map((v) => `'${String(v)}'`).join(', ')}): give it once.`,
      );
    }
    const seed = String(value);
    if (seed.trim() === '') {
      const fix =
        from === ''
          ? 'give a text or a number (--seed 42), or leave --seed out to use the seed of the scenario'
          : 'set CERTFLEET_SEED to a text or a number, or unset it to use the seed of the scenario';
      throw new CertfleetError('USAGE', `--seed${from} is empty: ${fix}.`);
    }
    return seed;
  };
}
