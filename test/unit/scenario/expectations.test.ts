import { describe, expect, it } from 'vitest';
import { evaluateExpectations, extraFactsOf, loadScenario } from '../../../simulator/scenario/index.ts';
import type { DeviceProfileOutcome, DeviceSummary, RunResult } from '../../../simulator/run-model.ts';
import type { EnrollmentKind, Platform } from '../../../profiles/model/platform.ts';

function device(id: string, platform: Platform, kind: EnrollmentKind, osVersion: string): DeviceSummary {
  return { id, index: Number(id.slice(1)), platform, kind, osVersion, model: 'm', enrolled: true };
}

function outcome(
  d: DeviceSummary,
  profile: string,
  status: DeviceProfileOutcome['status'],
  code: DeviceProfileOutcome['code'],
  message: string,
  renewals = 0,
): DeviceProfileOutcome {
  return {
    device: d.id,
    platform: d.platform,
    kind: d.kind,
    profile,
    status,
    code,
    message,
    renewals,
    at: '2026-01-02T00:00:00.000Z',
  };
}

const devices = [
  device('d1', 'android', 'work-profile-personal', '14'),
  device('d2', 'android', 'work-profile-personal', '13'),
  device('d3', 'android', 'work-profile-personal', '13'),
  device('d4', 'android', 'fully-managed', '14'),
  device('d5', 'windows', 'entra-joined', '10.0.22631.4037'),
  device('d6', 'windows', 'hybrid-joined', '10.0.19045.4529'),
];
const MISSING =
  'The profile uses {{IMEI}} in the subject name, but this Android device (enrolled on Android 13) does not expose its IMEI: Android 12 and later hide it';
const result: RunResult = {
  scenario: 't',
  seed: '1',
  devices: devices.length,
  startedAt: '2026-01-01T00:00:00.000Z',
  devicesList: devices,
  outcomes: [
    outcome(devices[0]!, 'Wi-Fi', 'failed', 'VARIABLE_MISSING', MISSING),
    outcome(devices[1]!, 'Wi-Fi', 'failed', 'VARIABLE_MISSING', MISSING),
    outcome(devices[2]!, 'Wi-Fi', 'installed', 'OK', 'Installed.'),
    outcome(devices[3]!, 'Wi-Fi', 'installed', 'OK', 'Installed.'),
    outcome(devices[4]!, 'Wi-Fi', 'installed', 'OK', 'Installed.', 1),
    outcome(devices[5]!, 'Wi-Fi', 'installed', 'OK', 'Installed.', 2),
  ],
  events: [],
  expectations: [],
  metrics: {
    wallSeconds: 1,
    virtualStart: '',
    virtualEnd: '',
    devicesPerSecond: 1,
    certificatesIssued: 4,
    connectorLoad: {},
    messages: 0,
  },
};
// d3 enrolled on Android 11 and was upgraded since: only the extra facts know it.
const facts = new Map([
  ['d1', { enrolledOsVersion: '14', ownership: 'personal' as const }],
  ['d2', { enrolledOsVersion: '12', ownership: 'personal' as const }],
  ['d3', { enrolledOsVersion: '11', ownership: 'personal' as const }],
  ['d4', { enrolledOsVersion: '14', ownership: 'corporate' as const, tags: ['managed'] }],
]);

function scenarioWith(expectYaml: string) {
  return loadScenario({
    file: 'e.yaml',
    text: `fleet: { devices: 6 }
profiles:
  - { name: Wi-Fi, type: pkcs, platforms: all, template: CertfleetUser, subject: commonName }
expect:
${expectYaml}`,
  });
}

describe.each([
  [
    'work profiles enrolled on 12+ fail with {{IMEI}}',
    `  - { text: t, where: { kind: work-profile-personal, enrolledOsVersion: ">=12" }, profile: Wi-Fi, code: VARIABLE_MISSING, messageContains: "{{IMEI}}" }`,
    true,
    '2 of 2',
  ],
  [
    'all work profiles fail (d3 installs)',
    `  - { text: t, where: { kind: work-profile-personal }, status: failed }`,
    false,
    'e.g. device d3',
  ],
  [
    'a share of work profiles fail',
    `  - { text: t, where: { kind: work-profile-personal }, status: failed, share: ">=0.6" }`,
    true,
    '2 of 3',
  ],
  ['a count of failures', `  - { text: t, status: failed, count: 2 }`, true, '2 of 6'],
  [
    'none of the Windows devices fail',
    `  - { text: t, where: { platform: windows }, status: failed, share: none }`,
    true,
    '0 of 2',
  ],
  [
    'none of the Android devices fail (two do)',
    `  - { text: t, where: { platform: android }, status: failed, share: none }`,
    false,
    'e.g. device d1',
  ],
  [
    'Windows 11 renews exactly once',
    `  - { text: t, where: { platform: windows, osVersion: ">=11" }, renewals: 1 }`,
    true,
    '1 of 1',
  ],
  [
    'every Windows renews once (Windows 10 renewed twice)',
    `  - { text: t, where: { platform: windows }, renewals: 1 }`,
    false,
    'e.g. device d6 (windows hybrid-joined, profile "Wi-Fi"): 2 renewals',
  ],
  [
    'every Windows renews at least once',
    `  - { text: t, where: { platform: windows }, renewals: ">=1" }`,
    true,
    '2 of 2',
  ],
  [
    'corporate devices (facts) install',
    `  - { text: t, where: { ownership: corporate }, status: installed }`,
    true,
    '1 of 1',
  ],
  [
    'tagged devices (facts) install',
    `  - { text: t, where: { tags: [managed] }, status: installed }`,
    true,
    '1 of 1',
  ],
  [
    'zero selection does not hold',
    `  - { text: t, where: { platform: ios }, status: installed }`,
    false,
    'selected no devices — check the where clause',
  ],
] as const)('%s', (_label, yaml, held, detailPart) => {
  it(held ? 'holds' : 'does not hold', () => {
    const [r] = evaluateExpectations(scenarioWith(yaml).expect, result, { facts });
    expect(r!.text).toBe('t');
    expect(r!.held).toBe(held);
    expect(r!.detail).toContain(detailPart);
  });
});

describe('without extra facts', () => {
  it('enrolledOsVersion on Android cannot be guessed from the current version: nothing selected', () => {
    const [r] = evaluateExpectations(
      scenarioWith(`  - { text: t, where: { platform: android, enrolledOsVersion: ">=12" }, status: failed }`)
        .expect,
      result,
    );
    expect(r!.held).toBe(false);
    expect(r!.detail).toContain('selected no devices');
  });

  it('a zero selection after retire or removeProfile actions says their rows left the report', () => {
    const yaml = `  - { text: t, where: { platform: ios }, status: installed }`;
    const [plain] = evaluateExpectations(scenarioWith(yaml).expect, result);
    expect(plain!.detail).not.toContain('retired');
    const retired: RunResult = {
      ...result,
      events: [
        ...result.events,
        { at: '2026-01-02T00:00:00.000Z', type: 'retired', detail: 'x', device: 'd9' },
      ],
    };
    const [r] = evaluateExpectations(scenarioWith(yaml).expect, retired);
    expect(r!.held).toBe(false);
    expect(r!.detail).toMatch(
      /^selected no devices .* retired devices \(1 removed or retired event\): their rows leave the report$/,
    );
  });

  it('reads ownership / enrolledOsVersion / tags from the device summary when it carries them', () => {
    const withFacts: RunResult = {
      ...result,
      devicesList: result.devicesList.map((d) =>
        d.id === 'd4' ? { ...d, ownership: 'corporate', tags: ['managed'] } : d,
      ),
    };
    const [r] = evaluateExpectations(
      scenarioWith(`  - { text: t, where: { tags: [managed] }, status: installed }`).expect,
      withFacts,
    );
    expect(r!.held).toBe(true);
  });
});

describe('extraFactsOf', () => {
  it('joins devices (ownership, enrolment version) with plans (tags) by index', () => {
    const f = extraFactsOf(
      [{ id: 'd1', index: 0, ownership: 'personal', enrolledOsVersion: '12' }],
      [{ index: 0, tags: ['wp-12'] }],
    );
    expect(f.get('d1')).toEqual({ ownership: 'personal', enrolledOsVersion: '12', tags: ['wp-12'] });
  });
});
