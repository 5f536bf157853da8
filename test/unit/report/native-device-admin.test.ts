/**
 * The reports read and print a device-administrator native status (SyncML + admin-center status, docs/errors.md
 * §3.5) as it is, not as an AMAPI compliance state (issue 12 point 6).
 */
import { describe, expect, it } from 'vitest';
import { nativeText, pickNative } from '../../../simulator/report/report-json.ts';

describe('device-administrator native status in reports', () => {
  it('is kept by pickNative and printed as SyncML + Intune status', () => {
    const native = { platform: 'android', deviceAdmin: { syncml: 406, console: 'Error' } };
    expect(pickNative(native)).toEqual(native);
    expect(nativeText(native)).toBe('SyncML 406 · Intune Error');
  });

  it('an Android Enterprise status without deviceAdmin still reads as AMAPI', () => {
    expect(nativeText({ platform: 'android' })).toBe('compliant');
    expect(
      nativeText({
        platform: 'android',
        nonCompliance: { settingName: 'openNetworkConfiguration', nonComplianceReason: 'INVALID_VALUE' },
      }),
    ).toBe('openNetworkConfiguration: INVALID_VALUE');
  });

  it('an unknown console value is read as Error, not passed through', () => {
    expect(pickNative({ platform: 'android', deviceAdmin: { syncml: 500, console: 'Maybe' } })).toEqual({
      platform: 'android',
      deviceAdmin: { syncml: 500, console: 'Error' },
    });
  });
});
