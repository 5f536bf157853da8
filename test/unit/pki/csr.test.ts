import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createCsr, parseCsr } from '../../../pki/csr.ts';
import type { CertfleetError } from '../../../pki/errors.ts';
import { EKU_OIDS } from '../../../pki/oids.ts';
import { poolKey } from '../../fixtures/key-pool.ts';
import { makeTempDir, openssl, type TempDir } from './openssl.ts';

let dir: TempDir;
beforeEach(() => {
  dir = makeTempDir();
});
afterEach(() => {
  dir.remove();
});

describe('createCsr, checked with openssl req -verify', () => {
  it.each([
    ['rsa2048', 'sha256WithRSAEncryption'],
    ['rsa3072', 'sha256WithRSAEncryption'],
    ['p256', 'ecdsa-with-SHA256'],
    ['p384', 'ecdsa-with-SHA384'],
  ] as const)('%s: OpenSSL verifies the self-signature and shows the subject and SANs', (family, alg) => {
    const csr = createCsr({
      subject: 'CN="Test user (TestCompany, LLC)",O=Contoso,C=US',
      keyPair: poolKey(family),
      san: [
        { type: 'upn', value: 'ada@contoso.com' },
        { type: 'email', value: 'ada@contoso.com' },
      ],
      extensions: { extKeyUsage: ['clientAuth'], keyUsage: ['digitalSignature'] },
    });
    const r = openssl(['req', '-in', dir.file('r.csr', csr.pem), '-verify', '-noout', '-text']);
    expect(r.status).toBe(0);
    expect(r.output).toMatch(/verify OK|Certificate request self-signature verify OK/);
    expect(r.output).toContain('Subject: C = US, O = Contoso, CN = "Test user (TestCompany, LLC)"');
    expect(r.output).toMatch(/othername: UPN::ada@contoso.com|UPN:ada@contoso.com/);
    expect(r.output).toContain('email:ada@contoso.com');
    expect(r.output).toContain('TLS Web Client Authentication');
    expect(r.output).toContain(`Signature Algorithm: ${alg}`);
    const back = parseCsr(csr.der);
    expect(back.subjectText).toBe('CN=Test user (TestCompany\\, LLC),O=Contoso,C=US');
    expect(back.subjectAltName).toEqual([
      { type: 'upn', value: 'ada@contoso.com' },
      { type: 'email', value: 'ada@contoso.com' },
    ]);
    expect(back.extensions.extKeyUsage).toEqual([EKU_OIDS.clientAuth]);
    expect(back.publicKey.equals(poolKey(family).publicKey)).toBe(true);
  });

  it('a CSR without extensions has no extensionRequest attribute', () => {
    const csr = createCsr({ subject: 'CN=plain', keyPair: poolKey('rsa2048', 6) });
    expect(csr.attributes).toEqual([]);
    expect(csr.subjectAltName).toEqual([]);
    expect(openssl(['req', '-in', dir.file('p.csr', csr.pem), '-verify', '-noout']).status).toBe(0);
  });

  it('parses a CSR that OpenSSL made', () => {
    const keyPath = dir.file(
      'k.pem',
      poolKey('rsa2048', 7).privateKey.export({ type: 'pkcs8', format: 'pem' }),
    );
    const r = openssl([
      'req',
      '-new',
      '-key',
      keyPath,
      '-subj',
      '/C=US/O=Acme/CN=device-01',
      '-addext',
      'subjectAltName=DNS:device-01.acme.test',
    ]);
    expect(r.status).toBe(0);
    const csr = parseCsr(r.stdout);
    expect(csr.subjectText).toBe('CN=device-01,O=Acme,C=US');
    expect(csr.subjectAltName).toEqual([{ type: 'dns', value: 'device-01.acme.test' }]);
    expect(csr.keySpec).toEqual({ kind: 'rsa', size: 2048 });
  });
});

describe('parseCsr errors', () => {
  const good = () => createCsr({ subject: 'CN=Alice', keyPair: poolKey('rsa2048', 8) });

  it('a tampered subject gives CSR_BAD_SIGNATURE', () => {
    const der = Buffer.from(good().der);
    const at = der.indexOf(Buffer.from('Alice'));
    der[at] = 'M'.charCodeAt(0);
    expect(() => parseCsr(der)).toThrow(expect.objectContaining({ code: 'CSR_BAD_SIGNATURE' }));
    // OpenSSL 3.0 exits 0 here but says so.
    expect(
      openssl(['req', '-inform', 'DER', '-in', dir.file('t.der', der), '-verify', '-noout']).output,
    ).toContain('verify failure');
  });

  it.each([
    ['truncated', () => good().der.subarray(0, 100), /truncated: .*declares \d+ bytes, has 100/],
    [
      'a certificate PEM',
      () => '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n',
      /found CERTIFICATE/,
    ],
    ['garbage', () => Uint8Array.of(0x02, 0x01, 0x00), /expected a SEQUENCE/],
  ])('%s gives CSR_PARSE', (_what, input, message) => {
    let err: unknown;
    try {
      parseCsr(input());
    } catch (e) {
      err = e;
    }
    expect((err as CertfleetError).code).toBe('CSR_PARSE');
    expect((err as CertfleetError).message).toMatch(message);
  });
});

describe('createCsr reads its request back with the key it holds (issue 11 point 2)', () => {
  it("the parsed request's public key is the key pair's own; the bytes carry its SPKI; the service's parse agrees", () => {
    const keyPair = poolKey('rsa2048', 3);
    const csr = createCsr({ subject: 'CN=held key', keyPair });
    expect(csr.publicKey).toBe(keyPair.publicKey);
    const spki = keyPair.publicKey.export({ type: 'spki', format: 'der' });
    expect(csr.der.includes(spki)).toBe(true);
    const again = parseCsr(Buffer.from(csr.der)); // what the service reads off the wire
    expect(again.publicKey.equals(keyPair.publicKey)).toBe(true);
    expect(again.subjectText).toBe('CN=held key');
  });
});
