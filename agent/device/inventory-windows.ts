/**
 * A Windows device's inventory: the OMA-DM nodes it answers, keyed by LocURI, each a value (SyncML Status 200
 * with the Item's Format and Data) or explicitly absent (Status 404 Not Found, with certfleet's reason).
 *
 * Node list: docs/formats.md §2.6 — DevInfo (DEVINFO), DevDetail (DEVDETAIL), DeviceStatus/DMClient, and the
 * nodes an Intune session is observed to query (IMITUNE `managementTree.json.template`). Two DeviceStatus
 * sub-trees come from the DeviceStatus DDF (learn.microsoft.com/windows/client-management/mdm/devicestatus-ddf)
 * and its WMI bridge classes: `CellularIdentities/<IMEI>/{IMSI, PhoneNumber}` and
 * `NetworkIdentifiers/<MAC>/{Type, IsConnected, IPAddressV4}` — how a PC reports its IMEI and Wi-Fi MAC,
 * since `DevDetail/Ext/WLANMACAddress` "is not supported in Windows 10 for desktop editions" (DEVDETAIL) and
 * `DeviceInstanceService` is "only supported in Windows 10 Mobile" (DIS). The MAC in a NetworkIdentifiers
 * node name is written as 12 hex digits and `Type` 2 means WLAN **[inferred]**.
 *
 * `DevDetail/Ext/Microsoft/MobileID` answers 404 without cellular, as DEVDETAIL says (the IMITUNE sample
 * answers the text "Not Present" instead). Values that only identify hardware opaquely (hardware hash, UEFI
 * device identifier, HWDevID) are seeded bytes, not real hashes.
 *
 * The node types are wire types shared with the service (protocol/wire/inventory.ts); this file builds them.
 */
import { createRandom } from '../../protocol/runtime/random.ts';
import type { OmaDmFormat, OmaDmNode, WindowsInventory } from '../../protocol/wire/inventory.ts';
import type { AbsenceReason, AttributeName, Device } from './device.ts';

const ok = (value: string, format: OmaDmFormat = 'chr'): OmaDmNode => ({ status: 200, format, value });
const notFound = (reason: AbsenceReason, note?: string): OmaDmNode =>
  note === undefined ? { status: 404, reason } : { status: 404, reason, note };

/**
 * Operator names by the IMSI's MCC+MNC (the prefixes generate.ts draws from; ITU-T E.212 assignments as the
 * public MCC/MNC lists give them — the spelling of the names is inferred).
 */
const OPERATOR_BY_MCC_MNC: Readonly<Record<string, string>> = {
  '310410': 'AT&T',
  '310260': 'T-Mobile',
  '311480': 'Verizon',
  '234150': 'Vodafone UK',
  '262010': 'Telekom.de',
};

/**
 * The CSPs (and versions) `DeviceManageability/Capabilities/CSPVersions` lists: the ones certfleet's device
 * implements or answers. Versions as a Windows 11 device reports them (docs/formats.md §2.6: ClientCertificateInstall
 * 1.1, RootCATrustedCertificates 1.2; the others as in the IMITUNE managementTree sample).
 */
const CSP_VERSIONS: readonly (readonly [node: string, version: string])[] = [
  ['./DevDetail', '1.2'],
  ['./DevInfo', '1.0'],
  ['./Device/Vendor/MSFT/ClientCertificateInstall', '1.1'],
  ['./Device/Vendor/MSFT/DMClient', '1.7'],
  ['./Device/Vendor/MSFT/DeviceManageability', '2.0'],
  ['./Device/Vendor/MSFT/RootCATrustedCertificates', '1.2'],
  ['./User/Vendor/MSFT/ClientCertificateInstall', '1.1'],
  ['./User/Vendor/MSFT/RootCATrustedCertificates', '1.2'],
  ['./Vendor/MSFT/DeviceStatus', '1.5'],
  ['./Vendor/MSFT/NodeCache', '1.2'],
];

/** The CSPVersions XML document (shape of the IMITUNE sample: DeviceManageability/Capabilities/CSPVersions/CSP). */
function cspVersionsXml(): string {
  const rows = CSP_VERSIONS.map(([node, version]) => `      <CSP Node="${node}" Version="${version}"></CSP>`);
  return [
    '<?xml version="1.0" encoding="utf-8"?>',
    '<DeviceManageability Version="com.microsoft/1.1/MDM/DeviceManageability">',
    '  <Capabilities>',
    '    <CSPVersions>',
    ...rows,
    '    </CSPVersions>',
    '  </Capabilities>',
    '</DeviceManageability>',
  ].join('\n');
}

/** Time-zone offsets (minutes east of UTC) a device's clock may be set to; one is drawn per device. */
const UTC_OFFSETS = [-480, -300, 0, 60, 120, 330] as const;

/** `now` as ISO 8601 local time with the offset (`2025-07-01T16:03:12+02:00`; DEVDETAIL LocalTime). */
export function isoLocalTime(now: Date, offsetMinutes: number): string {
  const local = new Date(now.getTime() + offsetMinutes * 60_000).toISOString().slice(0, 19);
  const sign = offsetMinutes < 0 ? '-' : '+';
  const abs = Math.abs(offsetMinutes);
  const hh = String(Math.floor(abs / 60)).padStart(2, '0');
  const mm = String(abs % 60).padStart(2, '0');
  return `${local}${sign}${hh}:${mm}`;
}

/** Options of {@link windowsInventory}. */
export interface WindowsInventoryOptions {
  /** The device clock's current time, for the live `LocalTime` node (absent from a static snapshot). */
  now?: Date;
}

/** OS edition SKU numbers (`DeviceStatus/OS/Edition`, GetProductInfo values: 4 Enterprise, 48 Professional). */
const EDITION_SKU: Readonly<Record<string, string>> = { Enterprise: '4', Pro: '48' };

/** The Windows inventory of `device` (a pure function of the device and `opts.now`). */
export function windowsInventory(device: Device, opts: WindowsInventoryOptions = {}): WindowsInventory {
  const a = device.attributes;
  const attr = (name: AttributeName, format: OmaDmFormat = 'chr'): OmaDmNode => {
    const value = a[name];
    return value === undefined ? notFound(device.absent[name] ?? 'not-reported') : ok(value, format);
  };
  const r = createRandom(`windows-inventory/${device.id}`);
  const major = device.osVersion.startsWith('10.0.19') ? 10 : 11;
  const edition = device.osEdition ?? 'Pro';
  const hybrid = device.enrollmentKind === 'hybrid-joined';
  const radio = r.fork('radio');
  const ipv6 = r.fork('ipv6');
  const nodes: Record<string, OmaDmNode> = {
    // DevInfo (DEVINFO)
    './DevInfo/DevId': ok(r.fork('devid').uuid().toUpperCase()),
    './DevInfo/Man': ok(device.manufacturer),
    './DevInfo/Mod': ok(device.model),
    './DevInfo/DmV': ok('1.3'),
    './DevInfo/Lang': ok('en-US'),
    // DevDetail (DEVDETAIL)
    './DevDetail/DevTyp': ok(device.model),
    './DevDetail/OEM': ok(device.manufacturer),
    './DevDetail/FwV': ok(device.hardware.firmwareVersion ?? ''),
    './DevDetail/HwV': ok(device.hardware.firmwareVersion ?? ''),
    './DevDetail/SwV': ok(device.osVersion),
    './DevDetail/LrgObj': ok('true', 'bool'),
    // DEVDETAIL: "The default value zero (0) indicates that the device supports a URI of unlimited depth"
    // (likewise total and segment length); certfleet's device puts no limit on URIs.
    './DevDetail/URI/MaxDepth': ok('0', 'int'),
    './DevDetail/URI/MaxTotLen': ok('0', 'int'),
    './DevDetail/URI/MaxSegLen': ok('0', 'int'),
    // DEVDETAIL "Returns the radio stack software version number": the cellular modem's firmware; a PC without
    // a modem has no radio stack to report (404, inferred).
    './DevDetail/Ext/Microsoft/RadioSwV': device.cellular
      ? ok(`${radio.int(1, 3)}.${radio.int(0, 40)}.${radio.int(100, 999)}`)
      : notFound('not-reported', 'no cellular modem, so no radio stack version'),
    // DEVDETAIL: "Returns the name of the mobile operator if it exists; otherwise it returns 404".
    './DevDetail/Ext/Microsoft/CommercializationOperator':
      device.hardware.imsi === undefined
        ? notFound('not-reported', 'no mobile operator: no SIM')
        : ok(OPERATOR_BY_MCC_MNC[device.hardware.imsi.slice(0, 6)] ?? 'Unknown'),
    // DEVDETAIL "Returns the client local time in ISO 8601 format"; the offset is drawn per device (inferred).
    './DevDetail/Ext/Microsoft/LocalTime':
      opts.now === undefined
        ? notFound(
            'not-reported',
            'a live value: answered from the device clock at Get time, not in a snapshot',
          )
        : ok(isoLocalTime(opts.now, r.fork('tz').pick(UTC_OFFSETS))),
    // DEVDETAIL: "This is only exposed to mobile operator OMA-DM servers"; the MDM is an enterprise server.
    './DevDetail/Ext/VoLTEServiceSetting': notFound(
      'not-reported',
      'only exposed to mobile operator OMA-DM servers, not to an enterprise MDM',
    ),
    './DevDetail/Ext/Microsoft/MobileID':
      device.hardware.imsi === undefined ? notFound('not-reported') : ok(device.hardware.imsi),
    './DevDetail/Ext/Microsoft/OSPlatform': ok(`Windows ${major} ${edition}`),
    './DevDetail/Ext/Microsoft/ProcessorArchitecture': ok('9', 'int'),
    './DevDetail/Ext/Microsoft/ProcessorType': ok('8664', 'int'),
    './DevDetail/Ext/Microsoft/Resolution': ok('1920x1080'),
    './DevDetail/Ext/Microsoft/DeviceName': attr('deviceName'),
    './DevDetail/Ext/Microsoft/DNSComputerName': attr('deviceName'),
    './DevDetail/Ext/Microsoft/SMBIOSSerialNumber': attr('serialNumber'),
    './DevDetail/Ext/Microsoft/SMBIOSVersion': ok(device.hardware.firmwareVersion ?? ''),
    './DevDetail/Ext/Microsoft/TotalRAM': ok(String(device.hardware.ramMb ?? 8192), 'int'),
    './DevDetail/Ext/Microsoft/TotalStorage': ok('512000', 'int'),
    './DevDetail/Ext/WLANMACAddress': notFound('not-on-platform'),
    './DevDetail/Ext/WlanIPv4Address': device.hardware.wifi
      ? ok(`10.${r.int(0, 255)}.${r.int(0, 255)}.${r.int(2, 254)}`)
      : notFound('not-reported'),
    './DevDetail/Ext/WlanSubnetMask': device.hardware.wifi ? ok('255.255.0.0') : notFound('not-reported'),
    // DEVDETAIL WlanIPv6Address / WlanDnsSuffix: of the active Wi-Fi connection. The IPv6 address is link-local
    // with a random interface identifier (Windows' default privacy addressing; inferred); the DNS suffix is the
    // AD domain on a domain-joined PC, and none elsewhere (inferred: no connection-specific suffix).
    './DevDetail/Ext/WlanIPv6Address': device.hardware.wifi
      ? ok(`fe80::${Array.from({ length: 4 }, () => ipv6.int(0, 0xffff).toString(16)).join(':')}`)
      : notFound('not-reported', 'no Wi-Fi adapter'),
    './DevDetail/Ext/WlanDnsSuffix': !device.hardware.wifi
      ? notFound('not-reported', 'no Wi-Fi adapter')
      : hybrid
        ? ok(device.tenant.adDomain)
        : notFound('not-domain-joined', 'no connection-specific DNS suffix off a domain (inferred)'),
    './DevDetail/Ext/DeviceHardwareData': ok(
      Buffer.from(r.fork('hwhash').bytes(48)).toString('base64'),
      'b64',
    ),
    // DMClient / enrollment
    './Vendor/MSFT/DMClient/HWDevID': ok(
      Buffer.from(r.fork('hwdevid').bytes(32)).toString('hex').toUpperCase(),
    ),
    './Vendor/MSFT/DMClient/Provider/MS%20DM%20Server/EntDeviceName': attr('deviceName'),
    './cimv2/MDM_ConfigSetting/MDM_ConfigSetting.SettingName=%22AccountId%22/SettingValue': ok(
      r.fork('account').uuid(),
    ),
    './Vendor/MSFT/Uefi/DeviceIdentifier': ok(
      Buffer.from(r.fork('uefi').bytes(32)).toString('base64'),
      'b64',
    ),
    // DeviceStatus
    './Vendor/MSFT/DeviceStatus/DomainName': hybrid
      ? ok(device.tenant.adDomain)
      : notFound('not-domain-joined'),
    './Vendor/MSFT/DeviceStatus/OS/Edition': ok(EDITION_SKU[edition] ?? '48', 'int'),
    './Vendor/MSFT/DeviceStatus/OS/Mode': ok('0', 'int'),
    // Capabilities and node cache the service queries (docs/formats.md §2.6 "Nodes an Intune session actually
    // queries"): the CSP versions, and the NodeCache version of a device whose cache the server never filled.
    './Vendor/MSFT/DeviceManageability/Capabilities/CSPVersions': ok(cspVersionsXml(), 'xml'),
    './Vendor/MSFT/NodeCache/MS%20DM%20Server/CacheVersion': ok('0'),
    // DeviceInstanceService (Windows 10 Mobile only, but queried by the service: 404 on a PC)
    './Vendor/MSFT/DeviceInstanceService/IMEI': notFound('not-on-platform'),
    './Vendor/MSFT/DeviceInstanceService/PhoneNumber': notFound('not-on-platform'),
    './Vendor/MSFT/DeviceInstanceService/IMSI': notFound('not-on-platform'),
    './Vendor/MSFT/DeviceInstanceService/Roaming': notFound('not-on-platform'),
  };
  if (device.tpm) {
    nodes['./Vendor/MSFT/DeviceStatus/TPM/SpecificationVersion'] = ok('2.0, 0, 1.59');
    nodes['./Vendor/MSFT/DeviceStatus/TPM/ManufacturerIdTxt'] = ok(r.pick(['INTC', 'IFX ', 'STM ', 'NTC ']));
    nodes['./Vendor/MSFT/DeviceStatus/TPM/ManufacturerVersion'] = ok(`${r.int(1, 600)}.${r.int(0, 9)}.0.0`);
  } else {
    for (const leaf of ['SpecificationVersion', 'ManufacturerIdTxt', 'ManufacturerVersion']) {
      nodes[`./Vendor/MSFT/DeviceStatus/TPM/${leaf}`] = notFound('not-reported');
    }
  }
  // DeviceStatus/Battery (DeviceStatus CSP; values of SYSTEM_POWER_STATUS, inferred: Status = BatteryFlag
  // 1 high / 2 low / 8 charging / 128 no system battery, EstimatedChargeRemaining = BatteryLifePercent (255
  // unknown), EstimatedRuntime = seconds on battery, -1 on AC or unknown — the CSP page's own text for it).
  // A desktop has no battery; a laptop or tablet reports a seeded state, on AC or on battery.
  const battery = r.fork('battery');
  if (device.hardware.formFactor === 'desktop') {
    nodes['./Vendor/MSFT/DeviceStatus/Battery/Status'] = ok('128', 'int');
    nodes['./Vendor/MSFT/DeviceStatus/Battery/EstimatedChargeRemaining'] = ok('255', 'int');
    nodes['./Vendor/MSFT/DeviceStatus/Battery/EstimatedRuntime'] = ok('-1', 'int');
  } else {
    const charge = battery.int(15, 100);
    const onAc = battery.chance(0.5);
    const status = onAc && charge < 100 ? 8 : charge < 33 ? 2 : 1;
    nodes['./Vendor/MSFT/DeviceStatus/Battery/Status'] = ok(String(status), 'int');
    nodes['./Vendor/MSFT/DeviceStatus/Battery/EstimatedChargeRemaining'] = ok(String(charge), 'int');
    nodes['./Vendor/MSFT/DeviceStatus/Battery/EstimatedRuntime'] = ok(
      onAc ? '-1' : String(charge * battery.int(180, 420)),
      'int',
    );
  }
  const imei = a.imei;
  nodes['./Vendor/MSFT/DeviceStatus/CellularIdentities'] = ok(imei ?? '', 'node');
  if (imei !== undefined) {
    const base = `./Vendor/MSFT/DeviceStatus/CellularIdentities/${imei}`;
    nodes[`${base}/IMSI`] =
      device.hardware.imsi === undefined ? notFound('not-reported') : ok(device.hardware.imsi);
    nodes[`${base}/PhoneNumber`] = ok(`+1425555${r.chars('0123456789', 4)}`);
  }
  const mac = a.wifiMacAddress?.replace(/:/g, '');
  nodes['./Vendor/MSFT/DeviceStatus/NetworkIdentifiers'] = ok(mac ?? '', 'node');
  if (mac !== undefined) {
    const base = `./Vendor/MSFT/DeviceStatus/NetworkIdentifiers/${mac}`;
    nodes[`${base}/Type`] = ok('2', 'int');
    nodes[`${base}/IsConnected`] = ok('true', 'bool');
    const ip = nodes['./DevDetail/Ext/WlanIPv4Address'];
    if (ip?.status === 200) nodes[`${base}/IPAddressV4`] = ok(ip.value);
  }
  return nodes;
}

/**
 * The answer for `locUri`, accepting the `./Device/Vendor/…` spelling of `./Vendor/…` nodes; undefined for a
 * node this inventory does not model (a Get on it is a plain 404 with no reason).
 */
export function windowsNode(inventory: WindowsInventory, locUri: string): OmaDmNode | undefined {
  const normal = locUri.replace(/^\.\/Device\/Vendor\//, './Vendor/');
  return inventory[normal];
}

/** The Wi-Fi MAC (`AA:BB:…`) and IMEI a Windows inventory reports, read back from its DeviceStatus nodes. */
export function windowsReportedIdentifiers(inventory: WindowsInventory): {
  wifiMacAddress?: string;
  imei?: string;
} {
  const list = (uri: string): string | undefined => {
    const node = inventory[uri];
    return node?.status === 200 && node.value !== '' ? node.value.split('/')[0] : undefined;
  };
  const mac = list('./Vendor/MSFT/DeviceStatus/NetworkIdentifiers');
  const imei = list('./Vendor/MSFT/DeviceStatus/CellularIdentities');
  return {
    ...(mac !== undefined && { wifiMacAddress: mac.match(/../g)?.join(':') ?? mac }),
    ...(imei !== undefined && { imei }),
  };
}
