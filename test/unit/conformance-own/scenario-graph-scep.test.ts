/**
 * A scenario's `graph:` SCEP profile (issue 14 points 2 and 5) behaves as an inline `type: scep` one: the
 * families whose devices enrol over SCEP in a run load, with the run's own SCEP server in place of the
 * servers the export names (a warning says so) — every family a SCEP profile has now enrols (Windows and
 * Android Enterprise included).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadScenario } from '../../../simulator/scenario/index.ts';
import { SCEP_SERVER_PLACEHOLDER } from '../../../simulator/scenario/read-scep-settings.ts';
import { scepGraphExport } from './scep-samples.ts';

let work: string;
const file = (family: Parameters<typeof scepGraphExport>[0]): string => {
  const path = join(work, `${family}-scep.json`);
  writeFileSync(path, JSON.stringify(scepGraphExport(family)));
  return path;
};
beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'certfleet-own-scep-scenario-'));
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('graph: SCEP profile files in a scenario', () => {
  it('an iOS SCEP export loads, its server URLs replaced by the run’s SCEP server, with a warning naming them', () => {
    const exported = scepGraphExport('ios')['scepServerUrls'] as string[];
    expect(exported.length).toBeGreaterThan(0);
    expect(exported).not.toContain(SCEP_SERVER_PLACEHOLDER);
    const s = loadScenario({
      text: `fleet: { devices: 1, mix: [{ platform: ios, kind: user }] }\nprofiles:\n  - { graph: '${file('ios')}' }\n`,
      file: 'own.yaml',
    });
    const [p] = s.profiles;
    expect(p?.kind).toBe('scep-certificate');
    const model = p?.models.ios;
    expect(model?.kind === 'scep-certificate' && model.scepServerUrls).toEqual([SCEP_SERVER_PLACEHOLDER]);
    const warning = s.warnings?.map((w) => w.message).find((m) => m.includes('scepServerUrls'));
    expect(warning).toBeDefined();
    for (const url of exported) expect(warning).toContain(url);
  });

  it('a Windows SCEP export loads for a PC (issue 14 point 2: the PC enrols over ClientCertificateInstall/SCEP)', () => {
    const s = loadScenario({
      text: `fleet: { devices: 1, mix: [{ platform: windows, kind: entra-joined }] }\nprofiles:\n  - { graph: '${file('windows')}' }\n`,
      file: 'own.yaml',
    });
    const model = s.profiles[0]?.models.windows;
    expect(model?.kind).toBe('scep-certificate');
    expect(model?.kind === 'scep-certificate' && model.scepServerUrls).toEqual([SCEP_SERVER_PLACEHOLDER]);
  });

  it('an Android work-profile SCEP export loads for a work-profile phone (issue 14 point 2: ENROLL_SCEP)', () => {
    const s = loadScenario({
      text: `fleet: { devices: 1, mix: [{ platform: android, kind: work-profile-personal }] }\nprofiles:\n  - { graph: '${file('android-work-profile')}' }\n`,
      file: 'own.yaml',
    });
    const model = s.profiles[0]?.models['android-work-profile'];
    expect(model?.kind).toBe('scep-certificate');
    expect(model?.kind === 'scep-certificate' && model.scepServerUrls).toEqual([SCEP_SERVER_PLACEHOLDER]);
  });
});
