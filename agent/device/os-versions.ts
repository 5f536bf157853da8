/**
 * Realistic OS versions and builds per platform, to draw from.
 *
 * - Windows: the version is what DevDetail `SwV` reports, `Major.Minor.Build.QFE` (DEVDETAIL, docs/formats.md §2.6):
 *   Windows 10 22H2 is build 19045, Windows 11 23H2 is 22631, Windows 11 24H2 is 26100; the QFE numbers are
 *   monthly cumulative updates of 2024–2025.
 * - Apple: `OSVersion` / `BuildVersion` of DeviceInformation (ADM `information.device.yaml`): macOS 13–15,
 *   iOS/iPadOS 16–18 with their build numbers.
 * - Android: AMAPI `softwareInfo.androidVersion` is the user-visible version (`14`); the build id prefix
 *   (`UP1A`, `AP3A`…) follows the release's code name letter.
 */
import type { Random } from '../../protocol/runtime/random.ts';

/** One OS release to draw. */
export interface OsRelease {
  /** Major version (Windows: 10 or 11). */
  readonly major: number;
  /** Version string as the platform reports it. */
  readonly version: string;
  /** Build (Apple `BuildVersion`, Android build id, Windows release name such as `23H2`). */
  readonly build: string;
  /** Relative frequency. */
  readonly weight: number;
}

const WINDOWS_10_22H2_QFE = [3803, 4046, 4170, 4291, 4412, 4529, 4651, 4780, 4894, 5011, 5131, 5247];
const WINDOWS_11_23H2_QFE = [3296, 3447, 3593, 3737, 3880, 4037, 4169, 4317, 4460, 4602, 4751, 4890];
const WINDOWS_11_24H2_QFE = [1742, 2033, 2161, 2314, 2454, 2605, 2894, 3194, 3476, 3775, 4061];

/** Windows releases: Windows 10 22H2 (10.0.19045.x), Windows 11 23H2 (10.0.22631.x) and 24H2 (10.0.26100.x). */
export const WINDOWS_RELEASES: readonly OsRelease[] = [
  ...WINDOWS_10_22H2_QFE.map((q) => ({ major: 10, version: `10.0.19045.${q}`, build: '22H2', weight: 3 })),
  ...WINDOWS_11_23H2_QFE.map((q) => ({ major: 11, version: `10.0.22631.${q}`, build: '23H2', weight: 4 })),
  ...WINDOWS_11_24H2_QFE.map((q) => ({ major: 11, version: `10.0.26100.${q}`, build: '24H2', weight: 4 })),
];

/** macOS releases 13 (Ventura), 14 (Sonoma), 15 (Sequoia). */
export const MACOS_RELEASES: readonly OsRelease[] = [
  { major: 13, version: '13.6.7', build: '22G720', weight: 1 },
  { major: 13, version: '13.7.1', build: '22H221', weight: 1 },
  { major: 14, version: '14.5', build: '23F79', weight: 2 },
  { major: 14, version: '14.6.1', build: '23G93', weight: 2 },
  { major: 14, version: '14.7.1', build: '23H222', weight: 2 },
  { major: 15, version: '15.0.1', build: '24A348', weight: 2 },
  { major: 15, version: '15.1.1', build: '24B91', weight: 3 },
  { major: 15, version: '15.2', build: '24C101', weight: 3 },
];

/** iOS/iPadOS releases 16, 17, 18. */
export const IOS_RELEASES: readonly OsRelease[] = [
  { major: 16, version: '16.7.8', build: '20H343', weight: 1 },
  { major: 16, version: '16.7.10', build: '20H350', weight: 1 },
  { major: 17, version: '17.5.1', build: '21F90', weight: 2 },
  { major: 17, version: '17.6.1', build: '21G93', weight: 2 },
  { major: 18, version: '18.0.1', build: '22A3370', weight: 2 },
  { major: 18, version: '18.1.1', build: '22B91', weight: 3 },
  { major: 18, version: '18.2', build: '22C152', weight: 3 },
];

/** Android 10–15; Android 12 and later matter for the personally-owned work-profile rule. */
export const ANDROID_RELEASES: readonly OsRelease[] = [
  { major: 10, version: '10', build: 'QP1A.190711.020', weight: 1 },
  { major: 11, version: '11', build: 'RP1A.200720.012', weight: 2 },
  { major: 12, version: '12', build: 'SP1A.210812.016', weight: 2 },
  { major: 13, version: '13', build: 'TP1A.220624.014', weight: 3 },
  { major: 14, version: '14', build: 'UP1A.231005.007', weight: 4 },
  { major: 15, version: '15', build: 'AP3A.241105.008', weight: 3 },
];

/** The releases of each platform. */
export const OS_RELEASES = {
  windows: WINDOWS_RELEASES,
  macos: MACOS_RELEASES,
  ios: IOS_RELEASES,
  android: ANDROID_RELEASES,
} as const;

/** A release whose major lies in [min, max], drawn by weight (undefined when none matches). */
export function drawRelease(
  random: Random,
  releases: readonly OsRelease[],
  [min, max]: readonly [number, number],
): OsRelease | undefined {
  const fit = releases.filter((r) => r.major >= min && r.major <= max);
  return fit.length === 0 ? undefined : random.weighted(fit.map((r) => [r, r.weight] as const));
}

/** The release with exactly this version string, or undefined. */
export function findRelease(releases: readonly OsRelease[], version: string): OsRelease | undefined {
  return releases.find((r) => r.version === version);
}
