/**
 * The simulated device (issue 4, "Devices and their attributes"): model, seeded generation, availability
 * rules, identifier formats and native inventories (their wire types: protocol/wire/inventory.ts).
 */
export * from './device.ts';
export { generateDevice, tenantOf, type DeviceOverrides, type GenerateDeviceOptions } from './generate.ts';
export {
  AVAILABILITY_RULES,
  absenceRule,
  type AvailabilityContext,
  type AvailabilityRule,
} from './availability.ts';
export { isValidImei, luhnCheckDigit, meidCheckDigit } from './check-digits.ts';
export { HARDWARE_MODELS, findModel, modelsOf, type HardwareModel } from './hardware-catalog.ts';
export { inventoryOf } from './inventory.ts';
export { windowsInventory, windowsNode } from './inventory-windows.ts';
export { appleInventory } from './inventory-apple.ts';
export { androidInventory } from './inventory-android.ts';
export { toDeviceFacts } from './facts.ts';
export { newDeviceReport, type DeviceReport, type NewDeviceOptions } from './device-report.ts';
