import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { StoreDb } from '../../../agent/keystore/store-db.ts';
import type { DeviceContext } from '../../../agent/platform-adapter.ts';
import { windowsAdapter } from '../../../agent/platforms/windows/index.ts';
import { encryptPfxPasswordForDevice } from '../../../profiles/windows/pfx-password.ts';
import { pfxLocUri, type PfxInstall } from '../../../profiles/windows/pfx-cert-install.ts';
import type { SyncmlContainer } from '../../../profiles/windows/syncml-model.ts';
import { poolKey } from '../../fixtures/key-pool.ts';
import { T0, YEAR } from '../pki/hierarchy.ts';
import {
  codes,
  ctxFor,
  hierarchy,
  leafWith,
  managementIdentity,
  message,
  NOW,
  PASSWORD,
  patchLeaf,
  pfxAtomic,
  pfxInstall,
  pfxOf,
  reply,
  snapshot,
  trustedAdd,
  UNIQUE_ID,
  WINDOWS_KINDS,
} from './fixtures.ts';

const NODE = pfxLocUri('Device', UNIQUE_ID);

let db: StoreDb;
beforeEach(() => {
  db = StoreDb.open(':memory:');
});
afterEach(() => db.close());

/** Installs the root and issuing CA so that leaves chain to a machine Root. */
function trustChain(ctx: DeviceContext): void {
  const h = hierarchy();
  const r = windowsAdapter.deliver(
    ctx,
    message([trustedAdd(h.root, 1), trustedAdd(h.issuing, 2, { store: 'CA' })]),
  );
  expect(r.outcomes.map((o) => o.code)).toEqual(['OK', 'OK']);
}

function deliverAtomic(ctx: DeviceContext, atomic: SyncmlContainer) {
  const result = windowsAdapter.deliver(ctx, message([atomic]), {
    profileId: 'pkcs-1',
    renewalThreshold: 25,
  });
  return { ...result, read: reply(result.reply) };
}

type Key = 'rsa2048' | 'rsa4096' | 'p256';
const keyOf = (k: Key) => (k === 'rsa2048' ? poolKey('rsa2048', 2) : poolKey(k));

describe('PFXCertInstall: key storage providers (CCI KeyLocation, issue 4 key stores)', () => {
  // The same rules for every Windows enrollment kind: docs/formats.md §2.3 (CCI) ties KeyLocation, PFXKeyExportable
  // and PFXCertPasswordEncryptionType to the device (TPM, management certificate), never to how it joined.
  describe.each(WINDOWS_KINDS)('%s', (kind) => {
    it.each<
      [
        string,
        boolean,
        Partial<PfxInstall>,
        Key,
        string,
        string | undefined,
        boolean | undefined,
        string | undefined,
      ]
    >([
      // name, tpm, install, key, code, ksp, exportable, cspStatus
      ['KL1 with a TPM → TPM', true, { keyLocation: 1 }, 'rsa2048', 'OK', 'tpm', false, '0x00000000'],
      [
        'KL1 without a TPM → fails',
        false,
        { keyLocation: 1 },
        'rsa2048',
        'INSTALL_KSP_UNAVAILABLE',
        undefined,
        undefined,
        '0x80090035',
      ],
      ['KL2 with a TPM → TPM', true, { keyLocation: 2 }, 'rsa2048', 'OK', 'tpm', false, '0x00000000'],
      [
        'KL2 without a TPM → software',
        false,
        { keyLocation: 2 },
        'rsa2048',
        'OK',
        'software',
        false,
        '0x00000000',
      ],
      [
        'KL3 → software, not exportable',
        true,
        { keyLocation: 3 },
        'rsa2048',
        'OK',
        'software',
        false,
        '0x00000000',
      ],
      [
        'KL3 + PFXKeyExportable → exportable',
        true,
        { keyLocation: 3, keyExportable: true },
        'rsa2048',
        'OK',
        'software',
        true,
        '0x00000000',
      ],
      [
        'KL4 with a container → Windows Hello',
        true,
        { keyLocation: 4, containerName: 'WHfB-1' },
        'rsa2048',
        'OK',
        'passport',
        false,
        '0x00000000',
      ],
      [
        'KL3 RSA-4096 → software holds it',
        false,
        { keyLocation: 3 },
        'rsa4096',
        'OK',
        'software',
        false,
        '0x00000000',
      ],
      [
        'KL1 RSA-4096 → TPM cannot',
        true,
        { keyLocation: 1 },
        'rsa4096',
        'INSTALL_KSP_KEY_SIZE',
        undefined,
        undefined,
        '0x80090029',
      ],
      [
        'KL2 RSA-4096 with a TPM → TPM cannot',
        true,
        { keyLocation: 2 },
        'rsa4096',
        'INSTALL_KSP_KEY_SIZE',
        undefined,
        undefined,
        '0x80090029',
      ],
      [
        'KL4 RSA-4096 → Hello is 2048 only',
        true,
        { keyLocation: 4, containerName: 'c' },
        'rsa4096',
        'INSTALL_KSP_KEY_SIZE',
        undefined,
        undefined,
        '0x80090029',
      ],
      [
        'KL4 EC P-256 → Hello is RSA-2048 only',
        true,
        { keyLocation: 4, containerName: 'c' },
        'p256',
        'INSTALL_KSP_KEY_SIZE',
        undefined,
        undefined,
        '0x80090029',
      ],
      ['KL1 EC P-256 → TPM', true, { keyLocation: 1 }, 'p256', 'OK', 'tpm', false, '0x00000000'],
    ])('%s', (_name, tpm, params, key, code, ksp, exportable, csp) => {
      const ctx = ctxFor(db, { tpm, kind });
      trustChain(ctx);
      const h = key === 'rsa2048' ? hierarchy() : leafWith({ key: keyOf(key) });
      const before = snapshot(ctx);
      const { outcomes, read } = deliverAtomic(ctx, pfxAtomic(pfxInstall({ pfxBlob: pfxOf(h), ...params })));
      expect(outcomes).toHaveLength(1);
      const [o] = outcomes;
      expect(o?.code).toBe(code);
      expect(o?.payload).toBe(NODE);
      expect(o?.native).toMatchObject({ platform: 'windows', cspStatus: csp });
      const items = db.items(ctx.device.id, { ref: NODE });
      if (ksp === undefined) {
        expect(o?.status).toBe('failed');
        expect(o?.native).toMatchObject({ syncml: 500, intune: '0x87D101F4' });
        expect(read.statuses.get(2)?.code).toBe(507);
        expect(snapshot(ctx)).toEqual(before);
        return;
      }
      expect(o?.status).toBe('installed');
      expect(read.statuses.get(2)?.code).toBe(200);
      expect(items).toHaveLength(1);
      expect(items[0]).toMatchObject({
        store: 'windows/machine/My',
        kind: 'identity',
        thumbprint: h.leaf.sha1Thumbprint,
      });
      expect(items[0]?.attrs).toMatchObject({
        ksp,
        exportable,
        trusted: true,
        keyLocation: params.keyLocation,
      });
      expect(
        items[0]?.privateKey?.equals(h.leafKey.privateKey.export({ type: 'pkcs8', format: 'der' })),
      ).toBe(true);
    });

    it.each<[string, (a: SyncmlContainer) => SyncmlContainer, string, string]>([
      [
        'PFXKeyExportable true with KeyLocation 2 (codec-reported) → INSTALL_EXPORT_NOT_ALLOWED',
        (a) => patchLeaf(a, 'KeyLocation', '2'),
        'INSTALL_EXPORT_NOT_ALLOWED',
        '0x80090029',
      ],
      [
        'KeyLocation 4 without ContainerName (codec-reported) → INSTALL_CONTAINER_REQUIRED',
        (a) => patchLeaf(a, 'KeyLocation', '4'),
        'INSTALL_CONTAINER_REQUIRED',
        '0x80090016',
      ],
    ])('%s', (_name, patch, code, csp) => {
      const ctx = ctxFor(db, { kind });
      const before = snapshot(ctx);
      const install = pfxInstall({
        pfxBlob: pfxOf(hierarchy()),
        keyLocation: 3,
        keyExportable: code === 'INSTALL_EXPORT_NOT_ALLOWED',
      });
      const atomic = patch(pfxAtomic(install));
      const blobCmd = atomic.children.at(-1)?.cmdId ?? -1;
      const { outcomes, read } = deliverAtomic(ctx, atomic);
      expect(outcomes.map((o) => [o.payload, o.code, o.native])).toEqual([
        [NODE, code, { platform: 'windows', syncml: 500, cspStatus: csp, intune: '0x87D101F4' }],
      ]);
      expect(read.statuses.get(2)?.code).toBe(507);
      expect(read.statuses.get(blobCmd)?.code).toBe(500);
      expect(read.statuses.get(3)?.code).toBe(216);
      expect(snapshot(ctx)).toEqual(before);
    });
  });
});

describe('PFXCertInstall: per enrollment kind and scope', () => {
  describe.each(WINDOWS_KINDS)('%s', (kind) => {
    it.each<['Device' | 'User', string]>([
      ['Device', 'windows/machine/My'],
      ['User', 'windows/user/My'],
    ])('%s scope installs into %s, key not exportable, meta kept for renewal', (scope, store) => {
      const ctx = ctxFor(db, { kind });
      trustChain(ctx);
      const { outcomes } = deliverAtomic(ctx, pfxAtomic(pfxInstall({ scope, pfxBlob: pfxOf(hierarchy()) })));
      const node = pfxLocUri(scope, UNIQUE_ID);
      expect(outcomes.map((o) => [o.payload, o.status, o.code])).toEqual([[node, 'installed', 'OK']]);
      expect(db.items(ctx.device.id, { ref: node }).map((i) => [i.store, i.attrs.exportable])).toEqual([
        [store, false],
      ]);
      expect(db.profile(ctx.device.id, node)?.meta).toMatchObject({
        profileId: 'pkcs-1',
        renewalThreshold: 25,
        thumbprint: hierarchy().leaf.sha1Thumbprint,
        status: 0,
      });
    });
  });
});

describe('PFX password (PFXCertPasswordEncryptionType)', () => {
  const other = () => managementIdentity(6);
  // The same rules for every Windows enrollment kind: docs/formats.md §2.3 (CCI) ties KeyLocation, PFXKeyExportable
  // and PFXCertPasswordEncryptionType to the device (TPM, management certificate), never to how it joined.
  describe.each(WINDOWS_KINDS)('%s', (kind) => {
    it.each<
      [
        string,
        { identity?: 'own' | 'none' | 'other'; type: 0 | 1; password: () => string },
        string,
        string | undefined,
      ]
    >([
      ['clear password, right', { type: 0, password: () => PASSWORD }, 'OK', '0x00000000'],
      ['clear password, wrong', { type: 0, password: () => 'nope' }, 'PKCS12_BAD_PASSWORD', '0x00000056'],
      [
        'CMS to this device, right',
        { type: 1, password: () => encryptPfxPasswordForDevice(PASSWORD, managementIdentity(5).certificate) },
        'OK',
        '0x00000000',
      ],
      [
        'CMS (PKCS#1 v1.5 key transport) to this device',
        {
          type: 1,
          password: () =>
            encryptPfxPasswordForDevice(PASSWORD, managementIdentity(5).certificate, {
              keyTransport: 'rsa-pkcs1',
            }),
        },
        'OK',
        '0x00000000',
      ],
      [
        'CMS to this device, wrong password inside',
        { type: 1, password: () => encryptPfxPasswordForDevice('wrong', managementIdentity(5).certificate) },
        'PKCS12_BAD_PASSWORD',
        '0x00000056',
      ],
      [
        'CMS to another device',
        { type: 1, password: () => encryptPfxPasswordForDevice(PASSWORD, other().certificate) },
        'INSTALL_PASSWORD_UNDECRYPTABLE',
        '0x8009200C',
      ],
      [
        'CMS but the device has no management identity',
        {
          identity: 'none',
          type: 1,
          password: () => encryptPfxPasswordForDevice(PASSWORD, managementIdentity(5).certificate),
        },
        'INSTALL_PASSWORD_UNDECRYPTABLE',
        '0x8009200C',
      ],
      [
        'type 1 with a clear-text password',
        { type: 1, password: () => PASSWORD },
        'INSTALL_PASSWORD_UNDECRYPTABLE',
        '0x80092002',
      ],
    ])('%s', (_name, o, code, csp) => {
      const ctx = ctxFor(db, { kind, identity: o.identity === 'none' ? null : undefined });
      trustChain(ctx);
      const before = snapshot(ctx);
      const install = pfxInstall({
        pfxBlob: pfxOf(hierarchy()),
        passwordEncryptionType: o.type,
        password: o.password(),
      });
      const atomic = pfxAtomic(install);
      const { outcomes, read } = deliverAtomic(ctx, atomic);
      expect(
        outcomes.map((x) => [x.code, x.native.platform === 'windows' ? x.native.cspStatus : '']),
      ).toEqual([[code, csp]]);
      for (const x of outcomes) expect(x.message).not.toContain(PASSWORD);
      if (code === 'OK') return;
      // 507 on the Atomic, 500 on the blob, 216 on every other command.
      const blob = atomic.children.at(-1)?.cmdId ?? -1;
      expect([read.headerStatus?.code, read.headerStatus?.msgRef, read.msgId]).toEqual([200, 3, 4]);
      const expected: Record<number, number> = { 2: 507 };
      for (const c of atomic.children) expected[c.cmdId] = c.cmdId === blob ? 500 : 216;
      expect(codes(read)).toEqual(expected);
      expect(snapshot(ctx)).toEqual(before);
    });
  });

  it('a corrupt PFX blob → PKCS12_PARSE with CRYPT_E_BAD_ENCODE, nothing stored', () => {
    const ctx = ctxFor(db);
    const before = snapshot(ctx);
    const { outcomes } = deliverAtomic(
      ctx,
      pfxAtomic(pfxInstall({ pfxBlob: Buffer.from('not a pfx at all') })),
    );
    expect(outcomes.map((o) => [o.code, o.native])).toEqual([
      ['PKCS12_PARSE', { platform: 'windows', syncml: 500, cspStatus: '0x80092002', intune: '0x87D101F4' }],
    ]);
    expect(snapshot(ctx)).toEqual(before);
  });
});

describe('PFXCertBlob that is not base64 (codec-reported)', () => {
  it('→ PKCS12_PARSE, 500 on the blob, 507 on the Atomic, nothing stored', () => {
    const ctx = ctxFor(db);
    const before = snapshot(ctx);
    const atomic = patchLeaf(
      pfxAtomic(pfxInstall({ pfxBlob: pfxOf(hierarchy()) })),
      'PFXCertBlob',
      'not*base64',
    );
    const { outcomes, read } = deliverAtomic(ctx, atomic);
    expect(outcomes.map((o) => [o.payload, o.code, o.native])).toEqual([
      [
        NODE,
        'PKCS12_PARSE',
        { platform: 'windows', syncml: 500, cspStatus: '0x80092002', intune: '0x87D101F4' },
      ],
    ]);
    expect(read.statuses.get(2)?.code).toBe(507);
    expect(snapshot(ctx)).toEqual(before);
  });
});

describe('PFXCertInstall: chain and validity (installed anyway, trusted=false)', () => {
  it.each<[string, boolean, () => ReturnType<typeof hierarchy>, string]>([
    ['chain to an installed machine Root', true, hierarchy, 'OK'],
    ['no root installed', false, hierarchy, 'INSTALL_UNTRUSTED_CHAIN'],
    [
      'expired leaf',
      true,
      () =>
        leafWith({
          notBefore: new Date(T0.getTime() - YEAR),
          notAfter: new Date(NOW.getTime() - 86_400_000),
        }),
      'INSTALL_CERT_EXPIRED',
    ],
    [
      'not yet valid leaf',
      true,
      () => leafWith({ notBefore: new Date(NOW.getTime() + 86_400_000) }),
      'INSTALL_CERT_EXPIRED',
    ],
  ])('%s', (_name, withChain, make, code) => {
    const ctx = ctxFor(db);
    if (withChain) trustChain(ctx);
    const h = make();
    const { outcomes, read } = deliverAtomic(ctx, pfxAtomic(pfxInstall({ pfxBlob: pfxOf(h) })));
    expect(
      outcomes.map((o) => [o.status, o.code, o.native.platform === 'windows' && o.native.syncml]),
    ).toEqual([['installed', code, 200]]);
    expect(read.statuses.get(2)?.code).toBe(200);
    const item = db.items(ctx.device.id, { ref: NODE })[0];
    expect(item?.attrs.trusted).toBe(code === 'OK');
    expect(windowsAdapter.held(ctx, 'admin').find((x) => x.ref === NODE)?.trusted).toBe(code === 'OK');
  });

  it('a leaf installed before its root becomes trusted in held() once the root arrives', () => {
    const ctx = ctxFor(db);
    deliverAtomic(ctx, pfxAtomic(pfxInstall({ pfxBlob: pfxOf(hierarchy()) })));
    const held = windowsAdapter.held(ctx, 'admin');
    expect(held.filter((x) => x.kind === 'identity').map((x) => x.trusted)).toEqual([false]);
    // the issuing CA the PFX carried went to the CA store with it (no root yet: not trusted either)
    expect(held.filter((x) => x.kind === 'intermediate').map((x) => [x.store, x.trusted])).toEqual([
      ['windows/machine/CA', false],
    ]);
    trustChain(ctx);
    expect(windowsAdapter.held(ctx, 'admin').find((x) => x.ref === NODE)?.trusted).toBe(true);
  });
});

describe('PFXCertInstall: duplicates, replace, delete, Gets', () => {
  it('the same PFX twice → UNCHANGED and nothing changes; another PFX by Add → 418; by Replace → replaced', () => {
    const ctx = ctxFor(db);
    trustChain(ctx);
    const first = pfxInstall({ pfxBlob: pfxOf(hierarchy()) });
    expect(deliverAtomic(ctx, pfxAtomic(first)).outcomes[0]?.code).toBe('OK');
    const after = snapshot(ctx);
    // Re-sent with another password blob (e.g. re-encrypted): same installed content.
    const again = deliverAtomic(ctx, pfxAtomic(first));
    expect(again.outcomes.map((o) => [o.status, o.code])).toEqual([['installed', 'UNCHANGED']]);
    expect(again.read.statuses.get(2)?.code).toBe(200);
    expect(snapshot(ctx)).toEqual(after);

    const other = leafWith({ key: poolKey('rsa2048', 3), subject: 'CN=Grace Hopper,O=Contoso' });
    const add = deliverAtomic(ctx, pfxAtomic(pfxInstall({ pfxBlob: pfxOf(other) })));
    expect(add.outcomes.map((o) => [o.code, o.native.platform === 'windows' && o.native.syncml])).toEqual([
      ['INSTALL_ALREADY_EXISTS', 418],
    ]);
    expect(add.read.statuses.get(2)?.code).toBe(507);
    expect(snapshot(ctx)).toEqual(after);

    const atomic = pfxAtomic(pfxInstall({ pfxBlob: pfxOf(other) }));
    const blob = atomic.children.at(-1);
    const replaceAtomic: SyncmlContainer = {
      ...atomic,
      children: atomic.children.map((c) =>
        c === blob ? { ...c, kind: 'Replace' } : c,
      ) as SyncmlContainer['children'],
    };
    const replaced = deliverAtomic(ctx, replaceAtomic);
    expect(replaced.outcomes.map((o) => o.code)).toEqual(['OK']);
    expect(db.items(ctx.device.id, { ref: NODE }).map((i) => i.thumbprint)).toEqual([
      other.leaf.sha1Thumbprint,
    ]);
  });

  it('Replace of PFXCertBlob on a node that does not exist → 404 INSTALL_NOT_FOUND', () => {
    const ctx = ctxFor(db);
    const atomic = pfxAtomic(pfxInstall({ pfxBlob: pfxOf(hierarchy()) }));
    const blob = atomic.children.at(-1);
    const replaceAtomic = {
      ...atomic,
      children: atomic.children.map((c) => (c === blob ? { ...c, kind: 'Replace' } : c)),
    } as SyncmlContainer;
    const { outcomes } = deliverAtomic(ctx, replaceAtomic);
    expect(outcomes.map((o) => [o.code, o.native.platform === 'windows' && o.native.syncml])).toEqual([
      ['INSTALL_NOT_FOUND', 404],
    ]);
  });

  it('Delete of PFXCertInstall/{id} removes exactly what that node installed', () => {
    const ctx = ctxFor(db);
    trustChain(ctx);
    const otherId = '0B1F6D2A-1111-4222-8333-444455556666';
    const other = leafWith({ key: poolKey('rsa2048', 4), subject: 'CN=Other' });
    deliverAtomic(ctx, pfxAtomic(pfxInstall({ pfxBlob: pfxOf(hierarchy()) })));
    deliverAtomic(ctx, pfxAtomic(pfxInstall({ uniqueId: otherId, pfxBlob: pfxOf(other) })));
    const del = windowsAdapter.deliver(
      ctx,
      message([{ kind: 'Delete', cmdId: 4, items: [{ target: NODE }] }]),
    );
    expect(del.outcomes.map((o) => [o.payload, o.code])).toEqual([[NODE, 'OK']]);
    expect(codes(reply(del.reply))[4]).toBe(200);
    expect(db.items(ctx.device.id, { storePrefix: 'windows/machine/My' }).map((i) => i.ref)).toEqual([
      pfxLocUri('Device', otherId),
    ]);
    expect(db.items(ctx.device.id, { storePrefix: 'windows/machine/Root' })).toHaveLength(1);
    const again = windowsAdapter.deliver(
      ctx,
      message([{ kind: 'Delete', cmdId: 4, items: [{ target: NODE }] }]),
    );
    expect(again.outcomes.map((o) => o.code)).toEqual(['INSTALL_NOT_FOUND']);
    expect(codes(reply(again.reply))[4]).toBe(404);
  });

  it('Get of Status and Thumbprint: 0 and the SHA-1 after an install, 404 after a failed one', () => {
    const ctx = ctxFor(db);
    trustChain(ctx);
    const get = {
      kind: 'Get' as const,
      cmdId: 30,
      items: [
        { target: pfxLocUri('Device', UNIQUE_ID, 'Status') },
        { target: pfxLocUri('Device', UNIQUE_ID, 'Thumbprint') },
      ],
    };
    const bad = windowsAdapter.deliver(
      ctx,
      message([pfxAtomic(pfxInstall({ pfxBlob: pfxOf(hierarchy()), password: 'wrong' })), get]),
    );
    expect(codes(reply(bad.reply))[30]).toBe(404);
    const good = windowsAdapter.deliver(
      ctx,
      message([pfxAtomic(pfxInstall({ pfxBlob: pfxOf(hierarchy()) })), get]),
    );
    const read = reply(good.reply);
    expect(codes(read)[30]).toBe(200);
    expect(read.results.get(30)?.items.map((i) => [i.source, i.data])).toEqual([
      [pfxLocUri('Device', UNIQUE_ID, 'Status'), '0'],
      [pfxLocUri('Device', UNIQUE_ID, 'Thumbprint'), hierarchy().leaf.sha1Thumbprint],
    ]);
  });
});
