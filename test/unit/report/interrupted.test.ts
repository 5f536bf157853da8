import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { renderSummary } from '../../../simulator/report/console.ts';
import { renderDeviceStory } from '../../../simulator/report/device-story.ts';
import { renderHtml } from '../../../simulator/report/html.ts';
import { renderJunit } from '../../../simulator/report/junit.ts';
import { buildReportJson } from '../../../simulator/report/report-json.ts';
import { RunDb } from '../../../simulator/report/run-db.ts';
import type { RunResult } from '../../../simulator/run-model.ts';
import { xmllintJunit } from '../../fixtures/junit-check.ts';
import { sampleRun } from './fixture.ts';

const dir = mkdtempSync(join(tmpdir(), 'certfleet-interrupted-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const AT = '2026-03-02T04:05:06.000Z';
function interrupted(signal = 'SIGTERM'): RunResult {
  return { ...sampleRun(), interrupted: { signal, at: AT } };
}

describe('issue 10: an interrupted run is marked in every report and never passes', () => {
  it('the sample run passes uninterrupted (so what follows is the interruption at work)', () => {
    const r = buildReportJson(sampleRun());
    expect(r.status).toBe(r.passed ? 'passed' : 'failed');
    expect(r.interrupted).toBeUndefined();
  });

  it('report.json: status interrupted, passed false, signal and instant', () => {
    const r = buildReportJson(interrupted());
    expect(r.status).toBe('interrupted');
    expect(r.passed).toBe(false);
    expect(r.summary.passed).toBe(false);
    expect(r.interrupted).toEqual({ signal: 'SIGTERM', at: AT });
  });

  it('junit.xml: a failing test case of type INTERRUPTED, valid against the JUnit schema', () => {
    const xml = renderJunit(interrupted('SIGINT'));
    const failures = (x: string): number => Number(/<testsuites [^>]*failures="(\d+)"/.exec(x)?.[1]);
    expect(failures(xml)).toBe(failures(renderJunit(sampleRun())) + 1);
    expect(xml).toContain('<testsuite name="certfleet.run"');
    expect(xml).toContain(
      `<failure message="The run was interrupted by SIGINT at virtual ${AT}, before its end."`,
    );
    expect(xml).toContain('type="INTERRUPTED"');
    expect(xml).toContain('<property name="status" value="interrupted"/>');
    const file = join(dir, 'junit.xml');
    writeFileSync(file, xml);
    expect(xmllintJunit(file)).toBe('');
    expect(renderJunit(sampleRun())).not.toContain('INTERRUPTED');
  });

  it('console and HTML say INTERRUPTED', () => {
    expect(renderSummary(interrupted(), { color: false })).toContain(
      `INTERRUPTED by SIGTERM at virtual ${AT}`,
    );
    expect(renderSummary(sampleRun(), { color: false })).not.toContain('INTERRUPTED');
    const html = renderHtml(interrupted());
    expect(html).toContain('>INTERRUPTED</span>');
    expect(html).toContain('by SIGTERM at virtual');
  });

  it('run.db keeps the interruption; show device says so', () => {
    const path = join(dir, 'run.db');
    const db = RunDb.create(path);
    const result = interrupted();
    db.recordResult(result);
    expect(db.run()?.interrupted).toEqual({ signal: 'SIGTERM', at: AT });
    const story = db.deviceStory(result.devicesList[0]!.id);
    db.close();
    expect(story?.run.interrupted).toEqual({ signal: 'SIGTERM', at: AT });
    expect(renderDeviceStory(story!)).toContain(`This run was INTERRUPTED by SIGTERM at virtual ${AT}`);
  });
});
