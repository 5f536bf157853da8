/**
 * Mirror of the conformance test test/unit/agent-apple/corpus.test.ts on project-made samples (samples.ts):
 * each delivered to a fresh macOS and a fresh iOS device gives the result the matching real-world sample
 * gives, and nothing is installed unless it says so.
 */
import { createHash } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { APPLE_PLATFORMS } from '../../../profiles/apple/index.ts';
import { ADAPTERS, chainOf, codes, newContext, pfxOf, replyOf } from '../agent-apple/fixtures.ts';
import { makeHierarchy } from '../pki/hierarchy.ts';
import {
  OWN_ROOT,
  ownAppleSamples,
  PFX_PASSWORD,
  PROFILE_ID,
  WRONG_PASSWORD,
  type OwnAppleSamples,
} from './samples.ts';

interface Expectation {
  name: string;
  bytes: () => Buffer;
  outcomes: [string, string][];
  chain: [string, number][];
  /** Each must appear in the (first) outcome message. */
  says: () => (string | RegExp)[];
  installs: number;
}

let s: OwnAppleSamples;
beforeAll(() => {
  s = ownAppleSamples(pfxOf(makeHierarchy(), PFX_PASSWORD));
});

const TEMPLATE_SAYS = [
  'PayloadContent[0].PayloadContent must be <data>',
  'PayloadContent[0].PayloadUUID is empty',
  /the profile has 3 problem/,
];

const EXPECTED: Expectation[] = [
  {
    name: 'valid root',
    bytes: () => s.rootProfile,
    outcomes: [['OK', 'installed']],
    chain: [],
    says: () => [
      'Installed trusted root',
      'Certfleet Conformance Own Root CA',
      // the SHA-1 of the DER, computed here with node:crypto
      createHash('sha1').update(s.root.der).digest('hex').toUpperCase(),
    ],
    installs: 1,
  },
  {
    name: 'truncated pkcs1',
    bytes: () => s.truncated.profile,
    outcomes: [['CERT_PARSE', 'failed']],
    chain: [
      ['MCInstallationErrorDomain', 4001],
      ['MCCertificateErrorDomain', 9005],
    ],
    says: () => ['truncated', `declares ${s.truncated.declared} bytes, has ${s.truncated.has}`],
    installs: 0,
  },
  {
    name: 'pkcs12 with a bad top-level PayloadType and a wrong Password',
    bytes: () => s.pkcs12BadTypeAndPassword.profile,
    outcomes: [['MOBILECONFIG_INVALID', 'failed']],
    chain: [
      ['MCInstallationErrorDomain', 4001],
      ['MCProfileErrorDomain', 1010],
    ],
    says: () => ['PayloadType is "com.apple.security.pkcs12"', 'is incorrect', 'PKCS12_BAD_PASSWORD'],
    installs: 0,
  },
  {
    name: 'PEM with a non-ASCII byte',
    bytes: () => s.pemNonAscii.profile,
    outcomes: [['CERT_PARSE', 'failed']],
    chain: [
      ['MCInstallationErrorDomain', 4001],
      ['MCCertificateErrorDomain', 9005],
    ],
    says: () => [
      'com.apple.security.pem',
      `PEM data contains the non-ASCII byte 0x8A at offset ${s.pemNonAscii.offset}`,
    ],
    installs: 0,
  },
  {
    name: 'SCEP',
    bytes: () => s.scep,
    outcomes: [['INSTALL_NOT_SIMULATED', 'skipped']],
    chain: [
      ['MCInstallationErrorDomain', 4001],
      ['MCInstallationErrorDomain', 4023],
    ],
    says: () => ['SCEP', 'https://scep.certfleet.test/scep', 'certfleet does not simulate SCEP'],
    installs: 0,
  },
  ...(['root', 'pkcs1', 'pem', 'pkcs12'] as const).map((kind): Expectation => ({
    name: `${kind} template`,
    bytes: () => s.templates[kind],
    outcomes: [['MOBILECONFIG_INVALID', 'failed']],
    chain: [
      ['MCInstallationErrorDomain', 4001],
      ['MCPayloadErrorDomain', 2003],
      ['MCPayloadErrorDomain', 2004],
      ['MCProfileErrorDomain', 1003],
    ],
    says: () => TEMPLATE_SAYS,
    installs: 0,
  })),
];

describe.each(APPLE_PLATFORMS)('project-made samples delivered to a fresh %s device', (platform) => {
  it.each(EXPECTED)('$name', (e) => {
    const ctx = newContext(platform);
    const r = ADAPTERS[platform].deliver(ctx, e.bytes(), { commandUuid: 'CMD-OWN-1' });
    expect(codes(r)).toEqual(e.outcomes);
    for (const said of e.says()) expect(r.outcomes[0]?.message).toMatch(said);
    expect(chainOf(r)).toEqual(e.chain);
    const reply = replyOf(r);
    expect(reply.Status).toBe(e.installs > 0 ? 'Acknowledged' : 'Error');
    expect(reply.CommandUUID).toBe('CMD-OWN-1');
    expect(reply.UDID).toBe(ctx.device.attributes.udid);
    expect(r.outcomes[0]?.native).toMatchObject({ platform, status: reply.Status });
    expect(ctx.db.items(ctx.device.id)).toHaveLength(e.installs);
    expect(ctx.db.profiles(ctx.device.id)).toHaveLength(e.installs > 0 ? 1 : 0);
    // The wrong password is never echoed, neither in the outcome nor in the reply.
    expect(JSON.stringify(r.outcomes)).not.toContain(WRONG_PASSWORD);
    expect(r.reply.toString('utf8')).not.toContain(WRONG_PASSWORD);
  });

  it('the root profile installs one trusted root, with its validity, in the default keychain', () => {
    const ctx = newContext(platform);
    ADAPTERS[platform].deliver(ctx, s.rootProfile);
    const held = ADAPTERS[platform].held(ctx, 'admin');
    expect(held.map((h) => [h.kind, h.trusted, h.store, h.ref, h.notAfter, h.subject])).toEqual([
      [
        'root',
        true,
        platform === 'macos' ? 'macos/system' : 'ios/keychain',
        PROFILE_ID,
        OWN_ROOT.notAfter.toISOString(),
        OWN_ROOT.subject,
      ],
    ]);
  });
});
