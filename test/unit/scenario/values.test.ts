import { describe, expect, it } from 'vitest';
import {
  formatDuration,
  parseDuration,
  parseVersionFilter,
  versionMatches,
  windowsMajor,
} from '../../../simulator/scenario/index.ts';
import { closest } from '../../../simulator/scenario/suggest.ts';
import type { Platform } from '../../../profiles/model/platform.ts';

describe.each([
  ['30s', 30_000],
  ['15m', 900_000],
  ['12h', 43_200_000],
  ['300d', 300 * 86_400_000],
  ['2w', 14 * 86_400_000],
  ['10mo', 300 * 86_400_000],
  ['2y', 730 * 86_400_000],
  ['1d12h', 36 * 3_600_000],
  ['0', 0],
  ['250ms', 250],
] as const)('parseDuration(%s)', (text, ms) => {
  it(`is ${ms} ms`, () => expect(parseDuration(text)).toBe(ms));
});

describe.each(['', '30', '30 days', 'd', '-1d', '1x'])('parseDuration(%j)', (text) => {
  it('is not a duration', () => expect(parseDuration(text)).toBeUndefined());
});

describe('formatDuration', () => {
  it.each([
    [300 * 86_400_000, '300d'],
    [8 * 3_600_000, '8h'],
    [36 * 3_600_000, '1d12h'],
  ] as const)('%d ms → %s', (ms, text) => expect(formatDuration(ms)).toBe(text));
});

describe.each([
  ['android', '14', '>=12', true],
  ['android', '11', '>=12', false],
  ['android', '12', '<12', false],
  ['ios', '17.5.1', '17', true],
  ['ios', '17.5.1', '17.6', false],
  ['ios', '17.10', '>17.9', true],
  ['ios', '18.0.1', '<=18', true],
  ['windows', '10.0.22631.4037', '>=11', true],
  ['windows', '10.0.19045.4529', '>=11', false],
  ['windows', '10.0.19045.4529', '10', true],
  ['windows', '10.0.26100.2314', '10.0.26100', true],
  ['windows', '10.0.22631.4037', '>=10.0.26100', false],
] as const)('%s %s against %s', (platform, version, filter, ok) => {
  it(ok ? 'matches' : 'does not match', () => {
    expect(versionMatches(platform as Platform, version, parseVersionFilter(filter)!)).toBe(ok);
  });
});

describe('version helpers', () => {
  it.each(['>=', 'abc', '>=1.x', ''])('%j is not a filter', (t) =>
    expect(parseVersionFilter(t)).toBeUndefined(),
  );
  it('Windows major from the build', () => {
    expect([windowsMajor('10.0.22000.1'), windowsMajor('10.0.19045.1')]).toEqual([11, 10]);
  });
});

describe.each([
  ['devies', ['devices', 'mix', 'ramp'], 'devices'],
  ['platfrom', ['platform', 'kind', 'weight'], 'platform'],
  ['checkinInterval', ['checkInInterval', 'duration'], 'checkInInterval'],
  ['zzz', ['devices', 'mix'], undefined],
] as const)('closest(%s)', (word, candidates, want) => {
  it(`is ${String(want)}`, () => expect(closest(word, candidates)).toBe(want));
});
