/**
 * Regression (QA walkthrough): "a usage error (exit 2) writes nothing" (README "Reports for CI") held for
 * `run`, `serve` and `agents` only for some options. `serve --hosts 0` exited 2 after it had written `ca/`,
 * `run.db`, `run.json` and `service-state.db` into --out (and, with the broker down, exited 1 with
 * TRANSPORT_UNREACHABLE instead); `--hosts 2.5` was "needs at least one agent host (got 2.5)";
 * `--host-timeout -5` was accepted and ended in HOST_MISSING "within -5 s"; `run --broker bogus` made a CA
 * in --out before refusing the URL; `run --workers -1 | 2.5 | 100` left an empty --out and `--workers abc`
 * ran a one-process fleet. Now every option is checked before anything is connected to or written: the
 * command exits 2 naming the option and what it accepts, a --out it would have made does not exist
 * afterwards, and one that existed is left as it was.
 *
 * The commands run in the test's own process (fixtures/certfleet-in-process.ts: cli/main.ts's set-up and
 * exit codes); one case goes through the real CLI.
 */
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import type { BrokerHandle } from '../../simulator/broker/broker-handle.ts';
import { freePort } from '../../simulator/broker/free-port.ts';
import { startFleetBroker } from '../../simulator/fleet/fleet-broker.ts';
import { certfleet } from './fixtures/certfleet-cli.ts';
import { certfleetInProcess } from './fixtures/certfleet-in-process.ts';

const SCENARIO = resolve(import.meta.dirname, '../../scenarios/missing-imei.yaml');
const SECRET = 'usage-writes-nothing-fleet-secret';

const HOSTS = (v: string): string =>
  `error USAGE: --hosts must be a whole number from 1 to 64 (the agent hosts the run waits for, certfleet agents --shard i/K), not '${v}'.`;
const HOST_TIMEOUT = (v: string): string =>
  `error USAGE: --host-timeout must be a number greater than 0 and at most 2147483 (seconds of wall time every agent host has to join), not '${v}'.`;
const WORKERS = (v: string): string =>
  `error USAGE: --workers must be a whole number from 0 to 64 (agent host child processes; 0: everything in the run's process), not '${v}'.`;
const BOGUS_URL = "error USAGE: The broker URL 'bogus' is not a URL; use mqtt://host:port.";
const TENANT =
  "error USAGE: --tenant must be letters, digits, . _ or - (it is one level of the MQTT topic tree certfleet/<tenant>/…), not 'a/b'.";

let work: string;
/** A broker that is up (the fleet secret's logins), and a loopback port nothing listens on. */
let broker: BrokerHandle;
let down: string;
let n = 0;
/** A --out path under the test folder that does not exist yet. */
const fresh = (): string => join(work, `out-${++n}`);

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'certfleet-usage-'));
  broker = await startFleetBroker({ tenant: 'contoso', secret: Buffer.from(SECRET, 'utf8') });
  down = `mqtt://127.0.0.1:${await freePort()}`;
});
afterAll(async () => {
  await broker?.close();
  rmSync(work, { recursive: true, force: true });
});
beforeEach(() => {
  // the runner's own CERTFLEET_* variables do not leak in (as cliEnv does for a spawned CLI)
  for (const k of Object.keys(process.env)) if (k.startsWith('CERTFLEET_')) vi.stubEnv(k, undefined);
  vi.stubEnv('CERTFLEET_FLEET_SECRET', SECRET);
  return () => vi.unstubAllEnvs();
});

/** Every file and folder under `dir` (relative paths) with each file's bytes: what "left as it was" compares. */
function snapshot(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string): void => {
    for (const name of readdirSync(d)) {
      const p = join(d, name);
      if (statSync(p).isDirectory()) {
        out[`${relative(dir, p)}/`] = '';
        walk(p);
      } else out[relative(dir, p)] = readFileSync(p, 'base64');
    }
  };
  walk(dir);
  return out;
}

/** A --out folder that exists already, with a file in it. */
function existing(): string {
  const dir = fresh();
  mkdirSync(join(dir, 'earlier'), { recursive: true });
  writeFileSync(join(dir, 'earlier', 'note.txt'), 'kept as it was');
  return dir;
}

const serve = (broker: string, out: string, ...more: string[]): string[] => [
  'serve',
  '--scenario',
  SCENARIO,
  '--broker',
  broker,
  '--out',
  out,
  ...more,
];
const agents = (broker: string, out: string, ...more: string[]): string[] => [
  'agents',
  '--scenario',
  SCENARIO,
  '--broker',
  broker,
  '--out',
  out,
  ...more,
];
const run = (out: string, ...more: string[]): string[] => [
  'run',
  SCENARIO,
  '--devices',
  '1',
  '--out',
  out,
  ...more,
];

describe('regression (QA walkthrough): serve --hosts / --host-timeout out of range is a usage error that writes nothing', () => {
  it.each([
    ['--hosts 0, broker up', 'up', ['--hosts', '0'], HOSTS('0')],
    ['--hosts 0, broker down (was TRANSPORT_UNREACHABLE, exit 1)', 'down', ['--hosts', '0'], HOSTS('0')],
    ['--hosts 2.5 (was "needs at least one agent host (got 2.5)")', 'up', ['--hosts', '2.5'], HOSTS('2.5')],
    ['--hosts 65', 'up', ['--hosts', '65'], HOSTS('65')],
    [
      '--host-timeout -5 (was HOST_MISSING "within -5 s")',
      'up',
      ['--host-timeout', '-5'],
      HOST_TIMEOUT('-5'),
    ],
    ['--host-timeout 0', 'down', ['--host-timeout', '0'], HOST_TIMEOUT('0')],
    ['--host-timeout abc', 'down', ['--host-timeout', 'abc'], HOST_TIMEOUT('abc')],
  ] as const)('%s: exit 2, the option named, no --out', async (_label, at, more, message) => {
    const out = fresh();
    const r = await certfleetInProcess(serve(at === 'up' ? broker.url : down, out, ...more));
    expect(r).toEqual({ exit: 2, error: message });
    expect(() => statSync(out)).toThrow(/ENOENT/);
  });

  it('an --out folder that existed is left as it was', async () => {
    const out = existing();
    const before = snapshot(out);
    const r = await certfleetInProcess(serve(broker.url, out, '--hosts', '0'));
    expect(r).toEqual({ exit: 2, error: HOSTS('0') });
    expect(snapshot(out)).toEqual(before);
  });

  it('CERTFLEET_HOSTS=0 is refused the same way, naming the variable', async () => {
    vi.stubEnv('CERTFLEET_HOSTS', '0');
    const out = fresh();
    expect(await certfleetInProcess(serve(broker.url, out))).toEqual({
      exit: 2,
      error: HOSTS('0').replace('--hosts', '--hosts (from CERTFLEET_HOSTS)'),
    });
    expect(() => statSync(out)).toThrow(/ENOENT/);
  });

  it('through the real CLI: serve --hosts 0 with the broker down exits 2 with the usage error, no --out', async () => {
    const out = fresh();
    const r = await certfleet(serve(down, out, '--hosts', '0'), {
      cwd: work,
      env: { CERTFLEET_FLEET_SECRET: SECRET },
    });
    expect(r.status).toBe(2);
    expect(r.stderr).toContain(HOSTS('0'));
    expect(r.stderr).not.toMatch(/TRANSPORT_UNREACHABLE/);
    expect(() => statSync(out)).toThrow(/ENOENT/);
  });
});

describe('regression (QA walkthrough): a bad --broker, --tenant or --epoch of serve and agents writes nothing', () => {
  it.each([
    ['serve --broker bogus', serve('bogus', '@out'), BOGUS_URL],
    ['agents --broker bogus (wrote agents.db)', agents('bogus', '@out'), BOGUS_URL],
    ['serve --tenant a/b', serve('@down', '@out', '--tenant', 'a/b'), TENANT],
    ['agents --tenant a/b', agents('@down', '@out', '--tenant', 'a/b'), TENANT],
    [
      'serve --epoch garbage',
      serve('@down', '@out', '--wall-paced', '--epoch', 'garbage'),
      'error USAGE: --epoch garbage is not an instant: give an ISO-8601 time (2026-05-01T12:00:00Z) or epoch milliseconds.',
    ],
  ] as const)('%s: exit 2, no --out', async (_label, args, message) => {
    const out = fresh();
    const r = await certfleetInProcess(args.map((a) => (a === '@out' ? out : a === '@down' ? down : a)));
    expect(r).toEqual({ exit: 2, error: message });
    expect(() => statSync(out)).toThrow(/ENOENT/);
  });

  it('serve without CERTFLEET_FLEET_SECRET: exit 2, no --out', async () => {
    vi.stubEnv('CERTFLEET_FLEET_SECRET', undefined);
    const out = fresh();
    const r = await certfleetInProcess(serve(broker.url, out));
    expect(r.exit).toBe(2);
    expect(r.error).toMatch(/^error USAGE: No fleet secret: set CERTFLEET_FLEET_SECRET/);
    expect(() => statSync(out)).toThrow(/ENOENT/);
  });

  it('a usage error found once serve began (CERTFLEET_FAULT_KILL_AFTER) takes back the --out it made, not one that existed', async () => {
    vi.stubEnv('CERTFLEET_FAULT_KILL_AFTER', 'bogus');
    const message = /^error USAGE: CERTFLEET_FAULT_KILL_AFTER is "bogus": the only fault is ca-issued:N/;
    const out = fresh();
    const r = await certfleetInProcess(serve(down, out));
    expect(r.exit).toBe(2);
    expect(r.error).toMatch(message);
    expect(() => statSync(out)).toThrow(/ENOENT/);

    const kept = existing();
    const before = snapshot(kept);
    const again = await certfleetInProcess(serve(down, kept));
    expect(again.exit).toBe(2);
    expect(again.error).toMatch(message);
    expect(snapshot(kept)).toEqual(before);
  });
});

describe('regression (QA walkthrough): run --broker bogus and a bad --workers are usage errors that write nothing', () => {
  it('--broker bogus: exit 2 before the CA and the run folder are made', async () => {
    const out = fresh();
    expect(await certfleetInProcess(run(out, '--broker', 'bogus'))).toEqual({ exit: 2, error: BOGUS_URL });
    expect(() => statSync(out)).toThrow(/ENOENT/);
  });

  it('--broker bogus with an --out that existed leaves it as it was', async () => {
    const out = existing();
    const before = snapshot(out);
    expect(await certfleetInProcess(run(out, '--broker', 'bogus'))).toEqual({ exit: 2, error: BOGUS_URL });
    expect(snapshot(out)).toEqual(before);
  });

  it('a password without a user name for an external broker: exit 2, no --out', async () => {
    vi.stubEnv('CERTFLEET_BROKER_PASSWORD', 'not-printed');
    const out = fresh();
    const r = await certfleetInProcess(run(out, '--broker', 'mqtt://127.0.0.1:1'));
    expect(r.exit).toBe(2);
    expect(r.error).toMatch(
      /^error USAGE: CERTFLEET_BROKER_PASSWORD is set but CERTFLEET_BROKER_USERNAME is not/,
    );
    expect(() => statSync(out)).toThrow(/ENOENT/);
  });

  it.each(['-1', '2.5', '100', '65', 'abc', ''])(
    '--workers %j: exit 2, the option named, no --out',
    async (v) => {
      const out = fresh();
      expect(await certfleetInProcess(run(out, `--workers=${v}`))).toEqual({ exit: 2, error: WORKERS(v) });
      expect(() => statSync(out)).toThrow(/ENOENT/);
    },
  );

  it('CERTFLEET_WORKERS=2.5 is refused the same way, naming the variable', async () => {
    vi.stubEnv('CERTFLEET_WORKERS', '2.5');
    const out = fresh();
    expect(await certfleetInProcess(run(out))).toEqual({
      exit: 2,
      error: WORKERS('2.5').replace('--workers', '--workers (from CERTFLEET_WORKERS)'),
    });
    expect(() => statSync(out)).toThrow(/ENOENT/);
  });
});
