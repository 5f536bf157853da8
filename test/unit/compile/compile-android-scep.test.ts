/**
 * Issue 14 point 2 (Android Enterprise device payload): an Android work-profile or fully managed SCEP
 * profile compiles to certfleet's Android policy JSON with one ENROLL_SCEP command (docs/formats.md §3.5)
 * carrying the server URLs, the device's one-time challenge, the resolved subject and SANs, the key size, the
 * CA fingerprint and the key access rule — decoded strictly by the project's own codec; the codec refuses a
 * malformed command at its JSON path; a missing variable fails the compile as for PKCS.
 */
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { decodeAndroidPolicy } from '../../../profiles/android/policy-codec.ts';
import type { EnrollScepCommand } from '../../../profiles/android/scep-command.ts';
import { compileProfile, seededIds } from '../../../profiles/compile/index.ts';
import type { ScepCertificateProfile } from '../../../profiles/model/scep-profile.ts';
import { validateProfile } from '../../../profiles/model/validate-profile.ts';
import { FACTS } from './fixtures.ts';

type Family = 'android-work-profile' | 'android-device-owner';

function profile(family: Family, extra: Record<string, unknown> = {}): ScepCertificateProfile {
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
      { sanType: 'universalResourceIdentifier', name: 'urn:contoso:{{AAD_Device_ID}}' },
    ],
    scepServerUrls: [
      'https://ndes.contoso.com/certsrv/mscep/mscep.dll',
      'https://ndes2.contoso.com/certsrv/mscep/mscep.dll',
    ],
    keySize: 'size4096',
    ...extra,
  });
  if (!r.ok || r.value.kind !== 'scep-certificate') throw new Error(JSON.stringify(r));
  return r.value;
}

const FINGERPRINT = createHash('sha256').update('ca').digest();

function command(family: Family, p: ScepCertificateProfile, url?: string): EnrollScepCommand {
  const c = compileProfile(p, FACTS[family], {
    ids: seededIds('scep'),
    scep: {
      challenge: 'B64-one-time-challenge',
      caFingerprint: FINGERPRINT,
      ...(url !== undefined && { url }),
    },
  });
  if (!c.ok) throw new Error(c.outcome.message);
  expect(c.payload.format).toBe('android-policy');
  const d = decodeAndroidPolicy(c.payload.bytes);
  if (!d.ok) throw new Error(JSON.stringify(d.problems.map((x) => x.message)));
  // a SCEP profile carries no ONC certificate: the device makes the key and enrols for the certificate
  expect(d.policy.openNetworkConfiguration).toBeUndefined();
  expect(d.policy.certificateCommands).toHaveLength(1);
  const cmd = d.policy.certificateCommands![0]!;
  expect(cmd.type).toBe('ENROLL_SCEP');
  return cmd as EnrollScepCommand;
}

describe('ENROLL_SCEP from an Android Enterprise SCEP profile', () => {
  it.each(['android-work-profile', 'android-device-owner'] as const)(
    '%s: URLs in order, challenge, subject, SANs, key size, CA fingerprint, alias',
    (family) => {
      const c = command(family, profile(family));
      expect(c.serverUrls).toEqual([
        'https://ndes.contoso.com/certsrv/mscep/mscep.dll',
        'https://ndes2.contoso.com/certsrv/mscep/mscep.dll',
      ]);
      expect(c.challenge).toBe('B64-one-time-challenge');
      expect(c.subject).toBe('CN=ada.lovelace,OU=Research,O=Contoso');
      expect(c.subjectAltNames).toEqual([
        { type: 'UPN', value: 'ada@contoso.com' },
        { type: 'EMAIL', value: 'Ada.Lovelace@contoso.com' },
        { type: 'DNS', value: `${FACTS[family].attributes.deviceName}.contoso.com` },
        { type: 'URI', value: `urn:contoso:${FACTS[family].attributes.entraDeviceId}` },
      ]);
      expect(c.keySize).toBe(4096);
      expect(c.caFingerprint).toBe(FINGERPRINT.toString('hex'));
      expect(c.alias).toBe('certfleet-wi-fi-scep');
      expect(c.access).toEqual({ type: 'USER_APPROVAL' });
    },
  );

  it('fully managed: "grant silently for specific apps" becomes SILENT access for the packages', () => {
    const c = command(
      'android-device-owner',
      profile('android-device-owner', {
        certificateAccess: { type: 'specificApps', packageIds: ['com.contoso.vpn', 'com.contoso.mail'] },
      }),
    );
    expect(c.access).toEqual({ type: 'SILENT', packages: ['com.contoso.vpn', 'com.contoso.mail'] });
  });

  it('uses the run’s SCEP server URL alone when the enrolment names one', () => {
    const c = command('android-work-profile', profile('android-work-profile'), 'http://127.0.0.1:8080/scep');
    expect(c.serverUrls).toEqual(['http://127.0.0.1:8080/scep']);
  });

  it('a variable the device cannot supply fails the compile with VARIABLE_MISSING (as PKCS)', () => {
    const p = profile('android-work-profile', { subjectNameFormatString: 'CN={{IMEI}}' });
    const base = FACTS['android-work-profile'];
    const { imei: _imei, ...attributes } = base.attributes;
    const facts = {
      ...base,
      attributes,
      absent: { ...base.absent, imei: 'android12-work-profile' as const },
    };
    const r = compileProfile(p, facts, { ids: seededIds('scep'), scep: { challenge: 'c' } });
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.outcome.code).toBe('VARIABLE_MISSING');
  });

  it('without the device’s challenge the compile is refused with USAGE', () => {
    const r = compileProfile(profile('android-device-owner'), FACTS['android-device-owner'], {
      ids: seededIds('scep'),
    });
    expect(r.ok).toBe(false);
    if (!r.ok)
      expect([r.outcome.code, r.outcome.message]).toEqual(['USAGE', expect.stringMatching(/challenge/)]);
  });
});

const GOOD = {
  type: 'ENROLL_SCEP',
  alias: 'certfleet-wifi',
  serverUrls: ['https://ndes.contoso.com/certsrv/mscep/mscep.dll'],
  challenge: 'c',
  subject: 'CN=ada',
  subjectAltNames: [{ type: 'UPN', value: 'ada@contoso.com' }],
  keySize: 2048,
  access: { type: 'USER_APPROVAL' },
};
const policy = (c: Record<string, unknown>): string => JSON.stringify({ certificateCommands: [c] });

describe('decodeAndroidPolicy: a malformed ENROLL_SCEP is ANDROID_POLICY_INVALID at its path', () => {
  it('a good command decodes', () => expect(decodeAndroidPolicy(policy(GOOD)).ok).toBe(true));
  it.each([
    ['key size 3072', { keySize: 3072 }, '$.certificateCommands[0].keySize'],
    ['relative URL', { serverUrls: ['/scep'] }, '$.certificateCommands[0].serverUrls[0]'],
    ['no URL', { serverUrls: [] }, '$.certificateCommands[0].serverUrls'],
    [
      'unknown SAN type',
      { subjectAltNames: [{ type: 'IP', value: '10.0.0.1' }] },
      '$.certificateCommands[0].subjectAltNames[0].type',
    ],
    ['fingerprint not hex', { caFingerprint: 'AB:CD' }, '$.certificateCommands[0].caFingerprint'],
    ['empty challenge', { challenge: '' }, '$.certificateCommands[0].challenge'],
    ['unknown key', { keyUsage: 160 }, '$.certificateCommands[0].keyUsage'],
    ['no access', { access: undefined }, '$.certificateCommands[0].access'],
  ])('%s', (_n, change, path) => {
    const r = decodeAndroidPolicy(policy({ ...GOOD, ...change }));
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.problems.map((p) => [p.code, p.details.path])).toContainEqual(['ANDROID_POLICY_INVALID', path]);
  });
});
