/**
 * The saved state of a coordinated `serve` (issue 10 point 3, docs/architecture.md "The fleet engine":
 * "`serve` killed"): `service-state.db`, a SQLite database beside `run.db` in the run folder, that a
 * restarted `serve` reads to resume instead of starting over. It holds
 *
 * - the **checkpoint** written at the close of each virtual instant, when every side is idle: the clock's
 *   position (the instant and how many instants ran), the service ledger's per-device counts (cumulative:
 *   merged by maximum, so only the devices that changed are written) and the service's records (one row
 *   per store and key; a changed record is written again, a removed one deleted) — all of it in **one
 *   transaction**, so a kill leaves the previous checkpoint or this one, never half of each;
 * - the messages **received** and held, not handled yet ({@link ServiceCheckpoint.receive}): the
 *   coordinator's round gate holds a wave's device messages until the wave's inbox is complete, and the
 *   transport acknowledges a message once the gate has it, so it is kept here before that;
 * - the **inbox** and **outbox** of the messages handled between two checkpoints: handling a message
 *   records its id ({@link inboxKey}), the store records it changed and the messages it makes in one
 *   transaction, before the message is acknowledged to the broker ({@link ServiceCheckpoint.handle}). After a kill the broker delivers the unacknowledged messages
 *   of the persistent session again: an id already in the inbox is not handled again, and the outbox
 *   entries not yet confirmed as published are published again — the same bytes, so a device gets the
 *   certificate that was issued for it, never a second one.
 *
 * Secrets at rest (issue 10 point 5): the records and the outbox payloads hold PFX files, their passwords
 * and issued identities, so each is sealed with AES-256-GCM (pki/key-seal.ts) under a key derived with
 * HKDF-SHA256 (RFC 5869) from the fleet secret and a random salt stored here, bound to its place (store
 * and key, or outbox sequence); the file is 0600. The scenario digest (engine-fleet.ts `scenarioDigest`)
 * is stored too: a folder of another scenario or seed, or opened with another fleet secret, is refused
 * with RUN_STATE_MISMATCH and nothing is changed.
 *
 * Durability: WAL with `synchronous = NORMAL` — a committed transaction survives the process being killed
 * (SIGKILL), not the machine losing power.
 */
import { closeSync, existsSync, openSync } from 'node:fs';
import { createHash, hkdfSync, randomBytes } from 'node:crypto';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { CertfleetError } from '../../pki/errors.ts';
import { open as openSealed, seal } from '../../pki/key-seal.ts';
import type { DeviceCounts } from '../../protocol/transport/device-ledger.ts';
import type { TransportMessage } from '../../protocol/transport/transport.ts';

/** The file name inside a run folder. */
export const SERVICE_STATE_FILE = 'service-state.db';

const FORMAT = 'certfleet-service-state/3';

const SCHEMA = `
CREATE TABLE meta (
  id INTEGER PRIMARY KEY CHECK (id = 1), format TEXT NOT NULL, digest TEXT NOT NULL, salt BLOB NOT NULL,
  check_value BLOB NOT NULL
);
CREATE TABLE position (id INTEGER PRIMARY KEY CHECK (id = 1), at INTEGER NOT NULL, instants INTEGER NOT NULL);
CREATE TABLE ledger (device_id TEXT PRIMARY KEY, sent INTEGER NOT NULL, handled INTEGER NOT NULL);
CREATE TABLE records (store TEXT NOT NULL, key TEXT NOT NULL, value BLOB NOT NULL, PRIMARY KEY (store, key));
CREATE TABLE inbox (message_id TEXT PRIMARY KEY, generation INTEGER NOT NULL, topic TEXT);
CREATE TABLE outbox (seq INTEGER PRIMARY KEY, inbox_id TEXT NOT NULL, topic TEXT NOT NULL, payload BLOB NOT NULL);
CREATE TABLE received (seq INTEGER PRIMARY KEY, message_id TEXT NOT NULL UNIQUE, topic TEXT NOT NULL, payload BLOB NOT NULL);
CREATE TABLE engine (id INTEGER PRIMARY KEY CHECK (id = 1), snapshot TEXT NOT NULL);
CREATE TABLE host_events (host TEXT PRIMARY KEY, incarnation TEXT NOT NULL, seq INTEGER NOT NULL);
CREATE TABLE connector_keys (request_id TEXT PRIMARY KEY, key BLOB NOT NULL);
`;

/** Where the clock was at the last checkpoint. */
export interface CheckpointPosition {
  /** The virtual instant (epoch ms) whose close was saved. */
  at: number;
  /** How many instants the run had closed by then. */
  instants: number;
}

/** A record of a service store as the checkpoint saves it; `value` undefined removes it. */
export interface StoreRecord {
  store: string;
  key: string;
  value?: Buffer;
}

/** What one checkpoint saves (only what changed since the last one). */
export interface Checkpoint extends CheckpointPosition {
  /** The per-device counts of the devices whose counts changed (DeviceLedger.snapshotChanged). */
  ledger: Iterable<readonly [string, DeviceCounts]>;
  records: Iterable<StoreRecord>;
  /** The coordinator's state at this close (JSON of engine/coordinator.ts CoordinatorSnapshot), if any. */
  engine?: string;
}

/** A message handling made, saved until it is confirmed as published. */
export interface OutboxEntry {
  seq: number;
  /** The id of the message whose handling made it. */
  inboxId: string;
  topic: string;
  payload: Buffer;
}

/** Options of {@link ServiceCheckpoint.open}. */
export interface ServiceCheckpointOptions {
  /** What identifies the run: the scenario as loaded, its seed and size (engine-fleet.ts scenarioDigest). */
  digest: string;
  /** The fleet secret: the sealing key derives from it (never stored). A string is taken as UTF-8. */
  secret: string | Buffer;
}

/** The saved state of a coordinated serve (see the file comment). */
export class ServiceCheckpoint {
  readonly #db: Database.Database;
  readonly #key: Buffer;
  readonly #path: string;
  #generation: number;
  /** Prepared statements by SQL text: a serve writes here with every handled message and instant. */
  readonly #statements = new Map<string, Database.Statement>();
  /** One transaction function for every write, made once. */
  readonly #transaction: (f: () => void) => void;

  private constructor(db: Database.Database, key: Buffer, path: string, generation: number) {
    this.#db = db;
    this.#key = key;
    this.#path = path;
    this.#generation = generation;
    this.#transaction = db.transaction((f: () => void) => f());
  }

  /** The prepared statement for `sql`, prepared once. */
  #sql(sql: string): Database.Statement {
    let s = this.#statements.get(sql);
    if (s === undefined) {
      s = this.#db.prepare(sql);
      this.#statements.set(sql, s);
    }
    return s;
  }

  /** True when `dir` holds saved service state. */
  static exists(dir: string): boolean {
    return existsSync(join(dir, SERVICE_STATE_FILE));
  }

  /**
   * Opens the saved state in run folder `dir`, creating it (0600) when there is none.
   * @throws CertfleetError RUN_STATE_MISMATCH when it belongs to another scenario, seed or fleet secret;
   *   IO when it cannot be read or written.
   */
  static open(dir: string, o: ServiceCheckpointOptions): ServiceCheckpoint {
    const path = join(dir, SERVICE_STATE_FILE);
    const fresh = !existsSync(path);
    let db: Database.Database;
    try {
      if (fresh) closeSync(openSync(path, 'wx', 0o600));
      db = new Database(path);
      db.pragma('journal_mode = WAL');
      db.pragma('synchronous = NORMAL');
    } catch (cause) {
      throw new CertfleetError(
        'IO',
        `Cannot open the saved service state ${path}: ${(cause as Error).message}`,
        {
          cause,
        },
      );
    }
    try {
      if (fresh) {
        const salt = randomBytes(16);
        const key = sealKey(o.secret, salt);
        db.transaction(() => {
          db.exec(SCHEMA);
          db.prepare('INSERT INTO meta (id, format, digest, salt, check_value) VALUES (1, ?, ?, ?, ?)').run(
            FORMAT,
            o.digest,
            salt,
            seal(key, Buffer.from(o.digest), 'meta'),
          );
        })();
        return new ServiceCheckpoint(db, key, path, 0);
      }
      const meta = db.prepare('SELECT format, digest, salt, check_value FROM meta WHERE id = 1').get() as
        { format: string; digest: string; salt: Buffer; check_value: Buffer } | undefined;
      if (meta?.format !== FORMAT)
        throw new CertfleetError(
          'IO',
          `${path} is not a ${FORMAT} database: remove the run folder, or use another --out.`,
        );
      if (meta.digest !== o.digest)
        throw new CertfleetError(
          'RUN_STATE_MISMATCH',
          `${dir} holds the saved state of another run (another scenario file, seed or fleet size): it cannot be resumed with this scenario, and nothing was changed. ` +
            'Start serve with the scenario of that run, or write the new run to another --out folder.',
          { details: { path } },
        );
      const key = sealKey(o.secret, meta.salt);
      if (openSealed(key, meta.check_value, 'meta') === undefined)
        throw new CertfleetError(
          'RUN_STATE_MISMATCH',
          `${dir} holds saved state sealed under another fleet secret: start serve with the fleet secret of that run (CERTFLEET_FLEET_SECRET); nothing was changed.`,
          { details: { path } },
        );
      const pos = db.prepare('SELECT instants FROM position WHERE id = 1').get() as
        { instants: number } | undefined;
      return new ServiceCheckpoint(db, key, path, pos?.instants ?? 0);
    } catch (e) {
      db.close();
      if (e instanceof CertfleetError) throw e;
      throw new CertfleetError('IO', `Cannot read the saved service state ${path}: ${(e as Error).message}`, {
        cause: e,
      });
    }
  }

  /**
   * Saves the close of an instant in one transaction: the position, the changed ledger counts (merged by
   * maximum: they never decrease), the changed records; and forgets the inbox ids of the instants before
   * the previous one (a message handled then was acknowledged long since: the broker delivers it no more)
   * and the outbox entries confirmed. Nothing is saved when any part fails.
   */
  checkpoint(c: Checkpoint): void {
    const upsertLedger = this.#sql(
      `INSERT INTO ledger (device_id, sent, handled) VALUES (?, ?, ?)
       ON CONFLICT (device_id) DO UPDATE SET sent = MAX(sent, excluded.sent), handled = MAX(handled, excluded.handled)`,
    );
    this.#write(() => {
      this.#sql(
        'INSERT INTO position (id, at, instants) VALUES (1, ?, ?) ON CONFLICT (id) DO UPDATE SET at = excluded.at, instants = excluded.instants',
      ).run(c.at, c.instants);
      for (const [device, counts] of c.ledger) upsertLedger.run(device, counts.sent, counts.handled);
      if (c.engine !== undefined) this.#putEngine(c.engine);
      this.#writeRecords(c.records);
      this.#sql('DELETE FROM inbox WHERE generation < ?').run(c.instants - 1);
    });
    this.#generation = c.instants;
  }

  /**
   * Saves the coordinator's state outside a checkpoint (when the run starts, before any instant closed):
   * JSON of engine/coordinator.ts CoordinatorSnapshot.
   */
  saveEngine(snapshot: string): void {
    this.#write(() => this.#putEngine(snapshot));
  }

  /** The coordinator's state saved last (JSON), or undefined when the run never started. */
  engine(): string | undefined {
    const row = this.#sql('SELECT snapshot FROM engine WHERE id = 1').get() as
      { snapshot: string } | undefined;
    return row?.snapshot;
  }

  /**
   * Records that the host events up to `seq` of host `host` (in its incarnation `incarnation`) are in
   * run.db: a resumed coordinator does not record them again.
   */
  saveHostEvents(host: string, incarnation: string, seq: number): void {
    this.#write(() =>
      this.#sql(
        `INSERT INTO host_events (host, incarnation, seq) VALUES (?, ?, ?)
           ON CONFLICT (host) DO UPDATE SET incarnation = excluded.incarnation, seq = excluded.seq`,
      ).run(host, incarnation, seq),
    );
  }

  /** The last host event recorded in run.db, by host id ({@link saveHostEvents}). */
  hostEvents(): Map<string, { incarnation: string; seq: number }> {
    const rows = this.#sql('SELECT host, incarnation, seq FROM host_events').all() as {
      host: string;
      incarnation: string;
      seq: number;
    }[];
    return new Map(rows.map((r) => [r.host, { incarnation: r.incarnation, seq: r.seq }]));
  }

  /**
   * The topics of the messages taken in since the last checkpoint — handled ({@link handle} with a topic)
   * or kept ({@link receive}) — whose counts are not in the saved ledger yet: the service ledger counts a
   * message handled when the round gate takes it, so a resumed service adds these to the saved counts.
   */
  takenSinceCheckpoint(): string[] {
    const handled = this.#sql('SELECT topic FROM inbox WHERE generation = ? AND topic IS NOT NULL').all(
      this.#generation,
    ) as { topic: string }[];
    const kept = this.#sql('SELECT topic FROM received').all() as { topic: string }[];
    return [...handled, ...kept].map((r) => r.topic);
  }

  /** The position of the last checkpoint, or undefined when none was saved. */
  position(): CheckpointPosition | undefined {
    return this.#sql('SELECT at, instants FROM position WHERE id = 1').get() as
      CheckpointPosition | undefined;
  }

  /** The saved ledger counts, by device id. */
  ledger(): Map<string, DeviceCounts> {
    const rows = this.#sql('SELECT device_id, sent, handled FROM ledger').all() as {
      device_id: string;
      sent: number;
      handled: number;
    }[];
    return new Map(rows.map((r) => [r.device_id, { sent: r.sent, handled: r.handled }]));
  }

  /**
   * The saved records of `store`, by key, unsealed.
   * @throws CertfleetError IO when a record does not authenticate (the file was changed).
   */
  records(store: string): Map<string, Buffer> {
    const rows = this.#sql('SELECT key, value FROM records WHERE store = ? ORDER BY key').all(store) as {
      key: string;
      value: Buffer;
    }[];
    const out = new Map<string, Buffer>();
    for (const r of rows) {
      const value = openSealed(this.#key, r.value, recordAad(store, r.key));
      if (value === undefined)
        throw new CertfleetError(
          'IO',
          `${this.#path}: the saved record ${store}/${r.key} does not authenticate (the file was changed): the run cannot be resumed.`,
        );
      out.set(r.key, value);
    }
    return out;
  }

  /**
   * Records that message `inboxId` was handled, the store records its handling changed and what it
   * publishes, in one transaction: call it after the handler changed the state and before the message is
   * acknowledged or anything it made is published. Returns the outbox entries to publish, or undefined —
   * writing nothing — when `inboxId` was handled already (a broker's redelivery after a kill: the caller
   * acknowledges it and runs no handler).
   *
   * The records belong here, not only in the next {@link checkpoint}: a message acknowledged and then
   * lost to a kill before the instant closed is not delivered again, so unless its effect on the stores
   * was committed with it, a resumed service would have published its answer (the outbox) without
   * knowing it had (an enrolment answered but not recorded, a certificate sent but its delivery still
   * waiting).
   */
  handle(
    inboxId: string,
    outgoing: readonly { topic: string; payload: Buffer }[],
    records: Iterable<StoreRecord> = [],
    topic?: string,
  ): OutboxEntry[] | undefined {
    const entries: OutboxEntry[] = [];
    let fresh = false;
    this.#write(() => {
      const inserted = this.#sql(
        'INSERT INTO inbox (message_id, generation, topic) VALUES (?, ?, ?) ON CONFLICT DO NOTHING',
      ).run(inboxId, this.#generation, topic ?? null);
      if (inserted.changes === 0) return;
      fresh = true;
      this.#sql('DELETE FROM received WHERE message_id = ?').run(inboxId);
      this.#writeRecords(records);
      const add = this.#sql('INSERT INTO outbox (inbox_id, topic, payload) VALUES (?, ?, ?)');
      const seqOf = this.#sql('SELECT last_insert_rowid() AS seq');
      for (const m of outgoing) {
        // the row first (its seq binds the seal), then its sealed payload
        add.run(inboxId, m.topic, Buffer.alloc(0));
        const { seq } = seqOf.get() as { seq: number };
        this.#sql('UPDATE outbox SET payload = ? WHERE seq = ?').run(
          seal(this.#key, m.payload, outboxAad(seq, m.topic)),
          seq,
        );
        entries.push({ seq, inboxId, topic: m.topic, payload: m.payload });
      }
    });
    return fresh ? entries : undefined;
  }

  /**
   * Keeps a message received and not handled yet — one the service's round gate holds until its wave's
   * inbox is complete (protocol/transport/round-gate.ts) — so that it can be acknowledged to the broker
   * before it is handled: the broker delivers it no more, and a killed service finds it here
   * ({@link held}). Its handling ({@link handle}, same id) removes it in the same transaction. Returns false
   * — writing nothing — when the id is kept already or was handled (a broker's redelivery: acknowledge it,
   * hold nothing).
   */
  receive(inboxId: string, topic: string, payload: Buffer): boolean {
    let fresh = false;
    this.#write(() => {
      if (this.wasHandled(inboxId)) return;
      const add = this.#sql(
        'INSERT INTO received (message_id, topic, payload) VALUES (?, ?, ?) ON CONFLICT DO NOTHING',
      ).run(inboxId, topic, Buffer.alloc(0));
      if (add.changes === 0) return;
      fresh = true;
      this.#sql('UPDATE received SET payload = ? WHERE seq = ?').run(
        seal(this.#key, payload, receivedAad(inboxId, topic)),
        add.lastInsertRowid,
      );
    });
    return fresh;
  }

  /**
   * The messages received and not handled ({@link receive}), in the order they came: a resumed service
   * holds them again for the wave that was open when the previous process was killed.
   * @throws CertfleetError IO when one does not authenticate (the file was changed).
   */
  held(): { inboxId: string; topic: string; payload: Buffer }[] {
    const rows = this.#sql('SELECT message_id, topic, payload FROM received ORDER BY seq').all() as {
      message_id: string;
      topic: string;
      payload: Buffer;
    }[];
    return rows.map((r) => {
      const payload = openSealed(this.#key, r.payload, receivedAad(r.message_id, r.topic));
      if (payload === undefined)
        throw new CertfleetError(
          'IO',
          `${this.#path}: a saved received message does not authenticate (the file was changed): the run cannot be resumed.`,
        );
      return { inboxId: r.message_id, topic: r.topic, payload };
    });
  }

  /** True when message `inboxId` was handled since the checkpoint before the last one. */
  wasHandled(inboxId: string): boolean {
    return this.#sql('SELECT 1 FROM inbox WHERE message_id = ?').get(inboxId) !== undefined;
  }

  /** Marks outbox entry `seq` published (the broker acknowledged it): it is not published again. */
  confirm(seq: number): void {
    this.#write(() => this.#sql('DELETE FROM outbox WHERE seq = ?').run(seq));
  }

  /**
   * The outbox entries not confirmed, oldest first: a resumed serve publishes them again before anything else.
   * @throws CertfleetError IO when an entry does not authenticate (the file was changed).
   */
  unconfirmed(): OutboxEntry[] {
    const rows = this.#sql('SELECT seq, inbox_id, topic, payload FROM outbox ORDER BY seq').all() as {
      seq: number;
      inbox_id: string;
      topic: string;
      payload: Buffer;
    }[];
    return rows.map((r) => {
      const payload = openSealed(this.#key, r.payload, outboxAad(r.seq, r.topic));
      if (payload === undefined)
        throw new CertfleetError(
          'IO',
          `${this.#path}: the saved outgoing message ${r.seq} does not authenticate (the file was changed): the run cannot be resumed.`,
        );
      return { seq: r.seq, inboxId: r.inbox_id, topic: r.topic, payload };
    });
  }

  /**
   * Names this saved state without revealing anything of it (a one-way digest of its sealing key): the
   * scope of the connectors' request ids at the CA (connector/key-journal.ts).
   */
  get scope(): string {
    return createHash('sha256')
      .update('certfleet/connector-scope\0')
      .update(this.#key)
      .digest('base64url')
      .slice(0, 16);
  }

  /**
   * Keeps a connector's private key for request `requestId` (PKCS#8 DER), sealed, committed at once — not
   * at the instant's close: the connector asks the CA next (connector/key-journal.ts, issue 10 point 3).
   */
  keepConnectorKey(requestId: string, pkcs8: Buffer): void {
    this.#write(() => {
      this.#sql(
        'INSERT INTO connector_keys (request_id, key) VALUES (?, ?) ON CONFLICT (request_id) DO UPDATE SET key = excluded.key',
      ).run(requestId, seal(this.#key, pkcs8, connectorKeyAad(requestId)));
    });
  }

  /**
   * The key kept for `requestId` (PKCS#8 DER), unsealed.
   * @throws CertfleetError IO when it does not authenticate (the file was changed).
   */
  connectorKey(requestId: string): Buffer | undefined {
    const row = this.#sql('SELECT key FROM connector_keys WHERE request_id = ?').get(requestId) as
      { key: Buffer } | undefined;
    if (row === undefined) return undefined;
    const key = openSealed(this.#key, row.key, connectorKeyAad(requestId));
    if (key === undefined)
      throw new CertfleetError(
        'IO',
        `${this.#path}: the connector key kept for request ${requestId} does not authenticate (the file was changed): the run cannot be resumed.`,
      );
    return key;
  }

  /**
   * Writes `records` (sealed; one with no value is removed) and `keys` (sealed as {@link keepConnectorKey}
   * does; one with no `pkcs8` is forgotten) in one transaction, committed at once — outside a checkpoint:
   * the write-ahead of a change that something leaving the process depends on (issue 10 point 3: the SCEP
   * server's challenges and issued certificates before its HTTP answer, a request the CA holds for a
   * certificate manager with its key). A later checkpoint may write the same record again.
   */
  keep(records: Iterable<StoreRecord>, keys: Iterable<{ requestId: string; pkcs8?: Buffer }> = []): void {
    this.#write(() => {
      this.#writeRecords(records);
      for (const k of keys) {
        if (k.pkcs8 === undefined)
          this.#sql('DELETE FROM connector_keys WHERE request_id = ?').run(k.requestId);
        else
          this.#sql(
            'INSERT INTO connector_keys (request_id, key) VALUES (?, ?) ON CONFLICT (request_id) DO UPDATE SET key = excluded.key',
          ).run(k.requestId, seal(this.#key, k.pkcs8, connectorKeyAad(k.requestId)));
      }
    });
  }

  /** Forgets the key kept for `requestId`. */
  forgetConnectorKey(requestId: string): void {
    this.#write(() => {
      this.#sql('DELETE FROM connector_keys WHERE request_id = ?').run(requestId);
    });
  }

  /** Closes the database. */
  close(): void {
    this.#db.close();
  }

  #putEngine(snapshot: string): void {
    this.#sql(
      'INSERT INTO engine (id, snapshot) VALUES (1, ?) ON CONFLICT (id) DO UPDATE SET snapshot = excluded.snapshot',
    ).run(snapshot);
  }

  /** Writes (sealed) or removes `records`; inside a {@link #write} transaction only. */
  #writeRecords(records: Iterable<StoreRecord>): void {
    const putRecord = this.#sql(
      'INSERT INTO records (store, key, value) VALUES (?, ?, ?) ON CONFLICT (store, key) DO UPDATE SET value = excluded.value',
    );
    const dropRecord = this.#sql('DELETE FROM records WHERE store = ? AND key = ?');
    for (const r of records) {
      if (r.value === undefined) dropRecord.run(r.store, r.key);
      else putRecord.run(r.store, r.key, seal(this.#key, r.value, recordAad(r.store, r.key)));
    }
  }

  #write(f: () => void): void {
    try {
      this.#transaction(f);
    } catch (cause) {
      throw new CertfleetError(
        'IO',
        `Cannot write the saved service state ${this.#path}: ${(cause as Error).message}`,
        {
          cause,
        },
      );
    }
  }
}

/**
 * The inbox id of a received device message: its MQTT packet identifier and the SHA-256 of its topic and
 * payload — the rule the transport already uses to recognise a redelivery on one process
 * (mqtt-transport.ts `#isRedelivery`), kept here across a kill. A redelivery after a kill carries the
 * same identifier and bytes (MQTT 3.1.1 §4.4), so it finds its row; the broker gives the identifier to
 * another message only after the PUBACK, and both brokers number a session's messages in turn (65,535
 * before one comes back), so a new message matches an old row only when, within the two instants an
 * inbox row is kept, 65,535 messages reached the service and the new one has the very topic and bytes of
 * the old one. Undefined for a QoS 0 message: the broker never delivers one again, so it needs no inbox.
 */
export function inboxKey(m: TransportMessage): string | undefined {
  if (m.packetId === undefined) return undefined;
  const digest = createHash('sha256').update(m.topic).update('\0').update(m.payload).digest('base64url');
  return `${m.packetId}:${digest}`;
}

/** The 256-bit sealing key of the saved state: HKDF-SHA256 (RFC 5869) of the fleet secret and the file's salt. */
function sealKey(secret: string | Buffer, salt: Buffer): Buffer {
  const ikm = typeof secret === 'string' ? Buffer.from(secret, 'utf8') : secret;
  return Buffer.from(hkdfSync('sha256', ikm, salt, 'certfleet/service-state', 32));
}

function recordAad(store: string, key: string): string {
  return `record\0${store}\0${key}`;
}

function connectorKeyAad(requestId: string): string {
  return `connector-key\0${requestId}`;
}

function receivedAad(inboxId: string, topic: string): string {
  return `received\0${inboxId}\0${topic}`;
}

function outboxAad(seq: number, topic: string): string {
  return `outbox\0${seq}\0${topic}`;
}
