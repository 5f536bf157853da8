/**
 * `npm run bench -- fleet`: one fleet run end to end, beside the raw limit measured in the same process
 * just before it.
 *
 * - raw native RSA-2048 keygen/s (KEYS keys in parallel: libuv's pool spreads them over the cores)
 * - devices/s end to end for a fleet of 1,000 (a scenario built here: every platform, one trusted root and
 *   one PKCS user certificate, one virtual day, devices enrolling over the first hour), over the embedded
 *   broker: enrollment (management certificate), inventory, both profiles compiled, delivered and installed
 * - the ratio devices/s ÷ keygen/s (each PKCS install costs one server-side RSA-2048 key; the Windows
 *   management identities are RSA too)
 * - peak RSS per device: `process.memoryUsage().rss` sampled every 50 ms during the run, minus the
 *   baseline taken just before it, divided by the fleet size
 *
 * One process holds both ends of every MQTT connection (1,000 devices ≈ 2,000 sockets + the run's files);
 * the suite says so when `ulimit -n` is too low. `CERTFLEET_BENCH_DEVICES` overrides the fleet size.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateKeyPair } from '../pki/keys.ts';
import { runFleet } from '../simulator/fleet/run-fleet.ts';
import { loadScenario } from '../simulator/scenario/index.ts';
import { rate, report } from './measure.ts';

const KEYS = 48;

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

function openFileLimit(): number | undefined {
  const r = spawnSync('sh', ['-c', 'ulimit -n'], { encoding: 'utf8' });
  const n = Number(r.stdout.trim());
  return Number.isFinite(n) ? n : undefined;
}

/** Runs the fleet suite and prints its figures. */
export async function benchFleet(): Promise<void> {
  const devices = Number(process.env.CERTFLEET_BENCH_DEVICES ?? 1000);
  const limit = openFileLimit();
  if (limit !== undefined && limit < devices * 2 + 200) {
    process.stdout.write(
      `  note: ulimit -n is ${limit}; ${devices} devices need about ${devices * 2 + 200} open files (two sockets each)\n`,
    );
  }

  // 1. Raw keygen throughput, in this process, just before the run.
  const keygen = await rate(KEYS, async () => {
    await Promise.all(Array.from({ length: KEYS }, () => generateKeyPair({ kind: 'rsa', size: 2048 })));
  });
  report('native RSA-2048 keygen (same process, before the run)', keygen, 'keys/s');

  // 2. The fleet run, with RSS sampled during it.
  const work = mkdtempSync(join(tmpdir(), 'certfleet-bench-fleet-'));
  try {
    const scenario = loadScenario({
      text: benchScenarioYaml(devices),
      file: 'bench-fleet.yaml',
      baseDir: work,
    });
    (globalThis as { gc?: () => void }).gc?.();
    const baseline = process.memoryUsage().rss;
    let peak = baseline;
    const sampler = setInterval(() => {
      peak = Math.max(peak, process.memoryUsage().rss);
    }, 50);
    let outcome: Awaited<ReturnType<typeof runFleet>>;
    const run = await rate(devices, async () => {
      outcome = await runFleet({ scenario, out: join(work, 'run') });
    });
    clearInterval(sampler);
    peak = Math.max(peak, process.memoryUsage().rss);
    const result = outcome!.result;
    const installed = result.outcomes.filter((o) => o.status === 'installed').length;
    const failed = result.outcomes.filter((o) => o.status === 'failed').length;
    report(`fleet run end to end (${devices} devices, embedded broker)`, run, 'devices/s');
    process.stdout.write(
      `  ${'  outcomes'.padEnd(52)} ${installed} installed, ${failed} failed, ${result.outcomes.length - installed - failed} other; ${result.metrics.certificatesIssued} certificates issued, ${result.metrics.messages} messages\n`,
    );
    process.stdout.write(
      `  ${'devices/s ÷ raw keygen/s'.padEnd(52)} ${(run.perSecond / keygen.perSecond).toFixed(3).padStart(9)}\n`,
    );
    const perDevice = (peak - baseline) / devices;
    process.stdout.write(
      `  ${'peak RSS per device (above the baseline)'.padEnd(52)} ${(perDevice / 1024).toFixed(1).padStart(9)} KiB  (baseline ${(baseline / 2 ** 20).toFixed(0)} MiB, peak ${(peak / 2 ** 20).toFixed(0)} MiB)\n`,
    );
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
