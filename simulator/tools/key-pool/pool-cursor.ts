/**
 * How far one process of a run has drawn its share of a key pool, kept on disk so that a process killed and
 * started again on its folder goes on after it instead of from the top of its share — a resumed `serve`
 * (in its run folder's `service-state.db`) and a restarted `agents` (in `<out>/agents.db`). Without it the
 * restarted process would hand out again the keys it drew before the kill, and one key would serve two
 * certificates of the run (issue 11: "a key serves at most one certificate per run").
 *
 * One table, `key_pool_cursor`, added to the SQLite file the process already keeps for a restart (this
 * module opens its own connection to it; the file's owner created it 0600): a row per pool
 * ({@link KeyPool.id}), process role (`service`, `host i/N`) and key kind, with `next`, the pool number of
 * the first key not reserved yet, and `fresh`, the fresh keys the process made once its share ran dry.
 *
 * Write-ahead, in batches: a draw that reaches the end of what is reserved first commits a new reservation
 * (the next {@link RESERVE_BATCH} numbers of the share) and only then hands out its key; the keys of a
 * reservation are handed out from memory (pool-key-source.ts). A kill loses at most the unused rest of the
 * last reservation: those keys are skipped by the next process — skipped, never handed out twice. The
 * file is in WAL mode with `synchronous = NORMAL`, as its owner keeps it: a commit survives the process
 * being killed (SIGKILL), without an fsync per reservation.
 */
import Database from 'better-sqlite3';
import { CertfleetError } from '../../../pki/errors.ts';

/** How many numbers of a share one reservation takes. */
export const RESERVE_BATCH = 16;

/** The table this module keeps in the file. */
export const POOL_CURSOR_TABLE = 'key_pool_cursor';

/** What was saved for one kind. */
export interface SavedCursor {
  /** The pool number of the first key not reserved (every key before it in the share is taken). */
  next: number;
  /** Fresh keys the process made because its share was dry. */
  fresh: number;
}

/** Whose position a {@link PoolCursor} keeps. */
export interface PoolCursorScope {
  /** The pool ({@link KeyPool.id}). */
  pool: string;
  /** The process's role in the run: `service`, or `host i/N`. */
  role: string;
}

/** A process's saved position in its share of a pool; see the file comment. */
export class PoolCursor {
  readonly #db: Database.Database;
  readonly #scope: PoolCursorScope;
  readonly #path: string;
  readonly #save: Database.Statement;

  private constructor(db: Database.Database, path: string, scope: PoolCursorScope) {
    this.#db = db;
    this.#path = path;
    this.#scope = scope;
    this.#save = db.prepare(
      `INSERT INTO ${POOL_CURSOR_TABLE} (pool, role, kind, next, fresh) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT (pool, role, kind) DO UPDATE SET next = excluded.next, fresh = excluded.fresh`,
    );
  }

  /**
   * Opens the position of `scope` in SQLite file `path`, which must exist (its owner — service-state.db,
   * agents.db — made it, with its mode); adds the table when the file has none. IO when it cannot.
   */
  static open(path: string, scope: PoolCursorScope): PoolCursor {
    let db: Database.Database | undefined;
    try {
      db = new Database(path, { fileMustExist: true });
      db.pragma('synchronous = NORMAL');
      db.exec(
        `CREATE TABLE IF NOT EXISTS ${POOL_CURSOR_TABLE} (
           pool TEXT NOT NULL, role TEXT NOT NULL, kind TEXT NOT NULL,
           next INTEGER NOT NULL, fresh INTEGER NOT NULL, PRIMARY KEY (pool, role, kind))`,
      );
      return new PoolCursor(db, path, scope);
    } catch (cause) {
      db?.close();
      throw new CertfleetError(
        'IO',
        `Cannot keep the key pool position in ${path}: ${(cause as Error).message}. Check that the folder is writable.`,
        { cause },
      );
    }
  }

  /** The saved position of each kind (none before the first reservation). */
  saved(): Map<string, SavedCursor> {
    const rows = this.#db
      .prepare(`SELECT kind, next, fresh FROM ${POOL_CURSOR_TABLE} WHERE pool = ? AND role = ?`)
      .all(this.#scope.pool, this.#scope.role) as { kind: string; next: number; fresh: number }[];
    return new Map(rows.map((r) => [r.kind, { next: r.next, fresh: r.fresh }]));
  }

  /** Commits the position of `kind` (one statement: its own transaction); IO when it cannot be written. */
  save(kind: string, c: SavedCursor): void {
    try {
      this.#save.run(this.#scope.pool, this.#scope.role, kind, c.next, c.fresh);
    } catch (cause) {
      throw new CertfleetError(
        'IO',
        `Cannot save the key pool position in ${this.#path}: ${(cause as Error).message}. No key was handed out past the saved position.`,
        { cause },
      );
    }
  }

  /** Closes the connection (the position stays on disk). */
  close(): void {
    if (this.#db.open) this.#db.close();
  }
}
