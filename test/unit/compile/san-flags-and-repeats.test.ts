/**
 * QA walkthrough points 2 and 3 (SANs): the `domainNameService` and `universalResourceIdentifier` type flags
 * name a SAN type but give it no value, so no SAN comes from them — a flag without a custom SAN of its type is
 * listed by unusedSettingsOf (PKCS and SCEP) with what to do instead; and a SAN the profile gives twice (the
 * same type and value) is requested once, the first kept, in the PKCS request and in every SCEP payload.
 */
import { describe, expect, it } from 'vitest';
import { compileProfile, resolveRequest, seededIds } from '../../../profiles/compile/index.ts';
import type { AndroidPolicy } from '../../../profiles/android/policy-model.ts';
import type { AppleProfile, ScepPayload } from '../../../profiles/apple/mobileconfig-types.ts';
import type { ProfileFamily } from '../../../profiles/model/platform.ts';
import type { CertificateProfile } from '../../../profiles/model/profile.ts';
import { unusedSettingsOf } from '../../../profiles/model/unused-settings.ts';
import { FACTS, pkcsProfile, profileOf } from './fixtures.ts';

const UPN_TWICE = {
  subjectAlternativeNameType: ['userPrincipalName'],
  customSubjectAlternativeNames: [{ sanType: 'userPrincipalName', name: '{{UserPrincipalName}}' }],
};

function scep(family: ProfileFamily, extra: Record<string, unknown> = {}): CertificateProfile {
  return profileOf({
    kind: 'scep-certificate',
    family,
    displayName: 'Wi-Fi SCEP',
    subjectNameFormat: 'custom',
    subjectNameFormatString: 'CN={{UserName}}',
    scepServerUrls: ['https://ndes.contoso.com/certsrv/mscep/mscep.dll'],
    ...extra,
  });
}

function compiled(p: CertificateProfile) {
  const c = compileProfile(p, FACTS[p.family], {
    ids: seededIds('sans'),
    scep: { challenge: 'one-time', caThumbprint: 'A1B2C3D4E5F60718293A4B5C6D7E8F9011223344' },
  });
  if (!c.ok) throw new Error(c.outcome.message);
  return c.payload;
}

describe('a SAN given twice is requested once', () => {
  it('PKCS: the UPN flag and a custom {{UserPrincipalName}} UPN SAN give one UPN in the request', () => {
    const r = resolveRequest(pkcsProfile('windows', UPN_TWICE), FACTS.windows);
    if (!r.ok) throw new Error(r.outcome.message);
    expect(r.request.sans).toEqual([{ type: 'upn', value: 'ada@contoso.com' }]);
  });

  it('PKCS: only exact repeats go — the same value under another type, or another value, stays', () => {
    const r = resolveRequest(
      pkcsProfile('windows', {
        subjectAlternativeNameType: ['userPrincipalName', 'emailAddress'],
        customSubjectAlternativeNames: [
          { sanType: 'emailAddress', name: '{{UserPrincipalName}}' },
          { sanType: 'emailAddress', name: '{{EmailAddress}}' },
          { sanType: 'domainNameService', name: '{{DeviceName}}.contoso.com' },
          { sanType: 'domainNameService', name: '{{DeviceName}}.contoso.com' },
        ],
      }),
      FACTS.windows,
    );
    if (!r.ok) throw new Error(r.outcome.message);
    expect(r.request.sans).toEqual([
      { type: 'email', value: 'Ada.Lovelace@contoso.com' },
      { type: 'upn', value: 'ada@contoso.com' },
      { type: 'email', value: 'ada@contoso.com' },
      { type: 'dns', value: 'ADA-DEVICE.contoso.com' },
    ]);
  });

  it('Apple SCEP: one ntPrincipalName', () => {
    for (const family of ['ios', 'macos'] as const) {
      const native = compiled(scep(family, UPN_TWICE)).native as AppleProfile;
      const content = (native.PayloadContent[0] as ScepPayload).PayloadContent;
      expect(content.SubjectAltName).toEqual({ ntPrincipalName: 'ada@contoso.com' });
    }
  });

  it('Android Enterprise SCEP: one UPN in the ENROLL_SCEP command', () => {
    const native = compiled(scep('android-work-profile', UPN_TWICE)).native as AndroidPolicy;
    const command = native.certificateCommands?.find((c) => c.type === 'ENROLL_SCEP');
    expect(command).toBeDefined();
    expect((command as { subjectAltNames?: unknown }).subjectAltNames).toEqual([
      { type: 'UPN', value: 'ada@contoso.com' },
    ]);
  });
});

describe('the DNS and URI type flags give no SAN: unusedSettingsOf says so, with what to do', () => {
  const DNS = { subjectAlternativeNameType: ['domainNameService'], customSubjectAlternativeNames: [] };
  const URI = {
    subjectAlternativeNameType: ['universalResourceIdentifier'],
    customSubjectAlternativeNames: [],
  };

  it.each([
    ['PKCS windows', 'domainNameService', pkcsProfile('windows', DNS)],
    ['PKCS macos', 'universalResourceIdentifier', pkcsProfile('macos', URI)],
    ['SCEP windows', 'domainNameService', scep('windows', DNS)],
    ['SCEP ios', 'universalResourceIdentifier', scep('ios', URI)],
    ['SCEP android-device-owner', 'domainNameService', scep('android-device-owner', DNS)],
  ] as const)('%s: %s alone is listed as unused', (_name, flag, profile) => {
    const unused = unusedSettingsOf(profile).filter((u) => u.path === 'subjectAlternativeNameType');
    expect(unused).toHaveLength(1);
    expect(unused[0]!.code).toBe('PROFILE_SETTING_UNUSED');
    expect(unused[0]!.advice).toContain(flag);
    expect(unused[0]!.advice).toMatch(/customSubjectAlternativeNames/);
  });

  it('both flags: one entry each, and indeed no SAN comes from either', () => {
    const both = {
      subjectAlternativeNameType: ['domainNameService', 'universalResourceIdentifier'],
      customSubjectAlternativeNames: [],
    };
    const p = pkcsProfile('windows', both);
    expect(
      unusedSettingsOf(p)
        .filter((u) => u.path === 'subjectAlternativeNameType')
        .map((u) => /the (\w+) flag/.exec(u.advice)?.[1]),
    ).toEqual(['domainNameService', 'universalResourceIdentifier']);
    const r = resolveRequest(p, FACTS.windows);
    if (!r.ok) throw new Error(r.outcome.message);
    expect(r.request.sans).toEqual([]);
    const native = compiled(scep('macos', both)).native as AppleProfile;
    expect((native.PayloadContent[0] as ScepPayload).PayloadContent.SubjectAltName).toBeUndefined();
  });

  it('a flag beside a custom SAN of its type (as Graph returns admin-center profiles) is honoured by it: not listed', () => {
    const withValue = {
      subjectAlternativeNameType: ['domainNameService'],
      customSubjectAlternativeNames: [{ sanType: 'domainNameService', name: '{{FullyQualifiedDomainName}}' }],
    };
    const listed = (p: CertificateProfile): number =>
      unusedSettingsOf(p).filter((u) => u.path === 'subjectAlternativeNameType').length;
    for (const make of [
      (extra: Record<string, unknown>) => pkcsProfile('windows', extra),
      (extra: Record<string, unknown>) => scep('windows', extra),
    ]) {
      expect([listed(make(withValue)), listed(make(DNS))]).toEqual([0, 1]);
    }
    // e-mail and UPN flags give their own value: never listed
    expect(listed(pkcsProfile('windows'))).toBe(0);
  });
});
