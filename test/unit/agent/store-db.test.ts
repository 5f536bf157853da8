import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { StoreDb, type StoreItem } from '../../../agent/keystore/store-db.ts';

function item(over: Partial<StoreItem> = {}): StoreItem {
  return {
    deviceId: 'dev-1',
    store: 'windows/machine/My',
    kind: 'identity',
    ref: 'p1',
    thumbprint: 'AA'.repeat(20),
    subject: 'CN=a',
    issuer: 'CN=ca',
    notBefore: '2026-01-01T00:00:00.000Z',
    notAfter: '2027-01-01T00:00:00.000Z',
    certificate: Buffer.from('cert'),
    privateKey: Buffer.from('key'),
    attrs: { exportable: false },
    installedAt: '2026-01-01T00:00:00.000Z',
    ...over,
  };
}

describe('StoreDb', () => {
  it('a reopened database has exactly the items and profiles it had', () => {
    const dir = mkdtempSync(join(tmpdir(), 'certfleet-store-'));
    try {
      const path = join(dir, 'store.db');
      const db = StoreDb.open(path);
      db.putItem(item());
      db.putItem(
        item({
          store: 'windows/machine/Root',
          kind: 'certificate',
          thumbprint: 'BB'.repeat(20),
          privateKey: undefined,
        }),
      );
      db.putProfile({
        deviceId: 'dev-1',
        ref: 'p1',
        contentHash: 'h',
        meta: { renewalThreshold: 25 },
        installedAt: 'now',
      });
      const before = { items: db.items('dev-1'), profiles: db.profiles('dev-1') };
      db.close();
      const again = StoreDb.open(path);
      expect({ items: again.items('dev-1'), profiles: again.profiles('dev-1') }).toEqual(before);
      expect(again.items('dev-1', { kind: 'certificate' })[0]?.privateKey).toBeUndefined();
      again.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a transaction that throws changes nothing', () => {
    const db = StoreDb.open(':memory:');
    db.putItem(item());
    expect(() =>
      db.transaction(() => {
        db.removeItems('dev-1', { ref: 'p1' });
        db.putItem(item({ thumbprint: 'CC'.repeat(20) }));
        throw new Error('payload 2 failed');
      }),
    ).toThrow('payload 2 failed');
    expect(db.items('dev-1').map((i) => i.thumbprint)).toEqual(['AA'.repeat(20)]);
  });

  it('filters by store prefix, ref, kind and thumbprint (any case), and keeps devices apart', () => {
    const db = StoreDb.open(':memory:');
    db.putItem(item());
    db.putItem(item({ deviceId: 'dev-2' }));
    db.putItem(item({ store: 'windows/user/My', ref: 'p2', thumbprint: 'DD'.repeat(20) }));
    expect(db.items('dev-1', { storePrefix: 'windows/machine/' })).toHaveLength(1);
    expect(db.items('dev-1', { ref: 'p2' })[0]?.store).toBe('windows/user/My');
    expect(db.items('dev-1', { thumbprint: 'dd'.repeat(20) })).toHaveLength(1);
    expect(db.removeItems('dev-1', { ref: 'p1' })).toBe(1);
    expect(db.items('dev-2')).toHaveLength(1);
  });
});
