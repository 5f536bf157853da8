/**
 * The Android adapter's tables: the native-status table uses only documented codes and reasons, the per-kind
 * rules agree with the profile families (docs/formats.md §4.3: certificate access is an androidDeviceOwner setting),
 * and Android versions map to the right API levels.
 */
import { describe, expect, it } from 'vitest';
import {
  ANDROID_KIND_RULES,
  ANDROID_NATIVE_CASES,
  ANDROID_STORES,
  apiLevelOf,
} from '../../../agent/platforms/android/index.ts';
import { ERROR_CODES } from '../../../pki/errors.ts';
import { NON_COMPLIANCE_REASONS } from '../../../profiles/android/non-compliance.ts';
import { PROFILE_FAMILY_INFO } from '../../../profiles/model/platform.ts';
import { ALL_KINDS } from './fixtures.ts';

describe('ANDROID_NATIVE_CASES', () => {
  it.each(Object.entries(ANDROID_NATIVE_CASES))(
    '%s uses a closed-list code and a documented reason',
    (_name, c) => {
      expect(Object.keys(ERROR_CODES)).toContain(c.code);
      expect(Object.keys(NON_COMPLIANCE_REASONS)).toContain(c.reason);
      expect(c.source.length).toBeGreaterThan(10);
    },
  );
});

describe.each(ALL_KINDS)('ANDROID_KIND_RULES[%s]', (kind) => {
  const rules = ANDROID_KIND_RULES[kind];
  const deviceOwnerFamily = (
    PROFILE_FAMILY_INFO['android-device-owner'].enrollmentKinds as readonly string[]
  ).includes(kind);
  it('allows SILENT access exactly for the androidDeviceOwner family', () => {
    expect(rules.silentAccessAllowed).toBe(deviceOwnerFamily);
  });
  it('hides key pairs from the user exactly in the work-profile store', () => {
    expect(rules.keyPairsVisibleToUser).toBe(rules.keyPairStore !== ANDROID_STORES.workProfile);
    expect(kind.startsWith('work-profile')).toBe(rules.keyPairStore === ANDROID_STORES.workProfile);
  });
});

describe('apiLevelOf', () => {
  it.each([
    ['5.0', 21],
    ['6.0.1', 23],
    ['7.0', 24],
    ['7.1.2', 25],
    ['8.1', 27],
    ['9', 28],
    ['10', 29],
    ['11', 30],
    ['12', 31],
    ['12.1', 32],
    ['13', 33],
    ['14', 34],
    ['15', 35],
    ['99', 36],
    ['bogus', 0],
  ] as const)('Android %s → API %i', (version, api) => {
    expect(apiLevelOf(version)).toBe(api);
  });
});
