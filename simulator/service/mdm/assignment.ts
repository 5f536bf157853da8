/**
 * Profile assignment as Intune does it: a profile is assigned to groups (included) and may be excluded
 * from groups; a device receives the profile when it is in at least one included group and in no excluded
 * group — exclusion wins over inclusion ("Exclusion takes precedence over inclusion", Intune "Assign
 * device profiles" docs). Groups here are filters over what the service knows of a device: platform,
 * enrollment kind, ownership and tags (the simulator's stand-in for Entra groups).
 *
 * A profile also has a platform of its own (its family): whatever the groups say, a device only receives
 * profiles of the family that matches its platform and enrollment kind (profileFamilyOf).
 */
import { CertfleetError } from '../../../pki/errors.ts';
import { profileFamilyOf, type EnrollmentKind, type Platform } from '../../../profiles/model/platform.ts';
import type { PkcsKeySize } from '../../../profiles/compile/index.ts';
import type { CertificateProfile } from '../../../profiles/model/profile.ts';

/**
 * A group: every field present must match (AND); a list matches when it contains the device's value; `tags`
 * matches when the device has at least one listed tag (any of, as scenarios/README.md and the expectation
 * selectors have it). `{}` is "All devices".
 */
export interface GroupFilter {
  platforms?: Platform[];
  kinds?: EnrollmentKind[];
  ownership?: 'corporate' | 'personal';
  tags?: string[];
}

/** One profile and where it is assigned. */
export interface ProfileAssignment {
  /**
   * The profile's name in the run: the profile id on the wire (topics: letters, digits, `.`, `_`, `-`)
   * and in reports.
   */
  name: string;
  profile: CertificateProfile;
  include: GroupFilter[];
  exclude?: GroupFilter[];
  /**
   * PKCS: the RSA key size the connector generates for this profile (a scenario profile's `keySize`);
   * absent, the template's minimum, at least 2048 (ca/template.ts connectorKeySizeFor). Carried into each
   * certificate request (handlers/delivery.ts `requestOf`).
   */
  keySize?: PkcsKeySize;
}

/** What assignment looks at on a device. */
export interface AssignmentTarget {
  platform: Platform;
  kind: EnrollmentKind;
  ownership: 'corporate' | 'personal';
  tags: readonly string[];
}

const NAME = /^[A-Za-z0-9._-]+$/;

/** True when `target` is in the group `g`. */
export function inGroup(g: GroupFilter, target: AssignmentTarget): boolean {
  if (g.platforms !== undefined && !g.platforms.includes(target.platform)) return false;
  if (g.kinds !== undefined && !g.kinds.includes(target.kind)) return false;
  if (g.ownership !== undefined && g.ownership !== target.ownership) return false;
  if (g.tags !== undefined && !g.tags.some((t) => target.tags.includes(t))) return false;
  return true;
}

/** True when `a` applies to `target`: right family, in an included group, in no excluded group. */
export function assignmentApplies(a: ProfileAssignment, target: AssignmentTarget): boolean {
  if (profileFamilyOf(target.platform, target.kind) !== a.profile.family) return false;
  if ((a.exclude ?? []).some((g) => inGroup(g, target))) return false;
  return a.include.some((g) => inGroup(g, target));
}

/** The assignments that apply to `target`, in the given order. */
export function applicableAssignments(
  assignments: readonly ProfileAssignment[],
  target: AssignmentTarget,
): ProfileAssignment[] {
  return assignments.filter((a) => assignmentApplies(a, target));
}

/**
 * The assignments the groups bring to `target` although their profile is of another family (a Windows
 * profile assigned to a group with an iPhone in it): one per profile name, and none for a name the device
 * receives in its own family. The service records them not applicable (applicability.ts); a device no
 * included group reaches, or an excluded one reaches, is not assigned at all.
 */
export function notApplicableAssignments(
  assignments: readonly ProfileAssignment[],
  target: AssignmentTarget,
): ProfileAssignment[] {
  const family = profileFamilyOf(target.platform, target.kind);
  const received = new Set(applicableAssignments(assignments, target).map((a) => a.name));
  const out = new Map<string, ProfileAssignment>();
  for (const a of assignments) {
    if (a.profile.family === family || received.has(a.name) || out.has(a.name)) continue;
    if ((a.exclude ?? []).some((g) => inGroup(g, target))) continue;
    if (a.include.some((g) => inGroup(g, target))) out.set(a.name, a);
  }
  return [...out.values()];
}

/** Checks assignment names (unique, usable as a topic segment); throws USAGE naming the bad one. */
export function checkAssignments(assignments: readonly ProfileAssignment[]): void {
  const seen = new Set<string>();
  for (const a of assignments) {
    if (!NAME.test(a.name)) {
      throw new CertfleetError(
        'USAGE',
        `The profile assignment name '${a.name}' cannot be a profile id: use letters, digits, . _ -.`,
      );
    }
    // One name may carry one profile per family (a scenario profile expands to each platform family it
    // targets); a device belongs to one family, so it still sees the name once.
    const id = `${a.name}\u0000${a.profile.family}`;
    if (seen.has(id)) {
      throw new CertfleetError(
        'USAGE',
        `Two profile assignments are named '${a.name}' for the ${a.profile.family} family: names must be unique per family.`,
      );
    }
    seen.add(id);
  }
}
