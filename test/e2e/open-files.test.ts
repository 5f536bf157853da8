/**
 * Open files (issue 9 point 2): a process may hold at most 20,000 open files here, and every device is one
 * MQTT socket on its own side and one on the broker's. `run --workers N` keeps the broker's side in the
 * coordinator and spreads the devices' over N host processes, so a fleet whose sockets do not fit one
 * process fits split. Shown at a small scale with a proportionally lowered limit: the one-process run of
 * fixtures/open-files.yaml (120 devices) holds more open files than LIMIT at its peak, and the same fleet
 * completes with `--workers 2` with `prlimit --nofile=LIMIT` on the coordinator and, inherited, its hosts —
 * and (issue 11) with `--broker child`, the service side and every device in the run's process and the
 * broker's side of the sockets in its child process, each within the same limit.
 * Linux only (/proc, prlimit).
 */
import { spawn, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const BIN = resolve(import.meta.dirname, '../../bin/certfleet.mjs');
const SCENARIO = resolve(import.meta.dirname, 'fixtures/open-files.yaml');
const DEVICES = 120;
/** Below what one process needs for 120 devices (2 sockets each + the runtime's own), above what a split needs. */
const LIMIT = 200;
const HAVE_PRLIMIT = spawnSync('prlimit', ['--version']).status === 0 && existsSync('/proc/self/fd');

interface Sampled {
  code: number | null;
  out: string;
  /** Peak open files of the process itself, and of any of its children. */
  peak: number;
  childPeak: number;
}

function openFiles(pid: number): number {
  try {
    return readdirSync(`/proc/${pid}/fd`).length;
  } catch {
    return 0;
  }
}

/** Runs `command`, sampling its open files (and its children's) every 100 ms until it exits. */
function sampled(command: string, args: string[], cwd: string): Promise<Sampled> {
  return new Promise((done) => {
    const proc = spawn(command, args, { cwd, env: { ...process.env, NO_COLOR: '1' } });
    let out = '';
    proc.stdout.on('data', (b: Buffer) => (out += b.toString()));
    proc.stderr.on('data', (b: Buffer) => (out += b.toString()));
    let peak = 0;
    let childPeak = 0;
    const timer = setInterval(() => {
      if (proc.pid === undefined) return;
      peak = Math.max(peak, openFiles(proc.pid));
      const children = spawnSync('pgrep', ['-P', String(proc.pid)], { encoding: 'utf8' }).stdout;
      for (const c of children.split('\n').filter(Boolean)) childPeak = Math.max(childPeak, openFiles(+c));
    }, 100);
    proc.once('exit', (code) => {
      clearInterval(timer);
      done({ code, out, peak, childPeak });
    });
  });
}

function enrolled(runDir: string): number {
  const report = JSON.parse(readFileSync(join(runDir, 'report.json'), 'utf8')) as {
    devicesList: { enrolled: boolean }[];
  };
  return report.devicesList.filter((d) => d.enrolled).length;
}

let work: string;

beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'certfleet-open-files-'));
  copyFileSync(SCENARIO, join(work, 'fleet.yaml'));
});

afterAll(() => {
  rmSync(work, { recursive: true, force: true });
});

describe.skipIf(!HAVE_PRLIMIT)('open files: a fleet too big for one process fits with --workers', () => {
  it(`one process holds more than ${LIMIT} open files for ${DEVICES} devices`, async () => {
    const one = await sampled(
      process.execPath,
      [BIN, 'run', '--scenario', 'fleet.yaml', '--out', 'one'],
      work,
    );
    expect(one.code, one.out).toBe(0);
    expect(enrolled(join(work, 'one'))).toBe(DEVICES);
    expect(one.peak).toBeGreaterThan(LIMIT);
  }, 300_000);

  it(`run --workers 2 under prlimit --nofile=${LIMIT} completes with every device enrolled`, async () => {
    const two = await sampled(
      'prlimit',
      [
        `--nofile=${LIMIT}`,
        process.execPath,
        BIN,
        'run',
        '--scenario',
        'fleet.yaml',
        '--workers',
        '2',
        '--out',
        'two',
      ],
      work,
    );
    expect(two.code, two.out).toBe(0);
    expect(enrolled(join(work, 'two'))).toBe(DEVICES);
    // both sides stayed within the limit, and the hosts held their share of the sockets
    expect(two.peak).toBeLessThanOrEqual(LIMIT);
    expect(two.childPeak).toBeGreaterThan(DEVICES / 2);
    expect(two.childPeak).toBeLessThanOrEqual(LIMIT);
  }, 300_000);

  it(`run --broker child under prlimit --nofile=${LIMIT} completes with every device enrolled (issue 11)`, async () => {
    const child = await sampled(
      'prlimit',
      [
        `--nofile=${LIMIT}`,
        process.execPath,
        BIN,
        'run',
        'fleet.yaml',
        '--broker',
        'child',
        '--out',
        'child',
      ],
      work,
    );
    expect(child.code, child.out).toBe(0);
    expect(enrolled(join(work, 'child'))).toBe(DEVICES);
    // the run held one socket per device, the child broker the other: each within the limit
    expect(child.peak).toBeLessThanOrEqual(LIMIT);
    expect(child.childPeak).toBeGreaterThan(DEVICES / 2);
    expect(child.childPeak).toBeLessThanOrEqual(LIMIT);
  }, 300_000);
});
