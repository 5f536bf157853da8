/**
 * `certfleet device new` run as the CLI (regression issue 4: "certfleet device new --platform P [--seed S]
 * [--index I] [--kind K] --json prints a device with its attributes and native inventory"): the JSON shape
 * per platform and kind, determinism for the same seed and index (in-process: the function the command
 * prints), and exit 2 on a bad kind.
 */
import { spawnSync } from 'node:child_process';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { newDeviceReport } from '../../agent/device/device-report.ts';
import { ENROLLMENT_KINDS, PLATFORMS } from '../../profiles/model/platform.ts';

const ROOT = resolve(import.meta.dirname, '../..');
const run = (args: string[]) =>
  spawnSync(process.execPath, [join(ROOT, 'bin/certfleet.mjs'), 'device', 'new', ...args], {
    encoding: 'utf8',
  });

const SHAPES = {
  windows: { shape: 'windows-omadm', key: 'nodes' },
  macos: { shape: 'apple-device-information', key: 'queryResponses' },
  ios: { shape: 'apple-device-information', key: 'queryResponses' },
  android: { shape: 'android-device', key: 'device' },
} as const;

interface Printed {
  device: {
    id: string;
    platform: string;
    enrollmentKind: string;
    seed: string;
    index: number;
    attributes: object;
  };
  inventory: { shape: string } & Record<string, unknown>;
}

describe.each(PLATFORMS)('regression issue 4: certfleet device new --platform %s', (platform) => {
  // The first kind of each platform keeps the number of CLI processes small; every kind is covered below.
  const kind = ENROLLMENT_KINDS[platform][0];

  it('prints exactly one JSON object: the device with its attributes and its native inventory', () => {
    const r = run(['--platform', platform, '--kind', kind, '--seed', 'e2e', '--index', '4', '--json']);
    expect(r.status).toBe(0);
    const json = JSON.parse(r.stdout) as Printed;
    expect(Object.keys(json).sort()).toEqual(['device', 'inventory']);
    expect(json.device).toMatchObject({ platform, enrollmentKind: kind, seed: 'e2e', index: 4 });
    expect(json.device.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(Object.keys(json.device.attributes).length).toBeGreaterThan(0);
    expect(json.inventory.shape).toBe(SHAPES[platform].shape);
    expect(json.inventory[SHAPES[platform].key]).toBeDefined();
    // deterministic across processes: the test's own process makes the same device from the same seed and index
    const here = newDeviceReport({ platform, kind, seed: 'e2e', index: 4 });
    expect(json).toEqual(JSON.parse(JSON.stringify(here)));
  });

  // in-process: newDeviceReport is what the command prints (as JSON); the CLI process is the test above's
  it('same seed and index → the same bytes; another index → another device', () => {
    const report = (index: number): string =>
      JSON.stringify(newDeviceReport({ platform, seed: 'e2e-det', index }));
    expect(report(7)).toBe(report(7));
    expect(JSON.parse(report(8)).device.id).not.toBe(JSON.parse(report(7)).device.id);
  });

  it('exits 2 on a kind of another platform and on an unknown kind', () => {
    const foreign = PLATFORMS.filter((p) => p !== platform)
      .flatMap((p) => ENROLLMENT_KINDS[p])
      .find((k) => !(ENROLLMENT_KINDS[platform] as readonly string[]).includes(k))!;
    const bad = run(['--platform', platform, '--kind', foreign, '--json']);
    expect(bad.status).toBe(2);
    expect(bad.stdout).toBe('');
    expect(bad.stderr).toMatch(/USAGE|not an enrollment kind/);
    expect(run(['--platform', platform, '--kind', 'kiosk', '--json']).status).toBe(2);
  });
});
