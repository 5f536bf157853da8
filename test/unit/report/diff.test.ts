import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { isCertfleetError } from '../../../pki/errors.ts';
import { diffReports, loadRunReport, renderDiff } from '../../../simulator/report/diff.ts';
import { buildReportJson, type ReportJson } from '../../../simulator/report/report-json.ts';
import type { RunResult } from '../../../simulator/run-model.ts';
import { sampleRun } from './fixture.ts';

const PKCS = 'Wi-Fi PKCS';

/** B: win-1's PKCS now fails, win-2's now installs, and-3 loses its row, a new device appears. */
function changedRun(): RunResult {
  const run = sampleRun();
  run.outcomes = run.outcomes
    .filter((o) => !(o.device === 'and-3' && o.profile === PKCS))
    .map((o) => {
      if (o.device === 'win-1' && o.profile === PKCS)
        return { ...o, status: 'failed' as const, code: 'VARIABLE_MISSING' as const, message: 'no {{IMEI}}' };
      if (o.device === 'win-2' && o.profile === PKCS)
        return { ...o, status: 'installed' as const, code: 'OK' as const, message: 'installed' };
      return o;
    });
  run.outcomes.push({ ...run.outcomes[0]!, device: 'new-1', status: 'installed', code: 'OK' });
  run.expectations = [
    { ...run.expectations[0]!, held: false, detail: '1 of 2' },
    { ...run.expectations[1]!, held: true },
    { text: 'a new expectation', held: true, detail: '' },
  ];
  return run;
}

const side = (run: RunResult, dir: string) => ({ dir, report: buildReportJson(run) });

describe('diffReports', () => {
  const d = diffReports(side(sampleRun(), '/runs/a'), side(changedRun(), '/runs/b'));

  it('gives per platform × profile counts in A and B', () => {
    const win = d.counts.find((c) => c.platform === 'windows' && c.profile === PKCS)!;
    expect(win.a).toMatchObject({ total: 2, installed: 1, failed: 1, renewed: 1 });
    expect(win.b).toMatchObject({ total: 2, installed: 1, failed: 1 });
    const and = d.counts.find((c) => c.platform === 'android' && c.profile === PKCS)!;
    expect(and.a?.total).toBe(3);
    expect(and.b?.total).toBe(2);
    // one device renewed twice: one row renewed, two renewals (the RENEWED column)
    expect(and.a).toMatchObject({ renewed: 1, renewals: 2 });
    expect(d.counts.map((c) => c.platform)).toEqual([
      'windows',
      'windows',
      'macos',
      'macos',
      'ios',
      'ios',
      'android',
      'android',
    ]);
  });

  it('lists the rows whose outcome changed with both codes, and rows in only one run', () => {
    const by = Object.fromEntries(d.changed.map((c) => [`${c.device}/${c.profile}`, c]));
    expect(by[`win-1/${PKCS}`]).toMatchObject({
      a: { status: 'installed', code: 'OK' },
      b: { status: 'failed', code: 'VARIABLE_MISSING', message: 'no {{IMEI}}' },
      regression: true,
    });
    expect(by[`win-2/${PKCS}`]).toMatchObject({
      a: { status: 'failed', code: 'INSTALL_KSP_UNAVAILABLE' },
      b: { status: 'installed', code: 'OK' },
      regression: false,
    });
    expect(by[`and-3/${PKCS}`]).toMatchObject({ a: { status: 'installed' }, b: null, regression: false });
    expect(by['new-1/Contoso Root']).toMatchObject({ a: null, b: { status: 'installed' } });
    expect(d.changed).toHaveLength(4);
    expect(d.rowsInBoth).toBe(13);
  });

  it('lists the expectations that flipped; a regression is something that passed in A and fails in B', () => {
    expect(d.expectations.map((e) => [e.text, e.a, e.b, e.regression])).toEqual([
      ['Android work profiles fail the PKCS profile with VARIABLE_MISSING {{IMEI}}', true, false, true],
      ['all Windows devices install both profiles', false, true, false],
      ['a new expectation', null, true, false],
    ]);
    expect(d.regressions).toEqual({ outcomes: 1, expectations: 1 });
    expect(d.regressed).toBe(true);
    expect(d.comparable).toBe(true);
  });

  it('the other way round, the row that was fixed is the regression; a run against itself changed nothing', () => {
    const back = diffReports(side(changedRun(), '/runs/b'), side(sampleRun(), '/runs/a'));
    expect(back.regressed).toBe(true); // win-2: installed in the new A, failed in the new B
    expect(back.regressions.outcomes).toBe(1);
    const same = diffReports(side(sampleRun(), '/a'), side(sampleRun(), '/b'));
    expect(same.changed).toEqual([]);
    expect(same.expectations).toEqual([]);
    expect(same.regressed).toBe(false);
  });

  it('renders the text: counts with arrows, changes grouped by transition with both codes, the verdict', () => {
    const text = renderDiff(d);
    expect(text).toContain(
      'installed OK → failed VARIABLE_MISSING × 1 (windows/entra-joined 1) — regression',
    );
    expect(text).toContain('failed INSTALL_KSP_UNAVAILABLE → installed OK × 1');
    expect(text).toMatch(/android\s+Wi-Fi PKCS\s+3 → 2 \(-1\)/);
    // RENEWED counts renewals: and-3 renewed twice in A (it was one renewed row)
    expect(text).toMatch(/android\s+Wi-Fi PKCS\s+3 → 2 \(-1\)\s+1 → 0 \(-1\)\s+2\s+0\s+0\s+2 → 0 \(-2\)\n/);
    expect(text).toContain('held → broken  Android work profiles fail the PKCS profile');
    expect(text).toContain(
      'Regressions: 1 device × profile installed in A fail in B; 1 expectation(s) held in A break in B.',
    );
    expect(renderDiff(diffReports(side(sampleRun(), '/a'), side(sampleRun(), '/b')))).toContain(
      'No regression: nothing that passed in A fails in B.',
    );
  });
});

/** A run whose expectations all held (the fixture's Windows expectation is made to hold). */
function passingRun(): RunResult {
  const run = sampleRun();
  run.expectations = run.expectations.map((e) => ({ ...e, held: true }));
  return run;
}

const NEVER = 'every device enrolled and answered by the end of the run';

/** B of a ramp longer than the run: two devices' four rows pending DEVICE_NEVER_ENROLLED, a gate expectation A lacks breaks. */
function neverEnrolledRun(): RunResult {
  const run = passingRun();
  const late = new Set(['win-1', 'and-3']);
  run.outcomes = run.outcomes.map((o) =>
    late.has(o.device)
      ? {
          ...o,
          status: 'pending' as const,
          code: 'DEVICE_NEVER_ENROLLED' as const,
          message: 'never enrolled',
        }
      : o,
  );
  run.expectations.push({ text: NEVER, held: false, detail: '4 devices never enrolled' });
  return run;
}

/** Stopped by SIGINT: report.json says status interrupted, passed false, though every expectation held. */
function interruptedRun(): RunResult {
  const run = passingRun();
  run.interrupted = { signal: 'SIGINT', at: '2026-03-01T06:00:00.000Z' };
  return run;
}

describe('diffReports: each run’s own verdict (report.json passed and status)', () => {
  it('A passed, B failed (an expectation A did not have broke): a regression, saying why', () => {
    const d = diffReports(side(passingRun(), '/a'), side(neverEnrolledRun(), '/b'));
    expect(d.a).toMatchObject({ passed: true, status: 'passed', broken: [] });
    expect(d.b).toMatchObject({ passed: false, status: 'failed', broken: [NEVER] });
    expect(d.expectations).toEqual([
      expect.objectContaining({ text: NEVER, a: null, b: false, regression: true }),
    ]);
    // installed → pending is no row-level regression: the run is
    expect(d.regressions).toEqual({ outcomes: 0, expectations: 1 });
    expect(d.runRegression).toEqual({
      status: 'failed',
      reason: `B did not pass: broken expectation "${NEVER}" (not in A)`,
    });
    expect(d.regressed).toBe(true);
    const text = renderDiff(d);
    expect(text).toMatch(/B: \/b\n.*FAILED \(2\/3 expectations held\)/);
    expect(text).toContain('installed OK → pending DEVICE_NEVER_ENROLLED × 4');
    expect(text).toContain(`absent → broken  ${NEVER} — regression`);
    expect(text).toContain(
      `Regression: A passed and B did not. B did not pass: broken expectation "${NEVER}" (not in A).`,
    );
    expect(text).not.toContain('No regression');
  });

  it('A passed, B interrupted: the header says INTERRUPTED with the signal, and it is a regression', () => {
    const d = diffReports(side(passingRun(), '/a'), side(interruptedRun(), '/b'));
    expect(d.b).toMatchObject({
      passed: false,
      status: 'interrupted',
      interrupted: { signal: 'SIGINT', at: '2026-03-01T06:00:00.000Z' },
      expectations: { total: 2, held: 2 },
    });
    expect(d.changed).toEqual([]);
    expect(d.expectations).toEqual([]);
    expect(d.runRegression?.status).toBe('interrupted');
    expect(d.runRegression?.reason).toMatch(
      /^B was interrupted by SIGINT at 2026-03-01T06:00:00.000Z .*: its outcomes are partial/,
    );
    expect(d.regressed).toBe(true);
    const text = renderDiff(d);
    expect(text).toMatch(
      /B: \/b\n.*INTERRUPTED by SIGINT at 2026-03-01T06:00:00\.000Z \(virtual time\), outcomes partial \(2\/2 expectations held\)/,
    );
    expect(text).not.toMatch(/B: \/b\n.*PASSED/);
    expect(text).toContain('Regression: A passed and B did not. B was interrupted by SIGINT');
    expect(text).not.toContain('No regression');
    // --json carries the same facts
    const json = JSON.parse(JSON.stringify(d)) as typeof d;
    expect(json.b).toMatchObject({ passed: false, status: 'interrupted', interrupted: { signal: 'SIGINT' } });
    expect(json.runRegression).toMatchObject({ status: 'interrupted' });
    expect(json.regressed).toBe(true);
  });

  it('both passed: no regression, both PASSED', () => {
    const d = diffReports(side(passingRun(), '/a'), side(passingRun(), '/b'));
    expect(d.a).toMatchObject({ passed: true, status: 'passed' });
    expect(d.b).toMatchObject({ passed: true, status: 'passed' });
    expect(d.b.why).toBeUndefined();
    expect(d.runRegression).toBeNull();
    expect(d.regressed).toBe(false);
    const text = renderDiff(d);
    expect(text.match(/PASSED \(2\/2 expectations held\)/g)).toHaveLength(2);
    expect(text).toContain('No regression: nothing that passed in A fails in B.\n');
  });

  it('A failed too: B failing alone is no regression (only the row and held → broken rules), and the text says why B failed', () => {
    const failingA = sampleRun(); // the Windows expectation is broken
    const d = diffReports(side(failingA, '/a'), side(sampleRun(), '/b'));
    expect(d.a.status).toBe('failed');
    expect(d.regressed).toBe(false);
    const b = neverEnrolledRun();
    b.expectations[1]!.held = false; // the same expectation A broke
    const e = diffReports(side(failingA, '/a'), side(b, '/b'));
    expect(e.expectations).toEqual([
      expect.objectContaining({ text: NEVER, a: null, b: false, regression: false }),
    ]);
    expect(e.runRegression).toBeNull();
    expect(e.regressed).toBe(false);
    const text = renderDiff(e);
    expect(text).toContain('No regression: nothing that passed in A fails in B.');
    expect(text).toContain(
      `B did not pass: broken expectations "all Windows devices install both profiles", "${NEVER}" (not in A) — A did not pass either, so that alone is no regression.`,
    );
    // A interrupted, B passed: no regression; A's header says INTERRUPTED
    const f = diffReports(side(interruptedRun(), '/a'), side(passingRun(), '/b'));
    expect(f.regressed).toBe(false);
    expect(renderDiff(f)).toMatch(/A: \/a\n.*INTERRUPTED by SIGINT/);
  });

  it('a report.json without passed and status (older) falls back to its expectations and interruption', () => {
    const old = (run: RunResult): ReportJson => {
      const r: Partial<ReportJson> = buildReportJson(run);
      delete r.passed;
      delete r.status;
      return r as ReportJson;
    };
    const d = diffReports({ dir: '/a', report: old(passingRun()) }, { dir: '/b', report: old(sampleRun()) });
    expect(d.a).toMatchObject({ passed: true, status: 'passed' });
    expect(d.b).toMatchObject({ passed: false, status: 'failed' });
    expect(d.regressed).toBe(true); // A passed, B did not
    const i = diffReports(
      { dir: '/a', report: old(passingRun()) },
      { dir: '/b', report: old(interruptedRun()) },
    );
    expect(i.b).toMatchObject({ passed: false, status: 'interrupted', interrupted: { signal: 'SIGINT' } });
  });

  it('runs of different devices: says which run a row is missing from, and that no row is in both', () => {
    const other = passingRun();
    other.seed = 'seed-7';
    other.outcomes = other.outcomes.map((o) => ({ ...o, device: `x-${o.device}` }));
    const d = diffReports(side(passingRun(), '/a'), side(other, '/b'));
    expect(d.rowsInBoth).toBe(0);
    const text = renderDiff(d);
    expect(text).toContain(
      `Outcomes that changed: ${d.changed.length} device × profile rows (no device × profile row is in both runs: the runs have different devices (different seeds or fleets))`,
    );
    expect(text).toContain('installed OK → (not in B) × ');
    expect(text).toContain('(not in A) → installed OK × ');
    expect(text).not.toContain('of 0 in both runs');
    expect(text).not.toContain('(not in this run)');
  });
});

describe('loadRunReport', () => {
  const root = mkdtempSync(join(tmpdir(), 'certfleet-diff-'));
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  const usage = (path: string): string => {
    try {
      loadRunReport(path);
    } catch (e) {
      expect(isCertfleetError(e, 'IO')).toBe(true);
      expect((e as { details: Record<string, unknown> }).details['input']).toBe(true);
      return (e as Error).message;
    }
    throw new Error('no error');
  };

  it('refuses a missing folder, a folder without report.json, and a file that is not a report, saying why', () => {
    expect(usage(join(root, 'nope'))).toMatch(/^No run folder .*nope: give the folder of a finished run/);
    mkdirSync(join(root, 'empty'));
    expect(usage(join(root, 'empty'))).toMatch(/empty is not a finished run: it has no report\.json/);
    mkdirSync(join(root, 'other'));
    writeFileSync(join(root, 'other', 'report.json'), '{"format":"something-else/2"}');
    expect(usage(join(root, 'other'))).toMatch(
      /is not a certfleet-report\/1 report \(format "something-else\/2"\)/,
    );
    writeFileSync(join(root, 'other', 'report.json'), '{');
    expect(usage(join(root, 'other'))).toMatch(/is not JSON/);
  });

  it('reads a run folder or its report.json', () => {
    mkdirSync(join(root, 'run'));
    writeFileSync(join(root, 'run', 'report.json'), JSON.stringify(buildReportJson(sampleRun())));
    expect(loadRunReport(join(root, 'run')).report.seed).toBe('seed-42');
    expect(loadRunReport(join(root, 'run', 'report.json')).dir).toBe(join(root, 'run'));
  });
});
