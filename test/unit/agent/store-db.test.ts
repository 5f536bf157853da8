import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import Database from 'better-sqlite3';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { StoreDb, type StoreItem } from '../../../agent/keystore/store-db.ts';

const KEY = randomBytes(32);

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
      const db = StoreDb.open(path, { key: KEY });
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
      const again = StoreDb.open(path, { key: KEY });
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

  it('a transaction returns what its function returns; one inside another is a savepoint of it', () => {
    const db = StoreDb.open(':memory:');
    expect(db.transaction(() => 42)).toBe(42);
    db.transaction(() => {
      db.putItem(item());
      expect(() =>
        db.transaction(() => {
          db.putItem(item({ thumbprint: 'CC'.repeat(20) }));
          throw new Error('inner failed');
        }),
      ).toThrow('inner failed');
      db.putItem(item({ thumbprint: 'DD'.repeat(20) }));
    });
    // the outer one landed; of the inner one, nothing did
    expect(db.items('dev-1').map((i) => i.thumbprint)).toEqual(['AA'.repeat(20), 'DD'.repeat(20)]);
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

describe('items() order (issue 11 point 2: sorted in JavaScript, not by an ORDER BY)', () => {
  it('is SQLite ORDER BY store, installed_at, thumbprint, kind, whatever the insertion order', () => {
    const dir = mkdtempSync(join(tmpdir(), 'certfleet-store-order-'));
    try {
      const path = join(dir, 'agents.db');
      const db = StoreDb.open(path, { key: KEY });
      const stores = ['windows/user/My', 'windows/machine/Root', 'windows/machine/My', 'macos/login'];
      const times = ['2026-01-02T00:00:00.000Z', '2026-01-01T00:00:00.000Z', '2026-01-01T08:00:00.000Z'];
      const thumbs = ['0F', 'A0', '9B', 'FF'].map((t) => t.repeat(20));
      const kinds = ['identity', 'certificate', 'key'] as const;
      // 4 × 3 × 4 × 3 rows in a shuffled order (a fixed permutation: i × 37 mod 144)
      // thumbprints unique per install time (the primary key has no time), and in the opposite order to
      // the times, so that the time must be compared before the thumbprint
      const all = stores.flatMap((store) =>
        times.flatMap((installedAt, ti) =>
          thumbs.flatMap((thumb) =>
            kinds.map((kind) => ({ store, installedAt, thumbprint: `${2 - ti}${thumb.slice(1)}`, kind })),
          ),
        ),
      );
      for (let i = 0; i < all.length; i++) {
        const r = all[(i * 37) % all.length]!;
        db.putItem(
          item({ ...r, ref: `p${i}`, privateKey: r.kind === 'certificate' ? undefined : Buffer.from('k') }),
        );
      }
      const got = db.items('dev-1').map((i) => [i.store, i.installedAt, i.thumbprint, i.kind].join(' '));
      db.close();
      const sql = new Database(path, { readonly: true });
      const want = (
        sql
          .prepare(
            "SELECT store, installed_at, thumbprint, kind FROM store_items WHERE device_id = 'dev-1' ORDER BY store, installed_at, thumbprint, kind",
          )
          .all() as { store: string; installed_at: string; thumbprint: string; kind: string }[]
      ).map((r) => [r.store, r.installed_at, r.thumbprint, r.kind].join(' '));
      sql.close();
      expect(want).toHaveLength(144);
      expect(got).toEqual(want);
      // and filtered reads keep the order
      const db2 = StoreDb.open(path, { key: KEY });
      const machine = db2
        .items('dev-1', { storePrefix: 'windows/machine/' })
        .map((i) => i.store + i.installedAt);
      expect(machine).toEqual([...machine].sort());
      expect(machine).toHaveLength(72);
      db2.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('a read opens each private key when it is read, once (issue 11 point 2)', () => {
  it('gives the same items as an eager read: every key its own, opened once, replaceable', () => {
    const db = StoreDb.open(':memory:', { key: KEY });
    const keyA = randomBytes(600);
    const keyB = randomBytes(600);
    db.putItem(item({ privateKey: keyA }));
    db.putItem(item({ thumbprint: 'CC'.repeat(20), privateKey: keyB }));
    db.putItem(item({ kind: 'certificate', thumbprint: 'BB'.repeat(20), privateKey: undefined }));
    const [a, cert, b] = db.items('dev-1'); // ordered by thumbprint here
    expect(a?.privateKey).toEqual(keyA);
    expect(a?.privateKey).toBe(a?.privateKey); // opened once, kept
    expect(b?.privateKey).toEqual(keyB); // another row, its own key
    expect(cert?.privateKey).toBeUndefined();
    expect(cert && 'privateKey' in cert).toBe(false);
    // a spread or a comparison sees the key as a plain field would
    expect({ ...a }).toEqual(item({ privateKey: keyA }));
    const bare = item({ kind: 'certificate', thumbprint: 'BB'.repeat(20) });
    delete bare.privateKey; // a row without a key reads without the field
    expect(db.items('dev-1')).toEqual([
      item({ privateKey: keyA }),
      bare,
      item({ thumbprint: 'CC'.repeat(20), privateKey: keyB }),
    ]);
    if (a) a.privateKey = keyB; // a caller may still replace (or drop) it
    expect(a?.privateKey).toBe(keyB);
    if (a) delete a.privateKey;
    expect(a?.privateKey).toBeUndefined();
    db.close();
  });
});

describe('issue 10: private keys at rest in agents.db', () => {
  const PKCS8 = randomBytes(600); // stands for a PKCS#8 DER: what matters is that its bytes never reach the file

  function withStore(fn: (path: string) => void): void {
    const dir = mkdtempSync(join(tmpdir(), 'certfleet-store-'));
    try {
      fn(join(dir, 'agents.db'));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }

  it('private keys were stored in clear in a 0644 file: now sealed (AES-GCM) in a 0600 file', () => {
    withStore((path) => {
      const db = StoreDb.open(path, { key: KEY });
      db.putItem(item({ privateKey: PKCS8 }));
      expect(db.items('dev-1')[0]?.privateKey).toEqual(PKCS8); // opened again on read
      db.close();
      expect(statSync(path).mode & 0o777).toBe(0o600);
      const bytes = readFileSync(path);
      expect(bytes.includes(PKCS8.subarray(0, 32))).toBe(false);
      expect(bytes.includes(PKCS8.subarray(300, 332))).toBe(false);
      const raw = new Database(path, { readonly: true });
      const stored = (raw.prepare('SELECT private_key FROM store_items').get() as { private_key: Buffer })
        .private_key;
      raw.close();
      expect(stored.subarray(0, 4).toString('latin1')).toBe('CFK1');
      expect(stored.length).toBe(PKCS8.length + 32);
    });
  });

  it('a store reopened with another key refuses with KEYSTORE_SEALED, naming no key', () => {
    withStore((path) => {
      const db = StoreDb.open(path, { key: KEY });
      db.putItem(item({ privateKey: PKCS8 }));
      db.putItem(item({ kind: 'certificate', thumbprint: 'BB'.repeat(20), privateKey: undefined }));
      db.close();
      const other = StoreDb.open(path, { key: randomBytes(32) });
      try {
        let caught: unknown;
        const [withKey] = other.items('dev-1', { kind: 'identity' }); // the metadata reads; the key is opened when read
        expect(withKey?.thumbprint).toBeDefined();
        try {
          void withKey?.privateKey;
        } catch (e) {
          caught = e;
        }
        expect(caught).toMatchObject({ code: 'KEYSTORE_SEALED' });
        expect((caught as Error).message).toContain('CERTFLEET_FLEET_SECRET');
        expect((caught as Error).message).not.toContain(KEY.toString('hex').slice(0, 8));
        // certificates without a key still read
        expect(other.items('dev-1', { kind: 'certificate' }).map((i) => i.thumbprint)).toEqual([
          'BB'.repeat(20),
        ]);
      } finally {
        other.close();
      }
    });
  });

  it('a sealed key moved onto another row does not open (bound to its row)', () => {
    withStore((path) => {
      const db = StoreDb.open(path, { key: KEY });
      db.putItem(item({ privateKey: PKCS8 }));
      db.putItem(item({ deviceId: 'dev-2', privateKey: randomBytes(600) }));
      db.close();
      const raw = new Database(path);
      raw
        .prepare(
          "UPDATE store_items SET private_key = (SELECT private_key FROM store_items WHERE device_id = 'dev-1') WHERE device_id = 'dev-2'",
        )
        .run();
      raw.close();
      const again = StoreDb.open(path, { key: KEY });
      try {
        expect(again.items('dev-1')[0]?.privateKey).toEqual(PKCS8);
        const [moved] = again.items('dev-2');
        expect(() => moved?.privateKey).toThrow(expect.objectContaining({ code: 'KEYSTORE_SEALED' }));
        expect(() => moved?.privateKey).toThrow(expect.objectContaining({ code: 'KEYSTORE_SEALED' })); // every read
        expect(() => ({ ...moved })).toThrow(expect.objectContaining({ code: 'KEYSTORE_SEALED' }));
      } finally {
        again.close();
      }
    });
  });
});
