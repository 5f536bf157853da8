/**
 * Issue 10 points 2 and 3 — fault tests on the fleet engine through the real CLI, in separate processes:
 * `certfleet broker --data DIR` + `serve --hosts 1` + `agents --shard 0/1` on the engine-equivalence
 * scenario (8 devices, 10 days: renewals, a connector outage, offline windows, a retire). Mid-run — once
 * the progress line shows enrolled devices, never after a fixed sleep — the broker is killed with SIGKILL
 * and started again on the same port and folder. The run must complete (exit 0): every planned device has
 * its rows, none never enrolled or never answered, nothing pending, and run.db shows no certificate issued
 * twice for one device × profile (one initial issuance each; renewals apart).
 *
 * Embedded aedes (SQLite persistence) always; Mosquitto (its persistence database) when it is installed.
 * An `agents` process killed the same way rejoins with the same command — with `--key-pool` on both sides,
 * and no public key on two certificates of the run (the restarted host goes on after the position it saved
 * in its agents.db instead of from the top of its share). A killed `serve` resumes on its folder
 * (issue10-serve-restart.test.ts).
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateDevice } from '../../agent/device/generate.ts';
import { freePort } from '../../simulator/broker/free-port.ts';
import { loadScenario, planFleet } from '../../simulator/scenario/index.ts';
import { KEY_POOL_PASSPHRASE_ENV } from '../../simulator/tools/key-pool/key-pool.ts';
import {
  killAll,
  startCli,
  waitForOutput as waitFor,
  type CliProcess as Child,
} from './fixtures/cli-process.ts';
import { certificateKeys } from './fixtures/certificate-keys.ts';
import { makeRunKeyPool, RUN_KEY_POOL_PASSPHRASE } from './fixtures/run-key-pool.ts';

const SCENARIO = resolve(import.meta.dirname, 'fixtures/engine-equivalence.yaml');
const SECRET = 'issue10-faults-secret-0123456789abcdef';
const HAS_MOSQUITTO = !spawnSync('mosquitto', ['-h'], { stdio: 'ignore' }).error;

function start(args: string[], cwd: string): Child {
  return startCli(args, {
    cwd,
    env: { CERTFLEET_FLEET_SECRET: SECRET, [KEY_POOL_PASSPHRASE_ENV]: RUN_KEY_POOL_PASSPHRASE },
  });
}

let work: string;
let planned: string[];
beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'certfleet-i10-faults-'));
  planned = planFleet(loadScenario(SCENARIO)).map((p) => generateDevice(p.generate).id);
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

interface Report {
  passed: boolean;
  outcomes: { device: string; profile: string; status: string; code: string }[];
  events: { type: string; device?: string }[];
}

/**
 * A split run whose broker (or agents process) is SIGKILLed mid-run and started again with the same
 * command; returns the serve folder.
 */
async function killedRun(
  name: string,
  victim: 'broker' | 'agents',
  brokerArgs: string[] = [],
  sideArgs: string[] = [],
): Promise<string> {
  const dir = mkdtempSync(join(work, `${name}-`));
  copyFileSync(SCENARIO, join(dir, 'eq.yaml'));
  const port = await freePort();
  const brokerCmd = ['broker', '--port', String(port), '--data', 'broker-data', ...brokerArgs];
  const children: Child[] = [];
  try {
    const broker = start(brokerCmd, dir);
    children.push(broker);
    await waitFor(broker, /listening on mqtt:/, 30_000);
    const common = ['--scenario', 'eq.yaml', '--broker', `mqtt://127.0.0.1:${port}`, ...sideArgs];
    const hostCmd = ['agents', ...common, '--shard', '0/1', '--out', 'agents-0'];
    const serve = start(['serve', ...common, '--hosts', '1', '--out', 'serve'], dir);
    let host = start(hostCmd, dir);
    children.push(serve, host);
    await waitFor(serve, new RegExp(`enrolled [1-9]\\d*/${planned.length}`), 180_000);
    // mid-run: the run has not ended (it cannot end without the victim from here on)
    expect(serve.proc.exitCode, serve.out()).toBeNull();
    expect(serve.out()).not.toMatch(/Reports: /);
    const killed = victim === 'broker' ? broker : host;
    await killAll([killed]);
    if (victim === 'broker') {
      const again = start(brokerCmd, dir);
      children.push(again);
      await waitFor(again, /listening on mqtt:/, 30_000);
    } else {
      host = start(hostCmd, dir);
      children.push(host);
    }
    // bounded only against a hang, so that a stuck run says where each side stood (not a timing assertion)
    let hang: NodeJS.Timeout | undefined;
    const codes = await Promise.race([
      Promise.all([serve.exited, host.exited]),
      new Promise<never>((_, reject) => {
        hang = setTimeout(() => {
          const stuck =
            `serve and agents had not ended 300 s after the ${victim} restarted; output:\n` +
            children.map((c) => c.out().slice(-4000)).join('\n---\n');
          // also on stderr: an attempt that fails and then passes on retry shows no error in the report,
          // and this is the only record of where each side stood
          console.error(stuck);
          reject(new Error(stuck));
        }, 300_000);
      }),
    ]).finally(() => clearTimeout(hang)); // a run that ended in time must not be reported stuck later
    expect(codes, children.map((c) => c.out()).join('\n---\n')).toEqual([0, 0]);
    if (victim === 'agents') expect(serve.out()).toMatch(/host fleet-host-0 \(shard 0\/1\) rejoined/);
    return join(dir, 'serve');
  } finally {
    await killAll(children);
  }
}

/**
 * What every fault must leave: all devices reached (a row for each, but for those the retire action
 * retired: their rows leave the report), nothing pending, nothing issued twice.
 */
function expectNothingLost(serveDir: string): void {
  const report = JSON.parse(readFileSync(join(serveDir, 'report.json'), 'utf8')) as Report;
  expect(report.passed).toBe(true);
  const retired = new Set(report.events.filter((e) => e.type === 'retired').map((e) => e.device));
  expect(retired.size).toBeGreaterThan(0);
  expect(new Set(report.outcomes.map((o) => o.device))).toEqual(
    new Set(planned.filter((id) => !retired.has(id))),
  );
  const stuck = report.outcomes.filter(
    (o) => o.status === 'pending' || o.code === 'DEVICE_NEVER_ENROLLED' || o.code === 'DEVICE_NO_ANSWER',
  );
  expect(stuck).toEqual([]);
  const db = new Database(join(serveDir, 'run.db'), { readonly: true });
  try {
    const initial = db
      .prepare(
        `SELECT device_id, profile, COUNT(*) AS n FROM events
         WHERE type = 'issued' AND detail LIKE '%(initial)' GROUP BY device_id, profile`,
      )
      .all() as { device_id: string; profile: string; n: number }[];
    expect(initial.length).toBeGreaterThan(0);
    expect(initial.filter((r) => r.n > 1)).toEqual([]);
  } finally {
    db.close();
  }
}

describe('issue 10 points 2 and 3: an agents process SIGKILLed mid-run and started again', () => {
  it('rejoins; the run completes, every device installed, 0 lost, 0 issued twice; no pool key on two certificates', async () => {
    // a key pool on both sides (12 RSA keys of the fixture pool, none made here; 8 EC keys)
    const pool = await makeRunKeyPool(join(work, 'pool'), { rsa: 12, ec: 8, fixtureRsa: 12 });
    const serveDir = await killedRun('agents', 'agents', [], ['--key-pool', pool.dir]);
    expectNothingLost(serveDir);
    const keys = certificateKeys({
      caDir: join(serveDir, 'ca'),
      agentsDbs: [join(serveDir, '..', 'agents-0', 'agents.db')],
      devices: planned,
    });
    expect(keys.twice).toEqual([]);
    expect(keys.certificates).toBeGreaterThanOrEqual(planned.length * 2); // management + PKCS
    const report = JSON.parse(readFileSync(join(serveDir, 'report.json'), 'utf8')) as {
      metrics: { keys?: { fromPool: Record<string, number> } };
    };
    expect(report.metrics.keys?.fromPool['ec-p256'] ?? 0).toBeGreaterThan(0);
  }, 400_000);
});

describe('issue 10 points 2 and 3: the broker SIGKILLed mid-run and restarted on its --data folder', () => {
  // Once in about ten runs this run's clock stopped after the broker's restart. Looping this case (two at a
  // time, the kill at a random moment after the first enrolment, the engine's waits traced) found four
  // causes, each now fixed and tested on its own (docs/architecture.md "Faults"): broker.db dropped packet
  // identifiers (issue10-broker-data.test.ts), a connector took a lease delivered twice twice
  // (lease-duplicate-batch.test.ts), the transport dropped a PUBLISH written before its CONNACK
  // (publish-before-connack.test.ts), and aedes acknowledged a publish before it queued it
  // (broker-accepted-publish.test.ts). While they landed one by one, 5 of 136 runs failed (4 stopped, 1
  // ended RUN_STALLED: a lost message); with all four, none of 80. The retry stays as a guard until the
  // full suite has shown it clean; a first attempt that fails still prints where each side stood (the
  // bounded wait above).
  it(
    'embedded broker: the run completes, every device installed, 0 lost, 0 issued twice',
    { retry: 1, timeout: 400_000 },
    async () => {
      expectNothingLost(await killedRun('aedes', 'broker'));
    },
  );

  it.skipIf(!HAS_MOSQUITTO)(
    'Mosquitto with persistence: the run completes, every device installed, 0 lost, 0 issued twice',
    async () => {
      expectNothingLost(await killedRun('mosquitto', 'broker', ['--mosquitto', '--scenario', 'eq.yaml']));
    },
    400_000,
  );
});
