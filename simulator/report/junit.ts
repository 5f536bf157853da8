/**
 * `junit.xml` for CI dashboards: the de-facto JUnit XML layout (Ant's JUnitReportAntTask and the
 * Jenkins/Surefire schema read by GitLab, GitHub test reporters, Azure DevOps…): `<testsuites>` holding
 * one `<testsuite>` per platform with one `<testcase>` per device × profile (classname `platform.kind`,
 * name `<profile> on <device>`), and one `expectations` suite with a test case per expectation.
 * - failed → `<failure message="CODE" type="CODE">message + native status</failure>`
 * - pending → `<skipped message="pending"/>`; skipped (not simulated, not applicable) → `<skipped message="CODE: …"/>`
 * - a broken expectation → `<failure message="expectation broken" type="EXPECTATION">detail</failure>`
 * Everything from the run is escaped, and characters XML 1.0 cannot carry at all are replaced by U+FFFD.
 */
import { PLATFORMS } from '../../profiles/model/platform.ts';
import type { RunResult } from '../run-model.ts';
import { nativeText, sortedOutcomes, type ReportOutcome } from './report-json.ts';
import { byCodeUnits } from './summary.ts';

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

function attrs(a: Record<string, string | number>): string {
  return Object.entries(a)
    .map(([k, v]) => ` ${k}="${xmlAttr(String(v))}"`)
    .join('');
}

function testcase(o: ReportOutcome): string {
  const head = `    <testcase${attrs({ classname: `${o.platform}.${o.kind}`, name: `${o.profile} on ${o.device}`, time: 0 })}`;
  const out: string[] = [];
  if (o.status === 'failed') {
    const native = nativeText(o.native);
    out.push(
      `      <failure${attrs({ message: o.code, type: o.code })}>${xmlText(o.message + (native ? `\n${native}` : ''))}</failure>`,
    );
  } else if (o.status === 'pending') {
    out.push(`      <skipped message="pending"/>`);
  } else if (o.status === 'skipped') {
    out.push(`      <skipped${attrs({ message: `${o.code}: ${o.message}` })}/>`);
  }
  const notes = [`${o.status} ${o.code} at ${o.at}`];
  if (o.renewals > 0) notes.push(`renewed ${o.renewals} time${o.renewals === 1 ? '' : 's'}`);
  if (o.status === 'installed' && o.message) notes.push(o.message);
  out.push(`      <system-out>${xmlText(notes.join('\n'))}</system-out>`);
  return `${head}>\n${out.join('\n')}\n    </testcase>`;
}

function properties(result: RunResult): string {
  const p = { scenario: result.scenario, seed: result.seed, devices: result.devices };
  return (
    '    <properties>\n' +
    Object.entries(p)
      .map(([name, value]) => `      <property${attrs({ name, value })}/>`)
      .join('\n') +
    '\n    </properties>'
  );
}

/** Renders junit.xml for a run. */
export function renderJunit(result: RunResult): string {
  const outcomes = sortedOutcomes(result.outcomes);
  const platforms = [...new Set(outcomes.map((o) => o.platform))].sort(
    (a, b) => PLATFORMS.indexOf(a) - PLATFORMS.indexOf(b) || byCodeUnits(a, b),
  );
  const suites: string[] = [];
  let tests = 0;
  let failures = 0;
  let skipped = 0;
  const time = result.metrics.wallSeconds.toFixed(3);

  for (const platform of platforms) {
    const cases = outcomes.filter((o) => o.platform === platform);
    const f = cases.filter((o) => o.status === 'failed').length;
    const s = cases.filter((o) => o.status === 'pending' || o.status === 'skipped').length;
    tests += cases.length;
    failures += f;
    skipped += s;
    suites.push(
      `  <testsuite${attrs({ name: `certfleet.${platform}`, tests: cases.length, failures: f, errors: 0, skipped: s, time: 0, timestamp: result.startedAt })}>\n` +
        `${properties(result)}\n${cases.map(testcase).join('\n')}\n  </testsuite>`,
    );
  }

  const ex = result.expectations;
  const broken = ex.filter((e) => !e.held).length;
  tests += ex.length;
  failures += broken;
  const exCases = ex.map((e) => {
    const head = `    <testcase${attrs({ classname: 'certfleet.expectations', name: e.text, time: 0 })}>`;
    const body = e.held
      ? `      <system-out>${xmlText(e.detail)}</system-out>`
      : `      <failure${attrs({ message: 'expectation broken', type: 'EXPECTATION' })}>${xmlText(e.detail)}</failure>`;
    return `${head}\n${body}\n    </testcase>`;
  });
  suites.push(
    `  <testsuite${attrs({ name: 'certfleet.expectations', tests: ex.length, failures: broken, errors: 0, skipped: 0, time: 0, timestamp: result.startedAt })}>\n` +
      `${properties(result)}${exCases.length ? `\n${exCases.join('\n')}` : ''}\n  </testsuite>`,
  );

  return (
    '<?xml version="1.0" encoding="UTF-8"?>\n' +
    `<testsuites${attrs({ name: `certfleet ${result.scenario}`, tests, failures, errors: 0, skipped, time })}>\n` +
    `${suites.join('\n')}\n</testsuites>\n`
  );
}
