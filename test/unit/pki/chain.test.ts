import { describe, expect, it } from 'vitest';
import { createCertificate, parseCertificate } from '../../../pki/certificate.ts';
import { buildChain, verifyChain } from '../../../pki/chain.ts';
import { poolKey } from '../../fixtures/key-pool.ts';
import { makeHierarchy, T0, YEAR } from './hierarchy.ts';

const DAY = 86_400_000;

describe('verifyChain at virtual times', () => {
  const h = makeHierarchy({ leafNotBefore: new Date(T0.getTime() + 10 * DAY) });
  it.each([
    ['inside every validity period', new Date(T0.getTime() + 30 * DAY), []],
    ['before the leaf notBefore', new Date(T0.getTime() + 5 * DAY), ['CHAIN_NOT_YET_VALID']],
    [
      'before everything',
      new Date(T0.getTime() - DAY),
      ['CHAIN_NOT_YET_VALID', 'CHAIN_NOT_YET_VALID', 'CHAIN_NOT_YET_VALID'],
    ],
    ['after the leaf notAfter', new Date(T0.getTime() + 2 * YEAR), ['CHAIN_EXPIRED']],
    ['after the issuing CA expired', new Date(T0.getTime() + 6 * YEAR), ['CHAIN_EXPIRED', 'CHAIN_EXPIRED']],
    [
      'after all expired',
      new Date(T0.getTime() + 11 * YEAR),
      ['CHAIN_EXPIRED', 'CHAIN_EXPIRED', 'CHAIN_EXPIRED'],
    ],
  ])('%s', (_what, at, codes) => {
    const r = verifyChain({ leaf: h.leaf, intermediates: [h.issuing], trustedRoots: [h.root], at });
    expect(r.problems.map((p) => p.code)).toEqual(codes);
    expect(r.ok).toBe(codes.length === 0);
    expect(r.chain.map((c) => c.subjectText)).toEqual([
      h.leaf.subjectText,
      h.issuing.subjectText,
      h.root.subjectText,
    ]);
  });

  it('names the expired certificate', () => {
    const r = verifyChain({
      leaf: h.leaf,
      intermediates: [h.issuing],
      trustedRoots: [h.root],
      at: new Date(T0.getTime() + 2 * YEAR),
    });
    expect(r.problems[0]?.certificate).toBe(h.leaf);
    expect(r.problems[0]?.message).toContain('expired on 2026-01-01');
  });
});

describe('verifyChain trust and signature problems', () => {
  const at = new Date(T0.getTime() + 30 * DAY);
  const h = makeHierarchy();
  const other = (() => {
    const k = poolKey('rsa2048', 9);
    return createCertificate({
      subject: 'CN=Some Other Root',
      publicKey: k.publicKey,
      issuer: 'self',
      signingKey: k.privateKey,
      serialNumber: '99',
      notBefore: T0,
      notAfter: new Date(T0.getTime() + 10 * YEAR),
      extensions: { basicConstraints: { ca: true } },
    });
  })();

  it('an untrusted root gives CHAIN_UNTRUSTED on the root', () => {
    const r = verifyChain({ leaf: h.leaf, intermediates: [h.issuing, h.root], trustedRoots: [other], at });
    expect(r.problems.map((p) => p.code)).toEqual(['CHAIN_UNTRUSTED']);
    expect(r.problems[0]?.certificate).toBe(h.root);
  });

  it('a missing intermediate gives CHAIN_INCOMPLETE on the leaf', () => {
    const r = verifyChain({ leaf: h.leaf, intermediates: [], trustedRoots: [h.root], at });
    expect(r.problems.map((p) => p.code)).toEqual(['CHAIN_INCOMPLETE']);
    expect(r.problems[0]?.certificate).toBe(h.leaf);
    // it names the missing issuer, and gives no advice a device's owner cannot follow
    expect(r.problems[0]?.message).toBe(
      `No issuer "${h.leaf.issuerText}" found for "${h.leaf.subjectText}" (serial ${h.leaf.serialNumber}): its certificate is neither a trusted root nor a known intermediate.`,
    );
    expect(r.chain).toEqual([h.leaf]);
  });

  it('a tampered leaf signature gives CHAIN_BAD_SIGNATURE', () => {
    const der = Buffer.from(h.leaf.der);
    der.writeUInt8((der.at(-5) ?? 0) ^ 0xff, der.length - 5);
    const tampered = parseCertificate(der);
    const r = verifyChain({ leaf: tampered, intermediates: [h.issuing], trustedRoots: [h.root], at });
    expect(r.problems.map((p) => p.code)).toEqual(['CHAIN_BAD_SIGNATURE']);
  });

  it('an issuer with the right name but another key gives CHAIN_BAD_SIGNATURE', () => {
    const k = poolKey('rsa2048', 10);
    const impostor = createCertificate({
      subject: h.issuing.subject,
      publicKey: k.publicKey,
      issuer: h.root,
      signingKey: h.rootKey.privateKey,
      serialNumber: '1001',
      notBefore: T0,
      notAfter: new Date(T0.getTime() + 5 * YEAR),
      extensions: { basicConstraints: { ca: true }, keyUsage: ['keyCertSign'], subjectKeyIdentifier: false },
    });
    const r = verifyChain({ leaf: h.leaf, intermediates: [impostor], trustedRoots: [h.root], at });
    expect(r.problems.map((p) => p.code)).toEqual(['CHAIN_BAD_SIGNATURE']);
  });

  it('a non-CA issuer gives CHAIN_NOT_CA', () => {
    const notCa = makeHierarchy({ issuingExtensions: { keyUsage: ['digitalSignature'] } });
    const r = verifyChain({
      leaf: notCa.leaf,
      intermediates: [notCa.issuing],
      trustedRoots: [notCa.root],
      at,
    });
    expect(r.problems.map((p) => p.code)).toEqual(['CHAIN_NOT_CA']);
    expect(r.problems[0]?.certificate).toBe(notCa.issuing);
  });

  it('a CA without keyCertSign gives CHAIN_NOT_CA', () => {
    const noSign = makeHierarchy({
      issuingExtensions: { basicConstraints: { ca: true }, keyUsage: ['digitalSignature'] },
    });
    const r = verifyChain({
      leaf: noSign.leaf,
      intermediates: [noSign.issuing],
      trustedRoots: [noSign.root],
      at,
    });
    expect(r.problems.map((p) => p.code)).toEqual(['CHAIN_NOT_CA']);
  });

  it('pathLen 0 on the issuing CA forbids a CA below it', () => {
    const k = poolKey('rsa2048', 11);
    const sub = createCertificate({
      subject: 'CN=Sub CA',
      publicKey: k.publicKey,
      issuer: h.issuing,
      signingKey: h.issuingKey.privateKey,
      serialNumber: '2000',
      notBefore: T0,
      notAfter: new Date(T0.getTime() + 2 * YEAR),
      extensions: { basicConstraints: { ca: true }, keyUsage: ['keyCertSign'] },
    });
    const leaf = createCertificate({
      subject: 'CN=deep leaf',
      publicKey: poolKey('p256').publicKey,
      issuer: sub,
      signingKey: k.privateKey,
      serialNumber: '2001',
      notBefore: T0,
      notAfter: new Date(T0.getTime() + YEAR),
    });
    const r = verifyChain({ leaf, intermediates: [h.issuing, sub], trustedRoots: [h.root], at });
    expect(r.problems.map((p) => p.code)).toEqual(['CHAIN_NOT_CA']);
    expect(r.problems[0]?.certificate).toBe(h.issuing);
  });

  it('a trusted self-signed leaf alone is ok', () => {
    const r = verifyChain({ leaf: h.root, intermediates: [], trustedRoots: [h.root], at });
    expect(r).toMatchObject({ ok: true, problems: [] });
  });
});

describe('buildChain', () => {
  const h = makeHierarchy();
  it.each([
    ['a full pool', () => [h.root, h.issuing], 3],
    [
      'a pool in another order with noise',
      () => [makeHierarchy({ leafKey: poolKey('rsa2048', 3) }).leaf, h.issuing, h.root],
      3,
    ],
    ['only the issuing CA', () => [h.issuing], 2],
    ['an empty pool', () => [], 1],
  ])('from %s', (_what, pool, length) => {
    const chain = buildChain(h.leaf, pool());
    expect(chain.map((c) => c.subjectText)).toEqual(
      [h.leaf, h.issuing, h.root].slice(0, length).map((c) => c.subjectText),
    );
  });
});
