/**
 * The subject and SAN templates a PKCS profile asks for: named subject formats turned into templates, and
 * every SAN with the attribute it goes into.
 *
 * Named subject formats → templates. No Microsoft document gives these expansions; each is an
 * **[inferred]** reading of the enum member name (GRAPH `subjectNameFormat` / `appleSubjectNameFormat`)
 * against the variables PFXDOC/SCEPDOC document for the subject:
 * | format | template | basis |
 * |---|---|---|
 * | commonName | `CN={{UserName}}` (user type) / `CN={{DeviceName}}` (device type) | PFXDOC user-type example `CN={{UserName}}`; device-type reading inferred |
 * | commonNameIncludingEmail | `CN={{UserName}},E={{EmailAddress}}` | PFXDOC/SCEPDOC: "E would usually be set with {{EmailAddress}}"; CN+E example |
 * | commonNameAsEmail | `CN={{EmailAddress}}` | member name |
 * | commonNameAsIMEI | `CN={{IMEI}}` | member name; `{{IMEI}}` is a documented device variable |
 * | commonNameAsSerialNumber | `CN={{SerialNumber}}` | member name |
 * | commonNameAsAadDeviceId | `CN={{AAD_Device_ID}}` | member name |
 * | commonNameAsIntuneDeviceId | `CN={{DeviceId}}` | member name; `{{DeviceId}}` is "Intune device ID" (docs/formats.md §5.1) |
 * | commonNameAsDurableDeviceId | `CN={{DeviceId}}` | no source defines a "durable device ID"; certfleet treats it as the Intune device ID |
 * | custom | `subjectNameFormatString` | GRAPH: "Custom format to use with SubjectNameFormat = Custom" |
 *
 * SAN type flags (`subjectAlternativeNameType`) → templates, also **[inferred]**: `emailAddress` →
 * `{{EmailAddress}}` as an e-mail SAN, `userPrincipalName` → `{{UserPrincipalName}}` as a UPN SAN,
 * `customAzureADAttribute` → `subjectAlternativeNameFormatString` ("Custom String that defines the AAD
 * Attribute"). `domainNameService` and `universalResourceIdentifier` imply no value of their own: GRAPH
 * describes them as "Domain Name Service (DNS)" and "Universal Resource Identifier (URI)" only, and the admin
 * center takes a DNS or URI SAN as an attribute with a value (docs/formats.md §5.1 "SAN — attributes Email
 * address, UPN, DNS, URI"), which Graph keeps in `customSubjectAlternativeNames`. So they add no SAN; set
 * without a custom SAN of their type they have no effect, and unusedSettingsOf says so
 * ({@link valuelessSanFlagsOf}).
 */
import type { SanType, SubjectNameFormat } from './enums.ts';
import type { CertificateType, PkcsCertificateProfile } from './profile.ts';

/** Where a template's value goes: the subject DN, or a SAN of one attribute type (SCEPDOC's four SAN attributes + the custom Entra attribute). */
export type TemplateTarget =
  'subject' | 'san:email' | 'san:upn' | 'san:dns' | 'san:uri' | 'san:aad-attribute';

/** SAN target of each Graph SAN type. */
export const SAN_TARGET_OF_TYPE = {
  emailAddress: 'san:email',
  userPrincipalName: 'san:upn',
  domainNameService: 'san:dns',
  universalResourceIdentifier: 'san:uri',
  customAzureADAttribute: 'san:aad-attribute',
} as const satisfies Record<SanType, TemplateTarget>;

/** How a named subject format expands: see the module comment for the basis of each row. */
export interface SubjectFormatExpansion {
  template: string;
  basis: 'documented' | 'inferred';
  note: string;
}

/** Expansion of each named subject format (except `custom`) per certificate type. */
export const SUBJECT_FORMAT_TEMPLATES = {
  commonName: {
    user: {
      template: 'CN={{UserName}}',
      basis: 'documented',
      note: 'PFXDOC user-type example CN={{UserName}}',
    },
    device: {
      template: 'CN={{DeviceName}}',
      basis: 'inferred',
      note: 'device certificates cannot use {{UserName}}',
    },
  },
  commonNameIncludingEmail: {
    user: {
      template: 'CN={{UserName}},E={{EmailAddress}}',
      basis: 'inferred',
      note: 'PFXDOC CN + E={{EmailAddress}}',
    },
    device: {
      template: 'CN={{UserName}},E={{EmailAddress}}',
      basis: 'inferred',
      note: 'user variables: invalid on device certificates',
    },
  },
  commonNameAsEmail: {
    user: { template: 'CN={{EmailAddress}}', basis: 'inferred', note: 'member name' },
    device: {
      template: 'CN={{EmailAddress}}',
      basis: 'inferred',
      note: 'user variable: invalid on device certificates',
    },
  },
  commonNameAsIMEI: {
    user: { template: 'CN={{IMEI}}', basis: 'inferred', note: 'member name' },
    device: { template: 'CN={{IMEI}}', basis: 'inferred', note: 'member name' },
  },
  commonNameAsSerialNumber: {
    user: { template: 'CN={{SerialNumber}}', basis: 'inferred', note: 'member name' },
    device: { template: 'CN={{SerialNumber}}', basis: 'inferred', note: 'member name' },
  },
  commonNameAsAadDeviceId: {
    user: { template: 'CN={{AAD_Device_ID}}', basis: 'inferred', note: 'member name' },
    device: { template: 'CN={{AAD_Device_ID}}', basis: 'inferred', note: 'member name' },
  },
  commonNameAsIntuneDeviceId: {
    user: { template: 'CN={{DeviceId}}', basis: 'inferred', note: 'member name' },
    device: { template: 'CN={{DeviceId}}', basis: 'inferred', note: 'member name' },
  },
  commonNameAsDurableDeviceId: {
    user: { template: 'CN={{DeviceId}}', basis: 'inferred', note: 'no source defines the durable device ID' },
    device: {
      template: 'CN={{DeviceId}}',
      basis: 'inferred',
      note: 'no source defines the durable device ID',
    },
  },
} as const satisfies Record<
  Exclude<SubjectNameFormat, 'custom'>,
  Record<CertificateType, SubjectFormatExpansion>
>;

/** One name template of a profile, with the model path it came from. */
export interface NameTemplate {
  /** Model path, e.g. `subjectNameFormatString` or `customSubjectAlternativeNames[1].name`. */
  path: string;
  target: TemplateTarget;
  template: string;
}

/** The effective subject template of a PKCS profile (named format expanded, or the custom string). */
export function subjectTemplateOf(
  profile: Pick<PkcsCertificateProfile, 'subjectNameFormat' | 'subjectNameFormatString' | 'certificateType'>,
): NameTemplate {
  if (profile.subjectNameFormat === 'custom') {
    return {
      path: 'subjectNameFormatString',
      target: 'subject',
      template: profile.subjectNameFormatString ?? '',
    };
  }
  return {
    path: 'subjectNameFormat',
    target: 'subject',
    template: SUBJECT_FORMAT_TEMPLATES[profile.subjectNameFormat][profile.certificateType].template,
  };
}

/** Every SAN template of a PKCS profile: from the type flags first, then the custom list in order. */
export function sanTemplatesOf(
  profile: Pick<
    PkcsCertificateProfile,
    'subjectAlternativeNameType' | 'subjectAlternativeNameFormatString' | 'customSubjectAlternativeNames'
  >,
): NameTemplate[] {
  const out: NameTemplate[] = [];
  const flags = new Set(profile.subjectAlternativeNameType);
  if (flags.has('emailAddress')) {
    out.push({ path: 'subjectAlternativeNameType', target: 'san:email', template: '{{EmailAddress}}' });
  }
  if (flags.has('userPrincipalName')) {
    out.push({ path: 'subjectAlternativeNameType', target: 'san:upn', template: '{{UserPrincipalName}}' });
  }
  if (flags.has('customAzureADAttribute') && profile.subjectAlternativeNameFormatString !== undefined) {
    out.push({
      path: 'subjectAlternativeNameFormatString',
      target: 'san:aad-attribute',
      template: profile.subjectAlternativeNameFormatString,
    });
  }
  (profile.customSubjectAlternativeNames ?? []).forEach((san, i) => {
    out.push({
      path: `customSubjectAlternativeNames[${i}].name`,
      target: SAN_TARGET_OF_TYPE[san.sanType],
      template: san.name,
    });
  });
  return out;
}

/** Subject then SANs. */
export function nameTemplatesOf(
  profile: Pick<
    PkcsCertificateProfile,
    | 'subjectNameFormat'
    | 'subjectNameFormatString'
    | 'certificateType'
    | 'subjectAlternativeNameType'
    | 'subjectAlternativeNameFormatString'
    | 'customSubjectAlternativeNames'
  >,
): NameTemplate[] {
  return [subjectTemplateOf(profile), ...sanTemplatesOf(profile)];
}

/** The SAN type flags that name a type but give it no value (see the module comment). */
export const VALUELESS_SAN_FLAGS = ['domainNameService', 'universalResourceIdentifier'] as const;

/** What a value-less SAN type flag is called in advice, and an example custom SAN that gives its value. */
const VALUELESS_SAN_EXAMPLE = {
  domainNameService: { label: 'DNS', name: '{{FullyQualifiedDomainName}}' },
  universalResourceIdentifier: { label: 'URI', name: 'urn:contoso:device:{{AAD_Device_ID}}' },
} as const satisfies Record<(typeof VALUELESS_SAN_FLAGS)[number], { label: string; name: string }>;

/**
 * The value-less SAN type flags of `profile` that no custom SAN of the same type backs: each asks for a SAN
 * that no certificate gets, with the advice to give its value in `customSubjectAlternativeNames`. A flag
 * beside a custom SAN of its type (as Graph returns profiles made in the admin center) is honoured by it.
 *
 * @example
 * valuelessSanFlagsOf({ subjectAlternativeNameType: ['domainNameService'], customSubjectAlternativeNames: [] })
 * // → [{ flag: 'domainNameService', advice: 'the domainNameService flag … customSubjectAlternativeNames …' }]
 */
export function valuelessSanFlagsOf(
  profile: Pick<PkcsCertificateProfile, 'subjectAlternativeNameType' | 'customSubjectAlternativeNames'>,
): { flag: (typeof VALUELESS_SAN_FLAGS)[number]; advice: string }[] {
  const custom = new Set((profile.customSubjectAlternativeNames ?? []).map((s) => s.sanType));
  return VALUELESS_SAN_FLAGS.filter(
    (flag) => profile.subjectAlternativeNameType.includes(flag) && !custom.has(flag),
  ).map((flag) => {
    const { label, name } = VALUELESS_SAN_EXAMPLE[flag];
    return {
      flag,
      advice: `the ${flag} flag names the ${label} SAN type but gives it no value (no source documents one), so no ${label} SAN is requested from it [inferred]; give the value as a custom SAN, e.g. customSubjectAlternativeNames: [{ sanType: '${flag}', name: '${name}' }]`,
    };
  });
}
