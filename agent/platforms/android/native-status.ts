/**
 * The one place where Android install failures become native statuses (docs/architecture.md house rule 5): each case the Android
 * adapter can meet → its certfleet code, the AMAPI `NonComplianceDetail.nonComplianceReason` (docs/errors.md §3.1,
 * source G1), which top-level policy field (`settingName`) it is reported against, and how sure we are. Android
 * Enterprise only: device administrator is not AMAPI-managed and has its own table (device-admin-status.ts).
 *
 * docs/errors.md §5 (item 5): AMAPI reports certificate problems only through `nonComplianceDetails` — no numeric codes;
 * DevicePolicyManager returns booleans or throws. Every reason value below is documented (G1); which reason a
 * certificate case gets is mostly **inferred** (docs/errors.md §3.3/§3.4 say so), as the `confidence` column records.
 */
import type { ErrorCode } from '../../../pki/errors.ts';
import type {
  NonComplianceDetail,
  NonComplianceReason,
  SpecificNonComplianceReason,
} from '../../../profiles/android/non-compliance.ts';
import type { NativeStatus } from '../../../protocol/wire/outcome.ts';

/**
 * The top-level policy field a failure is reported against. `policy`: the first segment of the detail's
 * `fieldPath` when it has one (a decode problem at `certificateCommands[0].access` → `certificateCommands`),
 * else the literal `policy` (certfleet's name for the whole policy).
 */
export type AndroidSetting = 'openNetworkConfiguration' | 'certificateCommands' | 'policy';

/** One row of {@link ANDROID_NATIVE_CASES}. */
export interface AndroidNativeCase {
  readonly code: ErrorCode;
  readonly reason: NonComplianceReason;
  readonly setting: AndroidSetting;
  /** AMAPI `specificNonComplianceReason`, when the case has a documented one. */
  readonly specific?: SpecificNonComplianceReason;
  readonly confidence: 'documented' | 'observed' | 'inferred';
  /** Where the fact comes from (docs/errors.md / docs/formats.md rows). */
  readonly source: string;
}

/**
 * Every Android failure case, with its native status. A policy that does not parse has no field to blame
 * (`settingName: "policy"`, certfleet's own name); AMAPI itself rejects such a policy at
 * `enterprises.policies.patch` with HTTP 400 (docs/errors.md §3.3, observed), so a device never sees one.
 */
export const ANDROID_NATIVE_CASES = {
  policyParse: {
    code: 'ANDROID_POLICY_PARSE',
    reason: 'INVALID_VALUE',
    setting: 'policy',
    confidence: 'inferred',
    source:
      'docs/errors.md §3.3 "Malformed policy rejected at enterprises.policies.patch" (observed, API side)',
  },
  policyInvalid: {
    code: 'ANDROID_POLICY_INVALID',
    reason: 'INVALID_VALUE',
    setting: 'policy',
    confidence: 'inferred',
    source:
      'docs/errors.md §3.3 "Wrong field value in ONC" → INVALID_VALUE with fieldPath (G1; mapping partly inferred)',
  },
  certParse: {
    code: 'CERT_PARSE',
    reason: 'INVALID_VALUE',
    setting: 'openNetworkConfiguration',
    confidence: 'inferred',
    source:
      'docs/errors.md §3.4 installCaCert returns false "if the certBuffer cannot be parsed" (documented); reason inferred',
  },
  certExpired: {
    code: 'INSTALL_CERT_EXPIRED',
    reason: 'INVALID_VALUE',
    setting: 'openNetworkConfiguration',
    confidence: 'inferred',
    source: 'issue 4 "an expired certificate"; no Android source names a status — inferred',
  },
  pkcs12BadPassword: {
    code: 'PKCS12_BAD_PASSWORD',
    reason: 'INVALID_VALUE',
    setting: 'openNetworkConfiguration',
    confidence: 'inferred',
    source:
      'docs/errors.md §3.4 wrong PKCS#12 password: KeyStore.load throws IOException, DPM never called (inferred); ONC: passphrase "must be empty" (docs/formats.md §3.2)',
  },
  pkcs12Parse: {
    code: 'PKCS12_PARSE',
    reason: 'INVALID_VALUE',
    setting: 'openNetworkConfiguration',
    confidence: 'inferred',
    source: 'docs/errors.md §3.4 corrupt PKCS#12 before installKeyPair (inferred)',
  },
  pkcs12Unsupported: {
    code: 'PKCS12_UNSUPPORTED',
    reason: 'INVALID_VALUE',
    setting: 'openNetworkConfiguration',
    confidence: 'inferred',
    source: 'docs/errors.md §3.4 (the app cannot load the PKCS#12; inferred)',
  },
  silentAccessWrongMode: {
    code: 'INSTALL_NOT_ALLOWED',
    reason: 'MANAGEMENT_MODE',
    setting: 'certificateCommands',
    confidence: 'inferred',
    source:
      'docs/formats.md §3.4/§4.3: certificate access is a Fully Managed/Dedicated/COPE (androidDeviceOwner) setting; docs/errors.md §3.3 MANAGEMENT_MODE (documented reason, inferred use)',
  },
  oncKeyPairAliasMissing: {
    code: 'INSTALL_KEY_ALIAS_MISSING',
    reason: 'INVALID_VALUE',
    setting: 'openNetworkConfiguration',
    specific: 'ONC_WIFI_KEY_PAIR_ALIAS_NOT_CORRESPONDING_TO_EXISTING_KEY',
    confidence: 'documented',
    source:
      'G1 SpecificNonComplianceReason ONC_WIFI_KEY_PAIR_ALIAS_NOT_CORRESPONDING_TO_EXISTING_KEY (documented, docs/errors.md §3.2); AMAPI-NET ClientCertKeyPairAlias',
  },
  oncWifiInvalidValue: {
    code: 'ANDROID_POLICY_INVALID',
    reason: 'INVALID_VALUE',
    setting: 'openNetworkConfiguration',
    specific: 'ONC_WIFI_INVALID_VALUE',
    confidence: 'documented',
    source:
      'G1 SpecificNonComplianceReason ONC_WIFI_INVALID_VALUE (fieldPath names the value); AMAPI-NET supported values (Type WiFi, Security, Outer, Inner, ClientCertType, ProxySettings, MACAddressRandomizationMode, WEP-PSK length, DomainSuffixMatch); docs/errors.md §3.3 "Wrong field value in ONC"',
  },
  oncWifiInvalidValueInferred: {
    code: 'ANDROID_POLICY_INVALID',
    reason: 'INVALID_VALUE',
    setting: 'openNetworkConfiguration',
    specific: 'ONC_WIFI_INVALID_VALUE',
    confidence: 'inferred',
    source:
      'AMAPI-NET marks the key "not supported" (ClientCertPattern, SaveCredentials, UseSystemCAs, AllowGatewayARPPolling, SignalStrength) or the reference names no usable certificate; refused rather than ignored is certfleet\'s reading (docs/formats.md §3.1); G1 ONC_WIFI_INVALID_VALUE',
  },
  oncWifiApiLevel: {
    code: 'INSTALL_NOT_ALLOWED',
    reason: 'API_LEVEL',
    setting: 'openNetworkConfiguration',
    specific: 'ONC_WIFI_API_LEVEL',
    confidence: 'documented',
    source:
      'G1 SpecificNonComplianceReason ONC_WIFI_API_LEVEL; AMAPI-NET: MACAddressRandomizationMode applies to Android 13 and later; docs/errors.md §3.3 "An ONC feature needs a newer Android"',
  },
  oncWifiInvalidEnterpriseConfig: {
    code: 'ANDROID_POLICY_INVALID',
    reason: 'INVALID_VALUE',
    setting: 'openNetworkConfiguration',
    specific: 'ONC_WIFI_INVALID_ENTERPRISE_CONFIG',
    confidence: 'documented',
    source:
      'G1 SpecificNonComplianceReason ONC_WIFI_INVALID_ENTERPRISE_CONFIG (root CA or domain name missing); AMAPI-NET DomainSuffixMatch; docs/errors.md §3.3 "Enterprise Wi-Fi without root CA"',
  },
  scepEnrolFailed: {
    // the code of a refusal is the enrolment's own (SCEP_REQUEST_FAILED, SCEP_HTTP, SCEP_PENDING,
    // INSTALL_UNTRUSTED_CHAIN, KEY_UNSUPPORTED…); this is the usual one
    code: 'SCEP_REQUEST_FAILED',
    reason: 'INVALID_VALUE',
    setting: 'certificateCommands',
    confidence: 'inferred',
    source:
      'docs/formats.md §3.5 ENROLL_SCEP (inferred command); G1 INVALID_VALUE — no Android source names a SCEP enrolment status (docs/errors.md §3.3)',
  },
  scepNotEnrolled: {
    code: 'INSTALL_NOT_SIMULATED',
    reason: 'UNSUPPORTED',
    setting: 'certificateCommands',
    confidence: 'inferred',
    source:
      'certfleet: an ENROLL_SCEP command applied without the network (inspect, the synchronous deliver); G1 UNSUPPORTED',
  },
  wrongPlatform: {
    code: 'INSTALL_NOT_ALLOWED',
    reason: 'DEVICE_INCOMPATIBLE',
    setting: 'policy',
    confidence: 'inferred',
    source: 'G1 DEVICE_INCOMPATIBLE (a non-Android device given an Android policy; certfleet wiring error)',
  },
  internal: {
    code: 'INTERNAL',
    reason: 'UNSUPPORTED',
    setting: 'policy',
    confidence: 'inferred',
    source: 'certfleet bug guard; G1 UNSUPPORTED',
  },
} as const satisfies Record<string, AndroidNativeCase>;

/** One case name of {@link ANDROID_NATIVE_CASES}. */
export type AndroidNativeCaseName = keyof typeof ANDROID_NATIVE_CASES;

/** The AMAPI non-compliance detail of a case at `fieldPath` (a JS-style path inside the policy). */
export function nonComplianceDetail(
  name: AndroidNativeCaseName,
  fieldPath: string | undefined,
): NonComplianceDetail {
  const c = ANDROID_NATIVE_CASES[name];
  const settingName =
    c.setting === 'policy' && fieldPath !== undefined ? (fieldPath.split(/[.[]/)[0] ?? c.setting) : c.setting;
  const detail: NonComplianceDetail = { settingName, nonComplianceReason: c.reason };
  if (fieldPath !== undefined) detail.fieldPath = fieldPath;
  const specific = (c as AndroidNativeCase).specific;
  if (specific !== undefined) detail.specificNonComplianceReason = specific;
  return detail;
}

/** The outcome's native status: the detail when non-compliant, nothing when compliant. */
export function androidNative(detail?: NonComplianceDetail): NativeStatus {
  if (detail === undefined) return { platform: 'android' };
  const nonCompliance: NonNullable<Extract<NativeStatus, { platform: 'android' }>['nonCompliance']> = {
    settingName: detail.settingName,
    nonComplianceReason: detail.nonComplianceReason,
  };
  if (detail.specificNonComplianceReason !== undefined)
    nonCompliance.specificNonComplianceReason = detail.specificNonComplianceReason;
  if (detail.fieldPath !== undefined) nonCompliance.fieldPath = detail.fieldPath;
  return { platform: 'android', nonCompliance };
}
