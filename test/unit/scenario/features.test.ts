/**
 * regression issue 5: scenario features that had no test — `graph:` profile files (the Graph JSON corpus
 * samples of the conformance material, read in place: test/fixtures/conformance.ts; project-made mirror
 * test/unit/conformance-own/scenario-graph.test.ts), `osVersions` (a list and a filter), `checkInInterval`.
 */
import { describe, expect, it } from 'vitest';
import { generateDevice } from '../../../agent/device/generate.ts';
import { isCertfleetError } from '../../../pki/errors.ts';
import {
  loadScenario,
  planFleet,
  versionMatches,
  parseVersionFilter,
} from '../../../simulator/scenario/index.ts';
import { conformancePath, describeConformance } from '../../fixtures/conformance.ts';

const PKCS_REL =
  'corpus/graph-json/deploymenttheory-tfprovider-m365__macos_device_configuration_templates__post_macos_pkcs_certificate_success.json';
const TRUSTED_REL =
  'corpus/graph-json/deploymenttheory-tfprovider-m365__macos_device_configuration_templates__post_macos_trusted_certificate_success.json';
const CORPUS = conformancePath('corpus/graph-json');
const PKCS = conformancePath(PKCS_REL);
const TRUSTED = conformancePath(TRUSTED_REL);

describeConformance(
  'regression issue 5: graph: profile files (corpus, in place)',
  [PKCS_REL, TRUSTED_REL],
  () => {
    const text = `
fleet: { devices: 2, mix: [{ platform: macos, kind: user }] }
ca: { templates: [{ name: UserAuthentication, base: CertfleetUser }] }
profiles:
  - { graph: '${TRUSTED}' }
  - { name: Mac PKCS, graph: '${PKCS}', keySize: 3072, assign: { include: [{ tags: [pilot] }] } }
`;

    it('imports a trusted root and a PKCS profile as one macOS family each', () => {
      const s = loadScenario({ text, file: 'g.yaml' });
      const [root, pkcs] = s.profiles;
      expect(root).toMatchObject({
        name: 'unit-test-macOS-trusted-root-certificate-example',
        kind: 'trusted-certificate',
        families: ['macos'],
        trustedSource: { type: 'inline' },
        graphFile: TRUSTED,
      });
      expect(pkcs).toMatchObject({
        name: 'Mac PKCS',
        kind: 'pkcs-certificate',
        families: ['macos'],
        keySize: 3072,
      });
      expect(pkcs!.assign).toEqual({ include: [{ tags: ['pilot'] }], exclude: [] });
      const model = pkcs!.models.macos;
      expect(model?.kind).toBe('pkcs-certificate');
      if (model?.kind === 'pkcs-certificate') {
        expect(model.certificateTemplateName).toBe('UserAuthentication');
        expect(model.renewalThresholdPercentage).toBe(30);
      }
    });

    it.each([
      [`{ graph: '${PKCS}', type: trusted }`, 'is a pkcs-certificate profile, not trusted-certificate'],
      [`{ graph: '${CORPUS}/no-such.json' }`, 'cannot read'],
      [`{ graph: '${PKCS}', template: X }`, "unknown key 'template'"],
    ])('%s is a problem on its line', (profile, message) => {
      try {
        loadScenario({
          text: `fleet: { devices: 1 }\nca: { templates: [{ name: UserAuthentication, base: CertfleetUser }] }\nprofiles:\n  - ${profile}\n`,
          file: 'g.yaml',
        });
        throw new Error('loaded');
      } catch (e) {
        if (!isCertfleetError(e, 'SCENARIO_INVALID')) throw e;
        const p = (e.details['problems'] as { line: number; message: string }[])[0]!;
        expect(p.line).toBe(4);
        expect(p.message).toContain(message);
      }
    });

    it('a PKCS Graph profile whose template the CA lacks loads with a warning (issue 12: it fails per request at the CA)', () => {
      const s = loadScenario({
        text: `fleet: { devices: 1 }\nprofiles:\n  - { graph: '${PKCS}' }\n`,
        file: 'g.yaml',
      });
      expect(s.warnings?.map((w) => w.message).join('\n')).toContain("no template 'UserAuthentication'");
    });
  },
);

describe('regression issue 5: osVersions', () => {
  it.each([
    ['ios', "['16.7.10', '17.6.1']", (v: string) => ['16.7.10', '17.6.1'].includes(v)],
    ['android', "'>=13'", (v: string) => versionMatches('android', v, parseVersionFilter('>=13')!)],
    ['windows', "'>=11'", (v: string) => versionMatches('windows', v, parseVersionFilter('>=11')!)],
    ['macos', '[14]', (v: string) => v.split('.')[0] === '14'],
  ] as const)('%s %s: every device runs a version it allows', (platform, versions, allowed) => {
    const s = loadScenario({
      text: `seed: osv\nfleet: { devices: 12, mix: [{ platform: ${platform}, osVersions: ${versions} }] }\n`,
      file: 'v.yaml',
    });
    const seen = planFleet(s).map((p) => generateDevice(p.generate).osVersion);
    expect(seen).toHaveLength(12);
    for (const v of seen) expect({ v, allowed: allowed(v) }).toEqual({ v, allowed: true });
  });

  it('a filter no release matches is a problem', () => {
    expect(() =>
      loadScenario({
        text: 'fleet: { devices: 1, mix: [{ platform: ios, osVersions: ">=99" }] }\n',
        file: 'v.yaml',
      }),
    ).toThrow(/fleet\.mix\[0\]: no device fits: any ios model running >=99/);
  });
});

describe('regression issue 5: checkInInterval', () => {
  it.each([
    ['', 8 * 3_600_000],
    ['checkInInterval: 4h\n', 4 * 3_600_000],
    ['checkInInterval: 1d12h\n', 36 * 3_600_000],
  ])('%j', (line, ms) => {
    const s = loadScenario({ text: `${line}fleet: { devices: 3 }\n`, file: 'c.yaml' });
    expect(s.checkInIntervalMs).toBe(ms);
  });

  it.each(['checkInInterval: 30s\n', 'checkInInterval: often\n'])('%j is a problem', (line) => {
    expect(() => loadScenario({ text: `${line}fleet: { devices: 1 }\n`, file: 'c.yaml' })).toThrow(
      /checkInInterval/,
    );
  });
});
