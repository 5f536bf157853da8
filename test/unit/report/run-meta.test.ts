import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { commandLineOf, runMetaOf } from '../../../simulator/report/run-meta.ts';

describe('commandLineOf', () => {
  it.each([
    [
      ['node', '/p/bin/certfleet.mjs', 'run', 'scenarios/a.yaml', '--devices', '8'],
      'certfleet run scenarios/a.yaml --devices 8',
    ],
    [['node', '/p/bin/certfleet.mjs', 'run', 'my file.yaml'], "certfleet run 'my file.yaml'"],
    [['node', '/p/bin/certfleet.mjs', 'run', "it's.yaml"], "certfleet run 'it'\\''s.yaml'"],
    [
      ['node', '/p/bin/certfleet.mjs', 'run', '--fleet-secret', 'hunter2', '--seed', 's'],
      'certfleet run --fleet-secret *** --seed s',
    ],
    [
      ['node', '/p/bin/certfleet.mjs', 'ca', 'issue', '--password=hunter2'],
      'certfleet ca issue --password=***',
    ],
    [['/usr/bin/node', '/x/vitest.mjs', 'run'], 'node vitest.mjs run'],
  ])('%j → %s', (argv, expected) => {
    expect(commandLineOf(argv)).toBe(expected);
    expect(commandLineOf(argv)).not.toContain('hunter2');
  });
});

describe('runMetaOf', () => {
  const dir = mkdtempSync(join(tmpdir(), 'certfleet-meta-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const text =
    'name: wifi\ndescription: the Wi-Fi rollout, before the change\nseed: 42\nfleet: { devices: 3 }\n';

  it('reads the scenario text, description and wall-clock start from run.json and hashes the text', () => {
    writeFileSync(
      join(dir, 'run.json'),
      JSON.stringify({
        format: 'certfleet-run/1',
        scenario: { name: 'wifi', file: '/somewhere/wifi.yaml', baseDir: '/somewhere', text },
        seed: '42',
        devices: 3,
        startedAt: '2026-05-04T10:11:12.000Z',
      }),
    );
    const m = runMetaOf(dir, { scenario: 'wifi', seed: '42' }, [
      'node',
      '/p/bin/certfleet.mjs',
      'run',
      'wifi.yaml',
    ]);
    expect(m.scenario).toEqual({
      name: 'wifi',
      description: 'the Wi-Fi rollout, before the change',
      file: '/somewhere/wifi.yaml',
      sha256: createHash('sha256').update(text).digest('hex'),
    });
    expect(m.command).toBe('certfleet run wifi.yaml');
    expect(m.seed).toBe('42');
    expect(m.wallStart).toBe('2026-05-04T10:11:12.000Z');
    expect(m.hosts).toBeUndefined(); // a one-process run's manifest names no hosts
    expect(m.version).toMatch(/^\d+\.\d+\.\d+/);
    expect(m.machine.cpus).toBe(cpus().length);
    expect(m.machine.node).toBe(process.version);
  });

  it('a run spread over agent hosts (run --workers, serve --hosts) says how many; a malformed count is dropped', () => {
    for (const [hosts, want] of [
      [2, 2],
      [0, undefined],
      ['2', undefined],
      [1.5, undefined],
    ] as const) {
      const d = mkdtempSync(join(dir, 'hosts-'));
      writeFileSync(
        join(d, 'run.json'),
        JSON.stringify({ format: 'certfleet-run/1', scenario: { name: 'x' }, seed: 's', devices: 2, hosts }),
      );
      expect(runMetaOf(d, { scenario: 'x', seed: 's' }, ['node', 'certfleet', 'run']).hosts).toBe(want);
    }
  });

  it('a one-process run names its broker (run.json `broker`); an unknown or malformed one is dropped', () => {
    for (const [broker, want] of [
      ['child', 'child'],
      ['embedded', 'embedded'],
      ['mosquitto', 'mosquitto'],
      ['aedes', undefined],
      [3, undefined],
      [undefined, undefined],
    ] as const) {
      const d = mkdtempSync(join(dir, 'broker-'));
      writeFileSync(
        join(d, 'run.json'),
        JSON.stringify({ format: 'certfleet-run/1', scenario: { name: 'x' }, seed: 's', devices: 2, broker }),
      );
      expect(runMetaOf(d, { scenario: 'x', seed: 's' }, ['node', 'certfleet', 'run']).broker).toBe(want);
    }
  });

  it('a wall-paced run (serve --wall-paced) says so with its scale; a virtual-clock run and a malformed scale do not', () => {
    for (const [wallPaced, want] of [
      [{ timeScale: 600 }, { timeScale: 600 }],
      [undefined, undefined],
      [{ timeScale: 0 }, undefined],
      [{ timeScale: '600' }, undefined],
      [{}, undefined],
    ] as const) {
      const d = mkdtempSync(join(dir, 'paced-'));
      writeFileSync(
        join(d, 'run.json'),
        JSON.stringify({
          format: 'certfleet-run/1',
          scenario: { name: 'x' },
          seed: 's',
          devices: 2,
          wallPaced,
        }),
      );
      expect(runMetaOf(d, { scenario: 'x', seed: 's' }, ['node', 'certfleet', 'serve']).wallPaced).toEqual(
        want,
      );
    }
  });

  it('without run.json: the run name and seed only', () => {
    const empty = mkdtempSync(join(dir, 'empty-'));
    const m = runMetaOf(empty, { scenario: 'x', seed: 's' }, ['node', 'certfleet', 'run']);
    expect(m.scenario).toEqual({ name: 'x' });
    expect(m.wallStart).toBeUndefined();
  });
});
