/**
 * Platform, enrollment-kind and profile-family vocabulary shared by the whole project (agent, fleet,
 * service, codecs). Sources: PFXDOC (platform list of the "Create a PKCS certificate profile" step),
 * docs/formats.md §3.4 (Android Enterprise kinds), §4 (Graph types per platform family).
 */

/** The four operating-system platforms certfleet simulates. */
export const PLATFORMS = ['windows', 'macos', 'ios', 'android'] as const;
/** One of {@link PLATFORMS}. */
export type Platform = (typeof PLATFORMS)[number];

/**
 * Windows join / enrollment kinds: `entra-joined` (Microsoft Entra joined), `hybrid-joined` (on-premises
 * AD domain-joined and Entra joined), `workplace` (Entra registered, "workplace join").
 */
export const WINDOWS_ENROLLMENT_KINDS = ['entra-joined', 'hybrid-joined', 'workplace'] as const;
/** Apple enrollment kinds: device enrollment and (account-driven) user enrollment. Supervision is a separate flag. */
export const APPLE_ENROLLMENT_KINDS = ['device', 'user'] as const;
/**
 * Android enrollment kinds (PFXDOC platform list; docs/formats.md §3.4): device administrator, Android Enterprise
 * personally-owned work profile, corporate-owned work profile (COPE), fully managed, dedicated (kiosk, user-less).
 */
export const ANDROID_ENROLLMENT_KINDS = [
  'device-admin',
  'work-profile-personal',
  'work-profile-corporate',
  'fully-managed',
  'dedicated',
] as const;

/** Windows enrollment kind. */
export type WindowsEnrollmentKind = (typeof WINDOWS_ENROLLMENT_KINDS)[number];
/** Apple (macOS, iOS/iPadOS) enrollment kind. */
export type AppleEnrollmentKind = (typeof APPLE_ENROLLMENT_KINDS)[number];
/** Android enrollment kind. */
export type AndroidEnrollmentKind = (typeof ANDROID_ENROLLMENT_KINDS)[number];

/** The enrollment kinds each platform can have. */
export const ENROLLMENT_KINDS = {
  windows: WINDOWS_ENROLLMENT_KINDS,
  macos: APPLE_ENROLLMENT_KINDS,
  ios: APPLE_ENROLLMENT_KINDS,
  android: ANDROID_ENROLLMENT_KINDS,
} as const satisfies Record<Platform, readonly string[]>;

/** An enrollment kind of platform `P` (of any platform when `P` is left out). */
export type EnrollmentKind<P extends Platform = Platform> = (typeof ENROLLMENT_KINDS)[P][number];

/** Every enrollment kind of every platform, without repeats. */
export const ALL_ENROLLMENT_KINDS: readonly EnrollmentKind[] = [
  ...new Set<EnrollmentKind>(Object.values(ENROLLMENT_KINDS).flat()),
];

/** True when `value` is one of {@link PLATFORMS}. */
export function isPlatform(value: unknown): value is Platform {
  return typeof value === 'string' && (PLATFORMS as readonly string[]).includes(value);
}

/** True when `kind` is an enrollment kind of `platform`. */
export function isEnrollmentKindOf<P extends Platform>(
  platform: P,
  kind: unknown,
): kind is EnrollmentKind<P> {
  return typeof kind === 'string' && (ENROLLMENT_KINDS[platform] as readonly string[]).includes(kind);
}

/**
 * A profile family: the Intune "platform" a certificate profile is created for, which decides its Graph
 * `@odata.type` and which settings apply (docs/formats.md §4.2/§4.3; PFXDOC settings table):
 * - `windows` — Windows 10/11 (trusted root: `windows81TrustedRootCertificate`; PKCS: `windows10PkcsCertificateProfile`)
 * - `macos`, `ios` — Apple
 * - `android-work-profile` — Android Enterprise personally-owned work profile (`androidWorkProfile*`)
 * - `android-device-owner` — Android Enterprise fully managed, dedicated and corporate-owned work profile
 *   (`androidDeviceOwner*`)
 * - `android-device-admin` — Android device administrator (`androidTrustedRootCertificate`,
 *   `androidPkcsCertificateProfile`)
 */
export const PROFILE_FAMILIES = [
  'windows',
  'macos',
  'ios',
  'android-work-profile',
  'android-device-owner',
  'android-device-admin',
] as const;
/** One of {@link PROFILE_FAMILIES}. */
export type ProfileFamily = (typeof PROFILE_FAMILIES)[number];

/** What a profile family targets: its platform and the enrollment kinds that receive it. */
export interface ProfileFamilyInfo {
  readonly platform: Platform;
  readonly enrollmentKinds: readonly EnrollmentKind[];
  /** The name of the platform choice in the Intune admin center. */
  readonly label: string;
}

/** Platform and enrollment kinds of each profile family. */
export const PROFILE_FAMILY_INFO = {
  windows: { platform: 'windows', enrollmentKinds: WINDOWS_ENROLLMENT_KINDS, label: 'Windows 10 and later' },
  macos: { platform: 'macos', enrollmentKinds: APPLE_ENROLLMENT_KINDS, label: 'macOS' },
  ios: { platform: 'ios', enrollmentKinds: APPLE_ENROLLMENT_KINDS, label: 'iOS/iPadOS' },
  'android-work-profile': {
    platform: 'android',
    enrollmentKinds: ['work-profile-personal'],
    label: 'Android Enterprise (personally-owned work profile)',
  },
  'android-device-owner': {
    platform: 'android',
    enrollmentKinds: ['fully-managed', 'dedicated', 'work-profile-corporate'],
    label: 'Android Enterprise (fully managed, dedicated, corporate-owned work profile)',
  },
  'android-device-admin': {
    platform: 'android',
    enrollmentKinds: ['device-admin'],
    label: 'Android device administrator',
  },
} as const satisfies Record<ProfileFamily, ProfileFamilyInfo>;

/** True when `value` is one of {@link PROFILE_FAMILIES}. */
export function isProfileFamily(value: unknown): value is ProfileFamily {
  return typeof value === 'string' && (PROFILE_FAMILIES as readonly string[]).includes(value);
}

/** The profile family whose profiles a device of this platform and enrollment kind receives. */
export function profileFamilyOf(platform: Platform, kind: EnrollmentKind): ProfileFamily | undefined {
  return PROFILE_FAMILIES.find(
    (f) =>
      PROFILE_FAMILY_INFO[f].platform === platform &&
      (PROFILE_FAMILY_INFO[f].enrollmentKinds as readonly string[]).includes(kind),
  );
}
