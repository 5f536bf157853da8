/**
 * What each Android enrollment kind may do with certificates, in one table (issue 4 "Key stores", docs/formats.md
 * §3.3/§3.4), and the Android version → API level rules the install path needs.
 *
 * | kind | key pairs go to | CAs go to | PKCS visible to the user | SILENT access | path |
 * |---|---|---|---|---|---|
 * | device-admin | `android/keychain` | `android/ca` | yes | no | legacy (Company Portal / KeyChain intent) |
 * | work-profile-personal | `android/work-profile` | `android/work-profile` | no (PFXDOC) | no | DPM, profile owner |
 * | work-profile-corporate | `android/work-profile` | `android/work-profile` | no (PFXDOC) | yes | DPM |
 * | fully-managed | `android/keychain` | `android/ca` | yes | yes | DPM, device owner |
 * | dedicated | `android/keychain` | `android/ca` | yes | yes | DPM, device owner |
 *
 * Sources: PFXDOC (docs/formats.md §3.4) "On devices with an Android Enterprise profile, certificates installed using a
 * PKCS certificate profile are not visible on the device" — certfleet applies it to the work-profile store, as
 * issue 4 words it; "Certificate access" (user approval / grant silently) is offered for Fully Managed, Dedicated
 * and COPE only (PFXDOC, SCEPDOC; Graph `certificateAccessType` exists only on `androidDeviceOwner*` types,
 * docs/formats.md §4.3); device administrator on Android 11+ cannot install roots through a trusted-certificate
 * profile, except Samsung Knox (TRUSTDOC, docs/formats.md §3.4); user CAs are not trusted by apps by default from
 * Android 7.0, API 24 (docs/formats.md §3.3, `installCaCert` Javadoc).
 */
import type { AndroidEnrollmentKind } from '../../../profiles/model/platform.ts';
import type { Device } from '../../device/device.ts';

/** The Android stores (store-db.ts names). */
export const ANDROID_STORES = {
  keychain: 'android/keychain',
  ca: 'android/ca',
  workProfile: 'android/work-profile',
} as const;

/** One Android store name. */
export type AndroidStore = (typeof ANDROID_STORES)[keyof typeof ANDROID_STORES];

/** How a kind installs: the DPC through DevicePolicyManager, or the legacy device-administrator path. */
export type AndroidInstallPath = 'dpm-device-owner' | 'dpm-profile-owner' | 'legacy-device-admin';

/** The certificate rules of one enrollment kind. */
export interface AndroidKindRules {
  /** Where `installKeyPair` puts key pairs. */
  readonly keyPairStore: AndroidStore;
  /** Where `installCaCert` puts CA certificates. */
  readonly caStore: AndroidStore;
  /** False when PKCS key pairs are hidden from the device user (PFXDOC, work profiles). */
  readonly keyPairsVisibleToUser: boolean;
  /** "Grant silently for specific apps" is available (device-owner family: FM, dedicated, COPE). */
  readonly silentAccessAllowed: boolean;
  readonly installPath: AndroidInstallPath;
}

/** The rules per enrollment kind (see the file comment for the sources). */
export const ANDROID_KIND_RULES = {
  'device-admin': {
    keyPairStore: ANDROID_STORES.keychain,
    caStore: ANDROID_STORES.ca,
    keyPairsVisibleToUser: true,
    silentAccessAllowed: false,
    installPath: 'legacy-device-admin',
  },
  'work-profile-personal': {
    keyPairStore: ANDROID_STORES.workProfile,
    caStore: ANDROID_STORES.workProfile,
    keyPairsVisibleToUser: false,
    silentAccessAllowed: false,
    installPath: 'dpm-profile-owner',
  },
  'work-profile-corporate': {
    keyPairStore: ANDROID_STORES.workProfile,
    caStore: ANDROID_STORES.workProfile,
    keyPairsVisibleToUser: false,
    silentAccessAllowed: true,
    installPath: 'dpm-profile-owner',
  },
  'fully-managed': {
    keyPairStore: ANDROID_STORES.keychain,
    caStore: ANDROID_STORES.ca,
    keyPairsVisibleToUser: true,
    silentAccessAllowed: true,
    installPath: 'dpm-device-owner',
  },
  dedicated: {
    keyPairStore: ANDROID_STORES.keychain,
    caStore: ANDROID_STORES.ca,
    keyPairsVisibleToUser: true,
    silentAccessAllowed: true,
    installPath: 'dpm-device-owner',
  },
} as const satisfies Record<AndroidEnrollmentKind, AndroidKindRules>;

/**
 * Android version (as the device reports it: `14`, `8.1`, `7.0`) → API level, from the Android platform
 * release table (developer.android.com "API levels"); 12L is reported as `12.1`.
 */
const API_LEVELS: readonly [major: number, minor: number, api: number][] = [
  [5, 0, 21],
  [5, 1, 22],
  [6, 0, 23],
  [7, 0, 24],
  [7, 1, 25],
  [8, 0, 26],
  [8, 1, 27],
  [9, 0, 28],
  [10, 0, 29],
  [11, 0, 30],
  [12, 0, 31],
  [12, 1, 32],
  [13, 0, 33],
  [14, 0, 34],
  [15, 0, 35],
  [16, 0, 36],
];

/** The API level of an Android version string; an unknown newer version counts as the newest known level. */
export function apiLevelOf(androidVersion: string): number {
  const m = /^(\d+)(?:\.(\d+))?/.exec(androidVersion);
  const major = Number(m?.[1] ?? Number.NaN);
  const minor = Number(m?.[2] ?? 0);
  if (Number.isNaN(major)) return 0;
  let best = 0;
  for (const [ma, mi, api] of API_LEVELS) {
    if (ma < major || (ma === major && mi <= minor)) best = api;
  }
  return best;
}

/** API 24 (Android 7.0): user-installed CAs are no longer trusted by apps by default. */
export const API_USER_CA_NOT_TRUSTED_BY_APPS = 24;
/** API 30 (Android 11): device administrator can no longer install roots from a trusted-certificate profile. */
export const API_DEVICE_ADMIN_NO_CA_INSTALL = 30;

/** True for Samsung devices, whose Knox APIs still let device administrator install CAs on Android 11+. */
export function isSamsung(device: Device): boolean {
  return device.manufacturer.toLowerCase() === 'samsung';
}

/**
 * Whether this device may install a CA certificate from a policy: always, except device administrator on
 * Android 11+ (TRUSTDOC) — unless it is a Samsung device (Knox, TRUSTDOC's exception; modelled by manufacturer).
 */
export function caInstallAllowed(device: Device, kind: AndroidEnrollmentKind): boolean {
  if (kind !== 'device-admin') return true;
  return apiLevelOf(device.osVersion) < API_DEVICE_ADMIN_NO_CA_INSTALL || isSamsung(device);
}
