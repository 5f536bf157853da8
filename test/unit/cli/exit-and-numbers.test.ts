import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  DEVICES_RULE,
  HOST_TIMEOUT_RULE,
  HOSTS_RULE,
  INDEX_RULE,
  numberCoerce,
  parseNumberOption,
  PORT_RULE,
  TIME_SCALE_RULE,
  valueOrigin,
  WORKERS_RULE,
} from '../../../cli/numeric-options.ts';
import { EXIT, exitCodeOf } from '../../../cli/output.ts';
import { CertfleetError, ERROR_CODES, INPUT_ERROR_CODES, type ErrorCode } from '../../../pki/errors.ts';

describe('regression issue 13: numeric flags are checked like the scenario keys', () => {
  it.each([
    ['3', DEVICES_RULE, 3],
    ['  12 ', DEVICES_RULE, 12],
    ['1000000', DEVICES_RULE, 1_000_000],
    ['0', PORT_RULE, 0],
    ['65535', PORT_RULE, 65_535],
    ['0.5', TIME_SCALE_RULE, 0.5],
    ['3600', TIME_SCALE_RULE, 3600],
    ['0', INDEX_RULE, 0],
    ['0', WORKERS_RULE, 0],
    ['64', WORKERS_RULE, 64],
    ['1', HOSTS_RULE, 1],
    ['64', HOSTS_RULE, 64],
    ['0.5', HOST_TIMEOUT_RULE, 0.5],
    ['2147483', HOST_TIMEOUT_RULE, 2_147_483],
  ] as const)('%j for %s is %d', (value, rule, n) => {
    expect(parseNumberOption(value, rule)).toBe(n);
  });

  it.each([
    ['-5', DEVICES_RULE],
    ['abc', DEVICES_RULE],
    ['0', DEVICES_RULE],
    ['2.5', DEVICES_RULE],
    ['1000001', DEVICES_RULE],
    ['1e3', DEVICES_RULE],
    ['', DEVICES_RULE],
    ['0x10', DEVICES_RULE],
    ['65536', PORT_RULE],
    ['-1', PORT_RULE],
    ['0', TIME_SCALE_RULE],
    ['-60', TIME_SCALE_RULE],
    ['Infinity', TIME_SCALE_RULE],
    ['1.5', INDEX_RULE],
    ['-1', WORKERS_RULE],
    ['2.5', WORKERS_RULE],
    ['65', WORKERS_RULE],
    ['0', HOSTS_RULE],
    ['2.5', HOSTS_RULE],
    ['65', HOSTS_RULE],
    ['0', HOST_TIMEOUT_RULE],
    ['-5', HOST_TIMEOUT_RULE],
    // setTimeout runs a delay above 2^31 − 1 ms at once (numeric-options.ts)
    ['2147484', HOST_TIMEOUT_RULE],
  ] as const)('%j for %s is a usage error quoting it', (value, rule) => {
    let error: unknown;
    try {
      parseNumberOption(value, rule);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(CertfleetError);
    expect((error as CertfleetError).code).toBe('USAGE');
    expect((error as CertfleetError).message).toContain(`${rule.flag} must be `);
    expect((error as CertfleetError).message).toContain(`not '${value}'`);
  });

  it('a flag given twice is refused, not resolved to one of its values', () => {
    expect(() => parseNumberOption(['3', '4'], DEVICES_RULE)).toThrow(
      "--devices is given 2 times ('3', '4'): give it once.",
    );
  });
});

describe('where a bad value came from', () => {
  const env = { CERTFLEET_DEVICES: 'abc', CERTFLEET_HOST_TIMEOUT: '-5' };
  it('a value from a CERTFLEET_* variable names the variable', () => {
    expect(() => numberCoerce(DEVICES_RULE, { args: ['run'], env })('abc')).toThrow(
      "--devices (from CERTFLEET_DEVICES) must be a whole number from 1 to 1000000 (the fleet size, as fleet.devices in a scenario), not 'abc'.",
    );
    expect(valueOrigin('--host-timeout', ['serve'], env)).toBe(' (from CERTFLEET_HOST_TIMEOUT)');
  });

  it('a value typed on the command line is quoted as typed, the variable set or not', () => {
    expect(valueOrigin('--devices', ['run', '--devices', 'abc'], env)).toBe('');
    expect(valueOrigin('--devices', ['run', '--devices=abc'], env)).toBe('');
    expect(valueOrigin('--devices', ['run'], {})).toBe('');
    expect(() => numberCoerce(DEVICES_RULE, { args: ['--devices', 'abc'], env })('abc')).toThrow(
      /^--devices must be/,
    );
  });
});

describe('exit codes', () => {
  it('0 ok, 1 failed, 2 usage, 3 input', () => {
    expect(EXIT).toEqual({ ok: 0, failed: 1, usage: 2, input: 3, sigint: 130, sigterm: 143 });
  });

  it.each([
    ['USAGE', {}, 2],
    ['SCENARIO_INVALID', {}, 3],
    ['SCENARIO_PARSE', {}, 3],
    ['PROFILE_INVALID', {}, 3],
    ['GRAPH_PARSE', {}, 3],
    ['DEVICE_FILE_INVALID', {}, 3],
    ['CA_NOT_FOUND', {}, 3],
    ['CA_CORRUPT', {}, 3],
    ['KEY_POOL_PASSPHRASE_MISSING', {}, 3], // as a wrong passphrase: the pool cannot be opened
    ['KEY_POOL_PASSPHRASE_WRONG', {}, 3],
    ['IO', { input: true }, 3], // reading an input
    ['IO', {}, 1], // writing a report
    ['CA_TEMPLATE_DENIED', {}, 1],
    ['TRANSPORT_UNREACHABLE', {}, 1],
    ['VARIABLE_MISSING', {}, 1],
  ] as const)('%s %j → %d', (code, details, exit) => {
    expect(exitCodeOf(new CertfleetError(code, 'x', { details }))).toBe(exit);
  });

  it('an error that is not a CertfleetError is an operation failure (1)', () => {
    expect(exitCodeOf(new Error('boom'))).toBe(1);
  });

  it('every input code is a code of the closed list', () => {
    const codes = Object.keys(ERROR_CODES) as ErrorCode[];
    expect([...INPUT_ERROR_CODES].filter((c) => !codes.includes(c))).toEqual([]);
  });

  it("every input code is named in the README's row for exit code 3", () => {
    const readme = readFileSync(join(import.meta.dirname, '../../../README.md'), 'utf8');
    const row = readme.split('\n').find((l) => l.startsWith('| 3 |'));
    expect(row).toBeDefined();
    expect([...INPUT_ERROR_CODES].filter((c) => !row?.includes(`\`${c}\``))).toEqual([]);
  });
});
