/**
 * Whether an assigned profile applies to a device at all (issue 12 point 4). Intune's device status for a
 * profile is "Not applicable" when "the device can't receive the policy" (MONITOR, docs/errors.md
 * Sources); the admin center's code is 0x87D1FDE9 "Not applicable for this device" (docs/errors.md §1.3).
 * certfleet gives that status in two cases, both inferred from that wording (docs/failure-modes.md
 * "Not applicable or not assigned"):
 * - the groups the profile is assigned to reach a device whose platform or enrollment kind the profile was
 *   not created for (a Windows profile and an iPhone in the group; an Android Enterprise fully managed
 *   profile and a personally-owned work profile): the device cannot receive a profile of another family;
 * - a PKCS profile of certificate type `user`, or an imported-PKCS profile, reaches a userless device (Android dedicated, a kiosk): there
 *   is no one to issue it to — rather than a failure, and rather than issuing it with device-only variables.
 * A device that no included group reaches, or that an excluded group reaches, is not assigned: no row.
 */
import {
  PROFILE_FAMILY_INFO,
  profileFamilyOf,
  type EnrollmentKind,
  type Platform,
} from '../../../profiles/model/platform.ts';
import type { CertificateProfile } from '../../../profiles/model/profile.ts';
import type { DeviceFacts } from '../../../profiles/variables/facts.ts';

/** The device's platform and enrollment kind, which decide the profile family it can receive. */
export interface ApplicabilityTarget {
  platform: Platform;
  kind: EnrollmentKind;
}

/**
 * Why `profile` does not apply to the device (of `facts`, and of `target` when given), in words;
 * undefined when it applies.
 */
export function notApplicableReason(
  profile: CertificateProfile,
  facts: DeviceFacts | undefined,
  target?: ApplicabilityTarget,
): string | undefined {
  if (target !== undefined && profileFamilyOf(target.platform, target.kind) !== profile.family) {
    return (
      `"${profile.displayName}" is a ${PROFILE_FAMILY_INFO[profile.family].label} profile and this device is ` +
      `${target.platform} (${target.kind}): the device cannot receive it, so Intune reports it "Not applicable ` +
      'for this device" (0x87D1FDE9) and sends nothing. Create the profile for this platform too, or keep ' +
      'these devices out of the groups it is assigned to.'
    );
  }
  // an imported PFX is always a user's certificate (profiles/model/imported-pkcs.ts)
  const userCertificate =
    profile.kind === 'pkcs-imported-certificate' ||
    (profile.kind === 'pkcs-certificate' && profile.certificateType === 'user');
  if (!userCertificate) return undefined;
  if (facts === undefined || facts.hasUser) return undefined;
  return (
    `"${profile.displayName}" is a user certificate and this device has no user (a userless enrollment such as ` +
    'Android dedicated or a kiosk): Intune reports it "Not applicable for this device" (0x87D1FDE9) and sends ' +
    'nothing. Assign a device certificate to userless devices, or exclude them from this profile.'
  );
}
