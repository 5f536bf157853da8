/**
 * A Windows device's inventory: the OMA-DM nodes it answers, keyed by LocURI, each a value (SyncML Status 200
 * with the Item's Format and Data) or explicitly absent (Status 404 Not Found, with certfleet's reason).
 *
 * Node list: FORMATS.md §2.6 — DevInfo (DEVINFO), DevDetail (DEVDETAIL), DeviceStatus/DMClient, and the
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
 */
import { createRandom } from '../runtime/random.ts';
import type { AbsenceReason, AttributeName, Device } from './device.ts';

/** SyncML Item Meta/Format of a node value (OMA-DM: chr, int, bool, b64, xml, node). */
export type OmaDmFormat = 'chr' | 'int' | 'bool' | 'b64' | 'xml' | 'node';

/** The answer to a Get on one node. */
export type OmaDmNode =
  | { readonly status: 200; readonly format: OmaDmFormat; readonly value: string }
  | { readonly status: 404; readonly reason: AbsenceReason };

/** Node answers keyed by LocURI (`./DevInfo/DevId`, `./Vendor/MSFT/DeviceStatus/DomainName`…). */
export type WindowsInventory = Readonly<Record<string, OmaDmNode>>;

const ok = (value: string, format: OmaDmFormat = 'chr'): OmaDmNode => ({ status: 200, format, value });
const notFound = (reason: AbsenceReason): OmaDmNode => ({ status: 404, reason });

/** OS edition SKU numbers (`DeviceStatus/OS/Edition`, GetProductInfo values: 4 Enterprise, 48 Professional). */
const EDITION_SKU: Readonly<Record<string, string>> = { Enterprise: '4', Pro: '48' };

/** The Windows inventory of `device` (a pure function of the device). */
export function windowsInventory(device: Device): WindowsInventory {
  const a = device.attributes;
  const attr = (name: AttributeName, format: OmaDmFormat = 'chr'): OmaDmNode => {
    const value = a[name];
    return value === undefined ? notFound(device.absent[name] ?? 'not-reported') : ok(value, format);
  };
  const r = createRandom(`windows-inventory/${device.id}`);
  const major = device.osVersion.startsWith('10.0.19') ? 10 : 11;
  const edition = device.osEdition ?? 'Pro';
  const hybrid = device.enrollmentKind === 'hybrid-joined';
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
    // DeviceInstanceService (Windows 10 Mobile only, but queried by the service: 404 on a PC)
    './Vendor/MSFT/DeviceInstanceService/IMEI': notFound('not-on-platform'),
    './Vendor/MSFT/DeviceInstanceService/PhoneNumber': notFound('not-on-platform'),
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
