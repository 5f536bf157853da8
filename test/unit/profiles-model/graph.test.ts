import { describe, expect, it } from 'vitest';
import { isCertfleetError } from '../../../pki/errors.ts';
import { exportGraphJson, exportGraphProfile } from '../../../profiles/graph/export-graph.ts';
import {
  graphPathOf,
  idFromBindUrl,
  importGraphProfile,
  importGraphProfileOrThrow,
} from '../../../profiles/graph/import-graph.ts';
import { findJsonSyntaxError } from '../../../profiles/graph/json-syntax.ts';
import {
  GRAPH_TYPE_NAMES,
  GRAPH_TYPE_OF,
  GRAPH_TYPES,
  graphTypeFor,
} from '../../../profiles/graph/odata-types.ts';
import { PROFILE_FAMILIES } from '../../../profiles/model/platform.ts';
import type { CertificateProfile } from '../../../profiles/model/profile.ts';
import { validateProfile } from '../../../profiles/model/validate-profile.ts';
import { describeConformance, itConformance } from '../../fixtures/conformance.ts';
import {
  MACOS_PKCS_SAMPLE,
  MACOS_SAMPLES_NEEDED,
  MACOS_TRUSTED_SAMPLE,
  corpusText,
  pkcsInput,
  trustedInput,
} from './fixtures.ts';

function model(input: Record<string, unknown>): CertificateProfile {
  const r = validateProfile(input);
  if (!r.ok) throw new Error(JSON.stringify(r.problems));
  return r.value;
}

const base = (type: string, extra: Record<string, unknown> = {}): Record<string, unknown> => ({
  '@odata.type': `#microsoft.graph.${type}`,
  displayName: 'p',
  certificationAuthority: 'ca01.contoso.com',
  certificationAuthorityName: 'Contoso CA',
  certificateTemplateName: 'User',
  ...extra,
});

// Conformance suite (the corpus samples, read in place); project-made mirror:
// test/unit/conformance-own/graph-import.test.ts.
describeConformance('corpus graph-json samples', MACOS_SAMPLES_NEEDED, () => {
  it('imports the macOS PKCS sample (CA config string, every sanType)', () => {
    const r = importGraphProfile(corpusText(MACOS_PKCS_SAMPLE));
    expect(r.ok, r.ok ? '' : r.error.message).toBe(true);
    if (!r.ok || r.profile.kind !== 'pkcs-certificate' || r.profile.family !== 'macos') return;
    expect(r.graphType).toBe('macOSPkcsCertificateProfile');
    expect(r.profile.certificationAuthority).toBe('ExampleCA\\ExampleCA-CA');
    expect(r.profile.customSubjectAlternativeNames.map((s) => s.sanType)).toEqual([
      'emailAddress',
      'userPrincipalName',
      'domainNameService',
      'universalResourceIdentifier',
      'customAzureADAttribute',
      'emailAddress',
    ]);
    expect(r.profile.validity).toEqual({ value: 12, unit: 'months' });
    expect(r.profile.renewalThresholdPercentage).toBe(30);
    expect(r.profile.certificateType).toBe('user');
    expect(r.profile.deploymentChannel).toBe('userChannel');
    expect(r.profile.allowAllAppsAccess).toBe(true);
    expect(r.profile.subjectNameFormat).toBe('commonNameIncludingEmail');
    expect(r.ignored).toEqual([]);
  });
  it('imports the macOS trusted-root sample with its real DER root', () => {
    const r = importGraphProfile(corpusText(MACOS_TRUSTED_SAMPLE));
    expect(r.ok).toBe(true);
    if (!r.ok || r.profile.kind !== 'trusted-certificate' || r.profile.family !== 'macos') return;
    expect(r.profile.deploymentChannel).toBe('deviceChannel');
    expect(r.profile.certFileName).toBe('MicrosoftRootCertificateAuthority2011.cer');
    expect(r.profile.certificate.length).toBe(1521);
    expect(
      Buffer.from(r.profile.certificate).includes(Buffer.from('Microsoft Root Certificate Authority 2011')),
    ).toBe(true);
  });
  it.each([MACOS_PKCS_SAMPLE, MACOS_TRUSTED_SAMPLE])(
    're-imports its own export to the same model: %s',
    (file) => {
      const first = importGraphProfileOrThrow(corpusText(file));
      expect(importGraphProfileOrThrow(exportGraphJson(first))).toEqual(first);
      expect(importGraphProfileOrThrow(exportGraphProfile(first, { enums: 'number' }))).toEqual(first);
    },
  );
});

describe.each(PROFILE_FAMILIES)('round trip, family %s', (family) => {
  it.each(['name', 'number'] as const)('PKCS export → import gives the same model (enums by %s)', (enums) => {
    const p = model(pkcsInput(family));
    const json = exportGraphProfile(p, { enums });
    expect(json['@odata.type']).toBe(`#microsoft.graph.${GRAPH_TYPE_OF['pkcs-certificate'][family]}`);
    expect(importGraphProfileOrThrow(json)).toEqual(p);
    expect(importGraphProfileOrThrow(JSON.stringify(json))).toEqual(p);
  });
  it.each(['name', 'number'] as const)(
    'trusted export → import gives the same model (enums by %s)',
    (enums) => {
      const p = model(trustedInput(family));
      expect(importGraphProfileOrThrow(exportGraphProfile(p, { enums }))).toEqual(p);
    },
  );
  it('a device certificate exports certificateStore machine (except Android DA, which has no store)', () => {
    if (family === 'android-device-admin') {
      expect(exportGraphProfile(model(pkcsInput(family)))['certificateStore']).toBeUndefined();
      return;
    }
    const p = model(
      pkcsInput(family, {
        certificateType: 'device',
        subjectNameFormatString: 'CN={{DeviceName}}',
        customSubjectAlternativeNames: [],
        subjectAlternativeNameType: [],
      }),
    );
    expect(exportGraphProfile(p)['certificateStore']).toBe('machine');
    expect(exportGraphProfile(p, { enums: 'number' })['certificateStore']).toBe(2);
    expect(importGraphProfileOrThrow(exportGraphProfile(p))).toEqual(p);
  });
});

describe('every supported @odata.type', () => {
  it('has 23 types: 6 trusted + 6 PKCS + 6 imported PKCS + 5 SCEP, one per family each', () => {
    expect(GRAPH_TYPE_NAMES).toHaveLength(23);
    for (const n of GRAPH_TYPE_NAMES)
      expect(graphTypeFor(GRAPH_TYPES[n].kind, GRAPH_TYPES[n].family)).toBe(n);
    expect(graphTypeFor('scep-certificate', 'android-device-admin')).toBeUndefined();
  });
  it.each(['androidTrustedRootCertificate', 'androidPkcsCertificateProfile'])(
    'Android device administrator type %s imports',
    (t) => {
      const json =
        t === 'androidPkcsCertificateProfile'
          ? base(t, {
              subjectNameFormat: 'commonNameAsIMEI',
              'rootCertificate@odata.bind':
                "https://graph.microsoft.com/beta/deviceManagement/deviceConfigurations('abc-123')",
            })
          : {
              '@odata.type': `#microsoft.graph.${t}`,
              displayName: 'r',
              certFileName: 'r.cer',
              trustedRootCertificate: Buffer.from(trustedInput('ios')['certificate'] as Uint8Array).toString(
                'base64',
              ),
            };
      const r = importGraphProfile(json);
      expect(r.ok, r.ok ? '' : r.error.message).toBe(true);
      if (r.ok) expect(r.profile.family).toBe('android-device-admin');
      if (r.ok && r.profile.kind === 'pkcs-certificate' && r.profile.family === 'android-device-admin') {
        expect(r.profile.rootCertificateId).toBe('abc-123');
        expect(r.profile.subjectNameFormat).toBe('commonNameAsIMEI');
      }
    },
  );
});

describe('subjectNameFormat numbers: Apple and general enums differ', () => {
  it.each([
    ['iosPkcsCertificateProfile', 1, 'commonNameAsEmail'],
    ['iosPkcsCertificateProfile', 2, 'custom'],
    ['iosPkcsCertificateProfile', 3, 'commonNameIncludingEmail'],
    ['macOSPkcsCertificateProfile', 1, 'commonNameAsEmail'],
    ['macOSPkcsCertificateProfile', 3, 'commonNameIncludingEmail'],
    ['windows10PkcsCertificateProfile', 1, 'commonNameIncludingEmail'],
    ['windows10PkcsCertificateProfile', 2, 'commonNameAsEmail'],
    ['windows10PkcsCertificateProfile', 3, 'custom'],
    ['androidWorkProfilePkcsCertificateProfile', 7, 'commonNameAsAadDeviceId'],
    ['androidDeviceOwnerPkcsCertificateProfile', 9, 'commonNameAsDurableDeviceId'],
  ] as const)('%s subjectNameFormat %i = %s', (type, num, name) => {
    const r = importGraphProfile(
      base(type, { subjectNameFormat: num, subjectNameFormatString: 'CN={{UserName}}' }),
    );
    expect(r.ok, r.ok ? '' : r.error.message).toBe(true);
    if (r.ok && r.profile.kind === 'pkcs-certificate') expect(r.profile.subjectNameFormat).toBe(name);
  });
  it('exports commonNameAsEmail as 1 for iOS and 2 for Windows', () => {
    const ios = model(pkcsInput('ios', { subjectNameFormat: 'commonNameAsEmail' }));
    const win = model(pkcsInput('windows', { subjectNameFormat: 'commonNameAsEmail' }));
    expect(exportGraphProfile(ios, { enums: 'number' })['subjectNameFormat']).toBe(1);
    expect(exportGraphProfile(win, { enums: 'number' })['subjectNameFormat']).toBe(2);
  });
  it.each([
    ['iosPkcsCertificateProfile', 7],
    ['iosPkcsCertificateProfile', 'commonNameAsAadDeviceId'],
    ['windows10PkcsCertificateProfile', 4],
  ])('%s refuses subjectNameFormat %j', (type, v) => {
    const r = importGraphProfile(base(type, { subjectNameFormat: v }));
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.problems.map((p) => p.path)).toContain('subjectNameFormat');
  });
});

describe('enums by name or number', () => {
  it.each([
    [{ keyStorageProvider: 2 }, 'keyStorageProvider', 'usePassportForWorkKspOtherwiseFail'],
    [{ keyStorageProvider: 'useTpmKspOtherwiseFail' }, 'keyStorageProvider', 'useTpmKspOtherwiseFail'],
    [{ certificateStore: 2 }, 'certificateType', 'device'],
    [{ certificateStore: 'user' }, 'certificateType', 'user'],
  ] as const)('windows10 %j → %s = %s', (extra, key, value) => {
    const r = importGraphProfile(
      base('windows10PkcsCertificateProfile', { subjectNameFormat: 'commonNameAsIMEI', ...extra }),
    );
    expect(r.ok, r.ok ? '' : r.error.message).toBe(true);
    if (r.ok) expect((r.profile as unknown as Record<string, unknown>)[key]).toBe(value);
  });
  it.each([
    [3, ['emailAddress', 'userPrincipalName']],
    [24, ['domainNameService', 'universalResourceIdentifier']],
    ['emailAddress,userPrincipalName', ['emailAddress', 'userPrincipalName']],
    ['none', []],
    [0, []],
  ] as const)('subjectAlternativeNameType %j → %j', (v, names) => {
    const r = importGraphProfile(base('iosPkcsCertificateProfile', { subjectAlternativeNameType: v }));
    expect(r.ok, r.ok ? '' : r.error.message).toBe(true);
    if (r.ok && r.profile.kind === 'pkcs-certificate')
      expect(r.profile.subjectAlternativeNameType).toEqual(names);
  });
  it.each([32, 'emailAddress,fax', -1])('subjectAlternativeNameType %j is a problem', (v) => {
    const r = importGraphProfile(base('iosPkcsCertificateProfile', { subjectAlternativeNameType: v }));
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.problems[0]?.path).toBe('subjectAlternativeNameType');
  });
  it('destinationStore by number', () => {
    const r = importGraphProfile({
      '@odata.type': '#microsoft.graph.windows81TrustedRootCertificate',
      displayName: 'r',
      certFileName: 'r.cer',
      destinationStore: 2,
      trustedRootCertificate: Buffer.from(trustedInput('ios')['certificate'] as Uint8Array).toString(
        'base64',
      ),
    });
    expect(r.ok).toBe(true);
    if (r.ok && r.profile.kind === 'trusted-certificate' && r.profile.family === 'windows')
      expect(r.profile.destinationStore).toBe('userCertStoreIntermediate');
  });
  it('device-owner access details by number', () => {
    const r = importGraphProfile(
      base('androidDeviceOwnerPkcsCertificateProfile', {
        subjectNameFormat: 5,
        certificateAccessType: 1,
        certificationAuthorityType: 2,
        silentCertificateAccessDetails: [{ packageId: 'com.contoso.vpn' }],
      }),
    );
    expect(r.ok, r.ok ? '' : r.error.message).toBe(true);
    if (r.ok && r.profile.kind === 'pkcs-certificate' && r.profile.family === 'android-device-owner') {
      expect(r.profile.certificateAccess).toEqual({ type: 'specificApps', packageIds: ['com.contoso.vpn'] });
      expect(r.profile.certificationAuthorityType).toBe('digiCert');
    }
  });
});

describe('failures', () => {
  it.each([
    ['{"a":}', 1, 6],
    ['{\n  "displayName": "x",\n  "renewalThresholdPercentage": 20,\n}', 4, 1],
    ['{\n "a": tru\n}', 2, 7],
    ['', 1, 1],
    ['{"a":1}x', 1, 8],
  ])('bad JSON %j → GRAPH_PARSE at line %i column %i', (text, line, column) => {
    const r = importGraphProfile(text);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.error.code).toBe('GRAPH_PARSE');
    expect(r.error.details).toMatchObject({ line, column });
    expect(r.error.message).toContain(`line ${line}, column ${column}`);
  });
  itConformance('valid JSON has no syntax error', `corpus/${MACOS_PKCS_SAMPLE}`, () => {
    expect(findJsonSyntaxError(corpusText(MACOS_PKCS_SAMPLE))).toBeUndefined();
  });
  it.each([
    ['#microsoft.graph.windows10XSCEPCertificateProfile'],
    ['#microsoft.graph.windows10GeneralConfiguration'],
  ])('unsupported %s → GRAPH_UNSUPPORTED_TYPE', (t) => {
    const r = importGraphProfile({ '@odata.type': t, displayName: 'x' });
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.error.code).toBe('GRAPH_UNSUPPORTED_TYPE');
      expect(r.error.message).toContain(t);
    }
  });
  it('a UTF-8 byte order mark before the JSON (Windows PowerShell 5.1 exports) is ignored (RFC 8259 §8.1)', () => {
    const text = JSON.stringify(base('windows10PkcsCertificateProfile', { renewalThresholdPercentage: 25 }));
    const plain = importGraphProfile(text);
    const bom = importGraphProfile(`\ufeff${text}`);
    expect(plain.ok).toBe(true);
    expect(bom).toEqual(plain);
    // a byte order mark elsewhere is still a syntax error
    expect(importGraphProfile(` \ufeff${text}`).ok).toBe(false);
  });
  it('a collection response ({"value": [...]}) → GRAPH_PARSE saying so, with how many items', () => {
    const item = base('windows10PkcsCertificateProfile');
    const r = importGraphProfile({
      '@odata.context': 'https://graph.microsoft.com/beta/$metadata#deviceManagement/deviceConfigurations',
      value: [item, item],
    });
    expect(!r.ok && r.error.code).toBe('GRAPH_PARSE');
    expect(!r.ok && r.error.message).toMatch(
      /a collection response \(a "value" list of 2 items\), not one profile/,
    );
  });
  it('missing @odata.type → GRAPH_UNSUPPORTED_TYPE', () => {
    const r = importGraphProfile({ displayName: 'x' });
    expect(!r.ok && r.error.code).toBe('GRAPH_UNSUPPORTED_TYPE');
  });
  it('throws CertfleetError from the OrThrow form', () => {
    expect(() => importGraphProfileOrThrow('[1,')).toThrow(expect.objectContaining({ code: 'GRAPH_PARSE' }));
    try {
      importGraphProfileOrThrow('[]');
    } catch (e) {
      expect(isCertfleetError(e, 'GRAPH_PARSE')).toBe(true);
    }
  });
  it('invalid values → PROFILE_INVALID with Graph JSON paths', () => {
    const r = importGraphProfile(
      base('androidDeviceOwnerPkcsCertificateProfile', {
        subjectNameFormat: 'custom',
        subjectNameFormatString: 'CN={{IMEI}}',
        renewalThresholdPercentage: 120,
        certificateValidityPeriodValue: 36,
        certificateValidityPeriodScale: 'months',
        keyStorageProvider: 'useSoftwareKsp',
        customSubjectAlternativeNames: [
          { sanType: 'emailAddress', name: 'a' },
          { sanType: 64, name: 'b' },
        ],
        certificateAccessType: 'specificApps',
        silentCertificateAccessDetails: [{ packageId: 'com.ok.app' }, { packageId: 'bad id' }],
        someFutureProperty: true,
      }),
    );
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.error.code).toBe('PROFILE_INVALID');
    expect(r.problems.map((p) => p.path).sort()).toEqual([
      'certificateValidityPeriodValue',
      'customSubjectAlternativeNames[1].sanType',
      'keyStorageProvider',
      'renewalThresholdPercentage',
      'silentCertificateAccessDetails[1].packageId',
    ]);
    expect(r.error.details['problems']).toEqual(r.problems);
  });
  it('lists unknown properties as ignored, and nulls count as absent', () => {
    const r = importGraphProfile(
      base('iosPkcsCertificateProfile', { someFutureProperty: 1, subjectNameFormatString: null }),
    );
    expect(r.ok).toBe(true);
    if (r.ok) expect(r.ignored).toEqual(['someFutureProperty']);
  });
  it('regression issue 13: lists every property without effect, with why (and the correction of a typo)', () => {
    const r = importGraphProfile(
      base('iosPkcsCertificateProfile', {
        renewalThresholdPercentag: 30,
        subjectNameFormat: 'commonName',
        subjectNameFormatString: 'CN={{UserName}},O=Contoso',
        subjectAlternativeNameType: 'userPrincipalName',
        subjectAlternativeNameFormatString: 'extensionAttribute1',
        assignments: [{ id: 'a' }],
        roleScopeTagIds: ['0'],
      }),
    );
    expect(r.ok && r.unused.map((u) => [u.path, u.message])).toEqual([
      [
        'renewalThresholdPercentag',
        'is not a property of #microsoft.graph.iosPkcsCertificateProfile: did you mean renewalThresholdPercentage?; certfleet ignores it',
      ],
      [
        'assignments',
        'is not read: a scenario assigns profiles with assign: or assignments:, every device of the family otherwise',
      ],
      [
        'subjectNameFormatString',
        'is ignored: subjectNameFormat is commonName, not custom, so the subject follows that format and this string ("CN={{UserName}},O=Contoso") is dropped; set subjectNameFormat to custom to use it',
      ],
      [
        'subjectAlternativeNameFormatString',
        'is ignored: subjectAlternativeNameType does not include customAzureADAttribute, the only SAN that reads it',
      ],
    ]);
    const android = importGraphProfile(
      base('androidWorkProfilePkcsCertificateProfile', {
        subjectNameFormat: 'commonName',
        'rootCertificate@odata.bind':
          "https://graph.microsoft.com/beta/deviceManagement/deviceConfigurations('r1')",
      }),
    );
    expect(android.ok && android.unused.map((u) => u.path)).toEqual(['rootCertificate@odata.bind']);
    // the metadata every export carries (ids, scope tags) is not worth a warning
    const clean = importGraphProfile(base('iosPkcsCertificateProfile', { roleScopeTagIds: ['0'], id: 'x' }));
    expect(clean.ok && clean.unused).toEqual([]);
  });
  it.each([
    ['validity.value', 'certificateValidityPeriodValue'],
    ['certificateType', 'certificateStore'],
    ['certificateAccess.packageIds[3]', 'silentCertificateAccessDetails[3].packageId'],
    ['customSubjectAlternativeNames[1].name', 'customSubjectAlternativeNames[1].name'],
  ])('model path %s ↔ Graph path %s', (m, g) => expect(graphPathOf(m)).toBe(g));
  it.each([
    ["https://graph.microsoft.com/beta/deviceManagement/deviceConfigurations('a-1')", 'a-1'],
    ['https://graph.microsoft.com/beta/deviceManagement/deviceConfigurations/a-2', 'a-2'],
    ['https://example.com/other', undefined],
  ])('bind URL %s → %s', (u, id) => expect(idFromBindUrl(u)).toBe(id));
});

describe('regression issue 3: Graph import lists every problem in one pass, and returns warnings', () => {
  it('an invalid certificateStore does not hide subject and SAN template problems', () => {
    const r = importGraphProfile(
      JSON.stringify(
        base('windows10PkcsCertificateProfile', {
          certificateStore: 'nobody',
          subjectNameFormat: 'custom',
          subjectNameFormatString: 'CN={UserName}',
          subjectAlternativeNameType: 'customAzureADAttribute',
          subjectAlternativeNameFormatString: '{{Nickname}}',
        }),
      ),
    );
    expect(r.ok).toBe(false);
    if (r.ok) return;
    // issue 12 point 9: Graph accepts any template string, so template problems are warnings (the run fails
    // per device with their code); only the enum value Graph refuses is a problem.
    expect([...new Set(r.problems.map((p) => `${p.path} ${p.code}`))]).toEqual([
      'certificateStore PROFILE_INVALID',
    ]);
    const fixed = importGraphProfile(
      JSON.stringify(
        base('windows10PkcsCertificateProfile', {
          certificateStore: 'user',
          subjectNameFormat: 'custom',
          subjectNameFormatString: 'CN={UserName}',
          subjectAlternativeNameType: 'customAzureADAttribute',
          subjectAlternativeNameFormatString: '{{Nickname}}',
        }),
      ),
    );
    expect(fixed.ok).toBe(true);
    if (!fixed.ok) return;
    expect([...new Set(fixed.warnings.map((w) => `${w.path} ${w.code}`))]).toEqual([
      'subjectNameFormatString TEMPLATE_MALFORMED',
      'subjectAlternativeNameFormatString VARIABLE_UNKNOWN',
    ]);
  });

  it('warnings come back with the Graph paths and do not fail the import', () => {
    const r = importGraphProfile(
      JSON.stringify(
        base('windows10PkcsCertificateProfile', {
          subjectNameFormat: 'custom',
          subjectNameFormatString: 'CN={{DeviceId}}',
        }),
      ),
    );
    expect(r.ok).toBe(true);
    if (r.ok)
      expect(r.warnings.map((w) => [w.path, w.code, w.variable])).toEqual([
        ['subjectNameFormatString', 'VARIABLE_ADVISORY', '{{DeviceId}}'],
      ]);
  });
});
