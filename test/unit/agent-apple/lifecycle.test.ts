/**
 * Profile lifecycle on the Apple adapters: duplicate delivery, replacement by PayloadIdentifier,
 * RemoveProfile (exactly the profile's items; unknown identifier → MDMErrorDomain 12075), a certificate
 * shared by two profiles, the CommandUUID when none is given, and a restart on a file-backed store.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { StoreDb } from '../../../agent/keystore/store-db.ts';
import { APPLE_PLATFORMS } from '../../../profiles/apple/index.ts';
import {
  ADAPTERS,
  certPayload,
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

const SECRET = 'lifecycle-secret';
const TMP = mkdtempSync(join(tmpdir(), 'certfleet-agent-apple-'));
const STORE_KEY = Buffer.alloc(32, 7); // one key for the store and its reopening
afterAll(() => rmSync(TMP, { recursive: true, force: true }));

describe.each(APPLE_PLATFORMS)('%s profile lifecycle', (platform) => {
  const adapter = ADAPTERS[platform];
  const h = hierarchy();
  const other = otherPki();

  it('same identifier and same bytes: UNCHANGED, Acknowledged, store untouched', () => {
    const ctx = newContext(platform);
    const bytes = profileBytes(platform, 'com.example.dup', [
      certPayload(h.root, 'dup.root'),
      pkcs12Payload(pfxOf(h, SECRET), 'dup.id', SECRET),
    ]);
    expect(codes(adapter.deliver(ctx, bytes))).toEqual([
      ['OK', 'installed'],
      ['OK', 'installed'],
    ]);
    const before = snapshot(ctx);
    const again = adapter.deliver(ctx, bytes, { commandUuid: 'CMD-2' });
    expect(codes(again)).toEqual([
      ['UNCHANGED', 'installed'],
      ['UNCHANGED', 'installed'],
    ]);
    expect(replyOf(again)).toMatchObject({ Status: 'Acknowledged', CommandUUID: 'CMD-2' });
    expect(snapshot(ctx)).toEqual(before);
  });

  it('same identifier, other content: exactly that profile is replaced; another profile is untouched', () => {
    const ctx = newContext(platform);
    adapter.deliver(ctx, profileBytes(platform, 'com.example.keep', [certPayload(other.root, 'keep.root')]));
    adapter.deliver(
      ctx,
      profileBytes(platform, 'com.example.pkcs', [
        certPayload(h.root, 'pkcs.root'),
        pkcs12Payload(pfxOf(h, SECRET), 'pkcs.id', SECRET),
      ]),
      { profileId: 'v1' },
    );
    const keep = ctx.db.items(ctx.device.id, { ref: 'com.example.keep' });

    const r = adapter.deliver(
      ctx,
      profileBytes(platform, 'com.example.pkcs', [pkcs12Payload(pfxOf(other, SECRET), 'pkcs.id2', SECRET)]),
      { profileId: 'v2' },
    );
    expect(codes(r)).toEqual([['OK', 'installed']]);
    expect(r.outcomes[0]?.message).toMatch(/replaced the earlier version of profile "com\.example\.pkcs"/);
    const mine = ctx.db.items(ctx.device.id, { ref: 'com.example.pkcs' });
    expect(mine.filter((i) => i.kind === 'identity').map((i) => i.thumbprint)).toEqual([
      other.leaf.sha1Thumbprint,
    ]);
    expect(mine.some((i) => i.thumbprint === h.root.sha1Thumbprint)).toBe(false);
    expect(ctx.db.items(ctx.device.id, { ref: 'com.example.keep' })).toEqual(keep);
    expect(ctx.db.profile(ctx.device.id, 'com.example.pkcs')?.meta.profileId).toBe('v2');
    // The new identity chains to `other.root`, installed by com.example.keep: trusted.
    expect(mine.find((i) => i.kind === 'identity')?.attrs.trusted).toBe(true);
  });

  it('a failed replacement keeps the installed version', () => {
    const ctx = newContext(platform);
    adapter.deliver(ctx, profileBytes(platform, 'com.example.r', [certPayload(h.root, 'r.root')]));
    const before = snapshot(ctx);
    const r = adapter.deliver(
      ctx,
      profileBytes(platform, 'com.example.r', [pkcs12Payload(pfxOf(h, SECRET), 'r.id', 'wrong')]),
    );
    expect(codes(r)).toEqual([['PKCS12_BAD_PASSWORD', 'failed']]);
    expect(snapshot(ctx)).toEqual(before);
  });

  it('RemoveProfile removes exactly its items', () => {
    const ctx = newContext(platform);
    adapter.deliver(ctx, profileBytes(platform, 'com.example.a', [certPayload(h.root, 'a.root')]));
    adapter.deliver(
      ctx,
      profileBytes(platform, 'com.example.b', [
        certPayload(other.root, 'b.root'),
        pkcs12Payload(pfxOf(other, SECRET), 'b.id', SECRET),
      ]),
    );
    const a = ctx.db.items(ctx.device.id, { ref: 'com.example.a' });
    const o = adapter.remove(ctx, 'com.example.b');
    expect([o.status, o.code, o.payload]).toEqual(['installed', 'OK', 'com.example.b']);
    expect(o.message).toMatch(/Removed profile "com\.example\.b" and its 2 keychain item/);
    expect(o.native).toEqual({ platform, status: 'Acknowledged', errorChain: [] });
    expect(ctx.db.items(ctx.device.id)).toEqual(a);
    expect(ctx.db.profiles(ctx.device.id).map((p) => p.ref)).toEqual(['com.example.a']);
  });

  it('RemoveProfile of an identifier that is not installed: INSTALL_NOT_FOUND, MDMErrorDomain 12075', () => {
    const ctx = newContext(platform);
    adapter.deliver(ctx, profileBytes(platform, 'com.example.a', [certPayload(h.root, 'a.root')]));
    const before = snapshot(ctx);
    const o = adapter.remove(ctx, 'com.example.nope');
    expect([o.status, o.code]).toEqual(['failed', 'INSTALL_NOT_FOUND']);
    expect(o.native).toEqual({
      platform,
      status: 'Error',
      errorChain: [
        {
          ErrorCode: 12075,
          ErrorDomain: 'MDMErrorDomain',
          LocalizedDescription: 'The profile \u201ccom.example.nope\u201d is not installed.',
        },
      ],
    });
    expect(snapshot(ctx)).toEqual(before);
  });

  it('a root installed by two profiles stays until both are removed', () => {
    const ctx = newContext(platform);
    adapter.deliver(ctx, profileBytes(platform, 'com.example.one', [certPayload(h.root, 'one.root')]));
    adapter.deliver(ctx, profileBytes(platform, 'com.example.two', [certPayload(h.root, 'two.root')]));
    const roots = () => adapter.held(ctx, 'admin').filter((x) => x.kind === 'root');
    expect(roots()).toHaveLength(1);
    adapter.remove(ctx, 'com.example.one');
    expect(roots().map((x) => x.ref)).toEqual(['com.example.two']);
    adapter.remove(ctx, 'com.example.two');
    expect(roots()).toEqual([]);
    expect(ctx.db.items(ctx.device.id)).toEqual([]);
  });

  it('without a CommandUUID the reply carries one derived from the payload bytes', () => {
    const bytes = profileBytes(platform, 'com.example.u', [certPayload(h.root, 'u.root')]);
    const u1 = replyOf(adapter.deliver(newContext(platform), bytes)).CommandUUID;
    const u2 = replyOf(adapter.deliver(newContext(platform), bytes)).CommandUUID;
    const u3 = replyOf(
      adapter.deliver(
        newContext(platform),
        profileBytes(platform, 'com.example.u', [certPayload(other.root, 'u')]),
      ),
    ).CommandUUID;
    expect(u1).toMatch(/^[0-9A-F]{8}-[0-9A-F]{4}-5[0-9A-F]{3}-[89AB][0-9A-F]{3}-[0-9A-F]{12}$/);
    expect(u2).toBe(u1);
    expect(u3).not.toBe(u1);
  });

  it('restart: a file-backed store reopened gives the same held() list', () => {
    const file = join(TMP, `${platform}.sqlite`);
    const ctx = newContext(platform, 'device', {}, undefined, StoreDb.open(file, { key: STORE_KEY }));
    adapter.deliver(
      ctx,
      profileBytes(platform, 'com.example.persist', [
        certPayload(h.root, 'p.root'),
        pkcs12Payload(pfxOf(h, SECRET), 'p.id', SECRET),
      ]),
      { profileId: 'persist', renewalThreshold: 30 },
    );
    const held = adapter.held(ctx, 'admin');
    const profiles = ctx.db.profiles(ctx.device.id);
    expect(held).toHaveLength(3);
    ctx.db.close();

    const again = newContext(platform, 'device', {}, undefined, StoreDb.open(file, { key: STORE_KEY }));
    expect(adapter.held(again, 'admin')).toEqual(held);
    expect(again.db.profiles(again.device.id)).toEqual(profiles);
    again.db.close();
  });
});
