/**
 * Android Enterprise SCEP (personally-owned work profile, fully managed / dedicated / COPE): a
 * `scep-certificate` profile → certfleet's Android policy JSON with one `ENROLL_SCEP` certificate command
 * (profiles/android/scep-command.ts; docs/formats.md §3.5, the command's shape is **[inferred]**: Intune's
 * own app carries out Android SCEP and its instructions are not public). The device makes the key in its
 * key store, enrols and installs the key pair under the alias, as `INSTALL_KEY_PAIR` would. Mappings:
 * - `serverUrls` = the enrolment's URL (a run's own SCEP server) or else the profile's `scepServerUrls` in
 *   order (the device tries the next while one cannot be reached); `challenge` = the one-time challenge the
 *   service issued for this device × profile;
 * - `subject` = the resolved subject; `subjectAltNames`: e-mail → EMAIL, DNS → DNS, URI → URI, UPN → UPN;
 *   the same variables, restrictions and missing-variable failures as PKCS (resolveScepNames); the custom
 *   Entra attribute SAN is not requested (as for PKCS, listed by scep-unused-settings.ts);
 * - `keySize` = Graph `keySize` in bits;
 * - `caFingerprint` = hex SHA-256 of the CA certificate the enrolment names, when it names one;
 * - `alias` = `certfleet-` + the display name (keyAliasOf, as PKCS); `access` = Graph `certificateAccessType`
 *   on fully managed profiles (userApproval → USER_APPROVAL, specificApps → SILENT for the packages), and
 *   USER_APPROVAL on the work profile, which has no such setting (SCEPDOC, docs/formats.md §3.4).
 * What the command has no field for — hash algorithm (SCEPDOC: Android Enterprise uses SHA-2 whatever is
 * set), key usage, EKUs and validity (the SCEP server's template decides) — is listed by
 * profiles/model/scep-unused-settings.ts.
 */
import { encodeAndroidPolicy } from '../android/policy-codec.ts';
import type { ScepSubjectAltName } from '../android/scep-command.ts';
import type { AndroidDeviceOwnerScepProfile, AndroidWorkProfileScepProfile } from '../model/scep-profile.ts';
import { KEY_SIZE_BITS } from '../model/scep-profile.ts';
import type { DeviceFacts } from '../variables/facts.ts';
import { keyAliasOf, keyPairAccessOf } from './compile-android.ts';
import type { CompileOptions, CompileResult } from './compile-types.ts';
import { startScepCompile } from './scep-start.ts';

/** An Android Enterprise SCEP profile. */
export type AndroidScepProfile = AndroidWorkProfileScepProfile | AndroidDeviceOwnerScepProfile;

const SAN_TYPE = {
  'san:email': 'EMAIL',
  'san:dns': 'DNS',
  'san:uri': 'URI',
  'san:upn': 'UPN',
} as const satisfies Record<string, ScepSubjectAltName['type']>;

/** Compiles an Android Enterprise SCEP profile for the device described by `facts`. */
export function compileAndroidScep(
  profile: AndroidScepProfile,
  facts: DeviceFacts,
  options: CompileOptions,
): CompileResult {
  const start = startScepCompile(profile, facts, options);
  if (!start.ok) return start;
  const { enrolment, names } = start;
  const subjectAltNames: ScepSubjectAltName[] = names.sans.flatMap((s) =>
    s.target === 'san:aad-attribute' ? [] : [{ type: SAN_TYPE[s.target], value: s.value }],
  );
  const native = {
    certificateCommands: [
      {
        type: 'ENROLL_SCEP' as const,
        alias: keyAliasOf(profile.displayName),
        serverUrls: enrolment.url !== undefined ? [enrolment.url] : [...profile.scepServerUrls],
        challenge: enrolment.challenge,
        subject: names.subject,
        subjectAltNames,
        keySize: KEY_SIZE_BITS[profile.keySize],
        ...(enrolment.caFingerprint !== undefined && {
          caFingerprint: Buffer.from(enrolment.caFingerprint).toString('hex'),
        }),
        access: keyPairAccessOf(profile),
      },
    ],
  };
  return {
    ok: true,
    payload: { format: 'android-policy', bytes: encodeAndroidPolicy(native), fileExtension: '.json', native },
  };
}
