/**
 * Issue 10 point 7 for the split fleet: SIGTERM on `certfleet serve` (the coordinator of the shared virtual
 * clock) stops the run cleanly — a line saying so, report.json/junit.xml/report.html written and marked
 * interrupted, no child process left, exit 143 — and its agents host is told the run is over; `show device`
 * says the run was interrupted. SIGINT on `certfleet agents` leaves the run: a line, its key stores kept,
 * exit 130; a serve whose host left stops on SIGTERM at once (not after the host's liveness limit). Signals are sent once a progress line shows the run under way, never after a sleep.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  alive,
  childrenOf,
  isLoaderService,
  startCli,
  waitForOutput,
  type CliProcess,
} from './fixtures/cli-process.ts';

const SECRET = 'issue10-serve-interrupt-secret-0123456789';

/** Six devices checking in every 4 hours for a year: under way for a while on any machine. */
const SCENARIO = `name: serve-interrupt
seed: serve-interrupt-1
duration: 365d
checkInInterval: 4h
fleet:
  devices: 6
  ramp: 10d
  mix:
    - { platform: macos, kind: device, weight: 1 }
    - { platform: android, kind: fully-managed, weight: 1 }
profiles:
  - name: Root
    type: trusted-certificate
    platforms: [macos, android-device-owner]
    certificate: root
expect:
  - text: every device installs the root
    profile: Root
    status: installed
`;

type Child = CliProcess;

const start = (args: string[], cwd: string): Child =>
  startCli(args, { cwd, env: { CERTFLEET_FLEET_SECRET: SECRET } });
const waitFor = waitForOutput;

let work: string;
const children: Child[] = [];
beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'certfleet-i10-serve-int-'));
  writeFileSync(join(work, 's.yaml'), SCENARIO);
});

/** A `certfleet broker` of its own for one test (no persistent session of another run); its URL. */
async function startBroker(): Promise<string> {
  const broker = start(['broker'], work);
  children.push(broker);
  return (await waitFor(broker, /listening on (mqtt:\/\/127\.0\.0\.1:\d+)/, 30_000))[1]!;
}
afterAll(async () => {
  for (const c of children)
    if (c.proc.exitCode === null && c.proc.signalCode === null) c.proc.kill('SIGKILL');
  await Promise.all(children.map((c) => c.exited));
  rmSync(work, { recursive: true, force: true });
});

describe('issue 10: SIGINT/SIGTERM on serve and agents stop the split run cleanly', () => {
  it('SIGTERM on serve: reports marked interrupted, exit 143, the host told, nothing left running', async () => {
    const common = ['--scenario', 's.yaml', '--broker', await startBroker()];
    const serve = start(['serve', ...common, '--hosts', '1', '--out', 'serve'], work);
    const host = start(['agents', ...common, '--shard', '0/1', '--out', 'agents'], work);
    children.push(serve, host);
    await waitFor(serve, /enrolled [1-9]\d*\/6/, 120_000);
    const started = childrenOf(serve.proc.pid!)
      .filter((c) => !isLoaderService(c))
      .map((c) => c.pid);
    serve.proc.kill('SIGTERM');
    const [code, hostCode] = await Promise.all([serve.exited, host.exited]);
    expect(code, serve.out()).toBe(143);
    expect(serve.proc.signalCode).toBeNull(); // it exited by itself
    expect(serve.out()).toContain('certfleet serve: SIGTERM received: stopping the run');
    expect(serve.out()).toMatch(/the run was interrupted by SIGTERM at virtual 20\d\d-/);
    expect(serve.out()).toContain('INTERRUPTED by SIGTERM');
    // the coordinator ended the run for its host, which left normally
    expect(hostCode, host.out()).toBe(0);

    const out = join(work, 'serve');
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
    expect(report.interrupted?.signal).toBe('SIGTERM');
    expect(report.metrics.virtualEnd).toBe(report.interrupted?.at);
    expect(Date.parse(report.metrics.virtualEnd) - Date.parse(report.metrics.virtualStart)).toBeLessThan(
      365 * 86_400_000,
    );
    expect(readFileSync(join(out, 'junit.xml'), 'utf8')).toContain('type="INTERRUPTED"');
    expect(readFileSync(join(out, 'report.html'), 'utf8')).toContain('INTERRUPTED');
    for (const pid of started) expect(alive(pid), `child ${pid}`).toBe(false);

    const show = start(['show', 'device', '#0', '--run', out], work);
    expect(await show.exited, show.out()).toBe(0);
    expect(show.out()).toContain('This run was INTERRUPTED by SIGTERM');
  }, 240_000);

  it('SIGINT on agents: the host leaves the run, its key stores kept, exit 130; then SIGTERM on serve: 143', async () => {
    const common = ['--scenario', 's.yaml', '--broker', await startBroker()];
    const serve = start(['serve', ...common, '--hosts', '1', '--out', 'serve2'], work);
    const host = start(['agents', ...common, '--shard', '0/1', '--out', 'agents2'], work);
    children.push(serve, host);
    await waitFor(serve, /enrolled [1-9]\d*\/6/, 120_000);
    host.proc.kill('SIGINT');
    expect(await host.exited, host.out()).toBe(130);
    expect(host.proc.signalCode).toBeNull();
    expect(host.out()).toContain('certfleet agents: SIGINT received: leaving the run');
    expect(host.out()).toMatch(/interrupted by SIGINT; key stores kept in .*agents\.db/);
    expect(existsSync(join(work, 'agents2', 'agents.db'))).toBe(true);
    // serve, its host gone, stops on SIGTERM without waiting out the host's liveness limit (60 s)
    serve.proc.kill('SIGTERM');
    expect(await serve.exited, serve.out()).toBe(143);
    expect(serve.out()).not.toMatch(/HOST_MISSING/);
    const report = JSON.parse(readFileSync(join(work, 'serve2', 'report.json'), 'utf8')) as {
      status: string;
      interrupted?: { signal: string };
    };
    expect(report.status).toBe('interrupted');
    expect(report.interrupted?.signal).toBe('SIGTERM');
  }, 240_000);
});
