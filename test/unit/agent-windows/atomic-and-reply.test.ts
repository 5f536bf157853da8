import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { StoreDb } from '../../../agent/keystore/store-db.ts';
import { windowsAdapter } from '../../../agent/platforms/windows/index.ts';
import { pfxLocUri } from '../../../profiles/windows/pfx-cert-install.ts';
import type { SyncmlCommand, SyncmlContainer } from '../../../profiles/windows/syncml-model.ts';
import {
  codes,
  ctxFor,
  hierarchy,
  message,
  pfxAtomic,
  pfxInstall,
  pfxOf,
  reply,
  snapshot,
  trustedAdd,
  UNIQUE_ID,
} from './fixtures.ts';

/** One key for a file-backed store and its reopening (private keys are sealed: agent/keystore/sealed-key.ts). */
const STORE_KEY = Buffer.alloc(32, 7);

let db: StoreDb;
beforeEach(() => {
  db = StoreDb.open(':memory:');
});
afterEach(() => db.close());

const NODE = pfxLocUri('Device', UNIQUE_ID);

describe('Atomic: all or nothing (OMADM; docs/errors.md §1.1)', () => {
  type Row = [string, () => SyncmlCommand[], Record<number, number>, [string, string][]];
  const h = () => hierarchy();
  it.each<Row>([
    [
      'a root Add and a PFX with the wrong password in one Atomic → both rolled back',
      () => {
        const pfx = pfxAtomic(pfxInstall({ pfxBlob: pfxOf(h()), password: 'wrong' }), 10);
        return [{ kind: 'Atomic', cmdId: 1, children: [trustedAdd(h().root, 2), ...pfx.children] }];
      },
      { 1: 507, 2: 216, 11: 216, 12: 216, 13: 216, 14: 216, 15: 500 },
      [
        ['INSTALL_ROLLED_BACK', 'failed'],
        ['PKCS12_BAD_PASSWORD', 'failed'],
      ],
    ],
    [
      'a nested Atomic → inner 500, parent 507, nothing installed',
      () => {
        const inner: SyncmlContainer = {
          kind: 'Atomic',
          cmdId: 3,
          children: [trustedAdd(h().issuing, 4, { store: 'CA' })],
        };
        return [{ kind: 'Atomic', cmdId: 1, children: [trustedAdd(h().root, 2), inner] }];
      },
      { 1: 507, 2: 216, 3: 500, 4: 216 },
      [
        ['INSTALL_ROLLED_BACK', 'failed'],
        ['SYNCML_INVALID', 'failed'],
      ],
    ],
    [
      'a Get inside Atomic → 500, the Atomic 507',
      () => [
        {
          kind: 'Atomic',
          cmdId: 1,
          children: [
            trustedAdd(h().root, 2),
            { kind: 'Get', cmdId: 3, items: [{ target: './DevInfo/DevId' }] },
          ],
        },
      ],
      { 1: 507, 2: 216, 3: 500 },
      [['INSTALL_ROLLED_BACK', 'failed']],
    ],
    [
      'an Atomic of two good Adds → 200 each, both installed',
      () => [
        {
          kind: 'Atomic',
          cmdId: 1,
          children: [trustedAdd(h().root, 2), trustedAdd(h().issuing, 3, { store: 'CA' })],
        },
      ],
      { 1: 200, 2: 200, 3: 200 },
      [
        ['OK', 'installed'],
        ['OK', 'installed'],
      ],
    ],
  ])('%s', (_name, body, expected, outcomes) => {
    const ctx = ctxFor(db);
    const before = snapshot(ctx);
    const r = windowsAdapter.deliver(ctx, message(body()));
    const read = reply(r.reply);
    expect(codes(read)).toEqual(expected);
    expect(r.outcomes.map((o) => [o.code, o.status])).toEqual(outcomes);
    for (const o of r.outcomes) {
      // The outcome's native SyncML status is the reply's status of the command that carried it.
      if (o.native.platform === 'windows' && o.code === 'INSTALL_ROLLED_BACK')
        expect(o.native.syncml).toBe(216);
    }
    if (outcomes.every(([, s]) => s === 'failed')) expect(snapshot(ctx)).toEqual(before);
    else expect(db.items(ctx.device.id)).toHaveLength(2);
  });
});

describe('commands outside Atomic are independent; malformed messages change nothing', () => {
  it('two Adds outside Atomic: the good one stays, the bad one fails', () => {
    const ctx = ctxFor(db);
    const r = windowsAdapter.deliver(
      ctx,
      message([trustedAdd(hierarchy().root, 1), trustedAdd(hierarchy().leaf, 2)]),
    );
    expect(codes(reply(r.reply))).toEqual({ 1: 200, 2: 500 });
    expect(r.outcomes.map((o) => o.code)).toEqual(['OK', 'INSTALL_NOT_A_CA']);
    expect(db.items(ctx.device.id).map((i) => i.thumbprint)).toEqual([hierarchy().root.sha1Thumbprint]);
  });

  it.each<[string, Buffer, string]>([
    ['not XML', Buffer.from('<SyncML><SyncHdr><MsgID>4</MsgID>'), 'SYNCML_PARSE'],
    ['empty', Buffer.alloc(0), 'SYNCML_PARSE'],
    [
      'a command without CmdID',
      Buffer.from(
        '<SyncML xmlns="SYNCML:SYNCML1.2"><SyncHdr><VerDTD>1.2</VerDTD><VerProto>DM/1.2</VerProto><SessionID>9</SessionID><MsgID>4</MsgID><Target><LocURI>dev</LocURI></Target><Source><LocURI>https://mdm</LocURI></Source></SyncHdr><SyncBody><Add><Item><Target><LocURI>./Device/Vendor/MSFT/RootCATrustedCertificates/Root/X/EncodedCertificate</LocURI></Target><Data>AA==</Data></Item></Add><Final/></SyncBody></SyncML>',
      ),
      'SYNCML_INVALID',
    ],
  ])('%s → %s, SyncHdr 400, nothing stored', (_name, bytes, code) => {
    const ctx = ctxFor(db);
    const before = snapshot(ctx);
    const r = windowsAdapter.deliver(ctx, bytes);
    expect(r.outcomes.length).toBeGreaterThan(0);
    expect(r.outcomes.every((o) => o.code === code && o.status === 'failed')).toBe(true);
    expect(r.outcomes[0]?.native).toMatchObject({ platform: 'windows', syncml: 400, intune: '0x87D10190' });
    const read = reply(r.reply);
    expect(read.headerStatus?.code).toBe(400);
    expect(read.statuses.size).toBe(0);
    expect(snapshot(ctx)).toEqual(before);
  });

  it('a node certfleet does not model → 404 INSTALL_NOT_FOUND; inventory Gets are answered', () => {
    const ctx = ctxFor(db);
    const r = windowsAdapter.deliver(
      ctx,
      message([
        {
          kind: 'Replace',
          cmdId: 1,
          items: [{ target: './Device/Vendor/MSFT/Policy/Config/Wifi/AllowWiFi', data: '1' }],
        },
        { kind: 'Get', cmdId: 2, items: [{ target: './DevInfo/Man' }] },
      ]),
    );
    const read = reply(r.reply);
    expect(codes(read)).toEqual({ 1: 404, 2: 200 });
    expect(r.outcomes.map((o) => o.code)).toEqual(['INSTALL_NOT_FOUND']);
    expect(read.results.get(2)?.items[0]?.data).toBe(ctx.device.manufacturer);
  });

  it('regression issue 4: Gets of docs/formats.md §2.6 nodes added later (LocalTime from the device clock, CSPVersions)', () => {
    const ctx = ctxFor(db);
    const r = windowsAdapter.deliver(
      ctx,
      message([
        { kind: 'Get', cmdId: 2, items: [{ target: './DevDetail/Ext/Microsoft/LocalTime' }] },
        {
          kind: 'Get',
          cmdId: 3,
          items: [{ target: './Device/Vendor/MSFT/DeviceManageability/Capabilities/CSPVersions' }],
        },
        { kind: 'Get', cmdId: 4, items: [{ target: './DevDetail/Ext/VoLTEServiceSetting' }] },
      ]),
    );
    const read = reply(r.reply);
    expect(codes(read)).toEqual({ 2: 200, 3: 200, 4: 404 });
    expect(new Date(read.results.get(2)?.items[0]?.data ?? '').getTime()).toBe(ctx.clock.now().getTime());
    expect(read.results.get(3)?.items[0]?.data).toContain('ClientCertificateInstall');
  });
});

describe('remove() and held()', () => {
  it('remove(ref) removes exactly that node; by UniqueID too; unknown → INSTALL_NOT_FOUND', () => {
    const ctx = ctxFor(db);
    const h = hierarchy();
    windowsAdapter.deliver(
      ctx,
      message([trustedAdd(h.root, 1), pfxAtomic(pfxInstall({ pfxBlob: pfxOf(h) }))]),
    );
    expect(windowsAdapter.remove(ctx, UNIQUE_ID)).toMatchObject({
      payload: NODE,
      status: 'installed',
      code: 'OK',
    });
    expect(db.items(ctx.device.id).map((i) => i.store)).toEqual(['windows/machine/Root']);
    expect(windowsAdapter.remove(ctx, NODE)).toMatchObject({
      status: 'failed',
      code: 'INSTALL_NOT_FOUND',
      native: { platform: 'windows', syncml: 404 },
    });
  });

  it('the user view hides machine My identities; the admin view shows them', () => {
    const ctx = ctxFor(db);
    const h = hierarchy();
    windowsAdapter.deliver(ctx, message([trustedAdd(h.root, 1), trustedAdd(h.issuing, 2, { store: 'CA' })]));
    windowsAdapter.deliver(ctx, message([pfxAtomic(pfxInstall({ pfxBlob: pfxOf(h) }), 3)]));
    expect(windowsAdapter.held(ctx, 'admin').map((x) => x.kind)).toEqual([
      'root',
      'intermediate',
      'identity',
    ]);
    expect(windowsAdapter.held(ctx, 'user').map((x) => x.kind)).toEqual(['root', 'intermediate']);
  });

  it('restart: deliver into a file-backed store, close, reopen → held() is the same', () => {
    const dir = mkdtempSync(join(tmpdir(), 'certfleet-agent-windows-'));
    try {
      const path = join(dir, 'store.sqlite');
      const first = StoreDb.open(path, { key: STORE_KEY });
      const ctx = ctxFor(first);
      const h = hierarchy();
      windowsAdapter.deliver(
        ctx,
        message([trustedAdd(h.root, 1), trustedAdd(h.issuing, 2, { store: 'CA' })]),
      );
      windowsAdapter.deliver(ctx, message([pfxAtomic(pfxInstall({ pfxBlob: pfxOf(h) }), 3)]));
      const held = windowsAdapter.held(ctx, 'admin');
      expect(held).toHaveLength(3);
      first.close();
      const second = StoreDb.open(path, { key: STORE_KEY });
      try {
        expect(windowsAdapter.held(ctxFor(second), 'admin')).toEqual(held);
      } finally {
        second.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
