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
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { IssuedIdentity } from '../../../../profiles/compile/index.ts';
import { CertfleetError } from '../../../../pki/errors.ts';
import type { IssuedIdentities } from './issued-identities.ts';

/** SQLite's page cache for the shelf, in KiB (a negative cache_size is KiB): rows are read back rarely. */
const CACHE_KIB = 256;

/** The scratch folders' names: this prefix, the process id, a dash, mkdtemp's random suffix. */
const PREFIX = 'certfleet-issued-';

/** Whether process `pid` runs (a process of another user counts: it is not ours to clean up after). */
function running(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Removes the scratch folders in `parent` that processes no longer running left behind (a killed run
 * cannot delete its own). Best effort: a folder that cannot be read or removed stays.
 */
function removeLeftovers(parent: string): void {
  let names: string[];
  try {
    names = readdirSync(parent);
  } catch {
    return;
  }
  for (const name of names) {
    const m = /^certfleet-issued-(\d+)-[A-Za-z0-9]+$/.exec(name);
    if (m === null || running(Number(m[1]))) continue;
    rmSync(join(parent, name), { recursive: true, force: true });
  }
}

/** The shelf in a SQLite file of a folder of its own under the system's temporary folder. */
export class IssuedOnDisk implements IssuedIdentities {
  readonly #dir: string;
  readonly #db: Database.Database;
  readonly #put: Database.Statement<[string, Buffer, Buffer | null]>;
  readonly #get: Database.Statement<[string], { pfx: Buffer; der: Buffer | null }>;
  readonly #drop: Database.Statement<[string]>;
  /** The passwords, by key (never written to the file). */
  readonly #passwords = new Map<string, string>();

  private constructor(dir: string) {
    this.#dir = dir;
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
  }

  /**
   * A new, empty shelf in a new folder under `parent` (default: the system's temporary folder), named
   * after this process; the folders there of processes no longer running are removed first.
   * @throws CertfleetError IO when the folder or the file cannot be made.
   */
  static open(parent: string = tmpdir()): IssuedOnDisk {
    removeLeftovers(parent);
    let dir: string;
    try {
      dir = mkdtempSync(join(parent, `${PREFIX}${process.pid}-`));
    } catch (cause) {
      throw new CertfleetError(
        'IO',
        `Cannot make the service's scratch folder for issued PFX files in ${parent}: ${(cause as Error).message}. Check that the temporary folder (TMPDIR) is writable.`,
        { cause },
      );
    }
    return new IssuedOnDisk(dir);
  }

  /** The scratch file (for tests). */
  get file(): string {
    return join(this.#dir, 'issued.db');
  }

  /** @inheritdoc */
  keep(key: string, identity: IssuedIdentity): void {
    this.#put.run(key, identity.pfx, identity.certificateDer ?? null);
    this.#passwords.set(key, identity.password);
  }

  /** @inheritdoc */
  get(key: string): IssuedIdentity | undefined {
    const password = this.#passwords.get(key);
    if (password === undefined) return undefined;
    const row = this.#get.get(key);
    if (row === undefined) return undefined;
    return { pfx: row.pfx, password, ...(row.der !== null && { certificateDer: row.der }) };
  }

  /** @inheritdoc */
  drop(key: string): void {
    this.#drop.run(key);
    this.#passwords.delete(key);
  }

  /** @inheritdoc */
  close(): void {
    this.#passwords.clear();
    if (this.#db.open) this.#db.close();
    rmSync(this.#dir, { recursive: true, force: true });
  }
}
