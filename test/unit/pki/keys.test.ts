import { createHash, createPrivateKey, createSecretKey, generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { isCertfleetError } from '../../../pki/errors.ts';
import {
  exportPrivateKeyDer,
  exportPrivateKeyPem,
  exportPublicKeyDer,
  exportPublicKeyPem,
  generateKeyPair,
  importPrivateKey,
  importPublicKey,
  IMPORTED_PRIVATE_LIMIT,
  keySpecOf,
  privateKeyFromPkcs8,
  publicKeyFromSpki,
  rememberPublicKey,
  spkiDerOf,
  type KeySpec,
} from '../../../pki/keys.ts';
import { sha1Thumbprint, sha256Thumbprint } from '../../../pki/thumbprint.ts';
import { poolKey } from '../../fixtures/key-pool.ts';
import { openssl } from './openssl.ts';

describe('generateKeyPair (the one keygen test: one key of each supported kind)', () => {
  // Key generation itself is under test here, so these keys are generated, not taken from the pool.
  it.each<KeySpec>([
    { kind: 'rsa', size: 2048 },
    { kind: 'rsa', size: 3072 },
    { kind: 'rsa', size: 4096 },
    { kind: 'ec', curve: 'P-256' },
    { kind: 'ec', curve: 'P-384' },
  ])('generates %o natively and keySpecOf reads it back', async (spec) => {
    const pair = await generateKeyPair(spec);
    expect(keySpecOf(pair.publicKey)).toEqual(spec);
    expect(keySpecOf(pair.privateKey)).toEqual(spec);
    expect(pair.privateKey.type).toBe('private');
    expect(pair.publicKey.type).toBe('public');
  });

  it.each([
    [{ kind: 'rsa', size: 1024 }],
    [{ kind: 'rsa', size: 8192 }],
    [{ kind: 'ec', curve: 'P-521' }],
    [{ kind: 'ed25519' }],
  ])('rejects %o with KEY_UNSUPPORTED before generating anything', async (spec) => {
    await expect(generateKeyPair(spec as unknown as KeySpec)).rejects.toSatisfy((e) =>
      isCertfleetError(e, 'KEY_UNSUPPORTED'),
    );
  });
});

describe('keySpecOf on pool keys', () => {
  it.each([
    ['rsa2048', { kind: 'rsa', size: 2048 }],
    ['rsa3072', { kind: 'rsa', size: 3072 }],
    ['rsa4096', { kind: 'rsa', size: 4096 }],
    ['p256', { kind: 'ec', curve: 'P-256' }],
    ['p384', { kind: 'ec', curve: 'P-384' }],
  ] as const)('%s → %o', (family, spec) => {
    expect(keySpecOf(poolKey(family).publicKey)).toEqual(spec);
  });
});

describe('PEM / DER import and export', () => {
  it.each(['rsa2048', 'p256', 'p384'] as const)(
    '%s round-trips through PKCS#8 and SPKI, PEM and DER',
    (family) => {
      const { privateKey, publicKey } = poolKey(family);
      const pem = exportPrivateKeyPem(privateKey);
      expect(pem).toMatch(/^-----BEGIN PRIVATE KEY-----\n/);
      expect(importPrivateKey(pem).equals(privateKey)).toBe(true);
      expect(importPrivateKey(exportPrivateKeyDer(privateKey)).equals(privateKey)).toBe(true);
      const pub = exportPublicKeyPem(publicKey);
      expect(pub).toMatch(/^-----BEGIN PUBLIC KEY-----\n/);
      expect(importPublicKey(pub).equals(publicKey)).toBe(true);
      expect(importPublicKey(exportPublicKeyDer(publicKey)).equals(publicKey)).toBe(true);
      // OpenSSL reads our PKCS#8 PEM too.
      const r = openssl(['pkey', '-noout', '-text'], pem);
      expect(r.status).toBe(0);
      expect(r.output).toMatch(
        family === 'rsa2048' ? /Private-Key: \(2048 bit/ : /Private-Key: \((256|384) bit/,
      );
    },
  );

  it.each([
    ['a PEM with a broken body', '-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n'],
    ['random DER', Uint8Array.of(0x30, 0x03, 0x02, 0x01, 0x00)],
  ])('importPrivateKey rejects %s with KEY_PARSE', (_what, input) => {
    expect(() => importPrivateKey(input)).toThrow(expect.objectContaining({ code: 'KEY_PARSE' }));
  });

  it('importPublicKey rejects a private key PEM with KEY_PARSE', () => {
    expect(() => importPublicKey(Uint8Array.of(1, 2, 3))).toThrow(
      expect.objectContaining({ code: 'KEY_PARSE' }),
    );
  });
});

describe('thumbprints', () => {
  it.each([
    ['empty', new Uint8Array(0), 'DA39A3EE5E6B4B0D3255BFEF95601890AFD80709'],
    ['abc', new TextEncoder().encode('abc'), 'A9993E364706816ABA3E25717850C26C9CD0D89D'],
  ])('SHA-1 of %s is upper-case hex without separators', (_n, data, expected) => {
    expect(sha1Thumbprint(data)).toBe(expected);
  });

  it('SHA-256 matches node:crypto, upper-case', () => {
    const data = Uint8Array.of(1, 2, 3);
    expect(sha256Thumbprint(data)).toBe(createHash('sha256').update(data).digest('hex').toUpperCase());
    expect(sha256Thumbprint(data)).toMatch(/^[0-9A-F]{64}$/);
  });
});

describe('spkiDerOf (one SubjectPublicKeyInfo export per KeyObject, issue 11 point 2)', () => {
  it("gives a public key's SPKI, and a private key's public half, each caller its own copy", () => {
    const pair = poolKey('p256');
    const expected = pair.publicKey.export({ type: 'spki', format: 'der' });
    const first = spkiDerOf(pair.publicKey);
    expect(first.equals(expected)).toBe(true);
    expect(spkiDerOf(pair.privateKey).equals(expected)).toBe(true);
    first.fill(0); // a caller scribbling on its copy changes nothing for the next caller
    expect(spkiDerOf(pair.publicKey).equals(expected)).toBe(true);
    expect(Buffer.from(exportPublicKeyDer(pair.publicKey)).equals(expected)).toBe(true);
  });

  it('refuses a secret key as node:crypto does', () => {
    expect(() => spkiDerOf(createSecretKey(Buffer.alloc(32, 7)))).toThrow();
  });
});

describe('publicKeyFromSpki (one import per distinct SubjectPublicKeyInfo, issue 11 point 2)', () => {
  it('gives the same KeyObject for the same bytes, a different one for other bytes', () => {
    const a = Buffer.from(exportPublicKeyDer(poolKey('rsa2048', 8).publicKey));
    const b = Buffer.from(exportPublicKeyDer(poolKey('rsa2048', 9).publicKey));
    const first = publicKeyFromSpki(a);
    expect(first.equals(poolKey('rsa2048', 8).publicKey)).toBe(true);
    expect(publicKeyFromSpki(Buffer.from(a))).toBe(first);
    const other = publicKeyFromSpki(b);
    expect(other).not.toBe(first);
    expect(other.equals(poolKey('rsa2048', 9).publicKey)).toBe(true);
  });

  it('bytes that are no SPKI throw every time (nothing is remembered)', () => {
    const bad = Buffer.from('3003020100', 'hex');
    expect(() => publicKeyFromSpki(bad)).toThrow();
    expect(() => publicKeyFromSpki(bad)).toThrow();
  });
});

describe('rememberPublicKey (a key read back from the SPKI its holder just wrote, issue 11 point 2)', () => {
  it('makes publicKeyFromSpki return the held key for its bytes, from a public or a private key', () => {
    const held = poolKey('p256');
    const spki = Buffer.from(exportPublicKeyDer(held.publicKey));
    rememberPublicKey(held.publicKey);
    expect(publicKeyFromSpki(Buffer.from(spki))).toBe(held.publicKey);
    const other = poolKey('rsa2048', 10);
    rememberPublicKey(other.privateKey); // its public half is what is remembered, never the private key
    const read = publicKeyFromSpki(Buffer.from(exportPublicKeyDer(other.publicKey)));
    expect(read.type).toBe('public');
    expect(read.equals(other.publicKey)).toBe(true);
    expect(publicKeyFromSpki(spki)).toBe(held.publicKey); // the first is still there
  });
});

describe('exportPrivateKeyDer / importPrivateKey (one export per key, one import per bytes, issue 11 point 2)', () => {
  it('reads back the key it exported as the same KeyObject; each export is its own copy', () => {
    const pair = poolKey('rsa2048', 11);
    const expected = pair.privateKey.export({ format: 'der', type: 'pkcs8' });
    const first = exportPrivateKeyDer(pair.privateKey);
    expect(Buffer.from(first).equals(expected)).toBe(true);
    first.fill(0); // a caller scribbling on its copy changes nothing for the next caller
    const second = exportPrivateKeyDer(pair.privateKey);
    expect(Buffer.from(second).equals(expected)).toBe(true);
    expect(importPrivateKey(Buffer.from(second))).toBe(pair.privateKey);
  });

  it('imports other bytes as their own key, and the same imported bytes as the same key', () => {
    const pool = poolKey('rsa2048', 10).privateKey;
    const der = pool.export({ format: 'der', type: 'pkcs8' }); // exported past exportPrivateKeyDer: unknown
    const a = importPrivateKey(Buffer.from(der));
    expect(a).not.toBe(pool);
    expect(a.type).toBe('private');
    expect(spkiDerOf(a).equals(spkiDerOf(pool))).toBe(true);
    expect(importPrivateKey(new Uint8Array(der))).toBe(a);
    expect(importPrivateKey(Buffer.from(exportPrivateKeyDer(poolKey('rsa2048', 11).privateKey)))).not.toBe(a);
  });

  it('bytes that are no PKCS#8 key are KEY_PARSE every time (nothing is remembered)', () => {
    const bad = Buffer.from('3003020100', 'hex');
    for (let i = 0; i < 2; i++) {
      try {
        importPrivateKey(bad);
        expect.unreachable('a bad key was imported');
      } catch (e) {
        expect(isCertfleetError(e) && e.code).toBe('KEY_PARSE');
      }
    }
  });
});

describe('privateKeyFromPkcs8 (one import per distinct PKCS#8 bytes, shared with importPrivateKey, issue 11 point 2)', () => {
  it('gives the key createPrivateKey gives, the same KeyObject for the same bytes, another for other bytes', () => {
    const der = poolKey('rsa2048', 7).privateKey.export({ format: 'der', type: 'pkcs8' });
    const first = privateKeyFromPkcs8(new Uint8Array(der));
    const uncached = createPrivateKey({ key: der, format: 'der', type: 'pkcs8' });
    expect(first.type).toBe('private');
    expect(first.export({ format: 'der', type: 'pkcs8' }).equals(der)).toBe(true);
    expect(first.equals(uncached)).toBe(true);
    expect(privateKeyFromPkcs8(Buffer.from(der))).toBe(first);
    expect(importPrivateKey(Buffer.from(der))).toBe(first); // one memo for both
    const otherDer = poolKey('rsa2048', 6).privateKey.export({ format: 'der', type: 'pkcs8' });
    const other = privateKeyFromPkcs8(otherDer);
    expect(other).not.toBe(first);
    expect(other.equals(first)).toBe(false);
  });

  it('bytes that are no PKCS#8 key throw every time (nothing is remembered)', () => {
    const bad = Buffer.from('3003020100', 'hex');
    expect(() => privateKeyFromPkcs8(bad)).toThrow();
    expect(() => privateKeyFromPkcs8(bad)).toThrow();
  });

  it(`is bounded: after ${IMPORTED_PRIVATE_LIMIT} other keys, the first bytes are imported again`, () => {
    // P-256 keys: cheap to make, and each one distinct PKCS#8 bytes (key generation is not under test)
    const der = (): Buffer =>
      generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).privateKey.export({
        format: 'der',
        type: 'pkcs8',
      });
    const firstDer = der();
    const first = privateKeyFromPkcs8(firstDer);
    expect(privateKeyFromPkcs8(firstDer)).toBe(first);
    for (let i = 0; i < IMPORTED_PRIVATE_LIMIT; i++) privateKeyFromPkcs8(der());
    const again = privateKeyFromPkcs8(firstDer);
    expect(again).not.toBe(first);
    expect(again.equals(first)).toBe(true);
  });
});
