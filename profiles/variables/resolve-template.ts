/**
 * Resolving a subject or SAN template against one device: either the value, or an outcome that names the
 * variable, the attribute behind it and why it is absent — the failure of docs/formats.md §5.2 "Missing
 * variable": "A device must support all variables specified in a certificate profile for that profile to
 * install on that device" (PFXDOC, SCEPDOC).
 */
import type { ProfileFamily } from '../model/platform.ts';
import type { ProfileProblem } from '../model/problem.ts';
import { formatProblems } from '../model/problem.ts';
import type { TemplateTarget } from '../model/profile-names.ts';
import type { CertificateType } from '../model/profile.ts';
import {
  ANDROID12_WORK_PROFILE,
  decisiveAbsence,
  enrollmentPolicyHiding,
  originOfReason,
  type AbsenceOrigin,
  type EnrollmentPolicy,
  type PolicyView,
} from './absence-policy.ts';
import { attributeFor } from './catalogue.ts';
import type { VariableSpec } from './catalogue.ts';
import type { AbsenceReason, AttributeName, DeviceFacts } from './facts.ts';
import { lexTemplate } from './template-syntax.ts';
import { checkTemplate, contextRuleBroken } from './validate-template.ts';

/** Where the template is used (as for validation). */
export interface ResolveContext {
  certificateType: CertificateType;
  target: TemplateTarget;
  family?: ProfileFamily;
  /** Path of the template in the profile, reported in outcomes; default `template`. */
  path?: string;
}

/** The device cannot supply a variable. */
export interface MissingVariable {
  kind: 'MissingVariable';
  code: 'VARIABLE_MISSING';
  /** As written in the template, e.g. `{{IMEI}}`. */
  variable: string;
  attribute: AttributeName;
  reason: AbsenceReason;
  target: TemplateTarget;
  path: string;
  /** A sentence a person can act on. */
  message: string;
}
/** A variable is not allowed in this place (certificate type, SAN attribute, enrollment kind). */
export interface VariableNotAllowed {
  kind: 'VariableNotAllowed';
  code: 'VARIABLE_NOT_ALLOWED';
  variable: string;
  target: TemplateTarget;
  path: string;
  message: string;
}
/** The template itself is malformed or names an unknown variable. */
export interface InvalidTemplate {
  kind: 'InvalidTemplate';
  code: 'TEMPLATE_MALFORMED' | 'VARIABLE_UNKNOWN';
  target: TemplateTarget;
  path: string;
  problems: ProfileProblem[];
  message: string;
}
/** Why a template could not be resolved. */
export type ResolveFailure = MissingVariable | VariableNotAllowed | InvalidTemplate;
/** The resolved value, or the failure. */
export type ResolveResult = { ok: true; value: string } | { ok: false; outcome: ResolveFailure };

/** Prefix of the URI SAN Intune makes from `{{OnPremisesSecurityIdentifier}}` (SCEPDOC; docs/formats.md §5.1). */
export const SID_URI_PREFIX = 'tag:microsoft.com,2022-09-14:sid:';

const ATTRIBUTE_LABEL = {
  userName: 'user name',
  userPrincipalName: 'user principal name',
  emailAddress: 'e-mail address',
  entraDeviceId: 'Microsoft Entra device ID',
  intuneDeviceId: 'Intune device ID',
  serialNumber: 'serial number',
  imei: 'IMEI',
  meid: 'MEID',
  wifiMacAddress: 'Wi-Fi MAC address',
  deviceName: 'device name',
  fullyQualifiedDomainName: 'fully qualified domain name',
  onPremisesDistinguishedName: 'on-premises distinguished name',
  onPremisesSamAccountName: 'on-premises sAMAccountName',
  userSid: 'on-premises user SID',
  deviceSid: 'on-premises computer SID',
  udid: 'UDID',
  department: 'department',
} as const satisfies Record<AttributeName, string>;

const PLATFORM_LABEL = { windows: 'Windows', macos: 'macOS', ios: 'iOS/iPadOS', android: 'Android' } as const;
const KIND_LABEL = {
  'entra-joined': 'Microsoft Entra joined',
  'hybrid-joined': 'Microsoft Entra hybrid joined',
  workplace: 'Microsoft Entra registered',
  device: 'device enrollment',
  user: 'user enrollment',
  'device-admin': 'device administrator',
  'work-profile-personal': 'personally-owned work profile',
  'work-profile-corporate': 'corporate-owned work profile',
  'fully-managed': 'fully managed',
  dedicated: 'dedicated',
} as const;

const TARGET_LABEL = {
  subject: 'subject name',
  'san:email': 'e-mail subject alternative name',
  'san:upn': 'UPN subject alternative name',
  'san:dns': 'DNS subject alternative name',
  'san:uri': 'URI subject alternative name',
  'san:aad-attribute': 'custom Entra attribute subject alternative name',
} as const satisfies Record<TemplateTarget, string>;

const ANDROID_DEVICE_OWNER_KINDS: readonly string[] = [
  'fully-managed',
  'dedicated',
  'work-profile-corporate',
];

/** What the enrollment policies look at, from what the service knows of the device. */
function policyViewOf(facts: DeviceFacts): PolicyView {
  return {
    platform: facts.platform,
    enrollmentKind: facts.enrollmentKind,
    enrolledOsVersion: facts.enrolledOsVersion ?? facts.osVersion,
  };
}

/** The absence a documented restriction forces on this device, or undefined when none applies. */
export function restrictedAbsence(
  spec: VariableSpec,
  facts: DeviceFacts,
  certificateType: CertificateType,
): AbsenceReason | undefined {
  const r = spec.restrictions as readonly string[];
  const needsUser = spec.scope === 'user' && !(r.includes('sid-platforms') && certificateType === 'device');
  if (r.includes('needs-user') && needsUser && !facts.hasUser) return 'user-less';
  if (r.includes('apple-only') && facts.platform !== 'macos' && facts.platform !== 'ios')
    return 'not-on-platform';
  if (r.includes('windows-domain-joined-only')) {
    if (facts.platform !== 'windows') return 'not-on-platform';
    if (facts.enrollmentKind !== 'hybrid-joined') return 'not-domain-joined';
  }
  if (r.includes('no-android12-work-profile') && ANDROID12_WORK_PROFILE.applies(policyViewOf(facts))) {
    return ANDROID12_WORK_PROFILE.reason;
  }
  if (r.includes('sid-platforms')) {
    if (certificateType === 'user' && facts.platform === 'android') return 'not-on-platform';
    if (certificateType === 'device') {
      if (facts.platform !== 'windows') return 'not-on-platform';
      if (facts.enrollmentKind !== 'hybrid-joined') return 'not-hybrid-joined';
    }
  }
  return undefined;
}

function describeDevice(facts: DeviceFacts): string {
  const kind = KIND_LABEL[facts.enrollmentKind];
  const version = facts.enrolledOsVersion ?? facts.osVersion;
  const enrolled =
    facts.platform === 'android' && facts.enrollmentKind === 'work-profile-personal'
      ? `, enrolled on Android ${version}`
      : '';
  return `this ${PLATFORM_LABEL[facts.platform]} device (${kind}${enrolled}${facts.hasUser ? '' : ', no user'})`;
}

/** The user attributes the service reads from the directory (Microsoft Entra ID), not from the device. */
const DIRECTORY_USER_ATTRIBUTES: readonly AttributeName[] = [
  'userName',
  'userPrincipalName',
  'emailAddress',
  'department',
  'onPremisesDistinguishedName',
  'onPremisesSamAccountName',
  'userSid',
];

/** `a, b and c`. */
function listOf(items: readonly string[]): string {
  return items.length < 2 ? items.join('') : `${items.slice(0, -1).join(', ')} and ${items.at(-1)}`;
}

/**
 * Why a device that simply did not report an attribute lacks it, per attribute: a Wi-Fi-only tablet
 * explains a missing IMEI, never a missing e-mail address (issue 13 point 3). An enrollment policy that
 * keeps it from the service (Apple User Enrollment) is the cause when it applies, whatever the hardware
 * (absence-policy.ts, the precedence rule the device side follows too).
 */
function notReported(attribute: AttributeName, facts: DeviceFacts, policy?: EnrollmentPolicy): string {
  const label = ATTRIBUTE_LABEL[attribute];
  const device = describeDevice(facts);
  if (policy?.id === 'apple-user-enrollment') {
    const ids = listOf(policy.attributes.map((a) => ATTRIBUTE_LABEL[a]));
    return `${device} reported no ${label} — Apple User Enrollment does not share hardware identifiers (${ids}) with the MDM service: the enrollment withholds it, whatever the hardware`;
  }
  switch (attribute) {
    case 'imei':
      return `${device} reported no IMEI — it has no cellular modem (a Wi-Fi-only tablet, a PC without WWAN) or does not share it`;
    case 'meid':
      return `${device} reported no MEID — its modem does not speak CDMA, or it has no cellular modem`;
    case 'wifiMacAddress':
      return `${device} reported no Wi-Fi MAC address — it has no Wi-Fi radio (a wired desktop) or does not share it`;
    case 'entraDeviceId':
    case 'intuneDeviceId':
      return `the ${label} of ${device} is not recorded in the tenant's directory`;
    case 'deviceSid':
      return `${device} has no computer account SID recorded in the tenant's directory`;
    default:
      return DIRECTORY_USER_ATTRIBUTES.includes(attribute)
        ? `the ${label} of the device's user is empty in Microsoft Entra ID, where Intune reads it`
        : `${device} did not report its ${label}`;
  }
}

// The explanations below follow docs/formats.md §5.1 and §5.2 (sources PFXDOC, SCEPDOC); the tags stay in
// these comments: messages are for the people who read reports (issue 13 point 3).
function explainAbsence(
  cause: ResolvedAbsence,
  attribute: AttributeName,
  facts: DeviceFacts,
  raw: string,
): string {
  const label = ATTRIBUTE_LABEL[attribute];
  switch (cause.reason) {
    case 'not-reported':
      return notReported(attribute, facts, cause.policy);
    case 'not-on-platform':
      return `${PLATFORM_LABEL[facts.platform]} devices never supply the ${label} Intune needs for ${raw}`;
    case 'android12-work-profile':
      return `${describeDevice(facts)} does not expose its ${label}: Android 12 and later hide the serial number, IMEI and MEID from personally-owned work profiles, so profiles using them fail on devices enrolled on Android 12 or later`;
    case 'user-less':
      return `${describeDevice(facts)} has no user, and user attributes such as the ${label} are unavailable on devices without a user association`;
    case 'not-domain-joined':
      return `${describeDevice(facts)} is not joined to an on-premises domain, and ${raw} only applies to Windows domain-joined devices`;
    case 'not-synced':
      return `the user's ${label} is not synchronised from on-premises Active Directory to Microsoft Entra ID (Entra Connect must sync it)`;
    case 'not-hybrid-joined':
      return `${describeDevice(facts)} is not Microsoft Entra hybrid joined, and ${raw} in a device certificate is supported only on hybrid-joined Windows devices`;
  }
}

/** One cause of an absence, with the enrollment policy behind it when there is one. */
export interface ResolvedAbsence {
  origin: AbsenceOrigin;
  reason: AbsenceReason;
  policy?: EnrollmentPolicy;
}

/**
 * Why the device cannot supply `attribute`, when several causes hold: a documented restriction Intune
 * enforces (`forced`), an enrollment policy that keeps the value from the service, and the reason the
 * inventory gives. The decisive one is chosen by the precedence rule the device side uses too
 * (absence-policy.ts `decisiveAbsence`), so the row's message names the cause the failure summary and
 * `show device` name.
 */
export function absenceCauseOf(
  attribute: AttributeName,
  facts: DeviceFacts,
  forced: AbsenceReason | undefined,
): ResolvedAbsence {
  const reported = facts.attributes[attribute];
  const missing = reported === undefined || reported === '';
  const policy = missing ? enrollmentPolicyHiding(policyViewOf(facts), attribute) : undefined;
  const absent = missing ? (facts.absent[attribute] ?? 'not-reported') : undefined;
  const cause = decisiveAbsence<ResolvedAbsence>([
    forced !== undefined && { origin: originOfReason(forced), reason: forced },
    policy !== undefined && { origin: policy.origin, reason: policy.reason, policy },
    absent !== undefined && { origin: originOfReason(absent), reason: absent },
  ]);
  return cause ?? { origin: 'hardware', reason: 'not-reported' };
}

/** Builds the MissingVariable outcome with its explanation. */
export function missingVariable(
  raw: string,
  attribute: AttributeName,
  cause: ResolvedAbsence,
  facts: DeviceFacts,
  target: TemplateTarget,
  path: string,
): MissingVariable {
  const reason = cause.reason;
  const message =
    `The profile uses ${raw} in the ${TARGET_LABEL[target]}, but ${explainAbsence(cause, attribute, facts, raw)}. ` +
    `Intune cannot fill ${raw}, so the profile fails to install on this device: a device must support every variable a profile uses.`;
  return {
    kind: 'MissingVariable',
    code: 'VARIABLE_MISSING',
    variable: raw,
    attribute,
    reason,
    target,
    path,
    message,
  };
}

/**
 * Resolves one template for one device.
 * @example
 * resolveTemplate('CN={{IMEI}}', wp13Phone, { certificateType: 'device', target: 'subject' })
 * // → { ok: false, outcome: { kind: 'MissingVariable', variable: '{{IMEI}}', attribute: 'imei',
 * //      reason: 'android12-work-profile', message: 'The profile uses {{IMEI}} in the subject name, but …' } }
 */
export function resolveTemplate(template: string, facts: DeviceFacts, ctx: ResolveContext): ResolveResult {
  const path = ctx.path ?? 'template';
  const target = ctx.target;
  const check = checkTemplate(template, { ...ctx, path });
  const syntax = check.problems.filter((p) => p.code !== 'VARIABLE_NOT_ALLOWED');
  if (syntax.length > 0) {
    const code = syntax.some((p) => p.code === 'TEMPLATE_MALFORMED')
      ? 'TEMPLATE_MALFORMED'
      : 'VARIABLE_UNKNOWN';
    return {
      ok: false,
      outcome: {
        kind: 'InvalidTemplate',
        code,
        target,
        path,
        problems: syntax,
        message: `The ${TARGET_LABEL[target]} template "${template}" is invalid:\n${formatProblems(syntax)}`,
      },
    };
  }
  let value = '';
  const { tokens } = lexTemplate(template, path);
  for (const t of tokens) {
    if (t.kind === 'text') {
      value += t.value;
      continue;
    }
    const used = check.variables.find((v) => v.raw === t.raw);
    if (used === undefined) continue; // unreachable: unknown variables were reported above
    const { spec } = used;
    const notAllowed = contextRuleBroken(spec, ctx) ?? enrollmentRuleBroken(spec, facts, target);
    if (notAllowed !== undefined) {
      return {
        ok: false,
        outcome: {
          kind: 'VariableNotAllowed',
          code: 'VARIABLE_NOT_ALLOWED',
          variable: t.raw,
          target,
          path,
          message: `The profile uses ${t.raw} in the ${TARGET_LABEL[target]}, but ${notAllowed}; the profile fails to install on ${describeDevice(facts)}.`,
        },
      };
    }
    const attribute = attributeFor(spec, ctx.certificateType);
    const forced = restrictedAbsence(spec, facts, ctx.certificateType);
    const reported = facts.attributes[attribute];
    if (forced !== undefined || reported === undefined || reported === '') {
      const cause = absenceCauseOf(attribute, facts, forced);
      return { ok: false, outcome: missingVariable(t.raw, attribute, cause, facts, target, path) };
    }
    value += (spec.restrictions as readonly string[]).includes('uri-san-only')
      ? SID_URI_PREFIX + reported
      : reported;
  }
  return { ok: true, value };
}

/** Enrollment-kind rules that only a device can decide (UserName in an AE device-owner SAN). */
function enrollmentRuleBroken(
  spec: VariableSpec,
  facts: DeviceFacts,
  target: TemplateTarget,
): string | undefined {
  if (
    (spec.restrictions as readonly string[]).includes('not-in-san-on-android-device-owner') &&
    target !== 'subject' &&
    facts.platform === 'android' &&
    ANDROID_DEVICE_OWNER_KINDS.includes(facts.enrollmentKind)
  ) {
    // SCEPDOC (docs/formats.md §5.1)
    return `{{${spec.name}}} is not supported in the subject alternative name on Android Enterprise fully managed, dedicated and corporate-owned work profile devices`;
  }
  return undefined;
}
