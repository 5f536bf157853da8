/**
 * An Android device's inventory, shaped like the Android Management API `Device` resource
 * (AMAPI-DISC, docs/formats.md sources; developers.google.com/android/management/reference/rest/v1/enterprises.devices):
 * `hardwareInfo {brand, hardware, manufacturer, serialNumber, model, enterpriseSpecificId}`,
 * `networkInfo {imei, meid, wifiMacAddress}` (AMAPI examples: `A1000031212`, `A00000292788E1`,
 * `7c:11:11:11:11:11`), `softwareInfo {androidVersion, androidBuildNumber}`, `managementMode`
 * (`DEVICE_OWNER` | `PROFILE_OWNER`), `ownership` (`COMPANY_OWNED` | `PERSONALLY_OWNED`) and the Intune
 * enrollment type. Absent attributes are simply missing fields.
 *
 * `enterpriseSpecificId` is "available on personally-owned devices with a work profile on devices running
 * Android 12 and above" (AMAPI `HardwareInfo`), where the serial number is not.
 *
 * The report's type is a wire type shared with the service (protocol/wire/inventory.ts); this file builds it.
 */
import { createRandom } from '../../protocol/runtime/random.ts';
import type { AndroidDeviceReport, AndroidManagementMode } from '../../protocol/wire/inventory.ts';
import type { Device } from './device.ts';

/** The Android device report of `device`. */
export function androidInventory(device: Device): AndroidDeviceReport {
  const a = device.attributes;
  const managementMode: AndroidManagementMode | undefined =
    device.enrollmentKind === 'device-admin'
      ? undefined
      : device.enrollmentKind === 'work-profile-personal'
        ? 'PROFILE_OWNER'
        : 'DEVICE_OWNER';
  const hardwareInfo: AndroidDeviceReport['hardwareInfo'] = {
    brand: device.hardware.brand ?? device.manufacturer,
    hardware: device.hardware.board ?? device.hardware.productName,
    manufacturer: device.manufacturer,
    model: device.model,
  };
  if (a.serialNumber !== undefined) hardwareInfo.serialNumber = a.serialNumber;
  if (device.absent.serialNumber === 'android12-work-profile') {
    hardwareInfo.enterpriseSpecificId = Buffer.from(createRandom(`esid/${device.id}`).bytes(16))
      .toString('hex')
      .toUpperCase();
  }
  const networkInfo: AndroidDeviceReport['networkInfo'] = {};
  if (a.imei !== undefined) networkInfo.imei = a.imei;
  if (a.meid !== undefined) networkInfo.meid = a.meid;
  if (a.wifiMacAddress !== undefined) networkInfo.wifiMacAddress = a.wifiMacAddress.toLowerCase();
  return {
    hardwareInfo,
    networkInfo,
    softwareInfo: { androidVersion: device.osVersion, androidBuildNumber: device.osBuild },
    ...(managementMode !== undefined && { managementMode }),
    ownership: device.ownership === 'corporate' ? 'COMPANY_OWNED' : 'PERSONALLY_OWNED',
    enrollmentType: device.enrollmentKind,
  };
}
