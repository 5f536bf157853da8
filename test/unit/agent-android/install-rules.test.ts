/**
 * The Android install rules per enrollment kind (issue 4 "Key stores" / "Install and status"; docs/formats.md §3.3,
 * §3.4): which store, who sees what, access rules, device administrator on Android 11+, user-CA trust by apps.
 */
import { describe, expect, it } from 'vitest';
import { androidAdapter } from '../../../agent/platforms/android/index.ts';
import { exportPrivateKeyDer } from '../../../pki/keys.ts';
import { decodeComplianceReport } from '../../../profiles/android/non-compliance.ts';
import type { AndroidEnrollmentKind } from '../../../profiles/model/platform.ts';
import {
  ALIAS,
  CLIENT_GUID,
  ISSUING_GUID,
  KINDS,
  ROOT_GUID,
  androidDevice,
  contextFor,
  hierarchy,
  itemsSnapshot,
  pkcs12Of,
  policyBytes,
} from './fixtures.ts';

const h = hierarchy();
const PFX = pkcs12Of(h);

/** What each kind should do (written out here, not read from the adapter's own table). */
const EXPECT: Record<
  AndroidEnrollmentKind,
  { keyStore: string; caStore: string; userSeesKeyPair: boolean; silent: boolean; path: string }
> = {
  'device-admin': {
    keyStore: 'android/keychain',
    caStore: 'android/ca',
    userSeesKeyPair: true,
    silent: false,
    path: 'legacy-device-admin',
  },
  'work-profile-personal': {
    keyStore: 'android/work-profile',
    caStore: 'android/work-profile',
    userSeesKeyPair: false,
    silent: false,
    path: 'dpm-profile-owner',
  },
  'work-profile-corporate': {
    keyStore: 'android/work-profile',
    caStore: 'android/work-profile',
    userSeesKeyPair: false,
    silent: true,
    path: 'dpm-profile-owner',
  },
  'fully-managed': {
    keyStore: 'android/keychain',
    caStore: 'android/ca',
    userSeesKeyPair: true,
    silent: true,
    path: 'dpm-device-owner',
  },
  dedicated: {
    keyStore: 'android/keychain',
    caStore: 'android/ca',
    userSeesKeyPair: true,
    silent: true,
    path: 'dpm-device-owner',
  },
};

const rootAndKeyPair = policyBytes({
  cas: [{ guid: ROOT_GUID, der: h.root.der }],
  keyPairs: [{ guid: CLIENT_GUID, alias: ALIAS, pkcs12: PFX }],
});

describe.each(KINDS)('Android %s (Android 10, where every kind may install CAs)', (kind) => {
  const want = EXPECT[kind];
  const ctx = contextFor(androidDevice(kind, { osVersion: '10' }));
  const result = androidAdapter.deliver(ctx, rootAndKeyPair, { profileId: 'pkcs-1', renewalThreshold: 25 });

  it('installs the root and the key pair, compliant', () => {
    expect(result.outcomes.map((o) => [o.payload, o.status, o.code])).toEqual([
      [ROOT_GUID, 'installed', 'OK'],
      [CLIENT_GUID, 'installed', 'OK'],
    ]);
    expect(
      result.outcomes.every((o) => o.native.platform === 'android' && !('nonCompliance' in o.native)),
    ).toBe(true);
    const report = decodeComplianceReport(result.reply);
    expect(report.ok && report.report).toEqual({
      appliedPolicyVersion: '1',
      policyCompliant: true,
      nonComplianceDetails: [],
    });
  });

  it(`puts the key pair in ${want.keyStore} and the CA in ${want.caStore}`, () => {
    const ids = ctx.db.items(ctx.device.id, { kind: 'identity' });
    const cas = ctx.db.items(ctx.device.id, { kind: 'certificate' });
    expect(ids.map((i) => [i.store, i.thumbprint])).toEqual([[want.keyStore, h.leaf.sha1Thumbprint]]);
    expect(cas.map((i) => [i.store, i.thumbprint])).toEqual([[want.caStore, h.root.sha1Thumbprint]]);
  });

  it('stores the private key with the certificate, not exportable, with the access rule and install path', () => {
    const [id] = ctx.db.items(ctx.device.id, { kind: 'identity' });
    expect(id?.privateKey?.equals(Buffer.from(exportPrivateKeyDer(h.leafKey.privateKey)))).toBe(true);
    expect(id?.certificate.equals(h.leaf.der)).toBe(true);
    expect(id?.attrs).toMatchObject({
      alias: ALIAS,
      guid: CLIENT_GUID,
      exportable: false,
      access: { type: 'USER_APPROVAL' },
      visibleToUser: want.userSeesKeyPair,
      installPath: want.path,
      trusted: true,
      chain: [h.issuing.der.toString('base64')],
    });
  });

  it('records the CA as trusted but not trusted by apps (Android 7+ user CA)', () => {
    const [ca] = ctx.db.items(ctx.device.id, { kind: 'certificate' });
    expect(ca?.attrs).toMatchObject({
      trusted: true,
      trustedByApps: false,
      selfSigned: true,
      guid: ROOT_GUID,
    });
  });

  it('keeps the delivery meta on the policy record', () => {
    const p = ctx.db.profile(ctx.device.id, 'enterprises/LC00000000/policies/certfleet-0001');
    expect(p?.meta).toMatchObject({
      profileId: 'pkcs-1',
      renewalThreshold: 25,
      compliant: true,
      version: '1',
      kind,
    });
  });

  it(`user view ${want.userSeesKeyPair ? 'shows' : 'hides'} the key pair; admin view shows everything`, () => {
    const admin = androidAdapter.held(ctx, 'admin');
    const user = androidAdapter.held(ctx, 'user');
    expect(admin.map((c) => [c.kind, c.thumbprint, c.trusted]).sort()).toEqual(
      [
        ['identity', h.leaf.sha1Thumbprint, true],
        ['root', h.root.sha1Thumbprint, true],
      ].sort(),
    );
    expect(user.map((c) => c.kind).sort()).toEqual(want.userSeesKeyPair ? ['identity', 'root'] : ['root']);
    expect(user.every((c) => c.ref === 'enterprises/LC00000000/policies/certfleet-0001')).toBe(true);
  });
});

describe.each(KINDS)('Android %s: SILENT access for listed packages', (kind) => {
  const want = EXPECT[kind];
  const ctx = contextFor(androidDevice(kind));
  const packages = ['com.microsoft.emmx', 'com.example.vpn'];
  const before = itemsSnapshot(ctx);
  const result = androidAdapter.deliver(
    ctx,
    policyBytes({
      keyPairs: [{ guid: CLIENT_GUID, alias: ALIAS, pkcs12: PFX, access: { type: 'SILENT', packages } }],
    }),
  );
  const [o] = result.outcomes;

  it(
    want.silent ? 'is granted (device-owner mode)' : 'is refused with MANAGEMENT_MODE, nothing stored',
    () => {
      if (want.silent) {
        // No root on the device: installed, not trusted (regression issue 4).
        expect([o?.status, o?.code]).toEqual(['installed', 'INSTALL_UNTRUSTED_CHAIN']);
        expect(ctx.db.items(ctx.device.id, { kind: 'identity' })[0]?.attrs.access).toEqual({
          type: 'SILENT',
          packages,
        });
      } else {
        expect([o?.status, o?.code]).toEqual(['failed', 'INSTALL_NOT_ALLOWED']);
        expect(o?.native).toEqual({
          platform: 'android',
          nonCompliance: {
            settingName: 'certificateCommands',
            nonComplianceReason: 'MANAGEMENT_MODE',
            fieldPath: 'certificateCommands[0].access',
          },
        });
        expect(o?.message).toMatch(/USER_APPROVAL/);
        expect(itemsSnapshot(ctx)).toBe(before);
      }
    },
  );

  it('answers with a matching compliance report', () => {
    const report = decodeComplianceReport(result.reply);
    expect(report.ok).toBe(true);
    if (!report.ok) return;
    expect(report.report.policyCompliant).toBe(want.silent);
    expect(report.report.nonComplianceDetails.map((d) => d.nonComplianceReason)).toEqual(
      want.silent ? [] : ['MANAGEMENT_MODE'],
    );
  });
});

/**
 * Every Android Enterprise kind may install CAs on every version and manufacturer (device administrator on
 * Android 11+, which may not, takes SyncML: device-admin.test.ts).
 */
const caRows: [AndroidEnrollmentKind, string, string][] = KINDS.flatMap((kind) =>
  (['10', '11', '14'] as const).flatMap((os) =>
    (['google-pixel-6a', 'samsung-galaxy-s23'] as const).map(
      (model): [AndroidEnrollmentKind, string, string] => [kind, os, model],
    ),
  ),
);

describe('CA install by kind × Android version × manufacturer', () => {
  it.each(caRows)('%s on Android %s (%s) → installed', (kind, os, modelId) => {
    const ctx = contextFor(androidDevice(kind, { osVersion: os, modelId }));
    const result = androidAdapter.deliver(ctx, policyBytes({ cas: [{ guid: ROOT_GUID, der: h.root.der }] }));
    const [o] = result.outcomes;
    const cas = ctx.db.items(ctx.device.id, { kind: 'certificate' });
    expect([o?.status, o?.code, cas.length]).toEqual(['installed', 'OK', 1]);
    expect(cas[0]?.attrs.installPath).toBe(EXPECT[kind].path);
  });

  it.each(KINDS)('%s on Android 14: the root and the key pair both install', (kind) => {
    const ctx = contextFor(androidDevice(kind));
    const result = androidAdapter.deliver(ctx, rootAndKeyPair);
    expect(result.outcomes.map((o) => o.code)).toEqual(['OK', 'OK']);
    expect(ctx.db.items(ctx.device.id, { kind: 'identity' })[0]?.attrs.trusted).toBe(true);
  });
});

/** Apps trust user CAs by default only before Android 7.0 (API 24) — docs/formats.md §3.3. */
const trustRows: [AndroidEnrollmentKind, string, boolean][] = KINDS.flatMap((kind) =>
  (['6.0', '7.0', '7.1.2', '10'] as const).map((os): [AndroidEnrollmentKind, string, boolean] => [
    kind,
    os,
    os === '6.0',
  ]),
);

describe('user CAs trusted by apps', () => {
  it.each(trustRows)('%s on Android %s → trustedByApps %s', (kind, os, byApps) => {
    const ctx = contextFor(androidDevice(kind, { osVersion: os }));
    const [o] = androidAdapter.deliver(
      ctx,
      policyBytes({ cas: [{ guid: ROOT_GUID, der: h.root.der }] }),
    ).outcomes;
    expect(o?.code).toBe('OK');
    expect(ctx.db.items(ctx.device.id, { kind: 'certificate' })[0]?.attrs.trustedByApps).toBe(byApps);
    expect(o?.message.includes('apps do not trust user CAs')).toBe(!byApps);
  });
});

describe.each(KINDS)('Android %s: chain trust is recorded, not required', (kind) => {
  it('installs a key pair with no root on the device as untrusted, and trusts it once the root arrives', () => {
    const ctx = contextFor(androidDevice(kind, { osVersion: '10' }));
    const r1 = androidAdapter.deliver(
      ctx,
      policyBytes({ keyPairs: [{ guid: CLIENT_GUID, alias: ALIAS, pkcs12: PFX }] }),
    );
    // regression issue 4: installed but not trusted is INSTALL_UNTRUSTED_CHAIN (as on Windows), naming the
    // missing root; the compliance report stays compliant (the setting was applied).
    expect(r1.outcomes.map((o) => [o.status, o.code])).toEqual([['installed', 'INSTALL_UNTRUSTED_CHAIN']]);
    expect(r1.outcomes[0]?.message).toContain(
      `"${h.root.subjectText}" (the issuer of "${h.issuing.subjectText}") is not installed`,
    );
    const report = decodeComplianceReport(r1.reply);
    expect(report.ok && report.report.policyCompliant).toBe(true);
    expect(androidAdapter.held(ctx, 'admin').map((c) => [c.kind, c.trusted])).toEqual([['identity', false]]);
    androidAdapter.deliver(
      ctx,
      policyBytes({
        name: 'enterprises/LC00000000/policies/root',
        cas: [{ guid: ROOT_GUID, der: h.root.der }],
      }),
    );
    expect(ctx.db.items(ctx.device.id, { kind: 'identity' })[0]?.attrs.trusted).toBe(true);
  });

  it('installs an intermediate CA alone as untrusted (no root), trusted when the root is in the same policy', () => {
    const alone = contextFor(androidDevice(kind, { osVersion: '10' }));
    androidAdapter.deliver(alone, policyBytes({ cas: [{ guid: ISSUING_GUID, der: h.issuing.der }] }));
    expect(androidAdapter.held(alone, 'admin').map((c) => [c.kind, c.trusted])).toEqual([
      ['intermediate', false],
    ]);
    const both = contextFor(androidDevice(kind, { osVersion: '10' }));
    androidAdapter.deliver(
      both,
      policyBytes({
        cas: [
          { guid: ISSUING_GUID, der: h.issuing.der },
          { guid: ROOT_GUID, der: h.root.der },
        ],
      }),
    );
    expect(
      androidAdapter
        .held(both, 'admin')
        .map((c) => [c.kind, c.trusted])
        .sort(),
    ).toEqual([
      ['intermediate', true],
      ['root', true],
    ]);
  });
});
