/**
 * The key pool (issue 11 point 1): `certfleet keys make` fills an encrypted pool on worker threads and tops
 * it up; the file holds no plaintext key and is 0600; a wrong or missing passphrase is a coded error that
 * changes nothing; a damaged or swapped key is refused; a run's draw hands each key out at most once, then
 * fresh keys (or, with reuse, the pool again) and says so.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FixedKeySource } from '../../../pki/key-factory.ts';
import { isCertfleetError } from '../../../pki/errors.ts';
import { KEY_POOL_FILE, KeyPool, poolPassphraseFrom } from '../../../simulator/tools/key-pool/key-pool.ts';
import { keysMake, keysShow } from '../../../simulator/tools/key-pool/keys-command.ts';
import { makeKeyPool } from '../../../simulator/tools/key-pool/make-pool.ts';
import { PoolDraw } from '../../../simulator/tools/key-pool/pool-key-source.ts';
import { runCommand } from '../../../simulator/fleet/run-command.ts';
import { poolKey } from '../../fixtures/key-pool.ts';

const PASS = 'correct horse battery staple';
let work: string;
let dir: string;

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'certfleet-key-pool-'));
  dir = join(work, 'pool');
  // EC keys are cheap to make; RSA-2048 is made once (worker path) and the rest comes from the fixture pool
  await makeKeyPool({ dir, count: 6, kind: 'ec-p256', passphrase: PASS });
  await makeKeyPool({ dir, count: 1, kind: 'rsa-2048', passphrase: PASS });
}, 120_000);

afterAll(() => rmSync(work, { recursive: true, force: true }));

function fileHash(path: string): string {
  return createHash('sha256').update(readFileSync(path)).digest('hex');
}

function codeOf(f: () => unknown): string | undefined {
  try {
    f();
  } catch (e) {
    return isCertfleetError(e) ? e.code : `not coded: ${String(e)}`;
  }
  return undefined;
}

describe('keys make', () => {
  it('fills the pool with usable keys of the asked kind, in a 0700 folder and a 0600 file', () => {
    expect(statSync(dir).mode & 0o777).toBe(0o700);
    expect(statSync(join(dir, KEY_POOL_FILE)).mode & 0o777).toBe(0o600);
    const pool = KeyPool.open(dir, PASS);
    try {
      expect(pool.counts()).toMatchObject({ 'ec-p256': 6, 'rsa-2048': 1, 'rsa-4096': 0 });
      const ec = pool.key('ec-p256', 5);
      expect(ec.privateKey.asymmetricKeyDetails?.namedCurve).toBe('prime256v1');
      const rsa = pool.key('rsa-2048', 0);
      expect(rsa.publicKey.asymmetricKeyDetails?.modulusLength).toBe(2048);
      expect(rsa.publicKey.equals(poolKey('rsa2048', 0).publicKey)).toBe(false);
    } finally {
      pool.close();
    }
  });

  it('holds no plaintext key: neither a key’s PKCS#8 DER, its private numbers (raw or as JWK text), nor PEM text is in the file', () => {
    const bytes = readFileSync(join(dir, KEY_POOL_FILE));
    const pool = KeyPool.open(dir, PASS);
    try {
      const keys = [0, 1, 2, 3, 4, 5].map((n) => pool.key('ec-p256', n)).concat([pool.key('rsa-2048', 0)]);
      expect(keys).toHaveLength(7);
      for (const k of keys) {
        const der = k.privateKey.export({ type: 'pkcs8', format: 'der' });
        expect(bytes.includes(der)).toBe(false);
        const jwk = k.privateKey.export({ format: 'jwk' });
        const secret = Buffer.from(String(jwk.d), 'base64url');
        expect(secret.length).toBeGreaterThanOrEqual(32);
        expect(bytes.includes(secret)).toBe(false);
        if (jwk.p) expect(bytes.includes(Buffer.from(jwk.p, 'base64url'))).toBe(false);
        // nor the JWK text the pool seals: its private numbers in base64url
        expect(bytes.includes(Buffer.from(String(jwk.d)))).toBe(false);
        expect(bytes.includes(Buffer.from(String(jwk.d).slice(0, 16)))).toBe(false);
      }
      expect(bytes.includes(Buffer.from('PRIVATE KEY'))).toBe(false);
      expect(bytes.includes(Buffer.from('"kty"'))).toBe(false);
    } finally {
      pool.close();
    }
  });

  it('tops up: a second call makes only what is missing, a smaller count makes nothing', async () => {
    const d = join(work, 'topup');
    const first = await makeKeyPool({ dir: d, count: 2, kind: 'ec-p384', passphrase: PASS });
    expect(first).toMatchObject({ before: 0, made: 2, have: 2, stopped: false });
    const second = await makeKeyPool({ dir: d, count: 5, kind: 'ec-p384', passphrase: PASS, workers: 2 });
    expect(second).toMatchObject({ before: 2, made: 3, have: 5 });
    const third = await makeKeyPool({ dir: d, count: 4, kind: 'ec-p384', passphrase: PASS });
    expect(third).toMatchObject({ before: 5, made: 0, have: 5 });
    // every key is a different key
    const pool = KeyPool.open(d, PASS);
    try {
      const spkis = new Set(
        [0, 1, 2, 3, 4].map((n) =>
          pool.key('ec-p384', n).publicKey.export({ type: 'spki', format: 'der' }).toString('hex'),
        ),
      );
      expect(spkis.size).toBe(5);
    } finally {
      pool.close();
    }
  });

  it('stops when asked and keeps what it wrote; the same call again goes on', async () => {
    const d = join(work, 'stopped');
    const stop = new AbortController();
    stop.abort();
    const r = await makeKeyPool({ dir: d, count: 3, kind: 'ec-p256', passphrase: PASS, signal: stop.signal });
    expect(r).toMatchObject({ made: 0, have: 0, stopped: true });
    const again = await makeKeyPool({ dir: d, count: 3, kind: 'ec-p256', passphrase: PASS });
    expect(again).toMatchObject({ made: 3, have: 3, stopped: false });
  });

  it('prints a progress bar and a summary that name no key and no passphrase', async () => {
    let progress = '';
    const r = await keysMake({
      dir: join(work, 'printed'),
      count: 2,
      kind: 'ec-p256',
      env: { CERTFLEET_KEY_POOL_PASSPHRASE: PASS },
      progress: { write: (t: string) => (progress += t), isTTY: false },
    });
    expect(progress).toMatch(/2\/2 ec-p256 keys in the pool/);
    expect(r.summary).toMatch(/^Made 2 ec-p256 keys in .* worker thread/);
    expect(r.summary).toContain('ec-p256 2');
    for (const text of [progress, r.summary]) {
      expect(text).not.toContain(PASS);
      expect(text).not.toContain('PRIVATE KEY');
    }
    expect(
      keysShow({ dir: join(work, 'printed'), env: { CERTFLEET_KEY_POOL_PASSPHRASE: PASS } }).counts,
    ).toMatchObject({ 'ec-p256': 2 });
  });

  it('refuses a count that is not a whole number from 1 (USAGE)', async () => {
    await expect(
      makeKeyPool({ dir: join(work, 'bad-count'), count: 0, kind: 'ec-p256', passphrase: PASS }),
    ).rejects.toMatchObject({ code: 'USAGE' });
    expect(existsSync(join(work, 'bad-count'))).toBe(false);
  });
});

describe('passphrase', () => {
  it('a wrong passphrase is KEY_POOL_PASSPHRASE_WRONG and changes nothing (open, make, show)', async () => {
    const path = join(dir, KEY_POOL_FILE);
    const before = fileHash(path);
    const mtime = statSync(path).mtimeMs;
    expect(codeOf(() => KeyPool.open(dir, 'wrong'))).toBe('KEY_POOL_PASSPHRASE_WRONG');
    await expect(makeKeyPool({ dir, count: 50, kind: 'ec-p256', passphrase: 'wrong' })).rejects.toMatchObject(
      {
        code: 'KEY_POOL_PASSPHRASE_WRONG',
      },
    );
    expect(codeOf(() => keysShow({ dir, env: { CERTFLEET_KEY_POOL_PASSPHRASE: 'wrong' } }))).toBe(
      'KEY_POOL_PASSPHRASE_WRONG',
    );
    expect(fileHash(path)).toBe(before);
    expect(statSync(path).mtimeMs).toBe(mtime);
    expect(existsSync(`${path}-journal`) || existsSync(`${path}-wal`)).toBe(false);
  });

  it('a missing or empty passphrase is KEY_POOL_PASSPHRASE_MISSING and creates nothing', async () => {
    expect(codeOf(() => poolPassphraseFrom({}))).toBe('KEY_POOL_PASSPHRASE_MISSING');
    expect(codeOf(() => poolPassphraseFrom({ CERTFLEET_KEY_POOL_PASSPHRASE: '' }))).toBe(
      'KEY_POOL_PASSPHRASE_MISSING',
    );
    const d = join(work, 'never-made');
    await expect(keysMake({ dir: d, count: 1, kind: 'ec-p256', env: {} })).rejects.toMatchObject({
      code: 'KEY_POOL_PASSPHRASE_MISSING',
    });
    expect(existsSync(d)).toBe(false);
  });
});

describe('a damaged pool', () => {
  it('a folder without a pool, or a file that is not one, is KEY_POOL_INVALID', () => {
    expect(codeOf(() => KeyPool.open(join(work, 'nothing-here'), PASS))).toBe('KEY_POOL_INVALID');
    const d = join(work, 'garbage');
    mkdirSync(d); // a plain folder, as a user might point --key-pool at
    writeFileSync(
      join(d, KEY_POOL_FILE),
      'not a database, just text that is long enough to be read'.repeat(40),
    );
    expect(codeOf(() => KeyPool.open(d, PASS))).toBe('KEY_POOL_INVALID');
  });

  it('a changed byte, or two keys swapped, fail authentication: KEY_POOL_INVALID, never a wrong key', async () => {
    const d = join(work, 'tampered');
    await makeKeyPool({ dir: d, count: 2, kind: 'ec-p256', passphrase: PASS });
    const db = new Database(join(d, KEY_POOL_FILE));
    const rows = db.prepare("SELECT n, sealed FROM keys WHERE kind = 'ec-p256' ORDER BY n").all() as {
      n: number;
      sealed: Buffer;
    }[];
    expect(rows).toHaveLength(2);
    const [a, b] = rows as [(typeof rows)[0], (typeof rows)[0]];
    const update = db.prepare("UPDATE keys SET sealed = ? WHERE kind = 'ec-p256' AND n = ?");
    update.run(b.sealed, 0);
    update.run(a.sealed, 1);
    db.close();
    const pool = KeyPool.open(d, PASS);
    try {
      expect(codeOf(() => pool.key('ec-p256', 0))).toBe('KEY_POOL_INVALID');
      expect(codeOf(() => pool.key('ec-p256', 1))).toBe('KEY_POOL_INVALID');
      expect(codeOf(() => pool.key('ec-p256', 2))).toBe('KEY_POOL_INVALID');
    } finally {
      pool.close();
    }
    const db2 = new Database(join(d, KEY_POOL_FILE));
    const flipped = Buffer.from(a.sealed);
    flipped[20] = (flipped[20] ?? 0) ^ 1;
    db2.prepare("UPDATE keys SET sealed = ? WHERE kind = 'ec-p256' AND n = ?").run(flipped, 0);
    db2.prepare("UPDATE keys SET sealed = ? WHERE kind = 'ec-p256' AND n = ?").run(b.sealed, 1);
    db2.close();
    const pool2 = KeyPool.open(d, PASS);
    try {
      expect(codeOf(() => pool2.key('ec-p256', 0))).toBe('KEY_POOL_INVALID');
      expect(pool2.key('ec-p256', 1).privateKey.asymmetricKeyType).toBe('ec');
    } finally {
      pool2.close();
    }
  });
});

describe('a run’s draw', () => {
  it('hands each pool key out once, then fresh keys from the run’s factory, and counts both', async () => {
    const pool = KeyPool.open(dir, PASS);
    try {
      const fresh = [poolKey('p256', 0)];
      let primed = 0;
      const fallback = Object.assign(new FixedKeySource(fresh), { prime: () => (primed += 1) });
      const draw = new PoolDraw(pool);
      const ec = draw.source('ec-p256', fallback);
      ec.prime?.();
      expect(primed).toBe(0); // 6 keys in the pool: nothing to make ahead yet
      const taken = [];
      for (let i = 0; i < 8; i++) taken.push(await ec.take());
      const spki = taken.map((k) => k.publicKey.export({ type: 'spki', format: 'der' }).toString('hex'));
      expect(new Set(spki.slice(0, 6)).size).toBe(6);
      for (let n = 0; n < 6; n++)
        expect(taken[n]!.publicKey.equals(pool.key('ec-p256', n).publicKey)).toBe(true);
      expect(taken[6]!.publicKey.equals(fresh[0]!.publicKey)).toBe(true);
      expect(primed).toBeGreaterThan(0); // the factory started before the pool ran dry
      expect(draw.origins()).toEqual({
        pool: pool.dir,
        fromPool: { 'ec-p256': 6 },
        fresh: { 'ec-p256': 2 },
        reuse: false,
        shared: {},
      });
      // a kind the pool does not hold: fresh from the first key on
      const p384 = draw.source('ec-p384', new FixedKeySource([poolKey('p384', 0)]));
      expect((await p384.take()).publicKey.equals(poolKey('p384', 0).publicKey)).toBe(true);
      expect(draw.origins().fresh).toEqual({ 'ec-p256': 2, 'ec-p384': 1 });
    } finally {
      pool.close();
    }
  });

  it('with reuse cycles the pool instead, never generates, and counts the shared draws', async () => {
    const pool = KeyPool.open(dir, PASS);
    try {
      const draw = new PoolDraw(pool, { reuse: true });
      const never = {
        take: () => Promise.reject(new Error('reuse must not generate')),
        prime: () => undefined,
      };
      const rsa = draw.source('rsa-2048', never);
      const a = await rsa.take();
      const b = await rsa.take();
      const c = await rsa.take();
      expect(a.publicKey.equals(b.publicKey) && b.publicKey.equals(c.publicKey)).toBe(true);
      expect(draw.origins()).toMatchObject({
        fromPool: { 'rsa-2048': 3 },
        fresh: {},
        reuse: true,
        shared: { 'rsa-2048': 2 },
      });
    } finally {
      pool.close();
    }
  });

  it('a new draw starts again from the first key: the pool is not consumed across runs', async () => {
    const pool = KeyPool.open(dir, PASS);
    try {
      const none = new FixedKeySource([]);
      const first = await new PoolDraw(pool).source('ec-p256', none).take();
      const again = await new PoolDraw(pool).source('ec-p256', none).take();
      expect(first.publicKey.equals(again.publicKey)).toBe(true);
      expect(pool.count('ec-p256')).toBe(6);
    } finally {
      pool.close();
    }
  });
});

describe('run options', () => {
  it.each([
    [{ keyReuse: true }, 'USAGE'],
    [{ keyReuse: true, workers: 2 }, 'USAGE'],
    [{ keyPool: 'x', env: {} }, 'KEY_POOL_PASSPHRASE_MISSING'],
    // --workers takes the pool too (each process its own share): the passphrase is still checked first
    [{ keyPool: 'x', workers: 2, env: {} }, 'KEY_POOL_PASSPHRASE_MISSING'],
  ] as const)('run %j is refused with %s before anything is written', async (options, code) => {
    const out = join(work, `run-${code}-${Object.keys(options).join('-')}`);
    await expect(runCommand({ scenario: 'scenarios/default.yaml', out, ...options })).rejects.toMatchObject({
      code,
    });
    expect(existsSync(out)).toBe(false);
  });
});
