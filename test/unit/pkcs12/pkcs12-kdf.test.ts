/**
 * The RFC 7292 Appendix B KDF against OpenSSL's own implementation (`openssl kdf … PKCS12KDF`, which takes
 * the BMPString password bytes as given) and a published vector.
 */
import { describe, expect, it } from 'vitest';
import {
  bmpPassword,
  pkcs12Kdf,
  pkcs12PasswordCandidates,
  type Pkcs12Hash,
} from '../../../pki/pkcs12-kdf.ts';
import { opensslBytes } from './openssl-fixtures.ts';

function opensslKdf(
  hash: Pkcs12Hash,
  pass: Buffer,
  salt: Buffer,
  iter: number,
  id: number,
  len: number,
): Buffer {
  const out = opensslBytes([
    'kdf', '-keylen', String(len), '-kdfopt', `hexpass:${pass.toString('hex')}`,
    '-kdfopt', `hexsalt:${salt.toString('hex')}`, '-kdfopt', `iter:${iter}`, '-kdfopt', `id:${id}`,
    '-kdfopt', `digest:${hash.toUpperCase()}`, 'PKCS12KDF',
  ]).toString('latin1'); // prettier-ignore
  return Buffer.from(out.replace(/[^0-9A-Fa-f]/g, ''), 'hex');
}

describe('bmpPassword', () => {
  it.each([
    ['', '0000'],
    ['smeg', '0073006d006500670000'],
    ['pä€', '007000e420ac0000'],
    ['\u{1F511}', 'd83ddd110000'], // a non-BMP character becomes a UTF-16 surrogate pair
  ])('%j → %s', (pw, hex) => {
    expect(bmpPassword(pw).toString('hex')).toBe(hex);
  });

  it('offers both encodings of the empty password, and one of any other', () => {
    expect(pkcs12PasswordCandidates('').map((b) => b.toString('hex'))).toEqual(['0000', '']);
    expect(pkcs12PasswordCandidates('x')).toHaveLength(1);
  });
});

describe('pkcs12Kdf', () => {
  it('reproduces the classic "smeg" vector (SHA-1, ID 1, 1 iteration, 24 bytes)', () => {
    const key = pkcs12Kdf('sha1', bmpPassword('smeg'), Buffer.from('0a58cf64530d823f', 'hex'), 1, 1, 24);
    expect(key.toString('hex')).toBe('8aaae6297b6cb04642ab5b077851284eb7128f1a2a7fbca3');
  });

  it.each([
    ['sha1', 'pw', 1, 24, 2048],
    ['sha1', 'pw', 2, 8, 2048],
    ['sha1', 'pw', 3, 20, 1],
    ['sha1', '', 1, 24, 3],
    ['sha256', 'longer password with ä€', 3, 32, 2048],
    ['sha256', '', 3, 32, 5],
    ['sha512', 'x', 1, 100, 7], // several output blocks with the 128-byte block size
    ['sha1', 'a much longer password that spans more than one sixty-four byte block', 1, 64, 2],
  ] as const)(
    '%s, password %j, ID %i, %i bytes, %i iterations = OpenSSL PKCS12KDF',
    (hash, pw, id, len, iter) => {
      const salt = Buffer.from('0102030405060708090a', 'hex');
      const ours = pkcs12Kdf(hash, bmpPassword(pw), salt, iter, id, len);
      expect(ours).toHaveLength(len);
      expect(ours.toString('hex')).toBe(
        opensslKdf(hash, bmpPassword(pw), salt, iter, id, len).toString('hex'),
      );
    },
  );

  it('differs per purpose ID', () => {
    const salt = Buffer.alloc(8, 7);
    const ids = ([1, 2, 3] as const).map((id) =>
      pkcs12Kdf('sha1', bmpPassword('pw'), salt, 10, id, 20).toString('hex'),
    );
    expect(new Set(ids).size).toBe(3);
  });
});
