/**
 * Which hardware models and OS versions a fleet-mix entry can produce: the models it lists (or every model
 * of its platform), narrowed by the cellular choice, each with the OS versions that fit both the entry's
 * `osVersions` and the model's supported majors (agent/device/hardware-catalog.ts, os-versions.ts) and, on
 * Android, that leave an enrolment version matching `enrolledOsVersions`. Used to reject impossible
 * entries when a scenario loads, and to draw devices when the fleet is planned.
 */
import { modelsOf, type HardwareModel } from '../../agent/device/hardware-catalog.ts';
import { OS_RELEASES } from '../../agent/device/os-versions.ts';
import type { Platform } from '../../profiles/model/platform.ts';
import type { MixEntry, OsVersionChoice } from './types.ts';
import { versionMatches, versionParts, windowsMajor } from './versions.ts';

/** One OS version a candidate model can run, with its draw weight. */
export interface VersionOption {
  version: string;
  weight: number;
  /** Android: the versions it may have enrolled on (when the entry constrains them). */
  enrolled?: string[];
}

/** A model the entry may draw, with the versions it may run (undefined: let the device generator draw). */
export interface MixCandidate {
  model: HardwareModel;
  versions?: VersionOption[];
}

/** The marketing major of a version string on a platform (Windows 10/11 from the build). */
export function majorOf(platform: Platform, version: string): number {
  return platform === 'windows' ? windowsMajor(version) : (versionParts(version)[0] ?? Number.NaN);
}

function inMajors(model: HardwareModel, major: number): boolean {
  return major >= model.osMajors[0] && major <= model.osMajors[1];
}

function versionsFor(
  platform: Platform,
  model: HardwareModel,
  choice: OsVersionChoice | undefined,
): VersionOption[] {
  if (choice?.type === 'list') {
    return choice.versions
      .filter((v) => inMajors(model, majorOf(platform, v)))
      .map((version) => ({ version, weight: 1 }));
  }
  return OS_RELEASES[platform]
    .filter((r) => inMajors(model, r.major))
    .filter((r) => choice === undefined || versionMatches(platform, r.version, choice.filter))
    .map((r) => ({ version: r.version, weight: r.weight }));
}

function enrolledFor(model: HardwareModel, current: string, choice: OsVersionChoice): string[] {
  const currentMajor = majorOf('android', current);
  const majors: string[] = [];
  for (let m = model.osMajors[0]; m <= currentMajor; m++) majors.push(String(m));
  if (choice.type === 'list')
    return choice.versions.filter((v) => majors.includes(String(majorOf('android', v))));
  return majors.filter((v) => versionMatches('android', v, choice.filter));
}

/**
 * The models and versions `entry` can produce when the device's cellular choice is `cellular`
 * (undefined: no constraint).
 */
export function mixCandidates(
  entry: Pick<MixEntry, 'platform' | 'models' | 'osVersions' | 'enrolledOsVersions'>,
  cellular?: boolean,
): MixCandidate[] {
  const models = modelsOf(entry.platform).filter(
    (m) =>
      (entry.models === undefined || entry.models.includes(m.id)) &&
      (cellular !== true || m.cellular !== 'none') &&
      (cellular !== false || m.cellular !== 'always'),
  );
  const out: MixCandidate[] = [];
  for (const model of models) {
    if (entry.osVersions === undefined && entry.enrolledOsVersions === undefined) {
      out.push({ model });
      continue;
    }
    let versions = versionsFor(entry.platform, model, entry.osVersions);
    const enrolledChoice = entry.enrolledOsVersions;
    if (enrolledChoice !== undefined && entry.platform === 'android') {
      versions = versions
        .map((v) => ({ ...v, enrolled: enrolledFor(model, v.version, enrolledChoice) }))
        .filter((v) => v.enrolled.length > 0);
    }
    if (versions.length > 0) out.push({ model, versions });
  }
  return out;
}
