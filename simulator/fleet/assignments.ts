/**
 * From a scenario's profiles to the service's assignments: one assignment per profile × platform family
 * (a scenario profile targets several families; a device belongs to one), with the scenario's
 * include/exclude selectors as the service's group filters.
 */
import type { Scenario, DeviceSelector } from '../scenario/index.ts';
import type { GroupFilter, ProfileAssignment } from '../service/mdm/index.ts';
import { PROFILE_FAMILY_INFO, type ProfileFamily } from '../../profiles/model/platform.ts';

function filtersOf(sel: DeviceSelector): GroupFilter[] {
  const base: GroupFilter = {
    ...(sel.platform ? { platforms: sel.platform } : {}),
    ...(sel.kind ? { kinds: sel.kind } : {}),
    ...(sel.tags ? { tags: sel.tags } : {}),
  };
  // GroupFilter takes one ownership; a selector listing several becomes one filter each.
  if (!sel.ownership || sel.ownership.length === 0) return [base];
  return sel.ownership.map((ownership) => ({ ...base, ownership }));
}

/** The group of every device of `family` (its platform and enrollment kinds). */
function familyGroup(family: ProfileFamily): GroupFilter {
  const info = PROFILE_FAMILY_INFO[family];
  return { platforms: [info.platform], kinds: [...info.enrollmentKinds] };
}

/**
 * The profile id used on the wire for a scenario profile name: topic segments take only letters, digits,
 * `.`, `_` and `-`, while QA names profiles freely ("IMEI device certificate" → `IMEI-device-certificate`).
 */
export function profileIdOf(name: string): string {
  return (
    name
      .trim()
      .replace(/[^A-Za-z0-9._-]+/g, '-')
      .replace(/^-+|-+$/g, '') || 'profile'
  );
}

/** The service's assignments for `scenario`, and the scenario name behind each profile id. */
export function assignmentsOf(scenario: Scenario): {
  assignments: ProfileAssignment[];
  nameOfId: Map<string, string>;
} {
  const out: ProfileAssignment[] = [];
  const nameOfId = new Map<string, string>();
  for (const p of scenario.profiles) {
    let id = profileIdOf(p.name);
    for (let n = 2; nameOfId.has(id) && nameOfId.get(id) !== p.name; n++) id = `${profileIdOf(p.name)}-${n}`;
    nameOfId.set(id, p.name);
    for (const family of p.families) {
      const profile = p.models[family];
      if (!profile) continue;
      out.push({
        name: id,
        profile,
        // Assigned to groups, the groups decide which devices the profile reaches (a device of another
        // family gets a not-applicable row); without an assignment, the devices of its families only.
        include: p.assignedToGroups === true ? p.assign.include.flatMap(filtersOf) : [familyGroup(family)],
        exclude: p.assign.exclude.flatMap(filtersOf),
        ...(p.keySize !== undefined && { keySize: p.keySize }),
      });
    }
  }
  return { assignments: out, nameOfId };
}
