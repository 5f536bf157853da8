import { describe, expect, it } from 'vitest';
import {
  AVAILABILITY_RULES,
  absenceRule,
  type AvailabilityContext,
} from '../../../agent/device/availability.ts';
import type { AbsenceReason, AttributeName, Device } from '../../../agent/device/device.ts';
import { generateDevice, type GenerateDeviceOptions } from '../../../agent/device/generate.ts';
import { ABSENCE_ORIGINS } from '../../../profiles/variables/absence-policy.ts';

type Row = [
  name: string,
  options: Omit<GenerateDeviceOptions, 'seed' | 'index'>,
  expected: Partial<Record<AttributeName, AbsenceReason | 'present'>>,
];

/** One row per availability rule (plus the rows that prove a rule does not over-reach). */
const ROWS: Row[] = [
  ['UDID only on Apple (Windows)', { platform: 'windows' }, { udid: 'not-on-platform' }],
  ['UDID only on Apple (Android)', { platform: 'android' }, { udid: 'not-on-platform' }],
  [
    'FQDN only on Windows',
    { platform: 'ios', kind: 'device' },
    { fullyQualifiedDomainName: 'not-on-platform' },
  ],
  ['device SID only on Windows', { platform: 'macos', kind: 'device' }, { deviceSid: 'not-on-platform' }],
  [
    'no IMEI/MEID on macOS',
    { platform: 'macos', kind: 'device' },
    { imei: 'not-on-platform', meid: 'not-on-platform' },
  ],
  [
    'user-less dedicated Android has no user attributes',
    { platform: 'android', kind: 'dedicated' },
    {
      userName: 'user-less',
      userPrincipalName: 'user-less',
      emailAddress: 'user-less',
      department: 'user-less',
      onPremisesDistinguishedName: 'user-less',
      onPremisesSamAccountName: 'user-less',
      userSid: 'user-less',
      serialNumber: 'present',
      deviceName: 'present',
    },
  ],
  [
    'cloud-only user has no on-premises attributes',
    { platform: 'windows', kind: 'entra-joined', overrides: { userSynced: false } },
    {
      onPremisesDistinguishedName: 'not-synced',
      onPremisesSamAccountName: 'not-synced',
      userSid: 'not-synced',
      userPrincipalName: 'present',
      emailAddress: 'present',
    },
  ],
  [
    'synced user on iOS has on-premises attributes',
    { platform: 'ios', kind: 'device', overrides: { userSynced: true } },
    { onPremisesDistinguishedName: 'present', onPremisesSamAccountName: 'present', userSid: 'present' },
  ],
  [
    'Wi-Fi-only iPad has no IMEI/MEID',
    { platform: 'ios', kind: 'device', overrides: { modelId: 'apple-ipad-10-wifi' } },
    { imei: 'not-reported', meid: 'not-reported', serialNumber: 'present', udid: 'present' },
  ],
  [
    'Wi-Fi-only Android tablet has no IMEI',
    { platform: 'android', kind: 'fully-managed', overrides: { modelId: 'samsung-galaxy-tab-s9-wifi' } },
    { imei: 'not-reported', meid: 'not-reported', serialNumber: 'present' },
  ],
  [
    'PC without WWAN has no IMEI',
    {
      platform: 'windows',
      kind: 'entra-joined',
      overrides: { modelId: 'dell-latitude-7440', cellular: false },
    },
    { imei: 'not-reported', meid: 'not-reported' },
  ],
  [
    'PC with WWAN has an IMEI but no MEID',
    {
      platform: 'windows',
      kind: 'entra-joined',
      overrides: { modelId: 'lenovo-thinkpad-x1-carbon-gen11', cellular: true },
    },
    { imei: 'present', meid: 'not-reported' },
  ],
  [
    'GSM-only phone has no MEID',
    { platform: 'ios', kind: 'device', overrides: { modelId: 'apple-iphone-15-pro' } },
    { imei: 'present', meid: 'not-reported' },
  ],
  [
    'CDMA-capable phone has IMEI and MEID',
    { platform: 'ios', kind: 'device', overrides: { modelId: 'apple-iphone-13' } },
    { imei: 'present', meid: 'present' },
  ],
  [
    'desktop without Wi-Fi has no Wi-Fi MAC',
    { platform: 'windows', kind: 'entra-joined', overrides: { modelId: 'dell-optiplex-7010' } },
    { wifiMacAddress: 'not-reported' },
  ],
  [
    'Android 12+ personally-owned work profile: no serial/IMEI/MEID',
    {
      platform: 'android',
      kind: 'work-profile-personal',
      overrides: { modelId: 'samsung-galaxy-s21-us', osVersion: '13', enrolledOsVersion: '12' },
    },
    {
      serialNumber: 'android12-work-profile',
      imei: 'android12-work-profile',
      meid: 'android12-work-profile',
      wifiMacAddress: 'present',
      userPrincipalName: 'present',
    },
  ],
  [
    'work profile enrolled on Android 11, now on 13: serial/IMEI/MEID still there',
    {
      platform: 'android',
      kind: 'work-profile-personal',
      overrides: { modelId: 'samsung-galaxy-s21-us', osVersion: '13', enrolledOsVersion: '11' },
    },
    { serialNumber: 'present', imei: 'present', meid: 'present' },
  ],
  [
    'corporate-owned work profile on Android 14 keeps its serial and IMEI',
    {
      platform: 'android',
      kind: 'work-profile-corporate',
      overrides: { modelId: 'google-pixel-8', osVersion: '14' },
    },
    { serialNumber: 'present', imei: 'present' },
  ],
  [
    // ADM information.device.yaml: UDID, SerialNumber, IMEI, MEID, WiFiMAC are `userenrollment: mode:
    // forbidden` (the Wi-Fi MAC was reported here before: a {{WiFiMacAddress}} profile installed)
    'Apple User Enrollment hides UDID, serial, IMEI, MEID and the Wi-Fi MAC',
    { platform: 'ios', kind: 'user', overrides: { modelId: 'apple-iphone-13' } },
    {
      udid: 'not-reported',
      serialNumber: 'not-reported',
      imei: 'not-reported',
      meid: 'not-reported',
      wifiMacAddress: 'not-reported',
      deviceName: 'present',
      userPrincipalName: 'present',
    },
  ],
  [
    'macOS User Enrollment hides UDID, serial and the Wi-Fi MAC; IMEI/MEID are the platform’s',
    { platform: 'macos', kind: 'user' },
    {
      udid: 'not-reported',
      serialNumber: 'not-reported',
      wifiMacAddress: 'not-reported',
      imei: 'not-on-platform',
      meid: 'not-on-platform',
      deviceName: 'present',
    },
  ],
  [
    'Apple device enrollment keeps its Wi-Fi MAC',
    { platform: 'macos', kind: 'device' },
    { wifiMacAddress: 'present', serialNumber: 'present', udid: 'present' },
  ],
  [
    'Wi-Fi-only tablet as an Android 13 personally-owned work profile: the OS version hides its IMEI/MEID',
    {
      platform: 'android',
      kind: 'work-profile-personal',
      overrides: { modelId: 'samsung-galaxy-tab-s9-wifi', osVersion: '13', enrolledOsVersion: '13' },
    },
    {
      imei: 'android12-work-profile',
      meid: 'android12-work-profile',
      serialNumber: 'android12-work-profile',
    },
  ],
  [
    'Entra-joined Windows: no FQDN, no device SID',
    { platform: 'windows', kind: 'entra-joined' },
    { fullyQualifiedDomainName: 'not-domain-joined', deviceSid: 'not-hybrid-joined' },
  ],
  [
    'workplace-joined Windows: no FQDN',
    { platform: 'windows', kind: 'workplace' },
    { fullyQualifiedDomainName: 'not-domain-joined', deviceSid: 'not-hybrid-joined' },
  ],
  [
    'hybrid-joined Windows: FQDN and device SID',
    { platform: 'windows', kind: 'hybrid-joined' },
    { fullyQualifiedDomainName: 'present', deviceSid: 'present', userSid: 'present' },
  ],
  [
    'an attribute forced to null is absent (not-reported); a forced string is reported',
    {
      platform: 'android',
      kind: 'fully-managed',
      overrides: { attributes: { wifiMacAddress: null, deviceName: 'KIOSK-01' } },
    },
    { wifiMacAddress: 'not-reported', deviceName: 'present' },
  ],
];

describe.each(ROWS)('%s', (_name, options, expected) => {
  const devices: Device[] = [0, 1, 2, 3, 4].map((index) =>
    generateDevice({ seed: 'availability', index, ...options }),
  );

  it.each(Object.entries(expected))('%s is %s', (attribute, want) => {
    for (const d of devices) {
      const name = attribute as AttributeName;
      if (want === 'present') {
        expect(d.attributes[name], `${name} on ${d.hardware.modelId}`).toBeDefined();
        expect(d.absent[name]).toBeUndefined();
      } else {
        expect(d.attributes[name]).toBeUndefined();
        expect(d.absent[name]).toBe(want);
      }
    }
  });
});

describe('the rule table', () => {
  it('every rule is exercised by at least one row above', () => {
    const fired = new Set<string>();
    for (const [, options] of ROWS) {
      const d = generateDevice({ seed: 'availability', index: 0, ...options });
      const context = {
        platform: d.platform,
        enrollmentKind: d.enrollmentKind,
        enrolledOsVersion: d.enrolledOsVersion,
        hasUser: d.user !== null,
        userSynced: d.user?.synced ?? false,
        cellular: d.cellular,
        cdma: d.hardware.cdma,
        wifi: d.hardware.wifi,
      };
      for (const name of Object.keys(d.absent) as AttributeName[]) {
        const rule = absenceRule(context, name);
        if (rule !== undefined) fired.add(rule.id);
      }
    }
    expect([...fired].sort()).toEqual(AVAILABILITY_RULES.map((r) => r.id).sort());
  });

  it.each(AVAILABILITY_RULES.map((r) => [r.id, r] as const))(
    '%s explains itself and names a source',
    (_id, rule) => {
      expect(rule.explanation.length).toBeGreaterThan(20);
      expect(rule.source.length).toBeGreaterThan(0);
      expect(rule.attributes.length).toBeGreaterThan(0);
    },
  );
});

describe('one cause per absent attribute: the enrollment or OS that hides a value wins over the hardware', () => {
  const base: AvailabilityContext = {
    platform: 'android',
    enrollmentKind: 'work-profile-personal',
    enrolledOsVersion: '13',
    hasUser: true,
    userSynced: true,
    cellular: false,
    cdma: false,
    wifi: false,
  };
  it.each([
    ['Wi-Fi-only Android 13 personally-owned work profile', base, 'imei', 'android12-work-profile'],
    ['Wi-Fi-only Android 13 personally-owned work profile', base, 'meid', 'android12-work-profile'],
    [
      'the same on Android 11 (the OS hides nothing)',
      { ...base, enrolledOsVersion: '11' },
      'imei',
      'no-cellular',
    ],
    [
      'Wi-Fi-only iPad in User Enrollment',
      { ...base, platform: 'ios', enrollmentKind: 'user' },
      'imei',
      'apple-user-enrollment',
    ],
    [
      'Mac without Wi-Fi in User Enrollment',
      { ...base, platform: 'macos', enrollmentKind: 'user' },
      'wifiMacAddress',
      'apple-user-enrollment',
    ],
    [
      'Mac in User Enrollment: the platform has no IMEI at all',
      { ...base, platform: 'macos', enrollmentKind: 'user' },
      'imei',
      'imei-meid-not-on-macos',
    ],
    [
      'Wi-Fi-only iPad in device enrollment',
      { ...base, platform: 'ios', enrollmentKind: 'device' },
      'imei',
      'no-cellular',
    ],
  ] as const)('%s: %s → %s', (_what, context, attribute, rule) => {
    expect(absenceRule(context, attribute)?.id).toBe(rule);
  });

  it('the table is written in the precedence order absenceRule applies (platform … hardware)', () => {
    const ranks = AVAILABILITY_RULES.map((r) => ABSENCE_ORIGINS.indexOf(r.origin));
    expect(ranks.every((rank) => rank >= 0)).toBe(true);
    expect(ranks).toEqual([...ranks].sort((a, b) => a - b));
  });
});
