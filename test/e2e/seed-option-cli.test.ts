/**
 * An empty seed through the real CLI: `--seed ""`, `--seed` without a value and `CERTFLEET_SEED=` are usage
 * errors (exit 2) for `run`, `serve` and `agents`, and no run folder is made; `seed: ''` in the scenario is
 * SCENARIO_INVALID (exit 3) on its line. Each used to end the run with CLOCK_PROTOCOL (exit 1) and leave a
 * half-written run folder (agents.db, ca, run.db, run.json).
 */
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { certfleet } from './fixtures/certfleet-cli.ts';

const ROOT = resolve(import.meta.dirname, '../..');
const SCENARIO = join(ROOT, 'scenarios/escaped-subject.yaml');
const SECRET = 'seed-option-fleet-secret-0123456789';
const work = mkdtempSync(join(tmpdir(), 'certfleet-seed-option-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('an empty seed is refused before anything is written', { concurrent: true }, () => {
  const split = ['--scenario', SCENARIO, '--broker', 'mqtt://127.0.0.1:1'];
  it.each([
    ['run --seed ""', (out: string) => ['run', SCENARIO, '--out', out, '--seed', '']],
    ['run --seed (no value)', (out: string) => ['run', SCENARIO, '--out', out, '--seed']],
    ['run --seed=" "', (out: string) => ['run', SCENARIO, '--out', out, '--seed= ']],
    ['serve --seed ""', (out: string) => ['serve', ...split, '--out', out, '--seed', '']],
    ['agents --seed ""', (out: string) => ['agents', ...split, '--out', out, '--seed', '']],
  ])('%s: usage error, exit 2, no run folder', async (label, args) => {
    const out = join(work, label.replace(/[^a-z]+/g, '-'));
    const r = await certfleet(args(out), { cwd: work, env: { CERTFLEET_FLEET_SECRET: SECRET } });
    expect(r.stderr).toMatch(/^error USAGE: --seed is empty: give a text or a number \(--seed 42\)/m);
    expect(r.status).toBe(2);
    expect(existsSync(out)).toBe(false);
  });

  it.each(['run', 'serve', 'agents'])('%s with CERTFLEET_SEED= names the variable', async (command) => {
    const out = join(work, `env-${command}`);
    const args = command === 'run' ? ['run', SCENARIO] : [command, ...split];
    const r = await certfleet([...args, '--out', out], {
      cwd: work,
      env: { CERTFLEET_SEED: '', CERTFLEET_FLEET_SECRET: SECRET },
    });
    expect(r.stderr).toMatch(/^error USAGE: --seed \(from CERTFLEET_SEED\) is empty: set CERTFLEET_SEED to/m);
    expect(r.status).toBe(2);
    expect(existsSync(out)).toBe(false);
  });

  it("seed: '' in the scenario is SCENARIO_INVALID on its line", async () => {
    const file = join(work, 'empty-seed.yaml');
    writeFileSync(file, "name: empty-seed\nseed: ''\nfleet:\n  devices: 2\n");
    const out = join(work, 'scenario-seed');
    const r = await certfleet(['run', file, '--out', out], { cwd: work });
    expect(r.stderr).toContain('empty-seed.yaml:2:7: seed: must not be empty');
    expect(r.status).toBe(3);
    // what a scenario that cannot be loaded leaves: junit.xml saying why, no run (README "Reports for CI")
    expect(existsSync(join(out, 'run.db'))).toBe(false);
  });
});
