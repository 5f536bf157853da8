/**
 * InstallProfile rules of the Apple adapters (issue 4 "Key stores" and "Install and status"), one row per
 * rule, per platform and enrollment kind where it matters: outcomes, the decoded command response, and
 * the keychains (unchanged after any refusal).
 */
import { describe, expect, it } from 'vitest';
import { poolKey } from '../../fixtures/key-pool.ts';
import {
  APPLE_PLATFORMS,
  type ApplePlatform,
  type CertificatePayload,
} from '../../../profiles/apple/index.ts';
import type { DeviceContext } from '../../../agent/platform-adapter.ts';
import { T0, YEAR } from '../pki/hierarchy.ts';
import { plainPfx } from '../pkcs12/openssl-fixtures.ts';
import {
  ADAPTERS,
  DEFAULT_KEYCHAIN,
  certPayload,
  chainOf,
  codes,
  hierarchy,
  newContext,
  otherPki,
  pfxOf,
  pkcs12Payload,
  profileBytes,
  replyOf,
  snapshot,
} from './fixtures.ts';

const SECRET = 'Pa55-w0rd-that-must-not-leak';
const KINDS = ['device', 'user'] as const;
const CASES = APPLE_PLATFORMS.flatMap((p) => KINDS.map((k) => [p, k] as const));
/**
 * Platform × enrollment kind × supervision (regression issue 4: the install tables vary supervision and
 * run refusals beyond device enrollment). User Enrollment is never supervised.
 */
const ENROLLMENTS = APPLE_PLATFORMS.flatMap((platform) => [
  { platform, kind: 'device' as const, supervised: true },
  { platform, kind: 'device' as const, supervised: false },
  { platform, kind: 'user' as const, supervised: false },
]);

/** A device that already holds an unrelated root, so "unchanged" compares a non-empty store. */
function seeded(
  platform: ApplePlatform,
  kind: 'device' | 'user' = 'device',
  supervised?: boolean,
): DeviceContext {
  const ctx = newContext(platform, kind, supervised === undefined ? {} : { supervised });
  const other = otherPki();
  const r = ADAPTERS[platform].deliver(
    ctx,
    profileBytes(platform, 'com.example.seed', [certPayload(other.root, 'com.example.seed.root')]),
  );
  expect(codes(r)).toEqual([['OK', 'installed']]);
  return ctx;
}

describe.each(ENROLLMENTS)(
  '$platform, $kind enrollment, supervised $supervised: a good PKCS profile',
  ({ platform, kind, supervised }) => {
    it('root + issuing CA + identity install in one transaction; the identity is trusted', () => {
      const ctx = newContext(platform, kind, { supervised });
      expect(ctx.device.supervised).toBe(supervised);
      const h = hierarchy();
      const bytes = profileBytes(platform, 'com.example.pkcs', [
        certPayload(h.root, 'com.example.pkcs.root'),
        certPayload(h.issuing, 'com.example.pkcs.issuing', 'com.apple.security.pkcs1'),
        pkcs12Payload(pfxOf(h, SECRET), 'com.example.pkcs.identity', SECRET),
      ]);
      const r = ADAPTERS[platform].deliver(ctx, bytes, {
        profileId: 'prof-42',
        renewalThreshold: 25,
        commandUuid: 'CMD-GOOD',
      });
      expect(codes(r)).toEqual([
        ['OK', 'installed'],
        ['OK', 'installed'],
        ['OK', 'installed'],
      ]);
      expect(r.outcomes.map((o) => o.payload)).toEqual([
        'com.example.pkcs.root',
        'com.example.pkcs.issuing',
        'com.example.pkcs.identity',
      ]);
      const reply = replyOf(r);
      expect(reply).toEqual({
        Status: 'Acknowledged',
        CommandUUID: 'CMD-GOOD',
        UDID: ctx.device.attributes.udid ?? ctx.device.id,
      });
      if (kind === 'user') expect(reply.UDID).toBe(ctx.device.id); // no UDID in User Enrollment

      const items = ctx.db.items(ctx.device.id);
      expect(items.map((i) => [i.store, i.kind, i.ref, i.attrs.role, i.attrs.payloadIdentifier])).toEqual(
        expect.arrayContaining([
          [DEFAULT_KEYCHAIN[platform], 'certificate', 'com.example.pkcs', 'root', 'com.example.pkcs.root'],
          [
            DEFAULT_KEYCHAIN[platform],
            'certificate',
            'com.example.pkcs',
            'intermediate',
            'com.example.pkcs.issuing',
          ],
          [
            DEFAULT_KEYCHAIN[platform],
            'identity',
            'com.example.pkcs',
            'identity',
            'com.example.pkcs.identity',
          ],
        ]),
      );
      expect(items).toHaveLength(3);
      const identity = items.find((i) => i.kind === 'identity');
      expect(
        identity?.privateKey?.equals(h.leafKey.privateKey.export({ type: 'pkcs8', format: 'der' })),
      ).toBe(true);
      expect(identity?.attrs).toMatchObject({ trusted: true, enrollment: kind, managed: true });

      const meta = ctx.db.profile(ctx.device.id, 'com.example.pkcs')?.meta;
      expect(meta).toMatchObject({
        profileId: 'prof-42',
        renewalThreshold: 25,
        commandUuid: 'CMD-GOOD',
        identities: [
          {
            payloadIdentifier: 'com.example.pkcs.identity',
            thumbprint: h.leaf.sha1Thumbprint,
            notBefore: h.leaf.notBefore.toISOString(),
            notAfter: h.leaf.notAfter.toISOString(),
          },
        ],
      });

      const held = ADAPTERS[platform].held(ctx, 'admin');
      expect(held.map((x) => [x.kind, x.trusted]).sort()).toEqual([
        ['identity', true],
        ['intermediate', true],
        ['root', true],
      ]);
      expect(ADAPTERS[platform].held(ctx, 'user')).toEqual(held);
    });
  },
);

describe.each(ENROLLMENTS)(
  '$platform, $kind enrollment, supervised $supervised: refusals change nothing and answer Error',
  ({ platform, kind, supervised }) => {
    const h = hierarchy();
    const expired = hierarchy({ leafNotAfter: new Date(T0.getTime() + 30 * 86_400_000) });
    const future = hierarchy({
      leafNotBefore: new Date(T0.getTime() + 2 * YEAR),
      leafNotAfter: new Date(T0.getTime() + 3 * YEAR),
    });
    const truncated = Buffer.from(h.root.der).subarray(0, h.root.der.length - 40);

    const rows: {
      name: string;
      payloads: () => CertificatePayload[];
      code: string;
      cause: [string, number];
      says: RegExp;
    }[] = [
      {
        name: 'wrong PKCS#12 password',
        payloads: () => [pkcs12Payload(pfxOf(h, SECRET), 'p.id', 'not-the-password')],
        code: 'PKCS12_BAD_PASSWORD',
        cause: ['MCCertificateErrorDomain', 9000],
        says: /The password for the certificate “user\.pfx” is incorrect\./,
      },
      {
        name: 'PKCS#12 bytes that are not a PKCS#12',
        payloads: () => [pkcs12Payload(Buffer.from('not a pfx at all'), 'p.id', SECRET)],
        code: 'PKCS12_PARSE',
        cause: ['MCCertificateErrorDomain', 9005],
        says: /cannot be read/,
      },
      {
        name: 'a PKCS#12 without a private key',
        payloads: () => [pkcs12Payload(plainPfx([], [Buffer.from(h.leaf.der)]), 'p.id', SECRET)],
        code: 'PKCS12_PARSE',
        cause: ['MCCertificateErrorDomain', 9006],
        says: /no private key bag/,
      },
      {
        name: 'a PKCS#12 with two private keys',
        payloads: () => [
          pkcs12Payload(
            plainPfx([h.leafKey.privateKey, poolKey('rsa2048', 3).privateKey], [Buffer.from(h.leaf.der)]),
            'p.id',
            SECRET,
          ),
        ],
        code: 'PKCS12_PARSE',
        cause: ['MCCertificateErrorDomain', 9001],
        says: /2 private key bags/,
      },
      {
        name: 'expired identity',
        payloads: () => [pkcs12Payload(pfxOf(expired, SECRET), 'p.id', SECRET)],
        code: 'INSTALL_CERT_EXPIRED',
        cause: ['MCCertificateErrorDomain', 9002],
        says: /expired on 2025-01-31/,
      },
      {
        name: 'not-yet-valid identity',
        payloads: () => [pkcs12Payload(pfxOf(future, SECRET), 'p.id', SECRET)],
        code: 'INSTALL_CERT_EXPIRED',
        cause: ['MCCertificateErrorDomain', 9002],
        says: /not valid until 2027-01-01/,
      },
      {
        name: 'truncated DER in a pkcs1 payload',
        payloads: () => [certPayload(truncated, 'p.id', 'com.apple.security.pkcs1')],
        code: 'CERT_PARSE',
        cause: ['MCCertificateErrorDomain', 9005],
        says: /truncated/,
      },
      {
        name: 'PEM text in a root payload',
        payloads: () => [certPayload(Buffer.from(h.root.pem, 'ascii'), 'p.id')],
        code: 'CERT_PARSE',
        cause: ['MCCertificateErrorDomain', 9005],
        says: /expects DER, but PayloadContent is PEM text/,
      },
      {
        name: 'DER in a pem payload',
        payloads: () => [certPayload(Buffer.from(h.root.der), 'p.id', 'com.apple.security.pem')],
        code: 'CERT_PARSE',
        cause: ['MCCertificateErrorDomain', 9005],
        says: /\(com\.apple\.security\.pem\) cannot be read: The PEM data contains the non-ASCII byte 0x82 at offset 1/,
      },
    ];

    it.each(rows)('$name → $code', (row) => {
      const ctx = seeded(platform, kind, supervised);
      const before = snapshot(ctx);
      const r = ADAPTERS[platform].deliver(ctx, profileBytes(platform, 'com.example.bad', row.payloads()));
      expect(codes(r)).toEqual([[row.code, 'failed']]);
      expect(r.outcomes[0]?.message).toMatch(row.says);
      expect(chainOf(r)).toEqual([['MCInstallationErrorDomain', 4001], row.cause]);
      expect(replyOf(r).ErrorChain?.[0]?.LocalizedDescription).toBe(
        'The payload “p.id” could not be installed.',
      );
      expect(r.outcomes[0]?.native).toMatchObject({ platform, status: 'Error' });
      expect(snapshot(ctx)).toEqual(before);
      expect(JSON.stringify(r.outcomes) + r.reply.toString()).not.toContain(SECRET);
    });

    it('all or nothing: a good root beside a bad identity is rolled back; every payload is reported', () => {
      const ctx = seeded(platform, kind, supervised);
      const before = snapshot(ctx);
      const r = ADAPTERS[platform].deliver(
        ctx,
        profileBytes(platform, 'com.example.mixed', [
          certPayload(h.root, 'mixed.root'),
          pkcs12Payload(pfxOf(h, SECRET), 'mixed.id', 'wrong'),
          certPayload(truncated, 'mixed.bad', 'com.apple.security.pkcs1'),
        ]),
      );
      expect(codes(r)).toEqual([
        ['INSTALL_ROLLED_BACK', 'failed'],
        ['PKCS12_BAD_PASSWORD', 'failed'],
        ['CERT_PARSE', 'failed'],
      ]);
      expect(r.outcomes[0]?.message).toMatch(/"mixed\.id", "mixed\.bad".*all or nothing/);
      expect(chainOf(r)).toEqual([
        ['MCInstallationErrorDomain', 4001],
        ['MCCertificateErrorDomain', 9000],
        ['MCInstallationErrorDomain', 4001],
        ['MCCertificateErrorDomain', 9005],
      ]);
      expect(snapshot(ctx)).toEqual(before);
    });

    it('a bad plist answers Error [4000 Cannot parse profile, NSCocoaErrorDomain 3840] and changes nothing', () => {
      const ctx = seeded(platform, kind, supervised);
      const before = snapshot(ctx);
      const r = ADAPTERS[platform].deliver(
        ctx,
        Buffer.from('<?xml version="1.0"?><plist><dict><key>x</dict></plist>'),
      );
      expect(codes(r)).toEqual([['PLIST_PARSE', 'failed']]);
      expect(chainOf(r)[0]).toEqual(['MCInstallationErrorDomain', 4000]);
      expect(
        chainOf(r)
          .slice(1)
          .every(([d, c]) => d === 'NSCocoaErrorDomain' && c === 3840),
      ).toBe(true);
      expect(replyOf(r).Status).toBe('Error');
      expect(snapshot(ctx)).toEqual(before);
    });

    it('a SCEP payload is skipped (not simulated) and the profile is not installed', () => {
      const ctx = seeded(platform, kind, supervised);
      const before = snapshot(ctx);
      const bytes = profileBytes(platform, 'com.example.scep', [certPayload(h.root, 'scep.root')]);
      const scep = `<dict>
\t\t\t<key>PayloadContent</key>
\t\t\t<dict><key>URL</key><string>https://scep.example.com/</string></dict>
\t\t\t<key>PayloadIdentifier</key><string>scep.enroll</string>
\t\t\t<key>PayloadType</key><string>com.apple.security.scep</string>
\t\t\t<key>PayloadUUID</key><string>5CE95CE9-0000-4000-8000-000000000001</string>
\t\t\t<key>PayloadVersion</key><integer>1</integer>
\t\t</dict>
`;
      const text = bytes.toString('utf8');
      const at = text.indexOf('<array>') + '<array>\n'.length;
      const r = ADAPTERS[platform].deliver(
        ctx,
        Buffer.from(text.slice(0, at) + '\t\t' + scep + text.slice(at)),
      );
      expect(codes(r)).toEqual([
        ['INSTALL_NOT_SIMULATED', 'skipped'],
        ['INSTALL_ROLLED_BACK', 'skipped'],
      ]);
      expect(chainOf(r)).toEqual([
        ['MCInstallationErrorDomain', 4001],
        ['MCInstallationErrorDomain', 4023],
      ]);
      expect(snapshot(ctx)).toEqual(before);
    });
  },
);

describe.each(ENROLLMENTS)(
  '$platform, $kind enrollment, supervised $supervised: an untrusted chain',
  ({ platform, kind, supervised }) => {
    it('an identity whose chain does not reach an installed root installs, marked not trusted', () => {
      const ctx = newContext(platform, kind, { supervised });
      const h = hierarchy();
      const r = ADAPTERS[platform].deliver(
        ctx,
        profileBytes(platform, 'com.example.id', [pkcs12Payload(pfxOf(h, SECRET), 'id', SECRET)]),
      );
      // regression issue 4: installed but marked untrusted is INSTALL_UNTRUSTED_CHAIN (as on Windows), the
      // message names the missing root, and the device still acknowledges the command.
      expect(codes(r)).toEqual([['INSTALL_UNTRUSTED_CHAIN', 'installed']]);
      expect(r.outcomes[0]?.message).toMatch(/NOT trusted/);
      expect(r.outcomes[0]?.message).toContain(
        `"${h.root.subjectText}" (the issuer of "${h.issuing.subjectText}") is not installed`,
      );
      expect(r.outcomes[0]?.native).toMatchObject({ status: 'Acknowledged', errorChain: [] });
      expect(ctx.db.items(ctx.device.id, { kind: 'identity' })[0]?.attrs).toMatchObject({
        trusted: false,
        chainProblem: 'CHAIN_INCOMPLETE',
      });
      // The issuing CA inside the PKCS#12 is kept too (key-less, never an anchor).
      expect(
        ADAPTERS[platform]
          .held(ctx, 'admin')
          .map((x) => [x.kind, x.subject, x.trusted])
          .sort(),
      ).toEqual([
        ['identity', h.leaf.subjectText, false],
        ['intermediate', h.issuing.subjectText, false],
      ]);

      // Trust is evaluated live: once the root arrives (another profile), the identity is trusted…
      ADAPTERS[platform].deliver(
        ctx,
        profileBytes(platform, 'com.example.root', [certPayload(h.root, 'root')]),
      );
      expect(
        ADAPTERS[platform]
          .held(ctx, 'admin')
          .map((x) => [x.kind, x.trusted])
          .sort(),
      ).toEqual([
        ['identity', true],
        ['intermediate', true],
        ['root', true],
      ]);
      // …and no longer once it is removed.
      ADAPTERS[platform].remove(ctx, 'com.example.root');
      expect(
        ADAPTERS[platform]
          .held(ctx, 'admin')
          .map((x) => [x.kind, x.trusted])
          .sort(),
      ).toEqual([
        ['identity', false],
        ['intermediate', false],
      ]);
    });
  },
);

describe.each(APPLE_PLATFORMS)('%s: trust and key usage', (platform) => {
  it('nonRepudiation: refused on iOS (INSTALL_KEY_USAGE_REFUSED, 4023), installed on macOS', () => {
    const ctx = newContext(platform);
    const h = hierarchy({
      leafExtensions: { keyUsage: ['digitalSignature', 'nonRepudiation'], extKeyUsage: ['clientAuth'] },
    });
    const r = ADAPTERS[platform].deliver(
      ctx,
      profileBytes(platform, 'com.example.nr', [pkcs12Payload(pfxOf(h, SECRET), 'nr', SECRET)]),
    );
    if (platform === 'ios') {
      expect(codes(r)).toEqual([['INSTALL_KEY_USAGE_REFUSED', 'failed']]);
      expect(r.outcomes[0]?.message).toMatch(/Signature is proof of origin/);
      expect(chainOf(r)).toEqual([
        ['MCInstallationErrorDomain', 4001],
        ['MCInstallationErrorDomain', 4023],
      ]);
      expect(ctx.db.items(ctx.device.id)).toEqual([]);
    } else {
      expect(codes(r)).toEqual([['INSTALL_UNTRUSTED_CHAIN', 'installed']] /* no root on the device */);
    }
  });

  it.each([
    ['empty Password', ''],
    ['no Password key', undefined],
  ])('%s: refused on iOS (Radar 12307889), installed on macOS', (_name, password) => {
    const ctx = newContext(platform);
    const h = hierarchy();
    const r = ADAPTERS[platform].deliver(
      ctx,
      profileBytes(platform, 'com.example.empty', [pkcs12Payload(pfxOf(h, ''), 'empty', password)]),
    );
    if (platform === 'ios') {
      expect(codes(r)).toEqual([['PKCS12_BAD_PASSWORD', 'failed']]);
      expect(r.outcomes[0]?.message).toMatch(
        /iOS cannot install the PKCS#12 "user\.pfx" with an empty password/,
      );
      expect(chainOf(r)[1]).toEqual(['MCCertificateErrorDomain', 9000]);
    } else {
      expect(codes(r)).toEqual([['INSTALL_UNTRUSTED_CHAIN', 'installed']] /* no root on the device */);
    }
  });

  it('a non-CA certificate in a root payload installs (root is an alias of pkcs1), not as an anchor', () => {
    const ctx = newContext(platform);
    const h = hierarchy();
    const r = ADAPTERS[platform].deliver(
      ctx,
      profileBytes(platform, 'com.example.leaf', [certPayload(h.leaf, 'leaf')]),
    );
    expect(codes(r)).toEqual([['OK', 'installed']]);
    expect(ctx.db.items(ctx.device.id)[0]?.attrs.role).toBe('leaf');
    expect(ADAPTERS[platform].held(ctx, 'admin').map((x) => [x.kind, x.trusted])).toEqual([
      ['intermediate', false],
    ]);
  });

  it('an expired root is refused', () => {
    const ctx = newContext(platform, 'device', {}, '2040-01-01T00:00:00Z');
    const r = ADAPTERS[platform].deliver(
      ctx,
      profileBytes(platform, 'com.example.old', [certPayload(hierarchy().root, 'old')]),
    );
    expect(codes(r)).toEqual([['INSTALL_CERT_EXPIRED', 'failed']]);
  });

  it('a P-256 identity installs too', () => {
    const ctx = newContext(platform);
    const h = hierarchy({ leafKey: poolKey('p256') });
    const r = ADAPTERS[platform].deliver(
      ctx,
      profileBytes(platform, 'com.example.ec', [
        certPayload(h.root, 'ec.root'),
        pkcs12Payload(pfxOf(h, SECRET), 'ec', SECRET),
      ]),
    );
    expect(codes(r)).toEqual([
      ['OK', 'installed'],
      ['OK', 'installed'],
    ]);
  });
});

describe('macOS keychains and key attributes', () => {
  it.each([
    ['absent', undefined, 'macos/system'],
    ['System', 'System' as const, 'macos/system'],
    ['User', 'User' as const, 'macos/login'],
  ])('PayloadScope %s → %s', (_n, scope, store) => {
    const ctx = newContext('macos');
    const r = macosInstallRoot(ctx, scope);
    expect(codes(r)).toEqual([['OK', 'installed']]);
    expect(ctx.db.items(ctx.device.id).map((i) => i.store)).toEqual([store]);
  });

  it('PayloadScope User on a Mac without a user: NSPOSIXErrorDomain 1, nothing installed', () => {
    const ctx = newContext('macos', 'device', { hasUser: false });
    const r = macosInstallRoot(ctx, 'User');
    expect(codes(r)).toEqual([['INSTALL_NOT_ALLOWED', 'failed']]);
    expect(chainOf(r)).toEqual([
      ['MCInstallationErrorDomain', 4001],
      ['NSPOSIXErrorDomain', 1],
    ]);
    expect(ctx.db.items(ctx.device.id)).toEqual([]);
  });

  it.each([
    [{}, true, false],
    [{ KeyIsExtractable: false }, false, false],
    [{ AllowAllAppsAccess: true }, true, true],
    [{ KeyIsExtractable: false, AllowAllAppsAccess: true }, false, true],
  ])('%o → exportable %s, allowAllAppsAccess %s', (extra, exportable, allowAll) => {
    const ctx = newContext('macos');
    const h = hierarchy();
    ADAPTERS.macos.deliver(
      ctx,
      profileBytes('macos', 'com.example.k', [pkcs12Payload(pfxOf(h, SECRET), 'k', SECRET, extra)]),
    );
    expect(ctx.db.items(ctx.device.id, { kind: 'identity' })[0]?.attrs).toMatchObject({
      exportable,
      allowAllAppsAccess: allowAll,
    });
  });

  it('iOS stores PKCS keys not exportable and has no AllowAllAppsAccess', () => {
    const ctx = newContext('ios');
    ADAPTERS.ios.deliver(
      ctx,
      profileBytes('ios', 'com.example.k', [pkcs12Payload(pfxOf(hierarchy(), SECRET), 'k', SECRET)]),
    );
    const attrs = ctx.db.items(ctx.device.id, { kind: 'identity' })[0]?.attrs;
    expect(attrs?.exportable).toBe(false);
    expect(attrs).not.toHaveProperty('allowAllAppsAccess');
  });
});

function macosInstallRoot(ctx: DeviceContext, scope: 'System' | 'User' | undefined) {
  return ADAPTERS.macos.deliver(
    ctx,
    profileBytes(
      'macos',
      'com.example.scope',
      [certPayload(hierarchy().root, 'scope.root')],
      scope ? { PayloadScope: scope } : {},
    ),
  );
}

describe.each(CASES)('%s, %s enrollment: PayloadRemovalDisallowed', (platform, kind) => {
  it('forbidden only in iOS User Enrollment (Apple TopLevel.yaml)', () => {
    const ctx = newContext(platform, kind);
    const r = ADAPTERS[platform].deliver(
      ctx,
      profileBytes(platform, 'com.example.locked', [certPayload(hierarchy().root, 'locked.root')], {
        PayloadRemovalDisallowed: true,
      }),
    );
    if (platform === 'ios' && kind === 'user') {
      expect(codes(r)).toEqual([['INSTALL_NOT_ALLOWED', 'failed']]);
      expect(chainOf(r)).toEqual([
        ['MCInstallationErrorDomain', 4001],
        ['MCInstallationErrorDomain', 4023],
      ]);
      expect(ctx.db.items(ctx.device.id)).toEqual([]);
    } else {
      expect(codes(r)).toEqual([['OK', 'installed']]);
    }
  });
});
