/**
 * A hand-made run for the report tests: four platforms, a trusted root and a PKCS profile, failures with
 * codes (and messages carrying < & " characters), a pending and a skipped outcome, renewals, a device that
 * never enrolled, one expectation held and one broken.
 */
import type {
  DeviceProfileOutcome,
  DeviceSummary,
  RunEvent,
  RunResult,
} from '../../../simulator/run-model.ts';

/** A message with every character XML and HTML must escape. */
export const NASTY_MESSAGE = 'KSP <Microsoft Platform Crypto Provider> & "TPM" unavailable: don\'t retry';

const AT = '2026-03-01T08:00:00.000Z';

function dev(
  id: string,
  index: number,
  platform: DeviceSummary['platform'],
  kind: DeviceSummary['kind'],
  enrolled = true,
): DeviceSummary {
  return { id, index, platform, kind, osVersion: '1.0', model: `model-${id}`, enrolled };
}

function out(
  device: DeviceSummary,
  profile: string,
  status: DeviceProfileOutcome['status'],
  code: DeviceProfileOutcome['code'],
  message: string,
  extra: Partial<DeviceProfileOutcome> = {},
): DeviceProfileOutcome {
  return {
    device: device.id,
    platform: device.platform,
    kind: device.kind,
    profile,
    status,
    code,
    message,
    renewals: 0,
    at: AT,
    ...extra,
  };
}

/** Builds a fresh copy of the fixture run (tests may change it). */
export function sampleRun(): RunResult {
  const win1 = dev('win-1', 0, 'windows', 'entra-joined');
  const win2 = dev('win-2', 1, 'windows', 'hybrid-joined');
  const ios1 = dev('ios-1', 2, 'ios', 'device');
  const and1 = dev('and-1', 3, 'android', 'work-profile-personal');
  const and2 = dev('and-2', 4, 'android', 'work-profile-personal');
  const and3 = dev('and-3', 5, 'android', 'fully-managed');
  const mac1 = dev('mac-1', 6, 'macos', 'device', false);
  const mac2 = dev('mac-2', 7, 'macos', 'device');
  const ROOT = 'Contoso Root';
  const PKCS = 'Wi-Fi PKCS';
  const imei =
    'The profile uses {{IMEI}} in the subject name, but this Android device (personally-owned work profile, enrolled on Android 13) does not expose its IMEI: Android 12 and later hide the serial number, IMEI and MEID from personally-owned work profiles.';
  // why their IMEI is absent, as simulator/scenario/absence-causes.ts says it
  for (const d of [and1, and2]) {
    d.absent = {
      imei: {
        reason: 'android12-work-profile',
        source: 'os-version',
        rule: 'android12-work-profile',
        text: 'a personally-owned work profile enrolled on Android 12 or later',
      },
    };
  }
  const outcomes: DeviceProfileOutcome[] = [
    out(win1, ROOT, 'installed', 'OK', 'installed'),
    out(win1, PKCS, 'installed', 'OK', 'installed', { renewals: 1 }),
    out(win2, ROOT, 'installed', 'OK', 'installed'),
    out(win2, PKCS, 'failed', 'INSTALL_KSP_UNAVAILABLE', NASTY_MESSAGE, {
      native: { platform: 'windows', syncml: 500, cspStatus: '0x80090030', intune: '0x87D101F4' },
    }),
    out(ios1, ROOT, 'installed', 'OK', 'installed'),
    out(ios1, PKCS, 'pending', 'OK', 'no answer by the end of the run'),
    out(and2, ROOT, 'installed', 'OK', 'installed'),
    out(and2, PKCS, 'failed', 'VARIABLE_MISSING', imei),
    out(and1, ROOT, 'installed', 'OK', 'installed'),
    out(and1, PKCS, 'failed', 'VARIABLE_MISSING', imei, {
      native: {
        platform: 'android',
        nonCompliance: { settingName: 'openNetworkConfiguration', nonComplianceReason: 'INVALID_VALUE' },
      },
    }),
    out(and3, ROOT, 'installed', 'OK', 'installed'),
    out(and3, PKCS, 'installed', 'OK', 'installed', { renewals: 2 }),
    out(mac2, ROOT, 'installed', 'OK', 'installed'),
    out(mac2, PKCS, 'skipped', 'INSTALL_NOT_SIMULATED', 'Apple SCEP is not simulated'),
  ];
  const events: RunEvent[] = [
    {
      at: '2026-03-01T00:00:00.000Z',
      device: 'win-2',
      type: 'enrolled',
      detail: 'management certificate issued',
    },
    {
      at: '2026-03-01T00:01:00.000Z',
      device: 'win-2',
      profile: PKCS,
      type: 'delivered',
      detail: 'SyncML 1 command',
    },
    { at: '2026-03-01T00:02:00.000Z', device: 'win-2', profile: PKCS, type: 'failed', detail: NASTY_MESSAGE },
    {
      at: '2026-03-01T00:00:30.000Z',
      device: 'and-1',
      type: 'enrolled',
      detail: 'management certificate issued',
    },
    { at: '2026-03-01T00:00:31.000Z', type: 'connector-started', detail: 'connector-1' },
  ];
  return {
    scenario: 'fixture',
    seed: 'seed-42',
    devices: 8,
    startedAt: '2026-03-01T07:59:00.000Z',
    devicesList: [win1, win2, ios1, and1, and2, and3, mac1, mac2],
    outcomes,
    events,
    expectations: [
      {
        text: 'Android work profiles fail the PKCS profile with VARIABLE_MISSING {{IMEI}}',
        held: true,
        detail: '2 of 2 failed as expected',
        line: 30,
        checks: 'status failed, code VARIABLE_MISSING',
        selected: 2,
        passing: 2,
        expectedFailures: [
          { device: 'and-1', profile: PKCS },
          { device: 'and-2', profile: PKCS },
        ],
      },
      {
        text: 'all Windows devices install both profiles',
        held: false,
        detail: 'win-2: Wi-Fi PKCS failed with INSTALL_KSP_UNAVAILABLE',
        line: 35,
        checks: 'status installed',
        selected: 4,
        passing: 3,
        rows: [
          { device: 'win-1', profile: ROOT },
          { device: 'win-1', profile: PKCS },
          { device: 'win-2', profile: ROOT },
          { device: 'win-2', profile: PKCS },
        ],
        offenders: [{ device: 'win-2', profile: PKCS, why: 'status failed' }],
        expectedFailures: [],
      },
    ],
    metrics: {
      wallSeconds: 3.25,
      virtualStart: '2026-03-01T00:00:00.000Z',
      virtualEnd: '2026-12-01T00:00:00.000Z',
      devicesPerSecond: 2.46,
      certificatesIssued: 9,
      connectorLoad: { 'connector-2': 4, 'connector-1': 5 },
      messages: 120,
    },
  };
}
