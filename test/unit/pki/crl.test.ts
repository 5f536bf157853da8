import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CRL_REASONS, createCrl, parseCrl, type CrlReason } from '../../../pki/crl.ts';
import type { CertfleetError } from '../../../pki/errors.ts';
import { makeHierarchy, T0 } from './hierarchy.ts';
import { makeTempDir, openssl, type TempDir } from './openssl.ts';

let dir: TempDir;
beforeEach(() => {
  dir = makeTempDir();
});
afterEach(() => {
  dir.remove();
});

const h = makeHierarchy;
const reasons = Object.keys(CRL_REASONS) as CrlReason[];
const opensslReason: Record<CrlReason, string | undefined> = {
  unspecified: undefined,
  keyCompromise: 'Key Compromise',
  cACompromise: 'CA Compromise',
  affiliationChanged: 'Affiliation Changed',
  superseded: 'Superseded',
  cessationOfOperation: 'Cessation Of Operation',
  certificateHold: 'Certificate Hold',
  removeFromCRL: 'Remove From CRL',
  privilegeWithdrawn: 'Privilege Withdrawn',
  aACompromise: 'AA Compromise',
};

describe('createCrl, checked with openssl crl', () => {
  const thisUpdate = new Date(T0.getTime() + 86_400_000);
  const nextUpdate = new Date(T0.getTime() + 8 * 86_400_000);

  it.each(reasons)('reason %s: OpenSSL verifies the CRL and lists the serial', (reason) => {
    const { issuing, issuingKey, leaf } = h();
    const der = createCrl({
      issuer: {
        subject: issuing.subject,
        privateKey: issuingKey.privateKey,
        publicKey: issuingKey.publicKey,
      },
      entries: [{ serialNumber: leaf.serialNumber, revokedAt: thisUpdate, reason }],
      thisUpdate,
      nextUpdate,
      crlNumber: 7,
    });
    const r = openssl([
      'crl',
      '-inform',
      'DER',
      '-in',
      dir.file('c.crl', der),
      '-CAfile',
      dir.file('ca.pem', issuing.pem),
      '-noout',
      '-text',
    ]);
    expect(r.output).toContain('verify OK');
    expect(r.output).toContain('Serial Number: 7A0000001234');
    expect(r.output).toMatch(/X509v3 CRL Number:\s+7/);
    expect(r.output).toMatch(/X509v3 Authority Key Identifier:/);
    const shown = opensslReason[reason];
    if (shown) expect(r.output).toContain(shown);
    else expect(r.output).not.toContain('CRL Reason Code');
    const crl = parseCrl(der);
    expect(crl.entries).toEqual([{ serialNumber: '7A0000001234', revokedAt: thisUpdate, reason }]);
    expect(crl.find('7a0000001234')?.reason).toBe(reason);
    expect(crl.find('01')).toBeUndefined();
  });

  it('a CRL signed by the issuing Certificate + signingKey, with no entries, parses back and verifies', () => {
    const { issuing, issuingKey, rootKey } = h();
    const der = createCrl({
      issuer: issuing,
      signingKey: issuingKey.privateKey,
      entries: [],
      thisUpdate,
      nextUpdate,
      crlNumber: 1,
    });
    const crl = parseCrl(crl_pem(der));
    expect(crl.entries).toEqual([]);
    expect(crl.crlNumber).toBe(1);
    expect(crl.aki).toBe(issuing.ski);
    expect(crl.thisUpdate).toEqual(thisUpdate);
    expect(crl.nextUpdate).toEqual(nextUpdate);
    expect(crl.issuerText).toBe(issuing.subjectText);
    expect(crl.verifySignature(issuingKey.publicKey)).toBe(true);
    expect(crl.verifySignature(rootKey.publicKey)).toBe(false);
    const r = openssl([
      'crl',
      '-in',
      dir.file('c.pem', crl.pem),
      '-CAfile',
      dir.file('ca.pem', issuing.pem),
      '-noout',
    ]);
    expect(r.output).toContain('verify OK');
  });

  it('OpenSSL rejects the CRL against the wrong CA', () => {
    const { issuing, issuingKey, root } = h();
    const der = createCrl({
      issuer: issuing,
      signingKey: issuingKey.privateKey,
      entries: [],
      thisUpdate,
      nextUpdate,
      crlNumber: 2,
    });
    const r = openssl([
      'crl',
      '-inform',
      'DER',
      '-in',
      dir.file('c.crl', der),
      '-CAfile',
      dir.file('root.pem', root.pem),
      '-noout',
    ]);
    expect(r.output).not.toContain('verify OK');
  });

  it.each([
    ['nextUpdate before thisUpdate', { nextUpdate: T0, thisUpdate }],
    ['a negative CRL number', { crlNumber: -1 }],
    ['an unknown reason', { entries: [{ serialNumber: '01', revokedAt: T0, reason: 'lost' as CrlReason }] }],
  ])('refuses %s with CERT_BAD_INPUT', (_what, change) => {
    const { issuing, issuingKey } = h();
    expect(() =>
      createCrl({
        issuer: issuing,
        signingKey: issuingKey.privateKey,
        entries: [],
        thisUpdate,
        nextUpdate,
        crlNumber: 1,
        ...change,
      }),
    ).toThrow(expect.objectContaining({ code: 'CERT_BAD_INPUT' }));
  });

  it('parseCrl reports a truncated CRL with CRL_PARSE', () => {
    const { issuing, issuingKey } = h();
    const der = createCrl({
      issuer: issuing,
      signingKey: issuingKey.privateKey,
      entries: [],
      thisUpdate,
      nextUpdate,
      crlNumber: 1,
    });
    let err: unknown;
    try {
      parseCrl(der.subarray(0, der.length - 10));
    } catch (e) {
      err = e;
    }
    expect((err as CertfleetError).code).toBe('CRL_PARSE');
    expect((err as CertfleetError).message).toContain(`declares ${der.length} bytes, has ${der.length - 10}`);
  });
});

function crl_pem(der: Uint8Array): string {
  return `-----BEGIN X509 CRL-----\n${Buffer.from(der).toString('base64')}\n-----END X509 CRL-----\n`;
}
