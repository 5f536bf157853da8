/**
 * Judging a run against the scenario's expectations. Each expectation selects device × profile rows of
 * the {@link RunResult} (`where` + `profile`), checks each row (`status`, `code`, `messageContains`,
 * `renewals`), and holds when the share or count of passing rows meets its `share` / `count` (default: all).
 * An expectation that selects no rows does NOT hold. The detail quotes the figures and, when it breaks,
 * one device that breaks it.
 */
import type { Device, Ownership } from '../../agent/device/device.ts';
import type { DevicePlan } from './plan-fleet.ts';
import {
  trustOf,
  type DeviceProfileOutcome,
  type DeviceSummary,
  type ExpectationResult,
  type RowRef,
  type RunResult,
} from '../run-model.ts';
import { passes } from './checker.ts';
import type { Expectation, NumberCheck, RowFilter } from './types.ts';
import { versionMatches } from './versions.ts';

/**
 * Device facts the run model's {@link DeviceSummary} may not carry but `where` can ask for. Pass them
 * (e.g. from the fleet plans and generated devices) through {@link EvaluateOptions.facts}; fields present
 * on the summary itself (`ownership`, `enrolledOsVersion`, `tags`) are used too.
 */
export interface ExtraDeviceFacts {
  ownership?: Ownership;
  enrolledOsVersion?: string;
  tags?: readonly string[];
}

/**
 * The extra facts `where` may ask for, from the generated devices and their plans (tags come from the
 * plan, ownership and the enrolment OS version from the device).
 */
export function extraFactsOf(
  devices: readonly Pick<Device, 'id' | 'index' | 'ownership' | 'enrolledOsVersion'>[],
  plans: readonly Pick<DevicePlan, 'index' | 'tags'>[] = [],
): Map<string, ExtraDeviceFacts> {
  const tags = new Map(plans.map((p) => [p.index, p.tags]));
  return new Map(
    devices.map((d) => [
      d.id,
      { ownership: d.ownership, enrolledOsVersion: d.enrolledOsVersion, tags: tags.get(d.index) ?? [] },
    ]),
  );
}

/** Options of {@link evaluateExpectations}. */
export interface EvaluateOptions {
  /** Extra facts by device id. */
  facts?: ReadonlyMap<string, ExtraDeviceFacts>;
}

const SUCCESS_CODES: readonly string[] = ['OK', 'UNCHANGED'];

/** True when the expectation says its rows fail: it checks `status: failed` or an error code. */
export function expectsFailure(e: Pick<Expectation, 'status' | 'code'>): boolean {
  return e.status === 'failed' || (e.code !== undefined && !SUCCESS_CODES.includes(e.code));
}

type Facts = Partial<DeviceSummary> & ExtraDeviceFacts;

function factsOf(
  row: DeviceProfileOutcome,
  summaries: ReadonlyMap<string, DeviceSummary>,
  options: EvaluateOptions,
): Facts {
  const summary = summaries.get(row.device) as (DeviceSummary & ExtraDeviceFacts) | undefined;
  return { platform: row.platform, kind: row.kind, ...summary, ...options.facts?.get(row.device) };
}

function rowSelected(filter: RowFilter, f: Facts): boolean {
  const platform = f.platform;
  if (filter.platform && (platform === undefined || !filter.platform.includes(platform))) return false;
  if (filter.kind && (f.kind === undefined || !filter.kind.includes(f.kind))) return false;
  if (filter.ownership && (f.ownership === undefined || !filter.ownership.includes(f.ownership)))
    return false;
  if (filter.tags && !filter.tags.some((t) => f.tags?.includes(t))) return false;
  if (
    filter.osVersion &&
    (platform === undefined ||
      f.osVersion === undefined ||
      !versionMatches(platform, f.osVersion, filter.osVersion))
  )
    return false;
  if (filter.enrolledOsVersion) {
    const v = f.enrolledOsVersion ?? (platform === 'android' ? undefined : f.osVersion);
    if (platform === undefined || v === undefined || !versionMatches(platform, v, filter.enrolledOsVersion))
      return false;
  }
  return true;
}

/** Why a row fails the expectation's checks (undefined: it passes). */
function rowFailure(e: Expectation, row: DeviceProfileOutcome): string | undefined {
  const why: string[] = [];
  if (e.status !== undefined && row.status !== e.status) why.push(`status ${row.status}`);
  if (e.code !== undefined && row.code !== e.code) why.push(`code ${row.code}`);
  if (e.messageContains !== undefined && !row.message.includes(e.messageContains))
    why.push('message without it');
  if (e.renewals !== undefined && !passes(row.renewals, e.renewals))
    why.push(`${row.renewals} renewal${row.renewals === 1 ? '' : 's'}`);
  if (e.trusted !== undefined) {
    const trust = trustOf(row);
    if (trust === undefined) why.push(`not installed (status ${row.status})`);
    else if (trust !== e.trusted)
      why.push(trust ? 'installed and trusted' : `installed but not trusted (${row.code})`);
  }
  return why.length === 0 ? undefined : why.join(', ');
}

/** What each row must show, in words. */
export function describeChecks(e: Expectation): string {
  const parts: string[] = [];
  if (e.status !== undefined) parts.push(`status ${e.status}`);
  if (e.code !== undefined) parts.push(`code ${e.code}`);
  if (e.messageContains !== undefined) parts.push(`a message containing "${e.messageContains}"`);
  if (e.renewals !== undefined) parts.push(`renewals ${checkText(e.renewals)}`);
  if (e.trusted !== undefined) parts.push(e.trusted ? 'installed and trusted' : 'installed but not trusted');
  return parts.join(', ');
}

/** The rows an expectation selects, in words (for the zero-selection message). */
export function describeWhere(e: Expectation): string {
  const w = e.where;
  const parts = [
    e.profile !== undefined ? `profile "${e.profile}"` : 'every profile',
    w.platform && `platform ${w.platform.join('/')}`,
    w.kind && `kind ${w.kind.join('/')}`,
    w.ownership && `ownership ${w.ownership.join('/')}`,
    w.osVersion && `osVersion ${w.osVersion.text}`,
    w.enrolledOsVersion && `enrolledOsVersion ${w.enrolledOsVersion.text}`,
    w.tags && `tags ${w.tags.join('/')}`,
  ];
  return parts.filter((p) => typeof p === 'string').join(', ');
}

function checkText(c: NumberCheck): string {
  if (c.text === 'all' || c.text === 'none') return c.text;
  return c.op === '=' ? String(c.value) : `${c.op}${c.value}`;
}

function percent(n: number): string {
  return `${(Math.round(n * 1000) / 10).toString()}%`;
}

/** Judges one expectation. */
export function evaluateExpectation(
  e: Expectation,
  result: RunResult,
  options: EvaluateOptions = {},
): ExpectationResult {
  const summaries = new Map(result.devicesList.map((d) => [d.id, d]));
  return judge(e, result, summaries, options);
}

function judge(
  e: Expectation,
  result: RunResult,
  summaries: ReadonlyMap<string, DeviceSummary>,
  options: EvaluateOptions,
): ExpectationResult {
  return judgeRows(e, result, summaries, options);
}

const ref = (row: DeviceProfileOutcome): RowRef => ({ device: row.device, profile: row.profile });

function judgeRows(
  e: Expectation,
  result: RunResult,
  summaries: ReadonlyMap<string, DeviceSummary>,
  options: EvaluateOptions,
): ExpectationResult {
  const about = {
    line: e.line,
    checks: describeChecks(e),
    ...(e.trusted !== undefined && { trusted: e.trusted }),
  };
  const rows = result.outcomes.filter(
    (o) =>
      (e.profile === undefined || o.profile === e.profile) &&
      rowSelected(e.where, factsOf(o, summaries, options)),
  );
  if (rows.length === 0) {
    // rows leave the outcomes when their profile is removed or their device retired (scenario actions)
    const gone = result.events.filter((ev) => ev.type === 'retired' || ev.type === 'removed').length;
    return {
      text: e.text,
      held: false,
      detail:
        `selected no devices — check the where clause and the profile name (${describeWhere(e)}); the run has ${result.outcomes.length} device × profile rows` +
        (gone > 0
          ? `, after the scenario's actions removed profiles or retired devices (${gone} removed or retired event${gone === 1 ? '' : 's'}): their rows leave the report`
          : ''),
      ...about,
      selected: 0,
      passing: 0,
      rows: [],
      offenders: [],
      expectedFailures: [],
    };
  }
  let passing = 0;
  let example: { row: DeviceProfileOutcome; why: string } | undefined;
  let passExample: DeviceProfileOutcome | undefined;
  const failingRows: (RowRef & { why: string })[] = [];
  const passingRows: DeviceProfileOutcome[] = [];
  const expectedFailures: RowRef[] = [];
  const failureExpected = expectsFailure(e);
  for (const row of rows) {
    const why = rowFailure(e, row);
    if (why === undefined) {
      passing++;
      passExample ??= row;
      passingRows.push(row);
      if (failureExpected && row.status === 'failed') expectedFailures.push(ref(row));
    } else {
      example ??= { row, why };
      failingRows.push({ ...ref(row), why });
    }
  }
  const n = rows.length;
  const figure = e.quantity.type === 'share' ? passing / n : passing;
  const held = passes(figure, e.quantity.check);
  const needed =
    e.quantity.type === 'share'
      ? e.quantity.check.text === 'all'
        ? 'all'
        : e.quantity.check.text === 'none'
          ? 'none'
          : `a share ${checkText(e.quantity.check)}`
      : `a count ${checkText(e.quantity.check)}`;
  const figures = `${passing} of ${n} selected device × profile rows (${percent(passing / n)}) have ${describeChecks(e)}; needed ${needed}`;
  const counts = { ...about, selected: n, passing, rows: rows.map(ref), expectedFailures };
  if (held) return { text: e.text, held, detail: figures, ...counts };
  // Broken: too few rows pass (show one that fails the checks) or too many do (show one that passes).
  const check = e.quantity.check;
  const tooMany = check.op === '<' || check.op === '<=' || (check.op === '=' && figure > check.value);
  const offenders = tooMany
    ? passingRows.map((row) => ({
        ...ref(row),
        why: `has ${describeChecks(e)}, and the expectation allows ${needed}`,
      }))
    : failingRows;
  const shown =
    !tooMany && example !== undefined
      ? `e.g. device ${example.row.device} (${example.row.platform} ${example.row.kind}, profile "${example.row.profile}"): ${example.why} — ${example.row.code}: ${example.row.message}`
      : tooMany && passExample !== undefined
        ? `e.g. device ${passExample.device} (${passExample.platform} ${passExample.kind}, profile "${passExample.profile}") has ${describeChecks(e)} — ${passExample.code}: ${passExample.message}`
        : '';
  return {
    text: e.text,
    held,
    detail: shown === '' ? figures : `${figures}; ${shown}`,
    ...counts,
    offenders,
  };
}

/**
 * Judges every expectation over a run.
 * @example
 * const results = evaluateExpectations(scenario.expect, runResult);
 * const exitCode = results.every((r) => r.held) ? 0 : 1;
 */
export function evaluateExpectations(
  expectations: readonly Expectation[],
  result: RunResult,
  options: EvaluateOptions = {},
): ExpectationResult[] {
  const summaries = new Map(result.devicesList.map((d) => [d.id, d]));
  return expectations.map((e) => judge(e, result, summaries, options));
}
