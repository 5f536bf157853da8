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
