/**
 * QA's walkthrough through the real CLI: every Windows PC renews its Wi-Fi certificate twice (QA saw it with
 * a 6-month validity over 10 months; here 5-day certificates with a 40 % threshold over 7 days renew on days
 * 3 and 6), and the scenario expects one renewal. Regressions:
 * - the console's RENEWED counted the rows that renewed (3), not the renewals (6) that report.json's
 *   `summary.totals.renewals` and report.html give;
 * - junit.xml failed each installed row with `type="OK"` and the message `OK: not what the scenario
 *   expects`; it is typed `EXPECTATION` and says which expectation the row breaks and why (README "Reports
 *   for CI");
 * - junit.xml's `time` attributes mixed `25.714` and `0.040000`; every one has three decimals.
 * 3 PCs, their keys from the shared fixture pool (12 RSA-2048: 3 management identities + 3 × 3 PKCS keys).
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ReportJson } from '../../simulator/report/report-json.ts';
import { KEY_POOL_PASSPHRASE_ENV } from '../../simulator/tools/key-pool/key-pool.ts';
import { countMismatches, readJunit, xmllintJunit, type JunitDoc } from '../fixtures/junit-check.ts';
import { certfleet, type CliResult } from './fixtures/certfleet-cli.ts';
import { makeRunKeyPool } from './fixtures/run-key-pool.ts';

const RENEWS_ONCE = 'Every PC renews its Wi-Fi certificate once';
const SCENARIO = [
  'name: renewal-reports',
  'seed: renewal-reports-1',
  'duration: 7d',
  'checkInInterval: 8h',
  'fleet:',
  '  devices: 3',
  '  mix:',
  '    - { platform: windows, kind: entra-joined }',
  'profiles:',
  '  - { name: Root, type: trusted-certificate, platforms: [windows], certificate: root }',
  '  - name: Wi-Fi',
  '    type: pkcs',
  '    platforms: [windows]',
  '    template: CertfleetUser',
  "    subject: 'CN={{UserPrincipalName}}'",
  '    validity: 5d',
  '    renewalThreshold: 40',
  'expect:',
  '  - { text: Every PC installs the Wi-Fi certificate, profile: Wi-Fi, status: installed }',
  `  - { text: ${RENEWS_ONCE}, profile: Wi-Fi, renewals: 1 }`,
  '',
].join('\n');
const RENEWS_ONCE_LINE = SCENARIO.split('\n').findIndex((l) => l.includes(RENEWS_ONCE)) + 1;

let work: string;
let out: string;
let cli: CliResult;
let report: ReportJson;
let junitXml: string;
let junit: JunitDoc;

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'certfleet-renewal-reports-'));
  const pool = await makeRunKeyPool(join(work, 'key-pool'), { rsa: 12, ec: 1, fixtureRsa: 12 });
  const scenario = join(work, 'renewal-reports.yaml');
  writeFileSync(scenario, SCENARIO);
  out = join(work, 'run');
  cli = await certfleet(['run', scenario, '--out', out, '--key-pool', pool.dir], {
    env: { [KEY_POOL_PASSPHRASE_ENV]: pool.passphrase },
  });
  report = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8')) as ReportJson;
  junitXml = readFileSync(join(out, 'junit.xml'), 'utf8');
  junit = readJunit(junitXml);
}, 180_000);
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** The cells of the console table's line for `platform` (× `profile`): columns are two or more spaces apart. */
function cells(platform: string, profile = ''): string[] {
  const line = cli.stdout.split('\n').find((l) => l.startsWith(platform) && l.includes(profile)) ?? '';
  return line.trim().split(/\s{2,}/);
}

describe('a run in which every PC renewed twice, and the scenario expects once', () => {
  it('ran: every PC installed and renewed its Wi-Fi certificate twice; the renewals expectation broke (exit 1)', () => {
    expect(cli.status, cli.stderr).toBe(1);
    const wifi = report.outcomes.filter((o) => o.profile === 'Wi-Fi');
    expect(wifi.map((o) => [o.status, o.code, o.renewals])).toEqual([
      ['installed', 'OK', 2],
      ['installed', 'OK', 2],
      ['installed', 'OK', 2],
    ]);
    expect(report.expectations.map((e) => [e.text, e.held])).toEqual([
      ['Every PC installs the Wi-Fi certificate', true],
      [RENEWS_ONCE, false],
    ]);
  });

  it('regression: the console RENEWED counts each renewal once (6), as report.json and report.html do', () => {
    const renewed = cells('PLATFORM').indexOf('RENEWED');
    expect(renewed).toBeGreaterThan(0);
    const cell = report.summary.byPlatformProfile.find(
      (c) => c.platform === 'windows' && c.profile === 'Wi-Fi',
    );
    expect(cell?.renewals).toBe(6);
    expect(cells('windows', 'Wi-Fi')[renewed]).toBe('6');
    expect(cells('windows', 'Root')[renewed]).toBe('0');
    // the total line has no profile cell
    expect(cells('total')[renewed - 1]).toBe(String(report.summary.totals.renewals));
    expect(report.summary.totals.renewals).toBe(6);
    expect(report.time.totals.renewals).toBe(6);
    const html = readFileSync(join(out, 'report.html'), 'utf8');
    expect(html).toContain('<span class="st renewed">6 renewals</span>');
  });

  it('regression: junit.xml fails each PC’s Wi-Fi case as type EXPECTATION, saying which expectation and why — never type OK', () => {
    expect(countMismatches(junit)).toEqual([]);
    const rows = junit.suites.find((s) => s.name === 'certfleet.windows · Wi-Fi')?.cases ?? [];
    expect(rows).toHaveLength(3);
    for (const c of rows)
      expect(c).toMatchObject({
        verdict: 'failure',
        type: 'EXPECTATION',
        message: `installed, but the scenario expects "${RENEWS_ONCE}" (line ${RENEWS_ONCE_LINE}): 2 renewals`,
      });
    expect(junitXml).not.toContain('type="OK"');
    // the broken expectation's own case, and the three rows; the Root rows pass
    expect(junit.attrs['failures']).toBe('4');
    expect(junit.suites.find((s) => s.name === 'certfleet.windows · Root')?.counted.failures).toBe(0);
  });

  it('regression: every junit.xml time is seconds with three decimals', () => {
    const times = [...junitXml.matchAll(/ time="([^"]*)"/g)].map((m) => m[1]);
    expect(times.length).toBeGreaterThanOrEqual(1 + 3 + 2 + 6);
    for (const t of times) expect(t).toMatch(/^\d+\.\d{3}$/);
    // test/fixtures/junit.xsd pins the format too
    expect(xmllintJunit(join(out, 'junit.xml'))).toBe('');
  });
});
