/**
 * `certfleet run` end to end through the real CLI (bin/certfleet.mjs), on tiny fleets (issue 5): exit codes,
 * `--json`, the run folder (given or `runs/<timestamp>/`), options from `CERTFLEET_*` variables, external
 * broker credentials, and a run whose setup fails releasing what it started.
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TENANT } from '../../simulator/fleet/run-fleet.ts';
import { startEmbeddedBroker } from '../../simulator/broker/embedded-broker.ts';
import { derivedAccount } from '../../simulator/fleet/fleet-secret.ts';
import { certfleet as runCli, type CliResult } from './fixtures/certfleet-cli.ts';

/** Only a guard against a hung process (the bug of issue 5 point 3); never what a test asserts on. */
const HANG_GUARD_MS = 90_000;

/** The real CLI in a child process (fixtures/certfleet-cli.ts), with this file's hang guard. */
const certfleet = (
  args: string[],
  o: { cwd?: string; env?: Record<string, string> } = {},
): Promise<CliResult> => runCli(args, { ...o, guardMs: HANG_GUARD_MS });

/** Twelve devices: Macs and cellular Android phones, a root and an IMEI certificate (Macs have no IMEI). */
function scenario(expect: string): string {
  return `name: run-command
seed: run-command-1
duration: 1d
fleet:
  devices: 12
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
expect:
${expect}`;
}

const HOLDS = `  - text: every device installs the root
    profile: Root
    status: installed
`;
const BREAKS = `${HOLDS}  - text: every device fails the root (cannot hold)
    profile: Root
    status: failed
`;

const REPORT_FILES = ['report.json', 'junit.xml', 'report.html', 'run.db', 'run.json'];

let work: string;
let holds: string;
let breaks: string;

beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'certfleet-run-cmd-'));
  holds = join(work, 'holds.yaml');
  breaks = join(work, 'breaks.yaml');
  writeFileSync(holds, scenario(HOLDS));
  writeFileSync(breaks, scenario(BREAKS));
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

interface ReportJsonShape {
  seed: string;
  devices: number;
  summary: unknown;
  outcomes: Record<string, unknown>[];
  expectations: { text: string; held: boolean }[];
}

// The two describes below run their tests concurrently: each only reads the scenario files and writes its own
// folder, so one CLI (mostly on one core) overlaps another on the other core.
describe('certfleet run (CLI, end to end)', { timeout: 180_000, concurrent: true }, () => {
  it('exits 0 when every expectation holds; without --out the files land in runs/<timestamp>/ of the current folder', async () => {
    const cwd = mkdtempSync(join(work, 'cwd-'));
    const r = await certfleet(['run', holds], { cwd });
    expect(r.stderr).not.toMatch(/^error /m);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/IMEI certificate/);
    const runs = readdirSync(join(cwd, 'runs'));
    expect(runs).toHaveLength(1);
    expect(runs[0]).toMatch(/^\d{4}-\d\d-\d\dT\d\d-\d\d-\d\d-\d{3}Z$/);
    const dir = join(cwd, 'runs', runs[0]!);
    for (const f of REPORT_FILES) expect(existsSync(join(dir, f)), f).toBe(true);
    expect(r.stdout).toContain(`Reports: ${dir}/report.html`);
  });

  it('exits 1 when an expectation breaks; --json prints one JSON object with the report fields; files land in --out', async () => {
    const out = join(work, 'broken-run');
    const r = await certfleet(['run', breaks, '--json', '--out', out]);
    expect(r.status).toBe(1);
    const report = JSON.parse(r.stdout) as ReportJsonShape; // the whole of stdout is one JSON document
    expect(report).toMatchObject({ seed: 'run-command-1', devices: 12 });
    expect(report.summary).toBeTypeOf('object');
    expect(report.outcomes.length).toBeGreaterThan(0);
    for (const o of report.outcomes) {
      for (const k of ['device', 'platform', 'kind', 'profile', 'status', 'renewals'])
        expect(o).toHaveProperty(k);
    }
    expect(report.outcomes).toContainEqual(
      expect.objectContaining({
        platform: 'macos',
        profile: 'IMEI certificate',
        status: 'failed',
        code: 'VARIABLE_MISSING',
      }),
    );
    expect(report.expectations).toEqual([
      expect.objectContaining({ text: 'every device installs the root', held: true }),
      expect.objectContaining({ text: 'every device fails the root (cannot hold)', held: false }),
    ]);
    for (const f of REPORT_FILES) expect(existsSync(join(out, f)), f).toBe(true);
    expect(JSON.parse(readFileSync(join(out, 'report.json'), 'utf8'))).toMatchObject({
      seed: 'run-command-1',
    });
  });
});

describe(
  'regression issue 5: CERTFLEET_* variables apply only to the options a command declares',
  { timeout: 180_000, concurrent: true },
  () => {
    it('run takes --devices, --seed and --out from CERTFLEET_DEVICES/SEED/OUT and ignores an unrelated CERTFLEET_DIR', async () => {
      const out = join(work, 'env-run');
      const r = await certfleet(['run', holds, '--json'], {
        env: {
          CERTFLEET_DEVICES: '6',
          CERTFLEET_SEED: 'from-env',
          CERTFLEET_OUT: out,
          CERTFLEET_DIR: join(work, 'some-ca'), // an option of `ca`, not of `run`
          CERTFLEET_UPDATE_GOLDEN: '1', // test switches exported in a shell
          CERTFLEET_BENCH_DEVICES: '1000',
        },
      });
      expect(r.stderr).not.toMatch(/Unknown argument/);
      expect(r.status).toBe(0);
      expect(JSON.parse(r.stdout)).toMatchObject({ seed: 'from-env', devices: 6 });
      expect(JSON.parse(readFileSync(join(out, 'report.json'), 'utf8'))).toMatchObject({
        seed: 'from-env',
        devices: 6,
      });
    });

    it.each([
      ['a typo on the command line', ['run', holds, '--devics', '3'], {}, /Unknown argument: devics/],
      [
        'an undeclared flag whose variable is also set',
        ['run', holds, '--dir', 'x'],
        { CERTFLEET_DIR: 'y' },
        /Unknown argument: dir/,
      ],
    ])('%s still exits 2', async (_label, args, env, message) => {
      const r = await certfleet(args, { env });
      expect(r.status).toBe(2);
      expect(r.stderr).toMatch(message);
    });
  },
);

describe('regression issue 5: --mqtt-version 5 with the embedded broker', () => {
  it('is refused up front with a usage error that says why (exit 2, no run folder)', async () => {
    const out = join(work, 'mqtt5');
    const r = await certfleet(['run', holds, '--mqtt-version', '5', '--out', out]);
    expect(r.signal).toBeNull(); // not killed by the hang guard
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(
      /^error USAGE: --mqtt-version 5 .*aedes\) speaks MQTT 3\.1\.1 only.*--broker mosquitto/m,
    );
    expect(existsSync(out)).toBe(false);
  });
});

describe(
  'regression issue 5: external broker credentials (CERTFLEET_BROKER_USERNAME / PASSWORD)',
  { timeout: 180_000 },
  () => {
    const USER = 'qa-shared';
    const PASSWORD = 'external-broker-pw-7f3a';

    it('every client logs in with the one account: the run succeeds with it, fails with a coded error without it', async () => {
      // A stand-in "external" broker that knows only that one account (the service role: all tenant topics).
      const broker = await startEmbeddedBroker({
        tenant: TENANT,
        credentials: [{ role: 'service', name: USER, password: PASSWORD }],
      });
      try {
        const ok = await certfleet(['run', holds, '--broker', broker.url, '--out', join(work, 'ext-ok')], {
          env: { CERTFLEET_BROKER_USERNAME: USER, CERTFLEET_BROKER_PASSWORD: PASSWORD },
        });
        expect(ok.stderr).not.toMatch(/^error /m);
        expect(ok.status).toBe(0);
        expect(ok.stdout + ok.stderr).not.toContain(PASSWORD);

        const logins: Record<string, string>[] = [
          {},
          { CERTFLEET_BROKER_USERNAME: USER, CERTFLEET_BROKER_PASSWORD: 'wrong' },
        ];
        for (const env of logins) {
          const refused = await certfleet(
            ['run', holds, '--broker', broker.url, '--out', join(work, 'ext-no')],
            { env },
          );
          expect(refused.signal).toBeNull(); // exits by itself, no hang
          expect(refused.status).toBe(1);
          expect(refused.stderr).toMatch(/^error TRANSPORT_NOT_AUTHORIZED: .*bad user name or password/m);
          expect(refused.stderr).not.toContain(PASSWORD);
        }
      } finally {
        await broker.close();
      }
    });

    it('a password without a user name is a usage error (MQTT 3.1.1 §3.1.2.9)', async () => {
      const r = await certfleet(
        ['run', holds, '--broker', 'mqtt://127.0.0.1:1', '--out', join(work, 'ext-pw')],
        {
          env: { CERTFLEET_BROKER_PASSWORD: PASSWORD },
        },
      );
      expect(r.status).toBe(2);
      expect(r.stderr).toMatch(
        /^error USAGE: CERTFLEET_BROKER_PASSWORD is set but CERTFLEET_BROKER_USERNAME is not/m,
      );
      expect(r.stderr).not.toContain(PASSWORD);
    });
  },
);

describe(
  'regression issue 5: a setup step that fails releases what the run started',
  { timeout: 180_000 },
  () => {
    it('the service is connected, the first connector is refused: exit 1 by itself, no client left on the broker', async () => {
      const secret = 'a fleet secret for the teardown test';
      // knows the service, not the connectors: the run fails after the service connected and subscribed
      const broker = await startEmbeddedBroker({
        tenant: TENANT,
        credentials: [derivedAccount(Buffer.from(secret, 'utf8'), 'mdm-service')],
      });
      try {
        const r = await certfleet(['run', holds, '--broker', broker.url, '--out', join(work, 'half')], {
          env: { CERTFLEET_FLEET_SECRET: secret },
        });
        expect(r.signal).toBeNull(); // the process ended on its own: nothing kept it alive
        expect(r.status).toBe(1);
        expect(r.stderr).toMatch(/^error TRANSPORT_NOT_AUTHORIZED: .*client 'connector-1'/m);
        expect(broker.identityOf('mdm-service')).toBeUndefined();
      } finally {
        await broker.close();
      }
    });
  },
);
