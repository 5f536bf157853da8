/**
 * The scenario keys of issue 14 point 4 (scenarios/README.md `connectors`, `fleet`): `connectors.sidSecurityExtension`
 * (the connector's KB5014754 SID setting) and `fleet.cloudOnlyUsers` (users without an on-premises SID), read
 * strictly, planned reproducibly, and reaching the directory the service reads.
 */
import { describe, expect, it } from 'vitest';
import { generateDevice } from '../../../agent/device/generate.ts';
import { isCertfleetError } from '../../../pki/errors.ts';
import { directoryEntryOf } from '../../../simulator/fleet/directory-entry.ts';
import { loadScenario, planFleet, type ScenarioProblem } from '../../../simulator/scenario/index.ts';

const scenario = (connectors: string, fleetExtra: string, devices = 40): string =>
  [
    'name: t',
    'seed: sid-7',
    'duration: 1d',
    ...(connectors === '' ? [] : [`connectors: ${connectors}`]),
    'fleet:',
    `  devices: ${devices}`,
    ...(fleetExtra === '' ? [] : [`  ${fleetExtra}`]),
    '  mix:',
    '    - { platform: windows, kind: hybrid-joined, weight: 1 }',
    '    - { platform: ios, kind: device, weight: 1 }',
    'profiles:',
    '  - { name: Wi-Fi, type: pkcs, platforms: all, template: CertfleetUser, subject: "CN={{UserName}}" }',
    'expect:',
    '  - { text: all install, profile: Wi-Fi, status: installed }',
  ].join('\n') + '\n';

function problems(text: string): ScenarioProblem[] {
  try {
    loadScenario({ text, file: 's.yaml' });
  } catch (e) {
    if (!isCertfleetError(e)) throw e;
    expect(e.code).toBe('SCENARIO_INVALID');
    return e.details['problems'] as ScenarioProblem[];
  }
  return [];
}

describe('connectors.sidSecurityExtension', () => {
  it('is off by default and on when set', () => {
    expect(
      loadScenario({ text: scenario('', ''), file: 's.yaml' }).connectors.sidSecurityExtension,
    ).toBeUndefined();
    const off = loadScenario({ text: scenario('{ sidSecurityExtension: false }', ''), file: 's.yaml' });
    expect(off.connectors.sidSecurityExtension).toBeUndefined();
    const on = loadScenario({
      text: scenario('{ count: 1, sidSecurityExtension: true }', ''),
      file: 's.yaml',
    });
    expect(on.connectors).toMatchObject({ count: 1, sidSecurityExtension: true });
  });

  it('refuses a value that is not true or false, naming the key and its line', () => {
    const p = problems(scenario('{ count: 1, sidSecurityExtension: maybe }', ''));
    expect(p).toHaveLength(1);
    expect(p[0]!.path).toBe('connectors.sidSecurityExtension');
    expect(p[0]!.line).toBe(4);
  });
});

describe('fleet.cloudOnlyUsers', () => {
  const users = (extra: string) => {
    const s = loadScenario({ text: scenario('', extra), file: 's.yaml' });
    return planFleet(s).map((plan) => {
      const device = generateDevice(plan.generate);
      return { kind: plan.kind, onPremises: directoryEntryOf(device).user?.onPremises };
    });
  };

  it('1: every user off hybrid-joined PCs is cloud-only (no SID in the directory); hybrid-joined users keep theirs', () => {
    const u = users('cloudOnlyUsers: 1');
    const phones = u.filter((d) => d.kind === 'device');
    const pcs = u.filter((d) => d.kind === 'hybrid-joined');
    expect(phones.length).toBeGreaterThan(0);
    expect(pcs.length).toBeGreaterThan(0);
    expect(phones.map((d) => d.onPremises)).toEqual(phones.map(() => undefined));
    expect(pcs.every((d) => /^S-1-5-21-\d+-\d+-\d+-\d+$/.test(d.onPremises?.sid ?? ''))).toBe(true);
  });

  it('0: every user is synchronised and has a SID', () => {
    const u = users('cloudOnlyUsers: 0');
    expect(u.every((d) => /^S-1-5-21-/.test(d.onPremises?.sid ?? ''))).toBe(true);
  });

  it('a share draws per device from the seed: the same devices every time, and some of each', () => {
    const a = users('cloudOnlyUsers: 50%').map((d) => d.onPremises?.sid ?? null);
    const b = users('cloudOnlyUsers: 0.5').map((d) => d.onPremises?.sid ?? null);
    expect(a).toEqual(b);
    expect(a.filter((x) => x === null).length).toBeGreaterThan(0);
    expect(a.filter((x) => x !== null).length).toBeGreaterThan(20); // the 20-odd PCs and some phones
  });

  it('refuses a share outside 0..1', () => {
    const p = problems(scenario('', 'cloudOnlyUsers: 1.5'));
    expect(p).toHaveLength(1);
    expect(p[0]!.path).toBe('fleet.cloudOnlyUsers');
    expect(p[0]!.message).toContain('share from 0 to 1');
  });
});
