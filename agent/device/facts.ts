/**
 * `toDeviceFacts(device)`: the device as the variable resolver sees it (profiles/variables/facts.ts
 * {@link DeviceFacts}) — same attribute names, same absence reasons, no translation.
 */
import type { DeviceFacts } from '../../profiles/variables/facts.ts';
import type { Device } from './device.ts';

/** The resolver's view of `device`. */
export function toDeviceFacts(device: Device): DeviceFacts {
  return {
    platform: device.platform,
    enrollmentKind: device.enrollmentKind,
    osVersion: device.osVersion,
    ...(device.enrolledOsVersion !== device.osVersion && { enrolledOsVersion: device.enrolledOsVersion }),
    hasUser: device.user !== null,
    attributes: { ...device.attributes },
    absent: { ...device.absent },
  };
}
