/**
 * `certfleet serve --wall-paced` and `certfleet agents --wall-paced` (README "serve"/"agents"; scaled-clock.ts):
 * the split fleet on a scaled wall clock instead of the shared virtual clock. serve prints the epoch and scale
 * it uses and the agents command line that must share them; an agents host started with that epoch and scale
 * says it runs on them; the run goes to the scenario's virtual end (no coordinator, no host joining), both
 * sides exit 0, serve writes the same run folder as `run`, and its report's command line says wall-paced.
 * Nothing here is timed: the mode is not reproducible, so the test asserts what it does, never how long it
 * took.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { showDevice, WALL_PACED_STORES } from '../../simulator/fleet/show-device.ts';
import type { ReportJson } from '../../simulator/report/report-json.ts';
import { startCli, stopAll, waitForOutput, type CliProcess } from './fixtures/cli-process.ts';

const SECRET = 'wall-paced-e2e-secret-0123456789abcdef';
/** Virtual ms per real ms: a virtual minute is 100 real ms, well above a loopback round trip. */
const SCALE = 600;

/** Two iPhones (EC management keys, no RSA key to make per device) and one root: 4 virtual hours. */
const SCENARIO = `name: wall-paced
seed: wall-paced-1
duration: 4h
fleet:
  devices: 2
  ramp: 10m
  mix:
    - { platform: ios, kind: device, weight: 1 }
profiles:
  - name: Root
    type: trusted-certificate
    platforms: [ios]
    certificate: root
expect:
  - text: both iPhones install the root
    profile: Root
    status: installed
`;

let work: string;
const children: CliProcess[] = [];
const start = (args: string[]): CliProcess => {
  const child = startCli(args, { cwd: work, env: { CERTFLEET_FLEET_SECRET: SECRET } });
  children.push(child);
  return child;
};

beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'certfleet-wall-paced-'));
  writeFileSync(join(work, 's.yaml'), SCENARIO);
});
afterAll(async () => {
  await stopAll(children, 'SIGKILL');
  rmSync(work, { recursive: true, force: true });
});

describe('--wall-paced: serve and agents on a scaled wall clock', () => {
  it('serve prints its epoch and scale, agents run on them, the run reaches the scenario end and writes its folder', async () => {
    const broker = start(['broker']);
    const url = (await waitForOutput(broker, /listening on (mqtt:\/\/127\.0\.0\.1:\d+)/, 60_000))[1]!;
    const common = ['--scenario', 's.yaml', '--broker', url, '--wall-paced', '--time-scale', String(SCALE)];

    const serve = start(['serve', ...common, '--out', 'serve']);
    const ready = await waitForOutput(
      serve,
      /connected to (\S+) · epoch (\S+) · (\d+) virtual ms per real ms\n.*\n\s+certfleet agents (.*)\n/,
      120_000,
    );
    const [, connectedTo, epoch, scale, agentsLine] = ready;
    expect(connectedTo).toBe(url);
    expect(Number(scale)).toBe(SCALE);
    // the command line serve prints for the devices carries the same epoch and scale
    expect(agentsLine).toContain(`--epoch ${epoch}`);
    expect(agentsLine).toContain(`--time-scale ${SCALE}`);

    const agents = start(['agents', ...common, '--epoch', epoch!, '--shard', '0/1', '--out', 'agents']);
    const [serveCode, agentsCode] = await Promise.all([serve.exited, agents.exited]);
    expect(agentsCode, agents.out()).toBe(0);
    expect(serveCode, serve.out()).toBe(0);
    expect(agents.out()).toContain(`shard 0/1, 2 devices · epoch ${epoch} · ${SCALE}x`);
    // no coordinator of the shared virtual clock: no host joins, no engine progress line
    expect(serve.out()).not.toMatch(/host \d+ \(shard .*\) joined/);
    expect(agents.out()).not.toContain('waiting for certfleet serve');

    const out = join(work, 'serve');
    for (const f of ['report.json', 'junit.xml', 'report.html', 'run.db', 'run.json'])
      expect(existsSync(join(out, f)), f).toBe(true);
    const report = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8')) as ReportJson;
    expect(report.passed).toBe(true);
    // the report names the run's clock: its command line is the wall-paced one, with the scale
    expect(report.run?.command).toMatch(/^certfleet serve .*--wall-paced.*--time-scale 600/);
    // … and says, apart from the command line, that the run was wall-paced and so not reproducible
    expect(report.run?.wallPaced).toEqual({ timeScale: SCALE });
    expect(readFileSync(join(out, 'report.html'), 'utf8')).toMatch(
      /wall-paced, 600 virtual ms per real ms — <strong>not reproducible/,
    );
    expect(report.interrupted).toBeUndefined();
    // ran to the scenario's virtual end on the scaled clock: 4 virtual hours
    expect(Date.parse(report.metrics.virtualEnd) - Date.parse(report.metrics.virtualStart)).toBe(
      4 * 3_600_000,
    );
    expect(report.outcomes.map((o) => [o.profile, o.status])).toEqual([
      ['Root', 'installed'],
      ['Root', 'installed'],
    ]);
    // the agents host kept the devices' key stores
    expect(existsSync(join(work, 'agents', 'agents.db'))).toBe(true);
    // … and `show device` on serve's folder says where they are, not that the device's stores were empty
    const shown = showDevice({ device: '#0', run: out });
    expect(shown.story.stores).toEqual([]);
    expect(shown.text).toContain(`Key stores (end of run)\n  (not collected: ${WALL_PACED_STORES})`);
    expect(shown.text).not.toContain('(empty)');
    await stopAll([broker]);
  }, 300_000);
});
