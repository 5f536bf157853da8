/**
 * Whether an assigned profile applies to a device at all (issue 12 point 4). A PKCS profile of certificate
 * type `user` needs a user: on a userless device (Android dedicated, a kiosk) there is no one to issue it
 * to, and the admin center reports the profile "Not applicable for this device" (0x87D1FDE9,
 * docs/errors.md §1.3) rather than a failure — and rather than issuing it with device-only variables.
 * That Intune applies this status to this case is inferred (docs/errors.md `NOT_APPLICABLE`).
 */
import type { CertificateProfile } from '../../../profiles/model/profile.ts';
import type { DeviceFacts } from '../../../profiles/variables/facts.ts';

/** Why `profile` does not apply to the device of `facts`, in words; undefined when it applies. */
export function notApplicableReason(
  profile: CertificateProfile,
  facts: DeviceFacts | undefined,
): string | undefined {
  if (profile.kind !== 'pkcs-certificate' || profile.certificateType !== 'user') return undefined;
  if (facts === undefined || facts.hasUser) return undefined;
  return (
    `"${profile.displayName}" is a user certificate and this device has no user (a userless enrollment such as ` +
    'Android dedicated or a kiosk): Intune reports it "Not applicable for this device" (0x87D1FDE9) and sends ' +
    'nothing. Assign a device certificate to userless devices, or exclude them from this profile.'
  );
}
