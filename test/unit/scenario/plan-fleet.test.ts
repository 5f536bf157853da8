import { describe, expect, it } from 'vitest';
import { generateDevice } from '../../../agent/device/index.ts';
import {
  loadScenario,
  planConnectors,
  planFleet,
  versionMatches,
  parseVersionFilter,
} from '../../../simulator/scenario/index.ts';

const FLEET = `
seed: plan-test
duration: 10d
fleet:
  devices: 1000
  ramp: 2h
  lockedApple: 0.5
  missing: { department: 0.2 }
  failures:
    offline: { probability: 0.1, duration: 6h }
    slowDevice: { probability: 0.3, delay: 45s }
    connectorDown: { probability: 1, duration: 1h }
  mix:
    - { platform: windows, kind: entra-joined, weight: 50, tpm: 0.5 }
    - { platform: ios, weight: 30 }
    - { platform: android, kind: work-profile-personal, weight: 20, cellular: true, enrolledOsVersions: ">=12", tags: [wp] }
connectors: 3
`;

const scenario = loadScenario({ text: FLEET, file: 'plan.yaml' });
const plans = planFleet(scenario);

describe('planFleet', () => {
  it('is deterministic: the same scenario gives the same plan', () => {
    const again = planFleet(loadScenario({ text: FLEET, file: 'plan.yaml' }));
    expect(JSON.stringify(again)).toBe(JSON.stringify(plans));
  });

  it('another seed gives another plan', () => {
    const other = planFleet(
      loadScenario({ text: FLEET.replace('plan-test', 'plan-test-2'), file: 'p.yaml' }),
    );
    expect(other.map((p) => p.platform).join()).not.toBe(plans.map((p) => p.platform).join());
  });

  it('a slice plans the same devices as the whole fleet (shards)', () => {
    expect(planFleet(scenario, { from: 400, to: 410 })).toEqual(plans.slice(400, 410));
  });

  it.each([
    ['windows', 0.5],
    ['ios', 0.3],
    ['android', 0.2],
  ] as const)('draws %s with its weight share %f (±0.05 over 1,000 devices)', (platform, share) => {
    const n = plans.filter((p) => p.platform === platform).length;
    expect(Math.abs(n / plans.length - share)).toBeLessThan(0.05);
  });

  it.each([
    ['slow devices', (p: (typeof plans)[number]) => p.slowDelayMs === 45_000, 0.3],
    ['offline devices', (p: (typeof plans)[number]) => p.offline.length === 1, 0.1],
    ['locked Apple devices (of Apple devices)', (p: (typeof plans)[number]) => p.locked, 0.5],
    [
      'Windows devices with a TPM (of Windows)',
      (p: (typeof plans)[number]) => p.generate.overrides?.tpm === true,
      0.5,
    ],
    [
      'devices missing the department',
      (p: (typeof plans)[number]) => p.generate.overrides?.attributes?.department === null,
      0.2,
    ],
  ] as const)('injects %s at their rate (±0.06)', (label, pred, rate) => {
    const pool = label.includes('Apple')
      ? plans.filter((p) => p.platform === 'ios')
      : label.includes('Windows')
        ? plans.filter((p) => p.platform === 'windows')
        : plans;
    const n = pool.filter(pred).length;
    expect(Math.abs(n / pool.length - rate)).toBeLessThan(0.06);
  });

  it('enrols every device within the ramp, and in index order of slots', () => {
    const end = scenario.start + 2 * 3_600_000;
    for (const p of plans) {
      expect(p.enrolAt).toBeGreaterThanOrEqual(scenario.start);
      expect(p.enrolAt).toBeLessThan(end);
    }
    expect(plans[999]!.enrolAt).toBeGreaterThan(plans[0]!.enrolAt);
  });

  it('offline windows lie within the run and last the given duration', () => {
    for (const p of plans) {
      for (const w of p.offline) {
        expect(w.from).toBeGreaterThanOrEqual(p.enrolAt);
        expect(w.from).toBeLessThan(scenario.start + scenario.durationMs);
        expect(w.to - w.from).toBe(6 * 3_600_000);
      }
    }
  });

  it('Android entries with enrolledOsVersions ">=12" generate devices enrolled on 12+ without an IMEI', () => {
    const wp = plans.filter((p) => p.tags.includes('wp')).slice(0, 40);
    expect(wp.length).toBe(40);
    const filter = parseVersionFilter('>=12')!;
    for (const p of wp) {
      const d = generateDevice(p.generate);
      expect(d.enrollmentKind).toBe('work-profile-personal');
      expect(versionMatches('android', d.enrolledOsVersion, filter)).toBe(true);
      expect(d.absent.imei).toBe('android12-work-profile');
    }
  });

  it('the generateDevice options give the planned platform and kind', () => {
    for (const p of plans.slice(0, 50)) {
      const d = generateDevice(p.generate);
      expect([d.platform, d.enrollmentKind, d.index]).toEqual([p.platform, p.kind, p.index]);
    }
  });

  it('plans each connector, down once when connectorDown is certain', () => {
    const c = planConnectors(scenario);
    expect(c.map((x) => x.id)).toEqual(['connector-1', 'connector-2', 'connector-3']);
    for (const x of c) expect(x.down).toHaveLength(1);
    expect(planConnectors(scenario)).toEqual(c);
  });
});
