/**
 * Issues 10/11 — a key pool share survives a restart: a `serve` resumed on its run folder and an `agents`
 * started again on its folder go on after the position they saved (simulator/tools/key-pool/pool-cursor.ts)
 * instead of from the top of their share, so no key of the pool serves two certificates of one run. What
 * could be false:
 * - a process killed (SIGKILL, nothing closed) after drawing k keys, started again on the same files,
 *   hands out one of those k keys again (service share in service-state.db, host share in agents.db);
 * - the position reaches the disk after the key is handed out (not write-ahead), or a key is handed out
 *   past what is reserved;
 * - the counts (`metrics.keys`) start from 0 again after the restart, or lose the fresh keys;
 * - `--key-reuse` keeps a position (it cycles the share on purpose), or a position saved for another pool
 *   is applied to this one.
 * Keys are compared by their public keys (SPKI), not only by their numbers.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StoreDb } from '../../../agent/keystore/store-db.ts';
import { FixedKeySource } from '../../../pki/key-factory.ts';
import type { KeyPair } from '../../../pki/keys.ts';
import { SERVICE_STATE_FILE, ServiceCheckpoint } from '../../../simulator/fleet/service-checkpoint.ts';
import { splitScenario } from '../../../simulator/fleet/split-fleet.ts';
import { KeyPool } from '../../../simulator/tools/key-pool/key-pool.ts';
import { makeKeyPool } from '../../../simulator/tools/key-pool/make-pool.ts';
import { POOL_CURSOR_TABLE, RESERVE_BATCH } from '../../../simulator/tools/key-pool/pool-cursor.ts';
import type { PoolRole } from '../../../simulator/tools/key-pool/pool-partition.ts';
import { openProcessPool, type ProcessPool } from '../../../simulator/tools/key-pool/process-pool.ts';
import { poolKey } from '../../fixtures/key-pool.ts';

const ROOT = resolve(import.meta.dirname, '../../..');
const SCENARIO = join(ROOT, 'test/e2e/fixtures/engine-equivalence.yaml');
const DEVICES = 40;
const PASS = 'pool-cursor-test';
const EC = 48;

let work: string;
let poolDir: string;
/** The SPKI (hex) of every pool key, by kind and number. */
const spkis: Record<'rsa-2048' | 'ec-p256', string[]> = { 'rsa-2048': [], 'ec-p256': [] };
/** The keys a process gets when its share is dry (never pool keys). */
const FRESH = { rsa: poolKey('rsa3072', 0), ec: poolKey('p384', 0) };

const spki = (k: KeyPair): string => k.publicKey.export({ type: 'spki', format: 'der' }).toString('hex');
const scenario = (): ReturnType<typeof splitScenario> =>
  splitScenario({ scenario: SCENARIO, devices: DEVICES });

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'certfleet-pool-cursor-'));
  poolDir = join(work, 'pool');
  // RSA: the fixture pool's 12 keys (no RSA generated here); EC keys are instant
  const pool = KeyPool.open(poolDir, PASS, { create: true });
  try {
    pool.append(
      'rsa-2048',
      Array.from({ length: 12 }, (_, i) => poolKey('rsa2048', i).privateKey),
    );
  } finally {
    pool.close();
  }
  await makeKeyPool({ dir: poolDir, count: EC, kind: 'ec-p256', passphrase: PASS, workers: 1 });
  const opened = KeyPool.open(poolDir, PASS);
  try {
    for (const kind of ['rsa-2048', 'ec-p256'] as const)
      for (let n = 0; n < opened.count(kind); n++) spkis[kind].push(spki(opened.key(kind, n)));
  } finally {
    opened.close();
  }
}, 120_000);

afterAll(() => rmSync(work, { recursive: true, force: true }));

/** The process pool of `role` over the test pool (fresh keys from {@link FRESH}). */
function open(role: PoolRole, o: { reuse?: boolean; dir?: string } = {}): ProcessPool {
  return openProcessPool({
    keyPool: { dir: o.dir ?? poolDir, passphrase: PASS, ...(o.reuse ? { reuse: true } : {}) },
    scenario: scenario(),
    role,
    fallback: { rsa: new FixedKeySource([FRESH.rsa]), ec: new FixedKeySource([FRESH.ec]) },
  });
}

const HOST: PoolRole = { side: 'host', index: 0, count: 1 };
const SERVICE: PoolRole = { side: 'service' };

/** A run folder with a service-state.db and an agents folder with an agents.db, as the parts make them. */
function folders(name: string): { serviceState: string; agentsDb: string } {
  const run = join(work, name, 'run');
  const agents = join(work, name, 'agents');
  mkdirSync(run, { recursive: true });
  mkdirSync(agents, { recursive: true });
  ServiceCheckpoint.open(run, { digest: 'pool-cursor', secret: 'pool-cursor-secret' }).close();
  StoreDb.open(join(agents, 'agents.db')).close();
  return { serviceState: join(run, SERVICE_STATE_FILE), agentsDb: join(agents, 'agents.db') };
}

/** The saved rows of `path`, read through a second connection (what a process killed now leaves). */
function saved(path: string): { role: string; kind: string; next: number; fresh: number }[] {
  const db = new Database(path, { readonly: true, fileMustExist: true });
  try {
    const has = db
      .prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?")
      .get(POOL_CURSOR_TABLE);
    if (!has) return [];
    return db
      .prepare(`SELECT role, kind, next, fresh FROM ${POOL_CURSOR_TABLE} ORDER BY role, kind`)
      .all() as { role: string; kind: string; next: number; fresh: number }[];
  } finally {
    db.close();
  }
}

async function draw(p: ProcessPool, kind: 'rsa' | 'ec', n: number): Promise<string[]> {
  const out: string[] = [];
  for (let i = 0; i < n; i++) out.push(spki(await p.keys[kind].take()));
  return out;
}

describe('a share of the pool survives a kill (a child process drawing, then SIGKILLed)', () => {
  it('service share (service-state.db) and host share (agents.db): the restarted process hands out none of the k keys drawn', async () => {
    const f = folders('killed');
    const K = 3;
    // the killed process: both sides draw K keys of each kind, print them, and die without closing anything
    const script = `
      import { openProcessPool } from ${JSON.stringify(join(ROOT, 'simulator/tools/key-pool/process-pool.ts'))};
      import { splitScenario } from ${JSON.stringify(join(ROOT, 'simulator/fleet/split-fleet.ts'))};
      import { FixedKeySource } from ${JSON.stringify(join(ROOT, 'pki/key-factory.ts'))};
      const scenario = splitScenario({ scenario: ${JSON.stringify(SCENARIO)}, devices: ${DEVICES} });
      const none = { rsa: new FixedKeySource([]), ec: new FixedKeySource([]) };
      const spki = (k) => k.publicKey.export({ type: 'spki', format: 'der' }).toString('hex');
      const drawn = {};
      for (const [side, role, file] of [
        ['service', { side: 'service' }, ${JSON.stringify(f.serviceState)}],
        ['host', { side: 'host', index: 0, count: 1 }, ${JSON.stringify(f.agentsDb)}],
      ]) {
        const p = openProcessPool({ keyPool: { dir: ${JSON.stringify(poolDir)}, passphrase: ${JSON.stringify(PASS)} }, scenario, role, fallback: none });
        p.keepPosition(file);
        drawn[side] = { rsa: [], ec: [] };
        for (const kind of ['rsa', 'ec'])
          for (let i = 0; i < ${K}; i++)
            if (p.ranges[kind === 'rsa' ? 'rsa-2048' : 'ec-p256'].to - p.ranges[kind === 'rsa' ? 'rsa-2048' : 'ec-p256'].from > i)
              drawn[side][kind].push(spki(await p.keys[kind].take()));
      }
      process.stdout.write(JSON.stringify(drawn) + '\\n');
      process.kill(process.pid, 'SIGKILL');
    `;
    const child = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
      encoding: 'utf8',
      cwd: ROOT,
    });
    expect(child.signal, child.stderr).toBe('SIGKILL');
    const before = JSON.parse(child.stdout) as Record<'service' | 'host', { rsa: string[]; ec: string[] }>;
    // what the child drew is what its shares start with: the test is about keys it really handed out
    const service = open(SERVICE);
    const host = open(HOST);
    try {
      const r = { service: service.ranges, host: host.ranges };
      expect(r.service['rsa-2048'].to - r.service['rsa-2048'].from).toBeGreaterThanOrEqual(K);
      expect(r.host['ec-p256'].to - r.host['ec-p256'].from).toBeGreaterThan(RESERVE_BATCH);
      expect(before.service.rsa).toEqual(spkis['rsa-2048'].slice(r.service['rsa-2048'].from).slice(0, K));
      expect(before.service.ec).toEqual(spkis['ec-p256'].slice(r.service['ec-p256'].from).slice(0, K));
      expect(before.host.ec).toEqual(spkis['ec-p256'].slice(r.host['ec-p256'].from).slice(0, K));
      expect(before.host.rsa.length).toBeGreaterThan(0);

      // started again on the same files: the next keys are none of the k drawn before the kill
      service.keepPosition(f.serviceState);
      host.keepPosition(f.agentsDb);
      const after = {
        service: { rsa: await draw(service, 'rsa', 2), ec: await draw(service, 'ec', 2) },
        host: { rsa: await draw(host, 'rsa', 1), ec: await draw(host, 'ec', 2) },
      };
      for (const side of ['service', 'host'] as const)
        for (const kind of ['rsa', 'ec'] as const)
          expect(after[side][kind].filter((k) => before[side][kind].includes(k))).toEqual([]);
      // …and, where the share still holds keys, they are its keys after the killed process's reservation
      // (the unused rest of that reservation is skipped, never handed out)
      expect(after.host.ec).toEqual(
        spkis['ec-p256'].slice(r.host['ec-p256'].from + RESERVE_BATCH).slice(0, 2),
      );
      expect(after.service.ec).toEqual(
        spkis['ec-p256'].slice(r.service['ec-p256'].from + RESERVE_BATCH).slice(0, 2),
      );
      // the service's RSA share (8 keys: a small pool split in proportion) was reserved whole: fresh keys now
      expect(r.service['rsa-2048'].to - r.service['rsa-2048'].from).toBeLessThanOrEqual(RESERVE_BATCH);
      expect(after.service.rsa).toEqual([spki(FRESH.rsa), spki(FRESH.rsa)]);
      // the counts go on from the killed process's: what it reserved counts as taken from the pool
      expect(service.origins()).toMatchObject({
        fromPool: {
          'rsa-2048': r.service['rsa-2048'].to - r.service['rsa-2048'].from,
          'ec-p256': RESERVE_BATCH + 2,
        },
        fresh: { 'rsa-2048': 2 },
      });
    } finally {
      service.close();
      host.close();
    }
  }, 120_000);
});

describe('the position on disk (in-process: a process dropped without closing is what a kill leaves)', () => {
  it('write-ahead in batches: reserved before the key is handed out, one write per batch; fresh keys counted exactly', async () => {
    const f = folders('write-ahead');
    const p = open(HOST);
    const { from, to } = p.ranges['ec-p256'];
    const size = to - from;
    expect(size).toBeGreaterThan(RESERVE_BATCH);
    expect(size).toBeLessThan(2 * RESERVE_BATCH);
    p.keepPosition(f.agentsDb);
    expect(saved(f.agentsDb)).toEqual([]); // nothing drawn, nothing reserved
    const first = await p.keys.ec.take();
    // the first key's number, and the rest of its batch, are on disk once the key is in hand
    expect(spki(first)).toBe(spkis['ec-p256'][from]);
    expect(saved(f.agentsDb)).toEqual([
      { role: 'host 0/1', kind: 'ec-p256', next: from + RESERVE_BATCH, fresh: 0 },
    ]);
    await draw(p, 'ec', RESERVE_BATCH - 1); // the rest of the batch: handed out from memory
    expect(saved(f.agentsDb)[0]?.next).toBe(from + RESERVE_BATCH);
    await draw(p, 'ec', 1); // the next batch, clipped to the share's end
    expect(saved(f.agentsDb)[0]?.next).toBe(to);
    await draw(p, 'ec', size - RESERVE_BATCH - 1); // the share is drawn
    expect(await draw(p, 'ec', 2)).toEqual([spki(FRESH.ec), spki(FRESH.ec)]);
    expect(saved(f.agentsDb)).toEqual([{ role: 'host 0/1', kind: 'ec-p256', next: to, fresh: 2 }]);
    expect(p.origins()).toMatchObject({ fromPool: { 'ec-p256': size }, fresh: { 'ec-p256': 2 } });
    // dropped without a close (a kill): started again, the share is dry, the counts go on
    const again = open(HOST);
    try {
      again.keepPosition(f.agentsDb);
      expect(await draw(again, 'ec', 1)).toEqual([spki(FRESH.ec)]);
      expect(again.origins()).toMatchObject({ fromPool: { 'ec-p256': size }, fresh: { 'ec-p256': 3 } });
      expect(saved(f.agentsDb)).toEqual([{ role: 'host 0/1', kind: 'ec-p256', next: to, fresh: 3 }]);
    } finally {
      again.close();
      p.close();
    }
  });

  it('--key-reuse keeps no position (the share is cycled on purpose); a position of another pool is not applied', async () => {
    const f = folders('reuse');
    const a = open(HOST, { reuse: true });
    a.keepPosition(f.agentsDb);
    const firstA = await draw(a, 'ec', 3);
    a.close();
    expect(saved(f.agentsDb)).toEqual([]);
    const b = open(HOST, { reuse: true });
    b.keepPosition(f.agentsDb);
    expect(await draw(b, 'ec', 3)).toEqual(firstA); // from the top again, as before this change
    b.close();

    // a position saved with this pool does not move another pool's share
    const c = open(HOST);
    c.keepPosition(f.agentsDb);
    await draw(c, 'ec', 2);
    c.close();
    expect(saved(f.agentsDb)).toHaveLength(1);
    const other = join(work, 'other-pool');
    await makeKeyPool({ dir: other, count: 30, kind: 'ec-p256', passphrase: PASS, workers: 1 });
    const otherPool = KeyPool.open(other, PASS);
    const otherFirst = spki(otherPool.key('ec-p256', 0));
    otherPool.close();
    const d = open(HOST, { dir: other });
    try {
      d.keepPosition(f.agentsDb);
      expect(await draw(d, 'ec', 1)).toEqual([otherFirst]);
      expect(d.origins().fromPool).toEqual({ 'ec-p256': 1 });
    } finally {
      d.close();
    }
  });

  it('a position is kept before the first draw only', async () => {
    const f = folders('late');
    const p = open(HOST);
    try {
      await p.keys.ec.take();
      expect(() => p.keepPosition(f.agentsDb)).toThrow(/before the first draw|after the first draw/);
    } finally {
      p.close();
    }
  });
});
