import { describe, expect, it } from 'vitest';
import {
  ALL_ENROLLMENT_KINDS,
  ENROLLMENT_KINDS,
  PLATFORMS,
  PROFILE_FAMILIES,
  PROFILE_FAMILY_INFO,
  profileFamilyOf,
} from '../../../profiles/model/platform.ts';
import type { ProfileFamily } from '../../../profiles/model/platform.ts';
import {
  subjectTemplateOf,
  sanTemplatesOf,
  SUBJECT_FORMAT_TEMPLATES,
} from '../../../profiles/model/profile-names.ts';
import { validateProfile } from '../../../profiles/model/validate-profile.ts';
import { createCertificate } from '../../../pki/certificate.ts';
import { poolKey } from '../../fixtures/key-pool.ts';
import { makeHierarchy } from '../pki/hierarchy.ts';
import { pkcsInput, trustedInput } from './fixtures.ts';

describe('platform vocabulary', () => {
  it('lists the four platforms and the enrollment kinds of each', () => {
    expect(PLATFORMS).toEqual(['windows', 'macos', 'ios', 'android']);
    expect(ENROLLMENT_KINDS.android).toContain('work-profile-corporate');
    expect(ALL_ENROLLMENT_KINDS).toHaveLength(3 + 2 + 5);
  });
  it.each([
    ['android', 'work-profile-personal', 'android-work-profile'],
    ['android', 'work-profile-corporate', 'android-device-owner'],
    ['android', 'dedicated', 'android-device-owner'],
    ['android', 'device-admin', 'android-device-admin'],
    ['windows', 'workplace', 'windows'],
    ['ios', 'user', 'ios'],
  ] as const)('%s/%s devices receive %s profiles', (platform, kind, family) => {
    expect(profileFamilyOf(platform, kind)).toBe(family);
  });
});

describe.each(PROFILE_FAMILIES)('family %s', (family: ProfileFamily) => {
  it('accepts a full PKCS profile and keeps every setting', () => {
    const r = validateProfile(pkcsInput(family));
    expect(r.ok, r.ok ? '' : JSON.stringify(r.problems)).toBe(true);
    if (!r.ok || r.value.kind !== 'pkcs-certificate') return;
    expect(r.value.family).toBe(family);
    expect(r.value.renewalThresholdPercentage).toBe(25);
    expect(r.value.validity).toEqual({ value: 6, unit: 'months' });
  });

  it('fills defaults (renewal 20 %, 1 year, user certificate, commonName)', () => {
    const input = pkcsInput(family);
    for (const k of [
      'renewalThresholdPercentage',
      'validity',
      'certificateType',
      'subjectNameFormat',
      'subjectNameFormatString',
      'customSubjectAlternativeNames',
      'subjectAlternativeNameType',
      'keyStorageProvider',
      'deploymentChannel',
      'allowAllAppsAccess',
      'certificateAccess',
      'certificationAuthorityType',
    ]) {
      delete input[k];
    }
    const r = validateProfile(input);
    expect(r.ok, r.ok ? '' : JSON.stringify(r.problems)).toBe(true);
    if (!r.ok || r.value.kind !== 'pkcs-certificate') return;
    expect(r.value.renewalThresholdPercentage).toBe(20);
    expect(r.value.validity).toEqual({ value: 1, unit: 'years' });
    expect(r.value.certificateType).toBe('user');
    expect(r.value.subjectNameFormat).toBe('commonName');
    if (r.value.family === 'windows')
      expect(r.value.keyStorageProvider).toBe('useTpmKspOtherwiseUseSoftwareKsp');
    if (r.value.family === 'macos')
      expect([r.value.deploymentChannel, r.value.allowAllAppsAccess]).toEqual(['deviceChannel', false]);
    if (r.value.family === 'android-device-owner') {
      expect(r.value.certificateAccess).toEqual({ type: 'userApproval' });
      expect(r.value.certificationAuthorityType).toBe('notConfigured');
    }
  });

  it('accepts a trusted-certificate profile with its DER bytes', () => {
    const r = validateProfile(trustedInput(family));
    expect(r.ok, r.ok ? '' : JSON.stringify(r.problems)).toBe(true);
    if (r.ok && r.value.kind === 'trusted-certificate') {
      expect(r.value.certificate[0]).toBe(0x30);
      if (r.value.family === 'windows')
        expect(r.value.destinationStore).toBe('computerCertStoreIntermediate');
    }
  });

  it('is idempotent: a validated profile validates to itself', () => {
    for (const input of [pkcsInput(family), trustedInput(family)]) {
      const r1 = validateProfile(input);
      if (!r1.ok) throw new Error(JSON.stringify(r1.problems));
      expect(validateProfile(r1.value)).toEqual(r1);
    }
  });
});

describe('invalid settings name the path and the rule', () => {
  it.each([
    [
      'renewalThresholdPercentage',
      { renewalThresholdPercentage: 0 },
      'renewalThresholdPercentage',
      'must be an integer from 1 to 99',
    ],
    [
      'renewalThresholdPercentage',
      { renewalThresholdPercentage: 100 },
      'renewalThresholdPercentage',
      'must be an integer from 1 to 99',
    ],
    [
      'renewalThresholdPercentage',
      { renewalThresholdPercentage: 20.5 },
      'renewalThresholdPercentage',
      'must be an integer from 1 to 99',
    ],
    ['validity < 5 days', { validity: { value: 4, unit: 'days' } }, 'validity.value', 'from 5 to 730 days'],
    [
      'validity > 24 months',
      { validity: { value: 25, unit: 'months' } },
      'validity.value',
      'from 1 to 24 months',
    ],
    ['validity 3 years', { validity: { value: 3, unit: 'years' } }, 'validity.value', 'from 1 to 2 years'],
    [
      'validity unit',
      { validity: { value: 3, unit: 'weeks' } },
      'validity.unit',
      'must be one of days, months, years',
    ],
    ['CA', { certificationAuthority: 'not a host' }, 'certificationAuthority', 'FQDN'],
    [
      'CA config string without name',
      { certificationAuthority: 'ca01\\' },
      'certificationAuthority',
      'Host\\CA-Name',
    ],
    [
      'CA name missing',
      { certificationAuthorityName: undefined },
      'certificationAuthorityName',
      'is required',
    ],
    ['template empty', { certificateTemplateName: ' ' }, 'certificateTemplateName', 'non-empty'],
    ['certificate type', { certificateType: 'computer' }, 'certificateType', 'must be one of user, device'],
    [
      'custom without string',
      { subjectNameFormatString: undefined },
      'subjectNameFormatString',
      'is required',
    ],
    [
      'SAN type',
      { customSubjectAlternativeNames: [{ sanType: 'ipAddress', name: 'x' }] },
      'customSubjectAlternativeNames[0].sanType',
      'must be one of',
    ],
    [
      'SAN flags',
      { subjectAlternativeNameType: ['emailAddress', 'ip'] },
      'subjectAlternativeNameType[1]',
      'must be one of',
    ],
    [
      'too many SANs',
      {
        customSubjectAlternativeNames: Array.from({ length: 501 }, () => ({
          sanType: 'domainNameService',
          name: 'a',
        })),
      },
      'customSubjectAlternativeNames',
      'at most 500',
    ],
    [
      'EKU OID',
      { extendedKeyUsages: [{ name: 'x', objectIdentifier: '1.3.6.1.5.5.7.3.02' }] },
      'extendedKeyUsages[0].objectIdentifier',
      'dotted-decimal OID',
    ],
    ['KSP name', { keyStorageProvider: 'useTpm' }, 'keyStorageProvider', 'must be one of'],
    ['unknown key', { colour: 'red' }, 'colour', 'is not a certificate-profile setting'],
    ['display name', { displayName: '' }, 'displayName', 'non-empty'],
  ] as const)('windows PKCS: %s', (_label, overrides, path, rule) => {
    const r = validateProfile(pkcsInput('windows', overrides));
    expect(r.ok).toBe(false);
    if (r.ok) return;
    const p = r.problems.find((x) => x.path === path);
    expect(p, JSON.stringify(r.problems)).toBeDefined();
    expect(p?.rule).toContain(rule);
    expect(p?.code).toBe('PROFILE_INVALID');
  });

  it('reports every problem at once and returns no profile', () => {
    const r = validateProfile(
      pkcsInput('ios', {
        renewalThresholdPercentage: 0,
        certificateTemplateName: '',
        validity: { value: 1, unit: 'days' },
      }),
    );
    expect(r).toEqual({ ok: false, problems: expect.any(Array), warnings: [] });
    if (!r.ok)
      expect(r.problems.map((p) => p.path).sort()).toEqual([
        'certificateTemplateName',
        'renewalThresholdPercentage',
        'validity.value',
      ]);
  });

  it.each([
    ['a non-object', 42, ''],
    ['no kind', { family: 'ios', displayName: 'x' }, 'kind'],
    ['a bad family', { kind: 'pkcs-certificate', family: 'blackberry' }, 'family'],
  ])('rejects %s', (_l, input, path) => {
    const r = validateProfile(input);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.problems[0]?.path).toBe(path);
  });
});

describe('settings that do not apply to the family are problems', () => {
  it.each([
    ['ios', 'keyStorageProvider', 'useSoftwareKsp'],
    ['ios', 'extendedKeyUsages', []],
    ['ios', 'allowAllAppsAccess', true],
    ['macos', 'keyStorageProvider', 'useSoftwareKsp'],
    ['windows', 'allowAllAppsAccess', false],
    ['windows', 'deploymentChannel', 'deviceChannel'],
    ['windows', 'rootCertificateId', 'r'],
    ['android-work-profile', 'certificateAccess', { type: 'userApproval' }],
    ['android-work-profile', 'keyStorageProvider', 'useSoftwareKsp'],
    ['android-device-admin', 'subjectNameFormatString', 'CN=x'],
    ['android-device-admin', 'customSubjectAlternativeNames', []],
    ['android-device-admin', 'certificateAccess', { type: 'userApproval' }],
  ] as const)('%s PKCS: %s', (family, key, value) => {
    const r = validateProfile(pkcsInput(family, { [key]: value }));
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.problems).toContainEqual({
        path: key,
        rule: expect.stringContaining(`does not apply to ${PROFILE_FAMILY_INFO[family].label}`),
        code: 'PROFILE_INVALID',
      });
    }
  });

  it.each([
    ['ios', 'destinationStore', 'computerCertStoreRoot'],
    ['android-device-owner', 'deploymentChannel', 'deviceChannel'],
    ['windows', 'keyStorageProvider', 'useSoftwareKsp'],
  ] as const)('%s trusted: %s', (family, key, value) => {
    const r = validateProfile(trustedInput(family, { [key]: value }));
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.problems.map((p) => p.path)).toContain(key);
  });

  it.each([
    ['ios', 'commonNameAsAadDeviceId'],
    ['macos', 'commonNameAsIntuneDeviceId'],
    ['android-device-admin', 'custom'],
  ] as const)('%s refuses subjectNameFormat %s', (family, fmt) => {
    const r = validateProfile(pkcsInput(family, { subjectNameFormat: fmt }));
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.problems.map((p) => p.path)).toContain('subjectNameFormat');
  });

  it('Android device administrator PKCS is always a user certificate', () => {
    const r = validateProfile(pkcsInput('android-device-admin', { certificateType: 'device' }));
    expect(r.ok).toBe(false);
  });
});

describe('trusted certificate bytes', () => {
  it.each([
    ['base64 of text (the Graph docs example)', 'dHJ1c3RlZFJvb3RDZXJ0aWZpY2F0ZQ==', 'DER-encoded X.509'],
    ['truncated DER', new Uint8Array([0x30, 0x82, 0x05, 0xed, 0x30]), 'DER-encoded X.509'],
    ['not base64', 'not base64!', 'DER bytes or a base64 string'],
  ])('rejects %s', (_l, certificate, rule) => {
    const r = validateProfile(trustedInput('ios', { certificate }));
    expect(r.ok).toBe(false);
    if (!r.ok)
      expect(r.problems[0]).toEqual({
        path: 'certificate',
        rule: expect.stringContaining(rule),
        code: 'PROFILE_INVALID',
      });
  });
  it('accepts base64 text of a DER certificate', () => {
    const b64 = Buffer.from(trustedInput('ios')['certificate'] as Uint8Array).toString('base64');
    expect(validateProfile(trustedInput('ios', { certificate: b64 })).ok).toBe(true);
  });
});

describe('Android device-owner certificate access', () => {
  it.each([
    [{ type: 'specificApps', packageIds: [] }, 'certificateAccess.packageIds', 'at least one'],
    [
      { type: 'specificApps', packageIds: Array.from({ length: 51 }, (_, i) => `com.app.a${i}`) },
      'certificateAccess.packageIds',
      'at most 50',
    ],
    [
      { type: 'specificApps', packageIds: ['com.ok.app', 'not a package'] },
      'certificateAccess.packageIds[1]',
      'Android package name',
    ],
    [
      { type: 'userApproval', packageIds: ['com.ok.app'] },
      'certificateAccess.packageIds',
      'only applies when type is specificApps',
    ],
    [{ type: 'unknownFutureValue' }, 'certificateAccess.type', 'must be one of userApproval, specificApps'],
  ])('%j → %s', (certificateAccess, path, rule) => {
    const r = validateProfile(pkcsInput('android-device-owner', { certificateAccess }));
    expect(r.ok).toBe(false);
    if (!r.ok)
      expect(r.problems).toContainEqual({
        path,
        rule: expect.stringContaining(rule),
        code: 'PROFILE_INVALID',
      });
  });
  it('accepts 50 packages', () => {
    const packageIds = Array.from({ length: 50 }, (_, i) => `com.app.a${i}`);
    expect(
      validateProfile(
        pkcsInput('android-device-owner', { certificateAccess: { type: 'specificApps', packageIds } }),
      ).ok,
    ).toBe(true);
  });
});

describe('templates are checked at validation', () => {
  it.each([
    [{ certificateType: 'device' }, 'subjectNameFormatString', 'VARIABLE_NOT_ALLOWED'],
    [{ subjectNameFormatString: 'CN={UserName}' }, 'subjectNameFormatString', 'TEMPLATE_MALFORMED'],
    [{ subjectNameFormatString: 'CN={{Nickname}}' }, 'subjectNameFormatString', 'VARIABLE_UNKNOWN'],
    [
      {
        customSubjectAlternativeNames: [
          { sanType: 'domainNameService', name: '{{OnPremisesSecurityIdentifier}}' },
        ],
      },
      'customSubjectAlternativeNames[0].name',
      'VARIABLE_NOT_ALLOWED',
    ],
  ])('%j → %s %s', (overrides, path, code) => {
    const r = validateProfile(pkcsInput('windows', overrides));
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.problems).toContainEqual({ path, rule: expect.any(String), code });
  });
  it('UserName in a SAN is refused on Android Enterprise device owner', () => {
    const r = validateProfile(
      pkcsInput('android-device-owner', {
        customSubjectAlternativeNames: [{ sanType: 'emailAddress', name: '{{UserName}}@contoso.com' }],
      }),
    );
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.problems[0]?.code).toBe('VARIABLE_NOT_ALLOWED');
    expect(
      validateProfile(
        pkcsInput('android-work-profile', {
          customSubjectAlternativeNames: [{ sanType: 'emailAddress', name: '{{UserName}}@contoso.com' }],
        }),
      ).ok,
    ).toBe(true);
  });
});

describe('named subject formats expand to templates', () => {
  it.each([
    ['commonName', 'user', 'CN={{UserName}}'],
    ['commonName', 'device', 'CN={{DeviceName}}'],
    ['commonNameIncludingEmail', 'user', 'CN={{UserName}},E={{EmailAddress}}'],
    ['commonNameAsEmail', 'user', 'CN={{EmailAddress}}'],
    ['commonNameAsIMEI', 'device', 'CN={{IMEI}}'],
    ['commonNameAsSerialNumber', 'device', 'CN={{SerialNumber}}'],
    ['commonNameAsAadDeviceId', 'device', 'CN={{AAD_Device_ID}}'],
    ['commonNameAsIntuneDeviceId', 'device', 'CN={{DeviceId}}'],
    ['commonNameAsDurableDeviceId', 'device', 'CN={{DeviceId}}'],
  ] as const)('%s (%s) → %s', (subjectNameFormat, certificateType, template) => {
    expect(subjectTemplateOf({ subjectNameFormat, certificateType }).template).toBe(template);
    expect(SUBJECT_FORMAT_TEMPLATES[subjectNameFormat][certificateType].template).toBe(template);
  });
  it('custom uses the string', () => {
    expect(
      subjectTemplateOf({
        subjectNameFormat: 'custom',
        subjectNameFormatString: 'CN=x',
        certificateType: 'user',
      }),
    ).toEqual({
      path: 'subjectNameFormatString',
      target: 'subject',
      template: 'CN=x',
    });
  });
  it('SAN flags and the custom list become SAN templates', () => {
    expect(
      sanTemplatesOf({
        subjectAlternativeNameType: [
          'emailAddress',
          'userPrincipalName',
          'customAzureADAttribute',
          'domainNameService',
        ],
        subjectAlternativeNameFormatString: '{{Department}}',
        customSubjectAlternativeNames: [
          { sanType: 'universalResourceIdentifier', name: '{{OnPremisesSecurityIdentifier}}' },
        ],
      }).map((t) => [t.target, t.template]),
    ).toEqual([
      ['san:email', '{{EmailAddress}}'],
      ['san:upn', '{{UserPrincipalName}}'],
      ['san:aad-attribute', '{{Department}}'],
      ['san:uri', '{{OnPremisesSecurityIdentifier}}'],
    ]);
  });
});

describe('regression (issue 3): every problem in one pass', () => {
  it('a malformed subject template is listed beside another setting’s problem', () => {
    const r = validateProfile(
      pkcsInput('windows', {
        renewalThresholdPercentage: 120,
        subjectNameFormat: 'custom',
        subjectNameFormatString: 'CN={UserName}',
      }),
    );
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.problems.map((p) => [p.path, p.code])).toEqual([
      ['renewalThresholdPercentage', 'PROFILE_INVALID'],
      ['subjectNameFormatString', 'TEMPLATE_MALFORMED'],
      ['subjectNameFormatString', 'TEMPLATE_MALFORMED'],
    ]);
  });
});

describe('regression issue 3: one pass with an unreadable certificate type', () => {
  it.each([
    ['an invalid certificateType', { certificateType: 'nobody' }],
    ['device on Android device administrator (user only)', { certificateType: 'device' }],
  ])('%s: subject and SAN template problems are still listed', (_n, extra) => {
    const family = _n.includes('administrator') ? 'android-device-admin' : 'windows';
    const r = validateProfile(
      pkcsInput(family, {
        ...extra,
        subjectNameFormat: 'custom',
        subjectNameFormatString: 'CN={UserName}',
        subjectAlternativeNameType: ['customAzureADAttribute'],
        subjectAlternativeNameFormatString: '{{NoSuchVariable}}',
      }),
    );
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.problems.map((p) => [p.path, p.code])).toEqual(
      expect.arrayContaining([
        ['certificateType', 'PROFILE_INVALID'],
        ['subjectNameFormatString', 'TEMPLATE_MALFORMED'],
        ['subjectAlternativeNameFormatString', 'VARIABLE_UNKNOWN'],
      ]),
    );
  });

  it('the custom SAN list keeps its indexes, and the user-type fallback adds no user-variable problem', () => {
    const r = validateProfile(
      pkcsInput('ios', {
        certificateType: 42,
        customSubjectAlternativeNames: [
          { sanType: 'userPrincipalName', name: '{{UserPrincipalName}}' },
          { sanType: 'bogus', name: 'x' },
          { sanType: 'domainNameService', name: '{{DeviceName}|x' },
        ],
      }),
    );
    expect(r.ok).toBe(false);
    if (r.ok) return;
    const templateProblems = r.problems.filter((p) => p.code !== 'PROFILE_INVALID');
    expect(templateProblems.map((p) => p.path)).toEqual(['customSubjectAlternativeNames[2].name']);
  });
});

describe('regression issue 3: customAzureADAttribute needs its attribute string', () => {
  it.each(PROFILE_FAMILIES.filter((f) => f !== 'android-device-admin'))(
    '%s: the flag without subjectAlternativeNameFormatString is a problem',
    (family) => {
      const r = validateProfile(
        pkcsInput(family, { subjectAlternativeNameType: ['customAzureADAttribute'] }),
      );
      expect(r.ok).toBe(false);
      if (!r.ok)
        expect(r.problems).toEqual([
          {
            path: 'subjectAlternativeNameFormatString',
            rule: expect.stringContaining(
              'is required when subjectAlternativeNameType includes customAzureADAttribute',
            ),
            code: 'PROFILE_INVALID',
          },
        ]);
    },
  );

  it('with the string it validates and the SAN template is made from it', () => {
    const r = validateProfile(
      pkcsInput('windows', {
        subjectAlternativeNameType: ['customAzureADAttribute'],
        subjectAlternativeNameFormatString: '{{Department}}',
      }),
    );
    expect(r.ok).toBe(true);
  });
});

describe('regression issue 3: advisory warnings are returned, apart from problems', () => {
  it.each([
    ['windows', 'CN={{DeviceId}}', ['{{DeviceId}}']],
    ['ios', 'CN={{DeviceId}}', []],
    ['windows', 'CN={{OnPrem_Distinguished_Name}}', ['{{OnPrem_Distinguished_Name}}']],
    ['macos', 'CN={{OnPrem_Distinguished_Name}}', ['{{OnPrem_Distinguished_Name}}']],
    ['windows', 'CN="{{OnPrem_Distinguished_Name}}"', []],
  ] as const)('%s %s → ok with warnings %j', (family, subject, variables) => {
    const r = validateProfile(pkcsInput(family, { subjectNameFormatString: subject }));
    expect(r.ok).toBe(true);
    expect(r.warnings.map((w) => [w.path, w.code, w.variable])).toEqual(
      variables.map((v) => ['subjectNameFormatString', 'VARIABLE_ADVISORY', v]),
    );
  });

  it('an invalid profile still carries its warnings beside its problems', () => {
    const r = validateProfile(
      pkcsInput('windows', { renewalThresholdPercentage: 0, subjectNameFormatString: 'CN={{DeviceId}}' }),
    );
    expect(r.ok).toBe(false);
    expect(r.warnings).toHaveLength(1);
  });
});

describe('regression issue 3: a trusted certificate must parse and be a CA', () => {
  const h = makeHierarchy();
  const key = poolKey('rsa2048', 3);
  const selfSigned = (extensions: Parameters<typeof createCertificate>[0]['extensions']) =>
    createCertificate({
      subject: 'CN=Self',
      publicKey: key.publicKey,
      issuer: 'self',
      signingKey: key.privateKey,
      serialNumber: '05',
      notBefore: new Date('2025-01-01T00:00:00Z'),
      notAfter: new Date('2030-01-01T00:00:00Z'),
      ...(extensions !== undefined && { extensions }),
    }).der;

  it.each([
    [
      'a tiny DER SEQUENCE (30 03 02 01 00)',
      new Uint8Array([0x30, 0x03, 0x02, 0x01, 0x00]),
      'DER-encoded X.509',
    ],
    ['a leaf certificate', h.leaf.der, 'is not a CA'],
    [
      'a self-signed certificate with cA=FALSE',
      selfSigned({ basicConstraints: { ca: false } }),
      'is not a CA',
    ],
  ])('%s is refused, naming the path', (_n, der, rule) => {
    for (const family of PROFILE_FAMILIES) {
      const r = validateProfile(trustedInput(family, { certificate: der }));
      expect(r.ok).toBe(false);
      if (!r.ok)
        expect(r.problems).toEqual([
          { path: 'certificate', rule: expect.stringContaining(rule), code: 'PROFILE_INVALID' },
        ]);
    }
  });

  it('certificateBoundLater (a scenario\u2019s `certificate: root` placeholder) only requires the bytes', () => {
    const placeholder = new Uint8Array([0x30, 0x03, 0x02, 0x01, 0x00]);
    const input = trustedInput('ios', { certificate: placeholder });
    expect(validateProfile(input).ok).toBe(false);
    expect(validateProfile(input, { certificateBoundLater: true }).ok).toBe(true);
  });

  it.each([
    ['a root', h.root.der],
    ['an intermediate (issuing) CA', h.issuing.der],
    ['an X.509 v1-style self-signed root without basicConstraints', selfSigned(undefined)],
    ['base64 of a root', Buffer.from(h.root.der).toString('base64')],
  ])('%s is accepted', (_n, certificate) => {
    const r = validateProfile(trustedInput('windows', { certificate }));
    expect(r.ok, r.ok ? '' : JSON.stringify(r.problems)).toBe(true);
  });
});

describe('regression issue 3: defaults of trusted-certificate profiles', () => {
  it('Windows destinationStore defaults to computerCertStoreRoot (GRAPH certificateDestinationStore 0)', () => {
    const input = trustedInput('windows');
    delete input['destinationStore'];
    const r = validateProfile(input);
    expect(
      r.ok && r.value.kind === 'trusted-certificate' && r.value.family === 'windows'
        ? r.value.destinationStore
        : r,
    ).toBe('computerCertStoreRoot');
  });

  it('macOS deploymentChannel defaults to deviceChannel', () => {
    const input = trustedInput('macos');
    delete input['deploymentChannel'];
    const r = validateProfile(input);
    expect(
      r.ok && r.value.kind === 'trusted-certificate' && r.value.family === 'macos'
        ? r.value.deploymentChannel
        : r,
    ).toBe('deviceChannel');
  });

  it.each([
    ['windows', 'destinationStore', 'userCertStoreRoot'],
    ['macos', 'deploymentChannel', 'unknownFutureValue'],
  ] as const)('%s %s %s is refused', (family, key, value) => {
    const r = validateProfile(trustedInput(family, { [key]: value }));
    expect(r.ok ? [] : r.problems.map((p) => p.path)).toEqual([key]);
  });
});

describe('regression issue 3: range boundaries, both sides (GRAPH 1–99; PFXDOC/SCEPDOC ≥ 5 days, ≤ 24 months)', () => {
  it.each([
    [{ renewalThresholdPercentage: 0 }, false],
    [{ renewalThresholdPercentage: 1 }, true],
    [{ renewalThresholdPercentage: 99 }, true],
    [{ renewalThresholdPercentage: 100 }, false],
    [{ validity: { value: 4, unit: 'days' } }, false],
    [{ validity: { value: 5, unit: 'days' } }, true],
    // 24 months taken as 730 days [inferred] (settings.ts PKCS_LIMITS)
    [{ validity: { value: 730, unit: 'days' } }, true],
    [{ validity: { value: 731, unit: 'days' } }, false],
    [{ validity: { value: 0, unit: 'months' } }, false],
    [{ validity: { value: 1, unit: 'months' } }, true],
    [{ validity: { value: 24, unit: 'months' } }, true],
    [{ validity: { value: 25, unit: 'months' } }, false],
    [{ validity: { value: 0, unit: 'years' } }, false],
    [{ validity: { value: 1, unit: 'years' } }, true],
    [{ validity: { value: 2, unit: 'years' } }, true],
    [{ validity: { value: 3, unit: 'years' } }, false],
  ] as const)('%j → valid %s', (extra, ok) => {
    for (const family of PROFILE_FAMILIES) {
      const r = validateProfile(pkcsInput(family, extra));
      expect(r.ok, `${family}: ${r.ok ? '' : JSON.stringify(r.problems)}`).toBe(ok);
      if (!r.ok) {
        const key = Object.keys(extra)[0] === 'validity' ? 'validity.value' : 'renewalThresholdPercentage';
        expect(r.problems.map((p) => p.path)).toEqual([key]);
      }
    }
  });
});
