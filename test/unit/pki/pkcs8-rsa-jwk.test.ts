/**
 * rsaJwkOfPkcs8: a canonical two-prime RSA PKCS#8 read as its JWK numbers (the fast import of
 * privateKeyFromPkcs8, issue 11 point 2); anything else is left to node's DER decoder.
 */
import { createPrivateKey } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { privateKeyFromPkcs8 } from '../../../pki/keys.ts';
import { rsaJwkOfPkcs8 } from '../../../pki/pkcs8-rsa-jwk.ts';
import { poolKey } from '../../fixtures/key-pool.ts';

const pkcs8 = (family: 'rsa2048' | 'rsa3072' | 'rsa4096' | 'p256', index = 0): Buffer =>
  poolKey(family, index).privateKey.export({ format: 'der', type: 'pkcs8' });

describe('rsaJwkOfPkcs8', () => {
  it.each(['rsa2048', 'rsa3072', 'rsa4096'] as const)(
    '%s: the JWK node exports for the key, and the key it imports is the one the DER decoder makes',
    (family) => {
      const der = pkcs8(family);
      const jwk = rsaJwkOfPkcs8(der);
      expect(jwk).toEqual(poolKey(family).privateKey.export({ format: 'jwk' }));
      const viaJwk = createPrivateKey({ key: jwk ?? {}, format: 'jwk' });
      const viaDer = createPrivateKey({ key: der, format: 'der', type: 'pkcs8' });
      expect(viaJwk.equals(viaDer)).toBe(true);
      expect(viaJwk.export({ format: 'der', type: 'pkcs8' }).equals(der)).toBe(true);
    },
  );

  it('reads another key as its own numbers', () => {
    expect(rsaJwkOfPkcs8(pkcs8('rsa2048', 1))?.n).toBe(
      poolKey('rsa2048', 1).privateKey.export({ format: 'jwk' }).n,
    );
    expect(rsaJwkOfPkcs8(pkcs8('rsa2048', 1))?.n).not.toBe(rsaJwkOfPkcs8(pkcs8('rsa2048', 0))?.n);
  });

  it('leaves every other shape to the DER decoder: EC, a trailing byte, a long-form length, garbage', () => {
    const der = pkcs8('rsa2048');
    expect(rsaJwkOfPkcs8(pkcs8('p256'))).toBeUndefined();
    expect(rsaJwkOfPkcs8(Buffer.concat([der, Buffer.of(0)]))).toBeUndefined();
    // the same content with its outer length in 3 bytes instead of 2: BER, not the canonical DER
    const long = Buffer.concat([Buffer.of(0x30, 0x83, 0x00), der.subarray(2)]);
    expect(der[1]).toBe(0x82);
    expect(rsaJwkOfPkcs8(long)).toBeUndefined();
    expect(rsaJwkOfPkcs8(Buffer.from('3003020100', 'hex'))).toBeUndefined();
    expect(rsaJwkOfPkcs8(Buffer.alloc(0))).toBeUndefined();
    expect(rsaJwkOfPkcs8(der.subarray(0, 100))).toBeUndefined();
  });

  it('privateKeyFromPkcs8 makes the same key by either road', () => {
    const der = pkcs8('rsa3072');
    const long = Buffer.concat([Buffer.of(0x30, 0x83, 0x00), der.subarray(2)]);
    let viaDer;
    try {
      viaDer = privateKeyFromPkcs8(long); // the DER decoder's road (if OpenSSL reads BER lengths here)
    } catch {
      viaDer = createPrivateKey({ key: der, format: 'der', type: 'pkcs8' });
    }
    expect(privateKeyFromPkcs8(Buffer.from(der)).equals(viaDer)).toBe(true);
    expect(privateKeyFromPkcs8(pkcs8('p256')).equals(poolKey('p256').privateKey)).toBe(true);
  });
});
