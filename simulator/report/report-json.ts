/**
 * `report.json`: the {@link RunResult} plus its {@link RunSummary}, built field by field from the known
 * fields of the run model only — whatever else an object carries (a password set by mistake, a private
 * key) never reaches a report. Outcomes are sorted by device then profile, so the same seed gives the same
 * file. Issue 5 ("Reports") fixes the minimum shape: `{"seed", "devices": N, "summary", "outcomes":
 * [{"device", "platform", "kind", "profile", "status", "code", "message", "renewals"}], "expectations":
 * [{"text", "held"}]}`.
 */
import {
  caStatusOf,
  serviceStatusOf,
  type CaStatus,
  type ServiceStatus,
} from '../service/mdm/service-status.ts';
import type { NativeStatus } from '../../protocol/wire/outcome.ts';
import {
  trustOf,
  type DeviceProfileOutcome,
  type DeviceSummary,
  type ExpectationResult,
  type InputWarning,
  type KeyOrigins,
  type RunInterruption,
  type RunEvent,
  type RunMetrics,
  type RunResult,
} from '../run-model.ts';
import { platformKindBreakdown, type PlatformKindRow } from './breakdown.ts';
import type { RunMeta } from './run-meta.ts';
import { byCodeUnits, summarize, type RunSummary } from './summary.ts';
import { buildTimeReport, type TimeInputs, type TimeReport } from './time-series.ts';

/** The version of the report.json layout; bumped when a field changes meaning or goes away. */
export const REPORT_FORMAT = 'certfleet-report/1';

/** How a run ended, in report.json's `status`. */
export type RunStatus = 'passed' | 'failed' | 'interrupted';

/** The status of a run: interrupted before anything else, then passed or failed. */
export function runStatusOf(result: RunResult, summary: RunSummary): RunStatus {
  if (result.interrupted !== undefined) return 'interrupted';
  return summary.passed ? 'passed' : 'failed';
}

/** One device × profile in report.json. */
export type ReportOutcome = Omit<DeviceProfileOutcome, 'native'> & {
  native?: NativeStatus;
  /** The CA's or connector's answer (HRESULT, symbol, text, disposition), when it refused (issue 12 point 3). */
  ca?: CaStatus;
  /** The status the MDM service reports for this device and profile, with its confidence (issue 12 point 3). */
  service?: ServiceStatus;
  /** Installed outcomes only: false when installed but not trusted (run-model trustOf, issue 12 point 4). */
  trusted?: boolean;
};

/** The content of report.json. */
export interface ReportJson {
  format: typeof REPORT_FORMAT;
  scenario: string;
  seed: string;
  devices: number;
  startedAt: string;
  /** Every expectation held and the run was not interrupted (the run's exit code is 0 only then). */
  passed: boolean;
  /** `passed`, `failed` (an expectation broke), or `interrupted` (a signal stopped the run: issue 10). */
  status: RunStatus;
  /** What stopped an interrupted run, and at which virtual instant; absent otherwise. */
  interrupted?: RunInterruption;
  summary: RunSummary;
  outcomes: ReportOutcome[];
  expectations: ExpectationResult[];
  metrics: RunMetrics;
  devicesList: DeviceSummary[];
  events: RunEvent[];
  /** Who ran what where (issue 13 point 6); absent when the report was built outside a run folder. */
  run?: RunMeta;
  /** Per platform × enrollment kind, with percentages (issue 13 point 6). */
  byPlatformKind: PlatformKindRow[];
  /** Installs, failures, renewals, deferrals and expiries over virtual time; validity left at the end. */
  time: TimeReport;
  /** Settings of the scenario the run read past, each with its place (empty when none). */
  warnings: InputWarning[];
}

/** What a report adds to the run itself: its metadata, and what run.db holds beyond the result. */
export interface ReportExtras {
  run?: RunMeta;
  time?: TimeInputs;
}

function str(v: unknown): string {
  return typeof v === 'string' ? v : v === undefined || v === null ? '' : String(v);
}
function num(v: unknown): number {
  return typeof v === 'number' && Number.isFinite(v) ? v : 0;
}
function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * The native status of an outcome reduced to the fields {@link NativeStatus} defines (anything else is
 * dropped); undefined when it is not one.
 */
export function pickNative(native: unknown): NativeStatus | undefined {
  if (!isRecord(native)) return undefined;
  switch (native.platform) {
    case 'windows': {
      const out: NativeStatus = { platform: 'windows', syncml: num(native.syncml) };
      if (typeof native.cspStatus === 'string') out.cspStatus = native.cspStatus;
      if (typeof native.intune === 'string') out.intune = native.intune;
      return out;
    }
    case 'macos':
    case 'ios': {
      const status = native.status;
      if (
        status !== 'Acknowledged' &&
        status !== 'Error' &&
        status !== 'CommandFormatError' &&
        status !== 'NotNow'
      )
        return undefined;
      const chain = Array.isArray(native.errorChain) ? native.errorChain.filter(isRecord) : [];
      return {
        platform: native.platform,
        status,
        errorChain: chain.map((e) => ({
          ErrorCode: num(e.ErrorCode),
          ErrorDomain: str(e.ErrorDomain),
          LocalizedDescription: str(e.LocalizedDescription),
        })),
      };
    }
    case 'android': {
      if (isRecord(native.deviceAdmin)) {
        const da = native.deviceAdmin;
        const consoleStatus = ['Succeeded', 'Error', 'Pending', 'Not applicable'].includes(str(da.console))
          ? (str(da.console) as 'Succeeded' | 'Error' | 'Pending' | 'Not applicable')
          : 'Error';
        return { platform: 'android', deviceAdmin: { syncml: num(da.syncml), console: consoleStatus } };
      }
      if (!isRecord(native.nonCompliance)) return { platform: 'android' };
      const nc = native.nonCompliance;
      const detail: NonNullable<Extract<NativeStatus, { platform: 'android' }>['nonCompliance']> = {
        settingName: str(nc.settingName),
        nonComplianceReason: str(nc.nonComplianceReason),
      };
      if (typeof nc.specificNonComplianceReason === 'string')
        detail.specificNonComplianceReason = nc.specificNonComplianceReason;
      if (typeof nc.fieldPath === 'string') detail.fieldPath = nc.fieldPath;
      return { platform: 'android', nonCompliance: detail };
    }
    default:
      return undefined;
  }
}

/** A native status in one line, as a person reads it (`SyncML 500 · CSP status 0x80090016`). */
export function nativeText(native: unknown): string {
  const n = pickNative(native);
  if (!n) return '';
  switch (n.platform) {
    case 'windows':
      return [
        `SyncML ${n.syncml}`,
        n.cspStatus && `CSP status ${n.cspStatus}`,
        n.intune && `Intune ${n.intune}`,
      ]
        .filter(Boolean)
        .join(' · ');
    case 'macos':
    case 'ios':
      return [
        n.status,
        ...n.errorChain.map((e) => `${e.ErrorDomain} ${e.ErrorCode}: ${e.LocalizedDescription}`),
      ].join(' · ');
    case 'android':
      if (n.deviceAdmin) return `SyncML ${n.deviceAdmin.syncml} · Intune ${n.deviceAdmin.console}`;
      return n.nonCompliance
        ? [
            `${n.nonCompliance.settingName}: ${n.nonCompliance.nonComplianceReason}`,
            n.nonCompliance.specificNonComplianceReason,
            n.nonCompliance.fieldPath && `at ${n.nonCompliance.fieldPath}`,
          ]
            .filter(Boolean)
            .join(' · ')
        : 'compliant';
  }
}

/** One outcome, known fields only. */
export function pickOutcome(o: DeviceProfileOutcome): ReportOutcome {
  const out: ReportOutcome = {
    device: str(o.device),
    platform: o.platform,
    kind: o.kind,
    profile: str(o.profile),
    status: o.status,
    code: o.code,
    message: str(o.message),
    renewals: num(o.renewals),
    at: str(o.at),
  };
  const native = pickNative(o.native);
  if (native) out.native = native;
  const ca = caStatusOf(o.native);
  if (ca) out.ca = ca;
  const service = serviceStatusOf({ status: o.status, code: o.code, ...(native && { native }) });
  if (service) out.service = service;
  const trusted = trustOf(o);
  if (trusted !== undefined) out.trusted = trusted;
  return out;
}

/** Outcomes sorted by device, then profile (the order of every report). */
export function sortedOutcomes(outcomes: readonly DeviceProfileOutcome[]): ReportOutcome[] {
  return outcomes
    .map(pickOutcome)
    .sort((a, b) => byCodeUnits(a.device, b.device) || byCodeUnits(a.profile, b.profile));
}

/** report.json's `metrics.keys` (kinds sorted, so the same run gives the same bytes). */
function keyOriginsJson(k: KeyOrigins): KeyOrigins {
  const counts = (c: Record<string, number>): Record<string, number> =>
    Object.fromEntries(
      Object.entries(c)
        .map(([kind, v]): [string, number] => [kind, num(v)])
        .sort(([a], [b]) => byCodeUnits(a, b)),
    );
  return {
    pool: str(k.pool),
    fromPool: counts(k.fromPool),
    fresh: counts(k.fresh),
    reuse: k.reuse === true,
    shared: counts(k.shared),
  };
}

/** Builds the content of report.json from a run. */
export function buildReportJson(
  result: RunResult,
  summary: RunSummary = summarize(result),
  extras: ReportExtras = {},
): ReportJson {
  const m = result.metrics;
  const report: ReportJson = {
    format: REPORT_FORMAT,
    scenario: str(result.scenario),
    seed: str(result.seed),
    devices: num(result.devices),
    startedAt: str(result.startedAt),
    passed: summary.passed,
    status: runStatusOf(result, summary),
    ...(result.interrupted !== undefined && {
      interrupted: { signal: str(result.interrupted.signal), at: str(result.interrupted.at) },
    }),
    summary,
    outcomes: sortedOutcomes(result.outcomes),
    expectations: result.expectations.map((e) => ({
      text: str(e.text),
      held: e.held === true,
      detail: str(e.detail),
    })),
    metrics: {
      wallSeconds: num(m.wallSeconds),
      virtualStart: str(m.virtualStart),
      virtualEnd: str(m.virtualEnd),
      devicesPerSecond: num(m.devicesPerSecond),
      certificatesIssued: num(m.certificatesIssued),
      connectorLoad: Object.fromEntries(
        Object.entries(m.connectorLoad)
          .map(([k, v]): [string, number] => [k, num(v)])
          .sort(([a], [b]) => byCodeUnits(a, b)),
      ),
      messages: num(m.messages),
      ...(m.keys ? { keys: keyOriginsJson(m.keys) } : {}),
    },
    devicesList: result.devicesList.map((d) => ({
      id: str(d.id),
      index: num(d.index),
      platform: d.platform,
      kind: d.kind,
      osVersion: str(d.osVersion),
      model: str(d.model),
      enrolled: d.enrolled === true,
    })),
    events: result.events.map((e) => {
      const ev: RunEvent = { at: str(e.at), type: str(e.type), detail: str(e.detail) };
      if (e.device !== undefined) ev.device = str(e.device);
      if (e.profile !== undefined) ev.profile = str(e.profile);
      return ev;
    }),
    byPlatformKind: platformKindBreakdown(result),
    time: buildTimeReport(result, extras.time),
    warnings: (result.warnings ?? []).map((w) => ({
      file: str(w.file),
      line: num(w.line),
      column: num(w.column),
      path: str(w.path),
      message: str(w.message),
    })),
  };
  if (extras.run) report.run = extras.run;
  return report;
}
