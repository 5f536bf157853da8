/**
 * The issued-identities shelf on disk (issued-identities.ts): each delivery's PKCS#12 file in a SQLite
 * table of a scratch file, read back only for a re-enrolment's recompile or a saved state — not ~3.8 KB of
 * memory per PKCS delivery for the whole run (issue 11 point 3). The password stays in memory: the file
 * holds the PFX, which is encrypted under it, and never the password, so what is left on disk after a
 * crash cannot be opened with the file alone. The file is scratch: the service's saved state (its
 * checkpoint) carries the identities as before, so a resumed run does not need it; {@link
 * IssuedOnDisk.close} deletes it, and the folder a killed process left is deleted by the next shelf opened
 * in the same place.
 *
 * @see https://www.sqlite.org/pragma.html (journal_mode OFF, synchronous OFF, cache_size: a scratch file)
 */
import Database from 'better-sqlite3';
import { rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { IssuedIdentity } from '../../../../profiles/compile/index.ts';
import { CertfleetError } from '../../../../pki/errors.ts';
import { makeScratchDir } from '../../../scratch-dir.ts';
import type { IssuedIdentities } from './issued-identities.ts';

/** SQLite's page cache for the shelf, in KiB (a negative cache_size is KiB): rows are read back rarely. */
const CACHE_KIB = 256;

/**
 * How many identities are held in memory before they are written, all in one transaction: one statement
 * per identity in its own transaction cost ~1 ms of the run's thread per device (a CPU profile of 3,000
 * devices); 64 PFX files are ~250 KB.
 */
export const ISSUED_WRITE_BATCH = 64;

/** The scratch folders' names: this prefix, the process id, a dash, mkdtemp's random suffix. */
const PREFIX = 'certfleet-issued-';

/** The shelf in a SQLite file of a folder of its own under the system's temporary folder. */
export class IssuedOnDisk implements IssuedIdentities {
  readonly #dir: string;
  readonly #db: Database.Database;
  readonly #put: Database.Statement<[string, Buffer, Buffer | null]>;
  readonly #get: Database.Statement<[string], { pfx: Buffer; der: Buffer | null }>;
  readonly #drop: Database.Statement<[string]>;
  readonly #writeAll: (rows: Map<string, IssuedIdentity>) => void;
  /** The passwords, by key (never written to the file): a key has an identity exactly when it has one. */
  readonly #passwords = new Map<string, string>();
  /** How many identities are held before they are written. */
  readonly #batch: number;
  /** Identities kept and not yet written (fewer than {@link #batch}); newer than the file's row. */
  readonly #unwritten = new Map<string, IssuedIdentity>();

  private constructor(dir: string, batch: number) {
    this.#dir = dir;
    this.#batch = batch;
    try {
      this.#db = new Database(join(dir, 'issued.db'));
      this.#db.pragma('journal_mode = OFF');
      this.#db.pragma('synchronous = OFF');
      this.#db.pragma(`cache_size = -${CACHE_KIB}`);
      this.#db.exec('CREATE TABLE issued (key TEXT PRIMARY KEY, pfx BLOB NOT NULL, der BLOB) WITHOUT ROWID');
    } catch (cause) {
      rmSync(dir, { recursive: true, force: true });
      throw new CertfleetError(
        'IO',
        `Cannot make the service's scratch file for issued PFX files in ${dir}: ${(cause as Error).message}. Check that the temporary folder (TMPDIR) is writable.`,
        { cause },
      );
    }
    this.#put = this.#db.prepare('INSERT OR REPLACE INTO issued (key, pfx, der) VALUES (?, ?, ?)');
    this.#get = this.#db.prepare('SELECT pfx, der FROM issued WHERE key = ?');
    this.#drop = this.#db.prepare('DELETE FROM issued WHERE key = ?');
    this.#writeAll = this.#db.transaction((rows: Map<string, IssuedIdentity>) => {
      for (const [key, identity] of rows) this.#put.run(key, identity.pfx, identity.certificateDer ?? null);
    });
  }

  /**
   * A new, empty shelf in a new folder under `parent` (default: the system's temporary folder), named
   * after this process; the folders there of processes no longer running are removed first. `writeBatch`:
   * how many identities are held in memory before they are written (1: each as it is kept).
   * @throws CertfleetError IO when the folder or the file cannot be made.
   */
  static open(parent: string = tmpdir(), options: { writeBatch?: number } = {}): IssuedOnDisk {
    let dir: string;
    try {
      dir = makeScratchDir(parent, PREFIX);
    } catch (cause) {
      throw new CertfleetError(
        'IO',
        `Cannot make the service's scratch folder for issued PFX files in ${parent}: ${(cause as Error).message}. Check that the temporary folder (TMPDIR) is writable.`,
        { cause },
      );
    }
    return new IssuedOnDisk(dir, Math.max(1, options.writeBatch ?? ISSUED_WRITE_BATCH));
  }

  /** The scratch file (for tests). */
  get file(): string {
    return join(this.#dir, 'issued.db');
  }

  /** Identities held in memory, not yet in the file (for tests). */
  get unwritten(): number {
    return this.#unwritten.size;
  }

  /**
   * @inheritdoc
   * Held in memory until a batch is (`writeBatch` of {@link IssuedOnDisk.open}, default
   * {@link ISSUED_WRITE_BATCH}), then written in one transaction.
   */
  keep(key: string, identity: IssuedIdentity): void {
    // delete first: a replaced identity goes to the end, after those kept since (the order they are written in)
    this.#unwritten.delete(key);
    this.#unwritten.set(key, identity);
    this.#passwords.set(key, identity.password);
    if (this.#unwritten.size >= this.#batch) this.#write();
  }

  /** Writes the identities held in memory to the file, in one transaction. */
  #write(): void {
    if (this.#unwritten.size === 0) return;
    this.#writeAll(this.#unwritten);
    this.#unwritten.clear();
  }

  /** @inheritdoc */
  get(key: string): IssuedIdentity | undefined {
    const password = this.#passwords.get(key);
    if (password === undefined) return undefined;
    const held = this.#unwritten.get(key);
    if (held !== undefined) return held;
    const row = this.#get.get(key);
    if (row === undefined) return undefined;
    return { pfx: row.pfx, password, ...(row.der !== null && { certificateDer: row.der }) };
  }

  /** @inheritdoc */
  drop(key: string): void {
    // a key without a password was never kept, or was dropped since: the file has no row of it
    if (!this.#passwords.delete(key)) return;
    this.#unwritten.delete(key);
    this.#drop.run(key);
  }

  /** @inheritdoc */
  close(): void {
    this.#passwords.clear();
    this.#unwritten.clear();
    if (this.#db.open) this.#db.close();
    rmSync(this.#dir, { recursive: true, force: true });
  }
}
