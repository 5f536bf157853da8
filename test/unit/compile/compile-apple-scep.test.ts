/**
 * Issue 14 point 2 (Apple device payload): a macOS/iOS SCEP profile compiles to a `.mobileconfig` whose
 * `com.apple.security.scep` payload carries the URL, the device's one-time challenge, the resolved subject and
 * SANs, the key size and usage — and decodes strictly with the project's own codec.
 */
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { decodeMobileconfig } from '../../../profiles/apple/mobileconfig.ts';
import type { ScepPayload } from '../../../profiles/apple/mobileconfig-types.ts';
import { compileProfile, seededIds } from '../../../profiles/compile/index.ts';
import { validateProfile } from '../../../profiles/model/validate-profile.ts';
import type { ScepCertificateProfile } from '../../../profiles/model/scep-profile.ts';
import { FACTS } from './fixtures.ts';

function profile(family: 'macos' | 'ios', extra: Record<string, unknown> = {}): ScepCertificateProfile {
  const r = validateProfile({
    kind: 'scep-certificate',
    family,
    displayName: 'Wi-Fi SCEP',
    subjectNameFormat: 'custom',
    subjectNameFormatString: 'CN={{UserName}},OU=Research,O=Contoso',
    customSubjectAlternativeNames: [
      { sanType: 'userPrincipalName', name: '{{UserPrincipalName}}' },
      { sanType: 'emailAddress', name: '{{EmailAddress}}' },
      { sanType: 'domainNameService', name: '{{DeviceName}}.contoso.com' },
    ],
    scepServerUrls: ['https://ndes.contoso.com/certsrv/mscep/mscep.dll'],
    keySize: 'size4096',
    keyUsage: ['digitalSignature'],
    ...extra,
  });
  if (!r.ok || r.value.kind !== 'scep-certificate') throw new Error(JSON.stringify(r));
  return r.value;
}

const FINGERPRINT = createHash('sha256').update('ca').digest();

function scepPayload(family: 'macos' | 'ios', p: ScepCertificateProfile, url?: string): ScepPayload {
  const c = compileProfile(p, FACTS[family], {
    ids: seededIds('scep'),
    scep: {
      challenge: 'B64-one-time-challenge',
      caFingerprint: FINGERPRINT,
      ...(url !== undefined && { url }),
    },
  });
  if (!c.ok) throw new Error(c.outcome.message);
  expect(c.payload.format).toBe('mobileconfig');
  const d = decodeMobileconfig(c.payload.bytes, { platform: family });
  if (!d.ok) throw new Error(JSON.stringify(d.problems));
  expect(d.profile.PayloadContent).toHaveLength(1);
  const payload = d.profile.PayloadContent[0]!;
  expect(payload.PayloadType).toBe('com.apple.security.scep');
  return payload as ScepPayload;
}

describe('com.apple.security.scep from a SCEP profile', () => {
  it.each(['macos', 'ios'] as const)('%s: URL, challenge, subject, SANs, key', (family) => {
    const c = scepPayload(family, profile(family)).PayloadContent;
    expect(c.URL).toBe('https://ndes.contoso.com/certsrv/mscep/mscep.dll');
    expect(c.Challenge).toBe('B64-one-time-challenge');
    // most significant RDN first, as Apple's example [[['C','US']],[['O','Apple Inc.']]]
    expect(c.Subject).toEqual([[['O', 'Contoso']], [['OU', 'Research']], [['CN', 'ada.lovelace']]]);
    expect(c.SubjectAltName).toEqual({
      ntPrincipalName: 'ada@contoso.com',
      rfc822Name: 'Ada.Lovelace@contoso.com',
      dNSName: 'ADA-DEVICE.contoso.com',
    });
    expect([c.Keysize, c['Key Type'], c['Key Usage']]).toEqual([4096, 'RSA', 1]);
    expect(Buffer.from(c.CAFingerprint!)).toEqual(FINGERPRINT);
    if (family === 'macos') expect([c.AllowAllAppsAccess, c.KeyIsExtractable]).toEqual([false, false]);
    else expect('AllowAllAppsAccess' in c || 'KeyIsExtractable' in c).toBe(false);
  });

  it('uses the run’s SCEP server URL when given, and both key-usage bits when both are set', () => {
    const c = scepPayload(
      'ios',
      profile('ios', { keyUsage: ['keyEncipherment', 'digitalSignature'] }),
      'http://127.0.0.1:8080/scep',
    ).PayloadContent;
    expect(c.URL).toBe('http://127.0.0.1:8080/scep');
    expect(c['Key Usage']).toBe(5);
  });

  it('macOS: a device certificate goes to the System keychain, a user certificate to the login keychain', () => {
    const compile = (p: ScepCertificateProfile) =>
      compileProfile(p, FACTS.macos, { ids: seededIds('s'), scep: { challenge: 'c' } });
    const user = compile(profile('macos'));
    const device = compile(
      profile('macos', {
        certificateType: 'device',
        subjectNameFormatString: 'CN={{DeviceName}}',
        customSubjectAlternativeNames: [],
      }),
    );
    const scope = (r: typeof user): unknown =>
      r.ok && r.payload.format === 'mobileconfig' ? r.payload.native.PayloadScope : 'not compiled';
    expect([scope(user), scope(device)]).toEqual(['User', 'System']);
  });

  it('fails with the PKCS outcomes: a variable the device cannot supply, a missing challenge', () => {
    const imei = compileProfile(profile('macos', { subjectNameFormatString: 'CN={{IMEI}}' }), FACTS.macos, {
      ids: seededIds('s'),
      scep: { challenge: 'c' },
    });
    expect(imei.ok).toBe(false);
    if (!imei.ok)
      expect([imei.outcome.kind, imei.outcome.code]).toEqual(['MissingVariable', 'VARIABLE_MISSING']);
    const noChallenge = compileProfile(profile('ios'), FACTS.ios, { ids: seededIds('s') });
    expect(noChallenge.ok).toBe(false);
    if (!noChallenge.ok) expect(noChallenge.outcome.code).toBe('USAGE');
    const wrongDevice = compileProfile(profile('ios'), FACTS.macos, {
      ids: seededIds('s'),
      scep: { challenge: 'c' },
    });
    expect(wrongDevice.ok).toBe(false);
  });
});
