import { describe, expect, it } from 'vitest';
import {
  RESTRICTIONS,
  VARIABLE_NAMES,
  VARIABLES,
  lookupVariable,
} from '../../../profiles/variables/catalogue.ts';
import type { RestrictionKind } from '../../../profiles/variables/catalogue.ts';
import type { DeviceFacts } from '../../../profiles/variables/facts.ts';
import { SID_URI_PREFIX, resolveTemplate } from '../../../profiles/variables/resolve-template.ts';
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

  it('has a case for every restriction that a template or a device can break', () => {
    const tested = new Set(CASES.map((c) => c[0]));
    const enforceable = (Object.keys(RESTRICTIONS) as RestrictionKind[]).filter((k) =>
      ['template', 'device'].includes(RESTRICTIONS[k].stage),
    );
    expect(enforceable.filter((k) => !tested.has(k))).toEqual([]);
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
    expect(!r.ok && r.outcome.message).toContain('did not report its IMEI');
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
