/**
 * Conformance suite: every real-world sample in corpus/apple-mobileconfig/ of the conformance material
 * (test/fixtures/conformance.ts; read in place) delivered to a fresh macOS and a fresh iOS device: the result
 * its README states, and nothing installed unless it says so. Project-made mirror:
 * test/unit/conformance-own/apple-deliver.test.ts.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { APPLE_PLATFORMS } from '../../../profiles/apple/index.ts';
import { conformancePath, describeConformance } from '../../fixtures/conformance.ts';
import { ADAPTERS, chainOf, codes, newContext, replyOf } from './fixtures.ts';

const CORPUS_REL = 'corpus/apple-mobileconfig';
const CORPUS = conformancePath(CORPUS_REL);
const APPLE = 'apple-devdocs-via-MagnusHJensen-unofficial-apple-docs-changelog__docs_devicemanagement_';
const MOSEN = 'mosen-profiledocs__source__static_examples__com.apple.security.';

interface Expectation {
  file: string;
  outcomes: [string, string][];
  chain: [string, number][];
  /** Each must appear in the (first) outcome message. */
  says: (string | RegExp)[];
  installs: number;
}

const MOSEN_SAYS = [
  'PayloadContent[0].PayloadContent must be <data>',
  'PayloadContent[0].PayloadUUID is empty',
  /the profile has 3 problem/,
];

const EXPECTED: Expectation[] = [
  {
    file: `${APPLE}certificateroot.mobileconfig`,
    outcomes: [['OK', 'installed']],
    chain: [],
    says: ['Installed trusted root', 'Charles Proxy Custom Root'],
    installs: 1,
  },
  {
    file: `${APPLE}certificatepkcs1.mobileconfig`,
    outcomes: [['CERT_PARSE', 'failed']],
    chain: [
      ['MCInstallationErrorDomain', 4001],
      ['MCCertificateErrorDomain', 9005],
    ],
    says: ['truncated', 'declares 865 bytes, has 825'],
    installs: 0,
  },
  {
    file: `${APPLE}certificatepkcs12.mobileconfig`,
    outcomes: [['MOBILECONFIG_INVALID', 'failed']],
    chain: [
      ['MCInstallationErrorDomain', 4001],
      ['MCProfileErrorDomain', 1010],
    ],
    says: ['PayloadType is "com.apple.security.pkcs12"', 'is incorrect', 'PKCS12_BAD_PASSWORD'],
    installs: 0,
  },
  {
    file: `${APPLE}certificatepem.mobileconfig`,
    outcomes: [['CERT_PARSE', 'failed']],
    chain: [
      ['MCInstallationErrorDomain', 4001],
      ['MCCertificateErrorDomain', 9005],
    ],
    says: ['com.apple.security.pem', /PEM data contains the non-ASCII byte 0x[0-9A-F]{2} at offset \d+/],
    installs: 0,
  },
  {
    file: `${APPLE}scep.mobileconfig`,
    outcomes: [['INSTALL_NOT_SIMULATED', 'skipped']],
    chain: [
      ['MCInstallationErrorDomain', 4001],
      ['MCInstallationErrorDomain', 4023],
    ],
    says: ['SCEP', 'certfleet does not simulate SCEP'],
    installs: 0,
  },
  ...(['root', 'pkcs1', 'pem', 'pkcs12'] as const).map((kind): Expectation => ({
    file: `${MOSEN}${kind}.mobileconfig`,
    outcomes: [['MOBILECONFIG_INVALID', 'failed']],
    chain: [
      ['MCInstallationErrorDomain', 4001],
      ['MCPayloadErrorDomain', 2003],
      ['MCPayloadErrorDomain', 2004],
      ['MCProfileErrorDomain', 1003],
    ],
    says: MOSEN_SAYS,
    installs: 0,
  })),
];

describeConformance('the corpus README lists exactly the files tested here', CORPUS_REL, () => {
  it('no sample is left out', () => {
    expect(readdirSync(CORPUS).sort()).toEqual(EXPECTED.map((e) => e.file).sort());
  });
});

describeConformance(
  'Apple corpus delivered',
  EXPECTED.map((e) => `${CORPUS_REL}/${e.file}`),
  () => {
    describe.each(APPLE_PLATFORMS)('corpus delivered to a fresh %s device', (platform) => {
      it.each(EXPECTED)('$file', (e) => {
        const ctx = newContext(platform);
        const r = ADAPTERS[platform].deliver(ctx, readFileSync(join(CORPUS, e.file)), {
          commandUuid: 'CMD-1',
        });
        expect(codes(r)).toEqual(e.outcomes);
        for (const s of e.says) expect(r.outcomes[0]?.message).toMatch(s);
        expect(chainOf(r)).toEqual(e.chain);
        const reply = replyOf(r);
        expect(reply.Status).toBe(e.installs > 0 ? 'Acknowledged' : 'Error');
        expect(reply.CommandUUID).toBe('CMD-1');
        expect(reply.UDID).toBe(ctx.device.attributes.udid);
        expect(r.outcomes[0]?.native).toMatchObject({ platform, status: reply.Status });
        expect(ctx.db.items(ctx.device.id)).toHaveLength(e.installs);
        expect(ctx.db.profiles(ctx.device.id)).toHaveLength(e.installs > 0 ? 1 : 0);
      });

      it('the Apple root example installs one trusted root, valid 2000-01-01 to 2045-02-04', () => {
        const ctx = newContext(platform);
        ADAPTERS[platform].deliver(ctx, readFileSync(join(CORPUS, `${APPLE}certificateroot.mobileconfig`)));
        const held = ADAPTERS[platform].held(ctx, 'admin');
        expect(held.map((h) => [h.kind, h.trusted, h.store, h.ref, h.notAfter.slice(0, 10)])).toEqual([
          [
            'root',
            true,
            platform === 'macos' ? 'macos/system' : 'ios/keychain',
            'com.example.myprofile',
            '2045-02-04',
          ],
        ]);
        expect(held[0]?.subject).toContain('CN=Charles Proxy Custom Root Certificate');
      });
    });
  },
);
