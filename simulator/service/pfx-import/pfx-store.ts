/**
 * The imported-PFX store (imported PKCS, issue 14 point 3): what Intune keeps for each user PFX the import
 * module uploads — the Graph `userPFXCertificate` entity (`thumbprint`, `intendedPurpose`,
 * `userPrincipalName`, `startDateTime`, `expirationDateTime`, `providerName`, `keyName`, `paddingScheme`,
 * `encryptedPfxBlob`, `encryptedPfxPassword`, `createdDateTime`; docs/formats.md §5.4).
 *
 * SQLite (`pfx-import/user-pfx.db` in the tenant folder). The PFX is kept as imported (encrypted under its own
 * password); the password only as a CMS EnvelopedData to the tenant key (tenant-key.ts) — the plain password is
 * never stored, printed or logged. One record per user and thumbprint: importing the same certificate again
 * replaces it (the import module's update).
 */
import Database from 'better-sqlite3';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';

/** Graph `userPfxIntendedPurpose`. */
export const USER_PFX_INTENDED_PURPOSES = [
  'unassigned',
  'smimeEncryption',
  'smimeSigning',
  'vpn',
  'wifi',
] as const;
/** One of {@link USER_PFX_INTENDED_PURPOSES}. */
export type UserPfxIntendedPurpose = (typeof USER_PFX_INTENDED_PURPOSES)[number];

/** One imported PFX, as Graph names the fields. */
export interface UserPfxRecord {
  id: string;
  userPrincipalName: string;
  /** SHA-1 thumbprint of the leaf, upper-case hex. */
  thumbprint: string;
  intendedPurpose: UserPfxIntendedPurpose;
  /** The leaf's subject (RFC 4514), for listings. */
  subject: string;
  startDateTime: string;
  expirationDateTime: string;
  providerName: string;
  keyName: string;
  paddingScheme: 'oaepSha256';
  /** The PFX as imported, base64. */
  encryptedPfxBlob: string;
  /** The PFX password as a base64 CMS EnvelopedData to the tenant key. */
  encryptedPfxPassword: string;
  createdDateTime: string;
}

/** The store file, relative to the tenant folder. */
export const PFX_STORE_FILE = join('pfx-import', 'user-pfx.db');

const COLUMNS = [
  'id',
  'userPrincipalName',
  'thumbprint',
  'intendedPurpose',
  'subject',
  'startDateTime',
  'expirationDateTime',
  'providerName',
  'keyName',
  'paddingScheme',
  'encryptedPfxBlob',
  'encryptedPfxPassword',
  'createdDateTime',
] as const satisfies readonly (keyof UserPfxRecord)[];

/** The store of one tenant folder. */
export class PfxStore {
  readonly #db: Database.Database;

  private constructor(db: Database.Database) {
    this.#db = db;
  }

  /** Opens (creating) the store in the tenant folder `dir`. */
  static open(dir: string): PfxStore {
    mkdirSync(join(dir, 'pfx-import'), { recursive: true });
    const db = new Database(join(dir, PFX_STORE_FILE));
    db.exec(
      `CREATE TABLE IF NOT EXISTS user_pfx (${COLUMNS.map((c) => `${c} TEXT NOT NULL`).join(', ')},
        PRIMARY KEY (userPrincipalName, thumbprint))`,
    );
    return new PfxStore(db);
  }

  /** Adds `record`, replacing the user's record of the same thumbprint. */
  put(record: UserPfxRecord): void {
    this.#db
      .prepare(
        `INSERT OR REPLACE INTO user_pfx (${COLUMNS.join(', ')}) VALUES (${COLUMNS.map((c) => `@${c}`).join(', ')})`,
      )
      .run(record);
  }

  /** The user's records (UPN compared case-insensitively, as Entra does), newest first; all users without `upn`. */
  list(upn?: string): UserPfxRecord[] {
    const rows =
      upn === undefined
        ? this.#db.prepare('SELECT * FROM user_pfx ORDER BY userPrincipalName, createdDateTime DESC').all()
        : this.#db
            .prepare(
              'SELECT * FROM user_pfx WHERE lower(userPrincipalName) = lower(?) ORDER BY createdDateTime DESC, thumbprint',
            )
            .all(upn);
    return rows as UserPfxRecord[];
  }

  close(): void {
    this.#db.close();
  }
}

/** The records of `upn` in the tenant folder `dir`, newest first (none when nothing was ever imported there). */
export function importsOf(dir: string, upn: string): UserPfxRecord[] {
  if (!existsSync(join(dir, PFX_STORE_FILE))) return [];
  const store = PfxStore.open(dir);
  try {
    return store.list(upn);
  } finally {
    store.close();
  }
}
