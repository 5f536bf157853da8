/**
 * The Android Enterprise codec (docs/formats.md §3): certfleet's inferred policy JSON (AMAPI Policy + ONC
 * Certificates + DPC certificate commands) and the device's AMAPI-style non-compliance report (docs/errors.md §3).
 */
export * from './policy-model.ts';
export * from './policy-codec.ts';
export * from './scep-command.ts';
export * from './non-compliance.ts';
export * from './json-strict.ts';
