/**
 * regression issue 5: scenario keys that reach the service — enrollmentRestrictions, actions, connectors
 * (idle backoff) — and scenario features that had no test (osVersions, checkInInterval, connectors 1–100).
 */
import { describe, expect, it } from 'vitest';
import { isCertfleetError } from '../../../pki/errors.ts';
import { loadScenario, type ScenarioProblem } from '../../../simulator/scenario/index.ts';

const BASE =
  'name: t\nfleet:\n  devices: 4\nprofiles:\n  - { name: Wi-Fi, type: pkcs, platforms: all, template: CertfleetUser, subject: "CN={{UserName}}" }\n';

function load(extra: string) {
  return loadScenario({ text: BASE + extra, file: 's.yaml' });
}

function problemsOf(extra: string): ScenarioProblem[] {
  try {
    load(extra);
  } catch (e) {
    if (!isCertfleetError(e, 'SCENARIO_INVALID')) throw e;
    return e.details['problems'] as ScenarioProblem[];
  }
  throw new Error('the scenario loaded');
}

const EXTRA_LINE = 6; // the first line after BASE

describe('regression issue 5: enrollmentRestrictions', () => {
  it('reads every restriction MdmService supports', () => {
    const s = load(
      'enrollmentRestrictions:\n  blockedPlatforms: [android]\n  blockedKinds: [device-admin]\n  blockPersonal: ios\n  minOsVersion: { windows: 10.0.19045, ios: 17 }\n  deviceLimit: 5\n',
    );
    expect(s.enrollmentRestrictions).toEqual({
      blockedPlatforms: ['android'],
      blockedKinds: ['device-admin'],
      blockPersonal: ['ios'],
      minOsVersion: { windows: '10.0.19045', ios: '17' },
      deviceLimit: 5,
    });
  });

  it('defaults to none', () => expect(load('').enrollmentRestrictions).toEqual({}));

  it.each([
    [
      '  blockedPlatforms: [andriod]\n',
      1,
      'enrollmentRestrictions.blockedPlatforms[0]',
      "did you mean 'android'",
    ],
    [
      '  minOsVersion: { ios: seventeen }\n',
      1,
      'enrollmentRestrictions.minOsVersion.ios',
      'dotted OS version',
    ],
    ['  minOsVersion: { ipados: 17 }\n', 1, 'enrollmentRestrictions.minOsVersion.ipados', 'unknown key'],
    ['  deviceLimit: 16\n', 1, 'enrollmentRestrictions.deviceLimit', 'from 1 to 15'],
    [
      '  blockedKind: [device-admin]\n',
      1,
      'enrollmentRestrictions.blockedKind',
      "did you mean 'blockedKinds'",
    ],
  ])('%j is a problem at its line', (body, offset, path, message) => {
    const [p] = problemsOf(`enrollmentRestrictions:\n${body}`);
    expect(p).toMatchObject({ line: EXTRA_LINE + offset, path });
    expect(p!.message).toContain(message);
  });
});

describe('regression issue 5: actions', () => {
  it('reads retire groups and profile removals, in time order', () => {
    const s = load(
      'duration: 30d\nactions:\n  - { at: 20d, removeProfile: Wi-Fi }\n  - { at: 10d, retire: { platform: ios, count: 3 } }\n  - { at: 11d, retire: all }\n',
    );
    expect(s.actions).toEqual([
      { type: 'retire', atMs: 10 * 86_400_000, where: { platform: ['ios'] }, count: 3, line: EXTRA_LINE + 3 },
      { type: 'retire', atMs: 11 * 86_400_000, where: {}, line: EXTRA_LINE + 4 },
      { type: 'remove-profile', atMs: 20 * 86_400_000, profile: 'Wi-Fi', line: EXTRA_LINE + 2 },
    ]);
  });

  it('defaults to none', () => expect(load('').actions).toEqual([]));

  it.each([
    ['  - { at: 1d, removeProfile: WiFi }\n', 'actions[0].removeProfile', "did you mean 'Wi-Fi'"],
    ['  - { at: 40d, removeProfile: Wi-Fi }\n', 'actions[0].at', 'after the end of the run'],
    [
      '  - { at: 1d }\n',
      'actions[0]',
      'exactly one of retire, removeProfile, caRequests, renewIssuingCa or uploadIssuingCa',
    ],
    ['  - { at: 1d, retire: all, removeProfile: Wi-Fi }\n', 'actions[0]', 'exactly one of'],
    ['  - { at: 1d, retire: { platfrom: ios } }\n', 'actions[0].retire.platfrom', "did you mean 'platform'"],
    ['  - { at: 1d, retire: { platform: ios, count: 0 } }\n', 'actions[0].retire.count', 'from 1'],
    ['  - { retire: all }\n', 'actions[0].at', 'is required'],
  ])('%j is a problem at its line', (body, path, message) => {
    const [p] = problemsOf(`duration: 30d\nactions:\n${body}`);
    expect(p).toMatchObject({ line: EXTRA_LINE + 2, path });
    expect(p!.message).toContain(message);
  });
});

describe('regression issue 5: connectors', () => {
  it.each([
    ['', { count: 2, pollIntervalMs: 30_000, maxIdlePollIntervalMs: 900_000 }],
    ['connectors: 1\n', { count: 1, pollIntervalMs: 30_000, maxIdlePollIntervalMs: 900_000 }],
    ['connectors: 100\n', { count: 100, pollIntervalMs: 30_000, maxIdlePollIntervalMs: 900_000 }],
    [
      'connectors: 3\nconnectorPollInterval: 1m\n',
      { count: 3, pollIntervalMs: 60_000, maxIdlePollIntervalMs: 900_000 },
    ],
    [
      'connectors: { count: 4, idleBackoff: off }\n',
      { count: 4, pollIntervalMs: 30_000, maxIdlePollIntervalMs: 30_000 },
    ],
    [
      'connectors: { pollInterval: 20m }\n',
      { count: 2, pollIntervalMs: 1_200_000, maxIdlePollIntervalMs: 1_200_000 },
    ],
    [
      'connectors: { idleBackoff: 1h }\n',
      { count: 2, pollIntervalMs: 30_000, maxIdlePollIntervalMs: 3_600_000 },
    ],
  ])('%j', (extra, expected) => expect(load(extra).connectors).toEqual(expected));

  it.each([
    ['connectors: 0\n', 'connectors', 'from 1 to 100'],
    ['connectors: 101\n', 'connectors', 'from 1 to 100'],
    ['connectors: 2.5\n', 'connectors', 'whole number'],
    ['connectors: { count: 101 }\n', 'connectors.count', 'from 1 to 100'],
    ['connectors: { idleBackoff: 10s }\n', 'connectors.idleBackoff', 'at least the poll interval'],
    ['connectors: { idleBackof: off }\n', 'connectors.idleBackof', "did you mean 'idleBackoff'"],
    ['connectorPollInterval: 1m\nconnectors: { pollInterval: 2m }\n', 'connectorPollInterval', 'keep one'],
  ])('%j is a problem', (extra, path, message) => {
    const [p] = problemsOf(extra);
    expect(p).toMatchObject({ line: EXTRA_LINE, path });
    expect(p!.message).toContain(message);
  });
});
