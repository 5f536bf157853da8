/**
 * The PKCS#12 KDF and PBKDF2 memo (issue 11 point 2): a derivation repeated in the process (a PFX built by the
 * connector and parsed by the device) is a lookup, and gives the same bytes as deriving again; changing any input
 * (salt, password, iterations, purpose, length, hash) derives anew; a caller that changes the returned
 * buffer does not change what the memo hands out next.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { berAlgorithm, readBer } from '../../../pki/pkcs12-asn1.ts';
import { encryptionName, pbeDecrypt, pbeEncrypt, pbeRandomDraws } from '../../../pki/pkcs12-cipher.ts';
import { buildPkcs12, parsePkcs12 } from '../../../pki/pkcs12.ts';
import { bmpPassword, forgetPkcs12Derivations, pkcs12Kdf } from '../../../pki/pkcs12-kdf.ts';
import { makeFixtures, type Pkcs12Fixtures } from './openssl-fixtures.ts';

let fx: Pkcs12Fixtures;
beforeAll(() => {
  fx = makeFixtures();
});
afterAll(() => fx.dispose());

const SALT = Buffer.from('0123456789abcdef', 'hex');

describe('pkcs12Kdf memo', () => {
  it('the second derivation of the same inputs gives the same bytes as a fresh one', () => {
    forgetPkcs12Derivations();
    const first = pkcs12Kdf('sha1', bmpPassword('pw'), SALT, 2048, 1, 24);
    const memo = pkcs12Kdf('sha1', bmpPassword('pw'), SALT, 2048, 1, 24);
    forgetPkcs12Derivations();
    const fresh = pkcs12Kdf('sha1', bmpPassword('pw'), SALT, 2048, 1, 24);
    expect(memo).toEqual(first);
    expect(fresh).toEqual(first);
    expect(first).toHaveLength(24);
  });

  it.each([
    ['salt', () => pkcs12Kdf('sha1', bmpPassword('pw'), Buffer.from('0123456789abcdee', 'hex'), 2048, 1, 24)],
    ['password', () => pkcs12Kdf('sha1', bmpPassword('pX'), SALT, 2048, 1, 24)],
    ['iterations', () => pkcs12Kdf('sha1', bmpPassword('pw'), SALT, 2047, 1, 24)],
    ['purpose', () => pkcs12Kdf('sha1', bmpPassword('pw'), SALT, 2048, 2, 24)],
    ['hash', () => pkcs12Kdf('sha256', bmpPassword('pw'), SALT, 2048, 1, 24)],
  ])('a different %s derives a different key', (_what, other) => {
    const base = pkcs12Kdf('sha1', bmpPassword('pw'), SALT, 2048, 1, 24);
    expect(other()).not.toEqual(base);
  });

  it('a salt/password split is part of the key: moving a byte between them is a different derivation', () => {
    const a = pkcs12Kdf('sha1', Buffer.from([1, 2, 3, 4]), Buffer.from([9, 9]), 1, 3, 20);
    const b = pkcs12Kdf('sha1', Buffer.from([2, 3, 4]), Buffer.from([9, 9, 1]), 1, 3, 20);
    expect(a).not.toEqual(b);
  });

  it('changing a returned buffer does not change the next answer', () => {
    const first = pkcs12Kdf('sha1', bmpPassword('mutable'), SALT, 10, 3, 20);
    const copy = Buffer.from(first);
    first.fill(0);
    expect(pkcs12Kdf('sha1', bmpPassword('mutable'), SALT, 10, 3, 20)).toEqual(copy);
  });
});

describe.each(['legacy', 'modern'] as const)(
  'a %s PFX parsed where it was built (KDF and PBKDF2 memo)',
  (profile) => {
    it('opens to the same key with the memo and without it; a wrong password still fails after a good one', () => {
      const blob = buildPkcs12({
        privateKey: fx.rsa.privateKey,
        certificates: fx.rsa.chain,
        password: 'right',
        profile,
      });
      const memo = parsePkcs12(blob, 'right');
      forgetPkcs12Derivations();
      const fresh = parsePkcs12(blob, 'right');
      const der = (k: typeof memo.privateKey): string =>
        k.export({ type: 'pkcs8', format: 'der' }).toString('hex');
      expect(der(memo.privateKey)).toBe(der(fx.rsa.privateKey));
      expect(der(fresh.privateKey)).toBe(der(fx.rsa.privateKey));
      expect(() => parsePkcs12(blob, 'wrong')).toThrow(
        expect.objectContaining({ code: 'PKCS12_BAD_PASSWORD' }),
      );
    });
  },
);

describe.each(['legacy', 'modern'] as const)(
  'a %s encryption AlgorithmIdentifier is read once per item (issue 11 point 2)',
  (profile) => {
    it('naming it and then decrypting with it reads its parameters once: the second use does not read them again', () => {
      const data = Buffer.from('a safe to encrypt, longer than one block');
      const enc = pbeEncrypt(
        profile,
        'once',
        data,
        3,
        pbeRandomDraws(profile).map((n) => randomBytes(n)),
      );
      const alg = berAlgorithm(enc.algorithm, readBer(enc.algorithm, 0));
      expect(encryptionName(alg, 'test')).toMatch(profile === 'legacy' ? /TripleDES/ : /PBES2/);
      // Spoil the parameters after the first read: a second read would refuse them.
      const spoiled = { ...alg, parameters: Buffer.from([0x05, 0x00]) };
      expect(() => encryptionName(spoiled, 'test')).toThrow(
        expect.objectContaining({ code: 'PKCS12_PARSE' }),
      );
      alg.parameters = spoiled.parameters;
      expect(pbeDecrypt(alg, 'once', enc.ciphertext, 'test').equals(data)).toBe(true);
    });
  },
);
