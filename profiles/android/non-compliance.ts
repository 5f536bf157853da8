/**
 * The Android device's answer to a policy: AMAPI-style per-setting non-compliance details.
 *
 * Models docs/errors.md §3.1–§3.3 (source G1, `googleapis/google-api-go-client:androidmanagement/v1/androidmanagement-api.json@007774894a48d24634ace7b9e09def4d61433f7f`,
 * schemas `NonComplianceDetail`, `NonComplianceDetailCondition`, `OncWifiContext`): `settingName`,
 * `nonComplianceReason`, `fieldPath`, `currentValue`, `packageName`, `specificNonComplianceReason` and
 * `specificNonComplianceContext.oncWifiContext.wifiGuid`. The report wrapper follows the AMAPI `Device`
 * resource fields `appliedPolicyVersion`, `policyCompliant`, `nonComplianceDetails`.
 */
import { CertfleetError } from '../../pki/errors.ts';
import { parseJsonStrict, type JsonValue } from './json-strict.ts';

/** `NonComplianceDetail.nonComplianceReason` values (docs/errors.md §3.1; UNSPECIFIED "is disallowed"). */
export const NON_COMPLIANCE_REASONS = {
  API_LEVEL: 'The setting is not supported in the API level of the Android version running on the device.',
  MANAGEMENT_MODE: "The management mode (profile owner, device owner, etc.) doesn't support the setting.",
  USER_ACTION: 'The user has not taken required action to comply with the setting.',
  INVALID_VALUE: 'The setting has an invalid value.',
  APP_NOT_INSTALLED: 'The app required to implement the policy is not installed.',
  UNSUPPORTED: 'The policy is not supported by the version of Android Device Policy on the device.',
  APP_INSTALLED: 'A blocked app is installed.',
  PENDING:
    "The setting hasn't been applied at the time of the report, but is expected to be applied shortly.",
  APP_INCOMPATIBLE: "The setting can't be applied to the app because the app doesn't support it.",
  APP_NOT_UPDATED:
    "The app is installed, but it hasn't been updated to the minimum version code specified by policy.",
  DEVICE_INCOMPATIBLE: 'The device is incompatible with the policy requirements.',
} as const;

/** One documented non-compliance reason. */
export type NonComplianceReason = keyof typeof NON_COMPLIANCE_REASONS;

/** `specificNonComplianceReason` values (docs/errors.md §3.2) with the `nonComplianceReason` each pairs with. */
export const SPECIFIC_NON_COMPLIANCE_REASONS = {
  PASSWORD_POLICIES_USER_CREDENTIALS_CONFIRMATION_REQUIRED: 'USER_ACTION',
  PASSWORD_POLICIES_PASSWORD_EXPIRED: 'USER_ACTION',
  PASSWORD_POLICIES_PASSWORD_NOT_SUFFICIENT: 'USER_ACTION',
  ONC_WIFI_INVALID_VALUE: 'INVALID_VALUE',
  ONC_WIFI_API_LEVEL: 'API_LEVEL',
  ONC_WIFI_INVALID_ENTERPRISE_CONFIG: 'INVALID_VALUE',
  ONC_WIFI_USER_SHOULD_REMOVE_NETWORK: 'USER_ACTION',
  ONC_WIFI_KEY_PAIR_ALIAS_NOT_CORRESPONDING_TO_EXISTING_KEY: 'INVALID_VALUE',
} as const satisfies Record<string, NonComplianceReason>;

/** One documented specific reason (SPECIFIC_NON_COMPLIANCE_REASON_UNSPECIFIED is modelled by omission). */
export type SpecificNonComplianceReason = keyof typeof SPECIFIC_NON_COMPLIANCE_REASONS;

/** AMAPI `NonComplianceDetail` (docs/errors.md §3.2 "Other NonComplianceDetail fields"). */
export interface NonComplianceDetail {
  /** Top-level Policy field name, e.g. `openNetworkConfiguration`. */
  settingName: string;
  nonComplianceReason: NonComplianceReason;
  /** JS-style path inside the setting, e.g. `openNetworkConfiguration.Certificates[1].PKCS12`. */
  fieldPath?: string;
  /** The device's current value of the field, when it has one. */
  currentValue?: JsonValue;
  packageName?: string;
  specificNonComplianceReason?: SpecificNonComplianceReason;
  specificNonComplianceContext?: { oncWifiContext: { wifiGuid: string } };
}

/** The device's compliance report (AMAPI `Device` fields). */
export interface AndroidComplianceReport {
  appliedPolicyVersion?: string;
  policyCompliant: boolean;
  nonComplianceDetails: NonComplianceDetail[];
}

/** Encodes a report: stable key order, 2-space JSON, trailing newline. */
export function encodeComplianceReport(report: AndroidComplianceReport): Buffer {
  const out: Record<string, unknown> = {};
  if (report.appliedPolicyVersion !== undefined) out.appliedPolicyVersion = report.appliedPolicyVersion;
  out.policyCompliant = report.policyCompliant;
  out.nonComplianceDetails = report.nonComplianceDetails.map((d) => {
    const o: Record<string, unknown> = {
      settingName: d.settingName,
      nonComplianceReason: d.nonComplianceReason,
    };
    if (d.fieldPath !== undefined) o.fieldPath = d.fieldPath;
    if (d.currentValue !== undefined) o.currentValue = d.currentValue;
    if (d.packageName !== undefined) o.packageName = d.packageName;
    if (d.specificNonComplianceReason !== undefined)
      o.specificNonComplianceReason = d.specificNonComplianceReason;
    if (d.specificNonComplianceContext !== undefined) {
      o.specificNonComplianceContext = {
        oncWifiContext: { wifiGuid: d.specificNonComplianceContext.oncWifiContext.wifiGuid },
      };
    }
    return o;
  });
  return Buffer.from(JSON.stringify(out, null, 2) + '\n', 'utf8');
}

/** The outcome of {@link decodeComplianceReport}. */
export type ComplianceReportDecodeResult =
  | { ok: true; report: AndroidComplianceReport; raw: Buffer }
  | { ok: false; problems: CertfleetError[]; raw: Buffer };

/**
 * Decodes a report strictly: bad JSON → ANDROID_POLICY_PARSE with line/column; an unknown key, a reason outside
 * docs/errors.md §3.1/§3.2 (including the disallowed NON_COMPLIANCE_REASON_UNSPECIFIED), a specific reason paired
 * with the wrong general reason, or `policyCompliant: true` beside details → ANDROID_POLICY_INVALID with a path.
 */
export function decodeComplianceReport(input: Uint8Array | string): ComplianceReportDecodeResult {
  const raw = typeof input === 'string' ? Buffer.from(input, 'utf8') : Buffer.from(input);
  const parsed = parseJsonStrict(raw.toString('utf8'));
  if (!parsed.ok) {
    const problem = new CertfleetError(
      'ANDROID_POLICY_PARSE',
      `The Android compliance report is not valid JSON at line ${parsed.line}, column ${parsed.column}: ${parsed.reason}.`,
      { details: { line: parsed.line, column: parsed.column } },
    );
    return { ok: false, problems: [problem], raw };
  }
  const problems: CertfleetError[] = [];
  const bad = (path: string, message: string): void => {
    problems.push(new CertfleetError('ANDROID_POLICY_INVALID', `${path}: ${message}`, { details: { path } }));
  };
  const v = parsed.value;
  if (typeof v !== 'object' || v === null || Array.isArray(v)) {
    bad('$', 'the report must be a JSON object');
    return { ok: false, problems, raw };
  }
  for (const k of Object.keys(v)) {
    if (!['appliedPolicyVersion', 'policyCompliant', 'nonComplianceDetails'].includes(k))
      bad(`$.${k}`, `unknown key "${k}"`);
  }
  const report: AndroidComplianceReport = { policyCompliant: false, nonComplianceDetails: [] };
  if (v.appliedPolicyVersion !== undefined) {
    if (typeof v.appliedPolicyVersion === 'string' && /^[0-9]{1,19}$/.test(v.appliedPolicyVersion)) {
      report.appliedPolicyVersion = v.appliedPolicyVersion;
    } else bad('$.appliedPolicyVersion', 'must be a decimal int64 string');
  }
  if (typeof v.policyCompliant === 'boolean') report.policyCompliant = v.policyCompliant;
  else bad('$.policyCompliant', '"policyCompliant" must be true or false');
  const details = v.nonComplianceDetails ?? [];
  if (!Array.isArray(details)) bad('$.nonComplianceDetails', 'must be an array');
  else {
    details.forEach((d, i) => {
      const detail = readDetail(d, `$.nonComplianceDetails[${i}]`, bad);
      if (detail !== undefined) report.nonComplianceDetails.push(detail);
    });
    if (report.policyCompliant && details.length > 0) {
      bad('$.policyCompliant', 'a compliant device reports no nonComplianceDetails');
    }
  }
  if (problems.length > 0) return { ok: false, problems, raw };
  return { ok: true, report, raw };
}

function readDetail(
  d: JsonValue,
  path: string,
  bad: (path: string, message: string) => void,
): NonComplianceDetail | undefined {
  if (typeof d !== 'object' || d === null || Array.isArray(d)) {
    bad(path, 'a detail must be an object');
    return undefined;
  }
  const allowed = [
    'settingName',
    'nonComplianceReason',
    'fieldPath',
    'currentValue',
    'packageName',
    'specificNonComplianceReason',
    'specificNonComplianceContext',
  ];
  let ok = true;
  const fail = (p: string, m: string): void => {
    ok = false;
    bad(p, m);
  };
  for (const k of Object.keys(d)) if (!allowed.includes(k)) fail(`${path}.${k}`, `unknown key "${k}"`);
  const settingName = typeof d.settingName === 'string' && d.settingName !== '' ? d.settingName : undefined;
  if (settingName === undefined) fail(`${path}.settingName`, '"settingName" must be a non-empty string');
  const reason = d.nonComplianceReason;
  const knownReason =
    typeof reason === 'string' && Object.prototype.hasOwnProperty.call(NON_COMPLIANCE_REASONS, reason);
  if (!knownReason) {
    fail(
      `${path}.nonComplianceReason`,
      `${JSON.stringify(reason ?? null)} is not a documented nonComplianceReason (docs/errors.md §3.1)`,
    );
  }
  const detail = { settingName, nonComplianceReason: reason } as NonComplianceDetail;
  for (const key of ['fieldPath', 'packageName'] as const) {
    const value = d[key];
    if (value === undefined) continue;
    if (typeof value === 'string') detail[key] = value;
    else fail(`${path}.${key}`, `"${key}" must be a string`);
  }
  if (d.currentValue !== undefined) detail.currentValue = d.currentValue;
  const specific = d.specificNonComplianceReason;
  if (specific !== undefined) {
    if (
      typeof specific !== 'string' ||
      !Object.prototype.hasOwnProperty.call(SPECIFIC_NON_COMPLIANCE_REASONS, specific)
    ) {
      fail(
        `${path}.specificNonComplianceReason`,
        `${JSON.stringify(specific)} is not a documented specific reason (docs/errors.md §3.2)`,
      );
    } else {
      const pair = SPECIFIC_NON_COMPLIANCE_REASONS[specific as SpecificNonComplianceReason];
      if (knownReason && pair !== reason) {
        fail(
          `${path}.specificNonComplianceReason`,
          `${specific} pairs with nonComplianceReason ${pair}, not ${String(reason)}`,
        );
      }
      detail.specificNonComplianceReason = specific as SpecificNonComplianceReason;
    }
  }
  const ctxValue = d.specificNonComplianceContext;
  if (ctxValue !== undefined) {
    const wifi =
      typeof ctxValue === 'object' && ctxValue !== null && !Array.isArray(ctxValue)
        ? ctxValue.oncWifiContext
        : undefined;
    const guid =
      typeof wifi === 'object' && wifi !== null && !Array.isArray(wifi) ? wifi.wifiGuid : undefined;
    if (
      typeof guid === 'string' &&
      guid !== '' &&
      Object.keys(ctxValue as object).length === 1 &&
      Object.keys(wifi as object).length === 1
    ) {
      detail.specificNonComplianceContext = { oncWifiContext: { wifiGuid: guid } };
    } else {
      fail(
        `${path}.specificNonComplianceContext`,
        'only {"oncWifiContext": {"wifiGuid": "<GUID>"}} is modelled',
      );
    }
  }
  return ok ? detail : undefined;
}
