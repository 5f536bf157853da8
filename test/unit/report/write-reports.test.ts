import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { isCertfleetError } from '../../../pki/errors.ts';
import { writeReports } from '../../../simulator/report/write-reports.ts';
import type { RunResult } from '../../../simulator/run-model.ts';
import { sampleRun } from './fixture.ts';

const root = mkdtempSync(join(tmpdir(), 'certfleet-reports-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('writeReports', () => {
  it('writes report.json, junit.xml and report.html into a new run folder, nothing else', async () => {
    const dir = join(root, 'runs', '2026-03-01T08-00-00');
    const paths = await writeReports(sampleRun(), dir);
    expect(readdirSync(dir).sort()).toEqual(['junit.xml', 'report.html', 'report.json']);
    expect(paths.json).toBe(join(dir, 'report.json'));
  });

  it('report.json has the shape issue 5 fixes', async () => {
    const dir = join(root, 'shape');
    await writeReports(sampleRun(), dir);
    const r = JSON.parse(readFileSync(join(dir, 'report.json'), 'utf8')) as Record<string, unknown> & {
      outcomes: Record<string, unknown>[];
      expectations: Record<string, unknown>[];
      summary: { totals: { failed: number } };
    };
    expect(r).toMatchObject({ seed: 'seed-42', devices: 8, scenario: 'fixture', passed: false });
    expect(r.summary.totals.failed).toBe(3);
    expect(r.outcomes).toHaveLength(14);
    for (const o of r.outcomes)
      for (const k of ['device', 'platform', 'kind', 'profile', 'status', 'code', 'message', 'renewals'])
        expect(o, k).toHaveProperty(k);
    expect(r.outcomes[0]).toMatchObject({ device: 'and-1', profile: 'Contoso Root' }); // sorted
    expect(r.expectations).toEqual([
      expect.objectContaining({ text: expect.any(String), held: true }),
      expect.objectContaining({ held: false }),
    ]);
  });

  it('the same run gives the same bytes', async () => {
    // junit.xml's timestamp is the command's wall-clock start (by default now − the run's wall seconds), so two
    // writes a second apart would differ there alone: both get the same wall clock
    const wall = { startedAt: Date.parse('2026-03-01T07:59:00.000Z'), spanOf: () => undefined };
    await writeReports(sampleRun(), join(root, 'a'), { wall });
    const shuffled = sampleRun();
    shuffled.outcomes.reverse();
    await writeReports(shuffled, join(root, 'b'), { wall });
    for (const f of ['report.json', 'junit.xml', 'report.html'])
      expect(readFileSync(join(root, 'b', f), 'utf8'), f).toBe(readFileSync(join(root, 'a', f), 'utf8'));
  });

  it('renders only known fields: a secret set on an object by mistake reaches no file', async () => {
    const run = sampleRun() as RunResult & { password?: string };
    run.password = 'S3cret-run';
    run.outcomes = run.outcomes.map((o) => ({
      ...o,
      pfxPassword: 'S3cret-outcome',
      native: { platform: 'windows', syncml: 200, password: 'S3cret-native' },
    }));
    run.devicesList = run.devicesList.map((d) => ({ ...d, privateKey: 'S3cret-key' }));
    run.events = run.events.map((e) => ({ ...e, secret: 'S3cret-event' }));
    (run.metrics as unknown as Record<string, unknown>).token = 'S3cret-metrics';
    const dir = join(root, 'secrets');
    await writeReports(run, dir);
    for (const f of readdirSync(dir)) expect(readFileSync(join(dir, f), 'utf8'), f).not.toContain('S3cret');
  });

  it('fails with IO when the folder cannot be made', async () => {
    const blocker = join(root, 'shape', 'report.json', 'sub');
    const err = await writeReports(sampleRun(), blocker).catch((e: unknown) => e);
    expect(isCertfleetError(err, 'IO')).toBe(true);
  });
});
