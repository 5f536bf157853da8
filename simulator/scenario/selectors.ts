/**
 * Device groups for assignments and expectations: a selector names platforms, enrollment kinds,
 * ownership and tags (every named field must match; a list means any of). Assignments follow Intune:
 * a device gets a profile when it is in an included group and in no excluded group (exclude wins), and
 * only when the profile has a version for the device's profile family.
 */
import type { Ownership } from '../../agent/device/device.ts';
import {
  ALL_ENROLLMENT_KINDS,
  PLATFORMS,
  isEnrollmentKindOf,
  profileFamilyOf,
  type EnrollmentKind,
  type Platform,
} from '../../profiles/model/platform.ts';
import type { At, Checker } from './checker.ts';
import { suggestion } from './suggest.ts';
import type { Assignment, DeviceSelector, ScenarioProfile } from './types.ts';
import type { MapNode } from './yaml-tree.ts';

/** What an assignment looks at on a device. */
export interface AssignmentTarget {
  platform: Platform;
  kind: EnrollmentKind;
  ownership: Ownership;
  tags: readonly string[];
}

/** True when the device is in the group. */
export function matchesSelector(target: AssignmentTarget, s: DeviceSelector): boolean {
  return (
    (s.platform === undefined || s.platform.includes(target.platform)) &&
    (s.kind === undefined || s.kind.includes(target.kind)) &&
    (s.ownership === undefined || s.ownership.includes(target.ownership)) &&
    (s.tags === undefined || s.tags.some((t) => target.tags.includes(t)))
  );
}

/** True when `assignment` targets the device (included, not excluded). */
export function isTargeted(assignment: Assignment, target: AssignmentTarget): boolean {
  return (
    assignment.include.some((s) => matchesSelector(target, s)) &&
    !assignment.exclude.some((s) => matchesSelector(target, s))
  );
}

/** True when the device receives `profile`: it has a version for the device's family and targets it. */
export function isAssigned(profile: ScenarioProfile, target: AssignmentTarget): boolean {
  const family = profileFamilyOf(target.platform, target.kind);
  return family !== undefined && profile.families.includes(family) && isTargeted(profile.assign, target);
}

/** The profiles of a scenario a device receives, in file order. */
export function profilesFor(
  profiles: readonly ScenarioProfile[],
  target: AssignmentTarget,
): ScenarioProfile[] {
  return profiles.filter((p) => isAssigned(p, target));
}

const SELECTOR_KEYS = ['platform', 'kind', 'ownership', 'tags'] as const;
const OWNERSHIPS: readonly Ownership[] = ['corporate', 'personal'];

/** Reads a list of words (one word is a list of one) from `allowed`. */
export function readWords<T extends string>(
  c: Checker,
  at: At | undefined,
  allowed: readonly T[] | undefined,
  what: string,
): T[] | undefined {
  const items = c.list(at, true);
  if (items === undefined) return undefined;
  const out: T[] = [];
  for (const i of items) {
    const v = allowed === undefined ? c.string(i, true) : c.oneOf(i, allowed, what);
    if (v !== undefined) out.push(v as T);
  }
  return out.length === items.length && out.length > 0 ? out : undefined;
}

/** Checks each kind against the platforms of the same selector (a kind of no listed platform is a problem). */
export function checkKinds(
  c: Checker,
  at: At | undefined,
  kinds: EnrollmentKind[] | undefined,
  platforms: Platform[] | undefined,
): void {
  if (at === undefined || kinds === undefined || platforms === undefined) return;
  const items = c.list(at, true) ?? [];
  kinds.forEach((k, i) => {
    if (platforms.some((p) => isEnrollmentKindOf(p, k))) return;
    const node = items[i] ?? at;
    c.add(node.node.pos, node.path, `'${k}' is not an enrollment kind of ${platforms.join(' or ')}`);
  });
}

/** Reads one group `{platform, kind, ownership, tags}` (or the word `all`). */
export function readSelector(c: Checker, at: At): DeviceSelector | undefined {
  if (at.node.type === 'scalar' && at.node.value === 'all') return {};
  const map = c.map(at, 'a group such as {platform: android, kind: work-profile-personal} or all');
  if (map === undefined) return undefined;
  const before = c.problems.length;
  c.keys(map, SELECTOR_KEYS);
  const platformAt = c.get(map, 'platform');
  const kindAt = c.get(map, 'kind');
  const platform = readWords(c, platformAt, PLATFORMS, 'platform');
  const kind = readWords(c, kindAt, ALL_ENROLLMENT_KINDS, 'enrollment kind');
  checkKinds(c, kindAt, kind, platform);
  const ownership = readWords(c, c.get(map, 'ownership'), OWNERSHIPS, 'ownership');
  const tags = readWords<string>(c, c.get(map, 'tags'), undefined, 'tag');
  if (c.problems.length > before) return undefined;
  return {
    ...(platform && { platform }),
    ...(kind && { kind }),
    ...(ownership && { ownership }),
    ...(tags && { tags }),
  };
}

/** Reads `include` / `exclude` of an assignment (`include` defaults to every device). */
export function readAssignment(c: Checker, map: At | undefined): Assignment | undefined {
  if (map === undefined) return { include: [{}], exclude: [] };
  if (map.node.type === 'scalar' && map.node.value === 'all') return { include: [{}], exclude: [] };
  const m = c.map(map, 'a map {include: [groups], exclude: [groups]} or all');
  if (m === undefined) return undefined;
  return readIncludeExclude(c, m, []);
}

/** Reads include/exclude from a map that may also hold `extraKeys`. */
export function readIncludeExclude(
  c: Checker,
  m: At<MapNode>,
  extraKeys: readonly string[],
): Assignment | undefined {
  const before = c.problems.length;
  c.keys(m, ['include', 'exclude', ...extraKeys]);
  const groups = (key: string, dflt: DeviceSelector[]): DeviceSelector[] | undefined => {
    const at = c.get(m, key);
    if (at === undefined) return dflt;
    if (at.node.type === 'scalar' && at.node.value === 'all') return [{}];
    const items = c.list(at) ?? [];
    const out = items.map((i) => readSelector(c, i));
    return out.every((s) => s !== undefined) ? (out as DeviceSelector[]) : undefined;
  };
  const include = groups('include', [{}]);
  const exclude = groups('exclude', []);
  if (c.problems.length > before || include === undefined || exclude === undefined) return undefined;
  return { include, exclude };
}

/** "unknown profile 'x': did you mean 'y'?" */
export function unknownProfile(c: Checker, at: At, name: string, names: readonly string[]): undefined {
  return c.add(at.node.pos, at.path, `unknown profile '${name}'${suggestion(name, names)}`);
}
