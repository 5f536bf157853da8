/**
 * Issue 12 point 4 — "a user-certificate profile reaching a userless device (Android dedicated, a kiosk)
 * either fails with VARIABLE_MISSING or, with device-only variables, installs": it is not applicable.
 */
import { describe, expect, it } from 'vitest';
import { PROFILE_FAMILIES } from '../../../profiles/model/platform.ts';
import type { CertificateProfile } from '../../../profiles/model/profile.ts';
import { validateProfile } from '../../../profiles/model/validate-profile.ts';
import { notApplicableReason } from '../../../simulator/service/mdm/applicability.ts';
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
