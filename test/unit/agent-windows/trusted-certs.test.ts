import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { StoreDb } from '../../../agent/keystore/store-db.ts';
import { windowsAdapter } from '../../../agent/platforms/windows/index.ts';
import { createCertificate } from '../../../pki/certificate.ts';
import { trustedCertLocUri } from '../../../profiles/windows/root-ca-trusted-certificates.ts';
import type { SyncmlItemCommand } from '../../../profiles/windows/syncml-model.ts';
import { poolKey } from '../../fixtures/key-pool.ts';
import { T0, YEAR } from '../pki/hierarchy.ts';
import {
  codes,
  ctxFor,
  hierarchy,
  message,
  NOW,
  reply,
  snapshot,
  trustedAdd,
  WINDOWS_KINDS,
} from './fixtures.ts';

let db: StoreDb;
beforeEach(() => {
  db = StoreDb.open(':memory:');
});
afterEach(() => db.close());

const selfSigned = (o: { ca?: boolean; notAfter?: Date; index?: number }) => {
  const key = poolKey('rsa2048', o.index ?? 7);
  return createCertificate({
    subject: `CN=Self ${String(o.ca)},O=Certfleet`,
    publicKey: key.publicKey,
    issuer: 'self',
    signingKey: key.privateKey,
    serialNumber: '77',
    notBefore: T0,
    notAfter: o.notAfter ?? new Date(T0.getTime() + 5 * YEAR),
    ...(o.ca === undefined ? {} : { extensions: { basicConstraints: { ca: o.ca } } }),
  });
};

describe('RootCATrustedCertificates Add (RCA, docs/formats.md §2.4)', () => {
  type Row = [
    string,
    () => SyncmlItemCommand,
    string /* code */,
    'installed' | 'failed',
    number /* syncml */,
    string | undefined /* cspStatus */,
    string | undefined /* store */,
  ];
  it.each<Row>([
    [
      'root into ./Device Root',
      () => trustedAdd(hierarchy().root, 1),
      'OK',
      'installed',
      200,
      '0x00000000',
      'windows/machine/Root',
    ],
    [
      'intermediate into ./Device CA (root absent: installed, untrusted)',
      () => trustedAdd(hierarchy().issuing, 1, { store: 'CA' }),
      'INSTALL_UNTRUSTED_CHAIN',
      'installed',
      200,
      '0x00000000',
      'windows/machine/CA',
    ],
    [
      'intermediate into ./User CA',
      () => trustedAdd(hierarchy().issuing, 1, { store: 'CA', scope: 'User' }),
      'INSTALL_UNTRUSTED_CHAIN',
      'installed',
      200,
      '0x00000000',
      'windows/user/CA',
    ],
    [
      'root into ./User Root → 405',
      () => {
        const add = trustedAdd(hierarchy().root, 1);
        const item = add.items[0]!;
        return { ...add, items: [{ ...item, target: item.target!.replace('./Device/', './User/') }] };
      },
      'INSTALL_STORE_NOT_SUPPORTED',
      'failed',
      405,
      undefined,
      undefined,
    ],
    [
      'the RCA TrustedPeople store (any certificate, no chain check) → installed',
      () => trustedAdd(hierarchy().root, 1, { store: 'TrustedPeople' }),
      'OK',
      'installed',
      200,
      '0x00000000',
      'windows/machine/TrustedPeople',
    ],
    [
      'bytes that are not a certificate → CERT_PARSE',
      () => trustedAdd(Buffer.from('garbage-not-der'), 1),
      'CERT_PARSE',
      'failed',
      500,
      '0x8009310B',
      undefined,
    ],
    [
      'base64 with a line break (codec-reported) → CERT_PARSE',
      () => {
        const add = trustedAdd(hierarchy().root, 1);
        const item = add.items[0]!;
        return { ...add, items: [{ ...item, data: `${item.data!.slice(0, 64)}\n${item.data!.slice(64)}` }] };
      },
      'CERT_PARSE',
      'failed',
      500,
      '0x8009310B',
      undefined,
    ],
    [
      'a leaf into Root → INSTALL_NOT_A_CA',
      () => trustedAdd(hierarchy().leaf, 1),
      'INSTALL_NOT_A_CA',
      'failed',
      500,
      undefined,
      undefined,
    ],
    [
      'a leaf into CA → INSTALL_NOT_A_CA',
      () => trustedAdd(hierarchy().leaf, 1, { store: 'CA' }),
      'INSTALL_NOT_A_CA',
      'failed',
      500,
      undefined,
      undefined,
    ],
    [
      'self-signed cA=false into Root → INSTALL_NOT_A_CA',
      () => trustedAdd(selfSigned({ ca: false }), 1),
      'INSTALL_NOT_A_CA',
      'failed',
      500,
      undefined,
      undefined,
    ],
    [
      'self-signed v1-style root (no basicConstraints) into Root',
      () => trustedAdd(selfSigned({}), 1),
      'OK',
      'installed',
      200,
      '0x00000000',
      'windows/machine/Root',
    ],
    [
      'self-signed root without basicConstraints into CA → INSTALL_NOT_A_CA',
      () => trustedAdd(selfSigned({}), 1, { store: 'CA' }),
      'INSTALL_NOT_A_CA',
      'failed',
      500,
      undefined,
      undefined,
    ],
    [
      'an expired root: installed, not trusted',
      () => trustedAdd(selfSigned({ ca: true, notAfter: new Date(NOW.getTime() - 1000) }), 1),
      'INSTALL_CERT_EXPIRED',
      'installed',
      200,
      '0x00000000',
      'windows/machine/Root',
    ],
    [
      'node name is another 40-hex thumbprint: tolerated',
      () => trustedAdd(hierarchy().root, 1, { node: '0123456789ABCDEF0123456789ABCDEF01234567' }),
      'OK',
      'installed',
      200,
      '0x00000000',
      'windows/machine/Root',
    ],
    [
      'free-text node name (FLEET): tolerated',
      () => trustedAdd(hierarchy().root, 1, { node: 'MyOrgRootCA' }),
      'OK',
      'installed',
      200,
      '0x00000000',
      'windows/machine/Root',
    ],
  ])('%s', (_name, make, code, status, syncml, csp, store) => {
    const ctx = ctxFor(db);
    const before = snapshot(ctx);
    const cmd = make();
    const r = windowsAdapter.deliver(ctx, message([cmd]), { profileId: 'trusted-1' });
    expect(r.outcomes).toHaveLength(1);
    const [o] = r.outcomes;
    expect([o?.status, o?.code]).toEqual([status, code]);
    expect(o?.native).toEqual({
      platform: 'windows',
      syncml,
      ...(csp === undefined ? {} : { cspStatus: csp }),
      ...(syncml >= 400 ? { intune: `0x87D10${syncml.toString(16).toUpperCase()}` } : {}),
    });
    expect(codes(reply(r.reply))).toEqual({ 1: syncml });
    const items = db.items(ctx.device.id);
    if (store === undefined) {
      expect(snapshot(ctx)).toEqual(before);
      return;
    }
    expect(items.map((i) => [i.store, i.kind, i.ref, i.attrs.trusted])).toEqual([
      [store, 'certificate', o?.payload, code === 'OK'],
    ]);
    if (/node name/.test(_name)) expect(o?.message).toMatch(/not the certificate's SHA-1/);
  });

  it('root then intermediate: the intermediate is trusted; Add again → 418 UNCHANGED; other content → 418; Replace → replaced', () => {
    const ctx = ctxFor(db);
    const h = hierarchy();
    const first = windowsAdapter.deliver(
      ctx,
      message([trustedAdd(h.root, 1), trustedAdd(h.issuing, 2, { store: 'CA' })]),
    );
    expect(first.outcomes.map((o) => o.code)).toEqual(['OK', 'OK']);
    const after = snapshot(ctx);
    const again = windowsAdapter.deliver(
      ctx,
      message([trustedAdd(h.root, 1), trustedAdd(h.issuing, 2, { store: 'CA' })]),
    );
    expect(again.outcomes.map((o) => [o.status, o.code])).toEqual([
      ['installed', 'UNCHANGED'],
      ['installed', 'UNCHANGED'],
    ]);
    // OMADM 418 "Already exists" for an Add of an existing node; the certificates stay installed
    expect(codes(reply(again.reply))).toEqual({ 1: 418, 2: 418 });
    expect(snapshot(ctx)).toEqual(after);

    const other = selfSigned({ ca: true, index: 8 });
    const clash = windowsAdapter.deliver(
      ctx,
      message([trustedAdd(other, 1, { node: h.root.sha1Thumbprint })]),
    );
    expect(clash.outcomes.map((o) => o.code)).toEqual(['INSTALL_ALREADY_EXISTS']);
    expect(codes(reply(clash.reply))).toEqual({ 1: 418 });
    expect(snapshot(ctx)).toEqual(after);

    const replace = { ...trustedAdd(other, 1, { node: h.root.sha1Thumbprint }), kind: 'Replace' as const };
    const replaced = windowsAdapter.deliver(ctx, message([replace]));
    expect(replaced.outcomes.map((o) => o.code)).toEqual(['OK']);
    expect(db.items(ctx.device.id, { store: 'windows/machine/Root' }).map((i) => i.thumbprint)).toEqual([
      other.sha1Thumbprint,
    ]);
  });

  it('Delete of a RootCA node removes that certificate only; an unknown node → 404', () => {
    const ctx = ctxFor(db);
    const h = hierarchy();
    windowsAdapter.deliver(ctx, message([trustedAdd(h.root, 1), trustedAdd(h.issuing, 2, { store: 'CA' })]));
    const node = trustedCertLocUri('Device', 'CA', h.issuing.sha1Thumbprint);
    const del = windowsAdapter.deliver(
      ctx,
      message([{ kind: 'Delete', cmdId: 5, items: [{ target: node }] }]),
    );
    expect(del.outcomes.map((o) => [o.payload, o.code])).toEqual([[node, 'OK']]);
    expect(db.items(ctx.device.id).map((i) => i.store)).toEqual(['windows/machine/Root']);
    const again = windowsAdapter.deliver(
      ctx,
      message([{ kind: 'Delete', cmdId: 5, items: [{ target: node }] }]),
    );
    expect(again.outcomes.map((o) => o.code)).toEqual(['INSTALL_NOT_FOUND']);
    expect(codes(reply(again.reply))).toEqual({ 5: 404 });
  });

  it('Get of the read-only leaves of an installed node', () => {
    const ctx = ctxFor(db);
    const h = hierarchy();
    const base = trustedCertLocUri('Device', 'Root', h.root.sha1Thumbprint);
    const r = windowsAdapter.deliver(
      ctx,
      message([
        trustedAdd(h.root, 1),
        {
          kind: 'Get',
          cmdId: 2,
          items: ['IssuedTo', 'IssuedBy', 'EncodedCertificate'].map((l) => ({ target: `${base}/${l}` })),
        },
        { kind: 'Get', cmdId: 3, items: [{ target: `${base}/Nope` }] },
      ]),
    );
    const read = reply(r.reply);
    expect(codes(read)).toEqual({ 1: 200, 2: 200, 3: 404 });
    expect(read.results.get(2)?.items.map((i) => i.data)).toEqual([
      h.root.subjectText,
      h.root.issuerText,
      h.root.der.toString('base64'),
    ]);
  });

  it.each(WINDOWS_KINDS)('%s: a root and an intermediate install and show in held()', (kind) => {
    const ctx = ctxFor(db, { kind });
    const h = hierarchy();
    windowsAdapter.deliver(
      ctx,
      message([trustedAdd(h.root, 1), trustedAdd(h.issuing, 2, { store: 'CA', scope: 'User' })]),
    );
    expect(windowsAdapter.held(ctx, 'user').map((x) => [x.kind, x.store, x.thumbprint, x.trusted])).toEqual([
      ['root', 'windows/machine/Root', h.root.sha1Thumbprint, true],
      ['intermediate', 'windows/user/CA', h.issuing.sha1Thumbprint, true],
    ]);
  });
});
