import { describe, expect, it } from 'vitest';
import {
  RESTRICTIONS,
  VARIABLE_NAMES,
  VARIABLES,
  lookupVariable,
} from '../../../profiles/variables/catalogue.ts';
import { attributeFor } from '../../../profiles/variables/catalogue.ts';
import type { RestrictionKind, VariableSpec } from '../../../profiles/variables/catalogue.ts';
import type { AttributeName, DeviceFacts } from '../../../profiles/variables/facts.ts';
import type { TemplateTarget } from '../../../profiles/model/profile-names.ts';
import {
  SID_URI_PREFIX,
  absenceCauseOf,
  resolveTemplate,
} from '../../../profiles/variables/resolve-template.ts';
import type { ResolveContext } from '../../../profiles/variables/resolve-template.ts';
import { resolveProfileNames } from '../../../profiles/variables/resolve-profile-names.ts';
import { checkTemplate, validateTemplate } from '../../../profiles/variables/validate-template.ts';
import { validateProfile } from '../../../profiles/model/validate-profile.ts';
import type { PkcsCertificateProfile } from '../../../profiles/model/profile.ts';
import { fullFacts, pkcsInput } from './fixtures.ts';

const BRIEF_VARIABLES = [
  'UserName',
  'UserPrincipalName',
  'EmailAddress',
  'AAD_Device_ID',
  'AzureADDeviceId',
  'DeviceId',
  'Device_Serial',
  'SerialNumber',
  'SERIALNUMBER',
  'Device_IMEI',
  'IMEINumber',
  'IMEI',
  'MEID',
  'WiFiMacAddress',
  'DeviceName',
  'FullyQualifiedDomainName',
  'OnPrem_Distinguished_Name',
  'onPremisesSamAccountName',
  'OnPremisesSamAccountName',
  'OnPremisesSecurityIdentifier',
  'UDID',
  'Department',
];

describe('catalogue', () => {
  it('holds exactly the documented variables', () => {
    expect([...VARIABLE_NAMES].sort()).toEqual([...BRIEF_VARIABLES].sort());
  });
  it.each(VARIABLE_NAMES)('{{%s}} has a scope, an attribute and a source', (name) => {
    const spec = VARIABLES[name];
    expect(['user', 'device']).toContain(spec.scope);
    expect(spec.attribute).toMatch(/^[a-z][A-Za-z]+$/);
    expect(spec.source).not.toBe('');
  });
  it.each([
    ['imei', 'IMEI'],
    ['Imei', 'IMEI'],
    ['fullyQualifiedDomainName', 'FullyQualifiedDomainName'],
    ['SERIALNUMBER', 'SERIALNUMBER'],
    ['serialnumber', 'SerialNumber'],
    ['onpremisessamaccountname', 'onPremisesSamAccountName'],
  ])('matches {{%s}} case-insensitively (→ %s, exact spelling first)', (written, canonical) => {
    expect(lookupVariable(written)?.name).toBe(canonical);
  });
  it('case-variants of one name read the same attribute', () => {
    expect(VARIABLES.SERIALNUMBER.attribute).toBe(VARIABLES.SerialNumber.attribute);
    expect(VARIABLES.onPremisesSamAccountName.attribute).toBe(VARIABLES.OnPremisesSamAccountName.attribute);
  });
  it('returns nothing for unknown names', () => expect(lookupVariable('Nickname')).toBeUndefined());
});

describe('validateTemplate', () => {
  const user: ResolveContext = { certificateType: 'user', target: 'subject' };
  it.each([
    ['CN={{UserName}},E={{EmailAddress}},O=Contoso', user, []],
    ['{{UserName}}-Home', { ...user, target: 'san:dns' }, []],
    ['CN={{DeviceName}}Device1', { certificateType: 'device', target: 'subject' }, []],
    ['CN={UserName}', user, ['TEMPLATE_MALFORMED', 'TEMPLATE_MALFORMED']],
    ['CN={{UserName}', user, ['TEMPLATE_MALFORMED']],
    ['CN={{ UserName }}', user, ['TEMPLATE_MALFORMED']],
    ['CN={{}}', user, ['TEMPLATE_MALFORMED']],
    ['{{UserName}}|home', { ...user, target: 'san:dns' }, ['TEMPLATE_MALFORMED']],
    ['{{UserName}}-x;y', { ...user, target: 'san:dns' }, ['TEMPLATE_MALFORMED']],
    ['{{UserName}}}', user, ['TEMPLATE_MALFORMED']],
    ['{{UserName}}{x', user, ['TEMPLATE_MALFORMED']],
    ['a|b {{UserName}}', user, []],
    ['CN={{Nickname}}', user, ['VARIABLE_UNKNOWN']],
    ['CN={{UserPrincipalName}}', { certificateType: 'device', target: 'subject' }, ['VARIABLE_NOT_ALLOWED']],
    ['{{EmailAddress}}', { certificateType: 'device', target: 'san:email' }, ['VARIABLE_NOT_ALLOWED']],
    ['CN={{OnPremisesSecurityIdentifier}}', user, ['VARIABLE_NOT_ALLOWED']],
    ['{{OnPremisesSecurityIdentifier}}', { ...user, target: 'san:upn' }, ['VARIABLE_NOT_ALLOWED']],
    ['{{OnPremisesSecurityIdentifier}}', { ...user, target: 'san:uri' }, []],
    [
      '{{OnPremisesSecurityIdentifier}}',
      { certificateType: 'device', target: 'san:uri', family: 'windows' },
      [],
    ],
    [
      '{{OnPremisesSecurityIdentifier}}',
      { certificateType: 'device', target: 'san:uri', family: 'macos' },
      ['VARIABLE_NOT_ALLOWED'],
    ],
    [
      '{{OnPremisesSecurityIdentifier}}',
      { certificateType: 'user', target: 'san:uri', family: 'android-work-profile' },
      ['VARIABLE_NOT_ALLOWED'],
    ],
    [
      '{{UserName}}',
      { certificateType: 'user', target: 'san:upn', family: 'android-device-owner' },
      ['VARIABLE_NOT_ALLOWED'],
    ],
    ['CN={{UserName}}', { certificateType: 'user', target: 'subject', family: 'android-device-owner' }, []],
    ['{{UserName}}', { certificateType: 'user', target: 'san:upn', family: 'android-work-profile' }, []],
  ] as const)('%j %j → %j', (template, ctx, codes) => {
    expect(validateTemplate(template, ctx).map((p) => p.code)).toEqual(codes);
  });
  it('names the path and the offending text', () => {
    expect(validateTemplate('CN={UserName}', { ...user, path: 'subjectNameFormatString' })[0]).toEqual({
      path: 'subjectNameFormatString',
      rule: expect.stringContaining('single brace "{" at character 4'),
      code: 'TEMPLATE_MALFORMED',
    });
  });
  it('warns about {{DeviceId}} in a Windows subject, and an unquoted distinguished name', () => {
    expect(
      checkTemplate('CN={{DeviceId}}', { ...user, family: 'windows' }).warnings.map((w) => w.variable),
    ).toEqual(['{{DeviceId}}']);
    expect(checkTemplate('CN={{DeviceId}}', { ...user, family: 'ios' }).warnings).toEqual([]);
    expect(checkTemplate('CN={{OnPrem_Distinguished_Name}}', user).warnings).toHaveLength(1);
    expect(checkTemplate('CN="{{OnPrem_Distinguished_Name}}"', user).warnings).toHaveLength(0);
  });
});

type Expect =
  { ok: string } | { missing: string; attribute: string; reason: string } | { notAllowed: string };

const android = (
  enrollmentKind: DeviceFacts['enrollmentKind'],
  osVersion: string,
  extra: Partial<DeviceFacts> = {},
): Partial<DeviceFacts> => ({
  platform: 'android',
  enrollmentKind,
  osVersion,
  ...extra,
});
const apple = (platform: 'ios' | 'macos'): Partial<DeviceFacts> => ({
  platform,
  enrollmentKind: 'device',
  osVersion: '17.5',
});
const win = (enrollmentKind: DeviceFacts['enrollmentKind']): Partial<DeviceFacts> => ({
  platform: 'windows',
  enrollmentKind,
  osVersion: '10.0.22631',
});
const userLess = { hasUser: false };
const SUBJ = { certificateType: 'user', target: 'subject' } as const;
const DEV = { certificateType: 'device', target: 'subject' } as const;

/** Every documented restriction × platform/enrollment case. The restriction column is checked for coverage below. */
type Case = readonly [RestrictionKind | 'none', string, ResolveContext, Partial<DeviceFacts>, Expect];
const CASES: readonly Case[] = [
  // Android 12+ personally-owned work profile hides serial number, IMEI and MEID (PFXDOC, SCEPDOC)
  ...(['IMEI', 'IMEINumber', 'Device_IMEI'] as const).map(
    (v) =>
      [
        'no-android12-work-profile',
        `CN={{${v}}}`,
        DEV,
        android('work-profile-personal', '12'),
        { missing: `{{${v}}}`, attribute: 'imei', reason: 'android12-work-profile' },
      ] as const,
  ),
  ...(['SerialNumber', 'SERIALNUMBER', 'Device_Serial'] as const).map(
    (v) =>
      [
        'no-android12-work-profile',
        `CN={{${v}}}`,
        DEV,
        android('work-profile-personal', '14'),
        { missing: `{{${v}}}`, attribute: 'serialNumber', reason: 'android12-work-profile' },
      ] as const,
  ),
  [
    'no-android12-work-profile',
    'CN={{MEID}}',
    DEV,
    android('work-profile-personal', '13'),
    { missing: '{{MEID}}', attribute: 'meid', reason: 'android12-work-profile' },
  ],
  [
    'no-android12-work-profile',
    'CN={{IMEI}}',
    DEV,
    android('work-profile-personal', '14', { enrolledOsVersion: '11' }),
    { ok: 'CN=490154203237518' },
  ],
  [
    'no-android12-work-profile',
    'CN={{IMEI}}',
    DEV,
    android('work-profile-personal', '11'),
    { ok: 'CN=490154203237518' },
  ],
  [
    'no-android12-work-profile',
    'CN={{IMEI}}',
    DEV,
    android('work-profile-corporate', '14'),
    { ok: 'CN=490154203237518' },
  ],
  [
    'no-android12-work-profile',
    'CN={{SerialNumber}}',
    DEV,
    android('fully-managed', '14'),
    { ok: 'CN=SN12345' },
  ],
  // FQDN: Windows and domain-joined only
  [
    'windows-domain-joined-only',
    'CN={{FullyQualifiedDomainName}}',
    DEV,
    win('hybrid-joined'),
    { ok: 'CN=laptop-01.corp.contoso.com' },
  ],
  [
    'windows-domain-joined-only',
    'CN={{FullyQualifiedDomainName}}',
    DEV,
    win('entra-joined'),
    {
      missing: '{{FullyQualifiedDomainName}}',
      attribute: 'fullyQualifiedDomainName',
      reason: 'not-domain-joined',
    },
  ],
  [
    'windows-domain-joined-only',
    'CN={{FullyQualifiedDomainName}}',
    DEV,
    win('workplace'),
    {
      missing: '{{FullyQualifiedDomainName}}',
      attribute: 'fullyQualifiedDomainName',
      reason: 'not-domain-joined',
    },
  ],
  [
    'windows-domain-joined-only',
    'CN={{FullyQualifiedDomainName}}',
    DEV,
    apple('macos'),
    {
      missing: '{{FullyQualifiedDomainName}}',
      attribute: 'fullyQualifiedDomainName',
      reason: 'not-on-platform',
    },
  ],
  [
    'windows-domain-joined-only',
    'CN={{FullyQualifiedDomainName}}',
    DEV,
    android('fully-managed', '14'),
    {
      missing: '{{FullyQualifiedDomainName}}',
      attribute: 'fullyQualifiedDomainName',
      reason: 'not-on-platform',
    },
  ],
  // user attributes need a user
  ...(
    [
      'UserName',
      'UserPrincipalName',
      'EmailAddress',
      'OnPrem_Distinguished_Name',
      'OnPremisesSamAccountName',
      'Department',
    ] as const
  ).map(
    (v) =>
      [
        'needs-user',
        `CN="{{${v}}}"`,
        SUBJ,
        android('dedicated', '14', userLess),
        { missing: `{{${v}}}`, attribute: VARIABLES[v].attribute, reason: 'user-less' },
      ] as const,
  ),
  [
    'needs-user',
    'CN={{UserPrincipalName}}',
    SUBJ,
    android('fully-managed', '14'),
    { ok: 'CN=janedoe@contoso.com' },
  ],
  // device certificates: device variables only
  [
    'user-certificate-only',
    'CN={{UserPrincipalName}}',
    DEV,
    win('entra-joined'),
    { notAllowed: '{{UserPrincipalName}}' },
  ],
  ['user-certificate-only', 'CN={{Department}}', DEV, apple('ios'), { notAllowed: '{{Department}}' }],
  // UserName not in the SAN on AE fully managed / dedicated / COPE
  ...(['fully-managed', 'dedicated', 'work-profile-corporate'] as const).map(
    (k) =>
      [
        'not-in-san-on-android-device-owner',
        '{{UserName}}@contoso.com',
        { certificateType: 'user', target: 'san:email' },
        android(k, '14'),
        { notAllowed: '{{UserName}}' },
      ] as const,
  ),
  [
    'not-in-san-on-android-device-owner',
    '{{UserName}}@contoso.com',
    { certificateType: 'user', target: 'san:email' },
    android('work-profile-personal', '14'),
    { ok: 'janedoe@contoso.com' },
  ],
  [
    'not-in-san-on-android-device-owner',
    'CN={{UserName}}',
    SUBJ,
    android('fully-managed', '14'),
    { ok: 'CN=janedoe' },
  ],
  // SID: URI SAN only; user certs iOS/macOS/Windows; device certs hybrid-joined Windows only
  [
    'uri-san-only',
    '{{OnPremisesSecurityIdentifier}}',
    { certificateType: 'user', target: 'san:dns' },
    win('hybrid-joined'),
    { notAllowed: '{{OnPremisesSecurityIdentifier}}' },
  ],
  [
    'uri-san-only',
    'CN={{OnPremisesSecurityIdentifier}}',
    SUBJ,
    win('hybrid-joined'),
    { notAllowed: '{{OnPremisesSecurityIdentifier}}' },
  ],
  ...(['windows', 'ios', 'macos'] as const).map(
    (p) =>
      [
        'sid-platforms',
        '{{OnPremisesSecurityIdentifier}}',
        { certificateType: 'user', target: 'san:uri' },
        p === 'windows' ? win('entra-joined') : apple(p),
        { ok: `${SID_URI_PREFIX}S-1-5-21-1004336348-1177238915-682003330-512` },
      ] as const,
  ),
  [
    'sid-platforms',
    '{{OnPremisesSecurityIdentifier}}',
    { certificateType: 'user', target: 'san:uri' },
    android('work-profile-personal', '14'),
    { missing: '{{OnPremisesSecurityIdentifier}}', attribute: 'userSid', reason: 'not-on-platform' },
  ],
  [
    'sid-platforms',
    '{{OnPremisesSecurityIdentifier}}',
    { certificateType: 'device', target: 'san:uri' },
    { ...win('hybrid-joined'), ...userLess },
    { ok: `${SID_URI_PREFIX}S-1-5-21-1004336348-1177238915-682003330-1105` },
  ],
  [
    'sid-platforms',
    '{{OnPremisesSecurityIdentifier}}',
    { certificateType: 'device', target: 'san:uri' },
    win('entra-joined'),
    { missing: '{{OnPremisesSecurityIdentifier}}', attribute: 'deviceSid', reason: 'not-hybrid-joined' },
  ],
  [
    'sid-platforms',
    '{{OnPremisesSecurityIdentifier}}',
    { certificateType: 'device', target: 'san:uri' },
    apple('macos'),
    { missing: '{{OnPremisesSecurityIdentifier}}', attribute: 'deviceSid', reason: 'not-on-platform' },
  ],
  // UDID: Apple only [inferred]
  ['apple-only', 'CN={{UDID}}', DEV, apple('ios'), { ok: 'CN=00008110-001A2B3C4D5E6F70' }],
  [
    'apple-only',
    'CN={{UDID}}',
    DEV,
    win('entra-joined'),
    { missing: '{{UDID}}', attribute: 'udid', reason: 'not-on-platform' },
  ],
  [
    'apple-only',
    'CN={{UDID}}',
    DEV,
    android('fully-managed', '14'),
    { missing: '{{UDID}}', attribute: 'udid', reason: 'not-on-platform' },
  ],
  // on-premises attributes need Entra Connect sync: the device/tenant says so through facts.absent
  [
    'needs-entra-connect-sync',
    'CN={{onPremisesSamAccountName}}',
    SUBJ,
    { ...win('entra-joined'), attributes: {}, absent: { onPremisesSamAccountName: 'not-synced' } },
    { missing: '{{onPremisesSamAccountName}}', attribute: 'onPremisesSamAccountName', reason: 'not-synced' },
  ],
  // not reported by this device (Wi-Fi-only tablet, no IMEI); empty values count as absent
  [
    'none',
    'CN={{IMEI}}',
    DEV,
    { ...apple('ios'), attributes: { serialNumber: 'X' } },
    { missing: '{{IMEI}}', attribute: 'imei', reason: 'not-reported' },
  ],
  [
    'none',
    'CN={{WiFiMacAddress}}',
    DEV,
    { ...win('entra-joined'), attributes: { wifiMacAddress: '' } },
    { missing: '{{WiFiMacAddress}}', attribute: 'wifiMacAddress', reason: 'not-reported' },
  ],
  [
    'none',
    'CN={{MEID}}',
    DEV,
    { ...android('fully-managed', '14'), attributes: {}, absent: { meid: 'not-reported' } },
    { missing: '{{MEID}}', attribute: 'meid', reason: 'not-reported' },
  ],
  // plain successes, including case-insensitive names
  [
    'none',
    'CN={{AAD_Device_ID}},OU={{AzureADDeviceId}}',
    DEV,
    apple('macos'),
    { ok: 'CN=6b7f2c2e-1111-4a4a-9c9c-0123456789ab,OU=6b7f2c2e-1111-4a4a-9c9c-0123456789ab' },
  ],
  [
    'none',
    'CN={{deviceName}}.{{imei}}',
    DEV,
    android('device-admin', '10'),
    { ok: 'CN=LAPTOP-01.490154203237518' },
  ],
  ['none', 'CN={{DeviceId}}', DEV, win('entra-joined'), { ok: 'CN=0f0e0d0c-2222-4b4b-8d8d-abcdefabcdef' }],
];

describe('resolveTemplate: every variable × platform restriction', () => {
  it.each(CASES)('[%s] %s (%j) on %j', (_r, template, ctx, facts, expected) => {
    const r = resolveTemplate(template, fullFacts(facts), ctx);
    if ('ok' in expected) {
      expect(r).toEqual({ ok: true, value: expected.ok });
    } else if ('missing' in expected) {
      expect(r).toEqual({
        ok: false,
        outcome: expect.objectContaining({
          kind: 'MissingVariable',
          code: 'VARIABLE_MISSING',
          variable: expected.missing,
          attribute: expected.attribute,
          reason: expected.reason,
        }),
      });
    } else {
      expect(r).toEqual({
        ok: false,
        outcome: expect.objectContaining({
          kind: 'VariableNotAllowed',
          code: 'VARIABLE_NOT_ALLOWED',
          variable: expected.notAllowed,
        }),
      });
    }
  });

  it('explains the Android 12 work-profile IMEI failure like a person would', () => {
    const r = resolveTemplate('CN={{IMEI}}', fullFacts(android('work-profile-personal', '13')), {
      ...DEV,
      path: 'subjectNameFormatString',
    });
    expect(r.ok).toBe(false);
    if (r.ok || r.outcome.kind !== 'MissingVariable') return;
    expect(r.outcome.path).toBe('subjectNameFormatString');
    expect(r.outcome.message).toMatch(
      /^The profile uses \{\{IMEI\}\} in the subject name, but this Android device \(personally-owned work profile, enrolled on Android 13\) does not expose its IMEI: Android 12 and later hide/,
    );
    expect(r.outcome.message).toContain('fails to install');
  });

  it('explains a Wi-Fi-only tablet without an IMEI', () => {
    const r = resolveTemplate('CN={{IMEI}}', fullFacts({ ...apple('ios'), attributes: {} }), DEV);
    expect(!r.ok && r.outcome.message).toContain(
      'reported no IMEI — it has no cellular modem (a Wi-Fi-only tablet, a PC without WWAN) or does not share it',
    );
  });

  it.each([
    ['{{IMEI}}', 'ios', 'IMEI'],
    ['{{SerialNumber}}', 'macos', 'serial number'],
    ['{{MEID}}', 'ios', 'MEID'],
    ['{{WiFiMacAddress}}', 'ios', 'Wi-Fi MAC address'],
    ['{{WiFiMacAddress}}', 'macos', 'Wi-Fi MAC address'],
  ] as const)(
    '%s on an Apple %s User Enrollment device: the enrollment hides it, not the hardware',
    (variable, platform, label) => {
      const r = resolveTemplate(
        `CN=${variable}`,
        fullFacts({ ...apple(platform), enrollmentKind: 'user', attributes: {} }),
        DEV,
      );
      expect(!r.ok && r.outcome.message).toContain(
        `(user enrollment) reported no ${label} — Apple User Enrollment does not share hardware identifiers`,
      );
      expect(!r.ok && r.outcome.message).not.toMatch(/modem|Wi-Fi radio|wired/);
      expect(!r.ok && r.outcome.message).toContain('the enrollment withholds it, whatever the hardware');
    },
  );

  describe('one cause per device: the enrollment or OS that hides a value wins over the hardware that lacks it', () => {
    it('a Wi-Fi-only tablet enrolled as an Android 13 work profile, whose inventory says only "not reported"', () => {
      const facts = fullFacts({
        ...android('work-profile-personal', '13'),
        attributes: {},
        absent: { imei: 'not-reported' },
      });
      expect(absenceCauseOf('imei', facts, undefined)).toMatchObject({
        origin: 'os-version',
        reason: 'android12-work-profile',
      });
      const r = resolveTemplate('CN={{IMEI}}', facts, DEV);
      expect(!r.ok && r.outcome.message).toContain('Android 12 and later hide');
      expect(!r.ok && r.outcome.message).not.toContain('modem');
    });

    it('a Wi-Fi-only iPad in User Enrollment: the enrollment, not the missing modem', () => {
      const facts = fullFacts({ ...apple('ios'), enrollmentKind: 'user', attributes: {} });
      expect(absenceCauseOf('imei', facts, undefined)).toMatchObject({
        origin: 'enrollment-kind',
        reason: 'not-reported',
        policy: { id: 'apple-user-enrollment' },
      });
    });

    it('a Mac in User Enrollment: the platform, which never has an IMEI, wins over the enrollment', () => {
      const facts = fullFacts({
        ...apple('macos'),
        enrollmentKind: 'user',
        attributes: {},
        absent: { imei: 'not-on-platform' },
      });
      expect(absenceCauseOf('imei', facts, undefined)).toMatchObject({ origin: 'platform' });
      const r = resolveTemplate('CN={{IMEI}}', facts, DEV);
      expect(!r.ok && r.outcome.message).toContain('macOS devices never supply the IMEI');
    });

    it('a device enrollment without a value: its hardware', () => {
      const facts = fullFacts({ ...apple('ios'), attributes: {} });
      expect(absenceCauseOf('imei', facts, undefined)).toEqual({
        origin: 'hardware',
        reason: 'not-reported',
      });
    });
  });

  describe('regression issue 13: a missing e-mail address is not explained by a Wi-Fi-only tablet', () => {
    it.each([
      ['{{EmailAddress}}', 'e-mail address'],
      ['{{UserPrincipalName}}', 'user principal name'],
      ['{{Department}}', 'department'],
    ])('%s on a Mac without it: the directory, not the modem', (variable, label) => {
      const r = resolveTemplate(`CN=x,E=${variable}`, fullFacts({ ...apple('macos'), attributes: {} }), {
        certificateType: 'user',
        target: 'subject',
      });
      const message = !r.ok ? r.outcome.message : '';
      expect(message).toContain(`the ${label} of the device's user is empty in Microsoft Entra ID`);
      expect(message).not.toMatch(/Wi-Fi-only|IMEI|cellular|MEID/);
    });
  });

  it('reports a malformed template instead of resolving it', () => {
    const r = resolveTemplate('CN={IMEI}', fullFacts(), DEV);
    expect(r).toEqual({
      ok: false,
      outcome: expect.objectContaining({ kind: 'InvalidTemplate', code: 'TEMPLATE_MALFORMED' }),
    });
    const u = resolveTemplate('CN={{Nickname}}', fullFacts(), DEV);
    expect(u).toEqual({
      ok: false,
      outcome: expect.objectContaining({ kind: 'InvalidTemplate', code: 'VARIABLE_UNKNOWN' }),
    });
  });
});

/**
 * Variable × restriction cases generated from the catalogue: for every variable and every restriction it
 * carries that a template or a device can break, one or more failing cases and one or more passing cases
 * (the restriction's boundary from both sides). A restriction kind with no generator below makes the guard fail.
 */
interface GenCase {
  variable: string;
  restriction: RestrictionKind | 'none';
  template: string;
  ctx: ResolveContext;
  facts: Partial<DeviceFacts>;
  expected: Expect;
}

type Enforceable = {
  [K in RestrictionKind]: (typeof RESTRICTIONS)[K]['stage'] extends 'template' | 'device' ? K : never;
}[RestrictionKind];

const isSid = (spec: VariableSpec): boolean =>
  (spec.restrictions as readonly string[]).includes('uri-san-only');

/** The template, context and expected value of `spec` where it works. */
function usage(spec: VariableSpec, certificateType: 'user' | 'device', target?: TemplateTarget) {
  const t: TemplateTarget = target ?? (isSid(spec) ? 'san:uri' : 'subject');
  const raw = `{{${spec.name}}}`;
  const template = t === 'subject' ? `CN="${raw}"` : t === 'san:email' ? `${raw}@contoso.com` : raw;
  const attr = fullFacts().attributes[attributeFor(spec, certificateType)] ?? '';
  const value = isSid(spec) ? SID_URI_PREFIX + attr : attr;
  const ok = template.replace(raw, value);
  return { template, ctx: { certificateType, target: t } as ResolveContext, ok: { ok } as Expect };
}
/** The certificate type a variable works in by default. */
const typeOf = (spec: VariableSpec): 'user' | 'device' => (spec.scope === 'user' ? 'user' : 'device');
/** A device on which the variable works, for the restriction under test to be the only thing that varies. */
function homeDevice(spec: VariableSpec): Partial<DeviceFacts> {
  const r = spec.restrictions as readonly string[];
  if (r.includes('apple-only')) return apple('ios');
  return win('hybrid-joined');
}

const GENERATORS: {
  [K in Enforceable]: (spec: VariableSpec) => Omit<GenCase, 'variable' | 'restriction'>[];
} = {
  'windows-domain-joined-only': (spec) => {
    const u = usage(spec, typeOf(spec));
    const missing = (reason: string): Expect => ({
      missing: `{{${spec.name}}}`,
      attribute: spec.attribute,
      reason,
    });
    return [
      { ...u, facts: win('entra-joined'), expected: missing('not-domain-joined') },
      { ...u, facts: win('workplace'), expected: missing('not-domain-joined') },
      { ...u, facts: apple('ios'), expected: missing('not-on-platform') },
      { ...u, facts: apple('macos'), expected: missing('not-on-platform') },
      { ...u, facts: android('fully-managed', '14'), expected: missing('not-on-platform') },
      { ...u, facts: win('hybrid-joined'), expected: u.ok },
    ];
  },
  'no-android12-work-profile': (spec) => {
    const u = usage(spec, typeOf(spec));
    const missing: Expect = {
      missing: `{{${spec.name}}}`,
      attribute: spec.attribute,
      reason: 'android12-work-profile',
    };
    return [
      { ...u, facts: android('work-profile-personal', '12'), expected: missing },
      { ...u, facts: android('work-profile-personal', '14', { enrolledOsVersion: '13' }), expected: missing },
      { ...u, facts: android('work-profile-personal', '11'), expected: u.ok },
      { ...u, facts: android('work-profile-personal', '14', { enrolledOsVersion: '11' }), expected: u.ok },
      { ...u, facts: android('work-profile-corporate', '14'), expected: u.ok },
    ];
  },
  'needs-user': (spec) => {
    const u = usage(spec, 'user');
    const home = isSid(spec) ? win('hybrid-joined') : android('fully-managed', '14');
    const userLessHome = isSid(spec)
      ? { ...win('hybrid-joined'), ...userLess }
      : android('dedicated', '14', userLess);
    return [
      {
        ...u,
        facts: userLessHome,
        expected: { missing: `{{${spec.name}}}`, attribute: spec.attribute, reason: 'user-less' },
      },
      { ...u, facts: home, expected: u.ok },
    ];
  },
  'user-certificate-only': (spec) => [
    { ...usage(spec, 'device'), facts: homeDevice(spec), expected: { notAllowed: `{{${spec.name}}}` } },
    { ...usage(spec, 'user'), facts: homeDevice(spec), expected: usage(spec, 'user').ok },
  ],
  'uri-san-only': (spec) => {
    const notAllowed: Expect = { notAllowed: `{{${spec.name}}}` };
    return [
      { ...usage(spec, 'user', 'subject'), facts: homeDevice(spec), expected: notAllowed },
      { ...usage(spec, 'user', 'san:dns'), facts: homeDevice(spec), expected: notAllowed },
      { ...usage(spec, 'user', 'san:upn'), facts: homeDevice(spec), expected: notAllowed },
      { ...usage(spec, 'user', 'san:uri'), facts: homeDevice(spec), expected: usage(spec, 'user').ok },
    ];
  },
  'sid-platforms': (spec) => {
    const user = usage(spec, 'user');
    const device = usage(spec, 'device');
    const missing = (attribute: AttributeName, reason: string): Expect => ({
      missing: `{{${spec.name}}}`,
      attribute,
      reason,
    });
    return [
      {
        ...user,
        facts: android('work-profile-personal', '14'),
        expected: missing(spec.attribute, 'not-on-platform'),
      },
      {
        ...user,
        facts: android('fully-managed', '14'),
        expected: missing(spec.attribute, 'not-on-platform'),
      },
      { ...user, facts: win('entra-joined'), expected: user.ok },
      { ...user, facts: apple('ios'), expected: user.ok },
      { ...user, facts: apple('macos'), expected: user.ok },
      {
        ...device,
        facts: win('entra-joined'),
        expected: missing(attributeFor(spec, 'device'), 'not-hybrid-joined'),
      },
      {
        ...device,
        facts: apple('macos'),
        expected: missing(attributeFor(spec, 'device'), 'not-on-platform'),
      },
      {
        ...device,
        facts: android('fully-managed', '14'),
        expected: missing(attributeFor(spec, 'device'), 'not-on-platform'),
      },
      { ...device, facts: { ...win('hybrid-joined'), ...userLess }, expected: device.ok },
    ];
  },
  'not-in-san-on-android-device-owner': (spec) => {
    const san = usage(spec, 'user', 'san:email');
    const subject = usage(spec, 'user', 'subject');
    return [
      ...(['fully-managed', 'dedicated', 'work-profile-corporate'] as const).map((k) => ({
        ...san,
        facts: android(k, '14'),
        expected: { notAllowed: `{{${spec.name}}}` } as Expect,
      })),
      { ...san, facts: android('work-profile-personal', '14'), expected: san.ok },
      { ...san, facts: win('entra-joined'), expected: san.ok },
      { ...subject, facts: android('fully-managed', '14'), expected: subject.ok },
    ];
  },
  'apple-only': (spec) => {
    const u = usage(spec, 'device');
    const missing: Expect = {
      missing: `{{${spec.name}}}`,
      attribute: spec.attribute,
      reason: 'not-on-platform',
    };
    return [
      { ...u, facts: win('entra-joined'), expected: missing },
      { ...u, facts: android('fully-managed', '14'), expected: missing },
      { ...u, facts: apple('ios'), expected: u.ok },
      { ...u, facts: apple('macos'), expected: u.ok },
    ];
  },
  'needs-entra-connect-sync': (spec) => {
    const u = usage(spec, 'user');
    const attributes = { ...fullFacts().attributes };
    delete attributes[spec.attribute];
    return [
      {
        ...u,
        facts: { ...win('hybrid-joined'), attributes, absent: { [spec.attribute]: 'not-synced' } },
        expected: { missing: `{{${spec.name}}}`, attribute: spec.attribute, reason: 'not-synced' },
      },
      { ...u, facts: win('hybrid-joined'), expected: u.ok },
    ];
  },
};

const enforceable = (k: RestrictionKind): k is Enforceable =>
  RESTRICTIONS[k].stage === 'template' || RESTRICTIONS[k].stage === 'device';

const GENERATED: readonly GenCase[] = VARIABLE_NAMES.flatMap((name) => {
  const spec: VariableSpec = VARIABLES[name];
  const base: GenCase = {
    variable: name,
    restriction: 'none',
    ...usage(spec, typeOf(spec)),
    facts: homeDevice(spec),
    expected: usage(spec, typeOf(spec)).ok,
  };
  return [
    base,
    ...spec.restrictions
      .filter(enforceable)
      .flatMap((restriction) =>
        GENERATORS[restriction](spec).map((c) => ({ ...c, variable: name, restriction })),
      ),
  ];
});

describe('regression issue 3: every variable × every restriction it carries, from the catalogue', () => {
  it.each(GENERATED.map((c) => [c.variable, c.restriction, c.template, c.ctx, c.facts, c.expected] as const))(
    '{{%s}} [%s] %s (%j) on %j',
    (_v, _r, template, ctx, facts, expected) => {
      const r = resolveTemplate(template, fullFacts(facts), ctx);
      if ('ok' in expected) expect(r).toEqual({ ok: true, value: expected.ok });
      else if ('missing' in expected)
        expect(r).toEqual({
          ok: false,
          outcome: expect.objectContaining({
            kind: 'MissingVariable',
            variable: expected.missing,
            attribute: expected.attribute,
            reason: expected.reason,
          }),
        });
      else
        expect(r).toEqual({
          ok: false,
          outcome: expect.objectContaining({ kind: 'VariableNotAllowed', variable: expected.notAllowed }),
        });
    },
  );

  it('every (variable, restriction) pair has a failing and a passing case', () => {
    const gaps: string[] = [];
    for (const name of VARIABLE_NAMES) {
      const spec: VariableSpec = VARIABLES[name];
      for (const restriction of spec.restrictions.filter(enforceable)) {
        const cases = GENERATED.filter((c) => c.variable === name && c.restriction === restriction);
        if (!cases.some((c) => !('ok' in c.expected))) gaps.push(`${name} × ${restriction}: no failing case`);
        if (!cases.some((c) => 'ok' in c.expected)) gaps.push(`${name} × ${restriction}: no passing case`);
      }
      if (!GENERATED.some((c) => c.variable === name && c.restriction === 'none' && 'ok' in c.expected))
        gaps.push(`${name}: no case where it resolves`);
    }
    expect(gaps).toEqual([]);
    // every restriction kind a template or a device can break is carried by some variable, so is covered
    const carried = new Set(VARIABLE_NAMES.flatMap((n) => VARIABLES[n].restrictions as readonly string[]));
    const kinds = (Object.keys(RESTRICTIONS) as RestrictionKind[]).filter(enforceable);
    expect(kinds.filter((k) => !carried.has(k))).toEqual([]);
  });

  it.each(
    VARIABLE_NAMES.flatMap((name) => {
      const spec: VariableSpec = VARIABLES[name];
      const r = spec.restrictions as readonly string[];
      const out: [string, string, string, number][] = [];
      if (r.includes('avoid-in-windows-subject')) {
        out.push([name, 'windows', `CN={{${name}}}`, 1], [name, 'ios', `CN={{${name}}}`, 0]);
      }
      if (r.includes('quote-if-comma')) {
        out.push([name, 'windows', `CN={{${name}}}`, 1], [name, 'windows', `CN="{{${name}}}"`, 0]);
      }
      return out;
    }),
  )('advisory: {{%s}} on %s in %s → %i warning(s)', (_n, family, template, n) => {
    const w = checkTemplate(template, {
      certificateType: 'user',
      target: 'subject',
      family: family as 'windows' | 'ios',
    }).warnings;
    expect(w).toHaveLength(n);
  });
});

describe('resolveProfileNames', () => {
  const profile = (
    family: Parameters<typeof pkcsInput>[0],
    overrides: Record<string, unknown> = {},
  ): PkcsCertificateProfile => {
    const r = validateProfile(pkcsInput(family, overrides));
    if (!r.ok || r.value.kind !== 'pkcs-certificate') throw new Error(JSON.stringify(r.ok || r.problems));
    return r.value;
  };

  it('resolves the subject and every SAN', () => {
    const p = profile('windows', {
      customSubjectAlternativeNames: [
        { sanType: 'userPrincipalName', name: '{{UserPrincipalName}}' },
        { sanType: 'universalResourceIdentifier', name: '{{OnPremisesSecurityIdentifier}}' },
        { sanType: 'domainNameService', name: '{{DeviceName}}.corp.contoso.com' },
      ],
    });
    expect(resolveProfileNames(p, fullFacts())).toEqual({
      ok: true,
      subject: 'CN=janedoe,E=jane.doe@contoso.com,O=Contoso',
      sans: [
        { target: 'san:email', value: 'jane.doe@contoso.com', path: 'subjectAlternativeNameType' },
        { target: 'san:upn', value: 'janedoe@contoso.com', path: 'customSubjectAlternativeNames[0].name' },
        {
          target: 'san:uri',
          value: `${SID_URI_PREFIX}S-1-5-21-1004336348-1177238915-682003330-512`,
          path: 'customSubjectAlternativeNames[1].name',
        },
        {
          target: 'san:dns',
          value: 'LAPTOP-01.corp.contoso.com',
          path: 'customSubjectAlternativeNames[2].name',
        },
      ],
    });
  });

  it('returns every failure, subject first, for a user-less dedicated device', () => {
    const p = profile('android-device-owner', {
      subjectNameFormatString: 'CN={{UserPrincipalName}}',
      customSubjectAlternativeNames: [{ sanType: 'domainNameService', name: '{{DeviceName}}' }],
    });
    const r = resolveProfileNames(p, fullFacts(android('dedicated', '14', userLess)));
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.first).toMatchObject({
      kind: 'MissingVariable',
      variable: '{{UserPrincipalName}}',
      reason: 'user-less',
      path: 'subjectNameFormatString',
    });
    expect(r.failures.map((f) => f.path)).toEqual(['subjectNameFormatString', 'subjectAlternativeNameType']);
  });

  it('uses the named subject format: commonNameAsIMEI on an Android 12 work profile fails on {{IMEI}}', () => {
    const p = profile('android-work-profile', {
      subjectNameFormat: 'commonNameAsIMEI',
      subjectNameFormatString: undefined,
      customSubjectAlternativeNames: [],
      subjectAlternativeNameType: [],
    });
    const r = resolveProfileNames(p, fullFacts(android('work-profile-personal', '12')));
    expect(!r.ok && r.first).toMatchObject({
      variable: '{{IMEI}}',
      attribute: 'imei',
      reason: 'android12-work-profile',
      path: 'subjectNameFormat',
    });
  });
});
