/**
 * `run --key-pool` end to end (issue 11 point 1): the same scenario and seed give the same outcome table —
 * device, profile, status, code, renewals, virtual time — without a pool, with a pool large enough, with a
 * pool that runs dry (the run goes on with fresh keys) and with `--key-reuse` over that small pool; the
 * report says how many keys came from where; with a large pool every certificate the devices hold at the
 * end carries a different pool key; a wrong passphrase stops the run before it writes anything.
 */
import { X509Certificate } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StoreDb } from '../../agent/keystore/store-db.ts';
import { runFleet, type FleetRun } from '../../simulator/fleet/run-fleet.ts';
import type { RunResult } from '../../simulator/run-model.ts';
import { KeyPool } from '../../simulator/tools/key-pool/key-pool.ts';
import { renderSummary } from '../../simulator/report/console.ts';
import { buildReportJson } from '../../simulator/report/report-json.ts';
import { makeRunKeyPool } from './fixtures/run-key-pool.ts';

const SCENARIO = resolve(import.meta.dirname, 'fixtures/key-pool-run.yaml');
const PASS = 'key-pool-e2e-passphrase';
const RSA_FIXTURES = 12;

let work: string;
let reference: FleetRun;

/** The outcome table of a run: one line per device × profile. */
function table(r: RunResult): string[] {
  return r.outcomes.map((o) => [o.device, o.profile, o.status, o.code, o.renewals, o.at].join(' '));
}

function spki(der: Buffer | Uint8Array): string {
  return new X509Certificate(der).publicKey.export({ type: 'spki', format: 'der' }).toString('hex');
}

/** A pool with `ec` fresh EC P-256 keys and the first `rsa` RSA-2048 keys of the test fixture pool. */
async function pool(name: string, rsa: number, ec: number): Promise<string> {
  return (await makeRunKeyPool(join(work, name), { rsa, ec, fixtureRsa: rsa, passphrase: PASS })).dir;
}

/** RSA keys the reference run needs: Windows management identities, and one per PKCS issuance or renewal. */
function rsaNeeded(r: RunResult): number {
  const windows = r.devicesList.filter((d) => d.platform === 'windows' && d.enrolled).length;
  const pkcs = r.outcomes
    .filter((o) => o.profile === 'User certificate' && o.status === 'installed')
    .reduce((n, o) => n + 1 + o.renewals, 0);
  return windows + pkcs;
}

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'certfleet-key-pool-run-'));
  reference = await runFleet({ scenario: SCENARIO, out: join(work, 'reference') });
}, 240_000);

afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('run --key-pool', () => {
  it('the reference run draws keys of both kinds and says nothing of a pool', () => {
    const r = reference.result;
    expect(r.outcomes.length).toBe(10);
    expect(r.outcomes.every((o) => o.status === 'installed')).toBe(true);
    expect(r.outcomes.some((o) => o.renewals > 0)).toBe(true);
    expect(r.devicesList.some((d) => d.platform === 'windows')).toBe(true);
    expect(r.devicesList.some((d) => d.platform !== 'windows')).toBe(true);
    expect(r.metrics.keys).toBeUndefined();
    expect(renderSummary(r, { color: false })).not.toMatch(/^Keys:/m);
    expect(rsaNeeded(r)).toBeLessThanOrEqual(RSA_FIXTURES);
    expect(buildReportJson(r).metrics).not.toHaveProperty('keys');
  });

  it('a pool large enough: same outcomes, every key from the pool, each certificate on its own pool key', async () => {
    const dir = await pool('large', RSA_FIXTURES, 8);
    const run = await runFleet({
      scenario: SCENARIO,
      out: join(work, 'large-run'),
      keyPool: { dir, passphrase: PASS },
    });
    const r = run.result;
    expect(table(r)).toEqual(table(reference.result));
    const nonWindows = r.devicesList.filter((d) => d.platform !== 'windows').length;
    expect(r.metrics.keys).toEqual({
      pool: resolve(dir),
      fromPool: { 'ec-p256': nonWindows, 'rsa-2048': rsaNeeded(reference.result) },
      fresh: {},
      reuse: false,
      shared: {},
    });
    expect(JSON.parse(JSON.stringify(buildReportJson(r).metrics.keys))).toEqual(r.metrics.keys);
    expect(renderSummary(r, { color: false })).toMatch(
      new RegExp(`^Keys: ${nonWindows + rsaNeeded(reference.result)} from the pool \\(.*\\), 0 fresh`, 'm'),
    );
    // the certificates the devices hold at the end (management and PKCS): each on a different pool key
    const p = KeyPool.open(dir, PASS);
    const poolKeys = new Set<string>();
    try {
      for (let n = 0; n < RSA_FIXTURES; n++)
        poolKeys.add(p.key('rsa-2048', n).publicKey.export({ type: 'spki', format: 'der' }).toString('hex'));
      for (let n = 0; n < 8; n++)
        poolKeys.add(p.key('ec-p256', n).publicKey.export({ type: 'spki', format: 'der' }).toString('hex'));
    } finally {
      p.close();
    }
    const stores = StoreDb.open(join(run.dir, 'agents.db'), { publicOnly: true });
    const held: string[] = [];
    try {
      for (const d of r.devicesList)
        for (const item of stores.items(d.id))
          if (item.kind === 'identity') held.push(spki(item.certificate));
    } finally {
      stores.close();
    }
    expect(held.length).toBeGreaterThanOrEqual(r.devicesList.length * 2); // management + PKCS per device
    expect(new Set(held).size).toBe(held.length);
    expect(held.filter((k) => !poolKeys.has(k))).toEqual([]);
  });

  it('a pool that runs dry: same outcomes, the rest fresh, and the report says how many came from where', async () => {
    const dir = await pool('small', 2, 1);
    const run = await runFleet({
      scenario: SCENARIO,
      out: join(work, 'small-run'),
      keyPool: { dir, passphrase: PASS },
    });
    expect(table(run.result)).toEqual(table(reference.result));
    const nonWindows = run.result.devicesList.filter((d) => d.platform !== 'windows').length;
    expect(run.result.metrics.keys).toMatchObject({
      fromPool: { 'ec-p256': 1, 'rsa-2048': 2 },
      fresh: { 'ec-p256': nonWindows - 1, 'rsa-2048': rsaNeeded(reference.result) - 2 },
      reuse: false,
      shared: {},
    });
  });

  it('--key-reuse over the small pool: same outcomes, no fresh key, and the shared draws counted', async () => {
    const dir = join(work, 'small');
    const run = await runFleet({
      scenario: SCENARIO,
      out: join(work, 'reuse-run'),
      keyPool: { dir, passphrase: PASS, reuse: true },
    });
    expect(table(run.result)).toEqual(table(reference.result));
    const nonWindows = run.result.devicesList.filter((d) => d.platform !== 'windows').length;
    const rsa = rsaNeeded(reference.result);
    expect(run.result.metrics.keys).toMatchObject({
      fromPool: { 'ec-p256': nonWindows, 'rsa-2048': rsa },
      fresh: {},
      reuse: true,
      shared: { 'ec-p256': nonWindows - 1, 'rsa-2048': rsa - 2 },
    });
    expect(renderSummary(run.result, { color: false })).toMatch(
      /--key-reuse: \d+ draws shared a key already used/,
    );
  });

  it('a wrong passphrase stops the run before it writes anything (KEY_POOL_PASSPHRASE_WRONG)', async () => {
    const out = join(work, 'refused');
    await expect(
      runFleet({ scenario: SCENARIO, out, keyPool: { dir: join(work, 'small'), passphrase: 'wrong' } }),
    ).rejects.toMatchObject({ code: 'KEY_POOL_PASSPHRASE_WRONG' });
    expect(existsSync(out)).toBe(false);
  });
});
