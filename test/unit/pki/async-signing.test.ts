import { verify } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createCertificate, startCertificate } from '../../../pki/certificate.ts';
import { createCsr, createCsrAsync, parseCsr, parseCsrAsync } from '../../../pki/csr.ts';
import { isCertfleetError } from '../../../pki/errors.ts';
import { signTbs, signTbsAsync, verifyTbs, verifyTbsAsync } from '../../../pki/signature.ts';
import { poolKey } from '../../fixtures/key-pool.ts';

const tbs = new Uint8Array(Buffer.from('30030201 00'.replace(/ /g, ''), 'hex'));

describe('signing on libuv thread pool gives what the synchronous path gives', () => {
  it('RSA: signTbsAsync returns the same AlgorithmIdentifier and signature bytes as signTbs', async () => {
    const key = poolKey('rsa2048', 1);
    const sync = signTbs(tbs, key.privateKey, 'sha256');
    const async_ = await signTbsAsync(tbs, key.privateKey, 'sha256');
    expect(Buffer.from(async_.algorithm).equals(Buffer.from(sync.algorithm))).toBe(true);
    expect(Buffer.from(async_.signature).equals(Buffer.from(sync.signature))).toBe(true);
    expect(async_.signature.length).toBe(256);
  });

  it('EC: signTbsAsync signs with the same algorithm, and the signature verifies', async () => {
    const key = poolKey('p384');
    const sync = signTbs(tbs, key.privateKey, 'sha384');
    const async_ = await signTbsAsync(tbs, key.privateKey, 'sha384');
    expect(Buffer.from(async_.algorithm).equals(Buffer.from(sync.algorithm))).toBe(true);
    expect(verify('sha384', tbs, key.publicKey, async_.signature)).toBe(true);
    expect(verify('sha384', Buffer.from('other'), key.publicKey, async_.signature)).toBe(false);
  });

  it('a public key cannot sign: refused on either path', async () => {
    const key = poolKey('rsa2048');
    // a public key cannot sign: node:crypto refuses it on either path
    await expect(signTbsAsync(tbs, key.publicKey, 'sha256')).rejects.toThrow();
    expect(() => signTbs(tbs, key.publicKey, 'sha256')).toThrow();
  });

  it('RSA: createCsrAsync gives the bytes createCsr gives, and they parse and verify', async () => {
    const opts = {
      subject: 'CN=dev-0042',
      keyPair: poolKey('rsa2048', 2),
      san: [{ type: 'dns' as const, value: 'dev-0042.contoso.com' }],
    };
    const a = await createCsrAsync(opts);
    const b = createCsr(opts);
    expect(a.der.equals(b.der)).toBe(true);
    expect(parseCsr(a.pem).subjectText).toBe('CN=dev-0042');
  });

  it('EC: createCsrAsync gives a request that parses (its signature checked) with the same info', async () => {
    const opts = { subject: 'CN=dev-0007', keyPair: poolKey('p256') };
    const a = await createCsrAsync(opts);
    const b = createCsr(opts);
    const back = parseCsr(a.der);
    expect(back.subjectText).toBe('CN=dev-0007');
    expect(back.signatureAlgorithm.name).toBe(b.signatureAlgorithm.name);
    // the CertificationRequestInfo (first child) is the same bytes; only the ECDSA signature differs
    expect(a.der.subarray(4, 4 + 100).equals(b.der.subarray(4, 4 + 100))).toBe(true);
  });

  it('many concurrent async CSR signatures each match their own synchronous bytes, in call order', async () => {
    const keys = [0, 1, 2, 3, 4, 5].map((i) => poolKey('rsa2048', i));
    const all = await Promise.all(keys.map((keyPair, i) => createCsrAsync({ subject: `CN=d${i}`, keyPair })));
    all.forEach((csr, i) => {
      expect(csr.der.equals(createCsr({ subject: `CN=d${i}`, keyPair: keys[i]! }).der)).toBe(true);
    });
  });

  it('startCertificate: the same certificate bytes as createCertificate; bad input throws before signing', async () => {
    const issuer = poolKey('rsa2048', 0);
    const opts = {
      subject: 'CN=Async Root',
      publicKey: issuer.publicKey,
      issuer: 'self' as const,
      signingKey: issuer.privateKey,
      serialNumber: '1A2B3C',
      notBefore: new Date('2026-01-01T00:00:00Z'),
      notAfter: new Date('2027-01-01T00:00:00Z'),
      extensions: { basicConstraints: { ca: true }, keyUsage: ['keyCertSign' as const] },
    };
    const a = await startCertificate(opts);
    expect(a.der.equals(createCertificate(opts).der)).toBe(true);
    expect(a.isSelfSigned).toBe(true);
    expect(() => startCertificate({ ...opts, serialNumber: 'not-hex' })).toThrow(/not hex/);
  });

  it('verifyTbsAsync answers as verifyTbs: true for the signature, false for other bytes or a wrong OID', async () => {
    const key = poolKey('rsa2048', 3);
    const { signature } = signTbs(tbs, key.privateKey, 'sha256');
    const rsa256 = '1.2.840.113549.1.1.11';
    const other = Uint8Array.of(0x30, 0x00);
    for (const [data, oid] of [
      [tbs, rsa256],
      [other, rsa256],
      [tbs, '1.2.840.10045.4.3.2'],
    ] as const) {
      const want = verifyTbs(data, signature, oid, key.publicKey);
      expect(await verifyTbsAsync(data, signature, oid, key.publicKey)).toBe(want);
    }
    expect(await verifyTbsAsync(tbs, signature, rsa256, key.publicKey)).toBe(true);
  });

  it('a key pair whose halves differ: CSR_BAD_SIGNATURE from createCsrAsync, as from createCsr', async () => {
    const keyPair = {
      privateKey: poolKey('rsa2048', 4).privateKey,
      publicKey: poolKey('rsa2048', 5).publicKey,
    };
    const code = (e: unknown): string | undefined => (isCertfleetError(e) ? e.code : undefined);
    let syncCode: string | undefined;
    try {
      createCsr({ subject: 'CN=x', keyPair });
    } catch (e) {
      syncCode = code(e);
    }
    expect(syncCode).toBe('CSR_BAD_SIGNATURE');
    const asyncCode = await createCsrAsync({ subject: 'CN=x', keyPair }).then(
      () => undefined,
      (e: unknown) => code(e),
    );
    expect(asyncCode).toBe('CSR_BAD_SIGNATURE');
  });

  it('parseCsrAsync: the request parseCsr reads; an altered request is CSR_BAD_SIGNATURE, garbage CSR_PARSE', async () => {
    const csr = createCsr({ subject: 'CN=dev-0100', keyPair: poolKey('p256') });
    const back = await parseCsrAsync(csr.pem);
    expect(back.der.equals(parseCsr(csr.der).der)).toBe(true);
    expect(back.subjectText).toBe('CN=dev-0100');
    // flip one byte of the subject's value: still parses, no longer verifies
    const altered = Buffer.from(csr.der);
    const at = altered.indexOf(Buffer.from('dev-0100'));
    expect(at).toBeGreaterThan(0);
    altered[at] = 0x65;
    const code = (e: unknown): string | undefined => (isCertfleetError(e) ? e.code : undefined);
    expect(await parseCsrAsync(altered).then(() => 'ok', code)).toBe('CSR_BAD_SIGNATURE');
    expect(await parseCsrAsync(Uint8Array.of(1, 2, 3)).then(() => 'ok', code)).toBe('CSR_PARSE');
  });
});
