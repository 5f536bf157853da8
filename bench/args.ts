/**
 * The command line of `npm run bench [-- SUITE… [--devices N] [--scale N] [--reference N] [--cold-devices N] [--key-pool DIR]
 * [--key-reuse] [--agents N] [--json]]`: suite names and options, parsed strictly (an unknown option or a bad number is a USAGE error
 * that quotes it), so that `--devices 1000` is never mistaken for a suite named `1000`.
 */
import { CertfleetError } from '../pki/errors.ts';

/** The parsed bench command line. */
export interface BenchArgs {
  suites: string[];
  /**
   * Fleet size of the fleet suite's runs (default 1,000). Above the reference size (and without `--scale`)
   * it is the large fleet: the runs at the reference size come first, then this one (bench/fleet.ts).
   */
  devices: number;
  /** Opt-in: a second, larger fleet (e.g. 10,000) for the wall-time ratio. */
  scale?: number;
  /** The reference fleet when `--devices` is larger (default 1,000): the cold, split and first pooled runs. */
  reference?: number;
  /** The cold and split runs' fleet (default: the reference size): smaller on a loaded machine. */
  coldDevices?: number;
  /** A key pool for the fleet suite's pooled run (passphrase from CERTFLEET_KEY_POOL_PASSPHRASE). */
  keyPool?: string;
  /** With `--key-pool`: the pooled runs cycle the pool when it runs dry (`run --key-reuse`; a load test). */
  keyReuse?: boolean;
  /** Connected agents the idle suite holds (default 1,000). */
  agents: number;
  /** Print one JSON object per suite instead of text. */
  json: boolean;
}

const NUMBERS = {
  '--devices': 'devices',
  '--scale': 'scale',
  '--reference': 'reference',
  '--cold-devices': 'coldDevices',
  '--agents': 'agents',
} as const;

function whole(flag: string, value: string | undefined): number {
  if (value === undefined || !/^\d+$/.test(value) || Number(value) < 1 || Number(value) > 1_000_000) {
    throw new CertfleetError(
      'USAGE',
      `${flag} must be a whole number from 1 to 1000000, not '${String(value)}'.`,
    );
  }
  return Number(value);
}

/** Parses `argv` (the arguments after `npm run bench --`). */
export function parseBenchArgs(argv: readonly string[]): BenchArgs {
  const out: BenchArgs = { suites: [], devices: 1000, agents: 1000, json: false };
  for (let i = 0; i < argv.length; i++) {
    const token = argv[i] as string;
    const eq = token.indexOf('=');
    const flag = token.startsWith('--') && eq > 0 ? token.slice(0, eq) : token;
    const inline = token.startsWith('--') && eq > 0 ? token.slice(eq + 1) : undefined;
    const value = (): string | undefined => inline ?? argv[++i];
    if (flag === '--json') out.json = true;
    else if (flag === '--key-reuse') out.keyReuse = true;
    else if (flag in NUMBERS) out[NUMBERS[flag as keyof typeof NUMBERS]] = whole(flag, value());
    else if (flag === '--key-pool') {
      const dir = value();
      if (!dir || dir.startsWith('--')) throw new CertfleetError('USAGE', '--key-pool needs a folder.');
      out.keyPool = dir;
    } else if (token.startsWith('-')) {
      throw new CertfleetError(
        'USAGE',
        `unknown bench option '${token}'; known: --devices N, --scale N, --reference N, --cold-devices N, --key-pool DIR, --key-reuse, --agents N, --json.`,
      );
    } else out.suites.push(token);
  }
  if (out.keyReuse && out.keyPool === undefined) {
    throw new CertfleetError('USAGE', '--key-reuse cycles a key pool: give the pool with --key-pool DIR.');
  }
  return out;
}
