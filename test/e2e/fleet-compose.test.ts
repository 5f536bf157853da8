/**
 * Issue 9 point 4: `certfleet run`, `serve` and `agents` are built from the same parts
 * (simulator/fleet/compose/). What could be false:
 * - `serve` and `agents` leak what they started when their start fails (RunDb.create, StoreDb.open, a
 *   connected service), hang instead of exiting, or leave a run folder that does not say what happened;
 * - `run` fails mid-run without releasing its clients or saying so in run.db;
 * - `agents` still does not record the device-side events `run` records (renewal-deferred).
 *
 * On a failed start the run folder says what happened: run.db holds a `run-failed` event with the error's
 * code and message, its run row stays unfinished, and the database is closed (no `-wal`/`-shm` left, no
 * reports written). The agents' key stores are closed the same way and kept (they may hold identities).
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmbeddedBroker } from '../../simulator/broker/embedded-broker.ts';
import { DEVICE_EVENTS_FILE, readDeviceEvents } from '../../simulator/fleet/compose/device-event-log.ts';
import { TENANT } from '../../simulator/fleet/compose/service-side.ts';
import { startFleetBroker } from '../../simulator/fleet/fleet-broker.ts';
import { derivedAccount } from '../../simulator/fleet/fleet-secret.ts';
import { runFleet } from '../../simulator/fleet/run-fleet.ts';
import { coordinateFleet, hostShard } from '../../simulator/fleet/engine-fleet.ts';
import { loadScenario, planConnectors, planFleet } from '../../simulator/scenario/index.ts';

const BIN = resolve(import.meta.dirname, '../../bin/certfleet.mjs');
/** Only a guard against a hung process; never what a test asserts on (it asserts `signal === null`). */
const HANG_GUARD_MS = 90_000;
const SECRET = 'fleet-compose-test-secret-0123456789';

interface CliResult {
  status: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  ms: number;
}

/** Runs the CLI without blocking this process's event loop (a broker of the test may live in it). */
function certfleet(args: string[], cwd: string): Promise<CliResult> {
  const env: Record<string, string> = { NO_COLOR: '1', CERTFLEET_FLEET_SECRET: SECRET };
  for (const [k, v] of Object.entries(process.env))
    if (v !== undefined && !k.startsWith('CERTFLEET_')) env[k] = v;
  const started = Date.now();
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { cwd, env });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString('utf8')));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString('utf8')));
    const guard = setTimeout(() => child.kill('SIGKILL'), HANG_GUARD_MS);
    child.on('error', reject);
    child.on('close', (status, signal) => {
      clearTimeout(guard);
      resolvePromise({ status, signal, stdout, stderr, ms: Date.now() - started });
    });
  });
}

/** A loopback port nothing listens on (bound, then released). */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as { port: number };
  await new Promise<void>((r) => server.close(() => r()));
  return port;
}

/** Four devices on two platforms, a root and a PKCS certificate, one virtual hour. */
const SMALL = `name: compose-small
seed: compose-1
duration: 1h
fleet:
  devices: 4
  mix:
    - { platform: windows, kind: entra-joined, weight: 1 }
    - { platform: android, kind: fully-managed, weight: 1 }
profiles:
  - name: Root
    type: trusted-certificate
    platforms: all
    certificate: root
  - name: Device cert
    type: pkcs
    platforms: [windows, android-device-owner]
    template: CertfleetDevice
    certificateType: device
    subject: 'CN={{DeviceId}}'
`;

/**
 * Three locked iPhones with a 5-day certificate and a 99 % renewal threshold: the renewal is due about an
 * hour after the install, the phones stay locked (unlock after 30 days), so each check-in from then on
 * defers it (RENEWAL_DEFERRED_LOCKED) — a device-side event only the agent sees.
 */
const LOCKED = `name: compose-locked
seed: compose-locked-1
duration: 2h
checkInInterval: 10m
fleet:
  devices: 3
  ramp: 5m
  lockedApple: { share: 0, unlockAfter: 30d }
  mix:
    - { platform: ios, kind: device, weight: 1, locked: true, tags: [locked] }
profiles:
  - name: Root
    type: trusted-certificate
    platforms: [ios]
    certificate: root
  - name: Short-lived
    type: pkcs
    platforms: [ios]
    template: CertfleetUser
    subject: 'CN={{UserPrincipalName}}'
    validity: 5d
    renewalThreshold: 99
`;

let work: string;
beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'certfleet-compose-'));
  writeFileSync(join(work, 'small.yaml'), SMALL);
  writeFileSync(join(work, 'locked.yaml'), LOCKED);
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** What a run folder's run.db says: its run-failed events, whether the run finished, leftover WAL files. */
function runFolderState(dir: string): { failures: string[]; finished: boolean; walLeft: boolean } {
  // before opening it: reading a WAL database makes its -shm file
  const walLeft = existsSync(join(dir, 'run.db-wal')) || existsSync(join(dir, 'run.db-shm'));
  const db = new Database(join(dir, 'run.db'), { readonly: true });
  try {
    const failures = (
      db.prepare("SELECT detail FROM events WHERE type = 'run-failed'").all() as { detail: string }[]
    ).map((r) => r.detail);
    const run = db.prepare('SELECT finished_at FROM run').get() as { finished_at: string | null } | undefined;
    return { failures, finished: run?.finished_at != null, walLeft };
  } finally {
    db.close();
  }
}

describe('certfleet serve: a start that fails releases what it started', { timeout: 120_000 }, () => {
  it('the broker cannot be reached (after run.db was created): exit 1 by itself, and run.db says why', async () => {
    const port = await closedPort();
    const out = join(work, 'serve-unreachable');
    const r = await certfleet(
      ['serve', '--scenario', 'small.yaml', '--broker', `mqtt://127.0.0.1:${port}`, '--out', out],
      work,
    );
    expect(r.signal).toBeNull(); // the process ended on its own: nothing kept it alive
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(
      new RegExp(
        `^error TRANSPORT_UNREACHABLE: Cannot reach the MQTT broker at mqtt://127\\.0\\.0\\.1:${port} \\(ECONNREFUSED\\)`,
        'm',
      ),
    );
    expect(r.stdout).toBe('');
    const state = runFolderState(out);
    expect(state.failures).toEqual([
      expect.stringMatching(/^TRANSPORT_UNREACHABLE: Cannot reach the MQTT broker/),
    ]);
    expect(state.finished).toBe(false);
    expect(state.walLeft).toBe(false);
    expect(existsSync(join(out, 'report.json'))).toBe(false);
  });

  it('the service connected, the connectors are refused: exit 1 by itself, no client left on the broker', async () => {
    // knows the service, not the connectors: the start fails after the service connected and subscribed
    const broker = await startEmbeddedBroker({
      tenant: TENANT,
      credentials: [derivedAccount(Buffer.from(SECRET, 'utf8'), 'mdm-service')],
    });
    try {
      const out = join(work, 'serve-half');
      const r = await certfleet(
        ['serve', '--scenario', 'small.yaml', '--broker', broker.url, '--out', out],
        work,
      );
      expect(r.signal).toBeNull();
      expect(r.status).toBe(1);
      expect(r.stderr).toMatch(/^error TRANSPORT_NOT_AUTHORIZED: .*client 'connector-1'/m);
      expect(broker.identityOf('mdm-service')).toBeUndefined();
      const state = runFolderState(out);
      expect(state.failures).toEqual([expect.stringMatching(/^TRANSPORT_NOT_AUTHORIZED: .*connector-1/)]);
      expect(state.finished).toBe(false);
      expect(state.walLeft).toBe(false);
    } finally {
      await broker.close();
    }
  });
});

describe('certfleet agents: a start that fails releases what it started', { timeout: 120_000 }, () => {
  it('the broker cannot be reached (after agents.db was opened): exit 1 by itself, key stores closed and kept', async () => {
    const port = await closedPort();
    const out = join(work, 'agents-unreachable');
    const r = await certfleet(
      ['agents', '--scenario', 'small.yaml', '--broker', `mqtt://127.0.0.1:${port}`, '--out', out],
      work,
    );
    expect(r.signal).toBeNull();
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(
      /^error TRANSPORT_UNREACHABLE: Cannot reach the MQTT broker at mqtt:\/\/127\.0\.0\.1:\d+ \(ECONNREFUSED\)/m,
    );
    expect(r.stdout).toBe('');
    // the store was opened (the failure came after it) and closed cleanly: checkpointed, no WAL left
    expect(existsSync(join(out, 'agents.db'))).toBe(true);
    expect(existsSync(join(out, 'agents.db-wal'))).toBe(false);
    expect(existsSync(join(out, 'agents.db-shm'))).toBe(false);
    expect(readFileSync(join(out, DEVICE_EVENTS_FILE), 'utf8')).toBe('');
  });
});

describe('certfleet run: a failure during the run', { timeout: 120_000 }, () => {
  it('devices the broker refuses: the run rejects, no client is left connected, run.db records why', async () => {
    const secret = Buffer.from(SECRET, 'utf8');
    const scenario = loadScenario(join(work, 'small.yaml'));
    // the service and the connectors may log in, the devices may not: the run fails at the first enrolment
    const broker = await startEmbeddedBroker({
      tenant: TENANT,
      credentials: [
        derivedAccount(secret, 'mdm-service'),
        ...planConnectors(scenario).map((c) => derivedAccount(secret, c.id)),
      ],
    });
    try {
      const out = join(work, 'run-refused');
      await expect(
        runFleet({
          scenario: join(work, 'small.yaml'),
          out,
          broker: { type: 'external', url: broker.url },
          fleetSecret: secret,
        }),
      ).rejects.toMatchObject({ code: 'TRANSPORT_NOT_AUTHORIZED' });
      expect(broker.identityOf('mdm-service')).toBeUndefined();
      for (const c of planConnectors(scenario)) expect(broker.identityOf(c.id)).toBeUndefined();
      const state = runFolderState(out);
      expect(state.failures).toEqual([expect.stringMatching(/^TRANSPORT_NOT_AUTHORIZED: /)]);
      expect(state.finished).toBe(false);
      expect(state.walLeft).toBe(false);
    } finally {
      await broker.close();
    }
  });
});

describe(
  'the device-side events are recorded whichever process hosts the agents',
  { timeout: 180_000 },
  () => {
    it('locked iPhones past their renewal threshold: run records renewal-deferred in run.db, agents in its event log', async () => {
      const file = join(work, 'locked.yaml');
      const locked = planFleet(loadScenario(file)).filter((p) => p.locked).length;
      expect(locked).toBe(3);

      // one process: run.db's events table
      const run = await runFleet({ scenario: file, out: join(work, 'locked-run') });
      const db = new Database(run.dbPath, { readonly: true });
      const inRun = new Set(
        (
          db.prepare("SELECT DISTINCT device_id AS id FROM events WHERE type = 'renewal-deferred'").all() as {
            id: string;
          }[]
        ).map((r) => r.id),
      );
      db.close();
      expect(inRun.size).toBe(3);

      // serve + agents over a broker (in this process, on the engine's shared virtual clock — reproducible
      // whatever the load): the agents' device-events.jsonl
      const secret = Buffer.from(SECRET, 'utf8');
      const broker = await startFleetBroker({ tenant: TENANT, secret });
      try {
        const common = { scenario: file, broker: broker.url, secret };
        const out = join(work, 'locked-agents');
        const [served, agents] = await Promise.all([
          coordinateFleet({ ...common, hosts: 1, out: join(work, 'locked-serve') }),
          hostShard({ ...common, shard: { index: 0, count: 1 }, out }),
        ]);
        expect(served.result.outcomes.filter((o) => o.status !== 'installed')).toEqual([]);
        // the same outcome table as the one-process run
        const table = (r: typeof served.result) =>
          r.outcomes.map((o) => [o.device, o.profile, o.status, o.code, o.at, o.renewals].join(' ')).sort();
        expect(table(served.result)).toEqual(table(run.result));
        const events = readDeviceEvents(join(out, DEVICE_EVENTS_FILE));
        const deferred = events.filter((e) => e.type === 'renewal-deferred');
        expect(new Set(deferred.map((e) => e.device))).toEqual(inRun);
        expect(new Set(agents.devices.map((d) => d.id))).toEqual(inRun);
        for (const e of deferred) expect(e.detail).toMatch(/threshold/);
      } finally {
        await broker.close();
      }
    });
  },
);
