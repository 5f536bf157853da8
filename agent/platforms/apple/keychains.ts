/**
 * The simulated Apple keychains and which one a profile's items go to (issue 4 "Key stores"):
 * - macOS: the System keychain (`macos/system`, device channel; profiles with PayloadScope `System` or none)
 *   and the user's login keychain (`macos/login`, user channel; PayloadScope `User`). docs/formats.md §1.1:
 *   PayloadScope is macOS-only and "determines the location of certificate items, such as keychains".
 * - iOS/iPadOS: one keychain (`ios/keychain`).
 *
 * Items are typed as mdmb's keychain types them (docs/architecture.md anchors): `certificate` (roots and other
 * certificates without a key) and `identity` (certificate + private key). Each remembers the profile that
 * installed it (StoreItem `ref` = the profile's top-level PayloadIdentifier).
 */
import { parseCertificate, type Certificate } from '../../../pki/index.ts';
import type { ApplePlatform } from '../../../profiles/apple/index.ts';
import type { StoreDb, StoreItem } from '../../keystore/store-db.ts';

/** Store names of the Apple keychains (agent/keystore/store-db.ts naming). */
export const APPLE_KEYCHAINS = {
  macos: { system: 'macos/system', login: 'macos/login' },
  ios: { keychain: 'ios/keychain' },
} as const;

/** The store-name prefix of a platform's keychains (`macos/`, `ios/`). */
export function keychainPrefix(platform: ApplePlatform): string {
  return `${platform}/`;
}

/** The keychain a profile installs into: PayloadScope `User` → login keychain on macOS; iOS has one. */
export function keychainFor(platform: ApplePlatform, scope: 'System' | 'User' | undefined): string {
  if (platform === 'ios') return APPLE_KEYCHAINS.ios.keychain;
  return scope === 'User' ? APPLE_KEYCHAINS.macos.login : APPLE_KEYCHAINS.macos.system;
}

/** What trust evaluation on the device can use: anchors (installed roots) and other certificates. */
export interface TrustMaterial {
  anchors: Certificate[];
  intermediates: Certificate[];
}

/**
 * The device's trust material from its keychains: certificates recorded as anchors (`attrs.role` `root`)
 * and the other key-less certificates. `exceptRef` leaves out one profile's items (the profile being
 * replaced). macOS evaluates against both keychains (System roots serve every user; the simulated Mac has
 * one user).
 */
export function trustMaterial(
  db: StoreDb,
  deviceId: string,
  platform: ApplePlatform,
  exceptRef?: string,
): TrustMaterial {
  const anchors: Certificate[] = [];
  const intermediates: Certificate[] = [];
  for (const item of db.items(deviceId, { storePrefix: keychainPrefix(platform), kind: 'certificate' })) {
    const shared = Array.isArray(item.attrs.sharedWith) && item.attrs.sharedWith.length > 0;
    if (exceptRef !== undefined && item.ref === exceptRef && !shared) continue;
    const cert = parseCertificate(item.certificate);
    (isAnchor(item) ? anchors : intermediates).push(cert);
  }
  return { anchors, intermediates };
}

/** True when a stored certificate is a trust anchor (installed from a certificate payload, self-signed). */
export function isAnchor(item: StoreItem): boolean {
  return item.kind === 'certificate' && item.attrs.role === 'root';
}
