/**
 * `run --workers 2 --key-pool` end to end (issue 11): the coordinator and two agent host child processes
 * draw from one key pool, each from its own share (simulator/tools/key-pool/pool-partition.ts). The outcome
 * table — device, profile, status, code, renewals, virtual time — is the one of `run --workers 2` without a
 * pool; the report counts the keys of all three processes (and says there were three); no public key is on
 * two certificates the devices hold at the end (management and PKCS, read from both hosts' key stores), and
 * every one of them is a pool key of the share of the process that drew it.
 */
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StoreDb } from '../../agent/keystore/store-db.ts';
import type { FleetRun } from '../../simulator/fleet/compose/service-side.ts';
import { runWorkers } from '../../simulator/fleet/run-workers.ts';
import type { RunResult } from '../../simulator/run-model.ts';
import { loadScenario } from '../../simulator/scenario/index.ts';
import { KeyPool } from '../../simulator/tools/key-pool/key-pool.ts';
import { openProcessPool } from '../../simulator/tools/key-pool/process-pool.ts';
import { FixedKeySource } from '../../pki/key-factory.ts';
import { makeRunKeyPool } from './fixtures/run-key-pool.ts';

const SCENARIO = resolve(import.meta.dirname, 'fixtures/key-pool-run.yaml');
const PASS = 'key-pool-workers-e2e';
const RSA = 16;
const EC = 8;

let work: string;
let poolDir: string;
let reference: FleetRun;
let pooled: FleetRun;

function table(r: RunResult): string[] {
  return r.outcomes.map((o) => [o.device, o.profile, o.status, o.code, o.renewals, o.at].join(' '));
}

function spki(der: Buffer | Uint8Array): string {
  return new X509Certificate(der).publicKey.export({ type: 'spki', format: 'der' }).toString('hex');
}

/** RSA keys a run needs: Windows management identities, and one per PKCS issuance or renewal. */
function rsaNeeded(r: RunResult): number {
  const windows = r.devicesList.filter((d) => d.platform === 'windows' && d.enrolled).length;
  const pkcs = r.outcomes
    .filter((o) => o.profile === 'User certificate' && o.status === 'installed')
    .reduce((n, o) => n + 1 + o.renewals, 0);
  return windows + pkcs;
}

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'certfleet-key-pool-workers-'));
  poolDir = (await makeRunKeyPool(join(work, 'pool'), { rsa: RSA, ec: EC, fixtureRsa: 12, passphrase: PASS }))
    .dir;
  reference = await runWorkers({ scenario: SCENARIO, workers: 2, out: join(work, 'reference') });
  pooled = await runWorkers({
    scenario: SCENARIO,
    workers: 2,
    out: join(work, 'pooled'),
    keyPool: { dir: poolDir, passphrase: PASS },
  });
}, 600_000);

afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('run --workers 2 --key-pool', () => {
  it('has the outcome table of run --workers 2 without a pool', () => {
    expect(reference.result.outcomes.length).toBe(10);
    expect(reference.result.outcomes.every((o) => o.status === 'installed')).toBe(true);
    expect(reference.result.metrics.keys).toBeUndefined();
    expect(table(pooled.result)).toEqual(table(reference.result));
  });

  it('counts the keys of the coordinator and both hosts, every one from the pool', () => {
    const r = pooled.result;
    const nonWindows = r.devicesList.filter((d) => d.platform !== 'windows').length;
    expect(nonWindows).toBeGreaterThan(0);
    expect(r.metrics.keys).toEqual({
      pool: resolve(poolDir),
      fromPool: { 'ec-p256': nonWindows, 'rsa-2048': rsaNeeded(reference.result) },
      fresh: {},
      reuse: false,
      shared: {},
      processes: 3,
    });
  });

  it('no public key is on two certificates, and each is a key of the share of the process that drew it', () => {
    const scenario = loadScenario(SCENARIO);
    const noKeys = { rsa: new FixedKeySource([]), ec: new FixedKeySource([]) };
    const keyPool = { dir: poolDir, passphrase: PASS };
    /** The SPKIs of a process's share of the pool, both kinds. */
    const share = (role: Parameters<typeof openProcessPool>[0]['role']): Set<string> => {
      const p = openProcessPool({ keyPool, scenario, role, fallback: noKeys });
      const pool = KeyPool.open(poolDir, PASS);
      try {
        const out = new Set<string>();
        for (const kind of ['rsa-2048', 'ec-p256'] as const)
          for (let n = p.ranges[kind].from; n < p.ranges[kind].to; n++)
            out.add(pool.key(kind, n).publicKey.export({ type: 'spki', format: 'der' }).toString('hex'));
        return out;
      } finally {
        p.close();
        pool.close();
      }
    };
    const service = share({ side: 'service' });
    const hosts = [0, 1].map((index) => share({ side: 'host', index, count: 2 }));
    // the shares are disjoint
    for (const h of hosts) expect([...h].filter((k) => service.has(k))).toEqual([]);
    expect([...hosts[0]!].filter((k) => hosts[1]!.has(k))).toEqual([]);

    const held: { host: number; store: string; key: string }[] = [];
    for (const host of [0, 1]) {
      const stores = StoreDb.open(join(pooled.dir, 'hosts', String(host), 'agents.db'), { publicOnly: true });
      try {
        for (const d of pooled.result.devicesList)
          for (const item of stores.items(d.id))
            if (item.kind === 'identity') held.push({ host, store: item.store, key: spki(item.certificate) });
      } finally {
        stores.close();
      }
    }
    expect(held.length).toBeGreaterThanOrEqual(pooled.result.devicesList.length * 2); // management + PKCS
    expect(new Set(held.map((h) => h.key)).size).toBe(held.length);
    // every key came from the pool: a device's management key from its host's share, a PKCS key from the service's
    const fromShare = held.filter((h) => hosts[h.host]!.has(h.key) || service.has(h.key));
    expect(fromShare).toEqual(held);
    expect(held.some((h) => hosts[h.host]!.has(h.key))).toBe(true);
    expect(held.some((h) => service.has(h.key))).toBe(true);
  });
});
