/**
 * Issue 14 point 2 (model): the `scep-certificate` kind — validation with coded problems per family, the
 * same template rules as PKCS, and no SCEP setting read and ignored: each reaches its family's payload, or is
 * listed as unused and indeed changes nothing (every family compiles; device administrator is not modelled).
 */
import { describe, expect, it } from 'vitest';
import { compileProfile, seededIds } from '../../../profiles/compile/index.ts';
import { PROFILE_FAMILIES, type ProfileFamily } from '../../../profiles/model/platform.ts';
import { SCEP_FAMILIES, type ScepCertificateProfile } from '../../../profiles/model/scep-profile.ts';
import { PROFILE_FIELDS } from '../../../profiles/model/settings.ts';
import { unusedSettingsOf } from '../../../profiles/model/unused-settings.ts';
import { validateProfile } from '../../../profiles/model/validate-profile.ts';
import { payloadTopic } from '../../../protocol/wire/topics.ts';
import { SCEP_DELIVERED_FAMILIES } from '../../../simulator/scenario/read-scep-settings.ts';
import { challengeTermsOf } from '../../../simulator/service/mdm/handlers/scep-delivery.ts';
import { FACTS } from '../compile/fixtures.ts';

const URL = 'https://ndes.contoso.com/certsrv/mscep/mscep.dll';

function scep(family: ProfileFamily, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    kind: 'scep-certificate',
    family,
    displayName: 'Wi-Fi SCEP',
    subjectNameFormat: 'custom',
    subjectNameFormatString: 'CN={{UserName}}',
    scepServerUrls: [URL],
    ...extra,
  };
}

function valid(family: ProfileFamily, extra: Record<string, unknown> = {}): ScepCertificateProfile {
  const r = validateProfile(scep(family, extra));
  if (!r.ok) throw new Error(JSON.stringify(r.problems));
  if (r.value.kind !== 'scep-certificate') throw new Error(`kind ${r.value.kind}`);
  return r.value;
}

describe('SCEP profile model', () => {
  it('fills the documented defaults on every modelled family', () => {
    expect(SCEP_FAMILIES.length).toBe(5);
    for (const family of SCEP_FAMILIES) {
      const p = valid(family);
      expect(p).toMatchObject({
        kind: 'scep-certificate',
        family,
        renewalThresholdPercentage: 20,
        validity: { value: 1, unit: 'years' },
        certificateType: 'user',
        keySize: 'size2048',
        keyUsage: ['keyEncipherment', 'digitalSignature'],
        scepServerUrls: [URL],
        extendedKeyUsages: [],
      });
      // Graph gives iosScepCertificateProfile no hashAlgorithm; the other four default to SHA-2
      if (family === 'ios') expect('hashAlgorithm' in p).toBe(false);
      else expect((p as { hashAlgorithm: string[] }).hashAlgorithm).toEqual(['sha2']);
    }
    expect(valid('windows')).toMatchObject({ keyStorageProvider: 'useTpmKspOtherwiseUseSoftwareKsp' });
    expect(valid('macos')).toMatchObject({ allowAllAppsAccess: false });
    expect(valid('android-device-owner')).toMatchObject({ certificateAccess: { type: 'userApproval' } });
  });

  it('keeps flag lists in Graph order without repeats', () => {
    const p = valid('windows', {
      keyUsage: ['digitalSignature', 'keyEncipherment', 'digitalSignature'],
      hashAlgorithm: ['sha2', 'sha1'],
    });
    expect(p.keyUsage).toEqual(['keyEncipherment', 'digitalSignature']);
    expect((p as { hashAlgorithm: string[] }).hashAlgorithm).toEqual(['sha1', 'sha2']);
  });

  it.each([
    [{ scepServerUrls: undefined }, 'scepServerUrls', /is required/],
    [{ scepServerUrls: [] }, 'scepServerUrls', /non-empty list/],
    [{ scepServerUrls: ['ftp://ndes.contoso.com/'] }, 'scepServerUrls[0]', /http:\/\/ or https:\/\//],
    [{ scepServerUrls: [URL, 'not a url'] }, 'scepServerUrls[1]', /absolute/],
    [{ keyUsage: [] }, 'keyUsage', /non-empty list of keyEncipherment, digitalSignature/],
    [{ keyUsage: ['nonRepudiation'] }, 'keyUsage[0]', /one of keyEncipherment, digitalSignature/],
    [{ keySize: 'size3072' }, 'keySize', /one of size1024, size2048, size4096/],
    [{ hashAlgorithm: ['md5'] }, 'hashAlgorithm[0]', /one of sha1, sha2/],
    [{ renewalThresholdPercentage: 100 }, 'renewalThresholdPercentage', /1 to 99/],
    [
      { certificationAuthority: 'ca01.contoso.com' },
      'certificationAuthority',
      /does not apply to Windows.* SCEP/,
    ],
  ])('refuses %j at %s with PROFILE_INVALID', (extra, path, rule) => {
    const input = scep('windows', extra);
    for (const [k, v] of Object.entries(extra)) if (v === undefined) delete input[k];
    const r = validateProfile(input);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    const p = r.problems.find((x) => x.path === path);
    expect(p, JSON.stringify(r.problems)).toBeDefined();
    expect(p!.code).toBe('PROFILE_INVALID');
    expect(p!.rule).toMatch(rule);
  });

  it('refuses settings of other families (hashAlgorithm on iOS, keyStorageProvider on macOS)', () => {
    const ios = validateProfile(scep('ios', { hashAlgorithm: ['sha2'] }));
    expect(ios.ok).toBe(false);
    if (!ios.ok) expect(ios.problems.map((p) => p.path)).toEqual(['hashAlgorithm']);
    const mac = validateProfile(scep('macos', { keyStorageProvider: 'useSoftwareKsp' }));
    expect(mac.ok).toBe(false);
    if (!mac.ok) expect(mac.problems[0]!.rule).toMatch(/does not apply to macOS SCEP certificate profiles/);
  });

  it('refuses Android device administrator SCEP with a rule that says what to use instead', () => {
    const r = validateProfile(scep('android-device-admin'));
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.problems.map((p) => [p.path, p.code])).toEqual([['family', 'PROFILE_INVALID']]);
    expect(r.problems[0]!.rule).toMatch(/not modelled.*PKCS profile/);
  });

  it('applies the PKCS variable rules to the subject and SANs', () => {
    // a user variable in a device certificate
    const r = validateProfile(
      scep('ios', { certificateType: 'device', subjectNameFormatString: 'CN={{UserName}}' }),
    );
    expect(r.ok).toBe(false);
    if (!r.ok)
      expect(r.problems.map((p) => [p.path, p.code])).toContainEqual([
        'subjectNameFormatString',
        'VARIABLE_NOT_ALLOWED',
      ]);
    const u = validateProfile(scep('windows', { subjectNameFormatString: 'CN={{NoSuchVariable}}' }));
    expect(u.ok).toBe(false);
    if (!u.ok) expect(u.problems.map((p) => p.code)).toContain('VARIABLE_UNKNOWN');
  });

  it('compiles SCEP for every modelled family (device administrator is not modelled)', () => {
    for (const family of SCEP_FAMILIES) {
      const c = compileProfile(valid(family), FACTS[family], { ids: seededIds('s'), scep: ENROLMENT });
      expect(c.ok, JSON.stringify(c)).toBe(true);
    }
    expect(PROFILE_FIELDS['scep-certificate']['android-device-admin']).toEqual([]);
    expect(PROFILE_FAMILIES.filter((f) => !(SCEP_FAMILIES as readonly string[]).includes(f))).toEqual([
      'android-device-admin',
    ]);
  });
});

const EKU = { name: 'Server Authentication', objectIdentifier: '1.3.6.1.5.5.7.3.1' };
const ENROLMENT = { challenge: 'one-time', caThumbprint: 'A1B2C3D4E5F60718293A4B5C6D7E8F9011223344' };

/** Another valid value per Apple SCEP field. */
const VARIANT: Record<string, Record<string, unknown>> = {
  displayName: { displayName: 'Another name' },
  renewalThresholdPercentage: { renewalThresholdPercentage: 35 },
  validity: { validity: { value: 30, unit: 'days' } },
  certificateType: { certificateType: 'device', subjectNameFormatString: 'CN={{DeviceName}}' },
  subjectNameFormat: { subjectNameFormat: 'commonNameAsEmail', subjectNameFormatString: undefined },
  subjectNameFormatString: { subjectNameFormatString: 'CN={{UserName}},O=Fabrikam' },
  subjectAlternativeNameType: { subjectAlternativeNameType: ['userPrincipalName'] },
  subjectAlternativeNameFormatString: {
    subjectAlternativeNameType: ['customAzureADAttribute'],
    subjectAlternativeNameFormatString: 'department',
  },
  customSubjectAlternativeNames: {
    customSubjectAlternativeNames: [{ sanType: 'domainNameService', name: '{{DeviceName}}.contoso.com' }],
  },
  scepServerUrls: { scepServerUrls: ['https://ndes2.contoso.com/certsrv/mscep/mscep.dll'] },
  keyUsage: { keyUsage: ['digitalSignature'] },
  keySize: { keySize: 'size4096' },
  extendedKeyUsages: { extendedKeyUsages: [EKU] },
  rootCertificateId: { rootCertificateId: 'another-root-profile' },
  hashAlgorithm: { hashAlgorithm: ['sha1', 'sha2'] },
  certificateAccess: { certificateAccess: { type: 'specificApps', packageIds: ['com.contoso.vpn'] } },
  allowAllAppsAccess: { allowAllAppsAccess: true },
  keyStorageProvider: { keyStorageProvider: 'useSoftwareKsp' },
};
const METADATA = ['kind', 'family', 'id', 'description'];

/**
 * Settings the payload carries but that have no effect on the certificate: listed as unused, and the issued
 * certificate is checked where the device enrols (not here, where only the payload is seen).
 */
const SENT_BUT_OVERRIDDEN: Record<string, string> = {
  'windows extendedKeyUsages':
    'Install/EKUMapping: the PC requests them, the CA writes its template’s EKUs (test/unit/agent-windows/scep-profile-settings.test.ts)',
};

/**
 * What reaches the device and the CA: the payload, the renewal threshold on the payload's topic (the agent
 * renews by it, where the family's SCEP profiles are delivered in runs), and what the service binds the
 * one-time challenge to (the validity the run's SCEP server asks the CA for).
 */
function payloadOf(p: ScepCertificateProfile, family: ScepCertificateProfile['family']): string {
  const c = compileProfile(p, FACTS[family], { ids: seededIds('s'), scep: ENROLMENT });
  if (!c.ok) return `compile:${c.outcome.code}`;
  // only a family whose devices enrol over SCEP in a run gets the payload, and its topic, at all
  const topic = SCEP_DELIVERED_FAMILIES.includes(family)
    ? payloadTopic({
        tenant: 't',
        deviceId: 'd',
        format: c.payload.format,
        profileId: 'p',
        threshold: p.renewalThresholdPercentage,
      })
    : '';
  return JSON.stringify([c.payload.bytes.toString('base64'), topic, challengeTermsOf(p, FACTS[family])]);
}

describe('SCEP settings: each reaches the payload, or is listed as unused (and indeed changes nothing)', () => {
  // displayName is admin-center text on Windows (the SyncML carries none), as for PKCS; the renewal
  // threshold travels beside the payload (the delivery's topic) and is honoured by the device's renewal
  // check (test/unit/agent-apple/scep-install.test.ts, test/unit/agent-android/scep-install.test.ts)
  const rows = SCEP_FAMILIES.flatMap((family) =>
    (PROFILE_FIELDS['scep-certificate'][family] as readonly string[])
      .filter(
        (f) =>
          !METADATA.includes(f) &&
          f !== 'renewalThresholdPercentage' &&
          !(family === 'windows' && f === 'displayName'),
      )
      .map((field) => ({ family, field })),
  );
  it('walks every field', () => expect(rows.length).toBe(71));

  it.each(rows)('$family $field', ({ family, field }) => {
    const extra = VARIANT[field];
    expect(extra, `no variant for ${field}`).toBeDefined();
    const base = valid(family);
    const input = scep(family, extra);
    for (const [k, v] of Object.entries(extra!)) if (v === undefined) delete input[k];
    const r = validateProfile(input);
    if (!r.ok) throw new Error(JSON.stringify(r.problems));
    const changed = r.value as ScepCertificateProfile;
    const unused = unusedSettingsOf(changed).filter((u) => u.path === field);
    const [before, after] = [payloadOf(base, family), payloadOf(changed, family)];
    expect(before.startsWith('compile:')).toBe(false);
    if (unused.length > 0) {
      expect(unused[0]!.code).toBe('PROFILE_SETTING_UNUSED');
      expect(unusedSettingsOf(base).filter((u) => u.path === field)).toEqual([]);
      if (SENT_BUT_OVERRIDDEN[`${family} ${field}`] !== undefined) expect(after).not.toBe(before);
      else expect(after).toBe(before);
      return;
    }
    expect(SENT_BUT_OVERRIDDEN[`${family} ${field}`], 'listed as sent but overridden').toBeUndefined();
    expect(after, `${field} changes nothing in the payload`).not.toBe(before);
  });
});
