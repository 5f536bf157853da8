import { describe, expect, it } from 'vitest';
import { platformKindBreakdown } from '../../../simulator/report/breakdown.ts';
import { sampleRun } from './fixture.ts';

describe('platformKindBreakdown', () => {
  const rows = platformKindBreakdown(sampleRun());

  it('has one row per platform × kind, in platform order then kind', () => {
    expect(rows.map((r) => `${r.platform}/${r.kind}`)).toEqual([
      'windows/entra-joined',
      'windows/hybrid-joined',
      'macos/device',
      'ios/device',
      'android/fully-managed',
      'android/work-profile-personal',
    ]);
  });

  it('counts devices and outcomes per row, with each status as a percentage of the outcomes', () => {
    const wp = rows.find((r) => r.kind === 'work-profile-personal')!;
    expect(wp).toMatchObject({ devices: 2, enrolled: 2, outcomes: 4, installed: 2, failed: 2 });
    expect(wp.percent).toEqual({ installed: 50, failed: 50, pending: 0, skipped: 0, 'not-applicable': 0 });
    expect(wp.failedByCode).toEqual({ VARIABLE_MISSING: 2 });
    const mac = rows.find((r) => r.platform === 'macos')!;
    // mac-1 never enrolled: a device with no outcome; mac-2 has a root installed and a PKCS skipped
    expect(mac).toMatchObject({ devices: 2, enrolled: 1, outcomes: 2, installed: 1, skipped: 1 });
    expect(mac.percent.skipped).toBe(50);
    const ios = rows.find((r) => r.platform === 'ios')!;
    expect(ios.percent).toEqual({ installed: 50, failed: 0, pending: 50, skipped: 0, 'not-applicable': 0 });
  });

  it('the outcomes of every row add up to the run', () => {
    expect(rows.reduce((n, r) => n + r.outcomes, 0)).toBe(sampleRun().outcomes.length);
  });
});
