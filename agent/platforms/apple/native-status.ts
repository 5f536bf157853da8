/**
 * The ONE table that maps what an Apple device concluded about a payload (an install "case") to the outcome
 * code certfleet reports and to the Apple error the device puts in its command response's `ErrorChain`
 * (docs/architecture.md house rule 5: errors map to wire statuses in one place).
 *
 * Each row cites where the Apple error comes from and how sure we are of the *mapping* (confidence labels as
 * in docs/errors.md: documented / observed / inferred). The Apple codes themselves come from the codec's
 * catalogue ({@link APPLE_ERRORS}, docs/errors.md §2.2–2.3), which carries the code's own confidence.
 */
import type { ErrorCode } from '../../../pki/errors.ts';
import {
  APPLE_ERRORS,
  appleErrorForProblem,
  type AppleErrorDefinition,
  type AppleErrorName,
  type Confidence,
  type ErrorChainItem,
  type Problem,
} from '../../../profiles/apple/index.ts';

/** One row of {@link APPLE_CASES}. */
export interface AppleCaseRow {
  /** The outcome code reported for the payload (pki/errors.ts). */
  readonly code: ErrorCode;
  /** The underlying Apple error (the item after the 4001 wrapper in the chain). */
  readonly error: AppleErrorName;
  /** How sure we are that a device reports this error in this case. */
  readonly mapping: Confidence;
  /** docs/errors.md / docs/formats.md row the mapping rests on. */
  readonly source: string;
}

/**
 * Every payload-level failure an Apple device simulated by certfleet can report. docs/errors.md §2.3 ("Case
 * mapping") is the source unless a row says otherwise.
 */
export const APPLE_CASES = {
  /** DER (root/pkcs1) or the DER inside PEM that does not parse: 9005 "Certificate is malformed". */
  certParse: {
    code: 'CERT_PARSE',
    error: 'certificateMalformed',
    mapping: 'inferred',
    source: 'docs/errors.md §2.3 "Malformed certificate data" (code documented, case mapping inferred)',
  },
  /** A PKCS#12 that is not one (bytes that do not decode as a PFX): 9005, as for malformed certificate data. */
  pkcs12Parse: {
    code: 'PKCS12_PARSE',
    error: 'certificateMalformed',
    mapping: 'inferred',
    source: 'docs/errors.md §2.3 "Malformed certificate data (root or PKCS#12 content)"',
  },
  /**
   * A PKCS#12 that decodes but holds no identity (no private key, or a key no certificate in it matches): 9006
   * "Certificate is not an identity".
   */
  pkcs12NotIdentity: {
    code: 'PKCS12_PARSE',
    error: 'certificateNotIdentity',
    mapping: 'inferred',
    source:
      'docs/errors.md §2.3 "Malformed certificate data (root or PKCS#12 content)": 9006 when the PKCS#12 has no private key (code documented, case mapping inferred)',
  },
  /** A PKCS#12 with several private keys (several identities; the payload takes one): 9001. */
  pkcs12SeveralIdentities: {
    code: 'PKCS12_PARSE',
    error: 'certificateTooMany',
    mapping: 'inferred',
    source:
      'docs/errors.md §2.3 "Malformed certificate data (root or PKCS#12 content)": 9001 when it has more than one identity (code documented, case mapping inferred); ADM com.apple.security.pkcs12 "Only one certificate may be included."',
  },
  /** A PKCS#12 algorithm certfleet does not implement: reported as malformed data. */
  pkcs12Unsupported: {
    code: 'PKCS12_UNSUPPORTED',
    error: 'certificateMalformed',
    mapping: 'inferred',
    source: 'docs/errors.md §2.3 "Malformed certificate data" (certfleet limitation, not a device rule)',
  },
  /** Wrong PKCS#12 password: 9000 "Invalid password" (UI: "The password for the certificate … is incorrect."). */
  pkcs12BadPassword: {
    code: 'PKCS12_BAD_PASSWORD',
    error: 'certificateInvalidPassword',
    mapping: 'documented',
    source:
      'docs/errors.md §2.3 "Wrong PKCS#12 password" (code documented, text observed: trailofbits/algo#14558)',
  },
  /** iOS and a PKCS#12 with an empty (or absent) password: docs/formats.md §1.6 Radar 12307889, reported as 9000. */
  pkcs12EmptyPasswordIos: {
    code: 'PKCS12_BAD_PASSWORD',
    error: 'certificateInvalidPassword',
    mapping: 'inferred',
    source: 'docs/formats.md §1.6 (Radar 12307889, lionheart/openradar-mirror#14450); code choice inferred',
  },
  /** Expired or not-yet-valid certificate: 9002 "Cannot store certificate" (certfleet's rule). */
  certExpired: {
    code: 'INSTALL_CERT_EXPIRED',
    error: 'certificateCannotStore',
    mapping: 'inferred',
    source:
      'docs/errors.md §2.2 (9002 documented); refusing expired certificates is certfleet policy (agent preamble)',
  },
  /** iOS identity whose leaf carries nonRepudiation: 4023 "Unacceptable payload" (certfleet's model of PFXDOC's warning). */
  keyUsageRefused: {
    code: 'INSTALL_KEY_USAGE_REFUSED',
    error: 'installUnacceptablePayload',
    mapping: 'inferred',
    source:
      'docs/formats.md §5.2 "iOS non-repudiation" (PFXDOC); docs/errors.md §2.3 "Payload not supported…" candidates',
  },
  /** A key forbidden in User Enrollment (PayloadRemovalDisallowed on iOS): 4023. */
  forbiddenInUserEnrollment: {
    code: 'INSTALL_NOT_ALLOWED',
    error: 'installUnacceptablePayload',
    mapping: 'inferred',
    source:
      'ADM TopLevel.yaml PayloadRemovalDisallowed iOS userenrollment mode: forbidden; docs/errors.md §2.3 (4023 candidate)',
  },
  /** PayloadScope User on a Mac without a user (no user channel): NSPOSIXErrorDomain 1 (observed). */
  userScopeWithoutUser: {
    code: 'INSTALL_NOT_ALLOWED',
    error: 'userScopeOnDeviceChannel',
    mapping: 'observed',
    source:
      'docs/errors.md §2.3 "Profile with user scope sent on the macOS device channel" (micromdm/micromdm#1083)',
  },
  /** A SCEP payload: valid, but certfleet does not enroll over SCEP. 4023 stands for "not done" (certfleet). */
  scepNotSimulated: {
    code: 'INSTALL_NOT_SIMULATED',
    error: 'installUnacceptablePayload',
    mapping: 'inferred',
    source: 'certfleet limitation (no SCEP server); 4023 from docs/errors.md §2.2',
  },
  /**
   * A SCEP enrolment that failed (the server refused, unreachable, wrong CA fingerprint): Apple documents no
   * SCEP error in its MDM error table, so the device reports 1009 "Profile installation failure"; the
   * outcome carries the enrolment's own code (SCEP_REQUEST_FAILED, SCEP_HTTP, INSTALL_UNTRUSTED_CHAIN…).
   */
  scepEnrolFailed: {
    code: 'SCEP_REQUEST_FAILED',
    error: 'profileInstallationFailure',
    mapping: 'inferred',
    source: 'docs/errors.md §2.2 (1009 documented); its use for a failed SCEP enrolment is inferred',
  },
  /** RemoveProfile for an identifier that is not installed: MDMErrorDomain 12075 (observed). */
  profileNotInstalled: {
    code: 'INSTALL_NOT_FOUND',
    error: 'profileNotInstalled',
    mapping: 'observed',
    source: 'docs/errors.md §2.3 "Removal of an identifier that isn\u2019t installed" (fleetdm/fleet#43872)',
  },
  /** The key store failed underneath (a bug or I/O): 6000 "Keychain system error". */
  keychainError: {
    code: 'INTERNAL',
    error: 'keychainSystemError',
    mapping: 'inferred',
    source: 'docs/errors.md §2.2 (6000 documented)',
  },
} as const satisfies Record<string, AppleCaseRow>;

/** A case name of {@link APPLE_CASES}. */
export type AppleCase = keyof typeof APPLE_CASES;

/** The wrapper of every payload failure: 4001 "Installation failure" (docs/errors.md §2.1 typical chain, docs/formats.md §1.6). */
export const PAYLOAD_WRAPPER: AppleErrorDefinition = APPLE_ERRORS.installFailure;

/** Builds one ErrorChain item (US English description equals the localized one: the simulated device speaks English). */
export function chainItem(error: AppleErrorDefinition, description: string): ErrorChainItem {
  return {
    ErrorCode: error.code,
    ErrorDomain: error.domain,
    LocalizedDescription: description,
    USEnglishDescription: description,
  };
}

/**
 * The two chain items for a payload that failed: `4001 MCInstallationErrorDomain "The payload “X” could not be
 * installed."` (observed wording, project-imas/mdm-server#47) wrapping the case's error with `message`.
 */
export function payloadFailureChain(payloadName: string, kase: AppleCase, message: string): ErrorChainItem[] {
  return [
    chainItem(PAYLOAD_WRAPPER, `The payload \u201c${payloadName}\u201d could not be installed.`),
    chainItem(APPLE_ERRORS[APPLE_CASES[kase].error], message),
  ];
}

/**
 * The chain for a profile refused as a whole (a profile-level key or scope the device does not accept):
 * `4001 "The profile “X” could not be installed."` wrapping the case's error.
 */
export function profileFailureChain(profileName: string, kase: AppleCase, message: string): ErrorChainItem[] {
  return [
    chainItem(PAYLOAD_WRAPPER, `The profile \u201c${profileName}\u201d could not be installed.`),
    chainItem(APPLE_ERRORS[APPLE_CASES[kase].error], message),
  ];
}

/**
 * The chain for a profile the device could not decode. Not a well-formed plist: `4000 "Cannot parse profile"`
 * then `NSCocoaErrorDomain 3840` per syntax problem (observed via MDM, fleetdm/fleet#19771). A plist that
 * breaks the schema: `4001` then, per problem, the codec's inferred mapping ({@link appleErrorForProblem}:
 * MCProfileErrorDomain 10xx for top-level keys, MCPayloadErrorDomain 20xx inside a payload), each naming the key.
 */
export function decodeFailureChain(
  profileName: string,
  problems: readonly Problem[],
  payloadNames: readonly string[] = [],
): ErrorChainItem[] {
  const syntax = problems.some((p) => p.code === 'PLIST_PARSE');
  const top = syntax
    ? chainItem(APPLE_ERRORS.installCannotParse, 'The profile could not be parsed.')
    : chainItem(APPLE_ERRORS.installFailure, `The profile \u201c${profileName}\u201d is invalid.`);
  return [
    top,
    ...problems.flatMap((p) =>
      p.rule === 'missing-key'
        ? missingKeyChain(profileName, p, payloadNames)
        : [
            chainItem(
              p.rule === 'plist-syntax' ? APPLE_ERRORS.plistUnexpectedCharacter : appleErrorForProblem(p),
              problemText(p),
            ),
          ],
    ),
  ];
}

/**
 * A missing required key, as docs/errors.md §2.3 observes it (micromdm/micromdm#496: 4001 → 1000
 * MCProfileErrorDomain "The profile “X” is invalid." with "The required field “Topic” is missing." → 2000
 * MCPayloadErrorDomain "The payload “X” is invalid."): 1000 naming the field, then — for a key inside a
 * payload — 2000 naming the payload. A top-level key gets the 1000 item only (inferred).
 */
function missingKeyChain(profileName: string, p: Problem, payloadNames: readonly string[]): ErrorChainItem[] {
  const field = p.path.split('.').pop() ?? p.path;
  const profileItem = chainItem(
    APPLE_ERRORS.profileMalformed,
    `The profile \u201c${profileName}\u201d is invalid. The required field \u201c${field}\u201d is missing.`,
  );
  const index = /^PayloadContent\[(\d+)\]/.exec(p.path)?.[1];
  if (index === undefined) return [profileItem];
  const payload = payloadNames[Number(index)] ?? `PayloadContent[${index}]`;
  return [
    profileItem,
    chainItem(APPLE_ERRORS.payloadMalformed, `The payload \u201c${payload}\u201d is invalid.`),
  ];
}

/** A problem as one line: `PayloadVersion: must be <integer>… (line 12, column 3)`. */
export function problemText(p: Problem): string {
  const where = p.line === undefined ? '' : ` (line ${p.line}, column ${p.column ?? 1})`;
  const prefix = p.path === '' || p.message.includes(p.path) ? '' : `${p.path}: `;
  return `${prefix}${p.message}${where}`;
}
