/**
 * regression issue 5: the scenario → assignment step (assignmentsOf). scenarios/README.md says a tag list
 * in a group means "any of", as expectation selectors have it; the service's inGroup required every tag.
 * Here a scenario's groups, turned into the service's assignments, select the same devices as the
 * scenario's own selectors, per platform.
 */
import { describe, expect, it } from 'vitest';
import { PLATFORMS, ENROLLMENT_KINDS, type Platform } from '../../../profiles/model/platform.ts';
import { assignmentsOf, profileIdOf } from '../../../simulator/fleet/assignments.ts';
import { isAssigned, loadScenario } from '../../../simulator/scenario/index.ts';
import { applicableAssignments } from '../../../simulator/service/mdm/index.ts';

const SCENARIO = `
fleet: { devices: 1 }
profiles:
  - name: Pilot root
    type: trusted
    platforms: all
    assign:
      include: [{ tags: [pilot, beta] }, { platform: windows, ownership: [corporate, personal] }]
      exclude: [{ tags: [kiosk, lab] }]
  - name: Everyone root
    type: trusted
    platforms: all
`;

const TAGS: string[][] = [[], ['pilot'], ['beta'], ['pilot', 'beta'], ['lab'], ['pilot', 'kiosk'], ['other']];

describe.each(PLATFORMS.map((p) => [p]))('regression issue 5: assignmentsOf on %s', (platform: Platform) => {
  const scenario = loadScenario({ text: SCENARIO, file: 'a.yaml' });
  const { assignments, nameOfId } = assignmentsOf(scenario);

  it('names each profile by its wire id, one assignment per family', () => {
    expect([...nameOfId]).toEqual([
      ['Pilot-root', 'Pilot root'],
      ['Everyone-root', 'Everyone root'],
    ]);
    expect(profileIdOf('Pilot root')).toBe('Pilot-root');
    const families = new Set(assignments.filter((a) => a.name === 'Pilot-root').map((a) => a.profile.family));
    expect(families.size).toBe(assignments.length / 2);
  });

  it.each(TAGS.map((t) => [t]))('tags %j: the service assigns what the scenario selectors assign', (tags) => {
    for (const kind of ENROLLMENT_KINDS[platform]) {
      for (const ownership of ['corporate', 'personal'] as const) {
        const target = { platform, kind, ownership, tags };
        const byService = applicableAssignments(assignments, target).map((a) => nameOfId.get(a.name));
        const byScenario = scenario.profiles.filter((p) => isAssigned(p, target)).map((p) => p.name);
        expect(byService).toEqual(byScenario);
        const pilot = platform === 'windows' || tags.some((t) => t === 'pilot' || t === 'beta');
        const excluded = tags.some((t) => t === 'kiosk' || t === 'lab');
        expect(byService.includes('Pilot root')).toBe(pilot && !excluded);
        expect(byService.includes('Everyone root')).toBe(true);
      }
    }
  });
});
