/**
 * Numeric command-line options, checked as strictly as the scenario keys they override (issue 13 point 5):
 * `--devices -5`, `abc`, `0` or `2.5` is a usage error (exit 2) quoting what was given, never an empty or
 * rounded fleet. yargs' `type: 'number'` turns `abc` into NaN and keeps `2.5`, so these options are read as
 * text and parsed here (yargs `coerce`); a value given twice is refused rather than silently picking one.
 * The same check runs for the `CERTFLEET_*` variable of the option (yargs applies `coerce` to both).
 */
import { CertfleetError } from '../pki/errors.ts';
import { MAX_AGENT_HOSTS } from '../simulator/fleet/auto-workers.ts';
import { MAX_DEVICES } from '../simulator/scenario/read-fleet.ts';

/** What a numeric option accepts. */
export interface NumberRule {
  /** The flag as typed, e.g. `--devices`. */
  flag: string;
  min: number;
  max: number;
  /** Refuse fractions (`2.5`). */
  integer?: boolean;
  /** `min` itself is not allowed (a time scale must be above 0). */
  minExclusive?: boolean;
  /** What the value is, for the message: "the fleet size (as fleet.devices in a scenario)". */
  what?: string;
}

const NUMBER = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)$/;

function rangeText(r: NumberRule): string {
  const kind = r.integer ? 'a whole number' : 'a number';
  return r.minExclusive
    ? `${kind} greater than ${r.min} and at most ${r.max}`
    : `${kind} from ${r.min} to ${r.max}`;
}

/**
 * Parses one option value against `rule`.
 * @throws CertfleetError USAGE quoting the value, e.g. `--devices must be a whole number from 1 to 1000000, not '2.5'`
 */
export function parseNumberOption(value: unknown, rule: NumberRule, from = ''): number {
  if (Array.isArray(value)) {
    throw new CertfleetError(
      'USAGE',
      `${rule.flag} is given ${value.length} times (${value.map((v) => `'${String(v)}'`).join(', ')}): give it once.`,
    );
  }
  const text = typeof value === 'number' ? String(value) : typeof value === 'string' ? value.trim() : '';
  const n = NUMBER.test(text) ? Number(text) : Number.NaN;
  const ok =
    Number.isFinite(n) &&
    (!rule.integer || Number.isInteger(n)) &&
    (rule.minExclusive ? n > rule.min : n >= rule.min) &&
    n <= rule.max;
  if (!ok) {
    const what = rule.what === undefined ? '' : ` (${rule.what})`;
    throw new CertfleetError(
      'USAGE',
      `${rule.flag}${from} must be ${rangeText(rule)}${what}, not '${String(value)}'.`,
    );
  }
  return n;
}

/**
 * Where a value of `flag` came from, for a message: ` (from CERTFLEET_DEVICES)` when the command line does
 * not give the flag and its `CERTFLEET_*` variable is set (yargs `.env('CERTFLEET')`, cli/env-options.ts),
 * else nothing: the person then looks at the variable, not at a command line without the flag.
 */
export function valueOrigin(
  flag: string,
  args: readonly string[] = process.argv.slice(2),
  env: Record<string, string | undefined> = process.env,
): string {
  if (args.some((a) => a === flag || a.startsWith(`${flag}=`))) return '';
  const variable = `CERTFLEET_${flag.replace(/^-+/, '').replace(/-/g, '_').toUpperCase()}`;
  return env[variable] !== undefined ? ` (from ${variable})` : '';
}

/** A yargs `coerce` function for `rule` (undefined stays undefined: the option was not given). */
export function numberCoerce(
  rule: NumberRule,
  where: { args?: readonly string[]; env?: Record<string, string | undefined> } = {},
): (value: unknown) => number | undefined {
  return (value) =>
    value === undefined
      ? undefined
      : parseNumberOption(value, rule, valueOrigin(rule.flag, where.args, where.env));
}

/** `--devices`: a fleet size, as `fleet.devices` in a scenario (simulator/scenario/read-fleet.ts). */
export const DEVICES_RULE: NumberRule = {
  flag: '--devices',
  min: 1,
  max: MAX_DEVICES,
  integer: true,
  what: 'the fleet size, as fleet.devices in a scenario',
};

/** `--port`: a TCP port; 0 picks a free one. */
export const PORT_RULE: NumberRule = {
  flag: '--port',
  min: 0,
  max: 65_535,
  integer: true,
  what: 'a TCP port; 0 picks a free one',
};

/** `--time-scale`: virtual milliseconds per real millisecond. */
export const TIME_SCALE_RULE: NumberRule = {
  flag: '--time-scale',
  min: 0,
  max: 1_000_000_000,
  minExclusive: true,
  what: 'virtual ms per real ms, e.g. 60',
};

/** `--index`: a device's position in the fleet. */
export const INDEX_RULE: NumberRule = {
  flag: '--index',
  min: 0,
  max: Number.MAX_SAFE_INTEGER,
  integer: true,
  what: "the device's position in the fleet",
};

/** `run --workers`: agent host child processes; 0 keeps everything in the run's process. */
export const WORKERS_RULE: NumberRule = {
  flag: '--workers',
  min: 0,
  max: MAX_AGENT_HOSTS,
  integer: true,
  what: "agent host child processes; 0: everything in the run's process",
};

/** `serve --hosts`: the agent hosts (`certfleet agents --shard i/K`) the run waits for. */
export const HOSTS_RULE: NumberRule = {
  flag: '--hosts',
  min: 1,
  max: MAX_AGENT_HOSTS,
  integer: true,
  what: 'the agent hosts the run waits for, certfleet agents --shard i/K',
};

/**
 * `serve --host-timeout`: seconds of wall time the hosts have to join. At most 2,147,483 s: the coordinator
 * waits with `setTimeout`, which runs a delay above 2,147,483,647 ms at once
 * (https://nodejs.org/api/timers.html#settimeoutcallback-delay-args).
 */
export const HOST_TIMEOUT_RULE: NumberRule = {
  flag: '--host-timeout',
  min: 0,
  max: Math.floor((2 ** 31 - 1) / 1000),
  minExclusive: true,
  what: 'seconds of wall time every agent host has to join',
};
