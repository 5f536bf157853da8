/**
 * Issue 12 point 7, device side: after a CA rollover, a PKCS#12 that carries the leaf only
 * (`connectors: {pfxChain: leaf}`) installs on Windows, iOS, macOS and Android Enterprise but is NOT trusted while the
 * device lacks the renewed issuing CA (INSTALL_UNTRUSTED_CHAIN, the chain stops at the missing issuer); once a
 * trusted-certificate profile brings the new issuing CA, the same identity is trusted and TrustRecheck gives
 * the profile's outcome to report again (installed, OK, the install's native status).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateDevice } from '../../../agent/device/generate.ts';
import { StoreDb } from '../../../agent/keystore/store-db.ts';
import type { DeviceContext, PlatformAdapter } from '../../../agent/platform-adapter.ts';
import { PLATFORM_ADAPTERS } from '../../../agent/platforms/index.ts';
import { TrustRecheck } from '../../../agent/runtime/trust-recheck.ts';
import type { Certificate } from '../../../pki/certificate.ts';
import { parsePkcs12 } from '../../../pki/pkcs12.ts';
import { compileProfile, seededIds } from '../../../profiles/compile/index.ts';
import type { ProfileFamily } from '../../../profiles/model/platform.ts';
import { FixedClock } from '../../../protocol/runtime/clock.ts';
import { EnterpriseCa } from '../../../simulator/service/ca/enterprise-ca.ts';
import { issuePfx } from '../../../simulator/service/ca/issue-pfx.ts';
import { CONNECTOR_GROUP } from '../../../simulator/service/ca/template.ts';
import { poolKey } from '../../fixtures/key-pool.ts';
import { FACTS, pkcsProfile, trustedProfile } from '../compile/fixtures.ts';
import { managementIdentity } from '../agent-windows/fixtures.ts';

const NOW = new Date('2026-06-01T12:00:00Z');
const ROLLOVER = new Date('2026-06-10T12:00:00Z');
const LATER = new Date('2026-06-20T12:00:00Z');
const PASSWORD = 'Rollover-Pfx-Pw1';
const PROFILE = 'device-certificate';

let base: string;
let root: Certificate;
let oldIssuing: Certificate;
let newIssuing: Certificate;
let leafOnlyPfx: Buffer;
let renewedLeaf: Certificate;

beforeAll(async () => {
  base = mkdtempSync(join(tmpdir(), 'certfleet-trust-recheck-'));
  const ca = await EnterpriseCa.init(join(base, 'ca'), {
    now: NOW,
    rootKey: poolKey('rsa2048', 0),
    issuingKey: poolKey('rsa2048', 1),
  });
  root = ca.root;
  oldIssuing = ca.issuing;
  newIssuing = await ca.renewIssuing(ROLLOVER, { key: poolKey('rsa2048', 3) });
  const issued = await issuePfx(ca, {
    template: 'CertfleetUser',
    subject: 'CN=Ada Lovelace,O=Contoso',
    keyPair: poolKey('rsa2048', 2),
    password: PASSWORD,
    requester: { identity: 'connector-1', groups: [CONNECTOR_GROUP] },
    now: ROLLOVER,
    chain: 'leaf',
  });
  leafOnlyPfx = issued.pfx;
  renewedLeaf = issued.certificate;
});
afterAll(() => rmSync(base, { recursive: true, force: true }));

const CASES: { family: ProfileFamily; kind: 'entra-joined' | 'device' | 'fully-managed' }[] = [
  { family: 'windows', kind: 'entra-joined' },
  { family: 'ios', kind: 'device' },
  { family: 'macos', kind: 'device' },
  { family: 'android-device-owner', kind: 'fully-managed' },
];

function contextFor(db: StoreDb, family: ProfileFamily, kind: string): DeviceContext {
  const platform = FACTS[family].platform;
  const device = generateDevice({
    seed: 'trust-recheck',
    index: 0,
    platform,
    kind: kind as never,
    overrides: platform === 'windows' ? { tpm: true, windowsHello: true } : {},
  });
  const ctx: DeviceContext = { device, db, clock: new FixedClock(LATER) };
  if (platform === 'windows') ctx.identity = managementIdentity(5);
  return ctx;
}

/** Compiles a trusted-certificate profile carrying `cert` (an intermediate goes to the Windows CA store). */
function trustedPayload(family: ProfileFamily, cert: Certificate, name: string): Buffer {
  const extra: Record<string, unknown> = {
    certificate: new Uint8Array(cert.der),
    displayName: name,
    certFileName: `${name}.cer`,
  };
  if (family === 'windows' && !cert.isSelfSigned) extra.destinationStore = 'computerCertStoreIntermediate';
  const r = compileProfile(trustedProfile(family, extra), FACTS[family], {
    ids: seededIds(`trusted/${name}`),
  });
  if (!r.ok) throw new Error(r.outcome.message);
  return r.payload.bytes;
}

function pkcsPayload(family: ProfileFamily): Buffer {
  const r = compileProfile(pkcsProfile(family), FACTS[family], {
    ids: seededIds('pkcs'),
    issued: { pfx: leafOnlyPfx, password: PASSWORD },
  });
  if (!r.ok) throw new Error(r.outcome.message);
  return r.payload.bytes;
}

function identityOf(adapter: PlatformAdapter, ctx: DeviceContext) {
  return adapter.held(ctx, 'admin').filter((h) => h.kind === 'identity');
}

describe('issue 12 point 7: a device that lacks the renewed issuing CA', () => {
  it('the connector packs the leaf only when pfxChain is leaf', () => {
    const parsed = parsePkcs12(leafOnlyPfx, PASSWORD);
    expect(parsed.certificates).toHaveLength(1);
    expect(renewedLeaf.issuerText).toBe(newIssuing.subjectText);
    expect(renewedLeaf.aki).toBe(newIssuing.ski);
    expect(newIssuing.ski).not.toBe(oldIssuing.ski);
  });

  describe.each(CASES)('$family', ({ family, kind }) => {
    it('installs the renewed leaf untrusted, then trusts it once a trusted profile brings the new issuing CA', () => {
      const db = StoreDb.open(':memory:');
      try {
        const ctx = contextFor(db, family, kind);
        const adapter = PLATFORM_ADAPTERS[ctx.device.platform];
        const recheck = new TrustRecheck();
        for (const [cert, name] of [
          [root, 'root'],
          [oldIssuing, 'issuing-old'],
        ] as const) {
          const r = adapter.deliver(ctx, trustedPayload(family, cert, name), { profileId: name });
          expect(r.outcomes.map((o) => o.status)).toEqual(['installed']);
        }

        const install = adapter.deliver(ctx, pkcsPayload(family), { profileId: PROFILE });
        const untrusted = install.outcomes.find((o) => o.status === 'installed');
        expect(untrusted?.code).toBe('INSTALL_UNTRUSTED_CHAIN');
        // the message names the issuer the chain stops at: the old issuing CA does not sign the new leaf
        expect(untrusted?.message).toContain(newIssuing.subjectText);
        const before = identityOf(adapter, ctx);
        expect(before.map((h) => [h.thumbprint, h.trusted])).toEqual([[renewedLeaf.sha1Thumbprint, false]]);

        recheck.note(PROFILE, install.outcomes, adapter.held(ctx, 'admin'), () => undefined);
        expect(recheck.size).toBe(1);
        // another install that brings no missing CA changes nothing
        adapter.deliver(ctx, trustedPayload(family, oldIssuing, 'issuing-old-again'), { profileId: 'again' });
        expect(recheck.recheck(adapter.held(ctx, 'admin'))).toEqual([]);
        expect(recheck.size).toBe(1);

        const upload = adapter.deliver(ctx, trustedPayload(family, newIssuing, 'issuing-new'), {
          profileId: 'issuing-new',
        });
        expect(upload.outcomes.map((o) => o.status)).toEqual(['installed']);
        expect(identityOf(adapter, ctx).map((h) => [h.thumbprint, h.trusted])).toEqual([
          [renewedLeaf.sha1Thumbprint, true],
        ]);
        const changes = recheck.recheck(adapter.held(ctx, 'admin'));
        expect(changes).toHaveLength(1);
        expect(changes[0]!.profileId).toBe(PROFILE);
        expect(changes[0]!.outcome).toMatchObject({
          status: 'installed',
          code: 'OK',
          payload: untrusted!.payload,
          native: untrusted!.native,
        });
        expect(changes[0]!.outcome.message).toContain('is now trusted');
        expect(changes[0]!.outcome.message).toContain(renewedLeaf.sha1Thumbprint);
        // reported once
        expect(recheck.size).toBe(0);
        expect(recheck.recheck(adapter.held(ctx, 'admin'))).toEqual([]);
      } finally {
        db.close();
      }
    });
  });

  it('forgets an identity that is gone (replaced or removed) without reporting it', () => {
    const recheck = new TrustRecheck();
    const outcome = {
      device: 'd',
      platform: 'windows' as const,
      payload: 'node',
      status: 'installed' as const,
      code: 'INSTALL_UNTRUSTED_CHAIN' as const,
      message: 'm',
      native: { platform: 'windows' as const, syncml: 200 },
    };
    const held = [
      {
        kind: 'identity' as const,
        subject: 'CN=A',
        issuer: 'CN=I',
        notAfter: '',
        thumbprint: 'T1',
        store: 's',
        ref: 'r',
        trusted: false,
      },
      {
        kind: 'identity' as const,
        subject: 'CN=B',
        issuer: 'CN=I',
        notAfter: '',
        thumbprint: 'T2',
        store: 's',
        ref: 'other',
        trusted: false,
      },
    ];
    // T2 belongs to another profile: not this delivery's
    recheck.note('p', [outcome], held, (ref) => (ref === 'other' ? 'q' : 'p'));
    expect(recheck.size).toBe(1);
    expect(recheck.recheck([])).toEqual([]);
    expect(recheck.size).toBe(0);
  });
});
