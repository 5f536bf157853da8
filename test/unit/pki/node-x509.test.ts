/**
 * x509Of: node:crypto's X509Certificate made once per distinct DER while it stays in a bounded memo
 * (issue 11 point 2).
 */
import { X509Certificate } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createCertificate } from '../../../pki/certificate.ts';
import { x509MemoSize, x509Of, X509_PARSED_LIMIT } from '../../../pki/node-x509.ts';
import { poolKey } from '../../fixtures/key-pool.ts';

const key = poolKey('p256');
const notBefore = new Date('2026-01-01T00:00:00Z');
const notAfter = new Date('2027-01-01T00:00:00Z');

/** A self-signed P-256 certificate with serial `n` (distinct DER for each n). */
function certDer(n: number): Buffer {
  return createCertificate({
    subject: `CN=x509 memo ${n}`,
    publicKey: key.publicKey,
    issuer: 'self',
    signingKey: key.privateKey,
    serialNumber: (n + 1).toString(16).padStart(4, '0'),
    notBefore,
    notAfter,
  }).der;
}

describe('x509Of', () => {
  it('reads what new X509Certificate reads; the same object for the same bytes, another for other bytes', () => {
    const der = certDer(1);
    const first = x509Of(der);
    const uncached = new X509Certificate(der);
    expect(first.raw.equals(uncached.raw)).toBe(true);
    expect(first.fingerprint256).toBe(uncached.fingerprint256);
    expect(first.subject).toBe(uncached.subject);
    expect(first.checkPrivateKey(key.privateKey)).toBe(true);
    expect(x509Of(Buffer.from(der))).toBe(first);
    const other = x509Of(certDer(2));
    expect(other).not.toBe(first);
    expect(other.serialNumber).not.toBe(first.serialNumber);
  });

  it('bytes that are no certificate throw every time (nothing is remembered)', () => {
    const size = x509MemoSize();
    const bad = Buffer.from('3003020100', 'hex');
    expect(() => x509Of(bad)).toThrow();
    expect(() => x509Of(bad)).toThrow();
    expect(x509MemoSize()).toBe(size);
  });

  it(`is bounded: at most ${X509_PARSED_LIMIT} parses, the least recently used goes first`, () => {
    const firstDer = certDer(1000);
    const first = x509Of(firstDer);
    for (let i = 0; i <= X509_PARSED_LIMIT; i++) x509Of(certDer(2000 + i));
    expect(x509MemoSize()).toBe(X509_PARSED_LIMIT);
    const again = x509Of(firstDer);
    expect(again).not.toBe(first);
    expect(again.fingerprint256).toBe(first.fingerprint256);
  });
});
