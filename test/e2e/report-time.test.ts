/**
 * Time in the reports of a real run (issue 13 point 4): scenarios/renewal-20.yaml at 8 devices through the
 * CLI — 30-day certificates with a 20 % threshold over 40 days, so every unlocked device renews on day 24
 * (6 days = 20 % left) and every locked Apple device defers from day 24 and renews once it unlocks, 3 days
 * later, on day 27. report.json must carry the series over virtual time with those renewals in those
 * buckets, counts that add up to the totals, the deferrals and the validity left; report.html the chart;
 * the progress line the virtual date.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ReportJson } from '../../simulator/report/report-json.ts';
import { certfleet, type CliResult } from './fixtures/certfleet-cli.ts';

const SCENARIO = resolve(import.meta.dirname, '../../scenarios/renewal-20.yaml');
const DAY = 86_400_000;

describe('a renewal run: report.json and report.html over virtual time', () => {
  const root = mkdtempSync(join(tmpdir(), 'certfleet-time-'));
  const out = join(root, 'run');
  let cli: CliResult;
  let r: ReportJson;
  afterAll(() => rmSync(root, { recursive: true, force: true }));
  beforeAll(async () => {
    cli = await certfleet(['run', SCENARIO, '--devices', '8', '--out', out]);
    r = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8')) as ReportJson;
  }, 180_000);

  const dayOf = (iso: string): number => Math.floor((Date.parse(iso) - Date.parse(r.time.start)) / DAY);

  it('the run passes, and its progress line showed the virtual date up to the end', () => {
    expect(cli.status, cli.stderr).toBe(0);
    expect(cli.stderr).toContain('virtual 2026-02-10 00:00 (100 %) · 8/8 devices enrolled');
  });

  it('regression issue 13: renewals are in the virtual bucket of their day — 24 unlocked, 27 locked Apple', () => {
    expect(r.time.bucket).toBe('1d');
    expect(r.time.series).toHaveLength(40);
    const deferred = new Set(r.time.deferrals.map((d) => d.device));
    const renewed = r.events.filter((e) => e.type === 'renewed');
    expect(renewed).toHaveLength(8);
    for (const e of renewed) expect(dayOf(e.at), e.device).toBe(deferred.has(e.device ?? '') ? 27 : 24);
    const unlocked = renewed.filter((e) => !deferred.has(e.device ?? '')).length;
    expect(unlocked).toBeGreaterThan(0);
    expect(r.time.series[24]?.renewals).toBe(unlocked);
    expect(r.time.series[27]?.renewals).toBe(8 - unlocked);
    expect(r.time.series.filter((b) => b.renewals > 0).map((b) => dayOf(b.start))).toEqual(
      unlocked === 8 ? [24] : [24, 27],
    );
    expect(r.time.series[0]?.installs).toBe(8);
  });

  it('the series add up to the totals, and the totals to the outcomes', () => {
    for (const k of ['installs', 'failures', 'renewals', 'deferrals', 'expiries'] as const)
      expect(
        r.time.series.reduce((n, b) => n + b[k], 0),
        k,
      ).toBe(r.time.totals[k]);
    expect(r.time.totals.renewals).toBe(r.summary.totals.renewals);
    expect(r.time.totals.installs).toBe(r.summary.totals.installed);
    expect(r.time.totals).toMatchObject({ installs: 8, failures: 0, renewals: 8, expiries: 0 });
    expect(r.time.totals.deferrals).toBe(r.time.deferrals.reduce((n, d) => n + d.count, 0));
  });

  it('the deferrals are the locked Apple devices (every Mac of this mix is locked), each renewed after', () => {
    expect(r.time.fromRunDb).toBe(true);
    const macs = r.devicesList.filter((d) => d.platform === 'macos').map((d) => d.id);
    expect(macs.length).toBeGreaterThan(0);
    for (const id of macs) expect(r.time.deferrals.map((d) => d.device)).toContain(id);
    for (const d of r.time.deferrals) {
      expect(['ios', 'macos']).toContain(d.platform);
      expect(dayOf(d.first)).toBe(24);
      expect(d.renewedAt).toBeDefined();
      expect(Date.parse(d.renewedAt!) - Date.parse(d.first)).toBeGreaterThanOrEqual(3 * DAY);
    }
  });

  it('gives the validity left at the end for every certificate: renewed days 24–27 for 30 days, 14–17 days left', () => {
    expect(r.time.validity.certificates).toHaveLength(8);
    expect(r.time.validity.byProfile).toEqual([
      {
        profile: 'Short-lived',
        certificates: 8,
        threshold: 20,
        minDays: expect.closeTo(14, 0) as number,
        medianDays: expect.any(Number) as number,
        maxDays: expect.closeTo(17, 0) as number,
        belowThreshold: 0,
        expired: 0,
      },
    ]);
  });

  it("per minute of virtual time: the series' totals, and each connector's issued certificates are its load", () => {
    const p = r.time.perMinute;
    expect(p.minutes).toBe(40 * 24 * 60);
    expect(p.installs.total).toBe(r.time.totals.installs);
    expect(p.renewals.total).toBe(8);
    expect(p.renewals.peak).toBeGreaterThan(0);
    expect(dayOf(p.renewals.peakAt!)).toBeOneOf([24, 27]);
    // no CA denied anything here: every result a connector sent is a certificate it issued
    const load = Object.entries(r.metrics.connectorLoad).filter(([, n]) => n > 0);
    expect(load.length).toBeGreaterThan(0);
    expect(Object.entries(p.issuedByConnector).map(([c, f]) => [c, f.total])).toEqual(
      load.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)),
    );
    const html = readFileSync(join(out, 'report.html'), 'utf8');
    expect(html).toContain('<h3>Per minute of virtual time</h3>');
    for (const [c] of load) expect(html).toContain(`<td>Certificates issued by ${c}</td>`);
  });

  it('report.html charts the series: one renewals bar per renewal day, the deferrals strip, the validity table', () => {
    const html = readFileSync(join(out, 'report.html'), 'utf8');
    const strips = Object.fromEntries(
      [...html.matchAll(/<g class="strip" data-series="(\w+)">(.*?)<\/g>/gs)].map((m) => [m[1], m[2] ?? '']),
    );
    expect(Object.keys(strips)).toEqual(['installs', 'failures', 'renewals', 'deferrals']);
    const bars = (s: string) =>
      [...s.matchAll(/data-bucket="(\d+)" data-value="(\d+)"/g)].map((m) => [Number(m[1]), Number(m[2])]);
    const renewals = bars(strips.renewals ?? '');
    expect(renewals.reduce((n, [, v]) => n + v!, 0)).toBe(8);
    expect(renewals.map(([b]) => b).every((b) => b === 24 || b === 27)).toBe(true);
    expect(bars(strips.installs ?? '')).toEqual([[0, 8]]);
    expect(html).toContain('<h3>Validity left at the end (2026-02-10 00:00 UTC)</h3>');
    expect(html).toContain('<h3>Renewal deferrals (locked Apple devices)</h3>');
  });
});
