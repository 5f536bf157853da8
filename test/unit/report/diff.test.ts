import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { isCertfleetError } from '../../../pki/errors.ts';
import { diffReports, loadRunReport, renderDiff } from '../../../simulator/report/diff.ts';
import { buildReportJson } from '../../../simulator/report/report-json.ts';
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
