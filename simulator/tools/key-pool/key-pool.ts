/**
 * A key pool on disk: a folder with one SQLite file, `key-pool.db` (mode 0600, in a 0700 folder when
 * certfleet creates it), that holds pre-made private keys sealed under a passphrase (pki/key-seal.ts:
 * scrypt → AES-256-GCM, one IV per key, each key bound to its kind and number). Nothing in the file is a
 * plaintext key: without the passphrase it is useless, and with a wrong one nothing opens (the pool's check
 * value fails its tag first, so a wrong passphrase is refused before anything is read or written).
 *
 * Tables: `meta(name, value)` — `format`, the scrypt parameters and salt, `check` (a known text sealed with
 * the key); `keys(kind, n, sealed)` — the n-th key of a kind, `n` from 0, as its private JWK (RFC 7517, UTF-8
 * JSON) sealed with the associated data `certfleet-key-pool/1 <kind> <n>`. JWK rather than PKCS#8 because a
 * run imports every key it draws, and OpenSSL 3 imports a JWK's numbers many times faster than it decodes
 * PKCS#8 (about 0.1 ms against 1.5–2 ms per RSA-2048 key, measured here).
 *
 * The pool is never consumed: a run reads keys from it and marks them used in that run only (see
 * pool-key-source.ts); `certfleet keys make` only appends.
 */
import { closeSync, existsSync, mkdirSync, openSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { createHash, createPrivateKey, createPublicKey, type JsonWebKey, type KeyObject } from 'node:crypto';
import Database from 'better-sqlite3';
import { CertfleetError } from '../../../pki/errors.ts';
import { deriveSealKey, newSealParams, open, seal, type SealParams } from '../../../pki/key-seal.ts';
import { keySpecOf, type KeyPair } from '../../../pki/keys.ts';
import { kindOfSpec, POOL_KINDS, type PoolKind } from './pool-kind.ts';

/** The pool's file name inside its folder. */
export const KEY_POOL_FILE = 'key-pool.db';

/** The environment variable that holds the pool's passphrase (never an option: it would show in `ps`). */
export const KEY_POOL_PASSPHRASE_ENV = 'CERTFLEET_KEY_POOL_PASSPHRASE';

/** The format tag stored in the pool (and in each key's associated data). */
export const KEY_POOL_FORMAT = 'certfleet-key-pool/1';

const CHECK_TEXT = 'certfleet key pool check';

/** The passphrase from the environment; KEY_POOL_PASSPHRASE_MISSING when it is unset or empty. */
export function poolPassphraseFrom(env: Record<string, string | undefined>): string {
  const value = env[KEY_POOL_PASSPHRASE_ENV];
  if (value === undefined || value === '') {
    throw new CertfleetError(
      'KEY_POOL_PASSPHRASE_MISSING',
      `${KEY_POOL_PASSPHRASE_ENV} is not set: the key pool is encrypted with it. Export it (the same value for ` +
        '`certfleet keys make` and every `run --key-pool`) and run again.',
    );
  }
  return value;
}

/** Options of {@link KeyPool.open}. */
export interface KeyPoolOpenOptions {
  /** Create the folder and the pool when there is none (`certfleet keys make`). */
  create?: boolean;
}

/** An open key pool; see the file comment. */
export class KeyPool {
  readonly #db: Database.Database;
  readonly #key: Buffer;
  /** The pool's folder (absolute). */
  readonly dir: string;
  /**
   * What names this pool wherever its file is (a copy on another machine too): a digest of its random
   * scrypt salt, made when the pool was. A process's saved position in its share (pool-cursor.ts) belongs
   * to one pool. Not a secret: it opens nothing.
   */
  readonly id: string;

  private constructor(dir: string, db: Database.Database, key: Buffer, salt: Buffer) {
    this.dir = dir;
    this.#db = db;
    this.#key = key;
    this.id = createHash('sha256').update('certfleet-key-pool-id\0').update(salt).digest('hex').slice(0, 32);
  }

  /**
   * Opens the pool in `dir` with `passphrase` (or creates it with `create`). KEY_POOL_INVALID when the
   * folder holds no pool or a damaged one, KEY_POOL_PASSPHRASE_WRONG for a wrong passphrase,
   * KEY_POOL_PASSPHRASE_MISSING for an empty one; none of them changes anything on disk.
   */
  static open(dir: string, passphrase: string, o: KeyPoolOpenOptions = {}): KeyPool {
    if (passphrase === '') {
      throw new CertfleetError('KEY_POOL_PASSPHRASE_MISSING', `${KEY_POOL_PASSPHRASE_ENV} is empty.`);
    }
    const abs = resolve(dir);
    const path = join(abs, KEY_POOL_FILE);
    if (!existsSync(path)) {
      if (!o.create) {
        throw new CertfleetError(
          'KEY_POOL_INVALID',
          `${abs} holds no key pool (no ${KEY_POOL_FILE}): make one with \`certfleet keys make --dir ${dir} --count N\`.`,
          { details: { input: true } },
        );
      }
      return KeyPool.#create(abs, path, passphrase);
    }
    let db: Database.Database;
    let params: SealParams;
    let check: Buffer;
    try {
      db = new Database(path, { fileMustExist: true });
    } catch (cause) {
      throw KeyPool.#invalid(abs, 'it cannot be opened as SQLite', cause);
    }
    try {
      const meta = new Map(
        (db.prepare('SELECT name, value FROM meta').all() as { name: string; value: Buffer | string }[]).map(
          (r) => [r.name, r.value],
        ),
      );
      if (meta.get('format') !== KEY_POOL_FORMAT)
        throw KeyPool.#invalid(abs, 'its format is not ' + KEY_POOL_FORMAT);
      const n = Number(meta.get('scrypt_n'));
      const r = Number(meta.get('scrypt_r'));
      const p = Number(meta.get('scrypt_p'));
      const salt = meta.get('salt');
      const c = meta.get('check');
      if (![n, r, p].every((v) => Number.isInteger(v) && v > 0) || n > 2 ** 20 || r > 32 || p > 16)
        throw KeyPool.#invalid(abs, 'its scrypt parameters are missing or out of range');
      if (!Buffer.isBuffer(salt) || !Buffer.isBuffer(c))
        throw KeyPool.#invalid(abs, 'its salt or check value is missing');
      params = { n, r, p, salt };
      check = c;
    } catch (e) {
      db.close();
      if (e instanceof CertfleetError) throw e;
      throw KeyPool.#invalid(abs, 'it is not a certfleet key pool', e);
    }
    const key = deriveSealKey(passphrase, params);
    const plain = open(key, check, `${KEY_POOL_FORMAT} check`);
    if (plain?.toString('utf8') !== CHECK_TEXT) {
      db.close();
      throw new CertfleetError(
        'KEY_POOL_PASSPHRASE_WRONG',
        `The passphrase in ${KEY_POOL_PASSPHRASE_ENV} does not open the key pool in ${abs}: use the value the pool was made with. Nothing was read or changed.`,
      );
    }
    return new KeyPool(abs, db, key, params.salt);
  }

  static #create(abs: string, path: string, passphrase: string): KeyPool {
    mkdirSync(abs, { recursive: true, mode: 0o700 });
    // create the file 0600 before SQLite opens it: SQLite gives its journal the database file's mode
    closeSync(openSync(path, 'wx', 0o600));
    const db = new Database(path, { fileMustExist: true });
    const params = newSealParams();
    const key = deriveSealKey(passphrase, params);
    db.exec(
      `CREATE TABLE meta (name TEXT PRIMARY KEY, value BLOB NOT NULL);
       CREATE TABLE keys (kind TEXT NOT NULL, n INTEGER NOT NULL, sealed BLOB NOT NULL, PRIMARY KEY (kind, n));`,
    );
    const put = db.prepare('INSERT INTO meta (name, value) VALUES (?, ?)');
    db.transaction(() => {
      put.run('format', KEY_POOL_FORMAT);
      put.run('scrypt_n', String(params.n));
      put.run('scrypt_r', String(params.r));
      put.run('scrypt_p', String(params.p));
      put.run('salt', params.salt);
      put.run('check', seal(key, Buffer.from(CHECK_TEXT, 'utf8'), `${KEY_POOL_FORMAT} check`));
    })();
    return new KeyPool(abs, db, key, params.salt);
  }

  static #invalid(abs: string, why: string, cause?: unknown): CertfleetError {
    return new CertfleetError(
      'KEY_POOL_INVALID',
      `${join(abs, KEY_POOL_FILE)} is not a usable key pool: ${why}. Make a new pool with \`certfleet keys make\` in another folder.`,
      { cause, details: { input: true } },
    );
  }

  /** How many keys of `kind` the pool holds. */
  count(kind: PoolKind): number {
    const row = this.#db.prepare('SELECT COUNT(*) AS c FROM keys WHERE kind = ?').get(kind) as { c: number };
    return row.c;
  }

  /** How many keys of each kind the pool holds (every kind, 0 included). */
  counts(): Record<PoolKind, number> {
    const out = Object.fromEntries(POOL_KINDS.map((k) => [k, 0])) as Record<PoolKind, number>;
    for (const r of this.#db.prepare('SELECT kind, COUNT(*) AS c FROM keys GROUP BY kind').all() as {
      kind: string;
      c: number;
    }[]) {
      if (r.kind in out) out[r.kind as PoolKind] = r.c;
    }
    return out;
  }

  /** Seals and appends private keys of `kind`, in one transaction. */
  append(kind: PoolKind, keys: readonly KeyObject[]): void {
    this.appendJwk(
      kind,
      keys.map((k) => Buffer.from(JSON.stringify(k.export({ format: 'jwk' })), 'utf8')),
    );
  }

  /** Seals and appends private keys of `kind` given as JWK JSON (UTF-8), in one transaction; wipes them. */
  appendJwk(kind: PoolKind, jwks: readonly Buffer[]): void {
    const insert = this.#db.prepare('INSERT INTO keys (kind, n, sealed) VALUES (?, ?, ?)');
    this.#db.transaction(() => {
      let n = (
        this.#db.prepare('SELECT COALESCE(MAX(n) + 1, 0) AS n FROM keys WHERE kind = ?').get(kind) as {
          n: number;
        }
      ).n;
      for (const jwk of jwks) {
        insert.run(kind, n, seal(this.#key, jwk, `${KEY_POOL_FORMAT} ${kind} ${n}`));
        n += 1;
      }
    })();
    for (const jwk of jwks) jwk.fill(0);
  }

  /** The `n`-th key of `kind` (from 0); KEY_POOL_INVALID when it is missing or does not authenticate. */
  key(kind: PoolKind, n: number): KeyPair {
    const row = this.#db.prepare('SELECT sealed FROM keys WHERE kind = ? AND n = ?').get(kind, n) as
      { sealed: Buffer } | undefined;
    if (!row) throw KeyPool.#invalid(this.dir, `it has no ${kind} key number ${n}`);
    const plain = open(this.#key, row.sealed, `${KEY_POOL_FORMAT} ${kind} ${n}`);
    if (!plain)
      throw KeyPool.#invalid(this.dir, `${kind} key number ${n} fails authentication (the file was changed)`);
    try {
      const jwk = JSON.parse(plain.toString('utf8')) as JsonWebKey;
      const privateKey = createPrivateKey({ key: jwk, format: 'jwk' });
      const publicKey = createPublicKey(privateKey);
      if (kindOfSpec(keySpecOf(publicKey)) !== kind) throw new Error(`not a ${kind} key`);
      return { privateKey, publicKey };
    } catch (cause) {
      throw KeyPool.#invalid(this.dir, `${kind} key number ${n} is not a usable key`, cause);
    } finally {
      plain.fill(0);
    }
  }

  /** Closes the file. */
  close(): void {
    if (this.#db.open) this.#db.close();
    this.#key.fill(0);
  }
}
