import { describe, expect, it } from 'vitest';
import { isCertfleetError } from '../../../pki/errors.ts';
import { loadScenario } from '../../../simulator/scenario/index.ts';
import type { ScenarioProblem } from '../../../simulator/scenario/index.ts';

/** A valid scenario; each broken case replaces one line (1-based line numbers noted on the right). */
const VALID = [
  'name: t', //                                              1
  'seed: 7', //                                              2
  'duration: 30d', //                                        3
  'fleet:', //                                               4
  '  devices: 20', //                                        5
  '  mix:', //                                               6
  '    - { platform: android, kind: fully-managed, weight: 2 }', // 7
  '    - { platform: ios, weight: 1 }', //                   8
  'profiles:', //                                            9
  '  - name: Wi-Fi', //                                     10
  '    type: pkcs', //                                      11
  '    platforms: [ios, android-device-owner]', //          12
  '    template: CertfleetUser', //                         13
  '    subject: "CN={{UserName}}"', //                      14
  '    validity: 1y', //                                    15
  'expect:', //                                             16
  '  - text: all install', //                               17
  '    profile: Wi-Fi', //                                  18
  '    status: installed', //                               19
];

function withLine(line: number, text: string): string {
  const lines = [...VALID];
  lines[line - 1] = text;
  return lines.join('\n') + '\n';
}

function problemsOf(text: string): { code: string; problems: ScenarioProblem[]; message: string } {
  try {
    loadScenario({ text, file: 'broken.yaml' });
  } catch (e) {
    if (!isCertfleetError(e)) throw e;
    return { code: e.code, problems: e.details['problems'] as ScenarioProblem[], message: e.message };
  }
  throw new Error('the scenario loaded');
}

describe('a valid scenario', () => {
  it('loads', () => {
    const s = loadScenario({ text: VALID.join('\n'), file: 'ok.yaml' });
    expect(s.seed).toBe('7');
    expect(s.durationMs).toBe(30 * 86_400_000);
    expect(s.checkInIntervalMs).toBe(8 * 3_600_000);
    expect(s.start).toBe(Date.parse('2026-01-01T00:00:00Z'));
    expect(s.connectors).toEqual({ count: 2, pollIntervalMs: 30_000, maxIdlePollIntervalMs: 900_000 });
    expect(s.profiles[0]!.models['ios']?.kind).toBe('pkcs-certificate');
  });
});

describe.each([
  // [label, line, replacement, code, expected line, path, message part]
  [
    'typo in a key, with a suggestion',
    5,
    '  devies: 20',
    'SCENARIO_INVALID',
    5,
    'fleet.devies',
    "unknown key 'devies': did you mean 'devices'?",
  ],
  [
    'bad platform, with a suggestion',
    8,
    '    - { platform: iso, weight: 1 }',
    'SCENARIO_INVALID',
    8,
    'fleet.mix[1].platform',
    "unknown platform 'iso': did you mean 'ios'?",
  ],
  [
    'kind of another platform',
    7,
    '    - { platform: android, kind: hybrid-joined, weight: 2 }',
    'SCENARIO_INVALID',
    7,
    'fleet.mix[0].kind',
    "'hybrid-joined' is not an enrollment kind of android",
  ],
  [
    'weight 0',
    8,
    '    - { platform: ios, weight: 0 }',
    'SCENARIO_INVALID',
    8,
    'fleet.mix[1].weight',
    'must be greater than 0',
  ],
  [
    'negative weight',
    8,
    '    - { platform: ios, weight: -3 }',
    'SCENARIO_INVALID',
    8,
    'fleet.mix[1].weight',
    'must be a number from 0',
  ],
  ['bad duration', 3, 'duration: 30 days', 'SCENARIO_INVALID', 3, 'duration', "'30 days' is not a duration"],
  [
    'unknown profile in an expectation',
    18,
    '    profile: WiFi',
    'SCENARIO_INVALID',
    18,
    'expect[0].profile',
    "unknown profile 'WiFi': did you mean 'Wi-Fi'?",
  ],
  [
    'bad status value',
    19,
    '    status: instaled',
    'SCENARIO_INVALID',
    19,
    'expect[0].status',
    "did you mean 'installed'?",
  ],
  [
    'profile setting out of range (validateProfile)',
    15,
    '    validity: 3y',
    'SCENARIO_INVALID',
    15,
    'profiles[0].validity.value',
    'for ios, android-device-owner: must be an integer from 1 to 2',
  ],
  [
    'unknown variable (validateProfile)',
    14,
    '    subject: "CN={{UserNme}}"',
    'SCENARIO_INVALID',
    14,
    'profiles[0].subject',
    'VARIABLE_UNKNOWN',
  ],
  [
    'setting for no listed family',
    15,
    '    keyStorageProvider: useTpmKspOtherwiseFail',
    'SCENARIO_INVALID',
    15,
    'profiles[0].keyStorageProvider',
    'does not apply to any listed platform',
  ],
  // an unknown CA template is a warning since issue 12 (it fails per request): test/unit/ca/issue12-ca.test.ts
  [
    'bad YAML syntax',
    7,
    '    - { platform: android, kind: fully-managed, weight: 2',
    'SCENARIO_PARSE',
    8,
    undefined,
    '',
  ],
  ['duplicate key', 3, 'seed: 8', 'SCENARIO_PARSE', 3, undefined, 'unique'],
] as const)('%s', (_label, line, text, code, expectedLine, path, part) => {
  it(`gives ${code} at line ${expectedLine}`, () => {
    const r = problemsOf(withLine(line, text));
    expect(r.code).toBe(code);
    const p = path === undefined ? r.problems[0] : r.problems.find((x) => x.path === path);
    expect(p, r.message).toBeDefined();
    expect(p!.line).toBe(expectedLine);
    expect(p!.message).toContain(part);
    expect(r.message).toContain(`broken.yaml:${expectedLine}:`);
  });
});

describe('problems are all listed at once', () => {
  it('reports three independent problems in one error, sorted by line', () => {
    const text = withLine(5, '  devies: 20')
      .replace('weight: 1 }', 'weight: 0 }')
      .replace('status: installed', 'status: done');
    const r = problemsOf(text);
    expect(r.code).toBe('SCENARIO_INVALID');
    const lines = r.problems.map((p) => p.line);
    expect(lines).toEqual([...lines].sort((a, b) => a - b));
    expect(r.problems.map((p) => p.path)).toEqual(
      expect.arrayContaining(['fleet.devies', 'fleet.devices', 'fleet.mix[1].weight', 'expect[0].status']),
    );
  });

  it('an expectation that checks nothing is a problem', () => {
    const r = problemsOf(withLine(19, '    share: all'));
    expect(
      r.problems.some((p) => p.path === 'expect[0]' && p.line === 17 && p.message.includes('checks nothing')),
    ).toBe(true);
  });

  it('a mix entry no device can fit is a problem', () => {
    const r = problemsOf(
      withLine(8, '    - { platform: ios, models: [apple-ipad-10-wifi], cellular: true }'),
    );
    expect(r.problems[0]).toMatchObject({ line: 8, path: 'fleet.mix[1]' });
    expect(r.problems[0]!.message).toContain('no device fits');
  });

  it('an unreadable file is IO', () => {
    expect(() => loadScenario('/nonexistent/scenario.yaml')).toThrow(expect.objectContaining({ code: 'IO' }));
  });
});

describe('Android device administrator (no custom subject in Graph)', () => {
  it('a custom subject equal to a named format becomes that format', () => {
    const s = loadScenario({ text: withLine(12, '    platforms: all'), file: 'ok.yaml' });
    const m = s.profiles[0]!.models['android-device-admin'];
    expect(m?.kind === 'pkcs-certificate' && m.subjectNameFormat).toBe('commonName');
    const ios = s.profiles[0]!.models['ios'];
    expect(ios?.kind === 'pkcs-certificate' && ios.subjectNameFormatString).toBe('CN={{UserName}}');
  });

  it('another custom subject is a problem on the subject line that names the formats', () => {
    const text = withLine(12, '    platforms: all').replace('CN={{UserName}}', 'CN={{UserName}},OU=Wi-Fi');
    const r = problemsOf(text);
    expect(r.problems).toHaveLength(1);
    expect(r.problems[0]).toMatchObject({ line: 14, path: 'profiles[0].subject' });
    expect(r.problems[0]!.message).toContain('commonNameAsIMEI (CN={{IMEI}})');
  });

  it('a device certificate with platforms: all says which platforms to list instead', () => {
    const text = withLine(12, '    platforms: all')
      .replace('    template: CertfleetUser', '    template: CertfleetDevice\n    certificateType: device')
      .replace('CN={{UserName}}', 'CN={{DeviceId}}');
    const r = problemsOf(text);
    expect(r.problems).toHaveLength(1);
    expect(r.problems[0]).toMatchObject({ line: 14, path: 'profiles[0].certificateType' });
    expect(r.problems[0]!.message).toBe(
      'for android-device-admin (Android device administrator): must be one of user; `platforms: all` includes android-device-admin: list the platforms instead, e.g. platforms: [windows, macos, ios, android-work-profile, android-device-owner]',
    );
    // a list that names the family gets no such advice: the list is the user's own
    const listed = problemsOf(
      text.replace('    platforms: all', '    platforms: [ios, android-device-admin]'),
    );
    expect(listed.problems[0]!.message).not.toContain('platforms: all');
    // a setting most families refuse is the setting's fault: no advice to list platforms
    const user = problemsOf(text.replace('CN={{DeviceId}}', 'CN={{UserName}}'));
    expect(user.problems.map((p) => p.path)).toEqual(['profiles[0].certificateType', 'profiles[0].subject']);
    expect(user.problems[1]!.message).toContain('VARIABLE_NOT_ALLOWED');
    expect(user.problems[1]!.message).not.toContain('platforms: all');
  });
});
