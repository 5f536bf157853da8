import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadScenario, needsCaRoot, bindCaRoot, planFleet } from '../../../simulator/scenario/index.ts';
import { PROFILE_FAMILIES } from '../../../profiles/model/platform.ts';

const DIR = join(import.meta.dirname, '../../../scenarios');
const FILES = readdirSync(DIR).filter((f) => f.endsWith('.yaml'));

describe('shipped scenarios', () => {
  it('ships the scenarios of issues 5 and 12', () => {
    expect(FILES.sort()).toEqual([
      'android-12-work-profile.yaml',
      'android-device-admin.yaml',
      'ca-rollover-intermediate.yaml',
      'ca-rollover.yaml',
      'certificate-estate.yaml',
      'default.yaml',
      'empty-san.yaml',
      'escaped-subject.yaml',
      'held-request.yaml',
      'ksp-4096-tpm.yaml',
      'ksp-no-tpm.yaml',
      'missing-imei.yaml',
      'not-targeted.yaml',
      'renewal-20.yaml',
      'scep-challenge-expired.yaml',
      'scep-mixed.yaml',
      'scep-renewal.yaml',
      'scep-revoke.yaml',
      'scep-strong-mapping.yaml',
      'several-cas.yaml',
      'smime-imported.yaml',
      'strong-mapping.yaml',
      'template-not-published.yaml',
      'untrusted-no-root.yaml',
      'userless-device.yaml',
      'windows-hello.yaml',
      'wrong-ca.yaml',
    ]);
  });

  describe.each(FILES)('%s', (file) => {
    const s = loadScenario(join(DIR, file));

    it('loads, named after its file, with profiles and expectations', () => {
      expect(s.name).toBe(file.replace(/\.yaml$/, ''));
      expect(s.profiles.length).toBeGreaterThan(0);
      expect(s.expect.length).toBeGreaterThan(0);
    });

    it('stays small enough to run quickly (≤ 60 devices, default ≤ 200)', () => {
      expect(s.fleet.devices).toBeLessThanOrEqual(file === 'default.yaml' ? 200 : 60);
    });

    it('has one validated model per listed family', () => {
      for (const p of s.profiles) {
        expect(Object.keys(p.models).sort()).toEqual([...p.families].sort());
        for (const f of p.families) expect(PROFILE_FAMILIES).toContain(f);
      }
    });

    it('names only its own profiles in expectations', () => {
      const names = s.profiles.map((p) => p.name);
      for (const e of s.expect) if (e.profile !== undefined) expect(names).toContain(e.profile);
    });

    it('gets the CA root bound into trusted profiles that ask for it', () => {
      const root = Uint8Array.of(0x30, 0x04, 0x02, 0x02, 0x01, 0x02);
      const bound = bindCaRoot(s, root);
      expect(needsCaRoot(bound)).toBe(false);
      const wantsRoot = s.profiles.some((p) => p.trustedSource?.type === 'ca-root');
      expect(needsCaRoot(s)).toBe(wantsRoot);
    });

    it('plans a fleet whose tags and platforms come from its mix', () => {
      const plans = planFleet(s);
      expect(plans).toHaveLength(s.fleet.devices);
      for (const p of plans) {
        const entry = s.fleet.mix[p.mixEntry]!;
        expect(p.platform).toBe(entry.platform);
        if (entry.kind !== undefined) expect(p.kind).toBe(entry.kind);
        expect(p.tags).toEqual(entry.tags);
      }
    });
  });

  it('default covers every platform and enrollment kind', () => {
    const s = loadScenario(join(DIR, 'default.yaml'));
    const kinds = new Set(planFleet(s).map((p) => `${p.platform}/${p.kind}`));
    expect([...kinds].sort()).toEqual(
      [
        'android/dedicated',
        'android/device-admin',
        'android/fully-managed',
        'android/work-profile-corporate',
        'android/work-profile-personal',
        'ios/device',
        'ios/user',
        'macos/device',
        'macos/user',
        'windows/entra-joined',
        'windows/hybrid-joined',
        'windows/workplace',
      ].sort(),
    );
  });
});
