/**
 * Mirror of the conformance checks on the Apple pkcs12 sample (test/unit/pkcs12/pkcs12-parse.test.ts "Apple
 * sample", test/e2e/inspect.test.ts, test/unit/agent-apple/corpus.test.ts) with a project-made PKCS#12: made by
 * the OpenSSL CLI with a SHA-1 MAC (as the sample's), from pool keys. The stated password that does not open
 * it is refused with PKCS12_BAD_PASSWORD at its key path, `PayloadContent[0].Password`, and never echoed; the
 * right one opens and installs it (so it is the password that is refused, nothing else).
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inspectPayload } from '../../../agent/inspect.ts';
import { PLATFORM_ADAPTERS } from '../../../agent/platforms/index.ts';
import { FixedClock } from '../../../protocol/runtime/clock.ts';
import { CertfleetError } from '../../../pki/errors.ts';
import { parsePkcs12 } from '../../../pki/pkcs12.ts';
import { APPLE_PLATFORMS } from '../../../profiles/apple/index.ts';
import { ADAPTERS, chainOf, codes, newContext, replyOf } from '../agent-apple/fixtures.ts';
import { makeFixtures, openssl, type Pkcs12Fixtures } from '../pkcs12/openssl-fixtures.ts';
import { ownAppleSamples, PFX_PASSWORD, WRONG_PASSWORD, type OwnAppleSamples } from './samples.ts';

let fx: Pkcs12Fixtures;
let pfx: Buffer;
let s: OwnAppleSamples;
beforeAll(() => {
  fx = makeFixtures();
  const out = fx.file('own.p12', '');
  const made = openssl([
    'pkcs12', '-export', '-inkey', fx.rsa.keyPem, '-in', fx.rsa.leafPem, '-certfile', fx.rsa.caPem,
    '-macalg', 'sha1', '-passout', `pass:${PFX_PASSWORD}`, '-out', out,
  ]); // prettier-ignore
  expect(made.status, made.stderr).toBe(0);
  pfx = readFileSync(out);
  s = ownAppleSamples(pfx);
});
afterAll(() => fx.dispose());

// The OpenSSL-made certificates are valid for 30 days from the second beforeAll makes them (after this module
// loads): the devices live five minutes on, inside that window whatever the machine's load.
const NOW = new Date(Date.now() + 5 * 60_000).toISOString();
const clock = new FixedClock(NOW);

function codeOf(fn: () => unknown): CertfleetError {
  try {
    fn();
  } catch (e) {
    if (e instanceof CertfleetError) return e;
    throw e;
  }
  throw new Error('did not throw');
}

describe('the PKCS#12 itself', () => {
  it('the stated (wrong) password fails the SHA-1 MAC: PKCS12_BAD_PASSWORD, password not echoed', () => {
    const e = codeOf(() => parsePkcs12(pfx, WRONG_PASSWORD));
    expect(e.code).toBe('PKCS12_BAD_PASSWORD');
    expect(e.details['macAlgorithm']).toBe('sha1');
    expect(e.message).not.toContain(WRONG_PASSWORD);
    expect(JSON.stringify(e.details)).not.toContain(WRONG_PASSWORD);
    // OpenSSL agrees.
    const r = openssl([
      'pkcs12',
      '-in',
      fx.file('own-check.p12', pfx),
      '-passin',
      `pass:${WRONG_PASSWORD}`,
      '-noout',
    ]);
    expect(r.stderr).toContain('Mac verify error');
  });

  it('the right password opens it: the OpenSSL-made leaf first, then its CA', () => {
    const parsed = parsePkcs12(pfx, PFX_PASSWORD);
    expect(parsed.macAlgorithm).toBe('sha1');
    expect(parsed.certificates.map((c) => c.toString('hex'))).toEqual(
      [fx.rsa.leaf, fx.ca].map((c) => c.toString('hex')),
    );
  });
});

describe.each(APPLE_PLATFORMS)('a pkcs12 payload on a fresh %s device', (platform) => {
  it('with a wrong Password: refused with PKCS12_BAD_PASSWORD at PayloadContent[0].Password', () => {
    const bytes = s.pkcs12Profile(WRONG_PASSWORD);
    const ctx = newContext(platform, 'device', {}, NOW);
    const r = ADAPTERS[platform].deliver(ctx, bytes, { commandUuid: 'CMD-P12' });
    expect(codes(r)).toEqual([['PKCS12_BAD_PASSWORD', 'failed']]);
    expect(r.outcomes[0]?.message).toContain('is incorrect');
    expect(chainOf(r)).toEqual([
      ['MCInstallationErrorDomain', 4001],
      ['MCCertificateErrorDomain', 9000],
    ]);
    expect(replyOf(r).Status).toBe('Error');
    expect(ctx.db.items(ctx.device.id)).toHaveLength(0);

    const report = inspectPayload(bytes, PLATFORM_ADAPTERS, { platform, clock });
    expect(report.ok).toBe(false);
    expect(report.items).toEqual([]);
    expect(report.errors.map((e) => [e.code, e.path])).toEqual([
      ['PKCS12_BAD_PASSWORD', 'PayloadContent[0].Password'],
    ]);
    for (const text of [JSON.stringify(report), JSON.stringify(r.outcomes), r.reply.toString('utf8')])
      expect(text).not.toContain(WRONG_PASSWORD);
  });

  it('with the right Password: the identity installs (so the refusal above is the password)', () => {
    const ctx = newContext(platform, 'device', {}, NOW);
    const r = ADAPTERS[platform].deliver(ctx, s.pkcs12Profile(PFX_PASSWORD));
    // Installed; its CA is no trusted root of the fresh device, which the outcome says (not an error).
    expect(codes(r)).toEqual([['INSTALL_UNTRUSTED_CHAIN', 'installed']]);
    expect(ctx.db.items(ctx.device.id).length).toBeGreaterThan(0);
    const report = inspectPayload(s.pkcs12Profile(PFX_PASSWORD), PLATFORM_ADAPTERS, { platform, clock });
    expect(report.ok).toBe(true);
    expect(report.items.map((i) => [i.kind, i.subject])).toContainEqual(['identity', 'CN=leaf-rsa']);
    expect(JSON.stringify(report)).not.toContain(PFX_PASSWORD);
  });

  it('under a bad top-level PayloadType, the wrong Password is still its own error at its key path', () => {
    const report = inspectPayload(s.pkcs12BadTypeAndPassword.profile, PLATFORM_ADAPTERS, { platform, clock });
    expect(report.ok).toBe(false);
    expect(report.errors.map((e) => [e.code, e.path])).toEqual([
      ['MOBILECONFIG_INVALID', 'PayloadType'],
      ['PKCS12_BAD_PASSWORD', 'PayloadContent[0].Password'],
    ]);
    expect(JSON.stringify(report)).not.toContain(WRONG_PASSWORD);
  });
});
