/**
 * `npm run bench -- fleet [--devices N] [--scale N] [--key-pool DIR] [--json]`: the whole throughput and
 * memory story of one fleet, in one process and one run (issue 11 point 4):
 *
 * - raw native RSA-2048 keygen/s, measured here in two halves, one just before the cold run and one just
 *   after it (cores × 128 keys in all, at least 256; each half all in flight: libuv's pool spreads them over
 *   the cores): the rate is all the keys ÷ both halves' time. An RSA key's prime search varies widely in
 *   length — measured here, one key at a time, 150 RSA-2048 keys: 142 ms each on average, standard deviation
 *   74 ms (0.52 of the mean), 43 to 468 ms — so the mean of n keys is off by about 52 % ÷ √n: 6.5 % for 64
 *   keys, 3.3 % for 256, and the cold ratio, divided by it, with it. A shared machine's speed drifts too,
 *   which the two halves average;
 * - keys per device: the RSA-2048 keys the cold run needed (one per PKCS issuance or renewal, one per Windows
 *   management identity) ÷ devices; the cold floor = keygen/s ÷ keys per device;
 * - the cold run (fresh keys, as `certfleet run`): devices/s and its ratio to the floor, messages per device,
 *   CPU ms per device, peak RSS per device above the baseline (the kernel's high-water mark, VmHWM, reset
 *   before the run through /proc/self/clear_refs: no sampling timer in the measured run; 200 ms sampling of
 *   `process.memoryUsage.rss()` where /proc is not writable);
 * - the split run (`run --workers 1`: the service side, connectors and broker here, the devices in one
 *   agent host child): CPU ms per device on each side (this process's CPU; the child's from the kernel's
 *   children-time counters once it has exited — the child's runtime start, ~1 s of CPU, is in it);
 * - with `--key-pool`: the pooled run (`run --key-pool`), its devices/s and ratio to raw keygen/s;
 * - with `--scale N` (or `--devices N` above the reference size, 1,000 unless `--reference`): the large
 *   fleet of N devices (pooled when a pool is given) on the layout `certfleet run` picks by default for N
 *   devices (simulator/fleet/auto-workers.ts: from 8,000 devices one process with the broker in a child
 *   process, `run --broker child` — a process may hold at most 20,000 open files here, and the broker's
 *   and the devices' sockets of 10,000 devices do not fit in one), and the wall-time ratio to the pooled
 *   run at the reference size, which then runs on the same layout (like for like). pooledDevicesPerSecond
 *   is then the large fleet's; CPU ms counts this process and its children (the child broker, agent
 *   hosts); peak RSS there is this process's only.
 *
 * `--json` prints one object with the keys other tools read: keygenPerSecond, keysPerDevice,
 * coldFloorDevicesPerSecond, coldDevicesPerSecond, coldRatioToFloor, pooledDevicesPerSecond (null without a
 * pool), pooledRatioToKeygen, cpuMsPerDevice ({ total, service, device }), peakRssKiBPerDevice,
 * messagesPerDevice, and wall times. Timing only, never a pass/fail (docs/architecture.md house rule 12).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateKeyPair } from '../pki/keys.ts';
import { runFleet, type FleetRun } from '../simulator/fleet/run-fleet.ts';
import { runWorkers } from '../simulator/fleet/run-workers.ts';
import { autoLayout, type RunLayout } from '../simulator/fleet/auto-workers.ts';
import { poolPassphraseFrom } from '../simulator/tools/key-pool/key-pool.ts';
import type { RunKeyPoolOption } from '../simulator/tools/key-pool/process-pool.ts';
import type { BenchArgs } from './args.ts';

/** The reference fleet size: `--devices` above it is the large fleet (wall time at 1,000 and at 10,000). */
export const REFERENCE_DEVICES = 1000;

/** The bench scenario for `devices` devices (YAML, as QA would write it). */
export function benchScenarioYaml(devices: number): string {
  return `name: bench-fleet
description: Benchmark fleet — every platform, trusted root + PKCS user certificate
seed: bench-fleet-1
duration: 1d
checkInInterval: 8h
fleet:
  devices: ${devices}
  ramp: 1h
  mix:
    - { platform: windows, kind: entra-joined, weight: 3 }
    - { platform: windows, kind: hybrid-joined, weight: 1 }
    - { platform: macos, kind: device, weight: 1 }
    - { platform: ios, kind: device, weight: 2 }
    - { platform: ios, kind: user, weight: 1 }
    - { platform: android, kind: work-profile-personal, weight: 1 }
    - { platform: android, kind: fully-managed, weight: 1 }
connectors: 2
profiles:
  - name: Root
    type: trusted-certificate
    platforms: all
    certificate: root
  - name: User certificate
    type: pkcs
    platforms: all
    template: CertfleetUser
    certificateType: user
    subject: commonName
    san:
      - { type: upn, value: '{{UserPrincipalName}}' }
`;
}

/** One fleet run's figures. */
export interface FleetRunFigures {
  devices: number;
  wallSeconds: number;
  devicesPerSecond: number;
  cpuMs: number;
  messages: number;
  installed: number;
  failed: number;
  /** RSA-2048 keys the run needed (Windows management identities + PKCS issuances and renewals). */
  rsaKeys: number;
  peakRssKiB: number;
  baselineRssKiB: number;
  /** `run --key-pool`: where the keys came from. */
  keys?: NonNullable<FleetRun['result']['metrics']['keys']>;
  /** Agent host processes (`run --workers N`); 0: one process. */
  workers: number;
  /** `child`: the broker ran in a child process (`run --broker child`); absent: in the run's process. */
  broker?: 'child';
}

/** The fleet suite's result (`--json`). */
export interface FleetBench {
  keygenPerSecond: number;
  /** The two halves of the keygen measurement: before and after the cold run (keys/s each). */
  keygenHalves: { before: number; after: number };
  keysPerDevice: number;
  coldFloorDevicesPerSecond: number;
  coldDevicesPerSecond: number;
  coldRatioToFloor: number;
  /** Devices/s of the largest pooled run (the large fleet's when there is one). */
  pooledDevicesPerSecond: number | null;
  pooledRatioToKeygen: number | null;
  /** The fleet size {@link pooledDevicesPerSecond} was measured at. */
  pooledDevices: number | null;
  /**
   * CPU ms per device: the cold run's total (key generation included); `pooled`, the largest pooled run's
   * (null without a pool); service and device side from the split run (null if skipped).
   */
  cpuMsPerDevice: { total: number; pooled: number | null; service: number | null; device: number | null };
  /**
   * Peak RSS above the baseline ÷ devices, and MQTT messages ÷ devices, of the largest run (the large fleet's
   * when there is one, else the pooled run's, else the cold run's): a small run's fixed costs spread over few
   * devices say nothing of a large fleet. {@link perDeviceDevices} says which size.
   */
  peakRssKiBPerDevice: number;
  messagesPerDevice: number;
  /** The fleet size of the run {@link peakRssKiBPerDevice} and {@link messagesPerDevice} come from. */
  perDeviceDevices: number;
  devices: number;
  wallSeconds: {
    cold: number;
    pooled: number | null;
    scale: { devices: number; seconds: number; ratio: number } | null;
  };
  cores: number;
  runs: { cold: FleetRunFigures; pooled: FleetRunFigures | null; scale: FleetRunFigures | null };
}

/** Options of {@link measureFleet}. */
export interface MeasureFleetOptions {
  devices: number;
  /**
   * The fleet of the cold and split runs (default `devices`): smaller on a machine too loaded to generate
   * a 1,000-device fleet's keys in time; keys, messages, CPU and RSS per device are then per cold device.
   */
  coldDevices?: number;
  scale?: number;
  keyPool?: RunKeyPoolOption;
  /**
   * Keys for the raw keygen figure, half before the cold run and half after it (default cores × 128, at
   * least 256; 2 at least whatever is given: an RSA key's prime search varies widely in length: more keys, a
   * steadier rate).
   */
  keygenKeys?: number;
  /** Skip the split (`--workers 1`) run (tests). */
  noSplit?: boolean;
  /** Progress lines (text mode). */
  log?: (line: string) => void;
}

/** Peak RSS (KiB) since the last {@link resetPeak}: VmHWM, or the sampler's peak. */
interface PeakMeter {
  stop(): number;
}

function procStatusKiB(field: string): number | undefined {
  try {
    const m = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readFileSync('/proc/self/status', 'utf8'));
    return m ? Number(m[1]) : undefined;
  } catch {
    return undefined;
  }
}

/** Starts measuring the peak RSS: resets the kernel's high-water mark, or samples when that is not possible. */
function startPeak(): PeakMeter {
  try {
    writeFileSync('/proc/self/clear_refs', '5');
    if (procStatusKiB('VmHWM') !== undefined) return { stop: () => procStatusKiB('VmHWM') as number };
  } catch {
    // not Linux, or /proc not writable: sample
  }
  let peak = process.memoryUsage.rss();
  const t = setInterval(() => (peak = Math.max(peak, process.memoryUsage.rss())), 200);
  return {
    stop: () => {
      clearInterval(t);
      return Math.max(peak, process.memoryUsage.rss()) / 1024;
    },
  };
}

/** CPU ms of this process's waited-for children (/proc/self/stat cutime + cstime); 0 where unknown. */
function childrenCpuMs(): number {
  try {
    const stat = readFileSync('/proc/self/stat', 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = Number(fields[13]) + Number(fields[14]); // cutime, cstime (fields 16, 17 of proc(5))
    const hz = Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout.trim()) || 100;
    return (ticks * 1000) / hz;
  } catch {
    return 0;
  }
}

function cpuMs(since: NodeJS.CpuUsage): number {
  const d = process.cpuUsage(since);
  return (d.user + d.system) / 1000;
}

async function fleetRun(
  work: string,
  name: string,
  devices: number,
  keyPool?: RunKeyPoolOption,
  layout: RunLayout = { workers: 0 },
): Promise<FleetRunFigures> {
  if (layout.workers > 0) return splitFleetRun(work, name, devices, layout.workers, keyPool);
  return measuredRun(
    devices,
    () =>
      runFleet({
        scenario: { text: benchScenarioYaml(devices), file: 'bench-fleet.yaml', baseDir: work },
        out: join(work, name),
        ...(layout.broker ? { broker: { type: layout.broker } } : {}),
        ...(keyPool ? { keyPool } : {}),
      }),
    { workers: 0, ...(layout.broker ? { broker: layout.broker } : {}) },
  );
}

/**
 * One fleet run on the split engine (`run --workers N`): the coordinator (service side, connectors,
 * broker) here, the devices in N agent host children. CPU: this process's and its children's (counted once
 * they exited); peak RSS: this process's only.
 */
async function splitFleetRun(
  work: string,
  name: string,
  devices: number,
  workers: number,
  keyPool?: RunKeyPoolOption,
): Promise<FleetRunFigures> {
  const file = join(work, `${name}.yaml`);
  writeFileSync(file, benchScenarioYaml(devices));
  return measuredRun(
    devices,
    () =>
      runWorkers({
        scenario: file,
        workers,
        out: join(work, name),
        // a host of 5,000 devices on a loaded machine takes longer than the default to join (liveness only)
        hostTimeoutMs: 900_000,
        ...(keyPool ? { keyPool } : {}),
      }),
    { workers },
  );
}

/**
 * The figures of one fleet run made by `start`: wall time, CPU of this process and of its children that
 * exited by the end (the child broker, agent hosts), peak RSS of this process above its baseline after a GC,
 * messages, outcomes and keys.
 */
async function measuredRun(
  devices: number,
  start: () => Promise<FleetRun>,
  layout: Pick<FleetRunFigures, 'workers' | 'broker'>,
): Promise<FleetRunFigures> {
  (globalThis as { gc?: () => void }).gc?.();
  const baseline = process.memoryUsage.rss() / 1024;
  const peak = startPeak();
  const children = childrenCpuMs();
  const cpu = process.cpuUsage();
  const t0 = performance.now();
  const run = await start();
  const wallSeconds = (performance.now() - t0) / 1000;
  // the children's CPU too (counted by the kernel once they have exited, before the run returns)
  const cpuUsed = cpuMs(cpu) + childrenCpuMs() - children;
  const peakKiB = peak.stop();
  const r = run.result;
  const windows = r.devicesList.filter((d) => d.platform === 'windows' && d.enrolled).length;
  return {
    devices,
    wallSeconds,
    devicesPerSecond: devices / wallSeconds,
    cpuMs: cpuUsed,
    messages: r.metrics.messages,
    installed: r.outcomes.filter((o) => o.status === 'installed').length,
    failed: r.outcomes.filter((o) => o.status === 'failed').length,
    rsaKeys: windows + r.metrics.certificatesIssued,
    peakRssKiB: peakKiB,
    baselineRssKiB: baseline,
    ...(r.metrics.keys ? { keys: r.metrics.keys } : {}),
    ...layout,
  };
}

/** Service side / device side CPU ms of a `run --workers 1` of `devices` devices. */
async function splitRun(work: string, devices: number): Promise<{ service: number; device: number }> {
  const file = join(work, 'bench-fleet.yaml');
  writeFileSync(file, benchScenarioYaml(devices));
  const children = childrenCpuMs();
  const cpu = process.cpuUsage();
  await runWorkers({ scenario: file, workers: 1, out: join(work, 'split') });
  return { service: cpuMs(cpu), device: childrenCpuMs() - children };
}

/**
 * The layout of the bench's pooled and large-fleet runs: with a large fleet of `scale` devices, the one
 * `certfleet run` picks by default for it (auto-workers.ts), at both sizes; without one, one process.
 */
export function benchLayout(scale: number | undefined): RunLayout {
  return scale !== undefined ? autoLayout({ devices: scale, oneProcessOnly: false }) : { workers: 0 };
}

/** Seconds to make `keys` RSA-2048 keys, all in flight. */
async function keygenSeconds(keys: number): Promise<number> {
  const t0 = performance.now();
  await Promise.all(Array.from({ length: keys }, () => generateKeyPair({ kind: 'rsa', size: 2048 })));
  return (performance.now() - t0) / 1000;
}

/** Runs the fleet suite's measurements; see the file comment. */
export async function measureFleet(o: MeasureFleetOptions): Promise<FleetBench> {
  const log = o.log ?? (() => undefined);
  const cores = availableParallelism();
  const n = Math.max(2, o.keygenKeys ?? Math.max(256, cores * 128)); // one key in each half at least
  const halves = [Math.ceil(n / 2), Math.floor(n / 2)] as const;
  log(`raw RSA-2048 keygen: ${halves[0]} keys (the other ${halves[1]} after the cold run)…`);
  const before = await keygenSeconds(halves[0]);

  const work = mkdtempSync(join(tmpdir(), 'certfleet-bench-fleet-'));
  try {
    const coldDevices = o.coldDevices ?? o.devices;
    log(`cold run: ${coldDevices} devices…`);
    const cold = await fleetRun(work, 'cold', coldDevices);
    log(`raw RSA-2048 keygen: ${halves[1]} keys…`);
    const after = await keygenSeconds(halves[1]);
    const keygenPerSecond = n / (before + after);
    let split: { service: number; device: number } | undefined;
    if (!o.noSplit) {
      log(`split run (--workers 1): ${coldDevices} devices…`);
      split = await splitRun(work, coldDevices);
    }
    // with a large fleet, the pooled runs at both sizes go on the layout `run` picks for the large fleet
    // (like for like)
    const layout = benchLayout(o.scale);
    const engine = layoutLabel(layout) ? ` (run ${layoutLabel(layout)})` : '';
    let pooled: FleetRunFigures | null = null;
    if (o.keyPool) {
      log(`pooled run${engine}: ${o.devices} devices…`);
      pooled = await fleetRun(work, 'pooled', o.devices, o.keyPool, layout);
    }
    let scale: FleetRunFigures | null = null;
    if (o.scale !== undefined) {
      log(`scale run${o.keyPool ? ' (pooled)' : ''}${engine}: ${o.scale} devices…`);
      scale = await fleetRun(work, 'scale', o.scale, o.keyPool, layout);
    }
    const pooledBest = o.keyPool ? (scale ?? pooled) : null;
    const keysPerDevice = cold.rsaKeys / coldDevices;
    const floor = keygenPerSecond / keysPerDevice;
    const base = o.keyPool && pooled ? pooled : cold;
    const largest = scale ?? pooled ?? cold;
    return {
      keygenPerSecond,
      keygenHalves: { before: halves[0] / before, after: halves[1] / after },
      keysPerDevice,
      coldFloorDevicesPerSecond: floor,
      coldDevicesPerSecond: cold.devicesPerSecond,
      coldRatioToFloor: cold.devicesPerSecond / floor,
      pooledDevicesPerSecond: pooledBest ? pooledBest.devicesPerSecond : null,
      pooledRatioToKeygen: pooledBest ? pooledBest.devicesPerSecond / keygenPerSecond : null,
      pooledDevices: pooledBest ? pooledBest.devices : null,
      cpuMsPerDevice: {
        total: cold.cpuMs / coldDevices,
        pooled: pooledBest ? pooledBest.cpuMs / pooledBest.devices : null,
        service: split ? split.service / coldDevices : null,
        device: split ? split.device / coldDevices : null,
      },
      peakRssKiBPerDevice: Math.max(0, largest.peakRssKiB - largest.baselineRssKiB) / largest.devices,
      messagesPerDevice: largest.messages / largest.devices,
      perDeviceDevices: largest.devices,
      devices: o.devices,
      wallSeconds: {
        cold: cold.wallSeconds,
        pooled: pooled ? pooled.wallSeconds : null,
        scale: scale
          ? {
              devices: scale.devices,
              seconds: scale.wallSeconds,
              ratio: scale.wallSeconds / base.wallSeconds,
            }
          : null,
      },
      cores,
      runs: { cold, pooled, scale },
    };
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

const f = (v: number, d = 1): string => v.toFixed(d);

/** The `run` options of a layout: `--workers N`, `--broker child`, or '' (one process, broker in it). */
function layoutLabel(l: { workers: number; broker?: 'child' }): string {
  if (l.workers > 0) return `--workers ${l.workers}`;
  return l.broker ? `--broker ${l.broker}` : '';
}

/** The text form of {@link FleetBench}. */
export function renderFleetBench(b: FleetBench): string {
  const row = (label: string, value: string): string => `  ${label.padEnd(56)} ${value}\n`;
  const c = b.runs.cold;
  let out = '';
  out += row(
    'raw RSA-2048 keygen (same run)',
    `${f(b.keygenPerSecond)} keys/s  (${b.cores} cores; ${f(b.keygenHalves.before)} before the cold run, ${f(b.keygenHalves.after)} after)`,
  );
  out += row(
    'RSA-2048 keys per device (cold run)',
    `${f(b.keysPerDevice, 2)}  (${c.rsaKeys} keys / ${c.devices} devices)`,
  );
  out += row('cold floor (keygen/s ÷ keys per device)', `${f(b.coldFloorDevicesPerSecond)} devices/s`);
  out += row(
    `cold run (${c.devices} devices)`,
    `${f(b.coldDevicesPerSecond)} devices/s  ×${f(b.coldRatioToFloor, 2)} of the floor  (${f(c.wallSeconds)} s; ${c.installed} installed, ${c.failed} failed)`,
  );
  const sum = (r: Record<string, number>): number => Object.values(r).reduce((a, v) => a + v, 0);
  for (const run of [b.runs.pooled, b.runs.scale]) {
    if (!run?.keys) continue;
    const k = run.keys;
    out += row(
      `pooled run (--key-pool), ${run.devices} devices${layoutLabel(run) ? `, ${layoutLabel(run)}` : ''}`,
      `${f(run.devicesPerSecond)} devices/s  ×${f(run.devicesPerSecond / b.keygenPerSecond, 2)} of raw keygen/s  (${f(run.wallSeconds)} s; ${run.installed} installed, ${run.failed} failed)`,
    );
    out += row(
      '  keys',
      `${sum(k.fromPool)} from the pool, ${sum(k.fresh)} fresh` +
        (k.reuse ? `, ${sum(k.shared)} draws shared a key (--key-reuse)` : '') +
        (k.processes !== undefined ? `; ${k.processes} processes drew` : ''),
    );
  }
  if (b.pooledDevicesPerSecond === null)
    out += row('pooled run (--key-pool)', 'not run (give --key-pool DIR)');
  const cpu = b.cpuMsPerDevice;
  const big = b.runs.scale ?? b.runs.pooled ?? c;
  out += row(
    'CPU ms per device',
    `${f(cpu.total)} cold (keygen included)` +
      (cpu.pooled !== null ? `; ${f(cpu.pooled)} pooled (${b.pooledDevices} devices)` : '') +
      (cpu.service !== null && cpu.device !== null
        ? `; split run: ${f(cpu.service)} service side, ${f(cpu.device)} device side`
        : ''),
  );
  out += row(
    `peak RSS per device (above the baseline, ${b.perDeviceDevices} devices)`,
    `${f(b.peakRssKiBPerDevice)} KiB  (baseline ${f(big.baselineRssKiB / 1024, 0)} MiB, peak ${f(big.peakRssKiB / 1024, 0)} MiB)`,
  );
  out += row(`MQTT messages per device (${b.perDeviceDevices} devices)`, f(b.messagesPerDevice));
  const s = b.wallSeconds.scale;
  if (b.runs.scale && !b.runs.scale.keys) {
    const r = b.runs.scale;
    out += row(
      `cold run, ${r.devices} devices${layoutLabel(r) ? `, ${layoutLabel(r)}` : ''}`,
      `${f(r.devicesPerSecond)} devices/s  (${f(r.wallSeconds)} s; ${r.installed} installed, ${r.failed} failed)`,
    );
  }
  out += row(
    'wall time',
    `${f(b.wallSeconds.pooled ?? b.wallSeconds.cold)} s at ${b.devices}` +
      (s
        ? `, ${f(s.seconds)} s at ${s.devices}: ×${f(s.ratio, 2)}`
        : ' (give --devices 10000 for the large fleet)'),
  );
  return out;
}

/**
 * The fleet suite's sizes: `--devices N` above the reference size (`--reference`, default 1,000) without
 * `--scale` is the large fleet, after runs at the reference size; otherwise `--devices` and `--scale` as given.
 */
export function fleetSizes(args: Pick<BenchArgs, 'devices' | 'scale' | 'reference'>): {
  devices: number;
  scale?: number;
} {
  const reference = args.reference ?? REFERENCE_DEVICES;
  if (args.scale === undefined && args.devices > reference)
    return { devices: reference, scale: args.devices };
  return { devices: args.devices, ...(args.scale !== undefined ? { scale: args.scale } : {}) };
}

/** `npm run bench -- fleet`. */
export async function benchFleet(args: BenchArgs): Promise<void> {
  const { devices, scale } = fleetSizes(args);
  const r = spawnSync('sh', ['-c', 'ulimit -n'], { encoding: 'utf8' });
  const limit = Number(r.stdout.trim());
  // the largest run with both ends of every socket in one process: the large fleet's when `run` keeps its
  // broker in the run's process at that size, else the reference fleet's
  const biggest = scale !== undefined && benchLayout(scale).broker === undefined ? scale : devices;
  if (!args.json && Number.isFinite(limit) && limit < biggest * 2 + 200) {
    process.stdout.write(
      `  note: ulimit -n is ${limit}; ${biggest} devices need about ${biggest * 2 + 200} open files\n`,
    );
  }
  const b = await measureFleet({
    devices,
    ...(scale !== undefined ? { scale } : {}),
    ...(args.coldDevices !== undefined ? { coldDevices: args.coldDevices } : {}),
    ...(args.keyPool !== undefined
      ? {
          keyPool: {
            dir: args.keyPool,
            passphrase: poolPassphraseFrom(process.env),
            ...(args.keyReuse ? { reuse: true } : {}),
          },
        }
      : {}),
    // progress on stderr, also with --json (the JSON object is stdout's only content)
    log: (l: string) => process.stderr.write(`  … ${new Date().toISOString().slice(11, 19)} ${l}\n`),
  });
  process.stdout.write(args.json ? `${JSON.stringify(b, null, 2)}\n` : renderFleetBench(b));
}
