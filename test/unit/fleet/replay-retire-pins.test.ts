/**
 * A replay re-runs one device alone (replay.ts: `runFleet({ only: [index] })`). A retire action chooses among
 * the devices enrolled then (`retire: {platform: ios, count: 1}`: the first enrolled iOS device by fleet
 * index), so chosen again in a fleet of one it always took the replayed device: `certfleet replay '#9'`
 * retired a device the original run never retired. The replay now pins every retire action to the devices
 * the original run retired at it (scenario-actions.ts pinRetirements); `run` and `serve` (no pins) choose as
 * before. The actions are driven here on a fake clock and service: which device each one retires, and when.
 */
import { describe, expect, it } from 'vitest';
import {
  pinnedOf,
  pinRetirements,
  scheduleActions,
  type OriginalRetirement,
} from '../../../simulator/fleet/scenario-actions.ts';
import { loadScenario, type Scenario } from '../../../simulator/scenario/index.ts';
import type { MdmService } from '../../../simulator/service/mdm/index.ts';
import type { ServiceDevice } from '../../../simulator/service/mdm/service-types.ts';

const DAY = 86_400_000;

/** A scenario with the given actions (12 devices of three platforms; two profiles to remove). */
function scenarioWith(actions: string): Scenario {
  return loadScenario({
    text: `name: pins
seed: pins-1
duration: 4d
fleet:
  devices: 12
  mix:
    - { platform: ios, kind: device, weight: 1 }
    - { platform: macos, kind: device, weight: 1 }
    - { platform: windows, kind: entra-joined, weight: 1 }
profiles:
  - { name: Wifi, type: pkcs, platforms: [ios, macos, windows], template: CertfleetDevice, certificateType: device, subject: 'CN={{AAD_Device_ID}}' }
  - { name: Vpn, type: scep, platforms: [ios, macos], subject: 'CN={{DeviceId}},O=Contoso', certificateType: device, keySize: 2048 }
actions:
${actions}
`,
    baseDir: '/tmp',
  });
}

/** A fleet device as the service lists it, by fleet index. */
interface FakeDevice {
  index: number;
  platform: 'ios' | 'macos';
  /** When it enrols (epoch ms); never when absent. */
  enrolsAt?: number;
}

/**
 * Runs the scenario's actions on a fake clock over `fleet` and returns each retirement (fleet index, instant
 * relative to the start) and the profiles removed, in order.
 */
async function drive(
  scenario: Scenario,
  fleet: FakeDevice[],
): Promise<{ retired: [number, number][]; removed: string[] }> {
  const tasks: { at: number; fn: () => void | Promise<void> }[] = [];
  let now = scenario.start;
  const state = new Map<string, ServiceDevice['state']>();
  const retired: [number, number][] = [];
  const removed: string[] = [];
  const idOf = (d: FakeDevice): string => `device-${d.index}`;
  const service = {
    devices: (): ServiceDevice[] =>
      fleet
        .filter((d) => d.enrolsAt !== undefined && d.enrolsAt <= now)
        .map((d) => ({
          id: idOf(d),
          platform: d.platform,
          kind: 'device',
          osVersion: '17.0',
          ownership: 'corporate',
          state: state.get(idOf(d)) ?? 'enrolled',
          tags: [],
        })),
    retireDevice: async (id: string): Promise<void> => {
      state.set(id, 'retired');
      retired.push([Number(id.slice('device-'.length)), now - scenario.start]);
    },
    removeAssignment: async (id: string): Promise<void> => {
      removed.push(id);
    },
  } as unknown as MdmService;
  scheduleActions({
    scenario,
    service,
    clock: { schedule: (at, fn) => tasks.push({ at, fn }) },
    idOfProfile: (name) => `profile-${name}`,
    indexOf: (id) => Number(id.slice('device-'.length)),
  });
  // in time order, then in scheduling order (as the virtual clock runs them)
  for (const t of tasks.map((x, i) => ({ ...x, i })).sort((a, b) => a.at - b.at || a.i - b.i)) {
    now = t.at;
    await t.fn();
  }
  return { retired, removed };
}

const ACTIONS = `  - { at: 1d, removeProfile: Wifi }
  - { at: 2d, removeProfile: Vpn }
  - { at: 3d, retire: { platform: ios, count: 1 } }`;

describe('a replay retires the device where the original run did, and nowhere else', () => {
  const scenario = scenarioWith(ACTIONS);
  const start = scenario.start;
  const ios9: FakeDevice = { index: 9, platform: 'ios', enrolsAt: start };

  it('without pins (run, serve) a fleet of one retires its only iOS device: what the replay did before', async () => {
    expect(await drive(scenario, [ios9])).toEqual({
      retired: [[9, 3 * DAY]],
      removed: ['profile-Wifi', 'profile-Vpn'],
    });
  });

  it('run and serve are unchanged: count 1 takes the first enrolled iOS device by fleet index', async () => {
    const fleet: FakeDevice[] = [
      { index: 0, platform: 'ios' }, // never enrolled
      { index: 2, platform: 'macos', enrolsAt: start },
      { index: 9, platform: 'ios', enrolsAt: start },
      { index: 8, platform: 'ios', enrolsAt: start },
    ];
    expect((await drive(scenario, fleet)).retired).toEqual([[8, 3 * DAY]]);
  });

  it('a device the original did not retire (it retired #8) is not retired in its replay', async () => {
    const pinned = pinRetirements(scenario, []);
    const { retired, removed } = await drive(pinned, [ios9]);
    expect(retired).toEqual([]);
    // every other action runs as written
    expect(removed).toEqual(['profile-Wifi', 'profile-Vpn']);
  });

  it('the device the original retired is retired in its replay, at the same action', async () => {
    const pinned = pinRetirements(scenario, [{ index: 8, at: start + 3 * DAY }]);
    expect(await drive(pinned, [{ index: 8, platform: 'ios', enrolsAt: start }])).toEqual({
      retired: [[8, 3 * DAY]],
      removed: ['profile-Wifi', 'profile-Vpn'],
    });
  });

  it('follows the original when it chose by enrollment state: retired by the later of two actions', async () => {
    // in the original #9 was not enrolled yet at 1d (retire: all took the others), and was retired at 3d;
    // alone, it enrols before 1d: the first action must still leave it alone
    const twoRetires = scenarioWith(`  - { at: 1d, retire: all }
  - { at: 3d, retire: { platform: ios, count: 1 } }`);
    const alone: FakeDevice[] = [{ index: 9, platform: 'ios', enrolsAt: twoRetires.start }];
    expect((await drive(twoRetires, alone)).retired).toEqual([[9, DAY]]); // chosen again: wrong action
    const pinned = pinRetirements(twoRetires, [{ index: 9, at: twoRetires.start + 3 * DAY }]);
    expect(pinned.actions.map((a) => pinnedOf(a))).toEqual([[], [9]]);
    expect((await drive(pinned, alone)).retired).toEqual([[9, 3 * DAY]]);
  });

  it('pins a retirement to the latest retire action at or before it, whatever the count', () => {
    const s = scenarioWith(`  - { at: 1d, retire: { platform: ios, count: 2 } }
  - { at: 2d, removeProfile: Vpn }
  - { at: 3d, retire: { platform: macos } }`);
    const retired: OriginalRetirement[] = [
      { index: 4, at: s.start + DAY },
      { index: 1, at: s.start + DAY + 250 }, // a wall-paced run records the event a little after the action
      { index: 7, at: s.start + 3 * DAY },
      { index: 5, at: s.start - 1 }, // before any retire action: nothing to pin
    ];
    expect(pinRetirements(s, retired).actions.map((a) => [a.type, pinnedOf(a)])).toEqual([
      ['retire', [1, 4]],
      ['remove-profile', undefined],
      ['retire', [7]],
    ]);
  });

  it('two retire actions at one instant: the group decides which one retires the pinned device', async () => {
    const s = scenarioWith(`  - { at: 3d, retire: { platform: macos, count: 1 } }
  - { at: 3d, retire: { platform: ios, count: 1 } }`);
    const pinned = pinRetirements(s, [{ index: 9, at: s.start + 3 * DAY }]);
    expect(pinned.actions.map((a) => pinnedOf(a))).toEqual([[9], [9]]);
    expect((await drive(pinned, [ios9])).retired).toEqual([[9, 3 * DAY]]);
  });

  it('a pinned device not enrolled at the action in the replay is not retired (the replay then differs)', async () => {
    const pinned = pinRetirements(scenario, [{ index: 9, at: start + 3 * DAY }]);
    expect((await drive(pinned, [{ index: 9, platform: 'ios' }])).retired).toEqual([]);
  });
});
