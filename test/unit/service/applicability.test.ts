/**
 * Issue 12 point 4 — "a user-certificate profile reaching a userless device (Android dedicated, a kiosk)
 * either fails with VARIABLE_MISSING or, with device-only variables, installs": it is not applicable.
 */
import { describe, expect, it } from 'vitest';
import { PROFILE_FAMILIES } from '../../../profiles/model/platform.ts';
import type { CertificateProfile } from '../../../profiles/model/profile.ts';
import { validateProfile } from '../../../profiles/model/validate-profile.ts';
import { notApplicableReason } from '../../../simulator/service/mdm/applicability.ts';
import {
  applicableAssignments,
  notApplicableAssignments,
  type ProfileAssignment,
} from '../../../simulator/service/mdm/assignment.ts';
import { fullFacts, pkcsInput, trustedInput } from '../profiles-model/fixtures.ts';

function profile(input: Record<string, unknown>): CertificateProfile {
  const r = validateProfile(input);
  if (!r.ok) throw new Error(JSON.stringify(r.problems));
  return r.value;
}

describe('notApplicableReason (issue 12: user certificate on a userless device)', () => {
  describe.each(PROFILE_FAMILIES)('%s', (family) => {
    const userless = fullFacts({ hasUser: false });
    const withUser = fullFacts();

    it('a user PKCS certificate does not apply to a userless device, and says why', () => {
      const why = notApplicableReason(profile(pkcsInput(family)), userless);
      expect(why).toMatch(/user certificate and this device has no user/);
      expect(why).toContain('0x87D1FDE9');
      expect(notApplicableReason(profile(pkcsInput(family)), withUser)).toBeUndefined();
    });

    it('device certificates and trusted roots apply to userless devices', () => {
      if (family !== 'android-device-admin') {
        const device = profile(
          pkcsInput(family, {
            certificateType: 'device',
            subjectNameFormatString: 'CN={{DeviceName}}',
            customSubjectAlternativeNames: [],
            subjectAlternativeNameType: [],
          }),
        );
        expect(device.kind === 'pkcs-certificate' && device.certificateType).toBe('device');
        expect(notApplicableReason(device, userless)).toBeUndefined();
      }
      expect(notApplicableReason(profile(trustedInput(family)), userless)).toBeUndefined();
    });
  });
});

describe('not applicable: a profile of another platform or enrollment kind that the groups reach (issue 12 point 4)', () => {
  const windows = profile(pkcsInput('windows'));
  const owner = profile(pkcsInput('android-device-owner'));
  const ios = profile(pkcsInput('ios'));

  it('notApplicableReason names the family the profile is for and the device it reached', () => {
    const why = notApplicableReason(windows, fullFacts(), { platform: 'ios', kind: 'device' });
    expect(why).toMatch(/Windows 10 and later profile and this device is ios \(device\)/);
    expect(why).toContain('0x87D1FDE9');
    const wp = notApplicableReason(owner, fullFacts(), {
      platform: 'android',
      kind: 'work-profile-personal',
    });
    expect(wp).toMatch(/fully managed, dedicated, corporate-owned work profile\) profile/);
    expect(
      notApplicableReason(owner, fullFacts(), { platform: 'android', kind: 'dedicated' }),
    ).toBeUndefined();
    expect(
      notApplicableReason(windows, fullFacts(), { platform: 'windows', kind: 'workplace' }),
    ).toBeUndefined();
  });

  const target = (platform: 'windows' | 'ios' | 'android', kind: string, tags: string[] = []) =>
    ({ platform, kind, ownership: 'corporate', tags }) as Parameters<typeof notApplicableAssignments>[1];
  const assignments: ProfileAssignment[] = [
    // one name, two families (a scenario profile with platforms [windows, ios]), assigned to all devices
    { name: 'Both', profile: windows, include: [{}] },
    { name: 'Both', profile: ios, include: [{}] },
    // fully managed profile assigned to every Android device, but not to those tagged lab
    { name: 'Owner', profile: owner, include: [{ platforms: ['android'] }], exclude: [{ tags: ['lab'] }] },
    // assigned to a group of the family only (what a scenario profile without assign: becomes)
    { name: 'OnlyIos', profile: ios, include: [{ platforms: ['ios'], kinds: ['device', 'user'] }] },
  ];
  const names = (t: Parameters<typeof notApplicableAssignments>[1]) =>
    notApplicableAssignments(assignments, t).map((a) => a.name);

  it('a device the groups reach, of another family, gets one not-applicable assignment per name', () => {
    expect(names(target('android', 'work-profile-personal'))).toEqual(['Both', 'Owner']);
    expect(names(target('android', 'fully-managed'))).toEqual(['Both']);
    expect(applicableAssignments(assignments, target('android', 'fully-managed')).map((a) => a.name)).toEqual(
      ['Owner'],
    );
  });

  it('a name the device receives in its own family is never also not applicable', () => {
    expect(names(target('windows', 'entra-joined'))).toEqual([]);
    expect(names(target('ios', 'device'))).toEqual([]);
  });

  it('a device no included group reaches, or an excluded group reaches, is not assigned: no row', () => {
    expect(names(target('android', 'work-profile-personal', ['lab']))).toEqual(['Both']);
    // OnlyIos never reaches a non-iOS device
    expect(names(target('android', 'dedicated'))).not.toContain('OnlyIos');
    expect(names(target('windows', 'workplace'))).not.toContain('OnlyIos');
  });
});
