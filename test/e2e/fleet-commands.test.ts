/**
 * The fleet commands of issue 5 beside `certfleet run`: `show device`, `replay`, `broker`, `serve` and
 * `agents`, through the real CLI (bin/certfleet.mjs) on a small run made in beforeAll.
 */
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StoreDb } from '../../agent/keystore/store-db.ts';
import { runFleet } from '../../simulator/fleet/run-fleet.ts';
import { showDevice } from '../../simulator/fleet/show-device.ts';
import { derivePassword, roleOfClientId, SecretCredentialTable } from '../../simulator/fleet/fleet-secret.ts';
import type { DeviceSummary, RunResult } from '../../simulator/run-model.ts';
import { certfleet, type CliResult } from './fixtures/certfleet-cli.ts';
import {
  startCli,
  stopAll,
  waitForOutput as waitFor,
  type CliProcess as Child,
} from './fixtures/cli-process.ts';

/**
 * `show device` in the test's own process: showDevice (simulator/fleet/show-device.ts) is all the CLI handler
 * calls. For the story's content; the CLI process itself (exit code, stderr) is checked by one query below.
 */
function showInProcess(id: string, json: boolean): CliResult {
  const text = showDevice({ device: id, run: runDir, json, color: false }).text;
  return { status: 0, signal: null, stdout: text, stderr: '' };
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
  const show = async (id: string, json: boolean) =>
    certfleet(['show', 'device', id, '--run', runDir, ...(json ? ['--json'] : [])]);
  // the first query through the real CLI (bin/certfleet.mjs), the others in-process (same function)
  const queries: [string, (d: DeviceSummary) => string, typeof show][] = [
    ['a unique prefix (CLI process)', (d) => d.id.slice(0, 8), show],
    ['#index', (d) => `#${d.index}`, async (id, json) => showInProcess(id, json)],
    [
      'the full id (upper case prefix)',
      (d) => d.id.slice(0, 12).toUpperCase(),
      async (id, json) => showInProcess(id, json),
    ],
  ];

  describe.each(queries)('by %s', (_label, query, run) => {
    it.each(['failing', 'installing'] as const)('prints the %s device as text', async (which) => {
      const d = which === 'failing' ? failing : installing;
      const r = await run(query(d), false);
      expect(r.stderr).toBe('');
      expect(r.status).toBe(0);
      expect(r.stdout).toContain(`Device ${d.id} (#${d.index})`);
      expect(r.stdout).toMatch(/Key stores \(end of run\)[\s\S]*CN=Certfleet Root CA/);
      if (which === 'failing') expect(r.stdout).toMatch(/IMEI certificate\s+failed\s+VARIABLE_MISSING/);
      else expect(r.stdout).toMatch(/IMEI certificate\s+installed\s+OK/);
      expect(r.stdout).toMatch(/Timeline\n.*enrolled/);
    });

    it('prints JSON with attributes, stores, outcomes and timeline', async () => {
      const r = await run(query(failing), true);
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

  it('finds the newest run under runs/ when --run is not given', async () => {
    const cwd = join(work, 'cwd-with-runs');
    mkdirSync(join(cwd, 'runs'), { recursive: true });
    cpSync(runDir, join(cwd, 'runs', 'only-run'), { recursive: true });
    const r = await certfleet(['show', 'device', `#${failing.index}`], { cwd });
    expect(r.status).toBe(0);
    expect(r.stdout).toContain(failing.id);
  });
});

describe('certfleet replay', () => {
  it('re-runs the failing device alone and reproduces its outcomes (exit 0)', async () => {
    const out = join(work, 'replay-ok');
    const r = await certfleet(['replay', failing.id.slice(0, 10), '--run', runDir, '--out', out, '--json']);
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

  it('says so and exits 1 when the run recorded other outcomes than the replay gets', async () => {
    const tampered = join(work, 'tampered');
    cpSync(runDir, tampered, { recursive: true });
    const db = new Database(join(tampered, 'run.db'));
    db.prepare("UPDATE outcomes SET status = 'installed', code = 'OK' WHERE device_id = ?").run(failing.id);
    db.close();
    const r = await certfleet(['replay', `#${failing.index}`, '--run', tampered]);
    expect(r.status).toBe(1);
    expect(r.stdout).toMatch(/IMEI certificate\s+installed OK\s+failed VARIABLE_MISSING\s+DIFFERENT/);
    expect(r.stdout).toContain('Not reproduced');
  });
});

// Concurrent: every case is refused before it writes anything, so one CLI's start-up (~1 s of CPU) overlaps
// another's on the other core.
describe('usage errors exit 2 with a clear message', { concurrent: true }, () => {
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
  it.each(cases)('%s', async (_label, args, cwd, message) => {
    const dir = cwd();
    const r = await certfleet(args(), dir ? { cwd: dir } : {});
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
    [
      'the fleet engine’s coordinator control client',
      'fleet-clock',
      derivePassword(secret, 'fleet-clock'),
      'service',
    ],
    ['an agent host’s control client', 'fleet-host-3', derivePassword(secret, 'fleet-host-3'), 'host'],
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

function start(args: string[], env: Record<string, string>, cwd: string): Child {
  return startCli(args, { cwd, env });
}

/** Six devices on three platforms, two hours of virtual time. */
const SPLIT_SCENARIO = `name: split-tiny
description: six devices for the split-fleet test
seed: split-1
duration: 2h
fleet:
  devices: 6
  mix:
    - { platform: windows, kind: entra-joined, weight: 1 }
    - { platform: ios, kind: device, weight: 1 }
    - { platform: android, kind: fully-managed, weight: 1 }
profiles:
  - name: Root
    type: trusted-certificate
    platforms: all
    certificate: root
  - name: Device cert
    type: pkcs
    platforms: [windows, ios, android-device-owner]
    template: CertfleetDevice
    certificateType: device
    subject: 'CN={{DeviceId}}'
expect:
  - text: every device installs both
    status: installed
`;

describe('certfleet broker + serve + agents (three processes, one broker, loopback)', () => {
  it('the agents of two shards hold the certificates the service reports installed, and serve’s run folder their key stores', async () => {
    const dir = mkdtempSync(join(work, 'split-'));
    writeFileSync(join(dir, 'split.yaml'), SPLIT_SCENARIO);
    const env = { CERTFLEET_FLEET_SECRET: 'split-fleet-test-secret-0123456789' };
    const broker = start(['broker'], env, dir);
    const children: Child[] = [broker];
    try {
      const url = (await waitFor(broker, /listening on (mqtt:\/\/127\.0\.0\.1:\d+)/, 15_000))[1]!;
      // the shared virtual clock (issue 9): serve coordinates the two agent hosts; no epoch, no time scale
      const common = ['--scenario', 'split.yaml', '--broker', url];
      const serve = start(['serve', ...common, '--hosts', '2', '--out', 'serve'], env, dir);
      const shards = [0, 1].map((i) =>
        start(['agents', ...common, '--shard', `${i}/2`, '--out', `agents-${i}`, '--json'], env, dir),
      );
      children.push(serve, ...shards);
      const codes = await Promise.all([serve.exited, ...shards.map((s) => s.exited)]);
      expect(codes, [serve, ...shards].map((c) => c.out()).join('\n---\n')).toEqual([0, 0, 0]);

      // the service side: every device × profile installed
      const report = JSON.parse(readFileSync(join(dir, 'serve', 'report.json'), 'utf8')) as {
        outcomes: { device: string; profile: string; status: string }[];
      };
      expect(report.outcomes).toHaveLength(12);
      expect(report.outcomes.filter((o) => o.status !== 'installed')).toEqual([]);

      // the agents' side: each shard ran its own devices (index mod 2), and their stores hold the certificates
      const seen = new Set<string>();
      for (const [i, shard] of shards.entries()) {
        const run = JSON.parse(shard.out().slice(shard.out().indexOf('{'))) as {
          devices: { id: string; index: number; enrolled: boolean }[];
        };
        expect(run.devices.map((d) => d.index % 2)).toEqual([i, i, i]);
        const db = StoreDb.open(join(dir, `agents-${i}`, 'agents.db'), { publicOnly: true });
        try {
          for (const d of run.devices) {
            seen.add(d.id);
            expect(d.enrolled).toBe(true);
            // the management identity (mdm/identity) is not a profile's: look at the platform's stores
            const items = db.items(d.id).filter((it) => it.store !== 'mdm/identity');
            expect(items.map((it) => it.subject)).toContain('CN=Certfleet Root CA,O=Certfleet,C=US');
            expect(
              items
                .filter((it) => it.kind === 'identity' || it.kind === 'certificate')
                .map((it) => it.subject),
            ).toContain(`CN=${d.id}`);
          }
        } finally {
          db.close();
        }
      }
      expect([...seen].sort()).toEqual([...new Set(report.outcomes.map((o) => o.device))].sort());

      // serve's run folder holds those key stores too, as run's and run --workers' do: the agents send them
      // at the end over the clock protocol, public facts only (what run.db keeps), into serve's run.db
      const serveDir = join(dir, 'serve');
      const publicRow = (i: {
        deviceId: string;
        store: string;
        kind: string;
        ref: string;
        subject: string;
        issuer: string;
        thumbprint: string;
        notBefore: string;
        notAfter: string;
      }): string =>
        [
          i.deviceId,
          i.store,
          i.kind,
          i.ref,
          i.subject,
          i.issuer,
          i.thumbprint.toUpperCase(),
          i.notBefore,
          i.notAfter,
        ].join(' | ');
      const agentRows: string[] = [];
      for (const i of [0, 1]) {
        const db = StoreDb.open(join(dir, `agents-${i}`, 'agents.db'), { publicOnly: true });
        try {
          for (const id of seen) agentRows.push(...db.items(id).map(publicRow));
        } finally {
          db.close();
        }
      }
      const runDb = new Database(join(serveDir, 'run.db'), { readonly: true });
      const serveRows = (
        runDb
          .prepare(
            'SELECT device_id AS deviceId, store, kind, ref, subject, issuer, thumbprint, not_before AS notBefore, not_after AS notAfter FROM store_items',
          )
          .all() as Parameters<typeof publicRow>[0][]
      ).map(publicRow);
      // no secret crosses into run.db with them: attributes keep no secret-looking key (as run's snapshot)
      const attrs = runDb.prepare('SELECT attrs FROM store_items').all() as { attrs: string }[];
      runDb.close();
      const keysOf = (v: unknown): string[] =>
        typeof v === 'object' && v !== null ? Object.entries(v).flatMap(([k, x]) => [k, ...keysOf(x)]) : [];
      for (const a of attrs) {
        expect(
          keysOf(JSON.parse(a.attrs)).filter((k) => /pass|secret|private|pkcs8|pfx|token/i.test(k)),
        ).toEqual([]);
      }
      expect(agentRows.length).toBeGreaterThanOrEqual(6 * 3); // management identity, root, device cert
      expect(serveRows.sort()).toEqual(agentRows.sort());
      // show device reads them (#1: a device of shard 1)
      const story = showDevice({ device: '#1', run: serveDir, json: false, color: false }).text;
      expect(story).toMatch(/Key stores \(end of run\)\n(?!.*\(empty\))[\s\S]*CN=Certfleet Root CA/);
      // and report.json's validity left counts every device's PKCS certificate
      const time = (
        JSON.parse(readFileSync(join(serveDir, 'report.json'), 'utf8')) as {
          time: { fromRunDb: boolean; validity: { certificates: unknown[]; byProfile: unknown[] } };
        }
      ).time;
      expect(time.fromRunDb).toBe(true);
      expect(time.validity.certificates).toHaveLength(6);
      expect(time.validity.byProfile).toEqual([
        expect.objectContaining({ profile: 'Device cert', certificates: 6, expired: 0 }),
      ]);
    } finally {
      await stopAll(children);
    }
    expect(broker.out()).toContain('certfleet broker stopped (SIGINT)');
  }, 60_000);
});
