/**
 * One row per decode rule: a hand-written plist that breaks exactly that rule, and the exact problems a
 * strict device-side decoder must report (code, rule, key path). Plus the encoder's refusals.
 */
import { describe, expect, it } from 'vitest';
import { isCertfleetError } from '../../../pki/errors.ts';
import { decodeMobileconfig, encodeMobileconfig } from '../../../profiles/apple/mobileconfig.ts';
import { APPLE_PLATFORMS } from '../../../profiles/apple/mobileconfig-types.ts';
import type { AppleCertificateProfile, ApplePlatform } from '../../../profiles/apple/mobileconfig-types.ts';
import { sampleProfile } from './apple-fixtures.ts';

const HEAD =
  '<?xml version="1.0" encoding="UTF-8"?>\n' +
  '<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">\n';

/** A valid profile (both platforms): a root payload and a pkcs12 payload. */
const VALID = `${HEAD}<plist version="1.0">
<dict>
  <key>PayloadContent</key>
  <array>
    <dict>
      <key>PayloadContent</key>
      <data>MIIBAA==</data>
      <key>PayloadIdentifier</key>
      <string>com.example.root</string>
      <key>PayloadType</key>
      <string>com.apple.security.root</string>
      <key>PayloadUUID</key>
      <string>6a20a2f5-97e5-4fd5-ac76-0d7708778e68</string>
      <key>PayloadVersion</key>
      <integer>1</integer>
    </dict>
    <dict>
      <key>Password</key>
      <string>secret-value</string>
      <key>PayloadContent</key>
      <data>
      MIIJ0wIBAzCC
      </data>
      <key>PayloadIdentifier</key>
      <string>com.example.identity</string>
      <key>PayloadType</key>
      <string>com.apple.security.pkcs12</string>
      <key>PayloadUUID</key>
      <string>25cdd076-f1e7-4932-aa30-1d4240534fb0</string>
      <key>PayloadVersion</key>
      <integer>1</integer>
    </dict>
  </array>
  <key>PayloadIdentifier</key>
  <string>com.example.profile</string>
  <key>PayloadType</key>
  <string>Configuration</string>
  <key>PayloadUUID</key>
  <string>6594337c-742b-4841-bbed-76d79cdef34e</string>
  <key>PayloadVersion</key>
  <integer>1</integer>
</dict>
</plist>
`;

/** Replaces exactly one occurrence of `from` (fails loudly if the row's anchor is not unique). */
function edit(from: string, to: string, base = VALID): string {
  const at = base.indexOf(from);
  if (at < 0 || base.indexOf(from, at + 1) >= 0) throw new Error(`anchor not unique: ${from}`);
  return base.slice(0, at) + to + base.slice(at + from.length);
}
const TOP_VERSION = '<key>PayloadVersion</key>\n  <integer>1</integer>';
const P0_CONTENT = '<data>MIIBAA==</data>';
const P0_VERSION = '<key>PayloadVersion</key>\n      <integer>1</integer>\n    </dict>\n    <dict>';
const P1_PASSWORD = '<key>Password</key>';
const TOP_UUID = '<string>6594337c-742b-4841-bbed-76d79cdef34e</string>';
const P0_UUID = '<string>6a20a2f5-97e5-4fd5-ac76-0d7708778e68</string>';

type Row = {
  name: string;
  platforms: readonly ApplePlatform[];
  input: string | Buffer;
  expected: [code: string, rule: string, path: string][];
};
const BOTH = APPLE_PLATFORMS;
const rows: Row[] = [
  {
    name: 'not well-formed XML',
    platforms: BOTH,
    input: edit('</dict>\n</plist>', '</plist>'),
    expected: [['PLIST_PARSE', 'plist-syntax', '']],
  },
  { name: 'empty document', platforms: BOTH, input: '', expected: [['PLIST_PARSE', 'plist-syntax', '']] },
  {
    name: 'XML that is not a plist',
    platforms: BOTH,
    input: `${HEAD}<html><body/></html>`,
    expected: [['PLIST_PARSE', 'plist-syntax', '']],
  },
  {
    name: 'binary plist',
    platforms: BOTH,
    input: Buffer.from('bplist00\u00d0\u0008', 'latin1'),
    expected: [['PLIST_PARSE', 'plist-syntax', '']],
  },
  {
    name: 'not UTF-8',
    platforms: BOTH,
    input: Buffer.concat([Buffer.from(edit('com.example.profile', 'com.example.')), Buffer.from([0xff])]),
    expected: [['PLIST_PARSE', 'plist-syntax', '']],
  },
  {
    name: 'unknown plist element',
    platforms: BOTH,
    input: edit(TOP_VERSION, '<key>PayloadVersion</key>\n  <int>1</int>'),
    expected: [['PLIST_PARSE', 'plist-syntax', 'PayloadVersion']],
  },
  {
    name: 'non-numeric <integer>',
    platforms: BOTH,
    input: edit(TOP_VERSION, '<key>PayloadVersion</key>\n  <integer>one</integer>'),
    expected: [['PLIST_PARSE', 'plist-syntax', 'PayloadVersion']],
  },
  {
    name: 'partial <date>',
    platforms: BOTH,
    input: edit(TOP_VERSION, `${TOP_VERSION}\n  <key>RemovalDate</key>\n  <date>2030-01-31</date>`),
    expected: [['PLIST_PARSE', 'plist-syntax', 'RemovalDate']],
  },
  {
    name: 'stray text in a dict',
    platforms: BOTH,
    input: edit(TOP_VERSION, `${TOP_VERSION}\n  oops`),
    expected: [['PLIST_PARSE', 'plist-syntax', '']],
  },
  {
    name: 'duplicate key in one dict',
    platforms: BOTH,
    input: edit(TOP_VERSION, `${TOP_VERSION}\n  <key>PayloadVersion</key>\n  <integer>1</integer>`),
    expected: [['PLIST_PARSE', 'duplicate-key', 'PayloadVersion']],
  },
  {
    name: '<data> with incorrect padding',
    platforms: BOTH,
    input: edit(P0_CONTENT, '<data>MIIBAA=</data>'),
    expected: [['PLIST_PARSE', 'bad-base64', 'PayloadContent[0].PayloadContent']],
  },
  {
    name: '<data> holding an unsubstituted Fleet variable',
    platforms: BOTH,
    input: edit(P0_CONTENT, '<data>$FLEET_VAR_DIGICERT_DATA_{CA_NAME}</data>'),
    expected: [['PLIST_PARSE', 'bad-base64', 'PayloadContent[0].PayloadContent']],
  },
  {
    name: 'root is an <array>, not a <dict>',
    platforms: BOTH,
    input: `${HEAD}<plist version="1.0">\n<array/>\n</plist>\n`,
    expected: [['MOBILECONFIG_INVALID', 'wrong-type', '']],
  },
  {
    name: 'top-level PayloadType is not Configuration',
    platforms: BOTH,
    input: edit('<string>Configuration</string>', '<string>com.apple.security.pkcs12</string>'),
    expected: [['MOBILECONFIG_INVALID', 'bad-value', 'PayloadType']],
  },
  {
    name: '<string> where <data> is required',
    platforms: BOTH,
    input: edit(P0_CONTENT, '<string>MIIBAA==</string>'),
    expected: [['MOBILECONFIG_INVALID', 'wrong-type', 'PayloadContent[0].PayloadContent']],
  },
  {
    name: 'PayloadUUID that is not a UUID',
    platforms: BOTH,
    input: edit(TOP_UUID, '<string>my-profile-1</string>'),
    expected: [['MOBILECONFIG_INVALID', 'bad-uuid', 'PayloadUUID']],
  },
  {
    name: 'empty payload PayloadUUID',
    platforms: BOTH,
    input: edit(P0_UUID, '<string></string>'),
    expected: [['MOBILECONFIG_INVALID', 'bad-uuid', 'PayloadContent[0].PayloadUUID']],
  },
  {
    name: 'PayloadVersion <string>1</string>',
    platforms: BOTH,
    input: edit(TOP_VERSION, '<key>PayloadVersion</key>\n  <string>1</string>'),
    expected: [['MOBILECONFIG_INVALID', 'wrong-type', 'PayloadVersion']],
  },
  {
    name: 'PayloadVersion <integer>2</integer>',
    platforms: BOTH,
    input: edit(TOP_VERSION, '<key>PayloadVersion</key>\n  <integer>2</integer>'),
    expected: [['MOBILECONFIG_INVALID', 'bad-value', 'PayloadVersion']],
  },
  {
    name: 'payload PayloadVersion <real>1.0</real>',
    platforms: BOTH,
    input: edit(P0_VERSION, '<key>PayloadVersion</key>\n      <real>1.0</real>\n    </dict>\n    <dict>'),
    expected: [['MOBILECONFIG_INVALID', 'wrong-type', 'PayloadContent[0].PayloadVersion']],
  },
  {
    name: 'missing top-level PayloadIdentifier',
    platforms: BOTH,
    input: edit('<key>PayloadIdentifier</key>\n  <string>com.example.profile</string>\n', ''),
    expected: [['MOBILECONFIG_INVALID', 'missing-key', 'PayloadIdentifier']],
  },
  {
    name: 'missing payload PayloadContent',
    platforms: BOTH,
    input: edit(`<key>PayloadContent</key>\n      ${P0_CONTENT}\n`, ''),
    expected: [['MOBILECONFIG_INVALID', 'missing-key', 'PayloadContent[0].PayloadContent']],
  },
  {
    name: 'a payload that is not a <dict>',
    platforms: BOTH,
    input: edit('  </array>', '    <string>x</string>\n  </array>'),
    expected: [['MOBILECONFIG_INVALID', 'wrong-type', 'PayloadContent[2]']],
  },
  {
    name: 'unknown payload type',
    platforms: BOTH,
    input: edit('<string>com.apple.security.root</string>', '<string>com.apple.wifi.managed</string>'),
    expected: [['MOBILECONFIG_INVALID', 'unknown-payload-type', 'PayloadContent[0].PayloadType']],
  },
  {
    name: 'AllowAllAppsAccess on iOS',
    platforms: ['ios'],
    input: edit(P1_PASSWORD, `<key>AllowAllAppsAccess</key>\n      <true/>\n      ${P1_PASSWORD}`),
    expected: [['MOBILECONFIG_INVALID', 'platform-key', 'PayloadContent[1].AllowAllAppsAccess']],
  },
  {
    name: 'KeyIsExtractable on iOS',
    platforms: ['ios'],
    input: edit(P1_PASSWORD, `<key>KeyIsExtractable</key>\n      <false/>\n      ${P1_PASSWORD}`),
    expected: [['MOBILECONFIG_INVALID', 'platform-key', 'PayloadContent[1].KeyIsExtractable']],
  },
  {
    name: 'PayloadScope on iOS',
    platforms: ['ios'],
    input: edit(TOP_VERSION, `${TOP_VERSION}\n  <key>PayloadScope</key>\n  <string>System</string>`),
    expected: [['MOBILECONFIG_INVALID', 'platform-key', 'PayloadScope']],
  },
  {
    name: 'PayloadScope outside System/User',
    platforms: ['macos'],
    input: edit(TOP_VERSION, `${TOP_VERSION}\n  <key>PayloadScope</key>\n  <string>Everyone</string>`),
    expected: [['MOBILECONFIG_INVALID', 'bad-value', 'PayloadScope']],
  },
  {
    name: 'duplicate payload PayloadIdentifier',
    platforms: BOTH,
    input: edit('<string>com.example.identity</string>', '<string>com.example.root</string>'),
    expected: [['MOBILECONFIG_INVALID', 'duplicate-identifier', 'PayloadContent[1].PayloadIdentifier']],
  },
  {
    name: 'payload reusing the profile PayloadUUID',
    platforms: BOTH,
    input: edit(
      P0_UUID,
      TOP_UUID.toUpperCase().replace('<STRING>', '<string>').replace('</STRING>', '</string>'),
    ),
    expected: [['MOBILECONFIG_INVALID', 'duplicate-uuid', 'PayloadContent[0].PayloadUUID']],
  },
  {
    name: 'IsEncrypted true (not simulated)',
    platforms: BOTH,
    input: edit(TOP_VERSION, `${TOP_VERSION}\n  <key>IsEncrypted</key>\n  <true/>`),
    expected: [['MOBILECONFIG_INVALID', 'unsupported', 'IsEncrypted']],
  },
  {
    name: 'several breakages at once: every one reported',
    platforms: ['ios'],
    input: edit(
      TOP_VERSION,
      `<key>PayloadVersion</key>\n  <string>1</string>\n  <key>PayloadScope</key>\n  <string>User</string>`,
      edit(P0_CONTENT, '<string>x</string>', edit(P0_UUID, '<string></string>')),
    ),
    expected: [
      ['MOBILECONFIG_INVALID', 'wrong-type', 'PayloadContent[0].PayloadContent'],
      ['MOBILECONFIG_INVALID', 'bad-uuid', 'PayloadContent[0].PayloadUUID'],
      ['MOBILECONFIG_INVALID', 'wrong-type', 'PayloadVersion'],
      ['MOBILECONFIG_INVALID', 'platform-key', 'PayloadScope'],
    ],
  },
];

describe.each(APPLE_PLATFORMS)('decode on %s', (platform) => {
  it('the base plist of the negative table is valid', () => {
    const r = decodeMobileconfig(Buffer.from(VALID), { platform });
    expect(r.ok ? r.warnings : r.problems).toEqual([]);
  });

  it.each(rows.filter((r) => r.platforms.includes(platform)))('$name', ({ input, expected }) => {
    const bytes = Buffer.isBuffer(input) ? input : Buffer.from(input, 'utf8');
    const r = decodeMobileconfig(bytes, { platform });
    expect(r.ok).toBe(false);
    expect(r.raw.equals(bytes)).toBe(true);
    if (r.ok) return;
    expect(r.problems.map((p) => [p.code, p.rule, p.path])).toEqual(expected);
    for (const p of r.problems) {
      expect(p.message.length).toBeGreaterThan(15);
      expect(p.message).not.toContain('secret-value');
    }
  });

  it('reports where XML breaks (line and column)', () => {
    const r = decodeMobileconfig(
      Buffer.from(edit('<string>com.example.root</string>', '<string>com.example.root</strin>')),
      { platform },
    );
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.problems[0]).toMatchObject({ code: 'PLIST_PARSE', line: 11 });
    expect(r.problems[0]?.message).toMatch(/line 11, column \d+/);
  });

  it('reports schema problems with the line of the offending value', () => {
    const r = decodeMobileconfig(Buffer.from(edit(P0_CONTENT, '<string>MIIBAA==</string>')), { platform });
    expect(!r.ok && r.problems[0]?.line).toBe(9);
  });
});

describe('platform-only keys are fine on macOS', () => {
  it('AllowAllAppsAccess, KeyIsExtractable and PayloadScope decode on macOS', () => {
    const xml = edit(
      TOP_VERSION,
      `${TOP_VERSION}\n  <key>PayloadScope</key>\n  <string>User</string>`,
      edit(
        P1_PASSWORD,
        `<key>AllowAllAppsAccess</key>\n      <true/>\n      <key>KeyIsExtractable</key>\n      <false/>\n      ${P1_PASSWORD}`,
      ),
    );
    const r = decodeMobileconfig(Buffer.from(xml), { platform: 'macos' });
    expect(r.ok).toBe(true);
    expect(r.ok && r.profile.PayloadScope).toBe('User');
    expect(r.ok && r.profile.PayloadContent[1]).toMatchObject({
      AllowAllAppsAccess: true,
      KeyIsExtractable: false,
    });
  });
});

describe('encoder refusals', () => {
  const mac = (): AppleCertificateProfile => sampleProfile('com.apple.security.pkcs12', 'macos');
  const refusals: [name: string, platform: ApplePlatform, make: () => unknown, mentions: string][] = [
    [
      'AllowAllAppsAccess for iOS',
      'ios',
      () => ({ ...mac(), PayloadScope: undefined }),
      'AllowAllAppsAccess',
    ],
    [
      'KeyIsExtractable for iOS',
      'ios',
      () => ({
        ...mac(),
        PayloadScope: undefined,
        PayloadContent: [{ ...mac().PayloadContent[0], AllowAllAppsAccess: undefined }],
      }),
      'KeyIsExtractable',
    ],
    [
      'PayloadScope for iOS',
      'ios',
      () => ({ ...sampleProfile('com.apple.security.root', 'ios'), PayloadScope: 'System' }),
      'PayloadScope',
    ],
    [
      'PayloadScope outside System/User',
      'macos',
      () => ({ ...mac(), PayloadScope: 'Everyone' }),
      'PayloadScope',
    ],
    [
      'a SCEP payload carrying certificate-payload keys',
      'macos',
      () => ({
        ...mac(),
        PayloadContent: [{ ...mac().PayloadContent[0], PayloadType: 'com.apple.security.scep' }],
      }),
      'PayloadCertificateFileName',
    ],
    ['a key outside the schema', 'macos', () => ({ ...mac(), Foo: 'bar' }), 'Foo'],
    ['PayloadVersion 2', 'macos', () => ({ ...mac(), PayloadVersion: 2 }), 'PayloadVersion'],
    ['a non-UUID PayloadUUID', 'macos', () => ({ ...mac(), PayloadUUID: 'not-a-uuid' }), 'PayloadUUID'],
    [
      'a duplicated PayloadUUID',
      'macos',
      () => ({ ...mac(), PayloadUUID: '44444444-4444-4444-8444-444444444444' }),
      'used more than once',
    ],
    [
      'certificate bytes given as a string',
      'macos',
      () => ({ ...mac(), PayloadContent: [{ ...mac().PayloadContent[0], PayloadContent: 'MIIB' }] }),
      'PayloadContent[0].PayloadContent',
    ],
    [
      'a control character in a string',
      'macos',
      () => ({ ...mac(), PayloadDisplayName: 'bell\u0007' }),
      'PayloadDisplayName',
    ],
    ['no payloads array', 'macos', () => ({ ...mac(), PayloadContent: undefined }), 'PayloadContent'],
  ];
  it.each(refusals)('refuses %s with MOBILECONFIG_INVALID', (_name, platform, make, mentions) => {
    let thrown: unknown;
    try {
      encodeMobileconfig(make() as AppleCertificateProfile, { platform });
    } catch (e) {
      thrown = e;
    }
    expect(isCertfleetError(thrown, 'MOBILECONFIG_INVALID')).toBe(true);
    expect((thrown as Error).message).toContain(mentions);
    expect((thrown as Error).message).not.toContain('fixture-only');
  });
});
