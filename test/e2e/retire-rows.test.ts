/**
 * QA's walkthrough of a scenario `retire` action through the real CLI: devices of every platform (Windows,
 * macOS, iOS, Android fully managed and work profile) with a trusted root, a PKCS and a SCEP profile, some
 * retired on day 1. Regressions:
 * - every row of a retired device stayed `installed` in the console, report.json, junit.xml and report.html
 *   (and `show device` said "installed OK") while its certificates were revoked and its key stores held
 *   the management identity only, so a `status: installed` expectation passed on it. Its rows now leave the
 *   report, as a removed assignment's do (scenarios/README.md "actions"): an expectation that selects only
 *   retired devices selects no rows and does not hold; no row of it becomes DEVICE_NEVER_ENROLLED or
 *   DEVICE_NO_ANSWER;
 * - run.db kept the device `enrolled` (report.json: not enrolled), and `show device` printed "enrolled";
 *   the record now says not enrolled and the header `retired` with the instant.
 * Keys from the shared fixture pool (makeRunKeyPool).
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ReportJson } from '../../simulator/report/report-json.ts';
import { KEY_POOL_PASSPHRASE_ENV } from '../../simulator/tools/key-pool/key-pool.ts';
import { readJunit } from '../fixtures/junit-check.ts';
import { certfleet, type CliResult } from './fixtures/certfleet-cli.ts';
import { makeRunKeyPool } from './fixtures/run-key-pool.ts';

const RETIRED_TEXT = 'The retired devices hold every profile';
const KEPT_TEXT = 'The devices kept hold every profile';
const SCENARIO = [
  'name: retire-rows',
  'seed: retire-rows-1',
  'duration: 2d',
  'fleet:',
  '  devices: 10',
  '  mix:',
  '    - { platform: windows, kind: entra-joined, tags: [retire] }',
  '    - { platform: macos, kind: device, tags: [keep] }',
  '    - { platform: ios, kind: device, tags: [retire] }',
  '    - { platform: android, kind: fully-managed, tags: [retire] }',
  '    - { platform: android, kind: work-profile-personal, tags: [keep] }',
  'profiles:',
  '  - { name: Root, type: trusted-certificate, platforms: all, certificate: root }',
  "  - { name: Wifi, type: pkcs, platforms: all, template: CertfleetUser, subject: 'CN={{UserName}}' }",
  '  - name: Vpn',
  '    type: scep',
  '    platforms: [macos, ios, windows, android-work-profile, android-device-owner]',
  '    certificateType: device',
  "    subject: 'CN={{DeviceName}}'",
  '    keySize: 2048',
  'actions:',
  '  - { at: 1d, retire: { tags: [retire] } }',
  'expect:',
  `  - { text: ${RETIRED_TEXT}, where: { tags: [retire] }, status: installed }`,
  `  - { text: ${KEPT_TEXT}, where: { tags: [keep] }, status: installed }`,
  '',
].join('\n');

let work: string;
let out: string;
let cli: CliResult;
let report: ReportJson;
let retired: string[];
let kept: string[];

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'certfleet-retire-rows-'));
  const pool = await makeRunKeyPool(join(work, 'key-pool'), { rsa: 12, ec: 12, fixtureRsa: 12 });
  const scenario = join(work, 'retire-rows.yaml');
  writeFileSync(scenario, SCENARIO);
  out = join(work, 'run');
  cli = await certfleet(['run', scenario, '--out', out, '--key-pool', pool.dir], {
    env: { [KEY_POOL_PASSPHRASE_ENV]: pool.passphrase },
  });
  report = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8')) as ReportJson;
  retired = report.events.filter((e) => e.type === 'retired').map((e) => e.device!);
  kept = report.devicesList.map((d) => d.id).filter((id) => !retired.includes(id));
}, 180_000);
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('a run that retires some devices on day 1', () => {
  it('retired the tagged devices and kept the others, whose rows are all installed', () => {
    expect(retired.length).toBeGreaterThanOrEqual(3);
    expect(kept.length).toBeGreaterThanOrEqual(2);
    const keptRows = report.outcomes.filter((o) => kept.includes(o.device));
    expect(keptRows.length).toBeGreaterThanOrEqual(kept.length * 3);
    expect(keptRows.filter((o) => o.status !== 'installed')).toEqual([]);
  });

  it('report.json has no row of a retired device (none installed, none turned unreached)', () => {
    expect(report.outcomes.filter((o) => retired.includes(o.device))).toEqual([]);
    expect(report.outcomes.filter((o) => /^DEVICE_(NEVER_ENROLLED|NO_ANSWER)$/.test(o.code))).toEqual([]);
    for (const id of retired) expect(report.devicesList.find((d) => d.id === id)?.enrolled, id).toBe(false);
  });

  it('an expectation on the retired devices selects no rows and breaks; the run fails (exit 1)', () => {
    const on = (text: string) => report.expectations.find((e) => e.text === text);
    expect(on(RETIRED_TEXT)).toMatchObject({ held: false });
    expect(on(RETIRED_TEXT)?.detail).toMatch(/^selected no devices/);
    expect(on(KEPT_TEXT)).toMatchObject({ held: true });
    expect(cli.status, cli.stderr).toBe(1);
  });

  it('the console and junit.xml count no row of a retired device', () => {
    const total = cli.stdout.split('\n').find((l) => l.startsWith('total'))!;
    expect(total.trim().split(/\s+/).slice(1, 3)).toEqual([
      String(report.outcomes.length),
      String(report.outcomes.length),
    ]);
    const cases = readJunit(readFileSync(join(out, 'junit.xml'), 'utf8')).suites.flatMap((s) => s.cases);
    for (const id of retired)
      expect(
        cases.filter((c) => c.name.includes(id)),
        id,
      ).toEqual([]);
  });

  it('run.db marks the retired devices not enrolled, as report.json does', () => {
    const db = new Database(join(out, 'run.db'), { readonly: true });
    try {
      const rows = db.prepare('SELECT id, enrolled FROM devices').all() as { id: string; enrolled: number }[];
      const enrolled = new Map(rows.map((r) => [r.id, r.enrolled === 1]));
      for (const d of report.devicesList) expect(enrolled.get(d.id), d.id).toBe(d.enrolled);
      expect(db.prepare('SELECT COUNT(*) AS n FROM outcomes').get()).toEqual({ n: report.outcomes.length });
    } finally {
      db.close();
    }
  });

  it('show device says retired, and when, and lists no outcome', async () => {
    const id = retired[0]!;
    const at = report.events.find((e) => e.type === 'retired' && e.device === id)!.at;
    const shown = await certfleet(['show', 'device', id, '--run', out]);
    expect(shown.status, shown.stderr).toBe(0);
    const [header] = shown.stdout.split('\n');
    expect(header).toContain(`· retired ${at}`);
    expect(header).not.toMatch(/· (not )?enrolled$/);
    expect(shown.stdout).toMatch(/\nOutcomes\n {2}\(none\)\n/);
    expect(shown.stdout).not.toMatch(/installed +OK/);
  });
});
