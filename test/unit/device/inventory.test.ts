import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import type { Device } from '../../../agent/device/device.ts';
import { newDeviceReport } from '../../../agent/device/device-report.ts';
import { toDeviceFacts } from '../../../agent/device/facts.ts';
import { generateDevice } from '../../../agent/device/generate.ts';
import { androidInventory } from '../../../agent/device/inventory-android.ts';
import { appleInventory } from '../../../agent/device/inventory-apple.ts';
import {
  windowsInventory,
  windowsNode,
  windowsReportedIdentifiers,
} from '../../../agent/device/inventory-windows.ts';
import { inventoryOf } from '../../../agent/device/inventory.ts';
import { MANUFACTURER_OUIS, OUI_REGISTRANTS, type Manufacturer } from '../../../agent/device/vendors.ts';
import { ENROLLMENT_KINDS, PLATFORMS, type Platform } from '../../../profiles/model/platform.ts';
import { conformancePath, hasConformance, itConformance } from '../../fixtures/conformance.ts';

// Conformance material (test/fixtures/conformance.ts, read in place); the tests reading it are skipped, or
// fail under CERTFLEET_CONFORMANCE_REQUIRED=1, when it is missing. Project-made mirror of what they check:
// test/unit/conformance-own/inventory.test.ts.
const IMITUNE_REL =
  'corpus/windows-devdetail/hotnops-Imitune__src_imitune_data__managementTree.json.template.json';
const IMITUNE = conformancePath(IMITUNE_REL);
const APPLE_YAML_REL = 'schemas/apple/commands/information.device.yaml';
const APPLE_YAML = conformancePath(APPLE_YAML_REL);

function devices(platform: Platform, n = 40): Device[] {
  return ENROLLMENT_KINDS[platform].flatMap((kind) =>
    Array.from({ length: n }, (_, i) => generateDevice({ seed: `inv-${i % 4}`, index: i, platform, kind })),
  );
}

describe('inventoryOf', () => {
  it.each([
    ['windows', 'windows-omadm'],
    ['macos', 'apple-device-information'],
    ['ios', 'apple-device-information'],
    ['android', 'android-device'],
  ] as const)('%s reports a %s inventory', (platform, shape) => {
    expect(inventoryOf(generateDevice({ seed: 1, index: 0, platform })).shape).toBe(shape);
  });

  it.each(PLATFORMS)('%s inventory is deterministic', (platform) => {
    const d = generateDevice({ seed: 'det', index: 4, platform });
    expect(JSON.stringify(inventoryOf(d))).toBe(
      JSON.stringify(inventoryOf(generateDevice({ seed: 'det', index: 4, platform }))),
    );
  });
});

describe('Windows inventory agrees with the attributes', () => {
  const fleet = devices('windows');

  it.each([
    ['./DevDetail/Ext/Microsoft/SMBIOSSerialNumber', 'serialNumber'],
    ['./DevDetail/Ext/Microsoft/DeviceName', 'deviceName'],
    ['./DevDetail/Ext/Microsoft/DNSComputerName', 'deviceName'],
    ['./Vendor/MSFT/DMClient/Provider/MS%20DM%20Server/EntDeviceName', 'deviceName'],
  ] as const)('%s = %s', (uri, attribute) => {
    for (const d of fleet) {
      const node = windowsNode(windowsInventory(d), uri);
      const value = d.attributes[attribute];
      expect(node).toEqual(
        value === undefined
          ? { status: 404, reason: d.absent[attribute] }
          : { status: 200, format: 'chr', value },
      );
    }
  });

  it('IMEI and Wi-Fi MAC come back from DeviceStatus CellularIdentities / NetworkIdentifiers', () => {
    for (const d of fleet) {
      const reported = windowsReportedIdentifiers(windowsInventory(d));
      expect(reported.imei).toBe(d.attributes.imei);
      expect(reported.wifiMacAddress).toBe(d.attributes.wifiMacAddress);
    }
  });

  it('domain name only when hybrid-joined; TPM nodes only with a TPM; MobileID only with cellular', () => {
    for (const d of fleet) {
      const inv = windowsInventory(d);
      const domain = windowsNode(inv, './Device/Vendor/MSFT/DeviceStatus/DomainName');
      expect(domain?.status).toBe(d.enrollmentKind === 'hybrid-joined' ? 200 : 404);
      if (domain?.status === 200)
        expect(d.attributes.fullyQualifiedDomainName?.endsWith(`.${domain.value}`)).toBe(true);
      expect(windowsNode(inv, './Vendor/MSFT/DeviceStatus/TPM/SpecificationVersion')?.status).toBe(
        d.tpm ? 200 : 404,
      );
      expect(windowsNode(inv, './DevDetail/Ext/Microsoft/MobileID')?.status).toBe(d.cellular ? 200 : 404);
      expect(windowsNode(inv, './DevDetail/SwV')).toEqual({ status: 200, format: 'chr', value: d.osVersion });
      expect(windowsNode(inv, './DevInfo/Man')).toEqual({
        status: 200,
        format: 'chr',
        value: d.manufacturer,
      });
    }
  });

  // What the real service queries (IMITUNE, docs/formats.md §2.6): every node about the device's identity or
  // attributes is answered (200) or explicitly absent (404 with a reason). The GPL file is read in place.
  const identityNode =
    /^\.\/(DevInfo\/|DevDetail\/|Vendor\/MSFT\/(DMClient\/HWDevID|DMClient\/Provider\/MS%20DM%20Server\/EntDeviceName|DeviceStatus\/(DomainName|OS\/Edition|TPM\/)|DeviceInstanceService\/|Uefi\/DeviceIdentifier)|cimv2\/MDM_ConfigSetting\/MDM_ConfigSetting\.SettingName=%22AccountId%22)/;

  itConformance(
    'answers every identity node the real service queries (Imitune checklist)',
    IMITUNE_REL,
    () => {
      const queried = Object.keys(
        JSON.parse(readFileSync(IMITUNE, 'utf8')) as Record<string, unknown>,
      ).filter((k) => identityNode.test(k));
      expect(queried.length).toBeGreaterThan(20); // the checklist is not empty by accident
      const sample = [
        generateDevice({
          seed: 'imitune',
          index: 0,
          platform: 'windows',
          kind: 'hybrid-joined',
          overrides: { tpm: true, cellular: true, modelId: 'lenovo-thinkpad-x1-carbon-gen11' },
        }),
        generateDevice({
          seed: 'imitune',
          index: 1,
          platform: 'windows',
          kind: 'entra-joined',
          overrides: { tpm: false, cellular: false, modelId: 'dell-optiplex-7010' },
        }),
        generateDevice({ seed: 'imitune', index: 2, platform: 'windows', kind: 'workplace' }),
      ];
      for (const d of sample) {
        const inv = windowsInventory(d);
        const missing = queried.filter((uri) => windowsNode(inv, uri) === undefined);
        expect(missing, `${d.enrollmentKind}`).toEqual([]);
        for (const uri of queried) {
          const node = windowsNode(inv, uri)!;
          if (node.status === 404) expect(node.reason).toBeTruthy();
        }
      }
    },
  );
});

// docs/formats.md §2.6 "Device identity / attribute nodes", bullets DevInfo, DevDetail, DeviceStatus / DMClient,
// DeviceInstanceService and "Nodes an Intune session actually queries", expanded: `URI/MaxDepth|MaxTotLen|
// MaxSegLen` into three nodes, `TPM/*` and `Battery/*` into the DeviceStatus CSP's leaves, `{Roaming, …}` into four.
const FORMATS_2_6: readonly string[] = [
  './DevInfo/DevId',
  './DevInfo/Man',
  './DevInfo/Mod',
  './DevInfo/DmV',
  './DevInfo/Lang',
  ...[
    'DevTyp',
    'OEM',
    'FwV',
    'SwV',
    'HwV',
    'LrgObj',
    'URI/MaxDepth',
    'URI/MaxTotLen',
    'URI/MaxSegLen',
    'Ext/Microsoft/MobileID',
    'Ext/Microsoft/RadioSwV',
    'Ext/Microsoft/Resolution',
    'Ext/Microsoft/CommercializationOperator',
    'Ext/Microsoft/ProcessorArchitecture',
    'Ext/Microsoft/ProcessorType',
    'Ext/Microsoft/OSPlatform',
    'Ext/Microsoft/LocalTime',
    'Ext/Microsoft/DeviceName',
    'Ext/Microsoft/DNSComputerName',
    'Ext/Microsoft/TotalStorage',
    'Ext/Microsoft/TotalRAM',
    'Ext/Microsoft/SMBIOSSerialNumber',
    'Ext/WLANMACAddress',
    'Ext/VoLTEServiceSetting',
    'Ext/WlanIPv4Address',
    'Ext/WlanIPv6Address',
    'Ext/WlanDnsSuffix',
    'Ext/WlanSubnetMask',
    'Ext/DeviceHardwareData',
  ].map((n) => `./DevDetail/${n}`),
  './Vendor/MSFT/DeviceStatus/DomainName',
  './Vendor/MSFT/DeviceStatus/OS/Edition',
  './Vendor/MSFT/DeviceStatus/TPM/SpecificationVersion',
  './Vendor/MSFT/DeviceStatus/TPM/ManufacturerIdTxt',
  './Vendor/MSFT/DeviceStatus/TPM/ManufacturerVersion',
  './Vendor/MSFT/DeviceStatus/Battery/Status',
  './Vendor/MSFT/DeviceStatus/Battery/EstimatedChargeRemaining',
  './Vendor/MSFT/DeviceStatus/Battery/EstimatedRuntime',
  './Vendor/MSFT/DMClient/HWDevID',
  './Vendor/MSFT/DMClient/Provider/MS%20DM%20Server/EntDeviceName',
  './Vendor/MSFT/DeviceInstanceService/Roaming',
  './Vendor/MSFT/DeviceInstanceService/PhoneNumber',
  './Vendor/MSFT/DeviceInstanceService/IMEI',
  './Vendor/MSFT/DeviceInstanceService/IMSI',
  './Vendor/MSFT/Uefi/DeviceIdentifier',
  './cimv2/MDM_ConfigSetting/MDM_ConfigSetting.SettingName=%22AccountId%22/SettingValue',
  './Vendor/MSFT/NodeCache/MS%20DM%20Server/CacheVersion',
  './Device/Vendor/MSFT/DeviceManageability/Capabilities/CSPVersions',
];
const FORMATS_MD = fileURLToPath(new URL('../../../docs/formats.md', import.meta.url));

describe('regression issue 4: the Windows inventory answers every node of docs/formats.md §2.6', () => {
  const kinds = ENROLLMENT_KINDS.windows;
  const NOW = new Date('2025-03-01T10:00:00Z');
  const sample = kinds.flatMap((kind) =>
    [true, false].map((rich, i) =>
      generateDevice({
        seed: 'formats-2-6',
        index: i,
        platform: 'windows',
        kind,
        overrides: rich
          ? { tpm: true, cellular: true, modelId: 'lenovo-thinkpad-x1-carbon-gen11' }
          : { tpm: false, cellular: false, modelId: 'dell-optiplex-7010' },
      }),
    ),
  );

  it.each(sample.map((d) => [`${d.enrollmentKind} ${d.model}`, d] as const))(
    '%s: each node is a value or a 404 with a reason',
    (_name, d) => {
      const inv = windowsInventory(d, { now: NOW });
      const missing = FORMATS_2_6.filter((uri) => windowsNode(inv, uri) === undefined);
      expect(missing).toEqual([]);
      for (const uri of FORMATS_2_6) {
        const node = windowsNode(inv, uri)!;
        if (node.status === 404) expect(node.reason, uri).toBeTruthy();
        else if (node.format === 'int') expect(node.value, uri).toMatch(/^-?\d+$/);
      }
    },
  );

  it('the list covers every full node path written in docs/formats.md §2.6', () => {
    const text = readFileSync(FORMATS_MD, 'utf8');
    const start = text.indexOf('### 2.6');
    const section = text.slice(start, text.indexOf('\n## 3.', start));
    const paths = [...section.matchAll(/`(\.\/[^`]+)`/g)]
      .map((m) => m[1]!)
      .filter((p) => !/[*{}<>…]|\.\.\./.test(p)); // wildcards and elisions are expanded by hand above
    expect(paths.length).toBeGreaterThan(20);
    expect(paths.filter((p) => !FORMATS_2_6.includes(p))).toEqual([]);
  });

  it('values follow the devices: cellular, Wi-Fi, domain, battery, clock', () => {
    for (const d of sample) {
      const inv = windowsInventory(d, { now: NOW });
      const at = (uri: string) => windowsNode(inv, uri)!;
      expect(at('./DevDetail/URI/MaxDepth')).toEqual({ status: 200, format: 'int', value: '0' });
      expect(at('./DevDetail/Ext/Microsoft/CommercializationOperator').status).toBe(d.cellular ? 200 : 404);
      expect(at('./DevDetail/Ext/Microsoft/RadioSwV').status).toBe(d.cellular ? 200 : 404);
      expect(at('./DevDetail/Ext/VoLTEServiceSetting')).toMatchObject({
        status: 404,
        reason: 'not-reported',
      });
      const local = at('./DevDetail/Ext/Microsoft/LocalTime');
      expect(local.status).toBe(200);
      if (local.status === 200) {
        expect(local.value).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d\d:\d\d$/);
        expect(new Date(local.value).getTime()).toBe(NOW.getTime());
      }
      const v6 = at('./DevDetail/Ext/WlanIPv6Address');
      expect(v6.status).toBe(d.hardware.wifi ? 200 : 404);
      if (v6.status === 200) expect(v6.value).toMatch(/^fe80::[0-9a-f]{1,4}(:[0-9a-f]{1,4}){3}$/);
      const suffix = at('./DevDetail/Ext/WlanDnsSuffix');
      expect(suffix.status).toBe(d.hardware.wifi && d.enrollmentKind === 'hybrid-joined' ? 200 : 404);
      const battery = at('./Vendor/MSFT/DeviceStatus/Battery/Status');
      expect(battery).toMatchObject({ status: 200, format: 'int' });
      if (battery.status === 200) expect(battery.value === '128').toBe(d.hardware.formFactor === 'desktop');
      const csp = at('./Device/Vendor/MSFT/DeviceManageability/Capabilities/CSPVersions');
      expect(csp.status === 200 && csp.format).toBe('xml');
      if (csp.status === 200) {
        expect(csp.value).toContain(
          '<CSP Node="./Device/Vendor/MSFT/ClientCertificateInstall" Version="1.1">',
        );
        expect(csp.value).toContain(
          '<CSP Node="./Device/Vendor/MSFT/RootCATrustedCertificates" Version="1.2">',
        );
      }
      expect(at('./Vendor/MSFT/NodeCache/MS%20DM%20Server/CacheVersion')).toEqual({
        status: 200,
        format: 'chr',
        value: '0',
      });
    }
  });

  it('without a clock (a static snapshot) LocalTime is a 404 that says why; same seed → same inventory', () => {
    const d = sample[0]!;
    expect(windowsNode(windowsInventory(d), './DevDetail/Ext/Microsoft/LocalTime')).toMatchObject({
      status: 404,
      note: expect.stringContaining('live value'),
    });
    expect(JSON.stringify(windowsInventory(d, { now: NOW }))).toBe(
      JSON.stringify(
        windowsInventory(
          generateDevice({
            seed: 'formats-2-6',
            index: 0,
            platform: 'windows',
            kind: d.enrollmentKind,
            overrides: { tpm: true, cellular: true, modelId: 'lenovo-thinkpad-x1-carbon-gen11' },
          }),
          { now: NOW },
        ),
      ),
    );
  });
});

describe('Apple DeviceInformation agrees with the attributes and the ADM schema', () => {
  type SupportedOS = Record<
    string,
    { introduced?: string; userenrollment?: { mode?: string } | null } | null
  >;
  interface SchemaKey {
    key: string;
    supportedOS?: SupportedOS;
    subkeys?: SchemaKey[];
  }
  const yaml = hasConformance([APPLE_YAML_REL])
    ? (parseYaml(readFileSync(APPLE_YAML, 'utf8')) as {
        payloadkeys: SchemaKey[];
        responsekeys: SchemaKey[];
      })
    : undefined;
  const queryKeys = yaml?.responsekeys.find((k) => k.key === 'QueryResponses')?.subkeys ?? [];
  const unsupportedOn = (os: 'macOS' | 'iOS'): string[] =>
    queryKeys.filter((k) => k.supportedOS?.[os]?.introduced === 'n/a').map((k) => k.key);
  // the request side (payloadkeys Queries[]) says which queries User Enrollment forbids
  const queries = yaml?.payloadkeys.find((k) => k.key === 'Queries')?.subkeys?.[0]?.subkeys ?? [];
  const forbiddenInUserEnrollmentOn = (os: 'macOS' | 'iOS'): string[] =>
    queries.filter((k) => k.supportedOS?.[os]?.userenrollment?.mode === 'forbidden').map((k) => k.key);

  describe.each([
    ['macos', 'macOS'],
    ['ios', 'iOS'],
  ] as const)('%s', (platform, os) => {
    const fleet = devices(platform);

    it('identifiers equal the attributes, or are missing when the attribute is absent', () => {
      for (const d of fleet) {
        const info = appleInventory(d);
        expect(info.UDID).toBe(d.attributes.udid);
        expect(info.SerialNumber).toBe(d.attributes.serialNumber);
        expect(info.IMEI?.replace(/ /g, '')).toBe(d.attributes.imei);
        expect(info.MEID).toBe(d.attributes.meid);
        expect(info.WiFiMAC?.toUpperCase()).toBe(d.attributes.wifiMacAddress);
        expect(info.DeviceName).toBe(d.attributes.deviceName);
        expect(info.IsSupervised).toBe(d.supervised);
        expect([info.OSVersion, info.BuildVersion]).toEqual([d.osVersion, d.osBuild]);
        if (info.IMEI !== undefined) expect(info.IMEI).toMatch(/^\d{2} \d{6} \d{6} \d$/);
      }
    });

    itConformance(
      `uses only QueryResponses keys, none of those the schema marks n/a on ${os}`,
      APPLE_YAML_REL,
      () => {
        const known = new Set(queryKeys.map((k) => k.key));
        const forbidden = new Set(unsupportedOn(os));
        expect(forbidden.size).toBeGreaterThan(3);
        for (const d of fleet) {
          for (const key of Object.keys(appleInventory(d))) {
            expect(known.has(key), key).toBe(true);
            expect(forbidden.has(key), `${key} on ${os}`).toBe(false);
          }
        }
      },
    );

    itConformance(
      `a User Enrollment device answers none of the queries the schema forbids there on ${os} (WiFiMAC among them)`,
      APPLE_YAML_REL,
      () => {
        const forbidden = forbiddenInUserEnrollmentOn(os);
        expect(forbidden).toEqual(expect.arrayContaining(['UDID', 'SerialNumber', 'WiFiMAC']));
        const enrolled = fleet.filter((d) => d.enrollmentKind === 'user');
        expect(enrolled.length).toBeGreaterThan(0);
        for (const d of enrolled) {
          const keys = Object.keys(appleInventory(d));
          expect(
            keys.filter((k) => forbidden.includes(k)),
            `${d.model} #${d.index}`,
          ).toEqual([]);
        }
        // device enrollment answers them
        expect(fleet.some((d) => d.enrollmentKind === 'device' && appleInventory(d).WiFiMAC)).toBe(true);
      },
    );
  });
});

describe('Android device report agrees with the attributes', () => {
  const fleet = devices('android');

  it('serial, IMEI, MEID, Wi-Fi MAC equal the attributes or are missing', () => {
    for (const d of fleet) {
      const report = androidInventory(d);
      expect(report.hardwareInfo.serialNumber).toBe(d.attributes.serialNumber);
      expect(report.networkInfo.imei).toBe(d.attributes.imei);
      expect(report.networkInfo.meid).toBe(d.attributes.meid);
      expect(report.networkInfo.wifiMacAddress?.toUpperCase()).toBe(d.attributes.wifiMacAddress);
      expect(report.softwareInfo.androidVersion).toBe(d.osVersion);
      expect(report.hardwareInfo.manufacturer).toBe(d.manufacturer);
      expect('serialNumber' in report.hardwareInfo).toBe(d.attributes.serialNumber !== undefined);
      expect('imei' in report.networkInfo).toBe(d.attributes.imei !== undefined);
    }
  });

  it.each([
    ['work-profile-personal', 'PROFILE_OWNER', 'PERSONALLY_OWNED'],
    ['work-profile-corporate', 'DEVICE_OWNER', 'COMPANY_OWNED'],
    ['fully-managed', 'DEVICE_OWNER', 'COMPANY_OWNED'],
    ['dedicated', 'DEVICE_OWNER', 'COMPANY_OWNED'],
    ['device-admin', undefined, undefined],
  ] as const)('%s → managementMode %s, ownership %s', (kind, mode, ownership) => {
    for (let i = 0; i < 10; i++) {
      const report = androidInventory(generateDevice({ seed: 'mode', index: i, platform: 'android', kind }));
      expect(report.managementMode).toBe(mode);
      if (ownership !== undefined) expect(report.ownership).toBe(ownership);
      expect(report.enrollmentType).toBe(kind);
    }
  });

  it('an Android 12+ personally-owned work profile reports an enterpriseSpecificId instead of a serial', () => {
    const d = generateDevice({
      seed: 'esid',
      index: 0,
      platform: 'android',
      kind: 'work-profile-personal',
      overrides: { osVersion: '14', enrolledOsVersion: '13', modelId: 'google-pixel-8' },
    });
    const report = androidInventory(d);
    expect(report.hardwareInfo.serialNumber).toBeUndefined();
    expect(report.hardwareInfo.enterpriseSpecificId).toMatch(/^[0-9A-F]{32}$/);
  });
});

describe('toDeviceFacts and newDeviceReport', () => {
  it.each(PLATFORMS)('%s: facts carry the same attributes and absence reasons', (platform) => {
    for (let i = 0; i < 20; i++) {
      const d = generateDevice({ seed: 'facts', index: i, platform });
      const facts = toDeviceFacts(d);
      expect(facts.attributes).toEqual(d.attributes);
      expect(facts.absent).toEqual(d.absent);
      expect(facts.hasUser).toBe(d.user !== null);
      expect([facts.platform, facts.enrollmentKind, facts.osVersion]).toEqual([
        d.platform,
        d.enrollmentKind,
        d.osVersion,
      ]);
      expect(facts.enrolledOsVersion).toBe(
        d.enrolledOsVersion === d.osVersion ? undefined : d.enrolledOsVersion,
      );
    }
  });

  it.each(PLATFORMS)(
    'newDeviceReport(%s) prints a device and its inventory, JSON round-trippable',
    (platform) => {
      const report = newDeviceReport({ platform, seed: '42', index: 3 });
      expect(report.device.platform).toBe(platform);
      expect(JSON.parse(JSON.stringify(report))).toEqual(report);
      expect(report.inventory).toEqual(inventoryOf(report.device));
    },
  );

  it('newDeviceReport rejects a kind of another platform with USAGE', () => {
    expect(() => newDeviceReport({ platform: 'ios', kind: 'hybrid-joined' })).toThrow(
      expect.objectContaining({ code: 'USAGE' }),
    );
  });
});

const OUI_CSV = '/usr/share/ieee-data/oui.csv';

describe.skipIf(!existsSync(OUI_CSV))('OUIs against the IEEE registry (Debian ieee-data)', () => {
  const registry = new Map<string, string>();
  for (const line of existsSync(OUI_CSV) ? readFileSync(OUI_CSV, 'utf8').split('\n') : []) {
    const m = /^MA-L,([0-9A-F]{6}),("([^"]*)"|[^,]*)/.exec(line);
    if (m) registry.set(m[1]!, (m[3] ?? m[2] ?? '').trim());
  }
  it.each(Object.keys(MANUFACTURER_OUIS) as Manufacturer[])(
    'every OUI of %s is registered to it',
    (manufacturer) => {
      for (const oui of MANUFACTURER_OUIS[manufacturer]) {
        expect(registry.get(oui), oui).toContain(OUI_REGISTRANTS[manufacturer]);
      }
    },
  );
});
