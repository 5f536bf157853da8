/**
 * Issue 10 point 7: SIGINT/SIGTERM on `certfleet run` (the real CLI, bin/certfleet.mjs) stop the run
 * cleanly — a line saying so, report.json/junit.xml/report.html written and marked interrupted, exit 130
 * (SIGINT) or 143 (SIGTERM), the Mosquitto the run started stopped and its folder (password file) removed,
 * the child broker of `--broker child` (which writes no file) stopped —
 * and `show device` says the run was interrupted. The signal is sent once the first progress line is out
 * (the run is under way), never after a sleep. A run killed with SIGKILL cannot clean up: its Mosquitto
 * stops with it (parent-death signal) and its folder stays, until the next Mosquitto started in the same
 * temporary folder removes it.
 */
import { spawn } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findMosquitto } from '../../simulator/broker/mosquitto.ts';
import { BIN, certfleet, cliEnv } from './fixtures/certfleet-cli.ts';
import { alive, childrenOf, isLoaderService, type ProcChild } from './fixtures/cli-process.ts';

/** Only a guard against a hung process; never what a test asserts on. */
const HANG_GUARD_MS = 150_000;

/** Forty devices enrolling over 30 virtual days of a year-long run: under way for a while on any machine. */
const SCENARIO = `name: interrupt
seed: interrupt-1
duration: 365d
fleet:
  devices: 40
  ramp: 30d
  mix:
    - { platform: macos, kind: device, weight: 1 }
    - { platform: android, kind: fully-managed, cellular: true, weight: 1 }
profiles:
  - name: Root
    type: trusted-certificate
    platforms: [macos, android-device-owner]
    certificate: root
  - name: Device certificate
    type: pkcs
    platforms: [macos, android-device-owner]
    template: CertfleetDevice
    certificateType: device
    subject: 'CN={{IMEI}}'
    validity: 30d
    renewalThreshold: 20
expect:
  - text: every device installs the root
    profile: Root
    status: installed
`;

interface Interrupted {
  status: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** Every child process of the run when the signal was sent: pid, command line, Mosquitto's config folder. */
  children: ProcChild[];
}

/** Runs `certfleet run` and sends `sig` once the first progress line is out. */
function runAndInterrupt(
  args: string[],
  sig: NodeJS.Signals,
  cwd: string,
  env: Record<string, string> = {},
): Promise<Interrupted> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [BIN, 'run', ...args], { cwd, env: cliEnv(env) });
    let stdout = '';
    let stderr = '';
    let sent = false;
    let children: Interrupted['children'] = [];
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString('utf8')));
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString('utf8');
      if (!sent && /devices enrolled/.test(stderr)) {
        sent = true;
        children = childrenOf(child.pid!);
        child.kill(sig);
      }
    });
    const guard = setTimeout(() => child.kill('SIGKILL'), HANG_GUARD_MS);
    child.on('error', reject);
    child.on('close', (status, signal) => {
      clearTimeout(guard);
      resolvePromise({ status, signal, stdout, stderr, children });
    });
  });
}

let work: string;
beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'certfleet-interrupt-'));
  writeFileSync(join(work, 'interrupt.yaml'), SCENARIO);
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

const HAS_MOSQUITTO = findMosquitto() !== undefined;
const CASES = [
  { signal: 'SIGINT' as const, broker: 'embedded', exit: 130 },
  { signal: 'SIGTERM' as const, broker: 'embedded', exit: 143 },
  ...(HAS_MOSQUITTO ? [{ signal: 'SIGINT' as const, broker: 'mosquitto', exit: 130 }] : []),
  // issue 11: the embedded broker in a child process of the run (its own process group: the run stops it)
  { signal: 'SIGINT' as const, broker: 'child', exit: 130 },
  // --workers 2: two `certfleet agents` host children on the run's loopback broker
  { signal: 'SIGTERM' as const, broker: 'workers', exit: 143 },
];

describe('issue 10: SIGINT/SIGTERM on run used to exit at once with no reports and an orphan Mosquitto', () => {
  it.each(CASES)(
    '$signal on run --broker $broker: reports marked interrupted, exit $exit, nothing left running',
    { timeout: HANG_GUARD_MS + 30_000 },
    async ({ signal, broker, exit }) => {
      const out = join(work, `${signal}-${broker}`);
      const args = broker === 'workers' ? ['--workers', '2'] : ['--broker', broker];
      const r = await runAndInterrupt(['interrupt.yaml', ...args, '--out', out], signal, work);
      expect(r.signal).toBeNull(); // it exited by itself, not killed by the signal
      expect(r.status).toBe(exit);
      expect(r.stderr).toContain(`${signal} received: stopping the run`);
      expect(r.stderr).toContain(`the run was interrupted by ${signal}`);
      expect(r.stdout).toContain(`INTERRUPTED by ${signal}`);

      for (const f of ['report.json', 'junit.xml', 'report.html', 'run.db', 'run.json'])
        expect(existsSync(join(out, f)), f).toBe(true);
      const report = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8')) as {
        status: string;
        passed: boolean;
        interrupted?: { signal: string; at: string };
        metrics: { virtualEnd: string; virtualStart: string };
      };
      expect(report.status).toBe('interrupted');
      expect(report.passed).toBe(false);
      expect(report.interrupted?.signal).toBe(signal);
      expect(report.metrics.virtualEnd).toBe(report.interrupted?.at);
      // stopped before the scenario's year was over
      expect(Date.parse(report.metrics.virtualEnd) - Date.parse(report.metrics.virtualStart)).toBeLessThan(
        365 * 86_400_000,
      );
      const junit = readFileSync(join(out, 'junit.xml'), 'utf8');
      expect(junit).toContain('<testsuite name="certfleet.run"');
      expect(junit).toContain('type="INTERRUPTED"');
      expect(junit).toContain(`interrupted by ${signal}`);
      expect(readFileSync(join(out, 'report.html'), 'utf8')).toContain('INTERRUPTED');

      // the processes the run started were seen running, and none is left
      const brokers = r.children.filter((c) => c.dir !== undefined);
      const hosts = r.children.filter((c) => c.argv.includes('agents'));
      if (broker === 'mosquitto') expect(brokers.length).toBe(1);
      if (broker === 'workers') expect(hosts.length).toBe(2);
      if (broker === 'child') expect(r.children.filter((c) => c.argv.includes('--child')).length).toBe(1);
      // (tsx's esbuild service is the loader's, not the run's: it leaves when its parent's pipe closes)
      const started = r.children.filter((c) => !isLoaderService(c));
      for (const c of started) expect(alive(c.pid), c.argv.join(' ')).toBe(false);
      for (const b of brokers) {
        expect(existsSync(join(b.dir!, 'passwd'))).toBe(false); // the password file went with its folder
        expect(existsSync(b.dir!)).toBe(false);
      }

      // show says the run was interrupted (the first device of the run)
      const shown = (await certfleet(['show', 'device', '#0', '--run', out], { cwd: work })).stdout;
      expect(shown).toContain(`This run was INTERRUPTED by ${signal}`);
    },
  );

  it.skipIf(!HAS_MOSQUITTO)(
    "SIGKILL on run --broker mosquitto: its Mosquitto stops with it, and the next run's Mosquitto removes the folder it left",
    { timeout: HANG_GUARD_MS + 60_000 },
    async () => {
      // a temporary folder of the test's own, so that only these runs' folders are in it
      const tmp = join(work, 'tmp-killed');
      mkdirSync(tmp);
      const env = { TMPDIR: tmp };
      const left = (): string[] =>
        readdirSync(tmp)
          .filter((n) => /^certfleet-(mosquitto|issued)-/.test(n))
          .sort();
      const killed = await runAndInterrupt(
        ['interrupt.yaml', '--broker', 'mosquitto', '--out', join(work, 'killed')],
        'SIGKILL',
        work,
        env,
      );
      expect(killed.signal).toBe('SIGKILL');
      const brokers = killed.children.filter((c) => c.dir !== undefined);
      expect(brokers.length).toBe(1);
      const dir = brokers[0]!.dir!;
      expect(dir.startsWith(`${tmp}/certfleet-mosquitto-`)).toBe(true);
      // the kernel's parent-death signal ends it; wait until it is gone (the guard only ends a hang)
      for (const guard = Date.now() + 20_000; alive(brokers[0]!.pid) && Date.now() < guard;)
        await new Promise((r) => setTimeout(r, 50));
      expect(alive(brokers[0]!.pid)).toBe(false);
      expect(existsSync(join(dir, 'passwd'))).toBe(true); // left behind: nothing ran to remove it
      expect(left()).toContain(dir.slice(tmp.length + 1));

      writeFileSync(
        join(work, 'short.yaml'),
        'name: short\nseed: short-1\nduration: 1d\nfleet:\n  devices: 2\n  mix:\n    - { platform: macos, kind: device, weight: 1 }\nprofiles:\n  - name: Root\n    type: trusted-certificate\n    platforms: [macos]\n    certificate: root\n',
      );
      const next = await certfleet(
        ['run', 'short.yaml', '--broker', 'mosquitto', '--out', join(work, 'next')],
        {
          cwd: work,
          env,
        },
      );
      expect(next.status, next.stderr).toBe(0);
      expect(existsSync(dir)).toBe(false);
      expect(left()).toEqual([]); // the killed run's scratch folders are gone, and the new run removed its own
    },
  );
});
