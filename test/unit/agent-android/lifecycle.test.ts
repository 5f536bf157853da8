/**
 * Policy lifecycle on an Android device: duplicate delivery, a new version of the same policy, a policy without
 * a certificate removing it, shared CAs, alias overwrite, remove(ref), and a restart over a file-backed store.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { StoreDb } from '../../../agent/keystore/store-db.ts';
import { checkRenewals, markRenewalRequested } from '../../../agent/renewal/renewal.ts';
import { androidAdapter } from '../../../agent/platforms/android/index.ts';
import { decodeComplianceReport } from '../../../profiles/android/non-compliance.ts';
import { poolKey } from '../../fixtures/key-pool.ts';
import {
  ALIAS,
  CLIENT_GUID,
  ISSUING_GUID,
  KINDS,
  POLICY_NAME,
  ROOT_GUID,
  androidDevice,
  contextFor,
  hierarchy,
  itemsSnapshot,
  pkcs12Of,
  policyBytes,
  snapshot,
} from './fixtures.ts';

/** One key for a file-backed store and its reopening (private keys are sealed: agent/keystore/sealed-key.ts). */
const STORE_KEY = Buffer.alloc(32, 7);

const h = hierarchy();
const h2 = hierarchy({
  leafKey: poolKey('rsa2048', 3),
  leafSubject: 'CN=Grace Hopper,OU=Users,O=Contoso,C=US',
});
const PFX = pkcs12Of(h);
const PFX2 = pkcs12Of(h2);
const OTHER = 'enterprises/LC00000000/policies/certfleet-0002';

const full = policyBytes({
  cas: [{ guid: ROOT_GUID, der: h.root.der }],
  keyPairs: [{ guid: CLIENT_GUID, alias: ALIAS, pkcs12: PFX }],
});

const tmp = mkdtempSync(join(tmpdir(), 'certfleet-android-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe.each(KINDS)('Android %s', (kind) => {
  const device = (): ReturnType<typeof androidDevice> => androidDevice(kind, { osVersion: '10' });

  it('duplicate delivery (same name, same bytes) → UNCHANGED, nothing written', () => {
    const ctx = contextFor(device());
    androidAdapter.deliver(ctx, full);
    const before = snapshot(ctx);
    const again = androidAdapter.deliver(ctx, full);
    expect(again.outcomes.map((o) => [o.payload, o.status, o.code])).toEqual([
      [ROOT_GUID, 'installed', 'UNCHANGED'],
      [CLIENT_GUID, 'installed', 'UNCHANGED'],
    ]);
    const report = decodeComplianceReport(again.reply);
    expect(report.ok && report.report.policyCompliant).toBe(true);
    expect(snapshot(ctx)).toBe(before);
  });

  it('same policy, new bytes, same certificates (fresh PKCS#12 salts) → per-command UNCHANGED, nothing written', () => {
    const ctx = contextFor(device());
    androidAdapter.deliver(ctx, full);
    const items = itemsSnapshot(ctx);
    const rewrapped = policyBytes({
      cas: [{ guid: ROOT_GUID, der: h.root.der }],
      keyPairs: [{ guid: CLIENT_GUID, alias: ALIAS, pkcs12: pkcs12Of(h) }],
    });
    expect(rewrapped.equals(full)).toBe(false);
    expect(androidAdapter.deliver(ctx, rewrapped).outcomes.map((o) => o.code)).toEqual([
      'UNCHANGED',
      'UNCHANGED',
    ]);
    expect(itemsSnapshot(ctx)).toBe(items);
  });

  it('re-delivery after a non-compliant delivery retries; already-present items are UNCHANGED', () => {
    const ctx = contextFor(device());
    const bad = policyBytes({
      cas: [{ guid: ROOT_GUID, der: h.root.der }],
      keyPairs: [{ guid: CLIENT_GUID, alias: ALIAS, pkcs12: Buffer.from('junk') }],
    });
    androidAdapter.deliver(ctx, bad);
    const itemsBefore = itemsSnapshot(ctx);
    const again = androidAdapter.deliver(ctx, bad);
    expect(again.outcomes.map((o) => o.code)).toEqual(['UNCHANGED', 'PKCS12_PARSE']);
    expect(itemsSnapshot(ctx)).toBe(itemsBefore);
  });

  it('a new version without the CA removes it; a changed key pair under the same alias replaces it', () => {
    const ctx = contextFor(device());
    androidAdapter.deliver(ctx, full);
    const v2 = androidAdapter.deliver(
      ctx,
      policyBytes({ version: '2', keyPairs: [{ guid: CLIENT_GUID, alias: ALIAS, pkcs12: PFX2 }] }),
    );
    // The CA left with version 1, so the new key pair has no root: installed, not trusted.
    expect(v2.outcomes.map((o) => o.code)).toEqual(['INSTALL_UNTRUSTED_CHAIN']);
    expect(ctx.db.items(ctx.device.id).map((i) => [i.kind, i.thumbprint])).toEqual([
      ['identity', h2.leaf.sha1Thumbprint],
    ]);
    expect(ctx.db.profile(ctx.device.id, POLICY_NAME)?.meta.version).toBe('2');
  });

  it('a new version whose key pair fails keeps the previous key pair of that alias', () => {
    const ctx = contextFor(device());
    androidAdapter.deliver(ctx, full);
    const v2 = androidAdapter.deliver(
      ctx,
      policyBytes({
        version: '2',
        keyPairs: [{ guid: CLIENT_GUID, alias: ALIAS, pkcs12: pkcs12Of(h2, 'pw') }],
      }),
    );
    expect(v2.outcomes.map((o) => o.code)).toEqual(['PKCS12_BAD_PASSWORD']);
    expect(ctx.db.items(ctx.device.id).map((i) => [i.kind, i.thumbprint])).toEqual([
      ['identity', h.leaf.sha1Thumbprint],
    ]);
  });

  it('a policy with no certificates removes everything the policy had installed', () => {
    const ctx = contextFor(device());
    androidAdapter.deliver(ctx, full);
    const empty = androidAdapter.deliver(ctx, policyBytes({ version: '3' }));
    expect(empty.outcomes).toEqual([]);
    expect(ctx.db.items(ctx.device.id)).toEqual([]);
    expect(decodeComplianceReport(empty.reply).ok).toBe(true);
  });

  it('a CA held by two policies stays until both let go', () => {
    const ctx = contextFor(device());
    androidAdapter.deliver(ctx, full);
    androidAdapter.deliver(ctx, policyBytes({ name: OTHER, cas: [{ guid: 'OTHER-ROOT', der: h.root.der }] }));
    const [ca] = ctx.db.items(ctx.device.id, { kind: 'certificate' });
    expect(ca?.attrs.holders).toEqual([POLICY_NAME, OTHER].sort());
    expect(androidAdapter.remove(ctx, POLICY_NAME).code).toBe('OK');
    expect(ctx.db.items(ctx.device.id).map((i) => [i.kind, i.ref])).toEqual([['certificate', OTHER]]);
    expect(androidAdapter.remove(ctx, OTHER).code).toBe('OK');
    expect(ctx.db.items(ctx.device.id)).toEqual([]);
    expect(ctx.db.profiles(ctx.device.id)).toEqual([]);
  });

  it('another policy installing the same alias overwrites the key pair (DPM installKeyPair)', () => {
    const ctx = contextFor(device());
    androidAdapter.deliver(ctx, full);
    androidAdapter.deliver(
      ctx,
      policyBytes({ name: OTHER, keyPairs: [{ guid: 'X', alias: ALIAS, pkcs12: PFX2 }] }),
    );
    expect(ctx.db.items(ctx.device.id, { kind: 'identity' }).map((i) => [i.thumbprint, i.ref])).toEqual([
      [h2.leaf.sha1Thumbprint, OTHER],
    ]);
    // The first policy is no longer fully applied: its next delivery re-installs its key pair.
    expect(androidAdapter.deliver(ctx, full).outcomes.map((o) => o.code)).toEqual(['UNCHANGED', 'OK']);
    expect(ctx.db.items(ctx.device.id, { kind: 'identity' }).map((i) => i.thumbprint)).toEqual([
      h.leaf.sha1Thumbprint,
    ]);
  });

  it('remove(policy name) withdraws the policy; remove(unknown) → INSTALL_NOT_FOUND, nothing changes', () => {
    const ctx = contextFor(device());
    androidAdapter.deliver(ctx, full);
    const before = snapshot(ctx);
    const missing = androidAdapter.remove(ctx, 'enterprises/none/policies/none');
    expect([missing.status, missing.code]).toEqual(['failed', 'INSTALL_NOT_FOUND']);
    expect(snapshot(ctx)).toBe(before);
    const removed = androidAdapter.remove(ctx, POLICY_NAME);
    expect([removed.status, removed.code, removed.platform]).toEqual(['installed', 'OK', 'android']);
    expect(ctx.db.items(ctx.device.id)).toEqual([]);
    expect(ctx.db.profile(ctx.device.id, POLICY_NAME)).toBeUndefined();
  });

  it('remove(GUID / alias) removes that certificate; the next delivery of the same policy puts it back', () => {
    const ctx = contextFor(device());
    androidAdapter.deliver(ctx, full);
    expect(androidAdapter.remove(ctx, ALIAS).code).toBe('OK');
    expect(ctx.db.items(ctx.device.id).map((i) => i.kind)).toEqual(['certificate']);
    expect(androidAdapter.remove(ctx, ROOT_GUID).code).toBe('OK');
    expect(ctx.db.items(ctx.device.id)).toEqual([]);
    const again = androidAdapter.deliver(ctx, full);
    expect(again.outcomes.map((o) => o.code)).toEqual(['OK', 'OK']);
    expect(ctx.db.items(ctx.device.id)).toHaveLength(2);
  });

  it('removing the root turns the key pair untrusted (trust follows the store)', () => {
    const ctx = contextFor(device());
    androidAdapter.deliver(ctx, full);
    expect(androidAdapter.held(ctx, 'admin').every((c) => c.trusted)).toBe(true);
    androidAdapter.remove(ctx, ROOT_GUID);
    expect(androidAdapter.held(ctx, 'admin').map((c) => [c.kind, c.trusted])).toEqual([['identity', false]]);
  });

  it('restart: a reopened file-backed store gives the same held() list', () => {
    const file = join(tmp, `${kind}.sqlite`);
    const dev = device();
    const first = contextFor(dev, undefined, StoreDb.open(file, { key: STORE_KEY }));
    androidAdapter.deliver(
      first,
      policyBytes({
        cas: [
          { guid: ROOT_GUID, der: h.root.der },
          { guid: ISSUING_GUID, der: h.issuing.der },
        ],
        keyPairs: [{ guid: CLIENT_GUID, alias: ALIAS, pkcs12: PFX }],
      }),
    );
    const admin = androidAdapter.held(first, 'admin');
    const user = androidAdapter.held(first, 'user');
    const items = itemsSnapshot(first);
    first.db.close();
    const second = contextFor(dev, undefined, StoreDb.open(file, { key: STORE_KEY }));
    expect(admin).toHaveLength(3);
    expect(androidAdapter.held(second, 'admin')).toEqual(admin);
    expect(androidAdapter.held(second, 'user')).toEqual(user);
    expect(itemsSnapshot(second)).toBe(items);
    second.db.close();
  });
});

describe('restart keeps duplicate detection', () => {
  it('the same bytes after a restart are UNCHANGED', () => {
    const file = join(tmp, 'dup.sqlite');
    const dev = androidDevice('fully-managed');
    const a = contextFor(dev, undefined, StoreDb.open(file, { key: STORE_KEY }));
    androidAdapter.deliver(a, full);
    a.db.close();
    const b = contextFor(dev, undefined, StoreDb.open(file, { key: STORE_KEY }));
    expect(androidAdapter.deliver(b, full).outcomes.map((o) => o.code)).toEqual(['UNCHANGED', 'UNCHANGED']);
    b.db.close();
  });
});

describe.each(KINDS)('renewal bookkeeping on %s', (kind) => {
  // The leaf lives T0 .. T0 + 1 year; at 79 % elapsed nothing happens, at 81 % a 20 % threshold renews.
  it.each([
    [0.79, 20, 'none'],
    [0.81, 20, 'renew'],
    [0.69, 30, 'none'],
    [0.71, 30, 'renew'],
  ] as const)('at %f of the lifetime with threshold %i → %s', (elapsed, threshold, action) => {
    const db = StoreDb.open(':memory:');
    const dev = androidDevice(kind, { osVersion: '10' });
    androidAdapter.deliver(contextFor(dev, undefined, db), full, {
      renewalThreshold: threshold,
      profileId: 'p',
    });
    const at = new Date(
      h.leaf.notBefore.getTime() + elapsed * (h.leaf.notAfter.getTime() - h.leaf.notBefore.getTime()),
    );
    const decisions = checkRenewals(contextFor(dev, at, db));
    expect(decisions.map((d) => [d.ref, d.thumbprint, d.threshold, d.action])).toEqual([
      [POLICY_NAME, h.leaf.sha1Thumbprint, threshold, action],
    ]);
  });

  it('a pending renewal request survives a re-delivery that keeps the certificate, and clears when it is replaced', () => {
    const db = StoreDb.open(':memory:');
    const dev = androidDevice(kind, { osVersion: '10' });
    const ctx = contextFor(dev, undefined, db);
    androidAdapter.deliver(ctx, full);
    const [d] = checkRenewals(contextFor(dev, new Date(h.leaf.notAfter.getTime() - 86_400_000), db));
    if (d === undefined) throw new Error('no decision');
    markRenewalRequested(ctx, d);
    androidAdapter.deliver(
      ctx,
      policyBytes({ version: '2', keyPairs: [{ guid: CLIENT_GUID, alias: ALIAS, pkcs12: PFX }] }),
    );
    expect(db.profile(dev.id, POLICY_NAME)?.meta.renewalRequestedFor).toBe(h.leaf.sha1Thumbprint);
    androidAdapter.deliver(
      ctx,
      policyBytes({ version: '3', keyPairs: [{ guid: CLIENT_GUID, alias: ALIAS, pkcs12: PFX2 }] }),
    );
    expect(db.profile(dev.id, POLICY_NAME)?.meta.renewalRequestedFor).toBeUndefined();
  });
});
