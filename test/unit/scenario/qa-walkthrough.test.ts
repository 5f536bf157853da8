/**
 * The QA walkthrough of the scenario loader: an empty seed is a problem on its line (the clock protocol
 * refuses it once the run began), device administrator subjects and SANs match variables in any case, the
 * checker's own advice is never cut, a ramp longer than the run is a warning, a missing template is pointed
 * at on its line with the closest name and the CA's templates, an OS version filter written as a list item
 * says how to write it, and a duplicate YAML key is named.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { type CertfleetError, isCertfleetError } from '../../../pki/errors.ts';
import {
  formatProblem,
  loadScenario,
  type Scenario,
  type ScenarioProblem,
} from '../../../simulator/scenario/index.ts';

const work = mkdtempSync(join(tmpdir(), 'certfleet-qa-walkthrough-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** The error loading `text` throws (the test fails when it loads). */
function errorOf(text: string, file = 'qa.yaml'): CertfleetError {
  try {
    loadScenario({ text, file, baseDir: work });
  } catch (e) {
    if (isCertfleetError(e)) return e;
    throw e;
  }
  throw new Error('the scenario loaded');
}

function problemsOf(text: string): ScenarioProblem[] {
  const e = errorOf(text);
  expect(e.code).toBe('SCENARIO_INVALID');
  return e.details['problems'] as ScenarioProblem[];
}

function load(text: string): Scenario {
  return loadScenario({ text, file: 'qa.yaml', baseDir: work });
}

describe('an empty seed in a scenario is a problem on its line', () => {
  it.each([
    ["seed: ''", "''"],
    ["seed: '   '", 'blank'],
    ['seed: ""', '""'],
  ])('%s', (line) => {
    const problems = problemsOf(`name: wifi\n${line}\nfleet:\n  devices: 2\n`);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatchObject({ line: 2, column: 7, path: 'seed' });
    expect(problems[0]!.message).toBe(
      "must not be empty: write a text or a number (the same seed gives the same fleet), or leave seed out to use the name ('wifi')",
    );
    // the fix the message gives loads
    expect(load('name: wifi\nseed: 0\nfleet:\n  devices: 2\n').seed).toBe('0');
    expect(load('name: wifi\nfleet:\n  devices: 2\n').seed).toBe('wifi');
  });
});

/** Every family, Android device administrator included, with `subject` (and `san`) as given. */
function allPlatforms(subject: string, san = ''): string {
  return [
    'name: da',
    'fleet:',
    '  devices: 2',
    'profiles:',
    '  - name: Wi-Fi',
    '    type: pkcs',
    '    platforms: all',
    '    template: CertfleetUser',
    `    subject: '${subject}'`,
    ...(san === '' ? [] : [`    san: ${san}`]),
    '',
  ].join('\n');
}

describe('device administrator subjects and SANs match variable names in any case', () => {
  it.each([
    ['CN={{imei}}', 'commonNameAsIMEI'],
    ['CN={{Imei}}', 'commonNameAsIMEI'],
    ['CN={{username}}', 'commonName'],
    ['cn={{USERNAME}}', 'commonName'],
  ])('%s is %s', (subject, format) => {
    const wifi = load(allPlatforms(subject)).profiles[0]!;
    const model = wifi.models['android-device-admin'];
    expect(model?.kind).toBe('pkcs-certificate');
    expect((model as { subjectNameFormat?: string }).subjectNameFormat).toBe(format);
  });

  it('{{emailaddress}} and {{userprincipalname}} SANs are the SAN type flags', () => {
    const text = allPlatforms(
      'CN={{UserName}}',
      '[{type: email, value: "{{emailaddress}}"}, {type: upn, value: "{{userPrincipalname}}"}]',
    );
    const model = load(text).profiles[0]!.models['android-device-admin'] as {
      subjectAlternativeNameType?: string[];
    };
    expect(model.subjectAlternativeNameType).toEqual(['emailAddress', 'userPrincipalName']);
  });

  it('a custom subject that is no named format is refused with the whole advice, its fix included', () => {
    const e = errorOf(allPlatforms('CN={{IMEI}},O=Contoso'));
    const problems = e.details['problems'] as ScenarioProblem[];
    const message = problems.find((p) => p.path === 'profiles[0].subject')!.message;
    // the advice is longer than the 500 characters problems used to be cut at
    expect(message.length).toBeGreaterThan(500);
    expect(message).toMatch(
      /commonNameAsDurableDeviceId \(CN=\{\{DeviceId\}\}\), or drop android-device-admin from platforms$/,
    );
    expect(e.message).toContain(`qa.yaml:9:14: profiles[0].subject: ${message}`);
  });
});

describe('the checker never cuts its own text', () => {
  it('an unknown key of 1,000 characters is quoted cut short, and the keys allowed there are listed whole', () => {
    // (YAML allows a plain key of at most 1,024 characters)
    const key = 'k'.repeat(1000);
    const e = errorOf(`${key}: 1\nfleet:\n  devices: 2\n`);
    const line = e.message.split('\n')[1]!;
    expect(line).toContain(`unknown key '${'k'.repeat(200)}…' (allowed here: name, description, seed,`);
    expect(line).toMatch(/importedPfx, expect\)$/);
    expect(line.length).toBeLessThan(1000);
  });

  it('a message past the cap loses its middle, not the fix at its end', () => {
    const message = `uses '${'x'.repeat(10_000)}': write it shorter`;
    const text = formatProblem({ file: 'f.yaml', line: 1, column: 1, path: 'a', message });
    expect(text.startsWith("f.yaml:1:1: a: uses 'xxx")).toBe(true);
    expect(text.endsWith("xxx': write it shorter")).toBe(true);
    expect(text).toContain(' … ');
    expect(text.length).toBeLessThanOrEqual(2020);
  });
});

describe('a fleet.ramp longer than the duration is a warning at the ramp', () => {
  const fleet = (ramp: string, duration = 'duration: 1d\n'): string =>
    `name: ramp\n${duration}fleet:\n  devices: 100\n  ramp: ${ramp}\n`;

  it('names both, how many devices never enrol, and what to change', () => {
    const s = load(fleet('3d'));
    expect(s.warnings).toEqual([
      {
        file: 'qa.yaml',
        line: 5,
        column: 9,
        path: 'fleet.ramp',
        message:
          '3d is longer than duration 1d: the devices planned after the end never enrol (about 67 of 100, 67 % of the fleet) and are DEVICE_NEVER_ENROLLED; shorten the ramp or lengthen the duration',
      },
    ]);
    // the default duration is named as such; a ramp that fits gives no warning
    expect(load(fleet('40d', '')).warnings?.[0]?.message).toMatch(
      /^40d is longer than duration 30d \(the default\): .*\(about 25 of 100, 25 % of the fleet\)/,
    );
    expect(load(fleet('1d')).warnings).toEqual([]);
    expect(load(fleet('23h')).warnings).toEqual([]);
  });
});

describe('a template the CA lacks: the warning is on the template line, with the closest name', () => {
  const VALID = [
    'name: t4', //                                         1
    'fleet:', //                                           2
    '  devices: 2', //                                     3
    '  mix:', //                                           4
    '    - { platform: windows, kind: entra-joined }', //  5
    'profiles:', //                                        6
    '  - name: Root', //                                   7
    '    type: trusted-certificate', //                    8
    '    platforms: [windows]', //                         9
    '    certificate: root', //                           10
    '  - name: Wi-Fi', //                                 11
    '    type: pkcs', //                                  12
    '    platforms: [windows]', //                        13
    '    template: CertfleetUser', //                     14
    "    subject: 'CN={{UserName}}'", //                  15
  ];
  const withTemplate = (t: string): string =>
    VALID.map((l) => l.replace('template: CertfleetUser', `template: ${t}`)).join('\n') + '\n';

  it('CertfleetUsr: line 14, did you mean CertfleetUser, the templates the CA has', () => {
    expect(load(withTemplate('CertfleetUsr')).warnings).toEqual([
      {
        file: 'qa.yaml',
        line: 14,
        column: 15,
        path: 'profiles[1].template',
        message:
          "the CA has no template 'CertfleetUsr': did you mean 'CertfleetUser'? (the CA's templates: CertfleetUser, CertfleetDevice, CertfleetMdmDevice); each request fails at the CA with CA_TEMPLATE_NOT_SUPPORTED (0x80094800): add it under ca.templates if that is not the point",
      },
    ]);
  });

  it('the CA finds a template whatever its case: no warning', () => {
    expect(load(withTemplate('certfleetuser')).warnings).toEqual([]);
  });

  it("the MDM service's own template: each request is denied", () => {
    const [w] = load(withTemplate('CertfleetMdmDevice')).warnings ?? [];
    expect(w).toMatchObject({ line: 14, column: 15, path: 'profiles[1].template' });
    expect(w?.message).toContain('CA_TEMPLATE_DENIED (0x80094012)');
    expect(w?.message).toContain("name another of the CA's templates (CertfleetUser, CertfleetDevice)");
  });

  it('a Graph export: the warning is on its graph: line', () => {
    writeFileSync(
      join(work, 'wifi.json'),
      JSON.stringify({
        '@odata.type': '#microsoft.graph.windows10PkcsCertificateProfile',
        displayName: 'Graph Wi-Fi',
        certificationAuthority: 'ca01.certfleet.test',
        certificationAuthorityName: 'Certfleet Issuing CA',
        certificateTemplateName: 'CertfleetDevise',
        certificateStore: 'machine',
        subjectNameFormat: 'custom',
        subjectNameFormatString: 'CN={{DeviceName}}',
        certificateValidityPeriodValue: 1,
        certificateValidityPeriodScale: 'years',
        renewalThresholdPercentage: 20,
        keyStorageProvider: 'useSoftwareKsp',
      }),
    );
    const text = [...VALID.slice(0, 10), '  - name: Graph Wi-Fi', '    graph: wifi.json', ''].join('\n');
    const [w] = load(text).warnings ?? [];
    expect(w).toMatchObject({ line: 12, column: 12, path: 'profiles[1].graph' });
    expect(w?.message).toContain("the CA has no template 'CertfleetDevise': did you mean 'CertfleetDevice'?");
  });
});

describe('an OS version filter written as a list item says to write it alone', () => {
  it.each([
    ['osVersions', '>=12'],
    ['enrolledOsVersions', '<12'],
  ])("%s: ['%s']", (key, filter) => {
    const problems = problemsOf(
      `fleet:\n  devices: 2\n  mix:\n    - { platform: android, kind: fully-managed, ${key}: ['${filter}'] }\n`,
    );
    expect(problems).toHaveLength(1);
    expect(problems[0]!.path).toBe(`fleet.mix[0].${key}[0]`);
    expect(problems[0]!.message).toBe(
      `'${filter}' is a version filter, not a version: a filter is written alone, without the list (${key}: '${filter}'); a list takes exact versions such as [10, 11]`,
    );
  });
});

describe('a duplicate YAML key is named, with where it was first given', () => {
  it.each([
    ['name: f1\nfleet:\n  devices: 2\nfleet:\n  devices: 3\n', 'f1.yaml:4:1', "'fleet'", 'line 2, column 1'],
    [
      'name: f2\nfleet:\n  devices: 2\n  mix: []\n  devices: 3\n',
      'f2.yaml:5:3',
      "'devices'",
      'line 3, column 3',
    ],
    ['name: f3\nfleet: {devices: 2, "devices": 3}\n', 'f3.yaml:2:21', "'devices'", 'line 2, column 9'],
  ])('%j', (text, place, key, first) => {
    const file = place.split(':')[0]!;
    const e = errorOf(text, file);
    expect(e.code).toBe('SCENARIO_PARSE');
    expect(e.message).toContain(
      `${place}: map keys must be unique: ${key} is given twice in this map (first on ${first}); keep one`,
    );
  });
});
