/**
 * The logic behind `certfleet device new`: generate one device and describe it — the device with its
 * attributes and absence reasons, and its native inventory — as one JSON-ready object. The CLI only parses
 * its options and prints `JSON.stringify(newDeviceReport(...))`.
 */
import type { EnrollmentKind, Platform } from '../../profiles/model/platform.ts';
import type { Seed } from '../../protocol/runtime/random.ts';
import type { Device } from './device.ts';
import { generateDevice, type DeviceOverrides } from './generate.ts';
import type { Inventory } from '../../protocol/wire/inventory.ts';
import { inventoryOf } from './inventory.ts';

/** What `certfleet device new --json` prints. */
export interface DeviceReport {
  readonly device: Device;
  readonly inventory: Inventory;
}

/** Options of {@link newDeviceReport} (the CLI's `--platform`, `--seed`, `--index`, `--kind`). */
export interface NewDeviceOptions {
  platform?: Platform;
  /** Defaults to 0. */
  seed?: Seed;
  /** Defaults to 0. */
  index?: number;
  kind?: EnrollmentKind;
  overrides?: DeviceOverrides;
}

/**
 * Generate a device and its inventory.
 *
 * @throws CertfleetError `USAGE` for an unknown platform, a kind of another platform or a bad index.
 */
export function newDeviceReport(options: NewDeviceOptions): DeviceReport {
  const device = generateDevice({
    seed: options.seed ?? 0,
    index: options.index ?? 0,
    ...(options.platform !== undefined && { platform: options.platform }),
    ...(options.kind !== undefined && { kind: options.kind }),
    ...(options.overrides !== undefined && { overrides: options.overrides }),
  });
  return { device, inventory: inventoryOf(device) };
}
