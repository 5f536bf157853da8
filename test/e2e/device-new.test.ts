/**
 * `certfleet device new` run as the CLI (regression issue 4: "certfleet device new --platform P [--seed S]
 * [--index I] [--kind K] --json prints a device with its attributes and native inventory"): the JSON shape
 * per platform and kind, determinism for the same seed and index, and exit 2 on a bad kind.
 */
import { spawnSync } from 'node:child_process';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
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
  });

  it('same seed and index → the same bytes; another index → another device', () => {
    const args = ['--platform', platform, '--seed', 'e2e-det', '--index', '7', '--json'];
    const a = run(args);
    const b = run(args);
    expect(a.status).toBe(0);
    expect(b.stdout).toBe(a.stdout);
    const other = run(['--platform', platform, '--seed', 'e2e-det', '--index', '8', '--json']);
    expect((JSON.parse(other.stdout) as Printed).device.id).not.toBe(
      (JSON.parse(a.stdout) as Printed).device.id,
    );
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
