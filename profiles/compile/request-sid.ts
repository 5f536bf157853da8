/**
 * Which on-premises SID a PKCS request carries for the connector's SID security extension (KB5014754 strong
 * mapping, docs/formats.md §5.3): the MDM service works it out once per delivery, from the directory, and the
 * connector writes it into the certificate when its SID setting is on.
 *
 * - A **user** certificate carries the user's SID on every platform (PFXDOC). A user without one — a
 *   cloud-only user that Entra Connect does not synchronise, or a device without a user — has none.
 * - A **device** certificate carries the computer account's SID on Windows only (PFXDOC); on macOS, iOS and
 *   Android the connector issues it without the extension. Only a Microsoft Entra hybrid-joined PC has a
 *   computer account in AD, so a Microsoft Entra-joined (cloud-only) or registered Windows device has no SID
 *   ("device certificates are supported for Windows hybrid-joined devices when that device has a SID",
 *   SCEPDOC/SCEPCA) and is treated like a user without one [inferred for PKCS].
 */
import type { CertificateType } from '../model/profile.ts';
import type { AbsenceReason, DeviceFacts } from '../variables/facts.ts';

/** The SID a request carries, why it has none, or why the extension does not apply at all. */
export type RequestSid =
  | { kind: 'sid'; principal: 'user' | 'device'; value: string }
  | { kind: 'none'; principal: 'user' | 'device'; reason: AbsenceReason; why: string }
  | { kind: 'not-applicable'; why: string };

/**
 * The SID for a `certificateType` certificate on the device `facts` describes.
 *
 * @example
 * requestSid('user', facts); // { kind: 'sid', principal: 'user', value: 'S-1-5-21-…-1108' }
 */
export function requestSid(certificateType: CertificateType, facts: DeviceFacts): RequestSid {
  if (certificateType === 'device') {
    if (facts.platform !== 'windows') {
      return {
        kind: 'not-applicable',
        why: `device certificates carry the SID extension on Windows only; this is a ${facts.platform} device`,
      };
    }
    const sid = facts.attributes.deviceSid;
    if (sid !== undefined && sid !== '') return { kind: 'sid', principal: 'device', value: sid };
    const reason =
      facts.absent.deviceSid ??
      (facts.enrollmentKind === 'hybrid-joined' ? 'not-reported' : 'not-hybrid-joined');
    return {
      kind: 'none',
      principal: 'device',
      reason,
      why:
        reason === 'not-hybrid-joined'
          ? `this Windows device is ${facts.enrollmentKind}, not Microsoft Entra hybrid joined, so it has no computer account in Active Directory and no SID`
          : 'the directory records no computer account SID for this hybrid-joined Windows device',
    };
  }
  if (!facts.hasUser) {
    return {
      kind: 'none',
      principal: 'user',
      reason: 'user-less',
      why: 'the device has no user, so there is no user SID to write',
    };
  }
  const sid = facts.attributes.userSid;
  if (sid !== undefined && sid !== '') return { kind: 'sid', principal: 'user', value: sid };
  const reason = facts.absent.userSid ?? 'not-reported';
  return {
    kind: 'none',
    principal: 'user',
    reason,
    why:
      reason === 'not-synced'
        ? 'the user is cloud-only: Entra Connect does not synchronise an on-premises account for it, so Entra ID holds no onPremisesSecurityIdentifier'
        : "the user's onPremisesSecurityIdentifier is empty in Microsoft Entra ID",
  };
}
