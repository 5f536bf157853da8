/**
 * Issue 13 point 5, scenario side: every problem of a scenario in one pass (ranges included), "did you
 * mean" for certificate variables, and warnings for every Graph property a run reads past.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { isCertfleetError } from '../../../pki/errors.ts';
import { loadScenario, type ScenarioProblem } from '../../../simulator/scenario/index.ts';

/** A valid scenario, one setting per line, so that each broken setting has its own line. */
const VALID = [
  'name: strict', //                                         1
  'duration: 30d', //                                        2
  'fleet:', //                                               3
  '  devices: 20', //                                        4
  '  mix:', //                                               5
  '    - platform: ios', //                                  6
  '      models: [apple-ipad-10-wifi]', //                   7
  '      weight: 2', //                                      8
  '    - { platform: windows, weight: 1 }', //               9
  'profiles:', //                                           10
  '  - name: Wi-Fi', //                                     11
  '    type: pkcs', //                                      12
  '    platforms: [ios, windows]', //                       13
  '    template: CertfleetUser', //                         14
  '    subject: "CN={{UserName}}"', //                      15
  '    renewalThreshold: 20', //                            16
  '    validity: 1y', //                                    17
  '    keySize: 2048', //                                   18
  '  - name: Device', //                                    19
  '    type: pkcs', //                                      20
  '    platforms: [windows]', //                            21
  '    template: CertfleetDevice', //                       22
  '    certificateType: device', //                         23
  '    subject: "CN={{DeviceName}}"', //                    24
  'expect:', //                                             25
  '  - text: all install', //                               26
  '    profile: Wi-Fi', //                                  27
  '    status: installed', //                               28
];

/** Problems that used to surface one stage after another: each line of the valid file broken at once. */
const BREAKS: Record<number, string> = {
  7: '      models: [apple-ipad-10-wifi]\n      cellular: true', // no device fits (line 6, the entry)…
  8: '      weight: -2', // …beside a weight out of range
  15: '    subject: "CN={{IMIE}}"', // unknown variable…
  16: '    renewalThreshold: 150', // …a range the model checks…
  17: '    validity: 2d', // …another…
  18: '    keySize: 1000', // …beside a scenario-level range problem
  22: '    template: [CertfleetDevice]', // a template that is not a name, in a profile… (a template the CA lacks is a warning since issue 12)
  23: '    certificateType: machine', // …with another problem
};

function text(breaks: Record<number, string>): string {
  return VALID.map((l, i) => breaks[i + 1] ?? l).join('\n') + '\n';
}

function problemsOf(source: string): ScenarioProblem[] {
  try {
    loadScenario({ text: source, file: 'strict.yaml' });
    return [];
  } catch (e) {
    if (!isCertfleetError(e) || e.code !== 'SCENARIO_INVALID') throw e;
    return e.details['problems'] as ScenarioProblem[];
  }
}

describe('regression issue 13: a scenario’s problems are all reported in one pass', () => {
  it('the valid scenario loads', () => {
    expect(problemsOf(text({}))).toEqual([]);
  });

  it('every broken setting is reported the first time, ranges included', () => {
    const problems = problemsOf(text(BREAKS));
    expect(problems.map((p) => `${p.line} ${p.path}`)).toEqual([
      '6 fleet.mix[0]',
      '9 fleet.mix[0].weight', // line numbers after the cellular line was inserted
      '16 profiles[0].subject',
      '17 profiles[0].renewalThreshold',
      '18 profiles[0].validity.value',
      '19 profiles[0].keySize',
      '23 profiles[1].template',
      '24 profiles[1].certificateType',
    ]);
    expect(problems.find((p) => p.path === 'profiles[0].subject')?.message).toContain(
      'uses {{IMIE}}, which is not an Intune certificate variable: did you mean {{IMEI}}?',
    );
    expect(problems.find((p) => p.path === 'profiles[1].template')?.message).toBeDefined();
  });

  it.each(Object.keys(BREAKS).map(Number))(
    'fixing everything but line %i leaves exactly that problem: nothing new appears',
    (line) => {
      const problems = problemsOf(text({ [line]: BREAKS[line]! }));
      const all = problemsOf(text(BREAKS)).length;
      expect(problems.length).toBeGreaterThanOrEqual(1);
      expect(problems.length).toBeLessThan(all);
      // every problem of the partly fixed file was already in the first report (its line shifts by the
      // cellular line only)
      const first = new Set(problemsOf(text(BREAKS)).map((p) => p.path));
      expect(problems.map((p) => p.path).filter((p) => !first.has(p))).toEqual([]);
    },
  );
});

const work = mkdtempSync(join(tmpdir(), 'certfleet-strict-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const GRAPH_PKCS = {
  '@odata.type': '#microsoft.graph.windows10PkcsCertificateProfile',
  displayName: 'Graph Wi-Fi',
  renewalThresholdPercentag: 25, // misspelled: the real one stays at its default
  certificationAuthority: 'ca01.certfleet.test',
  certificationAuthorityName: 'Certfleet Issuing CA',
  certificateTemplateName: 'CertfleetUser',
  certificateStore: 'user',
  subjectNameFormat: 'commonName',
  subjectNameFormatString: 'CN={{UserName}},O=Contoso', // dropped: the format is not custom
  certificateValidityPeriodValue: 1,
  certificateValidityPeriodScale: 'years',
  subjectAlternativeNameType: 'userPrincipalName',
  keyStorageProvider: 'useSoftwareKsp',
  deviceManagementApplicabilityRuleOsVersion: { minOSVersion: '10.0.22000' },
};

describe('regression issue 13: Graph properties a run reads past are warnings', () => {
  it('a misspelled property (with its correction), a subject string under a named format, an applicability rule', () => {
    writeFileSync(join(work, 'wifi.json'), JSON.stringify(GRAPH_PKCS, null, 2));
    const scenario = [
      'name: graph-warnings',
      'fleet: { devices: 2, mix: [{ platform: windows }] }',
      'profiles:',
      '  - { name: Graph Wi-Fi, graph: wifi.json }',
    ].join('\n');
    const s = loadScenario({ text: scenario, file: join(work, 'g.yaml'), baseDir: work });
    expect(s.profiles[0]?.models.windows).toMatchObject({ renewalThresholdPercentage: 20 });
    expect(s.warnings?.map((w) => [w.line, w.path, w.message])).toEqual([
      [
        4,
        'profiles[0].graph',
        'wifi.json: renewalThresholdPercentag is not a property of #microsoft.graph.windows10PkcsCertificateProfile: did you mean renewalThresholdPercentage?; certfleet ignores it',
      ],
      [
        4,
        'profiles[0].graph',
        'wifi.json: deviceManagementApplicabilityRuleOsVersion is an applicability rule, which certfleet does not simulate: every device of the profile’s family receives it',
      ],
      [
        4,
        'profiles[0].graph',
        'wifi.json: subjectNameFormatString is ignored: subjectNameFormat is commonName, not custom, so the subject follows that format and this string ("CN={{UserName}},O=Contoso") is dropped; set subjectNameFormat to custom to use it',
      ],
    ]);
  });

  it('a clean export has no warning', () => {
    const {
      renewalThresholdPercentag: _r,
      deviceManagementApplicabilityRuleOsVersion: _a,
      ...clean
    } = GRAPH_PKCS;
    writeFileSync(
      join(work, 'clean.json'),
      JSON.stringify({ ...clean, subjectNameFormatString: undefined, renewalThresholdPercentage: 25 }),
    );
    const s = loadScenario({
      text: 'name: c\nfleet: { devices: 1, mix: [{ platform: windows }] }\nprofiles:\n  - { name: W, graph: clean.json }\n',
      file: join(work, 'c.yaml'),
      baseDir: work,
    });
    expect(s.warnings).toEqual([]);
  });

  it('an inline profile’s advisories are warnings too (once, naming the families)', () => {
    const s = loadScenario({
      text: [
        'name: adv',
        'fleet: { devices: 1, mix: [{ platform: windows }] }',
        'profiles:',
        '  - { name: W, type: pkcs, platforms: [windows], template: CertfleetDevice, certificateType: device, subject: "CN={{DeviceId}}" }',
      ].join('\n'),
      file: 'adv.yaml',
    });
    expect(s.warnings?.map((w) => [w.path, w.message])).toEqual([
      [
        'profiles[0].subject',
        'for windows: avoid {{DeviceId}} in a Windows subject: in certain instances it causes sync with Intune to fail',
      ],
    ]);
  });
});
