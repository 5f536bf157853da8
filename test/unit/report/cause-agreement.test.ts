/**
 * One cause per device: when an attribute is absent for more than one reason (a Wi-Fi-only tablet enrolled
 * as an Android 13 personally-owned work profile has no modem *and* Android hides the IMEI there), the
 * failure summary (console "failure reasons", report.json `summary.failureReasons`), the row's own message
 * (report.json, junit.xml) and the device's absence reason (`show device`) name the same cause — the one
 * the precedence rule of profiles/variables/absence-policy.ts picks (the enrollment or OS that hides a
 * value wins over the hardware that lacks it). The devices go through what a run does: their native
 * inventory as the service reads it, the resolver, and the absence causes the fleet records.
 */
import { describe, expect, it } from 'vitest';
import type { Device } from '../../../agent/device/device.ts';
import { generateDevice, type GenerateDeviceOptions } from '../../../agent/device/generate.ts';
import { inventoryOf } from '../../../agent/device/inventory.ts';
import { resolveTemplate } from '../../../profiles/variables/resolve-template.ts';
import { directoryEntryOf } from '../../../simulator/fleet/directory-entry.ts';
import { failureCauseOf, summarize } from '../../../simulator/report/summary.ts';
import type { DeviceProfileOutcome, DeviceSummary, RunResult } from '../../../simulator/run-model.ts';
import { absenceCausesOf } from '../../../simulator/scenario/absence-causes.ts';
import { factsFromInventory } from '../../../simulator/service/mdm/facts-from-inventory.ts';

const DEVICES: [name: string, options: Omit<GenerateDeviceOptions, 'seed' | 'index'>][] = [
  [
    'wp13-tablet', // both causes: no modem, and Android 13 hides the IMEI from personal work profiles
    {
      platform: 'android',
      kind: 'work-profile-personal',
      overrides: { modelId: 'samsung-galaxy-tab-s9-wifi', osVersion: '13', enrolledOsVersion: '13' },
    },
  ],
  [
    'wp11-tablet', // enrolled on 11: only the hardware
    {
      platform: 'android',
      kind: 'work-profile-personal',
      overrides: { modelId: 'samsung-galaxy-tab-s9-wifi', osVersion: '13', enrolledOsVersion: '11' },
    },
  ],
  [
    'da-tablet',
    { platform: 'android', kind: 'device-admin', overrides: { modelId: 'samsung-galaxy-tab-s9-wifi' } },
  ],
  ['ue-ipad', { platform: 'ios', kind: 'user', overrides: { modelId: 'apple-ipad-10-wifi' } }], // both causes
  ['ue-iphone', { platform: 'ios', kind: 'user', overrides: { modelId: 'apple-iphone-15-pro' } }],
  ['ue-mac', { platform: 'macos', kind: 'user' }],
  ['de-ipad', { platform: 'ios', kind: 'device', overrides: { modelId: 'apple-ipad-10-wifi' } }],
  [
    'wired-pc',
    {
      platform: 'windows',
      kind: 'entra-joined',
      overrides: { modelId: 'dell-optiplex-7010', cellular: false },
    },
  ],
];

const TEMPLATES = {
  IMEI: 'CN={{IMEI}}',
  MEID: 'CN={{MEID}}',
  'Wi-Fi MAC': 'CN={{WiFiMacAddress}}',
  Serial: 'CN={{SerialNumber}}',
};

/** What the row's message says for each cause the summary can name (and only for it). */
const SAYS: Record<string, RegExp> = {
  'android12-work-profile': /Android 12 and later hide/,
  'apple-user-enrollment': /Apple User Enrollment does not share hardware identifiers/,
  'imei-meid-not-on-macos': /macOS devices never supply/,
  'no-cellular': /reported no IMEI — it has no cellular modem/,
  'no-cdma': /does not speak CDMA/,
  'no-wifi': /no Wi-Fi radio/,
};

interface Run {
  devices: Map<string, Device>;
  result: RunResult;
}

function run(): Run {
  const devices = new Map<string, Device>();
  const devicesList: DeviceSummary[] = [];
  const outcomes: DeviceProfileOutcome[] = [];
  DEVICES.forEach(([name, options], index) => {
    const generate: GenerateDeviceOptions = { seed: `causes-${name}`, index, ...options };
    const d = generateDevice(generate);
    devices.set(d.id, d);
    devicesList.push({
      id: d.id,
      index,
      platform: d.platform,
      kind: d.enrollmentKind,
      osVersion: d.osVersion,
      model: d.model,
      enrolled: true,
      absent: absenceCausesOf(d, { generate }),
    });
    // the service's view: the inventory as it travels, and the directory
    const wire = JSON.parse(JSON.stringify(inventoryOf(d))) as unknown;
    const facts = factsFromInventory(d.platform, d.enrollmentKind, wire, directoryEntryOf(d), d.id);
    for (const [profile, template] of Object.entries(TEMPLATES)) {
      const r = resolveTemplate(template, facts, { certificateType: 'device', target: 'subject' });
      outcomes.push({
        device: d.id,
        platform: d.platform,
        kind: d.enrollmentKind,
        profile,
        status: r.ok ? 'installed' : 'failed',
        code: r.ok ? 'OK' : r.outcome.code,
        message: r.ok ? 'installed' : r.outcome.message,
        renewals: 0,
        at: '2026-01-01T00:00:00.000Z',
      });
    }
  });
  const result = {
    scenario: 'causes',
    seed: 'causes',
    devices: devicesList.length,
    startedAt: '2026-01-01T00:00:00.000Z',
    devicesList,
    outcomes,
    events: [],
    expectations: [],
    metrics: {} as RunResult['metrics'],
  } satisfies RunResult;
  return { devices, result };
}

describe('the summary, the row message and show device name one cause per device', () => {
  const { devices, result } = run();
  const summaryOf = new Map(result.devicesList.map((d) => [d.id, d]));
  const nameOf = new Map(result.devicesList.map((d) => [d.id, DEVICES[d.index]![0]] as const));
  const failed = result.outcomes.filter((o) => o.code === 'VARIABLE_MISSING');

  it.each(failed.map((o) => [nameOf.get(o.device)!, o.profile, o] as const))(
    '%s, %s: the summary’s cause is the one the row’s message gives and show device’s reason',
    (_name, _profile, o) => {
      const cause = failureCauseOf(o, summaryOf.get(o.device));
      expect(cause.rule, cause.text).toBeDefined();
      const says = SAYS[cause.rule!];
      expect(says, `a message pattern for ${cause.rule}`).toBeDefined();
      expect(o.message).toMatch(says!);
      for (const [rule, other] of Object.entries(SAYS))
        if (rule !== cause.rule) expect(o.message, `not also ${rule}`).not.toMatch(other);
      // show device prints the device's own absence reason: the same one
      expect(devices.get(o.device)!.absent[cause.attribute!]).toBe(cause.reason);
    },
  );

  it.each([
    ['wp13-tablet', 'IMEI', 'android12-work-profile'],
    ['wp13-tablet', 'MEID', 'android12-work-profile'],
    ['ue-ipad', 'IMEI', 'apple-user-enrollment'],
    ['ue-ipad', 'Wi-Fi MAC', 'apple-user-enrollment'],
    ['ue-iphone', 'MEID', 'apple-user-enrollment'],
    ['ue-iphone', 'Wi-Fi MAC', 'apple-user-enrollment'],
    ['ue-mac', 'IMEI', 'imei-meid-not-on-macos'],
    ['ue-mac', 'Wi-Fi MAC', 'apple-user-enrollment'],
    ['wp11-tablet', 'IMEI', 'no-cellular'],
    ['da-tablet', 'IMEI', 'no-cellular'],
    ['de-ipad', 'IMEI', 'no-cellular'],
    ['wired-pc', 'Wi-Fi MAC', 'no-wifi'],
  ])('%s, %s: %s', (name, profile, rule) => {
    const o = failed.find((x) => nameOf.get(x.device) === name && x.profile === profile);
    expect(o, `${name} fails ${profile}`).toBeDefined();
    expect(failureCauseOf(o!, summaryOf.get(o!.device)).rule).toBe(rule);
  });

  it('device enrollment still installs a {{WiFiMacAddress}} profile', () => {
    const o = result.outcomes.find((x) => nameOf.get(x.device) === 'de-ipad' && x.profile === 'Wi-Fi MAC');
    expect(o?.status).toBe('installed');
  });

  it('summary.failureReasons: the work profile on Android 13 is grouped under the OS, not with the Wi-Fi-only models', () => {
    const imei = summarize(result).failureReasons.filter((r) => r.profile === 'IMEI');
    const byRule = Object.fromEntries(imei.map((r) => [r.cause.rule, r.where]));
    expect(byRule).toEqual({
      'android12-work-profile': { 'android/work-profile-personal': 1 },
      'apple-user-enrollment': { 'ios/user': 2 }, // the Wi-Fi-only iPad and the iPhone
      'imei-meid-not-on-macos': { 'macos/user': 1 },
      'no-cellular': {
        'android/device-admin': 1,
        'android/work-profile-personal': 1,
        'ios/device': 1,
        'windows/entra-joined': 1,
      },
    });
    const os = imei.find((r) => r.cause.rule === 'android12-work-profile')!;
    expect(nameOf.get(os.example.device)).toBe('wp13-tablet');
    expect(os.example.message).toMatch(SAYS['android12-work-profile']!);
    const hardware = imei.find((r) => r.cause.rule === 'no-cellular')!;
    expect(hardware.example.message).toMatch(SAYS['no-cellular']!);
  });
});
