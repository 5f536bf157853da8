/**
 * The issuance pool (pki/pkcs12-pool.ts): a PKCS#12 built on a worker thread is byte for byte the one
 * built in this thread from the same inputs (fixed salts and IVs), opens in OpenSSL, comes back in request
 * order, and a build that fails rejects with a coded error — the build's own, or ISSUE_POOL_FAILED.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isCertfleetError } from '../../../pki/errors.ts';
import { parsePkcs12 } from '../../../pki/pkcs12.ts';
import { forgetPkcs12Derivations, pkcs12DerivationsComputed } from '../../../pki/pkcs12-kdf.ts';
import { buildPkcs12Job, issueWorkersFrom, Pkcs12Pool, type Pkcs12Job } from '../../../pki/pkcs12-pool.ts';
import { makeFixtures, openssl, type Pkcs12Fixtures } from './openssl-fixtures.ts';

let fx: Pkcs12Fixtures;
let pool: Pkcs12Pool;
beforeAll(() => {
  fx = makeFixtures();
  pool = new Pkcs12Pool({ size: 2 });
});
afterAll(async () => {
  await pool.close();
  fx.dispose();
});

/** Enough bytes for every salt and IV either profile draws (5 draws, at most 16 bytes each). */
const FIXED = Buffer.from(Array.from({ length: 96 }, (_, i) => (i * 37 + 11) & 0xff));

function job(profile: 'legacy' | 'modern', id: 'rsa' | 'ec', extra: Partial<Pkcs12Job> = {}): Pkcs12Job {
  return {
    privateKey: fx[id].privateKey,
    certificates: fx[id].chain,
    password: 'pool pw ä',
    profile,
    friendlyName: 'device cert',
    random: FIXED,
    ...extra,
  };
}

describe.each(['legacy', 'modern'] as const)('%s profile', (profile) => {
  it('a worker builds the same bytes as this thread, and OpenSSL opens them', async () => {
    const inThread = buildPkcs12Job(job(profile, 'rsa'));
    const pooled = await pool.build(job(profile, 'rsa'));
    expect(pooled.length).toBeGreaterThan(500);
    expect(pooled.equals(inThread)).toBe(true);
    // other fixed bytes give other bytes: the comparison is not vacuous
    const other = await pool.build(job(profile, 'rsa', { random: Buffer.alloc(96, 7) }));
    expect(other.equals(pooled)).toBe(false);

    const r = openssl([
      'pkcs12',
      '-in',
      fx.file(`pool-${profile}.p12`, pooled),
      '-passin',
      'pass:pool pw ä',
      '-info',
      '-noout',
    ]);
    expect(r.status).toBe(0);
    expect(r.stderr + r.stdout).toContain(profile === 'legacy' ? 'MAC: sha1' : 'MAC: sha256');
    const parsed = parsePkcs12(pooled, 'pool pw ä');
    expect(parsed.certificates.map((c) => c.toString('hex'))).toEqual(
      fx.rsa.chain.map((c) => c.toString('hex')),
    );
  });
});

describe.each(['legacy', 'modern'] as const)('%s: the key derivations come back with the file', (profile) => {
  it('a parse in this thread of a file a worker built derives nothing; the same parse without them derives', async () => {
    // fresh salts (no fixed bytes), so no derivation of this file can be in this thread's memo already
    const pfx = await pool.build(job(profile, 'ec', { random: undefined, password: `learnt ${profile}` }));
    const before = pkcs12DerivationsComputed();
    const opened = parsePkcs12(pfx, `learnt ${profile}`);
    expect(pkcs12DerivationsComputed() - before).toBe(0);
    expect(opened.privateKey.equals(fx.ec.privateKey)).toBe(true);
    forgetPkcs12Derivations();
    const again = parsePkcs12(pfx, `learnt ${profile}`);
    // legacy: MAC key + key and IV for each of the two safes; modern: MAC key + one PBKDF2 per safe
    expect(pkcs12DerivationsComputed() - before).toBe(profile === 'legacy' ? 5 : 3);
    expect(again.privateKey.equals(fx.ec.privateKey)).toBe(true);
  });

  it('a wrong password still fails on a learnt file', async () => {
    const pfx = await pool.build(job(profile, 'ec', { random: undefined, password: 'the right one' }));
    expect(() => parsePkcs12(pfx, 'not it')).toThrow(
      expect.objectContaining({ code: 'PKCS12_BAD_PASSWORD' }),
    );
  });
});

it('without fixed bytes a worker draws fresh salts (two builds differ) and both open', async () => {
  const [a, b] = await Promise.all([
    pool.build(job('modern', 'ec', { random: undefined })),
    pool.build(job('modern', 'ec', { random: undefined })),
  ]);
  expect(a.equals(b)).toBe(false);
  for (const p of [a, b]) expect(parsePkcs12(p, 'pool pw ä').profile).toBe('modern');
});

it('resolves in request order, whatever order the threads finish in', async () => {
  const done: number[] = [];
  // a slow build (many iterations) first, fast ones after: on two threads the fast ones finish first
  const jobs = [
    job('modern', 'rsa', { iterations: 200_000 }),
    job('modern', 'ec', { iterations: 1 }),
    job('legacy', 'ec', { iterations: 1 }),
    job('modern', 'ec', { iterations: 1 }),
  ];
  await Promise.all(jobs.map((j, i) => pool.build(j).then(() => done.push(i))));
  expect(done).toEqual([0, 1, 2, 3]);
});

it("a build that fails in a worker rejects with the build's code, and the pool goes on", async () => {
  // the leaf is the RSA identity's, the key the EC one's: buildPkcs12 refuses (USAGE)
  const bad = job('modern', 'rsa', { privateKey: fx.ec.privateKey });
  let inThread: unknown;
  try {
    buildPkcs12Job(bad);
  } catch (e) {
    inThread = e;
  }
  expect(isCertfleetError(inThread)).toBe(true);
  const pooled = await pool.build(bad).catch((e: unknown) => e);
  expect(isCertfleetError(pooled, (inThread as { code: 'USAGE' }).code)).toBe(true);
  expect((pooled as Error).message).toBe((inThread as Error).message);
  expect((pooled as Error).message).not.toContain('pool pw');
  // too few fixed bytes: INTERNAL, as in this thread
  const short = await pool.build(job('modern', 'rsa', { random: Buffer.alloc(4) })).catch((e: unknown) => e);
  expect(isCertfleetError(short, 'INTERNAL')).toBe(true);
  expect((await pool.build(job('legacy', 'rsa'))).equals(buildPkcs12Job(job('legacy', 'rsa')))).toBe(true);
});

it('a closed pool rejects what was not built, and every later build, with ISSUE_POOL_FAILED', async () => {
  const p = new Pkcs12Pool({ size: 1 });
  const pending = p.build(job('modern', 'rsa', { iterations: 100_000 })).catch((e: unknown) => e);
  await p.close();
  expect(isCertfleetError(await pending, 'ISSUE_POOL_FAILED')).toBe(true);
  expect(p.threads).toBe(0);
  const later = await p.build(job('modern', 'rsa')).catch((e: unknown) => e);
  expect(isCertfleetError(later, 'ISSUE_POOL_FAILED')).toBe(true);
  expect((later as Error).message).toMatch(/closed/);
});

it('a build that fails while an earlier one still runs is reported in order, not as an unhandled rejection', async () => {
  const unhandled: unknown[] = [];
  const onUnhandled = (e: unknown): void => void unhandled.push(e);
  process.on('unhandledRejection', onUnhandled);
  try {
    const slow = pool.build(job('modern', 'rsa', { iterations: 200_000 }));
    // fails at once on the other thread (too few fixed bytes), long before the slow one is done
    const failing = pool.build(job('modern', 'ec', { random: Buffer.alloc(4) }));
    await new Promise((r) => setTimeout(r, 200));
    const outcomes = await Promise.allSettled([slow, failing]);
    expect(outcomes.map((o) => o.status)).toEqual(['fulfilled', 'rejected']);
    expect(unhandled).toEqual([]);
  } finally {
    process.off('unhandledRejection', onUnhandled);
  }
});

it('size 0 builds in this thread: the same bytes, no thread started', async () => {
  const p = new Pkcs12Pool({ size: 0 });
  const out = await p.build(job('legacy', 'ec'));
  expect(out.equals(buildPkcs12Job(job('legacy', 'ec')))).toBe(true);
  expect(p.threads).toBe(0);
  expect(p.built).toBe(0);
  await p.close();
});

it('CERTFLEET_ISSUE_WORKERS: a whole number from 0 to 64, refused otherwise', () => {
  expect(issueWorkersFrom({})).toBeUndefined();
  expect(issueWorkersFrom({ CERTFLEET_ISSUE_WORKERS: '0' })).toBe(0);
  expect(issueWorkersFrom({ CERTFLEET_ISSUE_WORKERS: ' 3 ' })).toBe(3);
  for (const bad of ['-1', '2.5', 'two', '65']) {
    let e: unknown;
    try {
      issueWorkersFrom({ CERTFLEET_ISSUE_WORKERS: bad });
    } catch (x) {
      e = x;
    }
    expect(isCertfleetError(e, 'USAGE')).toBe(true);
    expect((e as Error).message).toContain('CERTFLEET_ISSUE_WORKERS');
  }
  expect(() => new Pkcs12Pool({ size: -1 })).toThrow(/whole number/);
});
