/**
 * `inventoryOf(device)`: the device's inventory in its platform's own shape (docs/architecture.md flow step 2) — one
 * builder per platform in a table typed `satisfies Record<Platform, …>`, so a new platform cannot be half-wired.
 * The shapes themselves are wire types, shared with the service: protocol/wire/inventory.ts `Inventory`.
 */
import type { Inventory } from '../../protocol/wire/inventory.ts';
import type { Platform } from '../../profiles/model/platform.ts';
import type { Device } from './device.ts';
import { androidInventory } from './inventory-android.ts';
import { appleInventory } from './inventory-apple.ts';
import { windowsInventory } from './inventory-windows.ts';

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
