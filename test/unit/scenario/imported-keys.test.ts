/**
 * The scenario keys of imported PKCS (issue 14 point 3; scenarios/README.md `profiles`, `importedPfx`): an
 * inline `type: pkcs-imported` profile and the top-level `importedPfx:` list, read strictly with coded,
 * placed problems; settings the run does not act on are said as warnings.
 */
import { describe, expect, it } from 'vitest';
import { isCertfleetError } from '../../../pki/errors.ts';
import { loadScenario, type ScenarioProblem } from '../../../simulator/scenario/index.ts';

const scenario = (profile: string, extra = ''): string =>
  [
    'name: t',
    'duration: 1d',
    'fleet: { devices: 2 }',
    'profiles:',
    `  - { name: S/MIME, type: pkcs-imported, platforms: [windows, ios], ${profile} }`,
    ...(extra === '' ? [] : [extra]),
    'expect:',
    '  - { text: all install, profile: S/MIME, status: installed }',
  ].join('\n') + '\n';

function problems(text: string): string[] {
  try {
    loadScenario({ text, file: 's.yaml' });
  } catch (e) {
    if (!isCertfleetError(e)) throw e;
    expect(e.code).toBe('SCENARIO_INVALID');
    return (e.details['problems'] as ScenarioProblem[]).map((p) => `${p.line}:${p.path}: ${p.message}`);
  }
  return [];
}

describe('type: pkcs-imported', () => {
  it('reads purpose and the family settings into one model per family', () => {
    const s = loadScenario({
      text: scenario('purpose: smimeSigning, keyStorageProvider: useSoftwareKsp'),
      file: 's.yaml',
    });
    const p = s.profiles[0]!;
    expect(p.kind).toBe('pkcs-imported-certificate');
    expect(p.models.windows).toMatchObject({
      intendedPurpose: 'smimeSigning',
      keyStorageProvider: 'useSoftwareKsp',
    });
    expect(p.models.ios).toMatchObject({ intendedPurpose: 'smimeSigning' });
    expect(p.models.ios).not.toHaveProperty('keyStorageProvider');
  });

  it('refuses a missing or unknown purpose, PKCS-only keys and keySize, each at its place', () => {
    expect(problems(scenario('keyStorageProvider: useSoftwareKsp'))).toEqual([
      expect.stringMatching(/^5:profiles\[0\]\.purpose: is required: .*smimeEncryption/),
    ]);
    expect(problems(scenario('purpose: smime'))).toEqual([
      expect.stringMatching(/^5:profiles\[0\]\.purpose: .*smimeEncryption/),
    ]);
    const pkcsKeys = problems(scenario('purpose: vpn, template: CertfleetUser, keySize: 4096'));
    expect(pkcsKeys.some((p) => p.includes('profiles[0].template'))).toBe(true);
    expect(pkcsKeys.some((p) => p.includes('profiles[0].keySize'))).toBe(true);
  });

  it('says a renewal threshold has no effect (a warning with PROFILE_SETTING_UNUSED), and loads', () => {
    const s = loadScenario({ text: scenario('purpose: wifi, renewalThreshold: 30'), file: 's.yaml' });
    expect(s.warnings?.map((w) => w.message).join('\n')).toMatch(/PROFILE_SETTING_UNUSED.*not renewed/);
  });
});

describe('importedPfx:', () => {
  it('reads purpose and where (default: every device)', () => {
    const s = loadScenario({
      text: scenario(
        'purpose: smimeEncryption',
        'importedPfx:\n  - { purpose: smimeEncryption, where: { platform: windows } }\n  - { purpose: vpn }',
      ),
      file: 's.yaml',
    });
    expect(s.importedPfx?.map((i) => [i.purpose, i.where])).toEqual([
      ['smimeEncryption', { platform: ['windows'] }],
      ['vpn', {}],
    ]);
  });

  it('refuses an unknown purpose, a missing purpose and an unknown key, at their places', () => {
    const found = problems(
      scenario(
        'purpose: smimeEncryption',
        'importedPfx:\n  - { purpose: mail }\n  - { where: all }\n  - { purpose: vpn, users: 3 }',
      ),
    );
    expect(found).toHaveLength(3);
    expect(found[0]).toMatch(/^7:importedPfx\[0\]\.purpose: .*smimeEncryption/);
    expect(found[1]).toMatch(/^8:importedPfx\[1\]\.purpose/);
    expect(found[2]).toMatch(/^9:importedPfx\[2\]\.users/);
  });
});
