/**
 * Issue 12 point 4 — "an identity whose chain reaches no installed root counts as plain `installed`
 * everywhere (summary, HTML badge, JUnit, expectations): a fleet without its trusted-root profile reports
 * '25 installed, 0 failed'". Untrusted installs are now counted apart, and `trusted: true|false` judges them.
 */
import { describe, expect, it } from 'vitest';
import { platformKindBreakdown } from '../../../simulator/report/breakdown.ts';
import { renderSummary } from '../../../simulator/report/console.ts';
import { renderHtml } from '../../../simulator/report/html.ts';
import { renderJunit, rowVerdicts } from '../../../simulator/report/junit.ts';
import { buildReportJson } from '../../../simulator/report/report-json.ts';
import { summarize } from '../../../simulator/report/summary.ts';
import { trustOf, type RunResult } from '../../../simulator/run-model.ts';
import { evaluateExpectations } from '../../../simulator/scenario/expectations.ts';
import { loadScenario } from '../../../simulator/scenario/index.ts';
import { readJunit } from '../../fixtures/junit-check.ts';
import { sampleRun } from './fixture.ts';

const UNTRUSTED_MSG = 'installed, but its chain leads to no installed root (CN=Contoso Root is missing)';

/** The sample run with and-3's and win-1's PKCS certificates installed but not trusted. */
function untrustedRun(): RunResult {
  const run = sampleRun();
  run.outcomes = run.outcomes.map((o) =>
    o.profile === 'Wi-Fi PKCS' && (o.device === 'and-3' || o.device === 'win-1')
      ? { ...o, code: 'INSTALL_UNTRUSTED_CHAIN', message: UNTRUSTED_MSG }
      : o,
  );
  return run;
}

const expectations = (yaml: string) =>
  loadScenario({
    text: `fleet: { devices: 1 }\nprofiles:\n  - { name: Wi-Fi PKCS, type: trusted, platforms: all }\nexpect:\n${yaml}`,
    file: 'e.yaml',
  }).expect;

describe('installed but untrusted (issue 12 point 4)', () => {
  it('trustOf: installed OK is trusted, installed with an untrusted chain or expired is not, others have none', () => {
    expect(trustOf({ status: 'installed', code: 'OK' })).toBe(true);
    expect(trustOf({ status: 'installed', code: 'INSTALL_UNTRUSTED_CHAIN' })).toBe(false);
    expect(trustOf({ status: 'installed', code: 'INSTALL_CERT_EXPIRED' })).toBe(false);
    expect(trustOf({ status: 'failed', code: 'INSTALL_UNTRUSTED_CHAIN' })).toBeUndefined();
  });

  it('summary and breakdown count them within installed', () => {
    const s = summarize(untrustedRun());
    expect([s.totals.installed, s.totals.untrusted]).toEqual([9, 2]);
    const cell = s.byPlatformProfile.find((c) => c.platform === 'android' && c.profile === 'Wi-Fi PKCS');
    expect([cell?.installed, cell?.untrusted]).toEqual([1, 1]);
    expect(summarize(sampleRun()).totals.untrusted).toBe(0);
    const fm = platformKindBreakdown(untrustedRun()).find((r) => r.kind === 'fully-managed');
    expect([fm?.installed, fm?.untrusted]).toEqual([2, 1]);
  });

  it('the console shows an UNTRUSTED column and says what it means; without any, no column', () => {
    const text = renderSummary(untrustedRun(), { color: false });
    expect(text).toMatch(/INSTALLED\s+UNTRUSTED\s+FAILED/);
    expect(text).toMatch(/^total\s+14\s+9\s+2\s+3\s/m);
    expect(text).toContain('2 of 9 installed are not trusted');
    expect(renderSummary(sampleRun(), { color: false })).not.toContain('UNTRUSTED');
  });

  it('report.json marks installed outcomes trusted or not; the HTML badge and table show untrusted', () => {
    const json = buildReportJson(untrustedRun());
    const and3 = json.outcomes.find((o) => o.device === 'and-3' && o.profile === 'Wi-Fi PKCS');
    const and3Root = json.outcomes.find((o) => o.device === 'and-3' && o.profile === 'Contoso Root');
    const failed = json.outcomes.find((o) => o.status === 'failed');
    expect([and3?.trusted, and3Root?.trusted, failed?.trusted]).toEqual([false, true, undefined]);
    const html = renderHtml(untrustedRun());
    expect(html).toContain('<span class="badge untrusted">2 installed but untrusted</span>');
    expect(html).toContain('2 of them untrusted');
    expect(html).toContain('"untrusted","INSTALL_UNTRUSTED_CHAIN"');
    expect(renderHtml(sampleRun())).not.toContain('badge untrusted');
  });

  it('JUnit: an untrusted row no trust expectation judges is skipped with why; one judged trusted: false passes', () => {
    const run = untrustedRun();
    const verdicts = rowVerdicts(run);
    expect(verdicts.get('and-3\u0000Wi-Fi PKCS')).toMatchObject({
      kind: 'not-judged',
      why: expect.stringContaining('installed but not trusted (INSTALL_UNTRUSTED_CHAIN)'),
    });
    const doc = readJunit(renderJunit(run));
    const c = doc.suites.flatMap((s) => s.cases).find((x) => x.name === 'Wi-Fi PKCS on and-3');
    expect([c?.verdict, c?.message]).toEqual(['skipped', expect.stringMatching(/installed but not trusted/)]);

    const judged = untrustedRun();
    judged.expectations = evaluateExpectations(
      expectations(
        '  - { text: untrusted, where: { kind: fully-managed }, profile: Wi-Fi PKCS, trusted: false }',
      ),
      judged,
    );
    expect(judged.expectations[0]).toMatchObject({ held: true, trusted: false, selected: 1 });
    expect(rowVerdicts(judged).has('and-3\u0000Wi-Fi PKCS')).toBe(false);
    expect(rowVerdicts(judged).get('win-1\u0000Wi-Fi PKCS')?.kind).toBe('not-judged');
  });

  it('expectations: trusted: true breaks on an untrusted or a failed row, naming why', () => {
    const [r] = evaluateExpectations(
      expectations(
        '  - { text: all trusted, profile: Wi-Fi PKCS, platform: [android], trusted: true }'.replace(
          'platform: [android]',
          'where: { platform: [android] }',
        ),
      ),
      untrustedRun(),
    );
    expect(r).toMatchObject({ held: false, selected: 3, passing: 0, checks: 'installed and trusted' });
    expect(r!.offenders!.map((o) => [o.device, o.why]).sort()).toEqual([
      ['and-1', 'not installed (status failed)'],
      ['and-2', 'not installed (status failed)'],
      ['and-3', 'installed but not trusted (INSTALL_UNTRUSTED_CHAIN)'],
    ]);
  });

  it('trusted must be a boolean', () => {
    expect(() => expectations('  - { text: t, trusted: maybe }')).toThrow(/trusted/);
  });
});

describe('not applicable (issue 12 point 4)', () => {
  function naRun(): RunResult {
    const run = sampleRun();
    run.outcomes = run.outcomes.map((o) =>
      o.device === 'and-3' && o.profile === 'Wi-Fi PKCS'
        ? { ...o, status: 'not-applicable', code: 'NOT_APPLICABLE', message: 'a user certificate, no user' }
        : o,
    );
    return run;
  }

  it('is counted apart in the summary, the breakdown, the console and the HTML, and skipped in JUnit', () => {
    const s = summarize(naRun());
    expect([s.totals.total, s.totals.installed, s.totals.notApplicable]).toEqual([14, 8, 1]);
    const fm = platformKindBreakdown(naRun()).find((r) => r.kind === 'fully-managed');
    expect([fm?.notApplicable, fm?.percent['not-applicable']]).toEqual([1, 50]);
    expect(renderSummary(naRun(), { color: false })).toMatch(/N\/A[\s\S]*^total\s+14\s+8\s+3\s+1\s+1\s+1\s/m);
    expect(renderHtml(naRun())).toContain('<span class="st not-applicable">1 not applicable</span>');
    expect(rowVerdicts(naRun()).get('and-3\u0000Wi-Fi PKCS')).toEqual({
      kind: 'not-judged',
      why: 'not applicable: a user certificate, no user',
    });
  });

  it('an expectation can ask for it', () => {
    const run = naRun();
    const [r] = evaluateExpectations(
      expectations(
        '  - { text: na, where: { kind: fully-managed }, profile: Wi-Fi PKCS, status: not-applicable }',
      ),
      run,
    );
    expect(r).toMatchObject({ held: true, selected: 1, passing: 1 });
  });
});
