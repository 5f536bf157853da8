/**
 * The Apple error domains and codes a device puts in a command response's `ErrorChain`, with how sure we
 * are of each (docs/errors.md §2.2–2.3, confidence labels as defined at the top of docs/errors.md):
 * - `documented`: the code is in Apple's legacy MDM Protocol Reference "Error Codes" table (A1) or
 *   Microsoft's Intune iOS error table (A2);
 * - `observed`: seen in a real device log or MDM response (GitHub issue cited);
 * - `inferred`: our own mapping.
 *
 * Apple warns the codes "may change in future operating system releases"; use them as realistic values.
 */
import type { Problem } from './problem.ts';

/** How sure we are of a catalogue row (docs/errors.md, "Confidence labels"). */
export type Confidence = 'documented' | 'observed' | 'inferred';

/** One known Apple error. */
export interface AppleErrorDefinition {
  readonly domain: string;
  readonly code: number;
  /** Apple's short meaning (A1/A2 wording) or the observed text. */
  readonly meaning: string;
  readonly confidence: Confidence;
  /** Where the row comes from (docs/errors.md source). */
  readonly source: string;
}

const A1 =
  'Apple MDM Protocol Reference (legacy), Error Codes; https://developer.apple.com/library/content/documentation/Miscellaneous/Reference/MobileDeviceManagementProtocolRef/3-MDM_Protocol/MDM_Protocol.html (docs/errors.md §2.2)';

const doc = (domain: string, code: number, meaning: string): AppleErrorDefinition => ({
  domain,
  code,
  meaning,
  confidence: 'documented',
  source: A1,
});

/** Every Apple error certfleet knows, keyed by a stable name. docs/errors.md §2.2 (table) and §2.3 (observed). */
export const APPLE_ERRORS = {
  profileMalformed: doc('MCProfileErrorDomain', 1000, 'Malformed profile'),
  profileUnsupportedVersion: doc('MCProfileErrorDomain', 1001, 'Unsupported profile version'),
  profileMissingField: doc('MCProfileErrorDomain', 1002, 'Missing required field'),
  profileBadDataType: doc('MCProfileErrorDomain', 1003, 'Bad data type in field'),
  profileBadSignature: doc('MCProfileErrorDomain', 1004, 'Bad signature'),
  profileEmpty: doc('MCProfileErrorDomain', 1005, 'Empty profile'),
  profileCannotDecrypt: doc('MCProfileErrorDomain', 1006, 'Cannot decrypt'),
  profileNonUniqueUuids: doc('MCProfileErrorDomain', 1007, 'Non-unique UUIDs'),
  profileNonUniqueIdentifiers: doc('MCProfileErrorDomain', 1008, 'Non-unique payload identifiers'),
  profileInstallationFailure: doc('MCProfileErrorDomain', 1009, 'Profile installation failure'),
  profileUnsupportedFieldValue: doc('MCProfileErrorDomain', 1010, 'Unsupported field value'),
  payloadMalformed: doc('MCPayloadErrorDomain', 2000, 'Malformed payload'),
  payloadUnsupportedVersion: doc('MCPayloadErrorDomain', 2001, 'Unsupported payload version'),
  payloadMissingField: doc('MCPayloadErrorDomain', 2002, 'Missing required field'),
  payloadBadDataType: doc('MCPayloadErrorDomain', 2003, 'Bad data type in field'),
  payloadUnsupportedFieldValue: doc('MCPayloadErrorDomain', 2004, 'Unsupported field value'),
  payloadInternalError: doc('MCPayloadErrorDomain', 2005, 'Internal error'),
  installCannotParse: doc('MCInstallationErrorDomain', 4000, 'Cannot parse profile'),
  installFailure: doc('MCInstallationErrorDomain', 4001, 'Installation failure'),
  installDuplicateUuid: doc('MCInstallationErrorDomain', 4002, 'Duplicate UUID'),
  installUnrecognizedFormat: doc('MCInstallationErrorDomain', 4007, 'Unrecognized file format'),
  installMismatchedCertificates: doc('MCInstallationErrorDomain', 4008, 'Mismatched certificates'),
  installIdentifierChanged: doc(
    'MCInstallationErrorDomain',
    4010,
    'Updated profile does not have the same identifier',
  ),
  installNotUpdatable: doc('MCInstallationErrorDomain', 4012, 'Profile is not updatable'),
  installNoDeviceIdentity: doc('MCInstallationErrorDomain', 4014, 'No device identity available'),
  installUiProhibited: doc('MCInstallationErrorDomain', 4020, 'UI installation prohibited'),
  installMustBeNonInteractive: doc(
    'MCInstallationErrorDomain',
    4021,
    'Profile must be installed non-interactively',
  ),
  installMustUseMdm: doc('MCInstallationErrorDomain', 4022, 'Profile must be installed using MDM'),
  installUnacceptablePayload: doc('MCInstallationErrorDomain', 4023, 'Unacceptable payload'),
  installInvalidSupervision: doc('MCInstallationErrorDomain', 4025, 'Invalid supervision'),
  installUnacceptableInMultiUser: doc(
    'MCInstallationErrorDomain',
    4030,
    'Unacceptable payload in ephemeral multi-user (Shared iPad)',
  ),
  keychainSystemError: doc('MCKeychainErrorDomain', 6000, 'Keychain system error'),
  keychainEmptyString: doc('MCKeychainErrorDomain', 6001, 'Empty string'),
  keychainCannotCreateQuery: doc('MCKeychainErrorDomain', 6002, 'Cannot create query'),
  certificateInvalidPassword: doc('MCCertificateErrorDomain', 9000, 'Invalid password'),
  certificateTooMany: doc('MCCertificateErrorDomain', 9001, 'Too many certificates in a payload'),
  certificateCannotStore: doc('MCCertificateErrorDomain', 9002, 'Cannot store certificate'),
  certificateCannotStoreWapi: doc('MCCertificateErrorDomain', 9003, 'Cannot store WAPI data'),
  certificateCannotStoreRoot: doc('MCCertificateErrorDomain', 9004, 'Cannot store root certificate'),
  certificateMalformed: doc('MCCertificateErrorDomain', 9005, 'Certificate is malformed'),
  certificateNotIdentity: doc('MCCertificateErrorDomain', 9006, 'Certificate is not an identity'),
  plistUnexpectedCharacter: {
    domain: 'NSCocoaErrorDomain',
    code: 3840,
    meaning: 'Unexpected character 0 at line 1 (property list could not be parsed)',
    confidence: 'observed',
    source: 'https://github.com/fleetdm/fleet/issues/19771 (docs/errors.md §2.3)',
  },
  userScopeOnDeviceChannel: {
    domain: 'NSPOSIXErrorDomain',
    code: 1,
    meaning: 'The profile must be a system profile. User profiles are not supported',
    confidence: 'observed',
    source: 'https://github.com/micromdm/micromdm/issues/1083 (docs/errors.md §2.3)',
  },
  commandParameterInvalid: {
    domain: 'DeviceManagement.error',
    code: 1,
    meaning: 'A parameter was invalid.',
    confidence: 'observed',
    source: 'https://github.com/micromdm/micromdm/issues/622 (docs/errors.md §2.3)',
  },
  profileNotInstalled: {
    domain: 'MDMErrorDomain',
    code: 12075,
    meaning: 'Specified profile not installed (older OS: MCMDMErrorDomain)',
    confidence: 'observed',
    source: 'https://github.com/fleetdm/fleet/pull/43872 (docs/errors.md §2.2–2.3)',
  },
} as const satisfies Record<string, AppleErrorDefinition>;

/** A stable name of one {@link APPLE_ERRORS} row. */
export type AppleErrorName = keyof typeof APPLE_ERRORS;

/** The Intune admin-center code for an MC* error: 0x87D10000 + 10000 + code (docs/errors.md §2.2, A2 arithmetic). */
export function intuneCodeForAppleError(code: number): number {
  return 0x87d10000 + 10000 + code;
}

/**
 * Which Apple error a device would most plausibly report for a profile decode problem (the inner error of
 * the chain; a real chain wraps it in {@link APPLE_ERRORS.installFailure}, docs/errors.md §2.1). Top-level keys
 * map to MCProfileErrorDomain, keys inside a payload to MCPayloadErrorDomain. The codes are documented;
 * this mapping is **inferred**, except a missing key, which follows the observed generic 1000/2000.
 */
export function appleErrorForProblem(problem: Problem): AppleErrorDefinition {
  const inPayload = problem.path.startsWith('PayloadContent[');
  const pick = (top: AppleErrorName, payload: AppleErrorName): AppleErrorDefinition =>
    APPLE_ERRORS[inPayload ? payload : top];
  switch (problem.rule) {
    case 'plist-syntax':
    case 'bad-base64':
    case 'duplicate-key':
      return APPLE_ERRORS.installCannotParse;
    case 'wrong-type':
      return pick('profileBadDataType', 'payloadBadDataType');
    case 'missing-key':
      // docs/errors.md §2.3 "Missing required key in a payload": the observed chain (micromdm/micromdm#496) uses
      // the generic 1000/2000, not the table's 1002/2002 "Missing required field".
      return pick('profileMalformed', 'payloadMalformed');
    case 'bad-value':
    case 'bad-uuid':
      return /PayloadVersion$/.test(problem.path)
        ? pick('profileUnsupportedVersion', 'payloadUnsupportedVersion')
        : pick('profileUnsupportedFieldValue', 'payloadUnsupportedFieldValue');
    case 'unknown-payload-type':
    case 'platform-key':
    case 'unsupported':
      return APPLE_ERRORS.installUnacceptablePayload;
    case 'duplicate-uuid':
      return APPLE_ERRORS.profileNonUniqueUuids;
    case 'duplicate-identifier':
      return APPLE_ERRORS.profileNonUniqueIdentifiers;
    case 'unknown-key':
    case 'advisory-value':
    case 'base64-noncanonical':
      return APPLE_ERRORS.profileMalformed; // warnings: a device does not fail on them
  }
}
