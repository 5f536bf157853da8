import { describe, expect, it } from 'vitest';
import { AVAILABILITY_RULES } from '../../../agent/device/availability.ts';
import { generateDevice, type GenerateDeviceOptions } from '../../../agent/device/generate.ts';
import {
  absenceCausesOf,
  recordedAbsenceText,
  RULE_CAUSES,
} from '../../../simulator/scenario/absence-causes.ts';
import { deviceRecordOf } from '../../../simulator/report/run-db.ts';
import { loadScenario, planFleet } from '../../../simulator/scenario/index.ts';

const plan = (generate: GenerateDeviceOptions): { generate: GenerateDeviceOptions } => ({ generate });

describe('absenceCausesOf', () => {
  it('every availability rule has a source and a short text', () => {
    expect(AVAILABILITY_RULES.map((r) => r.id).filter((id) => RULE_CAUSES[id] === undefined)).toEqual([]);
  });

  it('each rule’s report source is the origin its precedence is decided by', () => {
    expect(AVAILABILITY_RULES.filter((r) => RULE_CAUSES[r.id]?.source !== r.origin).map((r) => r.id)).toEqual(
      [],
    );
  });

  it.each([
    // what, device, attribute, source, rule
    [
      'a Wi-Fi-only iPad has no IMEI: its hardware',
      { platform: 'ios', kind: 'device', overrides: { modelId: 'apple-ipad-10-wifi' } },
      'imei',
      'hardware',
      'no-cellular',
    ],
    [
      'a Mac has no IMEI: its platform',
      { platform: 'macos', kind: 'device' },
      'imei',
      'platform',
      'imei-meid-not-on-macos',
    ],
    [
      'an Android 13 personally-owned work profile hides its IMEI: the OS version',
      {
        platform: 'android',
        kind: 'work-profile-personal',
        overrides: { enrolledOsVersion: '13', osVersion: '13' },
      },
      'imei',
      'os-version',
      'android12-work-profile',
    ],
    [
      'an Apple user enrollment hides the serial number: the kind',
      { platform: 'ios', kind: 'user' },
      'serialNumber',
      'enrollment-kind',
      'apple-user-enrollment',
    ],
    [
      'a Wi-Fi-only tablet enrolled as an Android 13 personally-owned work profile: the OS version, not the missing modem',
      {
        platform: 'android',
        kind: 'work-profile-personal',
        overrides: { modelId: 'samsung-galaxy-tab-s9-wifi', enrolledOsVersion: '13', osVersion: '13' },
      },
      'imei',
      'os-version',
      'android12-work-profile',
    ],
    [
      'a Wi-Fi-only iPad in User Enrollment has no IMEI: the kind, not the missing modem',
      { platform: 'ios', kind: 'user', overrides: { modelId: 'apple-ipad-10-wifi' } },
      'imei',
      'enrollment-kind',
      'apple-user-enrollment',
    ],
    [
      'an iPhone in User Enrollment does not report its Wi-Fi MAC: the kind',
      { platform: 'ios', kind: 'user', overrides: { modelId: 'apple-iphone-15-pro' } },
      'wifiMacAddress',
      'enrollment-kind',
      'apple-user-enrollment',
    ],
    [
      'a dedicated device has no user: the kind',
      { platform: 'android', kind: 'dedicated' },
      'emailAddress',
      'enrollment-kind',
      'user-less',
    ],
  ] as const)('%s', (_what, o, attribute, source, rule) => {
    const options: GenerateDeviceOptions = { seed: 'causes', index: 3, ...o } as GenerateDeviceOptions;
    const d = generateDevice(options);
    expect(absenceCausesOf(d, plan(options))[attribute]).toMatchObject({ source, rule });
    // `show device` reads the device back from run.db and names the same rule
    const record = JSON.parse(JSON.stringify(deviceRecordOf(d, true))) as ReturnType<typeof deviceRecordOf>;
    expect(recordedAbsenceText(record, attribute)).toBe(RULE_CAUSES[rule]?.text);
  });

  it('a recorded device names no rule where none holds, or where its record lacks the facts the rules read', () => {
    const options: GenerateDeviceOptions = {
      seed: 'causes',
      index: 1,
      platform: 'windows',
      kind: 'entra-joined',
      overrides: { attributes: { emailAddress: null } },
    };
    const record = deviceRecordOf(generateDevice(options), true);
    expect(record.absent.emailAddress).toBe('not-reported');
    expect(recordedAbsenceText(record, 'emailAddress')).toBeUndefined(); // removed by the scenario, not a rule
    expect(recordedAbsenceText(record, 'udid')).toBe(RULE_CAUSES['udid-apple-only']?.text);
    expect(recordedAbsenceText({ ...record, facts: {} }, 'udid')).toBeUndefined();
  });

  it('the scenario’s own fleet.missing, with its share — and a platform rule wins over it', () => {
    const options: GenerateDeviceOptions = {
      seed: 'causes',
      index: 1,
      platform: 'macos',
      kind: 'device',
      overrides: { attributes: { emailAddress: null, imei: null } },
    };
    const d = generateDevice(options);
    const causes = absenceCausesOf(d, plan(options), { emailAddress: 0.3, imei: 1 });
    expect(causes.emailAddress).toEqual({
      reason: 'not-reported',
      source: 'scenario',
      rule: 'fleet.missing.emailAddress',
      text: 'removed by the scenario (fleet.missing.emailAddress: 30 % of devices)',
    });
    expect(causes.imei).toMatchObject({ source: 'platform', rule: 'imei-meid-not-on-macos' });
  });

  it('only absent attributes get a cause', () => {
    const options: GenerateDeviceOptions = {
      seed: 'causes',
      index: 2,
      platform: 'windows',
      kind: 'hybrid-joined',
    };
    const d = generateDevice(options);
    expect(Object.keys(absenceCausesOf(d, plan(options))).sort()).toEqual(Object.keys(d.absent).sort());
    expect(absenceCausesOf(d, plan(options)).userPrincipalName).toBeUndefined();
  });

  it('reads fleet.missing from a planned fleet', () => {
    const s = loadScenario({
      text: 'name: m\nfleet:\n  devices: 6\n  mix: [{platform: macos, kind: device}]\n  missing: {emailAddress: 1}\nprofiles: []\n',
    });
    const plans = planFleet(s);
    const d = generateDevice(plans[0]!.generate);
    expect(absenceCausesOf(d, plans[0], s.fleet.missing).emailAddress?.source).toBe('scenario');
  });
});
