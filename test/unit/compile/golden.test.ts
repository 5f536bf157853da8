/**
 * Golden files: one trusted and one PKCS payload per platform, compiled with fixed ids (seededIds), a fixed
 * identity (fixed keys in test/golden/compile/keys, fixed serials, a seeded PKCS#12 random) and a seeded re-wrap random on Android, so
 * the bytes never change. `CERTFLEET_UPDATE_GOLDEN=1` rewrites them.
 */
import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { compileProfile, seededIds } from '../../../profiles/compile/index.ts';
import type { CompileResult } from '../../../profiles/compile/index.ts';
import { golden, goldenPath, xmllint } from '../windows/golden.ts';
import { FACTS, fixedIdentity, pkcsProfile, seededRandom, trustedProfile } from './fixtures.ts';

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
] as const;

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
