/**
 * The bench's large fleet (issue 11: wall time at 1,000 and at 10,000 devices): `--devices 10000` means the
 * runs at the reference size (1,000, or `--reference`) first and then the large fleet; `--scale` keeps its
 * meaning; `--cold-devices` and `--key-reuse` are read, and `--key-reuse` without a pool is a USAGE error.
 */
import { describe, expect, it } from 'vitest';
import { parseBenchArgs } from '../../../bench/args.ts';
import { benchLayout, fleetSizes, REFERENCE_DEVICES } from '../../../bench/fleet.ts';
import { AUTO_CHILD_BROKER_MIN_DEVICES } from '../../../simulator/fleet/auto-workers.ts';

describe('bench fleet sizes', () => {
  it('--devices above the reference size is the large fleet, after runs at the reference size', () => {
    expect(REFERENCE_DEVICES).toBe(1000);
    expect(fleetSizes(parseBenchArgs(['fleet', '--devices', '10000']))).toEqual({
      devices: 1000,
      scale: 10000,
    });
    expect(fleetSizes(parseBenchArgs(['fleet', '--devices', '5000', '--reference', '500']))).toEqual({
      devices: 500,
      scale: 5000,
    });
  });

  it('--devices at or below the reference size, or with --scale, is as given', () => {
    expect(fleetSizes(parseBenchArgs(['fleet', '--devices', '1000']))).toEqual({ devices: 1000 });
    expect(fleetSizes(parseBenchArgs(['fleet', '--devices', '200']))).toEqual({ devices: 200 });
    expect(fleetSizes(parseBenchArgs(['fleet', '--devices', '3000', '--scale', '9000']))).toEqual({
      devices: 3000,
      scale: 9000,
    });
  });

  it('reads --cold-devices and --key-reuse; --key-reuse without --key-pool is USAGE', () => {
    expect(
      parseBenchArgs([
        'fleet',
        '--devices',
        '10000',
        '--cold-devices',
        '50',
        '--key-pool',
        'p',
        '--key-reuse',
      ]),
    ).toMatchObject({ devices: 10000, coldDevices: 50, keyPool: 'p', keyReuse: true });
    expect(() => parseBenchArgs(['fleet', '--key-reuse'])).toThrow(/--key-reuse cycles a key pool/);
    expect(() => parseBenchArgs(['fleet', '--cold-devices', '0'])).toThrow(
      /--cold-devices must be a whole number/,
    );
  });
});

describe('bench layout (issue 11): the large fleet runs on the layout `run` picks for it, at both sizes', () => {
  it('10,000 devices: one process with the broker in a child process (run --broker child)', () => {
    expect(benchLayout(10_000)).toEqual({ workers: 0, broker: 'child' });
    expect(benchLayout(AUTO_CHILD_BROKER_MIN_DEVICES)).toEqual({ workers: 0, broker: 'child' });
  });
  it('a large fleet below the threshold, or none: one process with its broker', () => {
    expect(benchLayout(AUTO_CHILD_BROKER_MIN_DEVICES - 1)).toEqual({ workers: 0 });
    expect(benchLayout(undefined)).toEqual({ workers: 0 });
  });
});
