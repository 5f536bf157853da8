/**
 * `certfleet profile import` of a SCEP Graph export (issue 14 point 5), as a user runs it (node
 * bin/certfleet.mjs): the summary names the Graph type and shows the SCEP settings read from it (flag enums,
 * key size, root link as not followed); `--json` prints a model that imports again to the same summary; an
 * Android device administrator SCEP export is refused with PROFILE_INVALID and prints nothing on stdout.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '../../..');
const BIN = join(ROOT, 'bin/certfleet.mjs');
let work: string;

const certfleet = (args: string[]) =>
  spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', cwd: ROOT });

beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'certfleet-cli-graph-scep-'));
  writeFileSync(
    join(work, 'scep.json'),
    JSON.stringify({
      '@odata.type': '#microsoft.graph.androidDeviceOwnerScepCertificateProfile',
      displayName: 'Contoso Wi-Fi SCEP',
      scepServerUrls: ['https://ndes.contoso.test/certsrv/mscep/mscep.dll'],
      keyUsage: 3,
      keySize: 'size4096',
      hashAlgorithm: 'sha1,sha2',
      certificateStore: 'machine',
      subjectNameFormat: 'commonNameAsIntuneDeviceId',
      certificateAccessType: 'specificApps',
      silentCertificateAccessDetails: [{ packageId: 'com.contoso.wifi' }],
      'rootCertificate@odata.bind':
        "https://graph.microsoft.com/beta/deviceManagement/deviceConfigurations('root-1')",
    }),
  );
  writeFileSync(
    join(work, 'device-admin.json'),
    JSON.stringify({
      '@odata.type': '#microsoft.graph.androidScepCertificateProfile',
      displayName: 'Legacy SCEP',
      scepServerUrls: ['https://ndes.contoso.test/certsrv/mscep/mscep.dll'],
    }),
  );
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('certfleet profile import with a SCEP Graph export', () => {
  it('summarises the SCEP settings it read, and the root link as not followed', () => {
    const r = certfleet(['profile', 'import', join(work, 'scep.json')]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(
      /^Contoso Wi-Fi SCEP — SCEP certificate profile for Android Enterprise \(fully managed/,
    );
    expect(r.stdout).toContain('(Graph #microsoft.graph.androidDeviceOwnerScepCertificateProfile)');
    expect(r.stdout).toMatch(/SCEP servers\s+https:\/\/ndes\.contoso\.test\/certsrv\/mscep\/mscep\.dll/);
    expect(r.stdout).toMatch(/certificate type\s+device/);
    expect(r.stdout).toMatch(/key\s+RSA 4096, usage keyEncipherment \+ digitalSignature/);
    expect(r.stdout).toMatch(/hash\s+sha1 \+ sha2/);
    expect(r.stdout).toMatch(/certificate access\s+silent for com\.contoso\.wifi/);
    expect(r.stdout).toMatch(/no effect\s+rootCertificate@odata\.bind links a trusted-root profile/);
  });

  it('--json prints the model, which imports again to the same profile', () => {
    const first = certfleet(['profile', 'import', '--json', join(work, 'scep.json')]);
    expect(first.status, first.stderr).toBe(0);
    const model = JSON.parse(first.stdout) as Record<string, unknown>;
    expect(model).toMatchObject({
      kind: 'scep-certificate',
      family: 'android-device-owner',
      keyUsage: ['keyEncipherment', 'digitalSignature'],
      hashAlgorithm: ['sha1', 'sha2'],
      rootCertificateId: 'root-1',
    });
    writeFileSync(join(work, 'model.json'), first.stdout);
    const again = certfleet(['profile', 'import', '--json', join(work, 'model.json')]);
    expect(again.status, again.stderr).toBe(0);
    // `unused` is output, not settings: the export's properties without effect are the export's; the
    // settings nothing acts on are the model's too, so the model lists them again, at its own paths
    const { unused: _unused, ...settings } = model;
    const { unused: againUnused, ...againSettings } = JSON.parse(again.stdout) as Record<string, unknown>;
    expect(againSettings).toEqual(settings);
    expect((againUnused as { path: string; code?: string }[]).map((u) => [u.path, u.code])).toEqual([
      ['hashAlgorithm', 'PROFILE_SETTING_UNUSED'],
      ['rootCertificateId', 'PROFILE_SETTING_UNUSED'],
    ]);
  });

  it('refuses Android device administrator SCEP with PROFILE_INVALID, printing nothing on stdout', () => {
    const r = certfleet(['profile', 'import', join(work, 'device-admin.json')]);
    expect(r.status).toBe(3);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/^error PROFILE_INVALID: .*androidScepCertificateProfile/);
    expect(r.stderr).toMatch(/@odata\.type: SCEP profiles for Android device administrator/);
  });
});
