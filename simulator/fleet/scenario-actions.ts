/**
 * Carries out a scenario's `actions:` on the run's clock (virtual in `certfleet run`, scaled in `certfleet
 * serve`): retiring devices and removing profile assignments through the MDM service, which revokes the
 * PKCS certificates, publishes a CRL and tells the devices to remove the profiles. The CRL goes to the run
 * folder as `crl.der` (DER, as a CA's CDP serves it), rewritten at each publication. A replay (replay.ts)
 * pins each retire action to the devices the original run retired at it ({@link pinRetirements}).
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { matchesSelector, type Scenario, type ScenarioAction } from '../scenario/index.ts';
import type { CaDirectory } from '../service/ca/ca-directory.ts';
import type { MdmService } from '../service/mdm/index.ts';

/** The file of the latest CRL in a run folder. */
export const CRL_FILE = 'crl.der';

/** Writes each CRL the service publishes to `dir`/crl.der (MdmServiceOptions.onCrl). */
export function crlWriter(dir: string): (crl: Buffer) => void {
  return (crl) => writeFileSync(join(dir, CRL_FILE), crl);
}

type RetireAction = Extract<ScenarioAction, { type: 'retire' }>;

/**
 * A retire action whose devices were decided before the run, by fleet index (a replay: {@link pinRetirements}).
 * It retires the devices of `pinned` that are enrolled and in its group then, and no other: not the first
 * `count` enrolled devices of this run's fleet, which in a replay holds only the replayed device.
 */
export type PinnedRetireAction = RetireAction & { pinned: readonly number[] };

/** A device the original run retired: its fleet index and the instant of its `retired` event (epoch ms). */
export interface OriginalRetirement {
  index: number;
  at: number;
}

/** The devices a retire action is pinned to (undefined: it chooses among the enrolled devices then). */
export function pinnedOf(action: ScenarioAction): readonly number[] | undefined {
  return action.type === 'retire' && 'pinned' in action ? (action as PinnedRetireAction).pinned : undefined;
}

/**
 * The scenario with every retire action pinned to the devices the original run retired at it, and only
 * those ({@link PinnedRetireAction}): the truth of who was retired is the original run's `retired` events,
 * not a selection made again in a smaller fleet (which cannot know which other devices were enrolled then).
 * A device retired at instant t was retired by the retire action(s) of the latest action instant at or
 * before t (several at one instant: each is pinned to it, and its group and the order of the actions decide
 * which one retires it, as in the original). A retire action no device was retired at (or one after the end
 * of an interrupted original) retires nobody. Every other action is kept as it is.
 */
export function pinRetirements(scenario: Scenario, retired: readonly OriginalRetirement[]): Scenario {
  const instants = [
    ...new Set(scenario.actions.filter((a) => a.type === 'retire').map((a) => scenario.start + a.atMs)),
  ].sort((a, b) => a - b);
  const byInstant = new Map<number, number[]>();
  for (const r of retired) {
    const instant = instants.filter((t) => t <= r.at).at(-1);
    if (instant === undefined) continue; // not retired by an action of this scenario: nothing to pin
    byInstant.set(instant, [...(byInstant.get(instant) ?? []), r.index]);
  }
  return {
    ...scenario,
    actions: scenario.actions.map((a): ScenarioAction => {
      if (a.type !== 'retire') return a;
      const pinned: PinnedRetireAction = {
        ...a,
        pinned: [...(byInstant.get(scenario.start + a.atMs) ?? [])].sort((x, y) => x - y),
      };
      return pinned;
    }),
  };
}

/** What {@link scheduleActions} needs. */
export interface ScheduleActionsOptions {
  scenario: Scenario;
  service: MdmService;
  clock: { schedule(at: number, fn: () => void | Promise<void>): unknown };
  /** Scenario profile name → profile id on the wire (assignmentsOf's nameOfId, inverted). */
  idOfProfile: (name: string) => string | undefined;
  /** Device id → its index in the fleet (retire picks devices in fleet order, or by pinned index). */
  indexOf: (deviceId: string) => number;
  /** The run's CAs (a `caRequests` action decides the requests they hold). */
  cas?: CaDirectory;
  /**
   * A resumed run (issue 10 point 3): the last instant the killed run closed (epoch ms). The actions at or
   * before it ran then, and their effects are in the saved state: they are not scheduled again.
   */
  after?: number;
}

/** Schedules every action of the scenario at `start + at` (those after `after`, when given). */
export function scheduleActions(o: ScheduleActionsOptions): void {
  const { scenario, service } = o;
  for (const action of scenario.actions) {
    if (o.after !== undefined && scenario.start + action.atMs <= o.after) continue;
    o.clock.schedule(scenario.start + action.atMs, async () => {
      if (action.type === 'remove-profile') {
        const id = o.idOfProfile(action.profile);
        if (id !== undefined) await service.removeAssignment(id);
        return;
      }
      if (action.type === 'ca-requests') {
        o.cas?.decidePending(action.decision);
        return;
      }
      if (action.type === 'renew-issuing-ca') {
        // every CA of the run renews its issuing certificate with a new key (issue 12 point 7)
        for (const e of o.cas?.entries ?? []) await e.ca.renewIssuing(new Date(scenario.start + action.atMs));
        return;
      }
      if (action.type === 'upload-issuing-ca') {
        // the run CA's issuing certificate as it is now goes into the profile, which is sent again (issue 12 point 7)
        const id = o.idOfProfile(action.profile);
        const ca = o.cas?.entries[0]?.ca;
        if (id !== undefined && ca !== undefined) await service.updateTrustedCertificate(id, ca.issuing.der);
        return;
      }
      // a replay retires the devices the original run retired at this action (pinRetirements)
      const pinned = pinnedOf(action);
      const chosen = service
        .devices()
        .filter(
          (d) =>
            d.state === 'enrolled' &&
            matchesSelector(d, action.where) &&
            (pinned === undefined || pinned.includes(o.indexOf(d.id))),
        )
        .sort((a, b) => o.indexOf(a.id) - o.indexOf(b.id))
        .slice(0, action.count ?? Number.MAX_SAFE_INTEGER);
      for (const d of chosen) await service.retireDevice(d.id);
    });
  }
}
