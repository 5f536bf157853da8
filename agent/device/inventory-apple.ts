/**
 * An Apple device's inventory: the `QueryResponses` of a DeviceInformation command
 * (Apple device-management schema, github.com/apple/device-management `mdm/commands/information.device.yaml`), with the availability that
 * file states: `IMEI`, `MEID`, `CellularTechnology` only on iOS (macOS `introduced: n/a`), `IsAppleSilicon`
 * only on macOS, `ModelNumber` on macOS only with Apple silicon ("Requires Apple silicon on macOS"),
 * `EthernetMAC` only on macOS. A key the device cannot answer is simply missing from the dictionary: so are
 * `UDID`, `SerialNumber`, `IMEI`, `MEID` and `WiFiMAC` under User Enrollment, where that file marks them
 * `userenrollment: mode: forbidden` (the device's attributes are absent there: availability.ts).
 *
 * Formats **[observed]** in real device responses: `IMEI` is written in groups, `35 717185 037376 0`.
 * `MEID` is reported as its 14 hexadecimal digits without the check digit (agent/device/meid.ts).
 *
 * The answers' type is a wire type shared with the service (protocol/wire/inventory.ts); this file builds it.
 */
import type { AppleDeviceInformation } from '../../protocol/wire/inventory.ts';
import type { Device } from './device.ts';

/** Apple's grouped IMEI text: `AA BBBBBB CCCCCC D`. */
export function appleImeiText(imei: string): string {
  return `${imei.slice(0, 2)} ${imei.slice(2, 8)} ${imei.slice(8, 14)} ${imei.slice(14)}`;
}

/** The DeviceInformation answers of an Apple `device` (macOS or iOS). */
export function appleInventory(device: Device): AppleDeviceInformation {
  const a = device.attributes;
  const ios = device.platform === 'ios';
  const info: AppleDeviceInformation = {
    DeviceName: a.deviceName ?? device.hardware.modelName ?? device.model,
    Model: device.hardware.modelNumber ?? device.hardware.productName,
    ModelName: device.hardware.modelName ?? device.model,
    ProductName: device.hardware.productName,
    OSVersion: device.osVersion,
    BuildVersion: device.osBuild,
    IsSupervised: device.supervised,
  };
  if (a.udid !== undefined) info.UDID = a.udid;
  if (a.serialNumber !== undefined) info.SerialNumber = a.serialNumber;
  if (a.wifiMacAddress !== undefined) info.WiFiMAC = a.wifiMacAddress.toLowerCase();
  if (ios) {
    if (a.imei !== undefined) info.IMEI = appleImeiText(a.imei);
    if (a.meid !== undefined) info.MEID = a.meid;
    info.CellularTechnology = device.cellular ? (device.hardware.cdma ? 3 : 1) : 0;
  } else {
    info.IsAppleSilicon = device.hardware.appleSilicon ?? false;
  }
  if (device.hardware.modelNumber !== undefined && (ios || device.hardware.appleSilicon === true)) {
    info.ModelNumber = device.hardware.modelNumber;
  }
  return info;
}
