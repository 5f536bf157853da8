/**
 * macOS and iOS/iPadOS SCEP: a `scep-certificate` profile → one `.mobileconfig` with a
 * `com.apple.security.scep` payload (docs/formats.md §1.4, ADM `com.apple.security.scep.yaml`): the device
 * makes the key itself and enrols with `URL` using `Challenge`. Mappings (**[inferred]** unless noted):
 * - `URL` = the enrolment's URL (a run's own SCEP server) or else the profile's first `scepServerUrls` entry
 *   (the device's retry over further URLs is not simulated: unused-settings.ts says so), `Challenge` = the one-time challenge the service
 *   issued for this device × profile;
 * - `Subject` = the resolved subject DN as RDNs of [type, value] pairs, most significant first (§1.4 example
 *   `[[['C','US']],[['O','Apple Inc.']]]`); the same variables, restrictions and missing-variable failures as
 *   PKCS (resolveProfileNames);
 * - `SubjectAltName`: e-mail → `rfc822Name`, DNS → `dNSName`, URI → `uniformResourceIdentifier`, UPN →
 *   `ntPrincipalName` (§1.4 key names); the custom Entra attribute SAN is not requested (as for PKCS);
 * - `Keysize` = Graph `keySize` in bits, `Key Type` RSA; `Key Usage` bitmask 1 signing, 4 encryption (§1.4)
 *   from Graph `keyUsage` digitalSignature / keyEncipherment;
 * - `CAFingerprint` = the enrolment's CA fingerprint when given;
 * - macOS: `AllowAllAppsAccess`, `KeyIsExtractable` false (as PKCS), `PayloadScope` System for a device
 *   certificate and User for a user certificate (§1.1: PayloadScope decides the keychain).
 * What the payload has no key for (validity, hash algorithm, EKUs) is listed by unused-settings.ts.
 */
import { encodeMobileconfig } from '../apple/mobileconfig.ts';
import type { AppleProfile, ScepPayload, ScepPayloadContent } from '../apple/mobileconfig-types.ts';
import type { IosScepProfile, MacosScepProfile } from '../model/scep-profile.ts';
import { KEY_SIZE_BITS } from '../model/scep-profile.ts';
import type { DeviceFacts } from '../variables/facts.ts';
import type { CompileOptions, CompileResult } from './compile-types.ts';
import { startScepCompile } from './scep-start.ts';

/** Apple's SCEP `Key Usage` bits (docs/formats.md §1.4): 1 signing, 4 encryption. */
export const APPLE_KEY_USAGE_BITS = { digitalSignature: 1, keyEncipherment: 4 } as const;

/** DN short names Apple's SCEP `Subject` examples use; any other attribute goes by its OID. */
const APPLE_SUBJECT_NAMES = new Set(['C', 'ST', 'L', 'O', 'OU', 'CN']);

const SAN_KEY = {
  'san:email': 'rfc822Name',
  'san:dns': 'dNSName',
  'san:uri': 'uniformResourceIdentifier',
  'san:upn': 'ntPrincipalName',
} as const;

/** Compiles a macOS or iOS SCEP profile for the device described by `facts`. */
export function compileAppleScep(
  profile: MacosScepProfile | IosScepProfile,
  facts: DeviceFacts,
  options: CompileOptions,
): CompileResult {
  const start = startScepCompile(profile, facts, options);
  if (!start.ok) return start;
  const { enrolment, names } = start;
  const subject = names.dn.rdns.map((rdn) =>
    rdn.map((a): [string, string] => [APPLE_SUBJECT_NAMES.has(a.shortName) ? a.shortName : a.type, a.value]),
  );
  const san: NonNullable<ScepPayloadContent['SubjectAltName']> = {};
  for (const s of names.sans) {
    if (s.target === 'san:aad-attribute') continue;
    const key = SAN_KEY[s.target];
    const had = san[key];
    san[key] = had === undefined ? s.value : [...(Array.isArray(had) ? had : [had]), s.value];
  }
  const top = options.ids('apple-profile-uuid');
  const content: ScepPayloadContent = {
    URL: enrolment.url ?? profile.scepServerUrls[0]!,
    Subject: subject,
    Challenge: enrolment.challenge,
    Keysize: KEY_SIZE_BITS[profile.keySize],
    'Key Type': 'RSA',
    'Key Usage': profile.keyUsage.reduce((bits, u) => bits | APPLE_KEY_USAGE_BITS[u], 0),
    ...(enrolment.caFingerprint !== undefined && { CAFingerprint: Buffer.from(enrolment.caFingerprint) }),
    ...(Object.keys(san).length > 0 && { SubjectAltName: san }),
    ...(profile.family === 'macos' && {
      AllowAllAppsAccess: profile.allowAllAppsAccess,
      KeyIsExtractable: false,
    }),
  };
  const payload: ScepPayload = {
    PayloadType: 'com.apple.security.scep',
    PayloadVersion: 1,
    PayloadIdentifier: `com.certfleet.profile.${top}.scep`,
    PayloadUUID: options.ids('apple-payload-uuid'),
    PayloadDisplayName: profile.displayName,
    PayloadContent: content,
  };
  const native: AppleProfile = {
    PayloadType: 'Configuration',
    PayloadVersion: 1,
    PayloadIdentifier: `com.certfleet.profile.${top}`,
    PayloadUUID: top,
    PayloadDisplayName: profile.displayName,
    ...(profile.description !== undefined && { PayloadDescription: profile.description }),
    PayloadOrganization: options.organization ?? 'certfleet',
    ...(profile.family === 'macos' && {
      PayloadScope: profile.certificateType === 'device' ? 'System' : 'User',
    }),
    PayloadContent: [payload],
  };
  return {
    ok: true,
    payload: {
      format: 'mobileconfig',
      bytes: encodeMobileconfig(native, { platform: profile.family }),
      fileExtension: '.mobileconfig',
      native,
    },
  };
}
