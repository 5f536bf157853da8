/**
 * Golden files: one trusted and one PKCS payload per platform, compiled with fixed ids (seededIds), a fixed
 * identity (fixed keys in test/golden/compile/keys, fixed serials, a seeded PKCS#12 random) and a seeded re-wrap random on Android, so
 * the bytes never change. `CERTFLEET_UPDATE_GOLDEN=1` rewrites them.
 */
import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { compileProfile, seededIds } from '../../../profiles/compile/index.ts';
import type { CompileResult } from '../../../profiles/compile/index.ts';
import { golden, goldenPath, xmllint } from '../../fixtures/golden.ts';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { join, relative } from 'node:path';
import type { ScepCertificateProfile } from '../../../profiles/model/scep-profile.ts';
import { FACTS, fixedIdentity, pkcsProfile, profileOf, seededRandom, trustedProfile } from './fixtures.ts';

const DIR = 'compile';

function compiled(make: () => CompileResult): Buffer {
  const r = make();
  if (!r.ok) throw new Error(r.outcome.message);
  return r.payload.bytes;
}

const CASES = [
  [
    'windows-trusted-root.xml',
    () => compileProfile(trustedProfile('windows'), FACTS.windows, { ids: seededIds('golden') }),
  ],
  [
    'windows-pkcs-user.xml',
    () =>
      compileProfile(pkcsProfile('windows'), FACTS.windows, {
        ids: seededIds('golden'),
        issued: fixedIdentity(),
        encryptPassword: (pw) => Buffer.from(`golden-cms:${pw.length}`).toString('base64'),
      }),
  ],
  [
    'macos-trusted-root.mobileconfig',
    () => compileProfile(trustedProfile('macos'), FACTS.macos, { ids: seededIds('golden') }),
  ],
  [
    'macos-pkcs.mobileconfig',
    () =>
      compileProfile(pkcsProfile('macos'), FACTS.macos, {
        ids: seededIds('golden'),
        issued: fixedIdentity(),
      }),
  ],
  [
    'ios-trusted-root.mobileconfig',
    () => compileProfile(trustedProfile('ios'), FACTS.ios, { ids: seededIds('golden') }),
  ],
  [
    'ios-pkcs.mobileconfig',
    () =>
      compileProfile(pkcsProfile('ios'), FACTS.ios, { ids: seededIds('golden'), issued: fixedIdentity() }),
  ],
  [
    'android-device-owner-trusted-root.json',
    () =>
      compileProfile(trustedProfile('android-device-owner'), FACTS['android-device-owner'], {
        ids: seededIds('golden'),
      }),
  ],
  [
    'android-device-owner-pkcs.json',
    () =>
      compileProfile(pkcsProfile('android-device-owner'), FACTS['android-device-owner'], {
        ids: seededIds('golden'),
        issued: fixedIdentity(),
        random: seededRandom('golden-android-rewrap'),
      }),
  ],
  [
    'windows-pkcs-device.xml',
    () =>
      compileProfile(
        pkcsProfile('windows', {
          certificateType: 'device',
          certificateTemplateName: 'CertfleetDevice',
          subjectNameFormatString: 'CN={{DeviceName}}',
          subjectAlternativeNameType: [],
          customSubjectAlternativeNames: [
            { sanType: 'domainNameService', name: '{{FullyQualifiedDomainName}}' },
          ],
          keyStorageProvider: 'useTpmKspOtherwiseFail',
        }),
        FACTS.windows,
        {
          ids: seededIds('golden'),
          issued: fixedIdentity(),
          encryptPassword: (pw) => Buffer.from(`golden-cms:${pw.length}`).toString('base64'),
        },
      ),
  ],
  ...(['android-work-profile', 'android-device-admin'] as const).flatMap(
    (family) =>
      [
        [
          // device administrator receives OMA-DM SyncML (Company Portal), not an AMAPI policy
          `${family}-trusted-root.${family === 'android-device-admin' ? 'xml' : 'json'}`,
          () => compileProfile(trustedProfile(family), FACTS[family], { ids: seededIds('golden') }),
        ],
        [
          `${family}-pkcs.${family === 'android-device-admin' ? 'xml' : 'json'}`,
          () =>
            compileProfile(pkcsProfile(family), FACTS[family], {
              ids: seededIds('golden'),
              issued: fixedIdentity(),
              random: seededRandom('golden-android-rewrap'),
            }),
        ],
      ] as const,
  ),
  ...(['android-work-profile', 'android-device-owner'] as const).map(
    (family) =>
      [
        // the ENROLL_SCEP command (docs/formats.md §3.5): no key material, the device makes its own
        `${family}-scep.json`,
        () =>
          compileProfile(scepProfile(family), FACTS[family], {
            ids: seededIds('golden'),
            scep: {
              url: 'https://ndes.contoso.com/certsrv/mscep/mscep.dll',
              challenge: 'golden-one-time-challenge',
              caFingerprint: Buffer.alloc(32, 0xca),
            },
          }),
      ] as const,
  ),
] as const;

/** The Android Enterprise SCEP profile of the golden files (SILENT access on fully managed devices). */
function scepProfile(family: 'android-work-profile' | 'android-device-owner'): ScepCertificateProfile {
  return profileOf({
    kind: 'scep-certificate',
    family,
    displayName: `Contoso Wi-Fi SCEP (${family})`,
    subjectNameFormat: 'custom',
    subjectNameFormatString: 'CN={{UserName}},O=Contoso',
    subjectAlternativeNameType: ['userPrincipalName'],
    scepServerUrls: ['https://ndes.contoso.com/certsrv/mscep/mscep.dll'],
    ...(family === 'android-device-owner' && {
      certificateAccess: { type: 'specificApps', packageIds: ['com.contoso.vpn'] },
    }),
  });
}

describe('compiled payloads are byte-stable (golden files)', () => {
  it.each(CASES)('%s', (name, make) => {
    const actual = compiled(make);
    expect(compiled(make).equals(actual)).toBe(true); // same inputs, same bytes
    expect(actual.equals(golden(DIR, name, actual))).toBe(true);
  });

  it.each(CASES.filter(([n]) => n.endsWith('.xml')))('%s is well-formed XML to xmllint', (name) => {
    expect(xmllint(goldenPath(DIR, name))).toBe('');
  });

  it.each(CASES.filter(([n]) => n.endsWith('.mobileconfig')))('%s parses in Python plistlib', (name) => {
    const out = execFileSync('python3', [
      '-c',
      'import plistlib,sys; p=plistlib.load(open(sys.argv[1],"rb")); print(p["PayloadType"], p["PayloadContent"][0]["PayloadType"])',
      goldenPath(DIR, name),
    ]).toString();
    expect(out.trim()).toMatch(/^Configuration com\.apple\.security\.(root|pkcs12)$/);
  });
});

describe('regression issue 3: a missing golden file fails instead of being written', () => {
  it('golden() throws naming the file and CERTFLEET_UPDATE_GOLDEN=1, and writes nothing', () => {
    const saved = process.env['CERTFLEET_UPDATE_GOLDEN'];
    delete process.env['CERTFLEET_UPDATE_GOLDEN'];
    try {
      expect(() => golden('compile', 'no-such-golden.bin', Buffer.from('x'))).toThrow(
        /golden file .*compile\/no-such-golden\.bin is missing\. Run the test with CERTFLEET_UPDATE_GOLDEN=1/,
      );
      expect(existsSync(goldenPath('compile', 'no-such-golden.bin'))).toBe(false);
    } finally {
      if (saved !== undefined) process.env['CERTFLEET_UPDATE_GOLDEN'] = saved;
    }
  });

  it('with CERTFLEET_UPDATE_GOLDEN=1 it writes the file', () => {
    const saved = process.env['CERTFLEET_UPDATE_GOLDEN'];
    const dir = mkdtempSync(join(goldenPath('', ''), 'helper-test-'));
    process.env['CERTFLEET_UPDATE_GOLDEN'] = '1';
    try {
      expect(golden(relative(goldenPath('', ''), dir), 'new.bin', Buffer.from('abc')).toString()).toBe('abc');
    } finally {
      if (saved === undefined) delete process.env['CERTFLEET_UPDATE_GOLDEN'];
      else process.env['CERTFLEET_UPDATE_GOLDEN'] = saved;
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
