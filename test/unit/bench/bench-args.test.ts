/**
 * The bench's command line and JSON shapes (issue 11 point 4): options are parsed strictly (a number after
 * `--devices` is never a suite name), and `fleet --json` / `idle --json` carry the keys other tools read.
 * Small fleets; no figure is judged (timing belongs in `npm run bench`, docs/architecture.md house rule 12).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseBenchArgs } from '../../../bench/args.ts';
import { measureFleet, renderFleetBench } from '../../../bench/fleet.ts';
import { measureIdle } from '../../../bench/idle.ts';
import { KeyPool } from '../../../simulator/tools/key-pool/key-pool.ts';
import { makeKeyPool } from '../../../simulator/tools/key-pool/make-pool.ts';
import { poolKey } from '../../fixtures/key-pool.ts';

describe('parseBenchArgs', () => {
  it('reads suites and options in any order, with defaults', () => {
    expect(parseBenchArgs([])).toEqual({ suites: [], devices: 1000, agents: 1000, json: false });
    expect(
      parseBenchArgs(['fleet', '--devices', '300', '--key-pool', 'pool', '--json', '--scale=3000']),
    ).toEqual({ suites: ['fleet'], devices: 300, scale: 3000, keyPool: 'pool', agents: 1000, json: true });
    expect(parseBenchArgs(['idle', '--agents', '15000'])).toMatchObject({ suites: ['idle'], agents: 15000 });
  });

  it.each([
    [['fleet', '--devices', 'abc']],
    [['fleet', '--devices', '0']],
    [['fleet', '--devices', '2.5']],
    [['fleet', '--devices']],
    [['fleet', '--key-pool']],
    [['fleet', '--key-pool', '--json']],
    [['fleet', '--device', '10']],
    [['idle', '--agents', '-3']],
  ])('%j is a USAGE error', (argv) => {
    expect(() => parseBenchArgs(argv)).toThrow(expect.objectContaining({ code: 'USAGE' }));
  });
});

const PASS = 'bench-shape-passphrase';
let work: string;
let pool: string;

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'certfleet-bench-shape-'));
  pool = join(work, 'pool');
  await makeKeyPool({ dir: pool, count: 4, kind: 'ec-p256', passphrase: PASS });
  const p = KeyPool.open(pool, PASS);
  try {
    p.append(
      'rsa-2048',
      Array.from({ length: 8 }, (_, i) => poolKey('rsa2048', i).privateKey),
    );
  } finally {
    p.close();
  }
}, 120_000);

afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('fleet --json', () => {
  it('has every key of the issue, consistent with its runs', async () => {
    const b = await measureFleet({
      devices: 3,
      keygenKeys: 2,
      noSplit: true,
      keyPool: { dir: pool, passphrase: PASS },
    });
    for (const key of [
      'keygenPerSecond',
      'keysPerDevice',
      'coldFloorDevicesPerSecond',
      'coldDevicesPerSecond',
      'coldRatioToFloor',
      'pooledDevicesPerSecond',
      'pooledRatioToKeygen',
      'cpuMsPerDevice',
      'peakRssKiBPerDevice',
      'messagesPerDevice',
    ]) {
      expect(b, key).toHaveProperty(key);
    }
    const json = JSON.parse(JSON.stringify(b)) as typeof b;
    expect(json.devices).toBe(3);
    expect(json.runs.cold.installed + json.runs.cold.failed).toBe(6); // 3 devices × 2 profiles
    expect(json.keysPerDevice).toBeCloseTo(json.runs.cold.rsaKeys / 3, 10);
    expect(json.runs.cold.rsaKeys).toBeGreaterThanOrEqual(3); // one PKCS key per device at least
    // keygen in two halves of one key each, before and after the cold run: the rate is both keys ÷ both times
    const { before, after } = json.keygenHalves;
    expect(before).toBeGreaterThan(0);
    expect(after).toBeGreaterThan(0);
    expect(json.keygenPerSecond).toBeCloseTo(2 / (1 / before + 1 / after), 6);
    expect(json.coldFloorDevicesPerSecond).toBeCloseTo(json.keygenPerSecond / json.keysPerDevice, 6);
    expect(json.coldRatioToFloor).toBeCloseTo(json.coldDevicesPerSecond / json.coldFloorDevicesPerSecond, 6);
    expect(json.pooledRatioToKeygen).toBeCloseTo(
      (json.pooledDevicesPerSecond as number) / json.keygenPerSecond,
      6,
    );
    // the per-device figures come from the largest run: here the pooled one (3 devices, like the cold run)
    const pooledRun = json.runs.pooled!;
    expect(json.perDeviceDevices).toBe(3);
    expect(json.messagesPerDevice).toBe(pooledRun.messages / 3);
    expect(json.messagesPerDevice).toBeGreaterThan(0);
    expect(json.peakRssKiBPerDevice).toBe(Math.max(0, pooledRun.peakRssKiB - pooledRun.baselineRssKiB) / 3);
    expect(json.cpuMsPerDevice).toEqual({
      total: json.runs.cold.cpuMs / 3,
      pooled: pooledRun.cpuMs / 3,
      service: null,
      device: null,
    });
    expect(json.runs.pooled?.keys?.fromPool['rsa-2048']).toBe(json.runs.cold.rsaKeys);
    expect(json.wallSeconds.scale).toBeNull();
    expect(renderFleetBench(b)).toMatch(/cold floor .* devices\/s/);
  }, 240_000);
});

describe('idle --json', () => {
  it('has agents, kibPerAgent (agent host), serviceKibPerAgent and brokerKibPerAgent, measured with every agent idle', async () => {
    const b = await measureIdle({ agents: 3 });
    expect(b).toMatchObject({ agents: 3, idleAgents: 3 });
    expect(typeof b.kibPerAgent).toBe('number');
    expect(Number.isFinite(b.brokerKibPerAgent)).toBe(true);
    expect(b.brokerRssKiB.before).toBeGreaterThan(0);
    // three processes read apart: the agent host's probe answered at both moments, with its own figures
    expect(Number.isFinite(b.serviceKibPerAgent)).toBe(true);
    expect(b.rssKiB.before).toBeGreaterThan(0);
    expect(b.rssKiB.idle).toBeGreaterThan(0);
    expect(b.serviceRssKiB.before).toBeGreaterThan(0);
    expect(b.rssKiB.before).not.toBe(b.serviceRssKiB.before);
    // measured after a full GC: the heap in use counts the agents' live objects (never NaN)
    expect(Number.isFinite(b.heapKibPerAgent)).toBe(true);
    expect(Number.isFinite(b.externalKibPerAgent)).toBe(true);
    expect(Number.isFinite(b.youngGenerationKibPerAgent)).toBe(true);
  }, 120_000);
});
