/**
 * `inventoryOf(device)`: the device's inventory in its platform's own shape (docs/architecture.md flow step 2) — one
 * builder per platform in a table typed `satisfies Record<Platform, …>`, so a new platform cannot be half-wired.
 */
import type { Platform } from '../../profiles/model/platform.ts';
import type { Device } from './device.ts';
import { androidInventory, type AndroidDeviceReport } from './inventory-android.ts';
import { appleInventory, type AppleDeviceInformation } from './inventory-apple.ts';
import { windowsInventory, type WindowsInventory } from './inventory-windows.ts';

/** An inventory, tagged with its shape. */
export type Inventory =
  | { readonly shape: 'windows-omadm'; readonly nodes: WindowsInventory }
  | { readonly shape: 'apple-device-information'; readonly queryResponses: AppleDeviceInformation }
  | { readonly shape: 'android-device'; readonly device: AndroidDeviceReport };

const BUILDERS = {
  windows: (d) => ({ shape: 'windows-omadm', nodes: windowsInventory(d) }),
  macos: (d) => ({ shape: 'apple-device-information', queryResponses: appleInventory(d) }),
  ios: (d) => ({ shape: 'apple-device-information', queryResponses: appleInventory(d) }),
  android: (d) => ({ shape: 'android-device', device: androidInventory(d) }),
} as const satisfies Record<Platform, (d: Device) => Inventory>;

/** The inventory `device` reports, in its platform's shape. */
export function inventoryOf(device: Device): Inventory {
  return BUILDERS[device.platform](device);
}
