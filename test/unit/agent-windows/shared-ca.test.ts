import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { StoreDb } from '../../../agent/keystore/store-db.ts';
import type { DeviceContext } from '../../../agent/platform-adapter.ts';
import { windowsAdapter } from '../../../agent/platforms/windows/index.ts';
import { pfxLocUri } from '../../../profiles/windows/pfx-cert-install.ts';
import { trustedCertLocUri } from '../../../profiles/windows/root-ca-trusted-certificates.ts';
import type { SyncmlCommand } from '../../../profiles/windows/syncml-model.ts';
import {
  codes,
  ctxFor,
  hierarchy,
  message,
  pfxAtomic,
  pfxInstall,
  pfxOf,
  reply,
  trustedAdd,
  UNIQUE_ID,
} from './fixtures.ts';

const PFX_NODE = pfxLocUri('Device', UNIQUE_ID);
const CA_NODE = (): string => trustedCertLocUri('Device', 'CA', hierarchy().issuing.sha1Thumbprint);

let db: StoreDb;
beforeEach(() => {
  db = StoreDb.open(':memory:');
});
afterEach(() => db.close());

const del = (target: string, cmdId: number): SyncmlCommand => ({
  kind: 'Delete',
  cmdId,
  items: [{ target }],
});

/** The thumbprints in the machine CA store. */
function caStore(ctx: DeviceContext): string[] {
  return db.items(ctx.device.id, { store: 'windows/machine/CA' }).map((i) => i.thumbprint);
}

function deliver(ctx: DeviceContext, body: SyncmlCommand[]): string[] {
  const r = windowsAdapter.deliver(ctx, message(body));
  return r.outcomes.map((o) => o.code);
}

const installRca = (ctx: DeviceContext): string[] =>
  deliver(ctx, [trustedAdd(hierarchy().root, 1), trustedAdd(hierarchy().issuing, 2, { store: 'CA' })]);
const installPfx = (ctx: DeviceContext): string[] =>
  deliver(ctx, [pfxAtomic(pfxInstall({ pfxBlob: pfxOf(hierarchy()) }), 3)]);

describe('regression issue 4: a CA certificate held by a RootCATrustedCertificates node and a PFX node', () => {
  it.each<[string, (ctx: DeviceContext) => void]>([
    [
      'trusted-certificate profile (root + CA), then PFX',
      (ctx) => {
        expect(installRca(ctx)).toEqual(['OK', 'OK']);
        expect(installPfx(ctx)).toEqual(['OK']);
      },
    ],
    [
      'PFX, then trusted-certificate profile (root + CA)',
      (ctx) => {
        expect(installPfx(ctx)).toEqual(['INSTALL_UNTRUSTED_CHAIN']);
        expect(installRca(ctx)).toEqual(['OK', 'OK']);
      },
    ],
  ])('%s: Delete of the PFX node leaves the CA; Delete of the RCA node then removes it', (_name, setup) => {
    const ctx = ctxFor(db);
    const issuing = hierarchy().issuing.sha1Thumbprint;
    setup(ctx);
    expect(caStore(ctx)).toEqual([issuing]);

    const r = windowsAdapter.deliver(ctx, message([del(PFX_NODE, 10)]));
    expect(r.outcomes.map((o) => o.code)).toEqual(['OK']);
    expect(r.outcomes[0]?.message).toContain('kept because another node still holds them');
    expect(caStore(ctx)).toEqual([issuing]);
    expect(db.items(ctx.device.id, { store: 'windows/machine/My' })).toEqual([]);
    const [ca] = db.items(ctx.device.id, { store: 'windows/machine/CA' });
    expect(ca?.ref).toBe(CA_NODE());
    expect(ca?.attrs.sharedWith).toBeUndefined();
    // The RCA node still answers its Gets.
    const get = windowsAdapter.deliver(
      ctx,
      message([{ kind: 'Get', cmdId: 11, items: [{ target: `${CA_NODE()}/EncodedCertificate` }] }]),
    );
    expect(codes(reply(get.reply))[11]).toBe(200);
    expect(windowsAdapter.held(ctx, 'admin').map((h) => [h.kind, h.trusted])).toEqual([
      ['root', true],
      ['intermediate', true],
    ]);

    expect(deliver(ctx, [del(CA_NODE(), 12)])).toEqual(['OK']);
    expect(caStore(ctx)).toEqual([]);
  });

  it.each<[string, (ctx: DeviceContext) => void]>([
    ['RCA then PFX', (ctx) => (installRca(ctx), installPfx(ctx))],
    ['PFX then RCA', (ctx) => (installPfx(ctx), installRca(ctx))],
  ])(
    '%s: Delete of the RCA node leaves the CA for the PFX; Delete of the PFX then removes it',
    (_n, setup) => {
      const ctx = ctxFor(db);
      setup(ctx);
      const r = windowsAdapter.deliver(ctx, message([del(CA_NODE(), 10)]));
      expect(r.outcomes.map((o) => o.code)).toEqual(['OK']);
      expect(caStore(ctx)).toEqual([hierarchy().issuing.sha1Thumbprint]);
      // The RCA node is gone: its Gets are 404 although the PFX still holds the certificate.
      const get = windowsAdapter.deliver(
        ctx,
        message([{ kind: 'Get', cmdId: 11, items: [{ target: `${CA_NODE()}/EncodedCertificate` }] }]),
      );
      expect(codes(reply(get.reply))[11]).toBe(404);
      expect(windowsAdapter.remove(ctx, UNIQUE_ID).code).toBe('OK');
      expect(caStore(ctx)).toEqual([]);
    },
  );

  it('a renewal (Delete of the PFX node then Atomic Add, one message) keeps the profile CA', () => {
    const ctx = ctxFor(db);
    installRca(ctx);
    installPfx(ctx);
    const r = windowsAdapter.deliver(
      ctx,
      message([del(PFX_NODE, 20), pfxAtomic(pfxInstall({ pfxBlob: pfxOf(hierarchy()) }), 21)]),
    );
    expect(r.outcomes.every((o) => o.status === 'installed')).toBe(true);
    expect(deliver(ctx, [del(PFX_NODE, 30)])).toEqual(['OK']);
    expect(caStore(ctx)).toEqual([hierarchy().issuing.sha1Thumbprint]);
    expect(db.items(ctx.device.id, { store: 'windows/machine/CA' })[0]?.ref).toBe(CA_NODE());
  });
});
