/**
 * Issue 14 point 2 (scenario): inline `type: scep` profiles are read key by key into the SCEP model and
 * checked per family like PKCS profiles, every problem with its line; every family a SCEP profile has
 * (Windows, macOS, iOS and the two Android Enterprise families) loads; device administrator is refused.
 */
import { describe, expect, it } from 'vitest';
import { isCertfleetError } from '../../../pki/errors.ts';
import { loadScenario, type ScenarioProblem } from '../../../simulator/scenario/index.ts';
import { SCEP_SERVER_PLACEHOLDER } from '../../../simulator/scenario/read-scep-settings.ts';

const scenario = (scep: string): string =>
  [
    'name: t',
    'duration: 1d',
    'fleet:',
    '  devices: 4',
    'profiles:',
    '  - { name: Root, type: trusted-certificate, platforms: all, certificate: root }',
    `  - { name: Wi-Fi, type: scep, subject: "CN={{UserName}}", ${scep} }`,
  ].join('\n') + '\n';

function problems(text: string): ScenarioProblem[] {
  try {
    loadScenario({ text, file: 's.yaml' });
  } catch (e) {
    if (!isCertfleetError(e)) throw e;
    expect(e.code).toBe('SCENARIO_INVALID');
    return e.details['problems'] as ScenarioProblem[];
  }
  throw new Error('the scenario loaded');
}

describe('type: scep in a scenario', () => {
  it('loads for every family a SCEP profile has when every setting is valid (each device side enrols)', () => {
    const s = loadScenario({
      text: scenario(
        'platforms: [windows, macos, ios, android-work-profile, android-device-owner], keySize: 4096, keyUsage: [digitalSignature], hashAlgorithm: [sha2], renewalThreshold: 25, validity: 90d',
      ),
      file: 's.yaml',
    });
    const wifi = s.profiles.find((p) => p.name === 'Wi-Fi')!;
    expect(Object.keys(wifi.models).sort()).toEqual([
      'android-device-owner',
      'android-work-profile',
      'ios',
      'macos',
      'windows',
    ]);
  });

  it('loads for the Android Enterprise families, certificateAccess on fully managed devices', () => {
    const s = loadScenario({
      text: scenario(
        'platforms: [android-work-profile, android-device-owner], keySize: 4096, certificateAccess: [com.contoso.vpn]',
      ),
      file: 's.yaml',
    });
    const wifi = s.profiles.find((p) => p.name === 'Wi-Fi')!;
    expect(Object.keys(wifi.models).sort()).toEqual(['android-device-owner', 'android-work-profile']);
    const owner = wifi.models['android-device-owner'];
    expect(owner).toMatchObject({
      kind: 'scep-certificate',
      keySize: 'size4096',
      scepServerUrls: [SCEP_SERVER_PLACEHOLDER],
      certificateAccess: { type: 'specificApps', packageIds: ['com.contoso.vpn'] },
    });
  });

  it('loads for macOS and iOS, with the run server placeholder as its URL', () => {
    const s = loadScenario({ text: scenario('platforms: [macos, ios], keySize: 2048'), file: 's.yaml' });
    const wifi = s.profiles.find((p) => p.name === 'Wi-Fi')!;
    expect(Object.keys(wifi.models).sort()).toEqual(['ios', 'macos']);
    for (const m of Object.values(wifi.models)) {
      expect(m).toMatchObject({ kind: 'scep-certificate', keySize: 'size2048' });
      if (m?.kind === 'scep-certificate') expect(m.scepServerUrls).toEqual([SCEP_SERVER_PLACEHOLDER]);
    }
  });

  it('loads for Windows (issue 14 point 2: the PC enrols over ClientCertificateInstall/SCEP)', () => {
    const s = loadScenario({
      text: scenario(
        'platforms: [windows], keySize: 4096, hashAlgorithm: [sha2], keyStorageProvider: useSoftwareKsp',
      ),
      file: 's.yaml',
    });
    const wifi = s.profiles.find((p) => p.name === 'Wi-Fi')!;
    expect(Object.keys(wifi.models)).toEqual(['windows']);
    expect(wifi.models.windows).toMatchObject({
      kind: 'scep-certificate',
      keySize: 'size4096',
      keyStorageProvider: 'useSoftwareKsp',
      scepServerUrls: [SCEP_SERVER_PLACEHOLDER],
    });
  });

  it('lists the SCEP settings problems with their keys and lines besides the refusal', () => {
    const p = problems(
      scenario(
        'platforms: [windows, ios, android-work-profile], keySize: 3072, keyUsage: [nonRepudiation], hashAlgorithm: [sha2]',
      ),
    );
    const byPath = Object.fromEntries(p.map((x) => [x.path, x.message]));
    expect(byPath['profiles[1].keySize']).toMatch(/must be one of 1024, 2048, 4096/);
    expect(byPath['profiles[1].keyUsage[0]']).toMatch(/unknown keyUsage 'nonRepudiation'/);
    // hashAlgorithm is not a setting of iOS SCEP profiles (Graph iosScepCertificateProfile) but applies to Windows
    expect(Object.keys(byPath)).not.toContain('profiles[1].hashAlgorithm');
    expect(Object.keys(byPath)).not.toContain('profiles[1].type');
    expect(p.every((x) => x.line === 7)).toBe(true);
  });

  it('refuses keySize 1024 (an Intune option) with the reason: the simulated devices make 2048-bit RSA keys or larger', () => {
    const p = problems(scenario('platforms: [ios], keySize: 1024'));
    const byPath = Object.fromEntries(p.map((x) => [x.path, x.message]));
    expect(byPath['profiles[1].keySize']).toMatch(
      /1024 is an Intune option.*2048 bits or more only.*use 2048 or 4096/,
    );
    // 2048 and 4096 load
    for (const bits of [2048, 4096]) {
      const s = loadScenario({
        text: scenario(`platforms: [ios], keySize: ${String(bits)}`),
        file: 's.yaml',
      });
      expect(s.profiles[1]!.models['ios']).toMatchObject({ keySize: `size${String(bits)}` });
    }
  });

  it('refuses a PKCS-only key and the device-administrator family', () => {
    const p = problems(scenario('platforms: [android-device-admin], template: CertfleetUser'));
    const paths = p.map((x) => x.path);
    expect(paths).toContain('profiles[1].template');
    const family = p.find((x) => /not modelled by certfleet/.test(x.message));
    expect(family, JSON.stringify(p)).toBeDefined();
  });

  it('applies the PKCS variable rules (a user variable in a device certificate)', () => {
    const p = problems(scenario('platforms: [ios], certificateType: device'));
    expect(p.some((x) => x.path === 'profiles[1].subject' && /VARIABLE_NOT_ALLOWED/.test(x.message))).toBe(
      true,
    );
  });
});
