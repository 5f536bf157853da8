/**
 * `certfleet diff RUN_A RUN_B` (issue 13 point 7): what changed between two runs — typically the same
 * scenario and seed before and after a profile change. Read from each run folder's `report.json`:
 *
 * - per platform × profile, the counts (targeted, installed, failed, pending, skipped, renewed rows,
 *   renewals) in A and B;
 * - every device × profile whose outcome changed (status or code), with both codes and B's message — the
 *   same seed and fleet size give the same device ids, so rows match by device id and profile; rows in
 *   only one run are listed with the other side empty;
 * - every expectation that flipped (held in one, broken in the other; matched by its text), or that is in
 *   only one run.
 *
 * Each side's verdict is report.json's own: `passed` and `status` (`passed`, `failed`, or `interrupted`
 * with the signal that stopped it); a report.json older than those fields falls back to its expectations.
 *
 * A **regression** is something that passed in A and fails in B:
 * - the run as a whole: A passed and B did not (an expectation broke, or B was interrupted, so its
 *   outcomes are partial); an expectation broken in B that A did not have counts then too;
 * - a device × profile installed in A and failed in B;
 * - an expectation held in A and broken in B.
 * When A itself did not pass, B not passing is no regression by itself (A's verdict was already a
 * failure): only the last two rules apply, and the text still says why B did not pass.
 * `certfleet diff` exits 1 when there is a regression, 0 otherwise. Pure apart from {@link loadRunReport};
 * {@link renderDiff} is the text form.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { CertfleetError } from '../../pki/errors.ts';
import type { RunInterruption, RunStatus } from '../run-model.ts';
import { oneLine, painter, stripAnsi, type Paint } from './ansi.ts';
import {
  REPORT_FORMAT,
  type ReportJson,
  type ReportOutcome,
  type RunStatus as ReportStatus,
} from './report-json.ts';
import { byCodeUnits } from './summary.ts';

/** The version of the `--json` layout. */
export const DIFF_FORMAT = 'certfleet-diff/1';

/** One side of a diff: where the run is and what it was. */
export interface DiffRun {
  /** The run folder. */
  dir: string;
  scenario: string;
  seed: string;
  devices: number;
  /** report.json's `passed`: every expectation held and the run was not interrupted. */
  passed: boolean;
  /** report.json's `status`: `passed`, `failed` (an expectation broke) or `interrupted` (a signal stopped it). */
  status: ReportStatus;
  /** What stopped an interrupted run (signal, virtual instant), when report.json says. */
  interrupted?: RunInterruption;
  expectations: { total: number; held: number };
  /** The texts of the expectations broken in this run. */
  broken: string[];
  /** Why the run did not pass, in words (see {@link whyNotPassed}); absent when it passed. */
  why?: string;
  /** Wall-clock start, when the report has it. */
  wallStart?: string;
}

/** The counts of one platform × profile in one run. */
export interface DiffCounts {
  total: number;
  installed: number;
  failed: number;
  pending: number;
  skipped: number;
  /** Rows that renewed at least once (report.json's `renewed`). */
  renewed: number;
  /** Renewals, each once (report.json's `renewals`; the RENEWED column, as `run` prints it). */
  renewals: number;
}

/** One platform × profile in A and B (null: not in that run). */
export interface DiffCountsRow {
  platform: string;
  profile: string;
  a: DiffCounts | null;
  b: DiffCounts | null;
}

/** One side of a changed outcome. */
export interface DiffOutcomeSide {
  status: RunStatus;
  code: string;
  message: string;
  renewals: number;
}

/** A device × profile whose outcome differs between A and B (a side is null when the row is not there). */
export interface OutcomeChange {
  device: string;
  platform: string;
  kind: string;
  profile: string;
  a: DiffOutcomeSide | null;
  b: DiffOutcomeSide | null;
  /** Installed in A, failed in B. */
  regression: boolean;
}

/** An expectation whose result differs (null: not in that run). */
export interface ExpectationFlip {
  text: string;
  a: boolean | null;
  b: boolean | null;
  detailA: string;
  detailB: string;
  /** Held in A and broken in B; or broken in B, not in A, and A passed (so it is why B does not pass). */
  regression: boolean;
}

/** A passed and B did not: the regression of the run as a whole. */
export interface RunRegression {
  /** How B ended. */
  status: 'failed' | 'interrupted';
  /** Why B did not pass, in words (`B was interrupted by SIGINT …: its outcomes are partial`). */
  reason: string;
}

/** The whole diff (`certfleet diff --json`). */
export interface RunDiff {
  format: typeof DIFF_FORMAT;
  a: DiffRun;
  b: DiffRun;
  /** Same seed and fleet size: device ids are comparable. */
  comparable: boolean;
  counts: DiffCountsRow[];
  /** Device × profile rows in both runs. */
  rowsInBoth: number;
  changed: OutcomeChange[];
  expectations: ExpectationFlip[];
  /** Rows installed in A and failed in B; expectations flagged `regression`. */
  regressions: { outcomes: number; expectations: number };
  /** A passed and B did not (null otherwise). */
  runRegression: RunRegression | null;
  /** Something that passed in A fails in B (the exit code is 1 exactly then). */
  regressed: boolean;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * Reads a run's `report.json`: `path` is a run folder (the `--out` of `certfleet run`) or the report file.
 * @throws CertfleetError IO (an input that cannot be loaded: `details.input`, exit 3) when there is no such
 * folder, it holds no report.json, or the file is not a certfleet report of this version.
 */
export function loadRunReport(path: string): { dir: string; report: ReportJson } {
  const full = resolve(path);
  const details = { file: full, input: true };
  if (!existsSync(full))
    throw new CertfleetError(
      'IO',
      `No run folder ${full}: give the folder of a finished run (the --out DIR of certfleet run, or runs/<timestamp>).`,
      { details },
    );
  const isDir = statSync(full).isDirectory();
  const file = isDir ? join(full, 'report.json') : full;
  const dir = isDir ? full : resolve(full, '..');
  if (!existsSync(file))
    throw new CertfleetError(
      'IO',
      `${full} is not a finished run: it has no report.json (a run writes it when it ends). Give the --out folder of a certfleet run.`,
      { details },
    );
  let doc: unknown;
  try {
    doc = JSON.parse(readFileSync(file, 'utf8')) as unknown;
  } catch (cause) {
    throw new CertfleetError('IO', `${file} is not JSON (${(cause as Error).message}).`, { cause, details });
  }
  if (
    !isRecord(doc) ||
    doc.format !== REPORT_FORMAT ||
    !Array.isArray(doc.outcomes) ||
    !Array.isArray(doc.expectations)
  )
    throw new CertfleetError(
      'IO',
      `${file} is not a ${REPORT_FORMAT} report (format ${isRecord(doc) ? JSON.stringify(doc.format) : 'none'}); re-run the scenario with this certfleet.`,
      { details },
    );
  return { dir, report: doc as unknown as ReportJson };
}

const STATUSES: readonly string[] = ['passed', 'failed', 'interrupted'];

/**
 * One side's verdict from report.json's `status` and `passed`; a report without them (written before they
 * existed) falls back to its expectations (and to `interrupted`, when it has that).
 */
function side(dir: string, r: ReportJson): DiffRun {
  const doc = r as Partial<Pick<ReportJson, 'passed' | 'status' | 'interrupted'>> & ReportJson;
  const held = r.expectations.filter((e) => e.held === true).length;
  const allHeld = held === r.expectations.length;
  const status = STATUSES.includes(String(doc.status)) ? doc.status : undefined;
  const stopped = isRecord(doc.interrupted) ? doc.interrupted : undefined;
  const interrupted = status === 'interrupted' || (status === undefined && stopped !== undefined);
  const passed =
    !interrupted &&
    (typeof doc.passed === 'boolean' ? doc.passed : status !== undefined ? status === 'passed' : allHeld);
  const run: DiffRun = {
    dir,
    scenario: String(r.scenario),
    seed: String(r.seed),
    devices: Number(r.devices),
    passed,
    status: interrupted ? 'interrupted' : passed ? 'passed' : 'failed',
    expectations: { total: r.expectations.length, held },
    broken: r.expectations.filter((e) => e.held !== true).map((e) => String(e.text)),
  };
  if (interrupted && stopped)
    run.interrupted = { signal: String(stopped.signal ?? ''), at: String(stopped.at ?? '') };
  if (r.run?.wallStart) run.wallStart = r.run.wallStart;
  return run;
}

/** `by SIGINT at 2026-03-01T10:00:00.000Z` (what report.json says of it; empty when nothing). */
function stoppedBy(r: DiffRun): string {
  const signal = r.interrupted?.signal;
  const at = r.interrupted?.at;
  return [signal && `by ${signal}`, at && `at ${at} (virtual time)`].filter(Boolean).join(' ');
}

function quoteList(texts: readonly string[], max = 3): string {
  const shown = texts.slice(0, max);
  const more = texts.length - shown.length;
  return shown.join(', ') + (more > 0 ? ` and ${more} more` : '');
}

/**
 * Why a run did not pass, in words (empty when it passed): `B was interrupted by SIGINT at …: its outcomes
 * are partial…`, or `B did not pass: broken expectation "X" (not in A)`. `otherTexts`: the expectation
 * texts of the other run, to mark the broken ones it does not have.
 */
export function whyNotPassed(label: 'A' | 'B', r: DiffRun, otherTexts?: ReadonlySet<string>): string {
  if (r.status === 'passed') return '';
  const other = label === 'A' ? 'B' : 'A';
  const named = r.broken.map(
    (t) => `"${t}"` + (otherTexts && !otherTexts.has(t) ? ` (not in ${other})` : ''),
  );
  const broken = `broken expectation${named.length === 1 ? '' : 's'} ${quoteList(named)}`;
  if (r.status === 'interrupted') {
    const by = stoppedBy(r);
    return (
      `${label} was interrupted${by ? ` ${by}` : ''}: its outcomes are partial (as they stood when it stopped)` +
      (named.length > 0 ? `; ${broken}` : '')
    );
  }
  return named.length > 0 ? `${label} did not pass: ${broken}` : `${label} did not pass`;
}

function countsOf(
  outcomes: readonly ReportOutcome[],
): Map<string, DiffCounts & { platform: string; profile: string }> {
  const m = new Map<string, DiffCounts & { platform: string; profile: string }>();
  for (const o of outcomes) {
    const k = `${o.platform}\u0000${o.profile}`;
    let c = m.get(k);
    if (!c) {
      c = {
        platform: o.platform,
        profile: o.profile,
        total: 0,
        installed: 0,
        failed: 0,
        pending: 0,
        skipped: 0,
        renewed: 0,
        renewals: 0,
      };
      m.set(k, c);
    }
    c.total += 1;
    if (o.status !== 'not-applicable' && o.status in c) c[o.status] += 1;
    if (o.renewals > 0) c.renewed += 1;
    c.renewals += o.renewals;
  }
  return m;
}

const PLATFORM_ORDER = ['windows', 'macos', 'ios', 'android'];
function platformRank(p: string): number {
  const i = PLATFORM_ORDER.indexOf(p);
  return i < 0 ? PLATFORM_ORDER.length : i;
}

function sideOf(o: ReportOutcome): DiffOutcomeSide {
  return { status: o.status, code: String(o.code), message: String(o.message), renewals: Number(o.renewals) };
}

/** Compares run A with run B (see the file comment). */
export function diffReports(
  a: { dir: string; report: ReportJson },
  b: { dir: string; report: ReportJson },
): RunDiff {
  const A = a.report;
  const B = b.report;
  const runA = side(a.dir, A);
  const runB = side(b.dir, B);

  const ca = countsOf(A.outcomes);
  const cb = countsOf(B.outcomes);
  const strip = (c: DiffCounts & { platform: string; profile: string }): DiffCounts => ({
    total: c.total,
    installed: c.installed,
    failed: c.failed,
    pending: c.pending,
    skipped: c.skipped,
    renewed: c.renewed,
    renewals: c.renewals,
  });
  const counts: DiffCountsRow[] = [...new Set([...ca.keys(), ...cb.keys()])]
    .map((k) => {
      const x = ca.get(k);
      const y = cb.get(k);
      const any = (x ?? y)!;
      return { platform: any.platform, profile: any.profile, a: x ? strip(x) : null, b: y ? strip(y) : null };
    })
    .sort(
      (x, y) =>
        platformRank(x.platform) - platformRank(y.platform) ||
        byCodeUnits(x.platform, y.platform) ||
        byCodeUnits(x.profile, y.profile),
    );

  const key = (o: ReportOutcome): string => `${o.device}\u0000${o.profile}`;
  const rowsA = new Map(A.outcomes.map((o) => [key(o), o]));
  const rowsB = new Map(B.outcomes.map((o) => [key(o), o]));
  const changed: OutcomeChange[] = [];
  let rowsInBoth = 0;
  for (const k of new Set([...rowsA.keys(), ...rowsB.keys()])) {
    const x = rowsA.get(k);
    const y = rowsB.get(k);
    if (x && y) {
      rowsInBoth += 1;
      if (x.status === y.status && x.code === y.code) continue;
    }
    const any = (y ?? x)!;
    changed.push({
      device: any.device,
      platform: any.platform,
      kind: any.kind,
      profile: any.profile,
      a: x ? sideOf(x) : null,
      b: y ? sideOf(y) : null,
      regression: x?.status === 'installed' && y?.status === 'failed',
    });
  }
  changed.sort(
    (x, y) =>
      byCodeUnits(transition(x), transition(y)) ||
      platformRank(x.platform) - platformRank(y.platform) ||
      byCodeUnits(x.device, y.device) ||
      byCodeUnits(x.profile, y.profile),
  );

  // expectations match by text; the n-th of several with one text matches the n-th in the other run
  const expectations: ExpectationFlip[] = [];
  const byText = (list: ReportJson['expectations']): Map<string, { held: boolean; detail: string }[]> => {
    const m = new Map<string, { held: boolean; detail: string }[]>();
    for (const e of list) {
      const l = m.get(e.text) ?? [];
      l.push({ held: e.held === true, detail: String(e.detail ?? '') });
      m.set(e.text, l);
    }
    return m;
  };
  const ea = byText(A.expectations);
  const eb = byText(B.expectations);
  const order = [...A.expectations.map((e) => e.text), ...B.expectations.map((e) => e.text)];
  for (const text of new Set(order)) {
    const la = ea.get(text) ?? [];
    const lb = eb.get(text) ?? [];
    for (let i = 0; i < Math.max(la.length, lb.length); i++) {
      const x = la[i];
      const y = lb[i];
      if (x && y && x.held === y.held) continue;
      expectations.push({
        text,
        a: x ? x.held : null,
        b: y ? y.held : null,
        detailA: x?.detail ?? '',
        detailB: y?.detail ?? '',
        // broken in B and not in A: a regression when A passed (it is then why B does not pass)
        regression: y?.held === false && (x?.held === true || (x === undefined && runA.passed)),
      });
    }
  }

  const regressions = {
    outcomes: changed.filter((c) => c.regression).length,
    expectations: expectations.filter((e) => e.regression).length,
  };
  const whyA = whyNotPassed('A', runA, new Set(B.expectations.map((e) => String(e.text))));
  const whyB = whyNotPassed('B', runB, new Set(A.expectations.map((e) => String(e.text))));
  if (whyA) runA.why = whyA;
  if (whyB) runB.why = whyB;
  const runRegression: RunRegression | null =
    runA.passed && !runB.passed
      ? { status: runB.status === 'interrupted' ? 'interrupted' : 'failed', reason: whyB }
      : null;
  return {
    format: DIFF_FORMAT,
    a: runA,
    b: runB,
    comparable: runA.seed === runB.seed && runA.devices === runB.devices,
    counts,
    rowsInBoth,
    changed,
    expectations,
    regressions,
    runRegression,
    regressed: runRegression !== null || regressions.outcomes + regressions.expectations > 0,
  };
}

/** Loads both runs and compares them. */
export function diffRuns(a: string, b: string): RunDiff {
  return diffReports(loadRunReport(a), loadRunReport(b));
}

function sideText(s: DiffOutcomeSide | null, label: 'A' | 'B'): string {
  return s ? `${s.status} ${s.code}` : `(not in ${label})`;
}

/** `installed OK → failed VARIABLE_MISSING` (`(not in A)` for a row only B has): how a changed row is grouped. */
export function transition(c: OutcomeChange): string {
  return `${sideText(c.a, 'A')} → ${sideText(c.b, 'B')}`;
}

/** Options of {@link renderDiff}. */
export interface RenderDiffOptions {
  color?: boolean;
  /** Devices listed per kind of change (default 20; 0 lists all). */
  limit?: number;
}

function table(rows: string[][], rightFrom: number): string[] {
  const widths: number[] = [];
  for (const r of rows) r.forEach((c, i) => (widths[i] = Math.max(widths[i] ?? 0, stripAnsi(c).length)));
  return rows.map((r) =>
    r
      .map((c, i) => {
        const pad = ' '.repeat((widths[i] ?? 0) - stripAnsi(c).length);
        return i >= rightFrom ? pad + c : i === r.length - 1 ? c : c + pad;
      })
      .join('  ')
      .trimEnd(),
  );
}

function runLine(label: string, r: DiffRun, paint: Paint): string {
  const by = r.status === 'interrupted' ? stoppedBy(r) : '';
  const verdict =
    r.status === 'interrupted'
      ? paint('red', 'INTERRUPTED') + (by ? ` ${oneLine(by)}, outcomes partial` : ' (outcomes partial)')
      : r.passed
        ? paint('green', 'PASSED')
        : paint('red', 'FAILED');
  return (
    `  ${label}: ${oneLine(r.dir)}\n` +
    `     scenario ${oneLine(r.scenario)} · seed ${oneLine(r.seed)} · ${r.devices} devices · ` +
    `${verdict} (${r.expectations.held}/${r.expectations.total} expectations held)` +
    (r.wallStart ? ` · ran ${oneLine(r.wallStart)}` : '')
  );
}

/** The diff as text (lines end with `\n`). */
export function renderDiff(d: RunDiff, options: RenderDiffOptions = {}): string {
  const paint = painter(options.color ?? false);
  const limit = options.limit ?? 20;
  const out: string[] = [paint('bold', 'certfleet diff'), runLine('A', d.a, paint), runLine('B', d.b, paint)];
  if (!d.comparable)
    out.push(
      paint(
        'yellow',
        `  Note: the runs differ in seed or fleet size (${d.a.seed}/${d.a.devices} vs ${d.b.seed}/${d.b.devices}), so their devices differ: compare runs of one seed and --devices to see per-device changes.`,
      ),
    );

  out.push('', paint('bold', 'Per platform × profile (A → B)'));
  const cell = (x: number | undefined, y: number | undefined): string => {
    if (x === undefined) return `– → ${y ?? '–'}`;
    if (y === undefined) return `${x} → –`;
    if (x === y) return String(x);
    const delta = y - x;
    return `${x} → ${y} (${delta > 0 ? '+' : ''}${delta})`;
  };
  // RENEWED counts renewals, as run's own table does (a certificate renewed twice counts 2)
  const cols: (keyof DiffCounts)[] = ['total', 'installed', 'failed', 'pending', 'skipped', 'renewals'];
  const rows: string[][] = [
    ['PLATFORM', 'PROFILE', 'TARGETED', 'INSTALLED', 'FAILED', 'PENDING', 'SKIPPED', 'RENEWED'].map((h) =>
      paint('bold', h),
    ),
  ];
  for (const r of d.counts) {
    const cells = cols.map((k) => {
      const text = cell(r.a?.[k], r.b?.[k]);
      const worse =
        (k === 'failed' && (r.b?.[k] ?? 0) > (r.a?.[k] ?? 0)) ||
        (k === 'installed' && (r.b?.[k] ?? 0) < (r.a?.[k] ?? 0));
      return text.includes('→') ? paint(worse ? 'red' : 'cyan', text) : text;
    });
    rows.push([oneLine(r.platform), oneLine(r.profile), ...cells]);
  }
  out.push(...table(rows, 2).map((l) => `  ${l}`));

  out.push('');
  const noneInBoth =
    'no device × profile row is in both runs: the runs have different devices (different seeds or fleets)';
  if (d.changed.length === 0) {
    out.push(
      paint(
        'bold',
        d.rowsInBoth === 0
          ? 'Outcomes: none (neither run has a device × profile row)'
          : `Outcomes: none changed (${d.rowsInBoth} device × profile rows in both runs)`,
      ),
    );
  } else {
    out.push(
      paint(
        'bold',
        `Outcomes that changed: ${d.changed.length} device × profile rows ` +
          (d.rowsInBoth === 0 ? `(${noneInBoth})` : `(of ${d.rowsInBoth} in both runs)`),
      ),
    );
    const groups = new Map<string, OutcomeChange[]>();
    for (const c of d.changed) {
      const t = transition(c);
      const l = groups.get(t) ?? [];
      l.push(c);
      groups.set(t, l);
    }
    const ordered = [...groups.entries()].sort(
      ([t1, l1], [t2, l2]) =>
        Number(l2[0]?.regression === true) - Number(l1[0]?.regression === true) ||
        l2.length - l1.length ||
        byCodeUnits(t1, t2),
    );
    for (const [t, list] of ordered) {
      const where = new Map<string, number>();
      for (const c of list)
        where.set(`${c.platform}/${c.kind}`, (where.get(`${c.platform}/${c.kind}`) ?? 0) + 1);
      const whereText = [...where.entries()]
        .sort(([x], [y]) => byCodeUnits(x, y))
        .map(([w, n]) => `${w} ${n}`)
        .join(', ');
      const regression = list[0]?.regression === true;
      out.push(
        `  ${paint(regression ? 'red' : 'cyan', oneLine(t))} × ${list.length} (${oneLine(whereText)})${regression ? paint('red', ' — regression') : ''}`,
      );
      // the message that explains the change (B's when B did not install, else A's), once per group
      const why = (c: OutcomeChange): string =>
        c.b && c.b.status !== 'installed'
          ? `B: ${c.b.message}`
          : c.a && c.a.status !== 'installed'
            ? `A: ${c.a.message}`
            : '';
      const first = list[0] ? why(list[0]) : '';
      if (first) out.push(paint('dim', `    ${oneLine(first)}`));
      const shown = limit > 0 ? list.slice(0, limit) : list;
      for (const c of shown) {
        const msg = why(c);
        out.push(
          `    ${oneLine(c.device)}  ${c.platform}/${oneLine(c.kind)}  ${oneLine(c.profile)}` +
            (msg && msg !== first ? paint('dim', ` — ${oneLine(msg)}`) : ''),
        );
      }
      if (shown.length < list.length)
        out.push(
          paint(
            'dim',
            `    … ${list.length - shown.length} more (--limit 0 lists all, --json has every row)`,
          ),
        );
    }
  }

  out.push('');
  if (d.expectations.length === 0) out.push(paint('bold', 'Expectations: none flipped'));
  else {
    out.push(paint('bold', `Expectations that flipped: ${d.expectations.length}`));
    const mark = (h: boolean | null): string =>
      h === null ? paint('dim', 'absent') : h ? paint('green', 'held') : paint('red', 'broken');
    for (const e of d.expectations) {
      out.push(
        `  ${mark(e.a)} → ${mark(e.b)}  ${oneLine(e.text)}${e.regression ? paint('red', ' — regression') : ''}`,
      );
      if (e.b === false && e.detailB) out.push(paint('dim', `    B: ${oneLine(e.detailB)}`));
      else if (e.a === false && e.detailA) out.push(paint('dim', `    A: ${oneLine(e.detailA)}`));
    }
  }

  out.push('');
  const heldBroken = d.expectations.filter((e) => e.regression && e.a === true).length;
  const newBroken = d.expectations.filter((e) => e.regression && e.a === null).length;
  if (d.runRegression)
    out.push(paint('red', `Regression: A passed and B did not. ${oneLine(d.runRegression.reason)}.`));
  if (d.regressions.outcomes + heldBroken > 0)
    out.push(
      paint(
        'red',
        `Regressions: ${d.regressions.outcomes} device × profile installed in A fail in B; ${heldBroken} expectation(s) held in A break in B.` +
          (newBroken > 0 ? ` ${newBroken} expectation(s) A did not have break in B.` : ''),
      ),
    );
  if (!d.regressed) {
    out.push(paint('green', 'No regression: nothing that passed in A fails in B.'));
    // B not passing is no regression when A did not pass either; still say so
    if (!d.b.passed)
      out.push(
        paint(
          'yellow',
          `  ${oneLine(d.b.why ?? 'B did not pass')} — A did not pass either${d.a.status === 'interrupted' ? ' (it was interrupted)' : ''}, so that alone is no regression.`,
        ),
      );
  }
  return out.join('\n') + '\n';
}
