/**
 * The Apple device adapters (macOS and iOS/iPadOS): `.mobileconfig` in, keychain items and an MDM command
 * response out. See deliver.ts (install rules), certificate-payload.ts and pkcs12-payload.ts (payload
 * rules), native-status.ts (the one code → Apple ErrorChain table), keychains.ts (stores).
 */
import type { ApplePlatform } from '../../../profiles/apple/index.ts';
import type { PlatformAdapter } from '../../platform-adapter.ts';
import { deliverAppleProfile } from './deliver.ts';
import { deliverAppleScepProfile } from './scep-payload.ts';
import { heldAppleCertificates } from './held-certificates.ts';
import { removeAppleProfile } from './remove-profile.ts';

/** Builds the adapter of one Apple platform. */
export function createAppleAdapter(platform: ApplePlatform): PlatformAdapter {
  return {
    platform,
    format: 'mobileconfig',
    deliver: (ctx, payload, meta) => deliverAppleProfile(platform, ctx, payload, meta),
    deliverAsync: (ctx, payload, meta) => deliverAppleScepProfile(platform, ctx, payload, meta),
    remove: (ctx, ref) => removeAppleProfile(platform, ctx, ref),
    held: (ctx, view) => heldAppleCertificates(platform, ctx, view),
  };
}

/** The macOS device: System and login keychains (PayloadScope), KeyIsExtractable and AllowAllAppsAccess honoured. */
export const macosAdapter: PlatformAdapter = createAppleAdapter('macos');

/** The iOS/iPadOS device: one keychain; empty-password PKCS#12 and nonRepudiation identities refused. */
export const iosAdapter: PlatformAdapter = createAppleAdapter('ios');

export { APPLE_KEYCHAINS, keychainFor } from './keychains.ts';
export { APPLE_CASES, type AppleCase, type AppleCaseRow } from './native-status.ts';
export type { IdentityFacts } from './payload-verdict.ts';
