/**
 * Issue 10 point 3 — `serve` restarted on its folder destroyed its state: run.db deleted, a new CA with a
 * new root key, the issued certificates no longer on record — and the run passed. Now a `serve` SIGKILLed
 * mid-run and started again with the same command resumes from its saved state (service-state.db), while
 * the broker and the `agents` process keep running. What could be false:
 * - the restarted serve refuses, starts over (new CA root key, devices enrolled again), or never ends;
 * - a device ends without what the one-process `run` of the scenario installs (a message lost at the kill);
 * - a certificate is issued twice for one device × profile (an answer sent again is issued again), or the
 *   CA issued certificates the service never knew of;
 * - a folder that is another run's (another seed) is changed, or one without saved state is resumed;
 * - with `--key-pool` (issues 10/11): the resumed serve starts its share of the pool from the top again, so a
 *   key the killed one drew serves a second certificate, or its key counts cover the resumed process only.
 * - killed right after the CA issued for a connector and before the connector's result reached the service
 *   (CERTFLEET_FAULT_KILL_AFTER, simulator/fleet/fault-injection.ts), the resumed serve has that request
 *   issued a second time, or never delivers it.
 */
import { createHash } from 'node:crypto';
import {
  copyFileSync,
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KeyOrigins } from '../../simulator/run-model.ts';
import { readIssuedLog } from '../../simulator/service/ca/ca-folder.ts';
import { KEY_POOL_PASSPHRASE_ENV } from '../../simulator/tools/key-pool/key-pool.ts';
import { runFleet } from '../../simulator/fleet/run-fleet.ts';
import { loadScenario } from '../../simulator/scenario/index.ts';
import {
  running,
  startCli,
  stopAll,
  waitForOutput,
  waitForState,
  type CliProcess,
} from './fixtures/cli-process.ts';
import { certificateKeys } from './fixtures/certificate-keys.ts';
import { makeRunKeyPool } from './fixtures/run-key-pool.ts';

const SCENARIO = resolve(import.meta.dirname, 'fixtures/engine-equivalence.yaml');
const SECRET = 'issue10-serve-restart-secret-0123456789';
const DEVICES = 6;
const DAY = 86_400_000;

interface Report {
  passed: boolean;
  outcomes: { device: string; profile: string; status: string; code?: string; renewals?: number }[];
  events: { device?: string; profile?: string; type: string; detail: string }[];
  metrics: { keys?: KeyOrigins };
}

let work: string;
/** The key pool serve and agents draw from: the fixture pool's 12 RSA keys (none made here), 8 EC keys. */
let pool: { dir: string; passphrase: string };
const children: CliProcess[] = [];
function start(args: string[], env: Record<string, string> = {}): CliProcess {
  const c = startCli(args, {
    cwd: work,
    env: { CERTFLEET_FLEET_SECRET: SECRET, [KEY_POOL_PASSPHRASE_ENV]: pool.passphrase, ...env },
  });
  children.push(c);
  return c;
}
/** A small scenario for the kill between the CA's answer and the connector's result: one PKCS profile. */
const KILL_SCENARIO = `name: issue10-kill-after-ca
description: 4 devices, 1 day, one PKCS profile — serve killed between the CA's answer and the connector's result
seed: i10-kill-1
duration: 1d
checkInInterval: 8h
connectors: { count: 1, pollInterval: 30s, idleBackoff: 15m }
fleet:
  devices: 4
  ramp: 1h
  mix:
    - { platform: windows, kind: entra-joined, weight: 1 }
    - { platform: ios, kind: device, weight: 1, locked: false }
profiles:
  - name: Wi-Fi
    type: pkcs
    platforms: [windows, ios]
    template: CertfleetUser
    subject: 'CN={{UserPrincipalName}}'
`;

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'certfleet-i10-serve-'));
  copyFileSync(SCENARIO, join(work, 'eq.yaml'));
  writeFileSync(join(work, 'kill.yaml'), KILL_SCENARIO);
  pool = await makeRunKeyPool(join(work, 'pool'), { rsa: 12, ec: 8, fixtureRsa: 12 });
}, 60_000);

/** `p`, or a failure naming `what` and the processes' output after `ms` (a guard against a hang only). */
function within<T>(p: Promise<T>, ms: number, what: string, ...procs: CliProcess[]): Promise<T> {
  return Promise.race([
    p,
    new Promise<never>((_, reject) =>
      setTimeout(
        () =>
          reject(
            new Error(
              `${what} within ${ms / 1000} s:\n${procs.map((c) => c.out().slice(-3000)).join('\n---\n')}`,
            ),
          ),
        ms,
      ).unref(),
    ),
  ]);
}
afterAll(async () => {
  await stopAll(children, 'SIGKILL');
  rmSync(work, { recursive: true, force: true });
});

/** The checkpoint's position in `dir`/service-state.db, read through a second, read-only connection. */
function savedAt(dir: string): number | undefined {
  const path = join(dir, 'service-state.db');
  if (!existsSync(path)) return undefined;
  try {
    const db = new Database(path, { readonly: true, fileMustExist: true });
    try {
      return (db.prepare('SELECT at FROM position WHERE id = 1').get() as { at: number } | undefined)?.at;
    } finally {
      db.close();
    }
  } catch {
    return undefined; // being created
  }
}

/** Whether `dir`/service-state.db exists with its schema written. */
function savedState(dir: string): boolean {
  return savedAt(dir) !== undefined || tableIn(join(dir, 'service-state.db'), 'position');
}

/** Whether `dir`/run.db holds its run row. */
function runRow(dir: string): boolean {
  return tableIn(join(dir, 'run.db'), 'run', 'SELECT 1 FROM run WHERE id = 1');
}

/** Whether SQLite file `path` has table `table` (and `query` finds a row, when given). */
function tableIn(path: string, table: string, query?: string): boolean {
  if (!existsSync(path)) return false;
  try {
    const db = new Database(path, { readonly: true, fileMustExist: true });
    try {
      const has = db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?").get(table);
      return has !== undefined && (query === undefined || db.prepare(query).get() !== undefined);
    } finally {
      db.close();
    }
  } catch {
    return false;
  }
}

/** The folder's files (relative path → sha256), the CA folder included; SQLite's -shm index left out. */
function fingerprint(dir: string): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (d: string, rel: string): void => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      if (e.isDirectory()) walk(join(d, e.name), `${rel}${e.name}/`);
      else if (!e.name.endsWith('-shm'))
        out.set(
          `${rel}${e.name}`,
          createHash('sha256')
            .update(readFileSync(join(d, e.name)))
            .digest('hex'),
        );
    }
  };
  walk(dir, '');
  return out;
}

/** The details of the `issued` events in run.db `path` (read-only; the run's writer may be gone). */
function issuedEvents(path: string): string[] {
  const db = new Database(path, { readonly: true, fileMustExist: true });
  try {
    return (db.prepare("SELECT detail FROM events WHERE type = 'issued'").all() as { detail: string }[]).map(
      (r) => r.detail,
    );
  } finally {
    db.close();
  }
}

const sha256 = (file: string): string => createHash('sha256').update(readFileSync(file)).digest('hex');

async function brokerUrl(): Promise<string> {
  const broker = start(['broker']);
  return (await waitForOutput(broker, /listening on (mqtt:\/\/127\.0\.0\.1:\d+)/, 30_000))[1] as string;
}

describe('issue 10 point 3: a SIGKILLed serve started again on its folder resumes the run', () => {
  it('exit 0; every device installed what `run` installs; nothing issued twice; the same CA root key; no pool key on two certificates', async () => {
    const url = await brokerUrl();
    const common = [
      '--scenario',
      'eq.yaml',
      '--devices',
      String(DEVICES),
      '--broker',
      url,
      '--key-pool',
      pool.dir,
    ];
    const serveCmd = ['serve', ...common, '--hosts', '1', '--out', 'serve'];
    const dir = join(work, 'serve');
    const first = start(serveCmd);
    const agents = start(['agents', ...common, '--shard', '0/1', '--out', 'agents-0']);
    // progress on record: the checkpoint of an instant 2 days into the run (every device enrolled and
    // installed by then; renewals, the connector outage and the retire still ahead)
    const t0 = loadScenario(SCENARIO).start;
    await waitForState(
      'a checkpoint 2 days into the run',
      () => (savedAt(dir) ?? 0) >= t0 + 2 * DAY,
      240_000,
      first,
    );
    const rootKey = sha256(join(dir, 'ca', 'root.key'));
    first.proc.kill('SIGKILL');
    await first.exited;
    expect(existsSync(join(dir, 'report.json'))).toBe(false); // it did not get to the end

    const second = start(serveCmd);
    await waitForOutput(second, /resuming the unfinished run in .* at (\S+)/, 60_000);
    // bounded against a hang only, so that a stuck run says where each side stood
    const codes = await Promise.race([
      Promise.all([second.exited, agents.exited]),
      new Promise<never>((_, reject) =>
        setTimeout(
          () =>
            reject(
              new Error(
                `serve and agents had not ended 300 s after the restart:\n${second.out().slice(-4000)}\n---\n${agents.out().slice(-4000)}`,
              ),
            ),
          300_000,
        ).unref(),
      ),
    ]);
    expect(codes, `${second.out()}\n---\n${agents.out()}`).toEqual([0, 0]);
    expect(running(agents)).toBe(false);
    expect(second.out()).not.toMatch(/host \S+ \(shard \S+\) (re)?joined/); // the agents process followed the resumed run

    // the CA root key is the one the devices trust, and the saved state went with the finished run
    expect(sha256(join(dir, 'ca', 'root.key'))).toBe(rootKey);
    expect(existsSync(join(dir, 'service-state.db'))).toBe(false);

    // every device installed what the one-process run installs
    const served = JSON.parse(readFileSync(join(dir, 'report.json'), 'utf8')) as Report;
    const run = await runFleet({ scenario: SCENARIO, devices: DEVICES, out: join(work, 'run') });
    const table = (outcomes: Report['outcomes']): string[] =>
      outcomes.map((o) => [o.device, o.profile, o.status, o.code ?? ''].join(' ')).sort();
    expect(table(served.outcomes)).toEqual(table(run.result.outcomes));
    expect(served.outcomes.filter((o) => o.status === 'installed').length).toBeGreaterThanOrEqual(
      DEVICES - 2,
    );
    expect(served.passed).toBe(run.result.expectations.every((e) => e.held));

    // one certificate per device × profile apart from renewals, and none the service does not know of
    const issued = served.events.filter((e) => e.type === 'issued');
    const initial = new Map<string, number>();
    for (const e of issued.filter((e) => /\(initial\)/.test(e.detail))) {
      const key = `${e.device} ${e.profile}`;
      initial.set(key, (initial.get(key) ?? 0) + 1);
    }
    expect(initial.size).toBeGreaterThanOrEqual(DEVICES - 2);
    expect([...initial].filter(([, n]) => n > 1)).toEqual([]);
    const byTemplate = readIssuedLog(join(dir, 'ca')).filter((r) => r.template === 'CertfleetUser');
    expect(byTemplate.length).toBe(issued.length);
    expect(new Set(byTemplate.map((r) => r.serial)).size).toBe(byTemplate.length);

    // --key-pool: no public key on two certificates of the run — the CA's issued certificates (before and
    // after the kill) and what the devices hold (management identities and PKCS certificates)
    const keysOn = certificateKeys({
      caDir: join(dir, 'ca'),
      agentsDbs: [join(work, 'agents-0', 'agents.db')],
      devices: new Set(served.outcomes.map((o) => o.device)),
    });
    expect(keysOn.twice).toEqual([]);
    expect(byTemplate.filter((r) => r.certificate !== undefined).length).toBe(byTemplate.length);
    expect(keysOn.keys).toBeGreaterThan(byTemplate.length); // the PKCS keys and the devices' management keys
    // the report counts the keys of the whole run: the killed serve's draws too (its saved position),
    // so at least one RSA key per PKCS certificate issued before and after the kill
    const keys = served.metrics.keys;
    expect(keys?.reuse).toBe(false);
    expect(keys?.fromPool['rsa-2048'] ?? 0).toBeGreaterThan(0); // the run drew from the pool
    const rsa = (keys?.fromPool['rsa-2048'] ?? 0) + (keys?.fresh['rsa-2048'] ?? 0);
    expect(rsa).toBeGreaterThanOrEqual(byTemplate.length);
  }, 600_000);

  it('refuses another seed with RUN_STATE_MISMATCH and a folder without saved state with RUN_UNFINISHED, changing nothing', async () => {
    const url = await brokerUrl();
    const common = ['serve', '--scenario', 'eq.yaml', '--broker', url, '--hosts', '1', '--out', 'waiting'];
    const dir = join(work, 'waiting');
    // a serve waiting for its host has its run.db, its CA and its saved state: kill it there
    const first = start([...common, '--host-timeout', '300']);
    await waitForState(
      'run.db (its run row), the CA and service-state.db of the first serve',
      () => existsSync(join(dir, 'ca', 'root.key')) && savedState(dir) && runRow(dir),
      60_000,
      first,
    );
    first.proc.kill('SIGKILL');
    await first.exited;
    const before = fingerprint(dir);

    const otherSeed = start([...common, '--seed', 'another-seed', '--host-timeout', '5']);
    expect(await otherSeed.exited).toBe(1);
    expect(otherSeed.out()).toMatch(/RUN_STATE_MISMATCH/);
    expect(otherSeed.out()).toMatch(/another-seed/);
    expect(fingerprint(dir)).toEqual(before);

    // without its saved state (a killed one-process run keeps none) the folder cannot be resumed
    for (const f of ['service-state.db', 'service-state.db-wal', 'service-state.db-shm'])
      rmSync(join(dir, f), { force: true });
    const withoutState = fingerprint(dir);
    const again = start([...common, '--host-timeout', '5']);
    expect(await again.exited).toBe(1);
    expect(again.out()).toMatch(/RUN_UNFINISHED/);
    expect(again.out()).not.toMatch(/resuming/);
    expect(fingerprint(dir)).toEqual(withoutState);
    expect(existsSync(join(dir, 'junit.xml'))).toBe(false);
  }, 240_000);

  it('killed right after the CA issued for a connector, before its result reached the service: resumed, every device installs, nothing issued twice', async () => {
    const url = await brokerUrl();
    const devices = 4;
    const common = ['--scenario', 'kill.yaml', '--devices', String(devices), '--broker', url];
    const serveCmd = ['serve', ...common, '--hosts', '1', '--out', 'killed'];
    const dir = join(work, 'killed');
    // the same command and environment both times: the fault fires once (the CA's 2nd issuance for a
    // connector is on disk; the resumed serve is past it)
    const fault = { CERTFLEET_FAULT_KILL_AFTER: 'ca-issued:2' };
    const first = start(serveCmd, fault);
    const agents = start(['agents', ...common, '--shard', '0/1', '--out', 'agents-killed']);
    const code = await within(first.exited, 240_000, 'serve did not kill itself', first, agents);
    expect(code, first.out()).toBeNull(); // SIGKILL, not an exit
    expect(first.out()).toMatch(/CERTFLEET_FAULT_KILL_AFTER: the CA issued its certificate number 2/);
    expect(existsSync(join(dir, 'report.json'))).toBe(false);
    const atKill = readIssuedLog(join(dir, 'ca')).filter((r) => r.requestId !== undefined);
    expect(atKill).toHaveLength(2);
    const killedRequest = atKill[1]!;
    // what the service had recorded issued at the kill: not the 2nd (its result never reached it)
    const issuedAtKill = issuedEvents(join(dir, 'run.db'));
    expect(issuedAtKill.some((d) => d.includes(killedRequest.serial))).toBe(false);

    const second = start(serveCmd, fault);
    await within(
      waitForOutput(second, /resuming the unfinished run in .* at (\S+)/, 60_000),
      90_000,
      'serve did not resume',
      second,
    );
    const codes = await within(
      Promise.all([second.exited, agents.exited]),
      300_000,
      'serve and agents had not ended after the restart',
      second,
      agents,
    );
    expect(codes, `${second.out()}\n---\n${agents.out()}`).toEqual([0, 0]);
    expect(second.out()).not.toMatch(/CERTFLEET_FAULT_KILL_AFTER/);

    // every device installed its certificate
    const report = JSON.parse(readFileSync(join(dir, 'report.json'), 'utf8')) as Report;
    expect(report.outcomes).toHaveLength(devices);
    expect(report.outcomes.map((o) => o.status)).toEqual(report.outcomes.map(() => 'installed'));
    // the CA's issuances for connectors are the service's issued events, one per device × profile, and
    // one per request: the killed request's certificate is the one delivered, not a second one
    const issued = report.events.filter((e) => e.type === 'issued');
    const byConnectors = readIssuedLog(join(dir, 'ca')).filter((r) => r.template === 'CertfleetUser');
    expect(byConnectors).toHaveLength(devices);
    expect(issued).toHaveLength(byConnectors.length);
    expect(new Set(byConnectors.map((r) => r.serial)).size).toBe(byConnectors.length);
    expect(new Set(byConnectors.map((r) => r.requestId)).size).toBe(byConnectors.length);
    expect(new Set(issued.map((e) => `${e.device} ${e.profile}`)).size).toBe(devices);
    for (const r of byConnectors)
      expect(issued.filter((e) => e.detail.includes(`certificate ${r.serial} `))).toHaveLength(1);
    expect(issued.some((e) => e.detail.includes(`certificate ${killedRequest.serial} `))).toBe(true);
    expect(existsSync(join(dir, 'service-state.db'))).toBe(false);
  }, 600_000);
});
