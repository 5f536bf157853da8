/**
 * Imported PKCS (issue 14 point 3 and its part of point 5): the `pkcs-imported-certificate` model and its
 * validation, compilation in each family's PKCS wrapping around the user's imported PFX, and the Graph
 * `…ImportedPFXCertificateProfile` round trip of all six families.
 */
import { describe, expect, it } from 'vitest';
import { parsePkcs12 } from '../../../pki/pkcs12.ts';
import { readDeviceAdminMessage } from '../../../profiles/android/device-admin-syncml.ts';
import type { Pkcs12CertificatePayload } from '../../../profiles/apple/mobileconfig-types.ts';
import { compileProfile, seededIds } from '../../../profiles/compile/index.ts';
import { exportGraphProfile, importGraphProfile } from '../../../profiles/graph/index.ts';
import { PROFILE_FAMILIES } from '../../../profiles/model/platform.ts';
import { unusedSettingsOf } from '../../../profiles/model/unused-settings.ts';
import { validateProfile } from '../../../profiles/model/validate-profile.ts';
import { decodeSyncml } from '../../../profiles/windows/syncml-decode.ts';
import { decodeAndroid, decodeApple, decodePfx, payloadOf } from '../compile/decode.ts';
import { FACTS, PFX_PASSWORD, fixedIdentity, seededRandom } from '../compile/fixtures.ts';
import { importedProfile } from '../compile/imported-fixtures.ts';

const identity = fixedIdentity();
const compile = (family: (typeof PROFILE_FAMILIES)[number], extra: Record<string, unknown> = {}) =>
  payloadOf(
    compileProfile(importedProfile(family, extra), FACTS[family], {
      ids: seededIds('t'),
      random: seededRandom('r'),
      issued: identity,
    }),
  );

describe('model: validation of a pkcs-imported-certificate profile', () => {
  it('fills the defaults of each family', () => {
    expect(importedProfile('windows')).toMatchObject({
      intendedPurpose: 'smimeEncryption',
      renewalThresholdPercentage: 20,
      keyStorageProvider: 'useTpmKspOtherwiseUseSoftwareKsp',
    });
    expect(importedProfile('macos')).toMatchObject({ deploymentChannel: 'deviceChannel' });
    expect(importedProfile('android-device-owner')).toMatchObject({
      certificateAccess: { type: 'userApproval' },
    });
  });

  it('refuses a missing or unknown intendedPurpose, naming the purposes', () => {
    const base = { kind: 'pkcs-imported-certificate', family: 'ios', displayName: 'S/MIME' };
    const missing = validateProfile(base);
    expect(missing.ok).toBe(false);
    if (missing.ok) return;
    expect(missing.problems).toEqual([
      expect.objectContaining({
        path: 'intendedPurpose',
        code: 'PROFILE_INVALID',
        rule: expect.stringMatching(/smimeEncryption/),
      }),
    ]);
    const unknown = validateProfile({ ...base, intendedPurpose: 'smime' });
    expect(unknown.ok).toBe(false);
    if (unknown.ok) return;
    expect(unknown.problems.map((p) => [p.path, p.code])).toEqual([['intendedPurpose', 'PROFILE_INVALID']]);
  });

  it('refuses settings of other families and of PKCS (an imported certificate is made elsewhere)', () => {
    const r = validateProfile({
      kind: 'pkcs-imported-certificate',
      family: 'ios',
      displayName: 'S/MIME',
      intendedPurpose: 'smimeEncryption',
      keyStorageProvider: 'useSoftwareKsp',
      certificateTemplateName: 'User',
    });
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.problems.map((p) => [p.path, p.rule])).toEqual([
      ['keyStorageProvider', 'does not apply to iOS/iPadOS PKCS imported certificate profiles'],
      ['certificateTemplateName', 'does not apply to iOS/iPadOS PKCS imported certificate profiles'],
    ]);
  });

  it('says a renewal threshold has no effect (an imported certificate is re-imported, not renewed)', () => {
    expect(unusedSettingsOf(importedProfile('windows'))).toEqual([]);
    expect(unusedSettingsOf(importedProfile('windows', { renewalThresholdPercentage: 30 }))).toEqual([
      expect.objectContaining({ code: 'PROFILE_SETTING_UNUSED', path: 'renewalThresholdPercentage' }),
    ]);
  });
});

describe('compile: the imported PFX in each family’s PKCS wrapping', () => {
  it.each([
    ['useTpmKspOtherwiseUseSoftwareKsp', 2],
    ['useSoftwareKsp', 3],
  ] as const)(
    'Windows %s → PFXCertInstall in the user scope, key location %i, the PFX as imported',
    (ksp, loc) => {
      const p = compile('windows', { keyStorageProvider: ksp });
      const installs = decodePfx(p);
      expect(installs).toHaveLength(1);
      const i = installs[0]!.install;
      expect([i.scope, i.keyLocation]).toEqual(['User', loc]);
      expect(i.pfxBlob.equals(identity.pfx)).toBe(true);
      expect(p.bytes.toString('utf8')).toContain(
        './User/Vendor/MSFT/ClientCertificateInstall/PFXCertInstall/',
      );
    },
  );

  it.each([
    ['macos', 'deviceChannel', 'System'],
    ['macos', 'userChannel', 'User'],
    ['ios', undefined, undefined],
  ] as const)(
    '%s %s → com.apple.security.pkcs12, PayloadScope %s, the imported certificate',
    (family, channel, scope) => {
      const decoded = decodeApple(
        compile(family, channel === undefined ? {} : { deploymentChannel: channel }),
        family,
      );
      expect(decoded.PayloadScope).toBe(scope);
      const payload = decoded.PayloadContent[0] as Pkcs12CertificatePayload;
      expect(payload.PayloadType).toBe('com.apple.security.pkcs12');
      expect(payload.AllowAllAppsAccess).toBe(family === 'macos' ? false : undefined);
      const opened = parsePkcs12(payload.PayloadContent, payload.Password ?? '');
      expect(opened.certificates[0]?.equals(identity.leaf.der)).toBe(true);
    },
  );

  it.each([
    ['android-work-profile', {}, { type: 'USER_APPROVAL' }],
    [
      'android-device-owner',
      { certificateAccess: { type: 'specificApps', packageIds: ['com.contoso.mail'] } },
      { type: 'SILENT', packages: ['com.contoso.mail'] },
    ],
  ] as const)('%s → ONC Client + INSTALL_KEY_PAIR with access %j', (family, extra, access) => {
    const policy = decodeAndroid(compile(family, extra));
    const client = policy.openNetworkConfiguration?.Certificates[0];
    expect(client?.Type).toBe('Client');
    if (client?.Type !== 'Client') throw new Error('no Client certificate');
    expect(parsePkcs12(client.PKCS12, '').certificates[0]?.equals(identity.leaf.der)).toBe(true);
    expect(policy.certificateCommands).toEqual([
      expect.objectContaining({ type: 'INSTALL_KEY_PAIR', pkcs12Guid: client.GUID, access }),
    ]);
  });

  it('Android device administrator → the CertificateStore PKCS Atomic with the imported PFX', () => {
    const xml = compile('android-device-admin').bytes.toString('utf8');
    const d = decodeSyncml(xml);
    if (!d.ok) throw new Error('SyncML does not decode');
    const pkcs = readDeviceAdminMessage(d.message).installs[0];
    expect(pkcs?.kind).toBe('pkcs');
    if (pkcs?.kind !== 'pkcs') return;
    expect(pkcs.password).toBe(PFX_PASSWORD);
    const opened = parsePkcs12(Buffer.from(pkcs.encoded, 'base64'), PFX_PASSWORD);
    expect(opened.certificates[0]?.equals(identity.leaf.der)).toBe(true);
  });

  it('without the imported PFX nothing is compiled (USAGE), and another family’s device is refused', () => {
    const none = compileProfile(importedProfile('ios'), FACTS.ios, { ids: seededIds('t') });
    expect(none.ok ? '' : none.outcome.code).toBe('USAGE');
    const other = compileProfile(importedProfile('ios'), FACTS.windows, {
      ids: seededIds('t'),
      issued: identity,
    });
    expect(other.ok ? '' : other.outcome.code).toBe('PROFILE_INVALID');
  });
});

describe('Graph: …ImportedPFXCertificateProfile of every family', () => {
  const EXTRA: Record<string, Record<string, unknown>> = {
    windows: { keyStorageProvider: 'useSoftwareKsp', intendedPurpose: 'smimeSigning' },
    macos: { deploymentChannel: 'userChannel', intendedPurpose: 'vpn' },
    ios: { intendedPurpose: 'wifi', renewalThresholdPercentage: 30 },
    'android-work-profile': { intendedPurpose: 'unassigned' },
    'android-device-owner': { certificateAccess: { type: 'specificApps', packageIds: ['com.contoso.mail'] } },
    'android-device-admin': { id: 'f0e1d2c3', description: 'S/MIME for everyone' },
  };
  it.each(PROFILE_FAMILIES.flatMap((f) => [[f, 'name'] as const, [f, 'number'] as const]))(
    '%s round-trips (enums by %s)',
    (family, enums) => {
      const p = importedProfile(family, EXTRA[family]);
      const json = exportGraphProfile(p, { enums });
      expect(json['@odata.type']).toMatch(/^#microsoft\.graph\.\w+ImportedPFXCertificateProfile$/);
      const back = importGraphProfile(JSON.parse(JSON.stringify(json)));
      if (!back.ok) throw back.error;
      expect(back.profile).toEqual(p);
      expect(back.unused).toEqual([]);
    },
  );

  it('reads the intendedPurpose numbers of the Graph enum (smimeEncryption = 2)', () => {
    const r = importGraphProfile({
      '@odata.type': '#microsoft.graph.iosImportedPFXCertificateProfile',
      displayName: 'S/MIME',
      intendedPurpose: 2,
    });
    if (!r.ok) throw r.error;
    expect(r.profile).toMatchObject({
      kind: 'pkcs-imported-certificate',
      intendedPurpose: 'smimeEncryption',
    });
  });

  it('lists the inherited subject/validity/EKU properties as having no effect, and refuses PKCS-only ones', () => {
    const r = importGraphProfile({
      '@odata.type': '#microsoft.graph.androidForWorkImportedPFXCertificateProfile',
      displayName: 'S/MIME',
      intendedPurpose: 'smimeEncryption',
      subjectNameFormat: 'commonNameAsEmail',
      subjectAlternativeNameType: 'none',
      certificateValidityPeriodValue: 1,
      certificateValidityPeriodScale: 'years',
      extendedKeyUsages: [{ name: 'Secure Email', objectIdentifier: '1.3.6.1.5.5.7.3.4' }],
    });
    if (!r.ok) throw r.error;
    expect(r.unused.map((u) => u.path)).toEqual([
      'subjectNameFormat',
      'certificateValidityPeriodValue',
      'certificateValidityPeriodScale',
      'extendedKeyUsages',
    ]);
    const bad = importGraphProfile({
      '@odata.type': '#microsoft.graph.windows10ImportedPFXCertificateProfile',
      displayName: 'S/MIME',
      intendedPurpose: 'smimeEncryption',
      certificateTemplateName: 'User',
    });
    expect(bad.ok).toBe(false);
    if (bad.ok) return;
    expect(bad.error.code).toBe('PROFILE_INVALID');
    expect(bad.problems.map((p) => p.path)).toContain('certificateTemplateName');
  });
});
