/**
 * The fleet engine end to end (issue 9 points 1, 3 and 6), through the real CLI in separate processes:
 * one scenario with renewals, a connector outage, offline windows and a retire action
 * (fixtures/engine-equivalence.yaml: 8 devices, 10 days — as small as still has all four) must end with the SAME outcome table — device, profile, status, code,
 * renewal count, virtual time — from `certfleet run` (one process), `run --workers 2` and `certfleet broker` +
 * `serve --hosts 2` + two `agents --shard i/2` processes, also with a CPU hog spinning on both cores beside
 * them; an agents process killed with SIGKILL and started again rejoins and the run completes with every
 * device's outcome; a shard that never joins is an error naming it after `--host-timeout`.
 *
 * The broker is `certfleet broker` (embedded aedes), or Mosquitto (`certfleet broker --mosquitto`) when
 * CERTFLEET_E2E_BROKER=mosquitto (.ci/run runs this file again that way). `run` and `run --workers 2` use no
 * broker of the test's (each starts its own embedded one), so on the Mosquitto pass only the reference `run`
 * is made again (what the split runs are compared with); the `--workers` tests ran in the embedded pass.
 *
 * The reference `run` generates its keys; every other run draws them from one key pool made once here
 * (`--key-pool`, each key at most once per run: README "A key pool"), so the tables below are also those of
 * pooled runs against a cold one, and the file generates about 470 fewer RSA keys (an agents process still
 * makes the keys its devices need beyond its share, one per device; measured alone: 114 → 105 s, 167 → 138 s of user CPU).
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadScenario, planFleet } from '../../simulator/scenario/index.ts';
import {
  startCli,
  running,
  startNode,
  stopAll,
  waitForOutput as waitFor,
  type CliProcess as Child,
} from './fixtures/cli-process.ts';
import { outcomeTable, storeSnapshot } from './fixtures/outcome-table.ts';
import { makeRunKeyPool } from './fixtures/run-key-pool.ts';
import { KEY_POOL_PASSPHRASE_ENV } from '../../simulator/tools/key-pool/key-pool.ts';

const SCENARIO = resolve(import.meta.dirname, 'fixtures/engine-equivalence.yaml');
const MOSQUITTO = process.env.CERTFLEET_E2E_BROKER === 'mosquitto';
const SECRET = 'engine-equivalence-secret-0123456789';
/**
 * The scenario's fleet size (8): the outcome table has one row per device (one profile), but for the devices
 * the retire action retired, whose rows leave the report.
 */
const DEVICES = planFleet(loadScenario(SCENARIO)).length;

/** The key pool of every run but the reference (made in beforeAll). */
let pool: { dir: string; passphrase: string } | undefined;

/** Starts `certfleet ...args`; a `run`, `serve` or `agents` draws its keys from the pool once it exists. */
function start(args: string[], cwd: string): Child {
  const env: Record<string, string> = { CERTFLEET_FLEET_SECRET: SECRET };
  if (pool && ['run', 'serve', 'agents'].includes(args[0] ?? '')) {
    env[KEY_POOL_PASSPHRASE_ENV] = pool.passphrase;
    return startCli([...args, '--key-pool', pool.dir], { cwd, env });
  }
  return startCli(args, { cwd, env });
}

/** The run folder holds no SQLite write-ahead files: run.db was closed (checkpointed), not left open. */
function expectNoWal(runDir: string): void {
  for (const f of ['run.db-wal', 'run.db-shm']) expect(existsSync(join(runDir, f)), f).toBe(false);
}

let work: string;
let reference: string[];
let referenceStores: string[];

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'certfleet-engine-'));
  copyFileSync(SCENARIO, join(work, 'eq.yaml'));
  const run = start(['run', '--scenario', 'eq.yaml', '--out', 'run'], work);
  expect(await run.exited, run.out()).toBe(0);
  reference = outcomeTable(join(work, 'run'));
  referenceStores = storeSnapshot(join(work, 'run'));
  // the reference run needs 41 RSA-2048 and 11 EC keys; a split run draws each process's share of the pool
  pool = await makeRunKeyPool(join(work, 'key-pool'), { rsa: 64, ec: 24 });
}, 240_000);

afterAll(() => {
  rmSync(work, { recursive: true, force: true });
});

/** Starts the broker of the split fleet; resolves with its URL. */
async function startBroker(dir: string): Promise<{ broker: Child; url: string }> {
  const broker = start(MOSQUITTO ? ['broker', '--mosquitto', '--scenario', 'eq.yaml'] : ['broker'], dir);
  const url = (await waitFor(broker, /listening on (mqtt:\/\/127\.0\.0\.1:\d+)/, 20_000))[1]!;
  return { broker, url };
}

/** Runs broker + serve --hosts 2 + two agents in `dir`; returns the serve folder. */
async function splitRun(dir: string, o: { hog?: boolean } = {}): Promise<string> {
  copyFileSync(SCENARIO, join(dir, 'eq.yaml'));
  const { broker, url } = await startBroker(dir);
  const children: Child[] = [broker];
  try {
    if (o.hog) {
      // a CPU hog on both cores for the run's duration: outcomes must not depend on the machine's load
      for (let i = 0; i < 2; i++) children.push(startNode(['-e', 'for(;;){}'], { cwd: dir }));
    }
    const common = ['--scenario', 'eq.yaml', '--broker', url];
    const serve = start(['serve', ...common, '--hosts', '2', '--out', 'serve'], dir);
    const hosts = [0, 1].map((i) =>
      start(['agents', ...common, '--shard', `${i}/2`, '--out', `agents-${i}`], dir),
    );
    children.push(serve, ...hosts);
    const codes = await Promise.all([serve.exited, ...hosts.map((h) => h.exited)]);
    expect(codes, [serve, ...hosts].map((c) => c.out()).join('\n---\n')).toEqual([0, 0, 0]);
    expect(serve.out()).toMatch(/host fleet-host-1 \(shard 1\/2\) joined/);
    return join(dir, 'serve');
  } finally {
    await stopAll(children);
  }
}

describe(`the fleet engine across processes (${MOSQUITTO ? 'Mosquitto' : 'embedded broker'})`, () => {
  it('the reference run has renewals, a retire and every device enrolled at some point', () => {
    expectNoWal(join(work, 'run'));
    // the key stores at the end: every enrolled device holds items (its management identity at least)
    expect(new Set(referenceStores.map((r) => r.split(' ')[0])).size).toBeGreaterThanOrEqual(DEVICES - 2);
    expect(reference.some((l) => / [12] \d{4}-/.test(l))).toBe(true); // renewal counts 1 or 2
    const db = new Database(join(work, 'run', 'run.db'), { readonly: true });
    try {
      const types = (db.prepare('SELECT DISTINCT type FROM events').all() as { type: string }[]).map(
        (r) => r.type,
      );
      expect(types).toEqual(expect.arrayContaining(['retired', 'connector-down', 'offline', 'renewed']));
      // a row per device, but for the retired ones (none of theirs is left)
      const retired = (
        db.prepare("SELECT device_id FROM events WHERE type = 'retired'").all() as { device_id: string }[]
      ).map((r) => r.device_id);
      expect(reference).toHaveLength(DEVICES - retired.length);
      expect(reference.filter((l) => retired.includes(l.split(' ')[0]!))).toEqual([]);
    } finally {
      db.close();
    }
  });

  it.skipIf(MOSQUITTO)(
    'run --workers 2 (two agent host child processes) gives the outcome table of run',
    async () => {
      const dir = mkdtempSync(join(work, 'workers-'));
      copyFileSync(SCENARIO, join(dir, 'eq.yaml'));
      const run = start(['run', '--scenario', 'eq.yaml', '--workers', '2', '--out', 'run'], dir);
      expect(await run.exited, run.out()).toBe(0);
      expect(outcomeTable(join(dir, 'run'))).toEqual(reference);
      for (const i of [0, 1])
        expect(existsSync(join(dir, 'run', 'hosts', String(i), 'agents.db'))).toBe(true);
      // the hosts' key stores are in run.db as run's are (show device, the reports' validity left)
      expect(storeSnapshot(join(dir, 'run'))).toEqual(referenceStores);
      expectNoWal(join(dir, 'run'));
      // run again into the same folder: the hosts start from fresh stores, as run does — same table
      const again = start(['run', '--scenario', 'eq.yaml', '--workers', '2', '--out', 'run'], dir);
      expect(await again.exited, again.out()).toBe(0);
      expect(outcomeTable(join(dir, 'run'))).toEqual(reference);
    },
    400_000,
  );

  it.skipIf(MOSQUITTO)(
    'run --workers 2 whose host child dies: a clean HOST_MISSING naming it, and no child left behind',
    async () => {
      const dir = mkdtempSync(join(work, 'workers-die-'));
      copyFileSync(SCENARIO, join(dir, 'eq.yaml'));
      const run = start(['run', '--scenario', 'eq.yaml', '--workers', '2', '--out', 'run'], dir);
      const hostDir = join(dir, 'run', 'hosts', '1');
      const pidsOf = (): number[] =>
        spawnSync('pgrep', ['-f', '--', hostDir], { encoding: 'utf8' })
          .stdout.split('\n')
          .filter(Boolean)
          .map(Number);
      try {
        const deadline = Date.now() + 60_000;
        while (pidsOf().length === 0 || !existsSync(join(hostDir, 'agents.db'))) {
          if (Date.now() > deadline) throw new Error(`host 1 never started:\n${run.out()}`);
          await new Promise((r) => setTimeout(r, 200));
        }
        // mid-run: the first progress line is out and the run has not ended
        await waitFor(run, /devices enrolled/, 60_000);
        expect(running(run), run.out()).toBe(true);
        for (const pid of pidsOf()) process.kill(pid, 'SIGKILL');
        const code = await run.exited;
        expect(code, run.out()).not.toBe(0);
        expect(run.out()).toMatch(/HOST_MISSING/);
        expect(run.out()).toMatch(/agent host 1\/2/);
        expect(spawnSync('pgrep', ['-f', '--', join(dir, 'run', 'hosts')]).status).toBe(1); // none left
      } finally {
        await stopAll([run]);
      }
    },
    200_000,
  );

  it('broker + serve --hosts 2 + two agents give the outcome table of run', async () => {
    const dir = mkdtempSync(join(work, 'split-'));
    const serveDir = await splitRun(dir);
    expect(outcomeTable(serveDir)).toEqual(reference);
    // the agents' key stores are in serve's run.db as run's are: they send them at the end over the clock protocol
    expect(storeSnapshot(serveDir)).toEqual(referenceStores);
    expectNoWal(serveDir);
  }, 300_000);

  it('…and the same table with a CPU hog spinning on both cores beside them', async () => {
    const dir = mkdtempSync(join(work, 'hog-'));
    expect(outcomeTable(await splitRun(dir, { hog: true }))).toEqual(reference);
  }, 400_000);

  it('an agents process killed with SIGKILL and started again rejoins; the run completes with nothing lost', async () => {
    const dir = mkdtempSync(join(work, 'kill-'));
    copyFileSync(SCENARIO, join(dir, 'eq.yaml'));
    const { broker, url } = await startBroker(dir);
    const children: Child[] = [broker];
    try {
      const common = ['--scenario', 'eq.yaml', '--broker', url];
      const serve = start(['serve', ...common, '--hosts', '2', '--out', 'serve'], dir);
      const args = (i: number): string[] => [
        'agents',
        ...common,
        '--shard',
        `${i}/2`,
        '--out',
        `agents-${i}`,
      ];
      const first = start(args(1), dir);
      const other = start(args(0), dir);
      children.push(serve, first, other);
      // mid-run: once the fleet has enrolled devices (the progress line), kill shard 1 without a chance to clean up
      await waitFor(serve, new RegExp(`enrolled [1-9]\\d*/${DEVICES}`), 120_000);
      first.proc.kill('SIGKILL');
      await first.exited;
      const second = start(args(1), dir);
      children.push(second);
      const codes = await Promise.all([serve.exited, other.exited, second.exited]);
      expect(codes, [serve, other, second].map((c) => c.out()).join('\n---\n')).toEqual([0, 0, 0]);
      expect(serve.out()).toMatch(/host fleet-host-1 \(shard 1\/2\) rejoined/);
      // nothing lost: every device × profile of the reference has its outcome, with the reference's status
      const got = outcomeTable(join(dir, 'serve')).map((l) => l.split(' ').slice(0, 3).join(' '));
      expect(got).toEqual(reference.map((l) => l.split(' ').slice(0, 3).join(' ')));
    } finally {
      await stopAll(children);
    }
  }, 300_000);

  it('a host that never joins: serve exits non-zero after --host-timeout, naming the missing shard', async () => {
    const dir = mkdtempSync(join(work, 'missing-'));
    copyFileSync(SCENARIO, join(dir, 'eq.yaml'));
    const { broker, url } = await startBroker(dir);
    const children: Child[] = [broker];
    try {
      const common = ['--scenario', 'eq.yaml', '--broker', url];
      const serve = start(['serve', ...common, '--hosts', '2', '--host-timeout', '3', '--out', 'serve'], dir);
      const only = start(['agents', ...common, '--shard', '0/2', '--out', 'agents-0'], dir);
      children.push(serve, only);
      const code = await serve.exited;
      expect(code, serve.out()).not.toBe(0);
      expect(serve.out()).toMatch(/HOST_MISSING/);
      expect(serve.out()).toMatch(/shard 1\/2/);
      // the host that did join is told the run ended, and exits non-zero too
      expect(await only.exited, only.out()).not.toBe(0);
    } finally {
      await stopAll(children);
    }
  }, 120_000);
});
