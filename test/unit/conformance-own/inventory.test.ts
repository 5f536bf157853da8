/**
 * Mirror of the conformance checks of test/unit/device/inventory.test.ts (the Windows identity-node checklist
 * of a real service, and Apple's DeviceInformation schema) with checklists written by the project from the
 * public CSP and DeviceInformation documentation: a simulated device answers every identity node (a value or
 * a 404 with a reason), and an Apple device reports only DeviceInformation keys its OS has.
 */
import { describe, expect, it } from 'vitest';
import type { Device } from '../../../agent/device/device.ts';
import { generateDevice } from '../../../agent/device/generate.ts';
import { appleInventory } from '../../../agent/device/inventory-apple.ts';
import { windowsInventory, windowsNode } from '../../../agent/device/inventory-windows.ts';
import { ENROLLMENT_KINDS } from '../../../profiles/model/platform.ts';

/** Identity nodes an MDM service reads from a Windows device (DevInfo, DevDetail, DMClient, DeviceStatus…). */
const IDENTITY_NODES = [
  ...['DevId', 'Man', 'Mod', 'DmV', 'Lang'].map((n) => `./DevInfo/${n}`),
  ...[
    'DevTyp',
    'OEM',
    'FwV',
    'SwV',
    'HwV',
    'Ext/Microsoft/MobileID',
    'Ext/Microsoft/OSPlatform',
    'Ext/Microsoft/DeviceName',
    'Ext/Microsoft/DNSComputerName',
    'Ext/Microsoft/SMBIOSSerialNumber',
    'Ext/Microsoft/ProcessorArchitecture',
    'Ext/WLANMACAddress',
  ].map((n) => `./DevDetail/${n}`),
  './Vendor/MSFT/DMClient/HWDevID',
  './Vendor/MSFT/DMClient/Provider/MS%20DM%20Server/EntDeviceName',
  './Vendor/MSFT/DeviceStatus/DomainName',
  './Vendor/MSFT/DeviceStatus/OS/Edition',
  './Vendor/MSFT/DeviceStatus/TPM/SpecificationVersion',
  './Vendor/MSFT/DeviceStatus/TPM/ManufacturerIdTxt',
  './Vendor/MSFT/DeviceInstanceService/IMEI',
  './Vendor/MSFT/DeviceInstanceService/IMSI',
  './Vendor/MSFT/Uefi/DeviceIdentifier',
  './cimv2/MDM_ConfigSetting/MDM_ConfigSetting.SettingName=%22AccountId%22/SettingValue',
];

describe('Windows: every identity node of the project-made checklist is answered', () => {
  const sample: Device[] = [
    generateDevice({
      seed: 'own-checklist',
      index: 0,
      platform: 'windows',
      kind: 'hybrid-joined',
      overrides: { tpm: true, cellular: true, modelId: 'lenovo-thinkpad-x1-carbon-gen11' },
    }),
    generateDevice({
      seed: 'own-checklist',
      index: 1,
      platform: 'windows',
      kind: 'entra-joined',
      overrides: { tpm: false, cellular: false, modelId: 'dell-optiplex-7010' },
    }),
    generateDevice({ seed: 'own-checklist', index: 2, platform: 'windows', kind: 'workplace' }),
  ];

  it.each(sample.map((d) => [`${d.enrollmentKind} ${d.model}`, d] as const))('%s', (_n, d) => {
    const inv = windowsInventory(d);
    expect(IDENTITY_NODES.filter((uri) => windowsNode(inv, uri) === undefined)).toEqual([]);
    for (const uri of IDENTITY_NODES) {
      const node = windowsNode(inv, uri)!;
      if (node.status === 404) expect(node.reason, uri).toBeTruthy();
      else expect(node.status, uri).toBe(200);
    }
    // the answers follow the device
    const at = (uri: string) => windowsNode(inv, uri);
    expect(at('./DevDetail/Ext/Microsoft/SMBIOSSerialNumber')).toEqual(
      d.attributes.serialNumber === undefined
        ? { status: 404, reason: d.absent.serialNumber }
        : { status: 200, format: 'chr', value: d.attributes.serialNumber },
    );
    expect(at('./Vendor/MSFT/DeviceStatus/TPM/SpecificationVersion')?.status).toBe(d.tpm ? 200 : 404);
    expect(at('./DevDetail/Ext/Microsoft/MobileID')?.status).toBe(d.cellular ? 200 : 404);
    expect(at('./Vendor/MSFT/DeviceStatus/DomainName')?.status).toBe(
      d.enrollmentKind === 'hybrid-joined' ? 200 : 404,
    );
  });
});

/**
 * The DeviceInformation `QueryResponses` keys certfleet reports, and the OS each is limited to (Apple's
 * DeviceInformation documentation: IMEI, MEID and CellularTechnology are iOS keys; IsAppleSilicon is macOS).
 */
const QUERY_RESPONSES = [
  'UDID',
  'SerialNumber',
  'IMEI',
  'MEID',
  'WiFiMAC',
  'DeviceName',
  'Model',
  'ModelName',
  'ModelNumber',
  'ProductName',
  'OSVersion',
  'BuildVersion',
  'IsSupervised',
  'CellularTechnology',
  'IsAppleSilicon',
];
const ONLY_ON = { ios: ['IMEI', 'MEID', 'CellularTechnology'], macos: ['IsAppleSilicon'] } as const;
/**
 * Of those, the queries Apple's schema marks `userenrollment: mode: forbidden` (ADM
 * `mdm/commands/information.device.yaml`, payloadkeys Queries; docs/formats.md §1.5): on iOS and macOS alike.
 */
const FORBIDDEN_IN_USER_ENROLLMENT = ['UDID', 'SerialNumber', 'IMEI', 'MEID', 'WiFiMAC'];

describe.each([
  ['macos', 'ios'],
  ['ios', 'macos'],
] as const)('Apple DeviceInformation on %s', (platform, other) => {
  const fleet = ENROLLMENT_KINDS[platform].flatMap((kind) =>
    Array.from({ length: 30 }, (_, i) =>
      generateDevice({ seed: `own-inv-${i % 3}`, index: i, platform, kind }),
    ),
  );

  it(`uses only QueryResponses keys, none limited to ${other}`, () => {
    for (const d of fleet) {
      const keys = Object.keys(appleInventory(d));
      expect(keys.filter((k) => !QUERY_RESPONSES.includes(k))).toEqual([]);
      expect(keys.filter((k) => (ONLY_ON[other] as readonly string[]).includes(k))).toEqual([]);
    }
  });

  it('a User Enrollment device answers none of the queries forbidden there; device enrollment answers them', () => {
    const user = fleet.filter((d) => d.enrollmentKind === 'user');
    expect(user.length).toBeGreaterThan(0);
    for (const d of user) {
      const keys = Object.keys(appleInventory(d));
      expect(keys.filter((k) => FORBIDDEN_IN_USER_ENROLLMENT.includes(k))).toEqual([]);
    }
    const device = fleet.filter((d) => d.enrollmentKind === 'device');
    expect(device.every((d) => appleInventory(d).WiFiMAC !== undefined)).toBe(true);
    expect(device.every((d) => appleInventory(d).SerialNumber !== undefined)).toBe(true);
  });

  it(`reports the keys limited to ${platform} with their types`, () => {
    for (const d of fleet) {
      const info = appleInventory(d);
      if (platform === 'ios') {
        expect(info.CellularTechnology).toBe(d.cellular ? (d.hardware.cdma ? 3 : 1) : 0);
        expect(info.IsAppleSilicon).toBeUndefined();
      } else {
        expect(typeof info.IsAppleSilicon).toBe('boolean');
        // ModelNumber on macOS only with Apple silicon
        if (info.IsAppleSilicon !== true) expect(info.ModelNumber).toBeUndefined();
      }
    }
  });
});
