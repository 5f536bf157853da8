/**
 * `junit.xml` for CI dashboards, in the de-facto JUnit XML layout (Ant's JUnitReportAntTask and the
 * Jenkins/Surefire schema read by GitLab, GitHub test reporters, Azure DevOps…; the subset certfleet
 * writes is pinned by test/fixtures/junit.xsd). The file agrees with the exit code: `failures` is 0
 * exactly when every expectation held (issue 13 point 1).
 *
 * - `certfleet.expectations`: one test case per expectation of the scenario, failed when it broke (with
 *   its detail).
 * - one suite per platform × profile (`certfleet.<platform> · <profile>`), one test case per device ×
 *   profile row (classname `platform.kind`, name `<profile> on <device>`). A row fails only when it is not
 *   what the scenario expects: it breaks an expectation that broke. Its failure is typed `EXPECTATION`, as
 *   the broken expectation's own case, and its message says what the row is, which expectation it breaks
 *   and why: `installed, but the scenario expects "<text>" (line N): 2 renewals`. A failure the scenario
 *   expects (an expectation says these rows fail, with this code) passes, noted as an expected failure; a
 *   row no expectation judges and that did not install (failed, pending, skipped) is `<skipped>` with why;
 *   so is a row installed but not trusted that no `trusted:` expectation judges (issue 12 point 4).
 * - times are real: each suite's `timestamp` is the wall-clock start of the command, `time` attributes
 *   are wall-clock seconds with three decimals (the run; each row from its device's first event to the
 *   row's last; each expectation the span of the rows it selected; each suite the span of its cases); the
 *   virtual start and end are properties. A case whose span was not measured carries no `time`.
 * - a run that could not be loaded or did not finish gets one failing test case saying why
 *   ({@link renderFailureJunit}).
 * Everything from the run is escaped, and characters XML 1.0 cannot carry at all are replaced by U+FFFD.
 */
import { PLATFORMS } from '../../profiles/model/platform.ts';
import { trustOf, type ExpectationResult, type RowRef, type RunResult } from '../run-model.ts';
import { nativeText, sortedOutcomes, type ReportOutcome } from './report-json.ts';
import { byCodeUnits } from './summary.ts';
import type { WallClock, WallSpan } from './wall-times.ts';

// Chars outside the XML 1.0 Char production (§2.2): C0 controls but tab/LF/CR, U+FFFE/U+FFFF, lone surrogates.
const NOT_XML_CHAR =
  // eslint-disable-next-line no-control-regex
  /[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

/** Escapes text for XML character data. */
export function xmlText(text: string): string {
  return text
    .replace(NOT_XML_CHAR, '\ufffd')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;');
}

/** Escapes text for a double-quoted XML attribute (tabs and newlines survive attribute normalisation). */
export function xmlAttr(text: string): string {
  return xmlText(text)
    .replace(/"/g, '&quot;')
    .replace(/\t/g, '&#9;')
    .replace(/\n/g, '&#10;')
    .replace(/\r/g, '&#13;');
}

function attrs(a: Record<string, string | number | undefined>): string {
  return Object.entries(a)
    .filter((e): e is [string, string | number] => e[1] !== undefined)
    .map(([k, v]) => ` ${k}="${xmlAttr(String(v))}"`)
    .join('');
}

/**
 * Seconds with three decimals, `63.188`, `0.753`, every `time` alike: milliseconds, as JUnit reporters
 * write them (pytest's src/_pytest/junitxml.py formats `f"{duration:.3f}"`,
 * https://github.com/pytest-dev/pytest) and as test/fixtures/junit.xsd pins. Under half a millisecond: `0.000`.
 */
function seconds(s: number): string {
  return (Math.max(0, s) || 0).toFixed(3);
}

/**
 * The `type` of every failure that an expectation broke: the broken expectation's own test case and each
 * row that breaks it (README "Reports for CI"). The other failing cases are typed `INTERRUPTED` (an
 * interrupted run) or by the error code of a run that could not be loaded or did not finish.
 */
export const EXPECTATION_FAILURE = 'EXPECTATION';

/** The codes of an outcome that did what it was asked (simulator/scenario/expectations.ts treats them so). */
const SUCCESS_CODES: ReadonlySet<string> = new Set(['OK', 'UNCHANGED']);

/**
 * What a row is, for a failure message: `installed`, `installed but not trusted (INSTALL_UNTRUSTED_CHAIN)`,
 * `failed with VARIABLE_MISSING`, `pending (DEVICE_NEVER_ENROLLED)`, `skipped (INSTALL_NOT_SIMULATED)`.
 */
function rowState(o: ReportOutcome): string {
  switch (o.status) {
    case 'installed':
      return o.trusted === false ? `installed but not trusted (${o.code})` : 'installed';
    case 'failed':
      return `failed with ${o.code}`;
    case 'not-applicable':
      return 'not applicable';
    default:
      return SUCCESS_CODES.has(o.code) ? o.status : `${o.status} (${o.code})`;
  }
}

/** An ISO-8601 instant without milliseconds (`2026-05-01T12:00:00Z`), as JUnit consumers parse it. */
export function junitTimestamp(ms: number): string {
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace(/\.000Z$/, 'Z');
}

/** The first line of a text, for a `message` attribute. */
function firstLine(text: string): string {
  return text.split('\n')[0] ?? '';
}

/**
 * A failure's one-line `message` attribute, the summary a CI dashboard shows: the first line, and when it
 * ends with a colon before a list (`bad.yaml has 4 problems; fix them and run again:`, one problem per line
 * below), the first item and how many more, so the line names a problem; the element's text keeps them all.
 */
function headline(text: string): string {
  const [first = '', ...rest] = text.split('\n');
  const items = rest.map((l) => l.trim()).filter((l) => l !== '');
  if (!first.trimEnd().endsWith(':') || items.length === 0) return first;
  return `${first.trimEnd()} ${items[0]}${items.length > 1 ? ` (and ${items.length - 1} more)` : ''}`;
}

/** How junit.xml judges one device × profile row (see the module comment). */
export type RowVerdict =
  | { kind: 'passed' }
  | { kind: 'expected-failure'; expectation: string; line?: number }
  | { kind: 'unexpected'; broken: { text: string; line?: number; checks?: string; why: string }[] }
  | { kind: 'not-judged'; why: string };

const rowKey = (device: string, profile: string): string => `${device}\u0000${profile}`;

/**
 * The verdict of every row that is not a plain pass: rows that break a broken expectation, expected
 * failures, and rows no expectation judges that did not install. Rows absent from the map passed.
 */
export function rowVerdicts(result: RunResult): Map<string, RowVerdict> {
  const out = new Map<string, RowVerdict>();
  const expected = new Map<string, ExpectationResult>();
  // Rows an expectation judges by trust (`trusted: true|false`): an untrusted install there is judged.
  const trustJudged = new Set<string>();
  for (const e of result.expectations) {
    if (e.trusted !== undefined) for (const r of e.rows ?? []) trustJudged.add(rowKey(r.device, r.profile));
  }
  for (const e of result.expectations) {
    for (const r of e.expectedFailures ?? []) {
      const k = rowKey(r.device, r.profile);
      if (!expected.has(k)) expected.set(k, e);
    }
    if (e.held) continue;
    for (const r of e.offenders ?? []) {
      const k = rowKey(r.device, r.profile);
      const v = out.get(k);
      const item = {
        text: e.text,
        ...(e.line !== undefined && { line: e.line }),
        ...(e.checks !== undefined && { checks: e.checks }),
        why: r.why,
      };
      if (v?.kind === 'unexpected') v.broken.push(item);
      else out.set(k, { kind: 'unexpected', broken: [item] });
    }
  }
  for (const o of result.outcomes) {
    const k = rowKey(o.device, o.profile);
    if (out.has(k)) continue;
    const e = expected.get(k);
    if (o.status === 'failed' && e !== undefined) {
      out.set(k, {
        kind: 'expected-failure',
        expectation: e.text,
        ...(e.line !== undefined && { line: e.line }),
      });
    } else if (o.status === 'failed') {
      out.set(k, {
        kind: 'not-judged',
        why: `failed with ${o.code}, and no expectation of the scenario says it should: add one (expect: {status: failed, code: ${o.code}}) to judge it`,
      });
    } else if (o.status === 'pending') {
      out.set(k, { kind: 'not-judged', why: 'pending: the device had not answered by the end of the run' });
    } else if (o.status === 'skipped') {
      out.set(k, { kind: 'not-judged', why: `skipped: ${o.code}: ${o.message}` });
    } else if (o.status === 'not-applicable') {
      out.set(k, { kind: 'not-judged', why: `not applicable: ${o.message}` });
    } else if (trustOf(o) === false && !trustJudged.has(k)) {
      out.set(k, {
        kind: 'not-judged',
        why: `installed but not trusted (${o.code}): ${o.message} — no expectation of the scenario judges its trust: add one (expect: {trusted: false}) to judge it`,
      });
    }
  }
  return out;
}

/** Options of {@link renderJunit}. */
export interface JunitOptions {
  /**
   * The command's wall clock: its start (every suite's `timestamp`) and each row's span (its `time`).
   * writeReports always gives it; a bare render (a test) falls back to the run's virtual start, and rows
   * without a measured span carry no `time`.
   */
  wall?: WallClock;
  /** The machine's name (`hostname`, as Ant's schema requires); default `localhost`. */
  hostname?: string;
}

interface Suite {
  name: string;
  cases: string[];
  tests: number;
  failures: number;
  skipped: number;
  time: number;
  properties: Record<string, string | number>;
}

function suiteXml(s: Suite, timestamp: string, hostname: string): string {
  const props = Object.entries(s.properties)
    .map(([name, value]) => `      <property${attrs({ name, value })}/>`)
    .join('\n');
  return (
    `  <testsuite${attrs({ name: s.name, tests: s.tests, failures: s.failures, errors: 0, skipped: s.skipped, time: seconds(s.time), timestamp, hostname })}>\n` +
    `    <properties>\n${props}\n    </properties>` +
    (s.cases.length > 0 ? `\n${s.cases.join('\n')}` : '') +
    '\n  </testsuite>'
  );
}

function rowCase(
  o: ReportOutcome,
  verdict: RowVerdict | undefined,
  time: number | undefined,
): { xml: string; failed: boolean; skipped: boolean } {
  const head = `    <testcase${attrs({ classname: `${o.platform}.${o.kind}`, name: `${o.profile} on ${o.device}`, time: time === undefined ? undefined : seconds(time) })}`;
  const native = nativeText(o.native);
  const got = `${o.status} ${o.code}${o.message ? `: ${o.message}` : ''}${native ? `\n${native}` : ''}`;
  const body: string[] = [];
  const notes = [`virtual time of the last change: ${o.at}`];
  if (o.renewals > 0) notes.push(`renewed ${o.renewals} time${o.renewals === 1 ? '' : 's'}`);
  let failed = false;
  let skipped = false;
  switch (verdict?.kind) {
    case 'unexpected': {
      failed = true;
      const expected = verdict.broken
        .map(
          (b) =>
            `expected ${b.checks ?? 'what the expectation checks'} (expectation "${b.text}"${b.line !== undefined ? `, line ${b.line}` : ''}): ${b.why}`,
        )
        .join('\n');
      // what the row is, then each expectation it breaks and why (a row's code is no failure type: an
      // installed row's is OK)
      const message = `${rowState(o)}, but the scenario expects ${verdict.broken
        .map((b) => `"${firstLine(b.text)}"${b.line !== undefined ? ` (line ${b.line})` : ''}: ${b.why}`)
        .join('; and ')}`;
      body.push(
        `      <failure${attrs({ message, type: EXPECTATION_FAILURE })}>${xmlText(`${expected}\ngot: ${got}`)}</failure>`,
      );
      break;
    }
    case 'expected-failure':
      notes.unshift(
        `expected failure (expectation "${verdict.expectation}"${verdict.line !== undefined ? `, line ${verdict.line}` : ''}): ${got}`,
      );
      break;
    case 'not-judged':
      skipped = true;
      body.push(`      <skipped${attrs({ message: firstLine(verdict.why) })}/>`);
      notes.unshift(got);
      break;
    default:
      notes.unshift(got);
  }
  body.push(`      <system-out>${xmlText(notes.join('\n'))}</system-out>`);
  return { xml: `${head}>\n${body.join('\n')}\n    </testcase>`, failed, skipped };
}

/** The wall-clock span of a set of rows (undefined when none was measured). */
function spanOfRows(rows: readonly RowRef[], wall: WallClock | undefined): WallSpan | undefined {
  let start = Number.POSITIVE_INFINITY;
  let end = Number.NEGATIVE_INFINITY;
  for (const r of rows) {
    const span = wall?.spanOf(r.device, r.profile);
    if (!span) continue;
    start = Math.min(start, span.start);
    end = Math.max(end, span.end);
  }
  return end >= start ? { start, end } : undefined;
}

function expectationCase(e: ExpectationResult, span: WallSpan | undefined): string {
  const name = e.text;
  const time = span === undefined ? undefined : seconds((span.end - span.start) / 1000);
  const head = `    <testcase${attrs({ classname: 'certfleet.expectations', name, time })}>`;
  const where = e.line !== undefined ? `scenario line ${e.line}\n` : '';
  const body = e.held
    ? `      <system-out>${xmlText(`${where}${e.detail}`)}</system-out>`
    : `      <failure${attrs({ message: `expectation broken: ${firstLine(e.detail)}`, type: EXPECTATION_FAILURE })}>${xmlText(`${where}${e.detail}`)}</failure>`;
  return `${head}\n${body}\n    </testcase>`;
}

function runProperties(result: RunResult): Record<string, string | number> {
  return {
    scenario: result.scenario,
    seed: result.seed,
    devices: result.devices,
    virtualStart: result.metrics.virtualStart,
    virtualEnd: result.metrics.virtualEnd,
    ...(result.interrupted !== undefined && { status: 'interrupted' }),
  };
}

/** Renders junit.xml for a run (see the module comment). */
export function renderJunit(result: RunResult, options: JunitOptions = {}): string {
  const wallSeconds = result.metrics.wallSeconds;
  const startedAt = options.wall?.startedAt ?? Date.parse(result.startedAt);
  const timestamp = junitTimestamp(startedAt);
  const hostname = options.hostname ?? 'localhost';
  const verdicts = rowVerdicts(result);
  const suites: Suite[] = [];

  const ex = result.expectations;
  const exSpans = ex.map((e) => spanOfRows(e.rows ?? [], options.wall));
  const exAll = spanOfRows(
    ex.flatMap((e) => e.rows ?? []),
    options.wall,
  );
  suites.push({
    name: 'certfleet.expectations',
    cases: ex.map((e, i) => expectationCase(e, exSpans[i])),
    tests: ex.length,
    failures: ex.filter((e) => !e.held).length,
    skipped: 0,
    time: exAll ? (exAll.end - exAll.start) / 1000 : wallSeconds,
    properties: runProperties(result),
  });

  const outcomes = sortedOutcomes(result.outcomes);
  const cells = new Map<string, ReportOutcome[]>();
  for (const o of outcomes) {
    const k = `${o.platform}\u0000${o.profile}`;
    const list = cells.get(k);
    if (list) list.push(o);
    else cells.set(k, [o]);
  }
  const order = [...cells.entries()].sort(
    ([, [a]], [, [b]]) =>
      PLATFORMS.indexOf(a!.platform) - PLATFORMS.indexOf(b!.platform) ||
      byCodeUnits(a!.platform, b!.platform) ||
      byCodeUnits(a!.profile, b!.profile),
  );
  for (const [, rows] of order) {
    const first = rows[0]!;
    const suite: Suite = {
      name: `certfleet.${first.platform} · ${first.profile}`,
      cases: [],
      tests: rows.length,
      failures: 0,
      skipped: 0,
      time: 0,
      properties: { ...runProperties(result), platform: first.platform, profile: first.profile },
    };
    let spanStart = Number.POSITIVE_INFINITY;
    let spanEnd = Number.NEGATIVE_INFINITY;
    for (const o of rows) {
      const span = options.wall?.spanOf(o.device, o.profile);
      if (span) {
        spanStart = Math.min(spanStart, span.start);
        spanEnd = Math.max(spanEnd, span.end);
      }
      const c = rowCase(o, verdicts.get(rowKey(o.device, o.profile)), span && (span.end - span.start) / 1000);
      suite.cases.push(c.xml);
      if (c.failed) suite.failures += 1;
      if (c.skipped) suite.skipped += 1;
    }
    // measured: from the suite's first device event to its last row change; otherwise the whole run
    suite.time = spanEnd >= spanStart ? (spanEnd - spanStart) / 1000 : wallSeconds;
    suites.push(suite);
  }

  if (result.interrupted !== undefined) {
    // an interrupted run: one failing test case says so (issue 10 point 7), so no dashboard counts it passed
    const { signal, at } = result.interrupted;
    const message = `The run was interrupted by ${signal} at virtual ${at}, before its end.`;
    suites.unshift({
      name: 'certfleet.run',
      cases: [
        `    <testcase${attrs({ classname: 'certfleet.run', name: `run ${result.scenario} to its end`, time: seconds(wallSeconds) })}>\n` +
          `      <failure${attrs({ message, type: 'INTERRUPTED' })}>${xmlText(`${message} Outcomes are as they stood then.`)}</failure>\n` +
          '    </testcase>',
      ],
      tests: 1,
      failures: 1,
      skipped: 0,
      time: wallSeconds,
      properties: runProperties(result),
    });
  }
  const total = (k: 'tests' | 'failures' | 'skipped'): number => suites.reduce((n, s) => n + s[k], 0);
  return (
    '<?xml version="1.0" encoding="UTF-8"?>\n' +
    `<testsuites${attrs({ name: `certfleet ${result.scenario}`, tests: total('tests'), failures: total('failures'), errors: 0, skipped: total('skipped'), time: seconds(wallSeconds), timestamp })}>\n` +
    `${suites.map((s) => suiteXml(s, timestamp, hostname)).join('\n')}\n</testsuites>\n`
  );
}

/** What {@link renderFailureJunit} reports: a run that could not be loaded or did not finish. */
export interface RunFailure {
  /** The scenario as given (a file name). */
  scenario: string;
  /** The error code (`SCENARIO_INVALID`, `IO`, `TRANSPORT_UNREACHABLE`…). */
  code: string;
  message: string;
  /** `load`: the input could not be loaded (exit 3); `run`: the run failed (exit 1). */
  stage: 'load' | 'run';
  /** Wall clock: when the command started and how long it took, epoch ms and seconds. */
  startedAt: number;
  seconds: number;
}

/** junit.xml with one failing test case saying why the run could not be loaded or did not finish. */
export function renderFailureJunit(f: RunFailure, options: Pick<JunitOptions, 'hostname'> = {}): string {
  const timestamp = junitTimestamp(f.startedAt);
  const what = f.stage === 'load' ? 'load the scenario' : 'run the scenario';
  const testcase =
    `    <testcase${attrs({ classname: 'certfleet.scenario', name: `${what} ${f.scenario}`, time: seconds(f.seconds) })}>\n` +
    `      <failure${attrs({ message: `${f.code}: ${headline(f.message)}`, type: f.code })}>${xmlText(`error ${f.code}: ${f.message}`)}</failure>\n` +
    '    </testcase>';
  const suite: Suite = {
    name: 'certfleet.scenario',
    cases: [testcase],
    tests: 1,
    failures: 1,
    skipped: 0,
    time: f.seconds,
    properties: { scenario: f.scenario, stage: f.stage },
  };
  return (
    '<?xml version="1.0" encoding="UTF-8"?>\n' +
    `<testsuites${attrs({ name: `certfleet ${f.scenario}`, tests: 1, failures: 1, errors: 0, skipped: 0, time: seconds(f.seconds), timestamp })}>\n` +
    `${suiteXml(suite, timestamp, options.hostname ?? 'localhost')}\n</testsuites>\n`
  );
}
