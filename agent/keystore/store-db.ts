/**
 * The device's persistent key stores: one embedded SQLite database (better-sqlite3 12.x) holding, for every
 * simulated device, the items its OS stores (certificates, private keys, identities) and the profiles that
 * installed them. A restarted agent opens the same file and has exactly the store it had.
 *
 * Platform rules (which stores exist, what a payload may put where) live in agent/platforms/*; this file
 * only stores and transacts. Every install runs inside {@link StoreDb.transaction}, so an install is all or
 * nothing: an Apple profile installs all its payloads or none, a SyncML Atomic rolls back on any failure.
 *
 * At rest (issue 10 point 5): the file (and SQLite's `-wal`/`-shm` beside it, which take its mode) is 0600,
 * and every private key is sealed with AES-256-GCM under the store key (sealed-key.ts); certificates,
 * subjects and profile records stay readable to whoever may read the file.
 */
import { chmodSync, closeSync, openSync } from 'node:fs';
import Database from 'better-sqlite3';
import { CertfleetError } from '../../pki/errors.ts';
import { isSealed, openSealedKey, randomStoreKey, sealKey } from './sealed-key.ts';

/** The kind of a stored item (as mdmb's keychain types them: key, certificate, identity). */
export type StoreItemKind = 'certificate' | 'key' | 'identity';

/** One item in a device's store. */
export interface StoreItem {
  deviceId: string;
  /**
   * The store, named `platform/scope/name`: `windows/machine/Root`, `windows/user/My`, `macos/system`,
   * `macos/login`, `ios/keychain`, `android/keychain`, `android/ca`, `android/work-profile`.
   */
  store: string;
  kind: StoreItemKind;
  /** What installed it: Apple PayloadIdentifier, Windows CSP node (UniqueID), Android certificate GUID/alias. */
  ref: string;
  /** SHA-1 thumbprint of the certificate (upper-case hex). */
  thumbprint: string;
  subject: string;
  issuer: string;
  notBefore: string;
  notAfter: string;
  /** The certificate, DER. */
  certificate: Buffer;
  /** The private key (PKCS#8 DER) for identities and keys; never printed or logged. */
  privateKey?: Buffer;
  /** Platform attributes: exportable, ksp, container, trusted, access rule, profile id… (JSON). */
  attrs: Record<string, unknown>;
  installedAt: string;
}

/** A profile (or CSP node) the device has installed, and the digest of its content (duplicate detection). */
export interface InstalledProfile {
  deviceId: string;
  /** The identifier the OS matches on: Apple PayloadIdentifier, Windows node path, Android policy name. */
  ref: string;
  /** SHA-256 of the delivered content, hex. */
  contentHash: string;
  /** Profile-level facts: renewal threshold, certificate profile id, channel… (JSON). */
  meta: Record<string, unknown>;
  installedAt: string;
}

interface ItemRow {
  device_id: string;
  store: string;
  kind: string;
  ref: string;
  thumbprint: string;
  subject: string;
  issuer: string;
  not_before: string;
  not_after: string;
  certificate: Buffer;
  private_key: Buffer | null;
  attrs: string;
  installed_at: string;
}

interface ProfileRow {
  device_id: string;
  ref: string;
  content_hash: string;
  meta: string;
  installed_at: string;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS store_items (
  device_id TEXT NOT NULL,
  store TEXT NOT NULL,
  kind TEXT NOT NULL CHECK (kind IN ('certificate', 'key', 'identity')),
  ref TEXT NOT NULL,
  thumbprint TEXT NOT NULL,
  subject TEXT NOT NULL,
  issuer TEXT NOT NULL,
  not_before TEXT NOT NULL,
  not_after TEXT NOT NULL,
  certificate BLOB NOT NULL,
  private_key BLOB,
  attrs TEXT NOT NULL,
  installed_at TEXT NOT NULL,
  PRIMARY KEY (device_id, store, thumbprint, kind)
);
CREATE INDEX IF NOT EXISTS store_items_ref ON store_items (device_id, ref);
CREATE TABLE IF NOT EXISTS installed_profiles (
  device_id TEXT NOT NULL,
  ref TEXT NOT NULL,
  content_hash TEXT NOT NULL,
  meta TEXT NOT NULL,
  installed_at TEXT NOT NULL,
  PRIMARY KEY (device_id, ref)
);
`;

/** Filters for {@link StoreDb.items}. */
export interface ItemFilter {
  store?: string;
  /** Store name prefix, e.g. `windows/machine/`. */
  storePrefix?: string;
  ref?: string;
  kind?: StoreItemKind;
  thumbprint?: string;
}

/** Options of {@link StoreDb.open}. */
export interface StoreDbOptions {
  /**
   * The 32-byte key private keys are sealed with (sealed-key.ts). Default: a random one held in memory only,
   * for a store that is not read again after the process ends (`certfleet run`).
   */
  key?: Buffer;
  /**
   * Read certificates and records only: items come back without their private keys, which stay sealed — for
   * readers after a run (tests, tools) that do not hold the store key. Writing is refused.
   */
  publicOnly?: boolean;
}

/** The key-store database of one agent process (any number of devices). */
export class StoreDb {
  /** Prepared statements by SQL text: preparing one costs more than running it (issue 11 point 2). */
  readonly #statements = new Map<string, Database.Statement>();

  /** One transaction function for every call, made once per database (issue 11 point 2). */
  readonly #transaction: (fn: () => unknown) => unknown;

  private constructor(
    private readonly db: Database.Database,
    private readonly key: Buffer | undefined,
  ) {
    this.#transaction = db.transaction((fn: () => unknown) => fn());
  }

  /** The prepared statement for `sql`, prepared once per database. */
  #prepare(sql: string): Database.Statement {
    let s = this.#statements.get(sql);
    if (s === undefined) {
      s = this.db.prepare(sql);
      this.#statements.set(sql, s);
    }
    return s;
  }

  /**
   * Opens (or creates) the database at `path` (`:memory:` for a throwaway one), file mode 0600. WAL journal
   * and synchronous=NORMAL: crash-safe for the simulation's purposes and fast.
   */
  static open(path: string, options: StoreDbOptions = {}): StoreDb {
    const key = options.publicOnly ? undefined : (options.key ?? randomStoreKey());
    if (key !== undefined && key.length !== 32) {
      throw new CertfleetError('INTERNAL', `A key-store key has 32 bytes, not ${key.length}.`);
    }
    let db: Database.Database;
    try {
      if (path !== ':memory:') {
        closeSync(openSync(path, 'a', 0o600)); // created private, before SQLite creates it 0644
        chmodSync(path, 0o600); // and made private when an older run left it readable
      }
      db = new Database(path);
    } catch (cause) {
      throw new CertfleetError(
        'IO',
        `Cannot open the key-store database ${path}: ${(cause as Error).message}`,
        {
          cause,
        },
      );
    }
    if (path !== ':memory:') db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    db.exec(SCHEMA);
    return new StoreDb(db, key);
  }

  /**
   * Runs `fn` in one transaction: every change it makes lands, or (if it throws) none does. Inside another
   * transaction it is a savepoint of it (better-sqlite3 nests them so).
   */
  transaction<T>(fn: () => T): T {
    return this.#transaction(fn) as T;
  }

  /** Adds an item, replacing one with the same device, store, thumbprint and kind. */
  putItem(item: StoreItem): void {
    const key = this.key;
    if (key === undefined) {
      throw new CertfleetError('INTERNAL', 'This key-store database was opened to read certificates only.');
    }
    this.#prepare(
      `INSERT OR REPLACE INTO store_items
         (device_id, store, kind, ref, thumbprint, subject, issuer, not_before, not_after, certificate, private_key, attrs, installed_at)
         VALUES (@device_id, @store, @kind, @ref, @thumbprint, @subject, @issuer, @not_before, @not_after, @certificate, @private_key, @attrs, @installed_at)`,
    ).run({
      device_id: item.deviceId,
      store: item.store,
      kind: item.kind,
      ref: item.ref,
      thumbprint: item.thumbprint,
      subject: item.subject,
      issuer: item.issuer,
      not_before: item.notBefore,
      not_after: item.notAfter,
      certificate: item.certificate,
      private_key: item.privateKey === undefined ? null : sealKey(key, aadOf(item), item.privateKey),
      attrs: JSON.stringify(item.attrs),
      installed_at: item.installedAt,
    });
  }

  /** The device's items matching `filter`, ordered by store then install time. */
  items(deviceId: string, filter: ItemFilter = {}): StoreItem[] {
    const where = ['device_id = @deviceId'];
    const params: Record<string, string> = { deviceId };
    if (filter.store !== undefined) {
      where.push('store = @store');
      params.store = filter.store;
    }
    if (filter.storePrefix !== undefined) {
      where.push('substr(store, 1, length(@prefix)) = @prefix');
      params.prefix = filter.storePrefix;
    }
    if (filter.ref !== undefined) {
      where.push('ref = @ref');
      params.ref = filter.ref;
    }
    if (filter.kind !== undefined) {
      where.push('kind = @kind');
      params.kind = filter.kind;
    }
    if (filter.thumbprint !== undefined) {
      where.push('thumbprint = @thumbprint');
      params.thumbprint = filter.thumbprint.toUpperCase();
    }
    // ordered here, not by SQL: a device holds a handful of items, and an ORDER BY sorts whole rows
    // (certificate and sealed key included) through a temporary B-tree, about half of the query's cost
    const rows = this.#prepare(`SELECT * FROM store_items WHERE ${where.join(' AND ')}`).all(
      params,
    ) as ItemRow[];
    return rows.sort(byStoreOrder).map((r) => fromItemRow(r, this.key));
  }

  /** Removes the device's items matching `filter`; returns how many. */
  removeItems(deviceId: string, filter: ItemFilter): number {
    const victims = this.items(deviceId, filter);
    const del = this.#prepare(
      'DELETE FROM store_items WHERE device_id = ? AND store = ? AND thumbprint = ? AND kind = ?',
    );
    for (const v of victims) del.run(deviceId, v.store, v.thumbprint, v.kind);
    return victims.length;
  }

  /** Records that a profile (or CSP node) was installed with the given content. */
  putProfile(p: InstalledProfile): void {
    this.#prepare(
      `INSERT OR REPLACE INTO installed_profiles (device_id, ref, content_hash, meta, installed_at)
         VALUES (?, ?, ?, ?, ?)`,
    ).run(p.deviceId, p.ref, p.contentHash, JSON.stringify(p.meta), p.installedAt);
  }

  /** The installed profile with this ref, if any. */
  profile(deviceId: string, ref: string): InstalledProfile | undefined {
    const row = this.#prepare('SELECT * FROM installed_profiles WHERE device_id = ? AND ref = ?').get(
      deviceId,
      ref,
    ) as ProfileRow | undefined;
    return row ? fromProfileRow(row) : undefined;
  }

  /** Every installed profile of the device. */
  profiles(deviceId: string): InstalledProfile[] {
    const rows = this.#prepare('SELECT * FROM installed_profiles WHERE device_id = ? ORDER BY ref').all(
      deviceId,
    ) as ProfileRow[];
    return rows.map(fromProfileRow);
  }

  /** Forgets a profile record; returns whether there was one. */
  removeProfile(deviceId: string, ref: string): boolean {
    return (
      this.#prepare('DELETE FROM installed_profiles WHERE device_id = ? AND ref = ?').run(deviceId, ref)
        .changes > 0
    );
  }

  /** Closes the database (flushes the WAL). */
  close(): void {
    this.db.close();
  }
}

/**
 * The order of {@link StoreDb.items}: store, then install time, thumbprint and kind — what `ORDER BY store,
 * installed_at, thumbprint, kind` gives. These columns are ASCII (store names, ISO timestamps, upper-case hex,
 * kind names), where JavaScript's code-unit comparison is SQLite's BINARY collation.
 */
function byStoreOrder(a: ItemRow, b: ItemRow): number {
  return (
    compareText(a.store, b.store) ||
    compareText(a.installed_at, b.installed_at) ||
    compareText(a.thumbprint, b.thumbprint) ||
    compareText(a.kind, b.kind)
  );
}

function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** What a sealed private key is bound to: its row's primary key. */
function aadOf(item: Pick<StoreItem, 'deviceId' | 'store' | 'thumbprint' | 'kind'>): string {
  return [item.deviceId, item.store, item.thumbprint, item.kind].join('\u0000');
}

function fromItemRow(r: ItemRow, key: Buffer | undefined): StoreItem {
  const item: StoreItem = {
    deviceId: r.device_id,
    store: r.store,
    kind: r.kind as StoreItemKind,
    ref: r.ref,
    thumbprint: r.thumbprint,
    subject: r.subject,
    issuer: r.issuer,
    notBefore: r.not_before,
    notAfter: r.not_after,
    certificate: r.certificate,
    attrs: JSON.parse(r.attrs) as Record<string, unknown>,
    installedAt: r.installed_at,
  };
  if (r.private_key && key !== undefined) lazyPrivateKey(item, key, r.private_key);
  return item;
}

/**
 * Gives `item` its private key as a property opened on first read (and kept): most reads of a store want
 * only certificates and metadata (a check-in's renewal check reads every item of the device), and opening
 * each sealed key cost an AES-GCM decryption per item per read (issue 11 point 2). Enumerable, so a
 * spread or a comparison sees the key as before; a key that does not open throws KEYSTORE_SEALED where it
 * is read, each time, and changes nothing.
 */
function lazyPrivateKey(item: StoreItem, key: Buffer, stored: Buffer): void {
  const aad = aadOf(item);
  let opened: Buffer | undefined;
  const set = (value: Buffer | undefined): void => {
    Object.defineProperty(item, 'privateKey', {
      value,
      writable: true,
      enumerable: true,
      configurable: true,
    });
  };
  Object.defineProperty(item, 'privateKey', {
    enumerable: true,
    configurable: true,
    get(): Buffer {
      // a store written before keys were sealed holds them in clear
      opened ??= isSealed(stored) ? openSealedKey(key, aad, stored) : stored;
      return opened;
    },
    set,
  });
}

function fromProfileRow(r: ProfileRow): InstalledProfile {
  return {
    deviceId: r.device_id,
    ref: r.ref,
    contentHash: r.content_hash,
    meta: JSON.parse(r.meta) as Record<string, unknown>,
    installedAt: r.installed_at,
  };
}
