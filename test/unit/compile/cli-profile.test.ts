/**
 * `certfleet profile import|compile` end to end: spawns `node bin/certfleet.mjs` as a user would, against the
 * real corpus samples (conformance material, read in place: test/fixtures/conformance.ts; project-made mirror
 * test/unit/conformance-own/cli-profile.test.ts), device files shaped like `certfleet device new --json`, and
 * a CA made by `ca init`.
 */
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newDeviceReport, type NewDeviceOptions } from '../../../agent/device/index.ts';
import { parseCertificate } from '../../../pki/index.ts';
import { parsePkcs12 } from '../../../pki/pkcs12.ts';
import { decodeMobileconfig } from '../../../profiles/apple/mobileconfig.ts';
import { decodePfxInstalls } from '../../../profiles/windows/pfx-cert-install.ts';
import { decodeSyncml } from '../../../profiles/windows/syncml-decode.ts';
import { certfleet as runCli } from '../../e2e/fixtures/certfleet-cli.ts';
import { conformancePath, itConformance } from '../../fixtures/conformance.ts';

const ROOT = resolve(import.meta.dirname, '../../..');
const MAC_PKCS_REL =
  'corpus/graph-json/deploymenttheory-tfprovider-m365__macos_device_configuration_templates__post_macos_pkcs_certificate_success.json';
const MAC_TRUSTED_REL =
  'corpus/graph-json/deploymenttheory-tfprovider-m365__macos_device_configuration_templates__post_macos_trusted_certificate_success.json';
const MAC_PKCS = conformancePath(MAC_PKCS_REL);
const MAC_TRUSTED = conformancePath(MAC_TRUSTED_REL);

/**
 * Runs the CLI in a child process without blocking (test/e2e/fixtures/certfleet-cli.ts), so the describes
 * below can be concurrent: each test writes its own files, and one CLI's start-up (~1 s of CPU) overlaps
 * another's on the other core.
 */
async function certfleet(args: string[]): Promise<{ status: number; stdout: string; stderr: string }> {
  const r = await runCli(args, { cwd: ROOT });
  return { status: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

let work: string;
const file = (name: string): string => join(work, name);
const writeJson = (name: string, value: unknown): string => {
  writeFileSync(file(name), JSON.stringify(value, null, 2));
  return file(name);
};
const deviceFile = (name: string, o: NewDeviceOptions): string =>
  writeJson(name, newDeviceReport({ seed: 'cli', ...o }));

const PKCS = {
  kind: 'pkcs-certificate',
  displayName: 'Contoso Wi-Fi',
  certificationAuthority: 'ca01.certfleet.test\\Certfleet Issuing CA',
  certificationAuthorityName: 'Certfleet Issuing CA',
  certificateTemplateName: 'CertfleetUser',
  certificateType: 'user',
  subjectNameFormat: 'custom',
  subjectNameFormatString: 'CN={{UserName}}',
  subjectAlternativeNameType: ['userPrincipalName'],
};

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'certfleet-cli-profile-'));
  const r = await certfleet(['ca', 'init', '--dir', file('ca')]);
  expect(r.status).toBe(0);
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe.concurrent('certfleet profile import', () => {
  itConformance('prints a readable summary of the real Graph PKCS sample', MAC_PKCS_REL, async () => {
    const r = await certfleet(['profile', 'import', MAC_PKCS]);
    expect([r.status, r.stderr]).toEqual([0, '']);
    expect(r.stdout).toMatch(
      /PKCS certificate profile for macOS \(Graph #microsoft\.graph\.macOSPkcsCertificateProfile\)/,
    );
    expect(r.stdout).toMatch(/template\s+UserAuthentication/);
    expect(r.stdout).toMatch(/deployment channel\s+userChannel/);
  });

  for (const [sample, rel] of [
    [MAC_PKCS, MAC_PKCS_REL],
    [MAC_TRUSTED, MAC_TRUSTED_REL],
  ] as const)
    itConformance(
      `--json prints the model, which imports again to the same model (${rel})`,
      rel,
      async () => {
        const first = await certfleet(['profile', 'import', sample, '--json']);
        expect(first.status).toBe(0);
        const model = JSON.parse(first.stdout) as Record<string, unknown>;
        expect(model['family']).toBe('macos');
        const again = await certfleet([
          'profile',
          'import',
          writeJson(`model-${rel.split('__').pop()!}`, model),
          '--json',
        ]);
        expect(again.status).toBe(0);
        // the export's properties without effect (`unused`) are the export's, not the model's
        const { unused: _unused, ...settings } = model;
        expect(JSON.parse(again.stdout)).toEqual(settings);
      },
    );

  it('an invalid profile exits 3 (input cannot be loaded) and lists every problem with its path', async () => {
    const bad = writeJson('bad.json', {
      '@odata.type': '#microsoft.graph.iosPkcsCertificateProfile',
      displayName: 'Bad',
      renewalThresholdPercentage: 120,
      certificationAuthority: 'ca01.contoso.com',
      certificationAuthorityName: 'Contoso CA',
      certificateTemplateName: 'User',
      subjectNameFormat: 'custom',
      subjectNameFormatString: 'CN={{UserName}}',
      certificateStore: 'nobody',
    });
    const r = await certfleet(['profile', 'import', bad]);
    expect(r.status).toBe(3);
    expect(r.stderr).toMatch(/^error PROFILE_INVALID: /);
    expect(r.stderr).toContain('renewalThresholdPercentage:');
    expect(r.stderr).toContain('certificateStore:');
  });

  it('JSON that does not parse exits 3 with GRAPH_PARSE and the line', async () => {
    writeFileSync(
      file('broken.json'),
      '{\n  "@odata.type": "#microsoft.graph.iosTrustedRootCertificate",\n  oops\n}',
    );
    const r = await certfleet(['profile', 'import', file('broken.json')]);
    expect(r.status).toBe(3);
    expect(r.stderr).toMatch(/^error GRAPH_PARSE: .*line 3/);
  });

  it.each([
    ['no file', ['profile', 'import'], 2, /^error USAGE: /],
    [
      'a file that does not exist',
      ['profile', 'import', '/nonexistent/p.json'],
      3,
      /^error IO: .*\/nonexistent\/p\.json/,
    ],
  ] as const)('%s → exit %s', async (_n, args, status, message) => {
    const r = await certfleet([...args]);
    expect(r.status).toBe(status);
    expect(r.stderr).toMatch(message);
  });
});

describe.concurrent('certfleet profile compile', () => {
  itConformance(
    'a trusted-certificate profile needs no CA and writes the .mobileconfig a Mac receives',
    MAC_TRUSTED_REL,
    async () => {
      const out = file('trusted.mobileconfig');
      const mac = deviceFile('mac.json', { platform: 'macos', kind: 'device' });
      const r = await certfleet([
        'profile',
        'compile',
        '--profile',
        MAC_TRUSTED,
        '--device',
        mac,
        '--out',
        out,
      ]);
      expect([r.status, r.stderr]).toEqual([0, '']);
      const decoded = decodeMobileconfig(readFileSync(out), { platform: 'macos' });
      expect(decoded.ok && decoded.profile.PayloadScope).toBe('System');
      expect(decoded.ok && decoded.profile.PayloadContent[0]?.PayloadType).toBe('com.apple.security.root');
    },
  );

  it('regression (QA walkthrough): an --out that cannot be written issues nothing (IO, exit 1)', async () => {
    // a copy of the shared CA: the other cases of this file issue from theirs at the same time
    const ca = file('ca-unwritable-out');
    cpSync(file('ca'), ca, { recursive: true });
    const issued = (): string => readFileSync(join(ca, 'issued.jsonl'), 'utf8');
    const before = issued();
    const profile = writeJson('win-pkcs-unwritable.json', { ...PKCS, family: 'windows' });
    const pc = deviceFile('pc-unwritable.json', { platform: 'windows', kind: 'entra-joined' });
    const out = join(file('no-such-folder'), 'pkcs.xml');
    const r = await certfleet([
      'profile',
      'compile',
      '--profile',
      profile,
      '--device',
      pc,
      '--ca',
      ca,
      '--out',
      out,
    ]);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/^error IO: Cannot write .*pkcs\.xml: the folder does not exist \(ENOENT\)\./m);
    expect(issued()).toBe(before); // before the fix: one more issued record, for a payload never written
  });

  it('a Windows PKCS profile is issued from --ca and written as the PFXCertInstall SyncML', async () => {
    const out = file('pkcs.xml');
    const pc = deviceFile('pc.json', { platform: 'windows', kind: 'entra-joined' });
    const profile = writeJson('win-pkcs.json', {
      ...PKCS,
      family: 'windows',
      keyStorageProvider: 'useSoftwareKsp',
    });
    const r = await certfleet([
      'profile',
      'compile',
      '--profile',
      profile,
      '--device',
      pc,
      '--ca',
      file('ca'),
      '--out',
      out,
      '--password',
      'Pw-123',
      '--seed',
      's1',
    ]);
    expect([r.status, r.stderr]).toEqual([0, '']);
    expect(r.stdout).not.toContain('Pw-123');
    const msg = decodeSyncml(readFileSync(out));
    if (!msg.ok) throw new Error('SyncML does not decode');
    const installs = decodePfxInstalls(msg.message).installs;
    expect(installs.map((i) => [i.install.scope, i.install.keyLocation, i.install.password])).toEqual([
      ['User', 3, 'Pw-123'],
    ]);
    const pfx = parsePkcs12(installs[0]!.install.pfxBlob, 'Pw-123');
    const leaf = parseCertificate(pfx.certificates[0]!);
    const user = (JSON.parse(readFileSync(pc, 'utf8')) as { device: { attributes: Record<string, string> } })
      .device.attributes;
    expect(leaf.subjectText).toBe(`CN=${user['userName']}`);
    expect(leaf.subjectAltName).toEqual([{ type: 'upn', value: user['userPrincipalName'] }]);
  });

  it.each([
    [
      'a Wi-Fi-only iPad',
      'ios',
      { platform: 'ios', kind: 'device', overrides: { modelId: 'apple-ipad-10-wifi' } },
      'not-reported',
    ],
    [
      'an Android 13 personally-owned work profile',
      'android-work-profile',
      {
        platform: 'android',
        kind: 'work-profile-personal',
        overrides: { modelId: 'google-pixel-8', osVersion: '13', enrolledOsVersion: '13' },
      },
      'android12-work-profile',
    ],
  ] as const)(
    '{{IMEI}} on %s exits 1 naming the variable, attribute and reason; nothing is written',
    async (_n, family, device, reason) => {
      const out = file(`imei-${family}.out`);
      const profile = writeJson(`imei-${family}.json`, {
        ...PKCS,
        family,
        certificateType: 'device',
        certificateTemplateName: 'CertfleetDevice',
        subjectNameFormatString: 'CN={{IMEI}}',
        subjectAlternativeNameType: [],
      });
      const r = await certfleet([
        'profile',
        'compile',
        '--profile',
        profile,
        '--device',
        deviceFile(`d-${family}.json`, device as NewDeviceOptions),
        '--ca',
        file('ca'),
        '--out',
        out,
      ]);
      expect(r.status).toBe(1);
      expect(r.stderr).toMatch(/^error VARIABLE_MISSING: \{\{IMEI\}\} cannot be filled on this device/);
      expect(r.stderr).toContain(`attribute imei, reason ${reason}`);
      expect(existsSync(out)).toBe(false);
    },
  );

  it('an escaped comma in the subject exits 1 with SUBJECT_ESCAPED_CHARS and the quoted workaround', async () => {
    const profile = writeJson('escaped.json', {
      ...PKCS,
      family: 'ios',
      subjectNameFormatString: 'CN=Test user\\, LLC',
    });
    const r = await certfleet([
      'profile',
      'compile',
      '--profile',
      profile,
      '--device',
      deviceFile('phone.json', { platform: 'ios', kind: 'device' }),
      '--ca',
      file('ca'),
      '--out',
      file('escaped.out'),
    ]);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/^error SUBJECT_ESCAPED_CHARS: The subject "CN=Test user\\, LLC" escapes \\,/);
    expect(r.stderr).toContain('CN="Test user, LLC"');
  });

  it.each([
    [
      'a PKCS profile without --ca',
      (p: string, d: string) => ['--profile', p, '--device', d],
      /--ca is required/,
    ],
  ] as const)('%s → exit 2', async (_n, args, message) => {
    const profile = writeJson('usage.json', { ...PKCS, family: 'ios' });
    const d = deviceFile('usage-device.json', { platform: 'ios', kind: 'device' });
    const r = await certfleet(['profile', 'compile', ...args(profile, d), '--out', file('usage.out')]);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/^error USAGE: /);
    expect(r.stderr).toMatch(message);
  });
});

describe.concurrent(
  'regression issue 13: a device file that cannot be loaded is an input error, exit 3',
  () => {
    // written once for both cases (they run concurrently: neither rewrites a file the other's CLI is reading)
    let profile: string;
    beforeAll(() => {
      writeFileSync(file('not-json.txt'), 'platform: ios\n');
      profile = writeJson('input.json', { ...PKCS, family: 'ios' });
    });

    it.each([
      [
        'not a device (a profile)',
        (p: string) => p,
        /is not a device as `certfleet device new --json` prints it/,
      ],
      ['not JSON', () => file('not-json.txt'), /not-json\.txt is not JSON/],
    ] as const)('%s → exit 3, DEVICE_FILE_INVALID', async (_n, deviceOf, message) => {
      const r = await certfleet([
        'profile',
        'compile',
        '--profile',
        profile,
        '--device',
        deviceOf(profile),
        '--ca',
        file('ca'),
        '--out',
        file('input.out'),
      ]);
      expect(r.status).toBe(3);
      expect(r.stderr).toMatch(/^error DEVICE_FILE_INVALID: /);
      expect(r.stderr).toMatch(message);
    });
  },
);

describe.concurrent('regression issue 3: advisory warnings are shown, and do not fail', () => {
  const DEVICE_ID_WARNING =
    /^warning VARIABLE_ADVISORY: subjectNameFormatString: avoid \{\{DeviceId\}\} in a Windows subject/m;

  it.each([false, true])(
    'profile import (--json %s) prints the {{DeviceId}} warning on stderr',
    async (json) => {
      const profile = writeJson(`warn-import-${json}.json`, {
        ...PKCS,
        family: 'windows',
        subjectNameFormatString: 'CN={{DeviceId}}',
      });
      const r = await certfleet(['profile', 'import', profile, ...(json ? ['--json'] : [])]);
      expect(r.status).toBe(0);
      expect(r.stderr).toMatch(DEVICE_ID_WARNING);
      if (json) expect((JSON.parse(r.stdout) as { family: string }).family).toBe('windows');
      else expect(r.stdout).toContain('PKCS certificate profile for Windows');
    },
  );

  it('a misspelt Graph property is listed with its likely correction, as text and in --json', async () => {
    const graph = writeJson('misspelt-graph.json', {
      '@odata.type': '#microsoft.graph.windows10PkcsCertificateProfile',
      displayName: 'Typo',
      certificationAuthority: 'ca01.contoso.com',
      certificationAuthorityName: 'Contoso CA',
      certificateTemplateName: 'User',
      certificateStore: 'user',
      subjectNameFormat: 'commonName',
      renewalThresholdPercentag: 30,
    });
    const correction =
      'renewalThresholdPercentag is not a property of #microsoft.graph.windows10PkcsCertificateProfile: did you mean renewalThresholdPercentage?; certfleet ignores it';
    const text = await certfleet(['profile', 'import', graph]);
    expect(text.status).toBe(0);
    expect(text.stdout).toMatch(/^ {2}ignored +renewalThresholdPercentag is not a property/m);
    expect(text.stdout).toContain(correction);
    const json = await certfleet(['profile', 'import', graph, '--json']);
    expect(json.status).toBe(0);
    const model = JSON.parse(json.stdout) as Record<string, unknown>;
    expect(model['unused']).toEqual([{ path: 'renewalThresholdPercentag', message: correction.slice(26) }]);
    expect(model['renewalThresholdPercentage']).toBe(20); // the default: the misspelt 30 had no effect
    // the printed model reads back: `unused` is output, not a setting
    const again = await certfleet(['profile', 'import', writeJson('misspelt-model.json', model), '--json']);
    expect(again.status).toBe(0);
    const { unused: _u, ...rest } = model;
    expect(JSON.parse(again.stdout)).toEqual(rest);
  });

  it('a Graph profile with an unquoted {{OnPrem_Distinguished_Name}} warns with the Graph path', async () => {
    const graph = writeJson('warn-graph.json', {
      '@odata.type': '#microsoft.graph.windows10PkcsCertificateProfile',
      displayName: 'DN',
      certificationAuthority: 'ca01.contoso.com',
      certificationAuthorityName: 'Contoso CA',
      certificateTemplateName: 'User',
      certificateStore: 'user',
      subjectNameFormat: 'custom',
      subjectNameFormatString: 'CN={{OnPrem_Distinguished_Name}}',
    });
    const r = await certfleet(['profile', 'import', graph, '--json']);
    expect(r.status).toBe(0);
    expect(r.stderr).toMatch(
      /^warning VARIABLE_ADVISORY: subjectNameFormatString: \{\{OnPrem_Distinguished_Name\}\} is a distinguished name .*quote it: CN="\{\{OnPrem_Distinguished_Name\}\}"/m,
    );
  });

  it('profile compile of CN={{OnPrem_Distinguished_Name}} on a hybrid device warns on stderr, writes, exits 0', async () => {
    const out = file('dn.xml');
    const profile = writeJson('warn-dn.json', {
      ...PKCS,
      family: 'windows',
      keyStorageProvider: 'useSoftwareKsp',
      subjectNameFormatString: 'CN={{OnPrem_Distinguished_Name}}',
    });
    const pc = deviceFile('hybrid.json', { platform: 'windows', kind: 'hybrid-joined' });
    const r = await certfleet([
      'profile',
      'compile',
      '--profile',
      profile,
      '--device',
      pc,
      '--ca',
      file('ca'),
      '--out',
      out,
    ]);
    expect(r.status).toBe(0);
    expect(r.stderr).toMatch(/^warning VARIABLE_ADVISORY: subjectNameFormatString: .*quote it/m);
    expect(r.stdout).toMatch(/certificate {2}CN=CN=/);
    expect(existsSync(out)).toBe(true);
  });

  it('the quoted form gives no warning', async () => {
    const profile = writeJson('warn-quoted.json', {
      ...PKCS,
      family: 'windows',
      subjectNameFormatString: 'CN="{{OnPrem_Distinguished_Name}}"',
    });
    const r = await certfleet(['profile', 'import', profile]);
    expect([r.status, r.stderr]).toEqual([0, '']);
  });
});

describe.concurrent('regression (QA walkthrough): profile import and compile say what a run says', () => {
  /** A Windows PKCS Graph export naming the CA of `ca init` (its config string and name). */
  const graphPkcs = (extra: Record<string, unknown> = {}): Record<string, unknown> => ({
    '@odata.type': '#microsoft.graph.windows10PkcsCertificateProfile',
    displayName: 'Contoso Wi-Fi (Graph)',
    certificationAuthority: 'ca01.certfleet.test\\Certfleet Issuing CA',
    certificationAuthorityName: 'Certfleet Issuing CA',
    certificateTemplateName: 'CertfleetUser',
    certificateStore: 'user',
    subjectNameFormat: 'custom',
    subjectNameFormatString: 'CN={{UserName}}',
    subjectAlternativeNameType: 'userPrincipalName',
    keyStorageProvider: 'useSoftwareKsp',
    ...extra,
  });
  const serverAuth = {
    extendedKeyUsages: [{ name: 'Server Authentication', objectIdentifier: '1.3.6.1.5.5.7.3.1' }],
  };
  const EKU_UNUSED =
    'extendedKeyUsages has no effect [PROFILE_SETTING_UNUSED]: the issued certificate carries the EKUs of its certificate template';

  it('a trusted root exported as base64 of a PEM .cer compiles with the true SHA-1 node name and the DER', async () => {
    const der = readFileSync(file('ca/root.cer'));
    const pem = readFileSync(file('ca/root.pem'), 'utf8');
    expect(pem).toMatch(/^-----BEGIN CERTIFICATE-----/);
    const profile = writeJson('root-pem.json', {
      '@odata.type': '#microsoft.graph.windows81TrustedRootCertificate',
      displayName: 'Root (Base-64 .cer)',
      certFileName: 'root.cer',
      destinationStore: 'computerCertStoreRoot',
      trustedRootCertificate: Buffer.from(pem).toString('base64'),
    });
    const imported = await certfleet(['profile', 'import', profile, '--json']);
    expect([imported.status, imported.stderr]).toEqual([0, '']);
    expect((JSON.parse(imported.stdout) as { certificate: string }).certificate).toBe(der.toString('base64'));
    const out = file('root-pem.xml');
    const r = await certfleet([
      'profile',
      'compile',
      '--profile',
      profile,
      '--device',
      deviceFile('pc-root-pem.json', { platform: 'windows', kind: 'entra-joined' }),
      '--out',
      out,
    ]);
    expect([r.status, r.stderr]).toEqual([0, '']);
    const sha1 = parseCertificate(der).sha1Thumbprint;
    const xml = readFileSync(out, 'utf8');
    expect(xml).toContain(`./Device/Vendor/MSFT/RootCATrustedCertificates/Root/${sha1}/EncodedCertificate`);
    expect(xml).toContain(der.toString('base64'));
  });

  it('profile import lists a setting without effect (PROFILE_SETTING_UNUSED), as text and in --json', async () => {
    const profile = writeJson('unused-eku.json', graphPkcs(serverAuth));
    const text = await certfleet(['profile', 'import', profile]);
    expect(text.status).toBe(0);
    expect(text.stdout).toMatch(
      /^ {2}no effect +extendedKeyUsages has no effect \[PROFILE_SETTING_UNUSED\]: /m,
    );
    expect(text.stdout).toContain(EKU_UNUSED);
    const json = await certfleet(['profile', 'import', profile, '--json']);
    expect(json.status).toBe(0);
    expect((JSON.parse(json.stdout) as { unused: unknown }).unused).toEqual([
      {
        path: 'extendedKeyUsages',
        message: expect.stringContaining(EKU_UNUSED.slice('extendedKeyUsages '.length)),
        code: 'PROFILE_SETTING_UNUSED',
      },
    ]);
  });

  it.each([
    [
      'EKUs on macOS SCEP',
      {
        '@odata.type': '#microsoft.graph.macOSScepCertificateProfile',
        scepServerUrls: ['https://ndes.contoso.test/certsrv/mscep/mscep.dll'],
        ...serverAuth,
      },
      'extendedKeyUsages',
    ],
    [
      'keyUsage on Android device-owner SCEP',
      {
        '@odata.type': '#microsoft.graph.androidDeviceOwnerScepCertificateProfile',
        scepServerUrls: ['https://ndes.contoso.test/certsrv/mscep/mscep.dll'],
        keyUsage: 'digitalSignature',
      },
      'keyUsage',
    ],
    [
      'a DigiCert CA type on Android device-owner PKCS',
      {
        '@odata.type': '#microsoft.graph.androidDeviceOwnerPkcsCertificateProfile',
        certificationAuthority: 'ca01.certfleet.test',
        certificationAuthorityName: 'Certfleet Issuing CA',
        certificateTemplateName: 'CertfleetUser',
        certificationAuthorityType: 'digiCert',
      },
      'certificationAuthorityType',
    ],
  ] as const)('profile import lists %s as without effect', async (_n, json, path) => {
    const profile = writeJson(`unused-${path}.json`, { displayName: 'Unused', ...json });
    const r = await certfleet(['profile', 'import', profile, '--json']);
    expect(r.status, r.stderr).toBe(0);
    const unused = (JSON.parse(r.stdout) as { unused?: { path: string; code?: string }[] }).unused ?? [];
    expect(unused.filter((u) => u.code === 'PROFILE_SETTING_UNUSED').map((u) => u.path)).toEqual([path]);
  });

  it('profile compile says a setting without effect on stderr, writes the payload and exits 0', async () => {
    const out = file('unused-eku.xml');
    const r = await certfleet([
      'profile',
      'compile',
      '--profile',
      writeJson('unused-eku-compile.json', graphPkcs(serverAuth)),
      '--device',
      deviceFile('pc-unused-eku.json', { platform: 'windows', kind: 'entra-joined' }),
      '--ca',
      file('ca'),
      '--out',
      out,
    ]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toMatch(
      /^warning PROFILE_SETTING_UNUSED: extendedKeyUsages: the issued certificate carries the EKUs of its certificate template/m,
    );
    expect(existsSync(out)).toBe(true);
  });

  it('profile compile of a profile naming another CA fails CA_UNAVAILABLE as a run does; nothing issued or written', async () => {
    // a copy of the shared CA: the other cases of this file issue from theirs at the same time
    const ca = file('ca-other-authority');
    cpSync(file('ca'), ca, { recursive: true });
    const issued = (): string => readFileSync(join(ca, 'issued.jsonl'), 'utf8');
    const before = issued();
    const out = file('other-ca.xml');
    const r = await certfleet([
      'profile',
      'compile',
      '--profile',
      writeJson(
        'other-ca.json',
        graphPkcs({
          certificationAuthority: 'ca99.contoso.com\\Other CA',
          certificationAuthorityName: 'Other CA',
        }),
      ),
      '--device',
      deviceFile('pc-other-ca.json', { platform: 'windows', kind: 'entra-joined' }),
      '--ca',
      ca,
      '--out',
      out,
    ]);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/^error CA_UNAVAILABLE: The connector cannot reach the CA the profile names/);
    expect(r.stderr).toContain("certificationAuthority 'ca99.contoso.com\\Other CA'");
    expect(r.stderr).toContain('0x800706BA');
    expect(r.stderr).toContain(`--ca ${ca} (ca01.certfleet.test\\Certfleet Issuing CA)`);
    expect(existsSync(out)).toBe(false);
    expect(issued()).toBe(before);
  });
});
