/**
 * pki/rsa-pkcs1v15.ts: the PKCS#1 v1.5 unpadding (RFC 8017 §7.2.2 step 3) both CMS key-transport readers use,
 * on hand-made encoded messages, and a round trip through a real RSA key of the fixture pool.
 */
import { constants, publicEncrypt } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { pkcs1v15Decrypt, pkcs1v15Unpad } from '../../../pki/rsa-pkcs1v15.ts';
import { poolKey } from '../../fixtures/key-pool.ts';

const MESSAGE = Buffer.from('content-encryption-key');

/** EM = first || second || PS (psLength nonzero bytes) || separator? || MESSAGE. */
function em(o: { first?: number; second?: number; psLength?: number; separator?: boolean } = {}): Buffer {
  const ps = Buffer.alloc(o.psLength ?? 8, 0xa5);
  return Buffer.concat([
    Buffer.of(o.first ?? 0x00, o.second ?? 0x02),
    ps,
    o.separator === false ? Buffer.alloc(0) : Buffer.of(0x00),
    o.separator === false ? Buffer.from('no-zero-byte-in-here') : MESSAGE,
  ]);
}

describe('pkcs1v15Unpad', () => {
  it('good padding (8-byte and long padding strings): returns the message after the separator', () => {
    expect(pkcs1v15Unpad(em())).toEqual(MESSAGE);
    expect(pkcs1v15Unpad(em({ psLength: 200 }))).toEqual(MESSAGE);
  });

  it('an empty message right after the separator is a message of length 0', () => {
    expect(pkcs1v15Unpad(Buffer.concat([Buffer.of(0, 2), Buffer.alloc(8, 1), Buffer.of(0)]))).toHaveLength(0);
  });

  it('reads a view into a larger buffer from its own offset', () => {
    const whole = Buffer.concat([Buffer.of(0xff, 0xff, 0xff), em()]);
    expect(pkcs1v15Unpad(new Uint8Array(whole.buffer, whole.byteOffset + 3, whole.length - 3))).toEqual(
      MESSAGE,
    );
  });

  it.each([
    ['first byte not 0x00', { first: 0x01 }],
    ['block type 1 (signature padding), not 2', { second: 0x01 }],
    ['block type 0', { second: 0x00 }],
  ])('bad leading bytes (%s) are refused', (_what, o) => {
    expect(() => pkcs1v15Unpad(em(o))).toThrow('PKCS#1 v1.5 padding is invalid');
  });

  it('no 0x00 separator after the padding string is refused', () => {
    expect(() => pkcs1v15Unpad(em({ separator: false }))).toThrow('PKCS#1 v1.5 padding is invalid');
  });

  it.each([0, 1, 7])('a padding string of %i bytes (under 8) is refused', (psLength) => {
    expect(() => pkcs1v15Unpad(em({ psLength }))).toThrow('PKCS#1 v1.5 padding is invalid');
  });

  it('too short to hold the two leading bytes is refused', () => {
    expect(() => pkcs1v15Unpad(Buffer.of(0x00))).toThrow('PKCS#1 v1.5 padding is invalid');
    expect(() => pkcs1v15Unpad(Buffer.alloc(0))).toThrow('PKCS#1 v1.5 padding is invalid');
  });
});

describe('pkcs1v15Decrypt', () => {
  const { privateKey, publicKey } = poolKey('rsa2048', 0);

  it('opens what publicEncrypt wrote with RSA_PKCS1_PADDING', () => {
    const encrypted = publicEncrypt({ key: publicKey, padding: constants.RSA_PKCS1_PADDING }, MESSAGE);
    expect(pkcs1v15Decrypt(privateKey, encrypted)).toEqual(MESSAGE);
  });
});
