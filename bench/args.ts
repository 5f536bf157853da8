/**
 * The command line of `npm run bench [-- SUITE… [--devices N] [--scale N] [--key-pool DIR] [--agents N]
 * [--json]]`: suite names and options, parsed strictly (an unknown option or a bad number is a USAGE error
 * that quotes it), so that `--devices 1000` is never mistaken for a suite named `1000`.
 */
import { CertfleetError } from '../pki/errors.ts';

/** The parsed bench command line. */
export interface BenchArgs {
  suites: string[];
  /** Fleet size of the fleet suite's runs (default 1,000). */
  devices: number;
  /** Opt-in: a second, larger fleet (e.g. 10,000) for the wall-time ratio. */
  scale?: number;
  /** A key pool for the fleet suite's pooled run (passphrase from CERTFLEET_KEY_POOL_PASSPHRASE). */
  keyPool?: string;
  /** Connected agents the idle suite holds (default 1,000). */
  agents: number;
  /** Print one JSON object per suite instead of text. */
  json: boolean;
}

const NUMBERS = { '--devices': 'devices', '--scale': 'scale', '--agents': 'agents' } as const;

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
    else if (flag in NUMBERS) out[NUMBERS[flag as keyof typeof NUMBERS]] = whole(flag, value());
    else if (flag === '--key-pool') {
      const dir = value();
      if (!dir || dir.startsWith('--')) throw new CertfleetError('USAGE', '--key-pool needs a folder.');
      out.keyPool = dir;
    } else if (token.startsWith('-')) {
      throw new CertfleetError(
        'USAGE',
        `unknown bench option '${token}'; known: --devices N, --scale N, --key-pool DIR, --agents N, --json.`,
      );
    } else out.suites.push(token);
  }
  return out;
}
