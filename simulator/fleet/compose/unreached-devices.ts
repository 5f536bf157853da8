/**
 * No vacuous pass (issue 10 point 2): every device of the fleet ends with a row per profile that targets
 * it, and a run in which a device never enrolled or never answered cannot pass unless an expectation names
 * that state.
 *
 * - A planned device the service never heard from gets, for each assignment that targets it (the same rule
 *   the service applies: simulator/service/mdm/assignment.ts), a `pending` row coded
 *   `DEVICE_NEVER_ENROLLED`.
 * - An enrolled device that was sent at least one payload and answered none — every row of it still
 *   `pending` at the end, waiting for its answer, a connector or a send — has its rows re-coded
 *   `DEVICE_NO_ANSWER` (the service's message kept after it).
 * - {@link unreachedGate}: when any such row is not selected by an expectation that names its code or
 *   `status: pending`, the run gets one more expectation, broken, whose offenders are exactly those rows —
 *   so the console, report.json, junit.xml and report.html fail the run and name them, and the exit is 1.
 */
import type { Device } from '../../../agent/device/device.ts';
import type { ErrorCode } from '../../../pki/errors.ts';
import { applicableAssignments } from '../../service/mdm/assignment.ts';
import type { DevicePlan, Expectation, Scenario } from '../../scenario/index.ts';
import type { DeviceProfileOutcome, ExpectationResult, RunEvent } from '../../run-model.ts';
import { assignmentsOf } from '../assignments.ts';

/** The codes of a device the run never reached (never enrolled, never answered). */
export const UNREACHED_CODES = [
  'DEVICE_NEVER_ENROLLED',
  'DEVICE_NO_ANSWER',
] as const satisfies readonly ErrorCode[];

/**
 * The codes of a row still waiting at the end: nothing sent yet, no certificate issued yet, or sent and not
 * answered. A device all of whose rows wait, one of them sent, answered nothing it was sent.
 */
const WAITING_CODES: ReadonlySet<string> = new Set<ErrorCode>([
  'DELIVERY_NOT_SENT',
  'CERTIFICATE_NOT_ISSUED',
  'DELIVERY_NO_ANSWER',
]);

/** The text of the expectation {@link unreachedGate} adds. */
export const UNREACHED_GATE_TEXT =
  'every device enrolled and answered (no expectation names the devices that did not)';

/** True when `row` records a device the run never reached. */
export function isUnreached(row: Pick<DeviceProfileOutcome, 'code'>): boolean {
  return (UNREACHED_CODES as readonly string[]).includes(row.code);
}

/** What {@link completeOutcomes} needs. */
export interface CompleteOutcomesInput {
  scenario: Scenario;
  devices: readonly { device: Device; plan: DevicePlan }[];
  /** The service's rows, profiles already named as the scenario names them. */
  outcomes: readonly DeviceProfileOutcome[];
  /** The service's events, named the same way (which payloads were sent). */
  events: readonly RunEvent[];
  /** The devices the service knows (enrolled, refused or retired), and the enrolled ones. */
  known: ReadonlySet<string>;
  enrolled: ReadonlySet<string>;
  /** The run's virtual end (epoch ms): the `at` of the rows added. */
  end: number;
}

/** The service's rows plus a `DEVICE_NEVER_ENROLLED` row per targeted profile of each device never heard from, with the rows of silent devices re-coded `DEVICE_NO_ANSWER`. */
export function completeOutcomes(i: CompleteOutcomesInput): DeviceProfileOutcome[] {
  const { assignments, nameOfId } = assignmentsOf(i.scenario);
  const at = new Date(i.end).toISOString();
  const byDevice = new Map<string, DeviceProfileOutcome[]>();
  for (const o of i.outcomes) {
    const list = byDevice.get(o.device) ?? [];
    list.push(o);
    byDevice.set(o.device, list);
  }
  const sent = new Set(
    i.events.filter((e) => e.type === 'delivered' && e.device !== undefined).map((e) => e.device),
  );
  const out: DeviceProfileOutcome[] = [];
  for (const { device, plan } of i.devices) {
    const rows = byDevice.get(device.id) ?? [];
    byDevice.delete(device.id);
    if (!i.known.has(device.id)) {
      const planned = plan.enrolAt >= i.end ? ' (its planned enrol time is after the end of the run)' : '';
      const target = {
        platform: device.platform,
        kind: device.enrollmentKind,
        ownership: device.ownership,
        tags: plan.tags,
      };
      const names = new Set(
        applicableAssignments(assignments, target).map((a) => nameOfId.get(a.name) ?? a.name),
      );
      const have = new Set(rows.map((r) => r.profile));
      for (const profile of [...names].sort()) {
        if (have.has(profile)) continue;
        out.push({
          device: device.id,
          platform: device.platform,
          kind: device.enrollmentKind,
          profile,
          status: 'pending',
          code: 'DEVICE_NEVER_ENROLLED',
          message: `The device never enrolled: no enrol request from it reached the service by the end of the run${planned}; planned enrol time ${new Date(plan.enrolAt).toISOString()}.`,
          renewals: 0,
          at,
        });
      }
      out.push(...rows);
      continue;
    }
    const silent =
      i.enrolled.has(device.id) &&
      sent.has(device.id) &&
      rows.length > 0 &&
      rows.every((r) => r.status === 'pending' && WAITING_CODES.has(r.code)) &&
      rows.some((r) => r.code === 'DELIVERY_NO_ANSWER');
    out.push(
      ...(silent
        ? rows.map((r) => ({
            ...r,
            code: 'DEVICE_NO_ANSWER' as const,
            message: `The device enrolled but answered none of its ${rows.length} profile${rows.length === 1 ? '' : 's'} by the end of the run. ${r.message}`,
          }))
        : rows),
    );
  }
  // rows of devices outside the plan (none in a run; kept, never dropped)
  for (const rows of byDevice.values()) out.push(...rows);
  return out;
}

/** True when expectation `e` names the state of `row`: its code, or `status: pending`. */
function names(e: Expectation, row: DeviceProfileOutcome): boolean {
  return e.code === row.code || e.status === 'pending';
}

/**
 * The expectation a run gets when a device it never reached is not covered by the scenario's own
 * expectations (undefined when every such row is): broken, its offenders the uncovered rows.
 * `judged[k]` is the verdict on `expect[k]` (its `rows` are the rows it selected).
 */
export function unreachedGate(
  expect: readonly Expectation[],
  judged: readonly ExpectationResult[],
  outcomes: readonly DeviceProfileOutcome[],
): ExpectationResult | undefined {
  const key = (r: { device: string; profile: string }): string => `${r.device}\u0000${r.profile}`;
  const rowsOf = new Map(outcomes.map((o) => [key(o), o]));
  const covered = new Set<string>();
  expect.forEach((e, k) => {
    for (const ref of judged[k]?.rows ?? []) {
      const row = rowsOf.get(key(ref));
      if (row !== undefined && isUnreached(row) && names(e, row)) covered.add(key(row));
    }
  });
  const uncovered = outcomes.filter((o) => isUnreached(o) && !covered.has(key(o)));
  if (uncovered.length === 0) return undefined;
  const devicesOf = (code: string): number =>
    new Set(uncovered.filter((o) => o.code === code).map((o) => o.device)).size;
  const never = devicesOf('DEVICE_NEVER_ENROLLED');
  const silent = devicesOf('DEVICE_NO_ANSWER');
  const first = uncovered[0] as DeviceProfileOutcome;
  return {
    text: UNREACHED_GATE_TEXT,
    held: false,
    detail:
      `${never} device${never === 1 ? '' : 's'} never enrolled and ${silent} never answered ` +
      `(${uncovered.length} device × profile row${uncovered.length === 1 ? '' : 's'} pending); the run cannot pass ` +
      `unless an expectation names DEVICE_NEVER_ENROLLED / DEVICE_NO_ANSWER or status: pending for them; ` +
      `e.g. device ${first.device} (${first.platform} ${first.kind}, profile "${first.profile}"): ${first.code}: ${first.message}`,
    checks: 'status installed, failed or skipped',
    selected: uncovered.length,
    passing: 0,
    rows: uncovered.map((o) => ({ device: o.device, profile: o.profile })),
    offenders: uncovered.map((o) => ({
      device: o.device,
      profile: o.profile,
      why: `${o.code}: ${o.code === 'DEVICE_NEVER_ENROLLED' ? 'never enrolled' : 'never answered'}`,
    })),
    expectedFailures: [],
  };
}
