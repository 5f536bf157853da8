/**
 * `certfleet keys make|show` through the real CLI (issue 11 point 1): the progress bar goes to stderr and the
 * summary to stdout, neither naming the passphrase; `show --json` counts the keys; a wrong passphrase exits 3
 * with KEY_POOL_PASSPHRASE_WRONG, a bad `--kind` exits 2; the passphrase is never an option.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const BIN = resolve(import.meta.dirname, '../../bin/certfleet.mjs');
const PASS = 'keys-cli-passphrase-1';
let work: string;

function cli(
  args: string[],
  passphrase: string | null = PASS,
): { code: number | null; out: string; err: string } {
  const env: Record<string, string | undefined> = { ...process.env, NO_COLOR: '1' };
  delete env.CERTFLEET_KEY_POOL_PASSPHRASE;
  if (passphrase !== null) env.CERTFLEET_KEY_POOL_PASSPHRASE = passphrase;
  const r = spawnSync(process.execPath, [BIN, ...args], {
    cwd: work,
    env,
    encoding: 'utf8',
    timeout: 120_000,
  });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'certfleet-keys-cli-'));
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('certfleet keys', () => {
  it('make fills the pool with a progress bar; show counts it; nothing prints the passphrase', () => {
    const made = cli(['keys', 'make', '--dir', 'pool', '--count', '3', '--kind', 'ec-p256']);
    expect(made.code, made.err).toBe(0);
    expect(made.err).toMatch(/3\/3 ec-p256 keys in the pool/);
    expect(made.out).toMatch(/^Made 3 ec-p256 keys in /m);
    const shown = cli(['keys', 'show', '--dir', 'pool', '--json']);
    expect(shown.code, shown.err).toBe(0);
    expect((JSON.parse(shown.out) as { counts: Record<string, number> }).counts).toMatchObject({
      'ec-p256': 3,
      'rsa-2048': 0,
    });
    for (const text of [made.out, made.err, shown.out, shown.err]) expect(text).not.toContain(PASS);
  });

  it('a wrong passphrase exits 3 (KEY_POOL_PASSPHRASE_WRONG), a missing one too, naming the variable', () => {
    const wrong = cli(['keys', 'show', '--dir', 'pool'], 'not-the-passphrase');
    expect(wrong.code).toBe(3);
    expect(wrong.err).toMatch(/^error KEY_POOL_PASSPHRASE_WRONG: /m);
    const missing = cli(['keys', 'make', '--dir', 'pool', '--count', '4'], null);
    expect(missing.code).toBe(3);
    expect(missing.err).toMatch(/KEY_POOL_PASSPHRASE_MISSING: CERTFLEET_KEY_POOL_PASSPHRASE is not set/);
  });

  it('a kind a pool does not hold, or a passphrase given as an option, is a usage error (exit 2)', () => {
    const kind = cli(['keys', 'make', '--dir', 'pool', '--count', '1', '--kind', 'rsa-1024']);
    expect(kind.code).toBe(2);
    expect(kind.err).toMatch(/--kind 'rsa-1024' is not a key kind/);
    const option = cli(['keys', 'show', '--dir', 'pool', '--key-pool-passphrase', PASS]);
    expect(option.code).toBe(2);
  });
});
