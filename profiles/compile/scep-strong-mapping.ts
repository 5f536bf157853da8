/**
 * KB5014754 strong mapping for SCEP (issue 14 point 4; docs/formats.md §5.3): with the connector's SID
 * setting on (`connectors.sidSecurityExtension`), the service compiles a SCEP profile with the URI SAN
 * `{{OnPremisesSecurityIdentifier}}`, which resolves to `tag:microsoft.com,2022-09-14:sid:<SID>` (SCEPDOC;
 * profiles/variables/resolve-template.ts SID_URI_PREFIX). Which SID, and when there is none, follow the PKCS
 * rules of request-sid.ts (user certificates: the user's SID; device certificates: the computer's, on
 * hybrid-joined Windows only), with one SCEP difference: SCEPDOC supports the variable in user certificates
 * on Windows, macOS and iOS only, so an Android SCEP profile is compiled without it (the PKCS connector writes
 * the extension on Android too; the SCEP device has no variable to write) [inferred].
 */
import type { ScepCertificateProfile } from '../model/scep-profile.ts';
import type { DeviceFacts } from '../variables/facts.ts';
import { requestSid, type RequestSid } from './request-sid.ts';

/** The SAN template the strong-mapping setting adds (a URI SAN). */
export const SID_URI_SAN_TEMPLATE = '{{OnPremisesSecurityIdentifier}}';

/** The profile to compile (with the SID URI SAN when it applies), or the missing SID that fails it. */
export type ScepStrongMapping =
  | { ok: true; profile: ScepCertificateProfile; sid: Exclude<RequestSid, { kind: 'none' }> }
  | { ok: false; sid: Extract<RequestSid, { kind: 'none' }> };

/**
 * `profile` as the service compiles it for the device `facts` describes when the connector's SID setting
 * is on. A missing SID is returned, not thrown: the service fails the delivery with CONNECTOR_SID_UNAVAILABLE
 * as it does for PKCS (simulator/service/compile/issue-for-device.ts).
 *
 * @example
 * const m = withSidUriSan(iosUserScep, facts);
 * // m.ok && m.profile.customSubjectAlternativeNames.at(-1) → { sanType: 'universalResourceIdentifier', name: '{{OnPremisesSecurityIdentifier}}' }
 */
export function withSidUriSan(profile: ScepCertificateProfile, facts: DeviceFacts): ScepStrongMapping {
  if (profile.family === 'android-work-profile' || profile.family === 'android-device-owner') {
    return {
      ok: true,
      profile,
      sid: {
        kind: 'not-applicable',
        why: 'the {{OnPremisesSecurityIdentifier}} URI SAN is supported on Windows, macOS and iOS SCEP profiles only (Intune SCEP documentation)',
      },
    };
  }
  const sid = requestSid(profile.certificateType, facts);
  if (sid.kind === 'none') return { ok: false, sid };
  if (sid.kind === 'not-applicable') return { ok: true, profile, sid };
  const present = profile.customSubjectAlternativeNames.some(
    (s) => s.sanType === 'universalResourceIdentifier' && s.name.includes(SID_URI_SAN_TEMPLATE),
  );
  if (present) return { ok: true, profile, sid };
  return {
    ok: true,
    profile: {
      ...profile,
      customSubjectAlternativeNames: [
        ...profile.customSubjectAlternativeNames,
        { sanType: 'universalResourceIdentifier', name: SID_URI_SAN_TEMPLATE },
      ],
    },
    sid,
  };
}
