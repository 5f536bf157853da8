/**
 * The Android re-wrap on the issuance pool (pki/pkcs12-pool.ts rewrapPkcs12On, compile-android.ts
 * rewrapForAndroid): opened and built on a worker thread, with the salts and IVs drawn here in the
 * order the build takes them — the same bytes as rewrapPkcs12 in this thread with the same seeded source.
 */
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isCertfleetError } from '../../../pki/errors.ts';
import {
  buildPkcs12,
  parsePkcs12,
  pkcs12RandomDraws,
  rewrapPkcs12,
  type RandomBytes,
} from '../../../pki/pkcs12.ts';
import { Pkcs12Pool, rewrapPkcs12On } from '../../../pki/pkcs12-pool.ts';
import { compileProfile, rewrapForAndroid, seededIds } from '../../../profiles/compile/index.ts';
import { FACTS, fixedIdentity, pkcsProfile, seededRandom } from '../compile/fixtures.ts';

const sha256 = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

let pool: Pkcs12Pool;
beforeAll(() => {
  pool = new Pkcs12Pool({ size: 1 });
});
afterAll(async () => {
  await pool.close();
});

describe('pkcs12RandomDraws', () => {
  it.each(['legacy', 'modern'] as const)(
    '%s: lists exactly the draws buildPkcs12 makes, in order',
    (profile) => {
      const id = fixedIdentity();
      const parsed = parsePkcs12(id.pfx, id.password);
      const draws: number[] = [];
      const recording: RandomBytes = (n) => {
        draws.push(n);
        return Buffer.alloc(n, draws.length);
      };
      buildPkcs12({
        privateKey: parsed.privateKey,
        certificates: parsed.certificates,
        password: 'x',
        profile,
        random: recording,
      });
      expect(draws.length).toBeGreaterThan(0);
      expect(pkcs12RandomDraws(profile)).toEqual(draws);
    },
  );
});

describe('rewrapPkcs12On: the build on a worker thread', () => {
  it('modern: the golden bytes of rewrapPkcs12 (pkcs12-golden.test.ts), and the pool built it', async () => {
    const id = fixedIdentity();
    const before = pool.built;
    const pooled = await rewrapPkcs12On(pool, id.pfx, id.password, '', 'modern', {
      random: seededRandom('rewrap'),
    });
    expect(sha256(pooled)).toBe('116532460266ad98d0d57edb827c364989bf57991be8eea1e1fccfe5c08ceee1');
    expect(pool.built).toBe(before + 1);
  });

  it('legacy, with a friendlyName: the same bytes as in this thread; another seed gives other bytes', async () => {
    const id = fixedIdentity();
    const o = { friendlyName: 'Contoso Wi-Fi' };
    const inThread = rewrapPkcs12(id.pfx, id.password, 'n3w', 'legacy', { ...o, random: seededRandom('s') });
    const pooled = await rewrapPkcs12On(pool, id.pfx, id.password, 'n3w', 'legacy', {
      ...o,
      random: seededRandom('s'),
    });
    expect(pooled.equals(inThread)).toBe(true);
    const other = await rewrapPkcs12On(pool, id.pfx, id.password, 'n3w', 'legacy', {
      ...o,
      random: seededRandom('t'),
    });
    expect(other.equals(pooled)).toBe(false);
    expect(parsePkcs12(pooled, 'n3w').friendlyName).toBe('Contoso Wi-Fi');
  });

  it('a wrong old password rejects with PKCS12_BAD_PASSWORD and builds nothing', async () => {
    const id = fixedIdentity();
    const before = pool.built;
    const e = await rewrapPkcs12On(pool, id.pfx, 'wrong', '', 'modern').then(
      () => undefined,
      (err: unknown) => err,
    );
    expect(isCertfleetError(e) && e.code).toBe('PKCS12_BAD_PASSWORD');
    expect(pool.built).toBe(before);
  });

  it('the open runs on the worker too: a wrong old password gives the code, message and details of parsePkcs12 here', async () => {
    const id = fixedIdentity();
    let here: unknown;
    try {
      parsePkcs12(id.pfx, 'wrong');
    } catch (err) {
      here = err;
    }
    const there = await rewrapPkcs12On(pool, id.pfx, 'wrong', '', 'modern').then(
      () => undefined,
      (err: unknown) => err,
    );
    if (!isCertfleetError(here) || !isCertfleetError(there)) throw new Error('expected two CertfleetErrors');
    expect([there.code, there.message, there.details]).toEqual([here.code, here.message, here.details]);
    expect(there.message).not.toContain(id.password);
  });

  it('a size-0 pool re-wraps in this thread: the same bytes as rewrapPkcs12', async () => {
    const id = fixedIdentity();
    const inline = new Pkcs12Pool({ size: 0 });
    const inThread = rewrapPkcs12(id.pfx, id.password, '', 'modern', { random: seededRandom('zero') });
    const out = await rewrapPkcs12On(inline, id.pfx, id.password, '', 'modern', {
      random: seededRandom('zero'),
    });
    expect(out.equals(inThread)).toBe(true);
    await inline.close();
  });
});

describe('compileAndroidPkcs with rewrappedPkcs12 from rewrapForAndroid', () => {
  it.each(['android-work-profile', 'android-device-owner'] as const)(
    '%s: the same payload bytes as the re-wrap in this thread',
    async (family) => {
      const issued = fixedIdentity();
      const profile = pkcsProfile(family);
      const inThread = compileProfile(profile, FACTS[family], {
        ids: seededIds('a'),
        issued,
        random: seededRandom('android'),
      });
      const rewrappedPkcs12 = await rewrapForAndroid(issued, { random: seededRandom('android') }, pool);
      const pooled = compileProfile(profile, FACTS[family], {
        ids: seededIds('a'),
        issued,
        random: seededRandom('unused: the blob is given'),
        rewrappedPkcs12,
      });
      expect(inThread.ok && pooled.ok).toBe(true);
      if (!inThread.ok || !pooled.ok) return;
      expect(Buffer.from(pooled.payload.bytes).equals(Buffer.from(inThread.payload.bytes))).toBe(true);
    },
  );
});
