/**
 * `certfleet diff` through the CLI on real runs (issue 13 point 7): the rollout journey — run, change the
 * profile, run, diff. One scenario and seed, twice: A with `CN={{UserPrincipalName}}`, B with `CN={{IMEI}}`,
 * so B's Macs and PCs without a modem fail with VARIABLE_MISSING while the iPhones still install.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunDiff } from '../../simulator/report/diff.ts';
import type { ReportJson } from '../../simulator/report/report-json.ts';
import { certfleet } from './fixtures/certfleet-cli.ts';

function scenario(subject: string): string {
  return `name: wifi-rollout
description: Wi-Fi certificate with ${subject}
seed: diff-e2e-1
duration: 1d
fleet:
  devices: 8
  mix:
    - { platform: ios, kind: device, cellular: true, models: [apple-iphone-15-pro], weight: 1 }
    - { platform: macos, kind: device, weight: 1 }
    - { platform: windows, kind: entra-joined, cellular: false, weight: 1 }
profiles:
  - { name: Root, type: trusted-certificate, platforms: [windows, macos, ios], certificate: root }
  - name: Wi-Fi
    type: pkcs
    platforms: [windows, macos, ios]
    template: CertfleetUser
    subject: '${subject}'
expect:
  - text: every device installs the Wi-Fi certificate
    profile: Wi-Fi
    status: installed
  - text: every device installs the root
    profile: Root
    status: installed
`;
}

// The tests only read the two run folders the beforeAll made: they run concurrently, so one diff's start-up
// (~1 s of CPU) overlaps another's on the other core.
describe('certfleet diff on two real runs', { concurrent: true }, () => {
  const root = mkdtempSync(join(tmpdir(), 'certfleet-diff-e2e-'));
  const A = join(root, 'a');
  const B = join(root, 'b');
  let a: ReportJson;
  let b: ReportJson;
  afterAll(() => rmSync(root, { recursive: true, force: true }));
  beforeAll(async () => {
    writeFileSync(join(root, 'a.yaml'), scenario('CN={{UserPrincipalName}}'));
    writeFileSync(join(root, 'b.yaml'), scenario('CN={{IMEI}}'));
    const [ra, rb] = await Promise.all([
      certfleet(['run', join(root, 'a.yaml'), '--out', A]),
      certfleet(['run', join(root, 'b.yaml'), '--out', B]),
    ]);
    expect(ra.status, ra.stderr).toBe(0);
    expect(rb.status, rb.stderr).toBe(1);
    a = JSON.parse(readFileSync(join(A, 'report.json'), 'utf8')) as ReportJson;
    b = JSON.parse(readFileSync(join(B, 'report.json'), 'utf8')) as ReportJson;
  }, 180_000);

  it('A → B: exit 1, the changed profile’s effect per platform, each changed device with both codes, the flipped expectation', async () => {
    const r = await certfleet(['diff', A, B]);
    expect(r.status, r.stderr).toBe(1);
    const failedInB = b.outcomes.filter((o) => o.profile === 'Wi-Fi' && o.status === 'failed');
    expect(failedInB.length).toBeGreaterThan(0);
    expect(r.stdout).toMatch(/windows\s+Wi-Fi\s+\d+\s+\d+ → 0 \(-\d+\)\s+0 → \d+ \(\+\d+\)/);
    expect(r.stdout).toMatch(/ios\s+Wi-Fi\s+(\d+)\s+\1\s+0\s/); // the iPhones are unchanged
    expect(r.stdout).toContain(`installed OK → failed VARIABLE_MISSING × ${failedInB.length} (`);
    for (const o of failedInB) expect(r.stdout).toContain(`    ${o.device}  ${o.platform}/${o.kind}  Wi-Fi`);
    expect(r.stdout).toContain('held → broken  every device installs the Wi-Fi certificate — regression');
    expect(r.stdout).not.toContain('every device installs the root');
    expect(r.stdout).toContain(
      `Regressions: ${failedInB.length} device × profile installed in A fail in B; 1 expectation(s) held in A break in B.`,
    );
  });

  it('--json: the same diff as a document, each changed row with both sides', async () => {
    const r = await certfleet(['diff', A, B, '--json']);
    expect(r.status).toBe(1);
    const d = JSON.parse(r.stdout) as RunDiff;
    expect(d.format).toBe('certfleet-diff/1');
    expect(d.comparable).toBe(true);
    expect(d.a).toMatchObject({
      dir: A,
      scenario: 'wifi-rollout',
      seed: 'diff-e2e-1',
      devices: 8,
      passed: true,
    });
    expect(d.b).toMatchObject({ dir: B, passed: false, expectations: { total: 2, held: 1 } });
    const expected = b.outcomes
      .filter((o) => o.status === 'failed')
      .map((o) => `${o.device}/${o.profile}`)
      .sort();
    expect(d.changed.map((c) => `${c.device}/${c.profile}`).sort()).toEqual(expected);
    for (const c of d.changed) {
      expect(c.a).toMatchObject({ status: 'installed', code: 'OK' });
      expect(c.b).toMatchObject({ status: 'failed', code: 'VARIABLE_MISSING' });
      expect(c.b?.message).toContain('{{IMEI}}');
      expect(c.regression).toBe(true);
    }
    expect(d.rowsInBoth).toBe(a.outcomes.length);
    const win = d.counts.find((c) => c.platform === 'windows' && c.profile === 'Wi-Fi');
    expect(win?.a?.installed).toBe(win?.b?.failed);
    expect(d.expectations).toEqual([
      expect.objectContaining({
        text: 'every device installs the Wi-Fi certificate',
        a: true,
        b: false,
        regression: true,
      }),
    ]);
    expect(d.regressions).toEqual({ outcomes: expected.length, expectations: 1 });
  });

  it('B → A (the fix): exit 0, the same rows the other way, nothing regressed', async () => {
    const r = await certfleet(['diff', B, A, '--limit', '1']);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/failed VARIABLE_MISSING → installed OK × \d+/);
    expect(r.stdout).toContain('broken → held  every device installs the Wi-Fi certificate');
    expect(r.stdout).toMatch(/… \d+ more \(--limit 0 lists all, --json has every row\)/);
    expect(r.stdout).toContain('No regression: nothing that passed in A fails in B.');
  });

  it('a run against itself: exit 0, nothing changed', async () => {
    const r = await certfleet(['diff', A, join(A, 'report.json')]);
    expect(r.status).toBe(0);
    expect(r.stdout).toContain(
      `Outcomes: none changed (${a.outcomes.length} device × profile rows in both runs)`,
    );
    expect(r.stdout).toContain('Expectations: none flipped');
  });

  it('B interrupted while A passed (report.json status/passed): exit 1, the header and the verdict say why', async () => {
    // B's report.json as a run stopped by SIGINT writes it: A's outcomes, status interrupted, passed false
    const intr = join(root, 'interrupted');
    mkdirSync(intr);
    const stopped = { signal: 'SIGINT', at: '2026-01-01T06:00:00.000Z' };
    writeFileSync(
      join(intr, 'report.json'),
      JSON.stringify({ ...a, status: 'interrupted', passed: false, interrupted: stopped }),
    );
    const [text, json] = await Promise.all([
      certfleet(['diff', A, intr]),
      certfleet(['diff', A, intr, '--json']),
    ]);
    expect(text.status, text.stderr).toBe(1);
    expect(text.stdout).toMatch(/B: .*interrupted\n.*INTERRUPTED by SIGINT at 2026-01-01T06:00:00\.000Z/);
    expect(text.stdout).toContain('Regression: A passed and B did not. B was interrupted by SIGINT');
    expect(text.stdout).not.toContain('No regression');
    expect(json.status).toBe(1);
    const d = JSON.parse(json.stdout) as RunDiff;
    expect(d.a).toMatchObject({ passed: true, status: 'passed' });
    expect(d.b).toMatchObject({ passed: false, status: 'interrupted', interrupted: stopped });
    expect(d.runRegression).toMatchObject({ status: 'interrupted' });
    expect(d.regressed).toBe(true);
  });

  it('a missing run folder or a folder that is no run: exit 3 (input that cannot be loaded); a missing argument: exit 2', async () => {
    mkdirSync(join(root, 'empty'));
    const [missing, empty, one, limit] = await Promise.all([
      certfleet(['diff', A, join(root, 'nope')]),
      certfleet(['diff', join(root, 'empty'), B]),
      certfleet(['diff', A]),
      certfleet(['diff', A, B, '--limit', '-1']),
    ]);
    expect(missing.status).toBe(3);
    expect(missing.stderr).toBe(
      `error IO: No run folder ${join(root, 'nope')}: give the folder of a finished run (the --out DIR of certfleet run, or runs/<timestamp>).\n`,
    );
    expect(empty.status).toBe(3);
    expect(empty.stderr).toContain('is not a finished run: it has no report.json');
    expect(one.status).toBe(2);
    expect(one.stderr).toContain('error USAGE:');
    expect(limit.status).toBe(2);
    expect(limit.stderr).toContain('--limit must be a whole number ≥ 0');
  });
});
