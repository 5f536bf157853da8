/**
 * The fleet commands of issue 5 beside `certfleet run`: `show device`, `replay`, `broker`, `serve` and
 * `agents`, through the real CLI (bin/certfleet.mjs) on a small run made in beforeAll.
 */
import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runFleet } from '../../simulator/fleet/run-fleet.ts';
import { derivePassword, roleOfClientId, SecretCredentialTable } from '../../simulator/fleet/fleet-secret.ts';
import type { DeviceSummary, RunResult } from '../../simulator/run-model.ts';

const BIN = resolve(import.meta.dirname, '../../bin/certfleet.mjs');

function certfleet(
  args: string[],
  options: { cwd?: string; env?: Record<string, string> } = {},
): { status: number; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [BIN, ...args], {
    encoding: 'utf8',
    cwd: options.cwd ?? process.cwd(),
    env: { ...process.env, NO_COLOR: '1', ...options.env },
  });
  return { status: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

/** Ten devices: Macs fail the IMEI certificate (VARIABLE_MISSING), cellular Android phones install it. */
const SCENARIO = `name: fleet-commands
description: tiny fleet for show/replay tests
seed: fleet-commands-1
duration: 1d
fleet:
  devices: 10
  mix:
    - { platform: macos, kind: device, weight: 1 }
    - { platform: android, kind: fully-managed, cellular: true, weight: 1 }
profiles:
  - name: Root
    type: trusted-certificate
    platforms: [macos, android-device-owner]
    certificate: root
  - name: IMEI certificate
    type: pkcs
    platforms: [macos, android-device-owner]
    template: CertfleetDevice
    certificateType: device
    subject: 'CN={{IMEI}}'
`;

let work: string;
let runDir: string;
let result: RunResult;
let failing: DeviceSummary;
let installing: DeviceSummary;

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'certfleet-fleet-cmds-'));
  const file = join(work, 'tiny.yaml');
  writeFileSync(file, SCENARIO);
  runDir = join(work, 'run');
  result = (await runFleet({ scenario: file, out: runDir })).result;
  const failedIds = new Set(result.outcomes.filter((o) => o.status === 'failed').map((o) => o.device));
  failing = result.devicesList.find((d) => failedIds.has(d.id))!;
  installing = result.devicesList.find((d) => !failedIds.has(d.id))!;
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('the run made for these tests', () => {
  it('has a failing Mac and an installing Android phone', () => {
    expect(failing.platform).toBe('macos');
    expect(installing.platform).toBe('android');
    expect(JSON.parse(readFileSync(join(runDir, 'run.json'), 'utf8'))).toMatchObject({
      format: 'certfleet-run/1',
      seed: 'fleet-commands-1',
      devices: 10,
      scenario: { name: 'fleet-commands', text: SCENARIO },
    });
  });
});

describe('certfleet show device', () => {
  const queries: [string, (d: DeviceSummary) => string][] = [
    ['a unique prefix', (d) => d.id.slice(0, 8)],
    ['#index', (d) => `#${d.index}`],
    ['the full id (upper case prefix)', (d) => d.id.slice(0, 12).toUpperCase()],
  ];

  describe.each(queries)('by %s', (_label, query) => {
    it.each(['failing', 'installing'] as const)('prints the %s device as text', (which) => {
      const d = which === 'failing' ? failing : installing;
      const r = certfleet(['show', 'device', query(d), '--run', runDir]);
      expect(r.stderr).toBe('');
      expect(r.status).toBe(0);
      expect(r.stdout).toContain(`Device ${d.id} (#${d.index})`);
      expect(r.stdout).toMatch(/Key stores \(end of run\)[\s\S]*CN=Certfleet Root CA/);
      if (which === 'failing') expect(r.stdout).toMatch(/IMEI certificate\s+failed\s+VARIABLE_MISSING/);
      else expect(r.stdout).toMatch(/IMEI certificate\s+installed\s+OK/);
      expect(r.stdout).toMatch(/Timeline\n.*enrolled/);
    });

    it('prints JSON with attributes, stores, outcomes and timeline', () => {
      const r = certfleet(['show', 'device', query(failing), '--run', runDir, '--json']);
      expect(r.status).toBe(0);
      const story = JSON.parse(r.stdout) as {
        runFolder: string;
        device: { id: string; index: number; absent: Record<string, string> };
        stores: { store: string; subject: string }[];
        outcomes: { profile: string; status: string; code: string }[];
        timeline: { type: string }[];
      };
      expect(story.runFolder).toBe(runDir);
      expect(story.device).toMatchObject({ id: failing.id, index: failing.index });
      expect(story.device.absent.imei).toBeDefined();
      expect(story.outcomes).toContainEqual(
        expect.objectContaining({ profile: 'IMEI certificate', status: 'failed', code: 'VARIABLE_MISSING' }),
      );
      expect(story.stores.map((s) => s.store)).toContain('mdm/identity');
      expect(story.timeline.map((e) => e.type)).toContain('enrolled');
    });
  });

  it('finds the newest run under runs/ when --run is not given', () => {
    const cwd = join(work, 'cwd-with-runs');
    mkdirSync(join(cwd, 'runs'), { recursive: true });
    cpSync(runDir, join(cwd, 'runs', 'only-run'), { recursive: true });
    const r = certfleet(['show', 'device', `#${failing.index}`], { cwd });
    expect(r.status).toBe(0);
    expect(r.stdout).toContain(failing.id);
  });
});

describe('certfleet replay', () => {
  it('re-runs the failing device alone and reproduces its outcomes (exit 0)', () => {
    const out = join(work, 'replay-ok');
    const r = certfleet(['replay', failing.id.slice(0, 10), '--run', runDir, '--out', out, '--json']);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const j = JSON.parse(r.stdout) as {
      match: boolean;
      replayedId: string;
      rows: { profile: string; same: boolean; original: { code: string }; replay: { code: string } }[];
    };
    expect(j.match).toBe(true);
    expect(j.replayedId).toBe(failing.id);
    expect(j.rows.find((x) => x.profile === 'IMEI certificate')).toMatchObject({
      same: true,
      original: { code: 'VARIABLE_MISSING' },
      replay: { code: 'VARIABLE_MISSING' },
    });
    // the replay is a run folder of its own, with only that device
    const replayed = JSON.parse(readFileSync(join(out, 'run.json'), 'utf8')) as { only: number[] };
    expect(replayed.only).toEqual([failing.index]);
  });

  it('says so and exits 1 when the run recorded other outcomes than the replay gets', () => {
    const tampered = join(work, 'tampered');
    cpSync(runDir, tampered, { recursive: true });
    const db = new Database(join(tampered, 'run.db'));
    db.prepare("UPDATE outcomes SET status = 'installed', code = 'OK' WHERE device_id = ?").run(failing.id);
    db.close();
    const r = certfleet(['replay', `#${failing.index}`, '--run', tampered]);
    expect(r.status).toBe(1);
    expect(r.stdout).toMatch(/IMEI certificate\s+installed OK\s+failed VARIABLE_MISSING\s+DIFFERENT/);
    expect(r.stdout).toContain('Not reproduced');
  });
});

describe('usage errors exit 2 with a clear message', () => {
  const cases: [string, () => string[], () => string | undefined, RegExp][] = [
    [
      'show: unknown device',
      () => ['show', 'device', 'ffffffff-none', '--run', runDir],
      () => undefined,
      /^error USAGE: No device "ffffffff-none" in this run/,
    ],
    [
      'replay: unknown device',
      () => ['replay', '#99', '--run', runDir],
      () => undefined,
      /^error USAGE: No device "#99"/,
    ],
    [
      'show: --run folder missing',
      () => ['show', 'device', '#0', '--run', join(work, 'nope')],
      () => undefined,
      /^error USAGE: No run folder .*nope: pass --run/,
    ],
    [
      'show: folder without run.db',
      () => ['show', 'device', '#0', '--run', work],
      () => undefined,
      /^error USAGE: .* is not a run folder \(it has no run.db\)/,
    ],
    [
      'show: no runs/ and no --run',
      () => ['show', 'device', '#0'],
      () => mkdtempSync(join(work, 'empty-')),
      /^error USAGE: No run folder under .*runs: run a scenario first/,
    ],
    [
      'replay: no runs/ and no --run',
      () => ['replay', '#0'],
      () => mkdtempSync(join(work, 'empty-')),
      /^error USAGE: No run folder under/,
    ],
  ];
  it.each(cases)('%s', (_label, args, cwd, message) => {
    const dir = cwd();
    const r = certfleet(args(), dir ? { cwd: dir } : {});
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(message);
    expect(r.stdout).toBe('');
  });
});

describe('fleet secret: passwords derived with HMAC(secret, client id)', () => {
  const secret = Buffer.from('a shared fleet secret for tests');
  const table = new SecretCredentialTable(secret);
  const cases: [string, string, string, string | undefined][] = [
    ['the service', 'mdm-service', derivePassword(secret, 'mdm-service'), 'service'],
    ['a connector', 'connector-2', derivePassword(secret, 'connector-2'), 'connector'],
    [
      'a device',
      'a1b2c3d4-0000-4000-8000-000000000001',
      derivePassword(secret, 'a1b2c3d4-0000-4000-8000-000000000001'),
      'device',
    ],
    ['a device with another device’s password', 'dev-a', derivePassword(secret, 'dev-b'), undefined],
    [
      'a password from another secret',
      'dev-a',
      derivePassword(Buffer.from('another secret, not ours'), 'dev-a'),
      undefined,
    ],
    ['a name that is not a topic segment', 'dev/a', derivePassword(secret, 'dev/a'), undefined],
  ];
  it.each(cases)('%s', (_label, user, password, role) => {
    const identity = table.verify(user, password);
    expect(identity?.role).toBe(role);
    if (role) expect(identity?.name).toBe(user);
    if (role) expect(roleOfClientId(user)).toBe(role);
  });
});
