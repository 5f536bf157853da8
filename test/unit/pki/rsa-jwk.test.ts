/**
 * rsaJwkOfPkcs8 / rsaJwkOfSpki: canonical RSA PKCS#8 and SubjectPublicKeyInfo read as their JWK numbers
 * (the fast import of privateKeyFromPkcs8 and publicKeyFromSpki, issue 11 point 2); anything else is left
 * to node's DER decoder.
 */
import { createPrivateKey, createPublicKey } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { privateKeyFromPkcs8, publicKeyFromSpki } from '../../../pki/keys.ts';
import { rsaJwkOfPkcs8, rsaJwkOfSpki } from '../../../pki/rsa-jwk.ts';
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

const spki = (family: 'rsa2048' | 'rsa3072' | 'rsa4096' | 'p256', index = 0): Buffer =>
  poolKey(family, index).publicKey.export({ format: 'der', type: 'spki' });

describe('rsaJwkOfSpki', () => {
  it.each(['rsa2048', 'rsa3072', 'rsa4096'] as const)(
    '%s: the JWK node exports, and the key it imports is the one the DER decoder makes',
    (family) => {
      const der = spki(family);
      const jwk = rsaJwkOfSpki(der);
      expect(jwk).toEqual(poolKey(family).publicKey.export({ format: 'jwk' }));
      const viaJwk = createPublicKey({ key: jwk ?? {}, format: 'jwk' });
      expect(viaJwk.equals(createPublicKey({ key: der, format: 'der', type: 'spki' }))).toBe(true);
      expect(viaJwk.export({ format: 'der', type: 'spki' }).equals(der)).toBe(true);
    },
  );

  it('reads another key as its own numbers; leaves EC, BER, trailing bytes and garbage to the decoder', () => {
    expect(rsaJwkOfSpki(spki('rsa2048', 1))?.n).not.toBe(rsaJwkOfSpki(spki('rsa2048', 0))?.n);
    const der = spki('rsa2048');
    expect(rsaJwkOfSpki(spki('p256'))).toBeUndefined();
    expect(rsaJwkOfSpki(Buffer.concat([der, Buffer.of(0)]))).toBeUndefined();
    expect(der[1]).toBe(0x82);
    expect(rsaJwkOfSpki(Buffer.concat([Buffer.of(0x30, 0x83, 0x00), der.subarray(2)]))).toBeUndefined();
    expect(rsaJwkOfSpki(pkcs8('rsa2048'))).toBeUndefined();
    expect(rsaJwkOfPkcs8(der)).toBeUndefined();
    expect(rsaJwkOfSpki(Buffer.from('3003020100', 'hex'))).toBeUndefined();
  });

  it('publicKeyFromSpki gives the key the DER decoder gives, RSA and EC', () => {
    for (const family of ['rsa3072', 'p256'] as const) {
      const der = spki(family);
      expect(publicKeyFromSpki(der).equals(createPublicKey({ key: der, format: 'der', type: 'spki' }))).toBe(
        true,
      );
    }
  });
});
