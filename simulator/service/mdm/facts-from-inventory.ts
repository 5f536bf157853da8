/**
 * `factsFromInventory`: what the service knows about a device — the variable resolver's
 * {@link DeviceFacts} — built from what actually reaches it: the device's native inventory (as it
 * travelled in the EnrollRequest) and the tenant directory (Entra ID + Intune's device record, see
 * directory.ts). It never looks at the simulated `Device` itself.
 *
 * Where each attribute comes from:
 * | attribute | Windows (OMA-DM nodes, docs/formats.md §2.6) | Apple (DeviceInformation, §1.5) | Android (AMAPI report, §3.4) |
 * |---|---|---|---|
 * | serialNumber | `DevDetail/Ext/Microsoft/SMBIOSSerialNumber` | `SerialNumber` | `hardwareInfo.serialNumber` |
 * | imei | `DeviceStatus/CellularIdentities` (child name) | `IMEI` (grouped digits) | `networkInfo.imei` |
 * | meid | — | `MEID` | `networkInfo.meid` |
 * | wifiMacAddress | `DeviceStatus/NetworkIdentifiers` (child name) | `WiFiMAC` | `networkInfo.wifiMacAddress` |
 * | deviceName | `DevDetail/Ext/Microsoft/DeviceName` | `DeviceName` | directory (Intune names AE devices) |
 * | fullyQualifiedDomainName | `DNSComputerName` + `.` + `DeviceStatus/DomainName` | not on platform | not on platform |
 * | udid | not on platform | `UDID` | not on platform |
 * | osVersion | `DevDetail/SwV` | `OSVersion` | `softwareInfo.androidVersion` |
 * | user attributes, entraDeviceId, intuneDeviceId, deviceSid | directory | directory | directory |
 *
 * Absence reasons: a Windows node answers 404 with its reason; an Apple key or Android field that is simply
 * missing is `not-reported`, except where the inventory itself shows why — IMEI/MEID on macOS
 * (`not-on-platform`: ADM `information.device.yaml`), and an Android report with `enterpriseSpecificId`
 * (AMAPI: the identifier of personally-owned work profiles on Android 12+, where serial, IMEI and MEID are
 * hidden → `android12-work-profile`). User attributes are `user-less` without a user and `not-synced` for a
 * cloud-only user; the computer SID is `not-hybrid-joined` outside hybrid-joined Windows.
 */
import { CertfleetError } from '../../../pki/errors.ts';
import type { EnrollmentKind, Platform } from '../../../profiles/model/platform.ts';
import type { AbsenceReason, AttributeName, DeviceFacts } from '../../../profiles/variables/facts.ts';
import type {
  AndroidDeviceReport,
  AppleDeviceInformation,
  Inventory,
  OmaDmNode,
  WindowsInventory,
} from '../../../protocol/wire/inventory.ts';
import type { DirectoryEntry } from './directory.ts';

type Found = { value: string } | { reason: AbsenceReason };

const SHAPE_OF_PLATFORM = {
  windows: 'windows-omadm',
  macos: 'apple-device-information',
  ios: 'apple-device-information',
  android: 'android-device',
} as const satisfies Record<Platform, Inventory['shape']>;

function bad(platform: Platform, why: string): CertfleetError {
  return new CertfleetError(
    'USAGE',
    `The ${platform} inventory cannot be read: ${why}. A ${platform} device reports its inventory as '${SHAPE_OF_PLATFORM[platform]}' (protocol/wire/inventory.ts).`,
  );
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' && v !== '' ? v : undefined;
}

function found(value: string | undefined, reason: AbsenceReason = 'not-reported'): Found {
  return value === undefined ? { reason } : { value };
}

// --- per platform: device-reported attributes ------------------------------------------------------------

interface Reported {
  osVersion: string;
  values: Partial<Record<AttributeName, Found>>;
}

function windowsReported(nodes: WindowsInventory): Reported {
  const node = (uri: string): OmaDmNode | undefined => nodes[uri];
  const value = (uri: string): Found => {
    const n = node(uri);
    if (n === undefined) return { reason: 'not-reported' };
    return n.status === 200 ? found(str(n.value)) : { reason: n.reason };
  };
  const child = (uri: string): string | undefined => {
    const n = node(uri);
    return n?.status === 200 ? str(n.value.split('/')[0]) : undefined;
  };
  const mac = child('./Vendor/MSFT/DeviceStatus/NetworkIdentifiers');
  const deviceName = value('./DevDetail/Ext/Microsoft/DeviceName');
  const dnsName = value('./DevDetail/Ext/Microsoft/DNSComputerName');
  const domain = value('./Vendor/MSFT/DeviceStatus/DomainName');
  const fqdn: Found =
    'reason' in domain
      ? domain
      : 'reason' in dnsName
        ? dnsName
        : { value: `${dnsName.value}.${domain.value}` };
  const sw = node('./DevDetail/SwV');
  return {
    osVersion: sw?.status === 200 ? sw.value : '',
    values: {
      serialNumber: value('./DevDetail/Ext/Microsoft/SMBIOSSerialNumber'),
      imei: found(child('./Vendor/MSFT/DeviceStatus/CellularIdentities')),
      meid: { reason: 'not-reported' },
      wifiMacAddress: found(mac === undefined ? undefined : (mac.match(/../g)?.join(':') ?? mac)),
      deviceName,
      fullyQualifiedDomainName: fqdn,
      udid: { reason: 'not-on-platform' },
    },
  };
}

function appleReported(platform: 'macos' | 'ios', info: AppleDeviceInformation): Reported {
  const cellular: AbsenceReason = platform === 'macos' ? 'not-on-platform' : 'not-reported';
  const mac = str(info.WiFiMAC);
  return {
    osVersion: str(info.OSVersion) ?? '',
    values: {
      serialNumber: found(str(info.SerialNumber)),
      imei: found(str(info.IMEI)?.replace(/\s+/g, ''), cellular),
      meid: found(str(info.MEID), cellular),
      wifiMacAddress: found(mac?.toUpperCase()),
      deviceName: found(str(info.DeviceName)),
      fullyQualifiedDomainName: { reason: 'not-on-platform' },
      udid: found(str(info.UDID)),
    },
  };
}

function androidReported(report: AndroidDeviceReport, entry: DirectoryEntry | undefined): Reported {
  const hidden: AbsenceReason =
    str(report.hardwareInfo.enterpriseSpecificId) !== undefined ? 'android12-work-profile' : 'not-reported';
  const mac = str(report.networkInfo.wifiMacAddress);
  return {
    osVersion: str(report.softwareInfo.androidVersion) ?? '',
    values: {
      serialNumber: found(str(report.hardwareInfo.serialNumber), hidden),
      imei: found(str(report.networkInfo.imei), hidden),
      meid: found(str(report.networkInfo.meid), hidden),
      wifiMacAddress: found(mac?.toUpperCase()),
      deviceName: found(str(entry?.deviceName)),
      fullyQualifiedDomainName: { reason: 'not-on-platform' },
      udid: { reason: 'not-on-platform' },
    },
  };
}

function reportedOf(platform: Platform, inventory: unknown, entry: DirectoryEntry | undefined): Reported {
  if (!isRecord(inventory)) throw bad(platform, 'it is not an object');
  const shape = SHAPE_OF_PLATFORM[platform];
  if (inventory.shape !== shape) {
    throw bad(platform, `its shape is '${String(inventory.shape)}'`);
  }
  switch (platform) {
    case 'windows': {
      if (!isRecord(inventory.nodes)) throw bad(platform, 'it has no `nodes` map');
      return windowsReported(inventory.nodes as WindowsInventory);
    }
    case 'macos':
    case 'ios': {
      if (!isRecord(inventory.queryResponses)) throw bad(platform, 'it has no `queryResponses`');
      return appleReported(platform, inventory.queryResponses as unknown as AppleDeviceInformation);
    }
    case 'android': {
      const d = inventory.device;
      if (
        !isRecord(d) ||
        !isRecord(d.hardwareInfo) ||
        !isRecord(d.networkInfo) ||
        !isRecord(d.softwareInfo)
      ) {
        throw bad(platform, 'its `device` lacks hardwareInfo, networkInfo or softwareInfo');
      }
      return androidReported(d as unknown as AndroidDeviceReport, entry);
    }
  }
}

// --- directory attributes -------------------------------------------------------------------------------

function directoryValues(
  platform: Platform,
  kind: EnrollmentKind,
  deviceId: string,
  entry: DirectoryEntry | undefined,
): Partial<Record<AttributeName, Found>> {
  const user = entry?.user ?? null;
  const userLess = entry !== undefined && user === null;
  const userAttr = (v: string | undefined): Found => (userLess ? { reason: 'user-less' } : found(str(v)));
  const onPrem = (v: string | undefined): Found => {
    if (userLess) return { reason: 'user-less' };
    if (user !== null && user.onPremises === undefined) return { reason: 'not-synced' };
    return found(str(v));
  };
  const deviceSid: Found =
    platform !== 'windows'
      ? { reason: 'not-on-platform' }
      : kind !== 'hybrid-joined'
        ? { reason: 'not-hybrid-joined' }
        : found(str(entry?.deviceSid));
  const intune = entry?.intuneDeviceId === undefined ? deviceId : (entry.intuneDeviceId ?? undefined);
  return {
    userName: userAttr(user?.userName),
    userPrincipalName: userAttr(user?.userPrincipalName),
    emailAddress: userAttr(user?.mail),
    department: userAttr(user?.department),
    onPremisesDistinguishedName: onPrem(user?.onPremises?.distinguishedName),
    onPremisesSamAccountName: onPrem(user?.onPremises?.samAccountName),
    userSid: onPrem(user?.onPremises?.sid),
    entraDeviceId: found(str(entry?.entraDeviceId)),
    intuneDeviceId: found(str(intune)),
    deviceSid,
  };
}

/**
 * The resolver's view of a device, from its native inventory and its directory entry.
 *
 * @param deviceId the id the device enrolled with (Intune device ID unless the directory says otherwise)
 * @throws CertfleetError USAGE when the inventory is not the platform's shape
 * @example
 * const facts = factsFromInventory('android', 'work-profile-personal', request.inventory, directory.get(id), id);
 * facts.absent.imei; // 'android12-work-profile' when the report carries an enterpriseSpecificId
 */
export function factsFromInventory(
  platform: Platform,
  kind: EnrollmentKind,
  inventory: unknown,
  entry: DirectoryEntry | undefined,
  deviceId = '',
): DeviceFacts {
  const reported = reportedOf(platform, inventory, entry);
  const all = { ...directoryValues(platform, kind, deviceId, entry), ...reported.values };
  const attributes: Partial<Record<AttributeName, string>> = {};
  const absent: Partial<Record<AttributeName, AbsenceReason>> = {};
  for (const [name, f] of Object.entries(all) as [AttributeName, Found][]) {
    if ('value' in f) attributes[name] = f.value;
    else absent[name] = f.reason;
  }
  const enrolled = str(entry?.enrolledOsVersion);
  return {
    platform,
    enrollmentKind: kind,
    osVersion: reported.osVersion,
    ...(enrolled !== undefined && enrolled !== reported.osVersion && { enrolledOsVersion: enrolled }),
    hasUser: !(entry !== undefined && entry.user === null),
    attributes,
    absent,
  };
}
