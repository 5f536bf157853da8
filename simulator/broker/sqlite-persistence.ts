/**
 * An aedes persistence that survives a restart of the broker process, even a SIGKILL (issue 10 point 3:
 * `certfleet broker --data DIR`): aedes-persistence's in-memory implementation does the matching, and every
 * change is also written, before aedes goes on, to a SQLite database (better-sqlite3, WAL) in DIR — the
 * persistent sessions' subscriptions, the QoS 1/2 messages queued for each client until it acknowledges
 * them, retained messages and QoS 2 packets received. Opened again, the database is loaded back into
 * memory, so a device or the service reconnecting with `clean: false` finds its session and every message
 * it had not acknowledged.
 *
 * aedes 1.2 writes a QoS 1 PUBACK before it routes the message (lib/handlers/publish.js: the PUBACK,
 * then `broker.publish`, which queues it for the persistent sessions): a kill in between lost a message
 * its publisher had been told was taken. The broker therefore writes each QoS 1 publish it accepts down
 * first ({@link AcceptedPublishes}, from its `authorizePublish`, which aedes runs before the PUBACK), crosses
 * it off once routed (aedes's `published`), and a restarted broker routes what is left before it listens
 * (embedded-broker.ts). One routed just before the kill and not yet crossed off is routed twice: QoS 1 is
 * at-least-once, as for a publisher that sends again when its PUBACK was lost.
 *
 * Not persisted: last-will messages (certfleet sets none) — a restarted broker sends no will of a client
 * that was connected before.
 *
 * The contract is aedes-persistence's (its README, "API"), implemented by its `asyncPersistence.js`, which
 * this class extends: each mutating method calls the memory implementation, then writes the same change.
 * @see https://github.com/moscajs/aedes-persistence#api
 */
import { chmodSync, mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import Database from 'better-sqlite3';

const require = createRequire(import.meta.url);

/** The file of the persistence in the data folder. */
export const BROKER_DB_FILE = 'broker.db';

/** What aedes passes as a client (only its id is read here). */
interface ClientRef {
  id: string;
}

/** An aedes publish packet as the persistence stores it. */
export interface StoredPacket {
  cmd?: string;
  brokerId?: string;
  brokerCounter?: number;
  topic: string;
  payload: Buffer | string;
  qos?: number;
  retain?: boolean;
  dup?: boolean;
  messageId?: number;
  [key: string]: unknown;
}

/** A subscription as aedes hands it over. */
interface Subscription {
  topic: string;
  qos: number;
  [key: string]: unknown;
}

/** The in-memory persistence of aedes-persistence 11 (async API), as far as this file uses it. */
interface MemoryPersistence {
  setup(broker: unknown): Promise<void>;
  storeRetained(packet: StoredPacket): Promise<void>;
  addSubscriptions(client: ClientRef, subs: Subscription[]): Promise<void>;
  removeSubscriptions(client: ClientRef, topics: string[]): Promise<void>;
  cleanSubscriptions(client: ClientRef): Promise<void>;
  outgoingEnqueue(sub: { clientId: string }, packet: StoredPacket): Promise<void>;
  outgoingEnqueueCombi(subs: { clientId: string }[], packet: StoredPacket): Promise<void>;
  outgoingUpdate(client: ClientRef, packet: StoredPacket): Promise<void>;
  outgoingClearMessageId(client: ClientRef, packet: StoredPacket): Promise<StoredPacket | undefined>;
  incomingStorePacket(client: ClientRef, packet: StoredPacket): Promise<void>;
  incomingDelPacket(client: ClientRef, packet: StoredPacket): Promise<void>;
  cleanIncoming(client: ClientRef): Promise<void>;
  destroy(): Promise<void>;
}

type MemoryPersistenceClass = new (opts?: object) => MemoryPersistence;
// aedes-persistence 11 is CommonJS; its async in-memory implementation is this file (no exports map)
const AsyncMemoryPersistence = require('aedes-persistence/asyncPersistence.js') as MemoryPersistenceClass;
const PacketClass = require('aedes-packet') as new (p: StoredPacket) => StoredPacket;

/** aedes-persistence's in-memory persistence (what aedes uses when given none): a broker without `--data`. */
export function memoryPersistence(): MemoryPersistence & {
  outgoingStream(client: ClientRef): AsyncIterable<unknown>;
} {
  return new AsyncMemoryPersistence() as MemoryPersistence & {
    outgoingStream(client: ClientRef): AsyncIterable<unknown>;
  };
}

function encode(p: StoredPacket): string {
  const payload = typeof p.payload === 'string' ? Buffer.from(p.payload) : p.payload;
  return JSON.stringify({ ...p, payload: payload.toString('base64') });
}

function decode(text: string): StoredPacket {
  const o = JSON.parse(text) as StoredPacket & { payload: string };
  return new PacketClass({ ...o, payload: Buffer.from(o.payload, 'base64') });
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS subscriptions (client_id TEXT NOT NULL, topic TEXT NOT NULL, sub TEXT NOT NULL,
  PRIMARY KEY (client_id, topic));
CREATE TABLE IF NOT EXISTS outgoing (seq INTEGER PRIMARY KEY AUTOINCREMENT, client_id TEXT NOT NULL,
  broker_id TEXT, broker_counter INTEGER, message_id INTEGER, packet TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS outgoing_client ON outgoing (client_id, message_id);
CREATE TABLE IF NOT EXISTS retained (topic TEXT PRIMARY KEY, packet TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS incoming (client_id TEXT NOT NULL, message_id INTEGER NOT NULL, packet TEXT NOT NULL,
  PRIMARY KEY (client_id, message_id));
CREATE TABLE IF NOT EXISTS accepted (seq INTEGER PRIMARY KEY AUTOINCREMENT, client_id TEXT NOT NULL,
  packet TEXT NOT NULL);
`;

/** The QoS 1 publishes a broker accepted and has not routed yet (see the file comment). */
export interface AcceptedPublishes {
  /** Writes down `packet`, published by `clientId`, before it is acknowledged; returns its key. */
  accept(clientId: string, packet: StoredPacket): number;
  /** Crosses off the publish of `key`: it is routed (queued for every persistent session it is for). */
  routed(key: number): void;
  /** What a broker that stopped accepted and did not route, oldest first. */
  unrouted(): Array<{ key: number; packet: StoredPacket }>;
}

/**
 * Creates the persistence over `dir/broker.db` (the folder is made if missing, mode 0700), loading what a
 * previous broker left there. Pass it to aedes as `persistence`.
 */
export function sqlitePersistence(
  dir: string,
): MemoryPersistence & { readonly path: string; readonly accepted: AcceptedPublishes } {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const path = join(dir, BROKER_DB_FILE);
  const db = new Database(path);
  // queued payloads carry PKCS#12 files: the owner only
  chmodSync(path, 0o600);
  db.pragma('journal_mode = WAL');
  // a process crash (SIGKILL) loses nothing committed; only a power loss may lose the last transactions
  db.pragma('synchronous = NORMAL');
  db.exec(SCHEMA);
  const q = {
    putSub: db.prepare('INSERT OR REPLACE INTO subscriptions (client_id, topic, sub) VALUES (?, ?, ?)'),
    delSub: db.prepare('DELETE FROM subscriptions WHERE client_id = ? AND topic = ?'),
    delSubs: db.prepare('DELETE FROM subscriptions WHERE client_id = ?'),
    enqueue: db.prepare(
      'INSERT INTO outgoing (client_id, broker_id, broker_counter, message_id, packet) VALUES (?, ?, ?, NULL, ?)',
    ),
    updateByCounter: db.prepare(
      'UPDATE outgoing SET message_id = ? WHERE client_id = ? AND broker_id = ? AND broker_counter = ?',
    ),
    replaceByMessageId: db.prepare(
      `UPDATE outgoing SET broker_id = ?, broker_counter = ?, packet = ? WHERE seq = (
         SELECT seq FROM outgoing WHERE client_id = ? AND message_id = ? ORDER BY seq LIMIT 1)`,
    ),
    clear: db.prepare(
      'DELETE FROM outgoing WHERE seq = (SELECT seq FROM outgoing WHERE client_id = ? AND message_id = ? ORDER BY seq LIMIT 1)',
    ),
    putRetained: db.prepare('INSERT OR REPLACE INTO retained (topic, packet) VALUES (?, ?)'),
    delRetained: db.prepare('DELETE FROM retained WHERE topic = ?'),
    putIncoming: db.prepare(
      'INSERT OR REPLACE INTO incoming (client_id, message_id, packet) VALUES (?, ?, ?)',
    ),
    delIncoming: db.prepare('DELETE FROM incoming WHERE client_id = ? AND message_id = ?'),
    delIncomingAll: db.prepare('DELETE FROM incoming WHERE client_id = ?'),
    accept: db.prepare('INSERT INTO accepted (client_id, packet) VALUES (?, ?)'),
    routed: db.prepare('DELETE FROM accepted WHERE seq = ?'),
  };
  const accepted: AcceptedPublishes = {
    accept: (clientId, packet) =>
      Number(q.accept.run(clientId, encode({ ...packet, dup: false })).lastInsertRowid),
    routed: (key) => {
      q.routed.run(key);
    },
    unrouted: () =>
      (
        db.prepare('SELECT seq, packet FROM accepted ORDER BY seq').all() as { seq: number; packet: string }[]
      ).map((r) => ({ key: r.seq, packet: decode(r.packet) })),
  };

  class SqlitePersistence extends (AsyncMemoryPersistence as MemoryPersistenceClass) {
    readonly path = path;
    readonly accepted = accepted;
    #loaded: Promise<void> | undefined;

    /** Loads the database into memory (once, before aedes uses the persistence). */
    async #load(): Promise<void> {
      const subs = new Map<string, Subscription[]>();
      for (const r of db.prepare('SELECT client_id, sub FROM subscriptions ORDER BY rowid').all() as {
        client_id: string;
        sub: string;
      }[]) {
        const list = subs.get(r.client_id) ?? [];
        list.push(JSON.parse(r.sub) as Subscription);
        subs.set(r.client_id, list);
      }
      for (const [id, list] of subs) await super.addSubscriptions({ id }, list);
      for (const r of db.prepare('SELECT client_id, message_id, packet FROM outgoing ORDER BY seq').all() as {
        client_id: string;
        message_id: number | null;
        packet: string;
      }[]) {
        const packet = decode(r.packet);
        await super.outgoingEnqueue({ clientId: r.client_id }, packet);
        // a message already sent keeps its packet identifier: the session re-sends it "using the original
        // Packet Identifier" (MQTT 3.1.1 §4.4), so the client can tell the redelivery of a message it
        // handled from a new one (mqtt-transport.ts); one never sent gets its identifier when it is sent
        if (r.message_id !== null) {
          await super.outgoingUpdate({ id: r.client_id }, { ...packet, messageId: r.message_id });
        }
      }
      for (const r of db.prepare('SELECT packet FROM retained').all() as { packet: string }[])
        await super.storeRetained(decode(r.packet));
      for (const r of db.prepare('SELECT client_id, packet FROM incoming').all() as {
        client_id: string;
        packet: string;
      }[])
        await super.incomingStorePacket({ id: r.client_id }, decode(r.packet));
    }

    override async setup(broker: unknown): Promise<void> {
      await super.setup(broker);
      this.#loaded ??= this.#load();
      await this.#loaded;
    }

    override async storeRetained(packet: StoredPacket): Promise<void> {
      await super.storeRetained(packet);
      if (packet.payload.length === 0) q.delRetained.run(packet.topic);
      else q.putRetained.run(packet.topic, encode(packet));
    }

    override async addSubscriptions(client: ClientRef, subs: Subscription[]): Promise<void> {
      await super.addSubscriptions(client, subs);
      db.transaction(() => {
        for (const s of subs) q.putSub.run(client.id, s.topic, JSON.stringify(s));
      })();
    }

    override async removeSubscriptions(client: ClientRef, topics: string[]): Promise<void> {
      await super.removeSubscriptions(client, topics);
      db.transaction(() => {
        for (const t of topics) q.delSub.run(client.id, t);
      })();
    }

    override async cleanSubscriptions(client: ClientRef): Promise<void> {
      await super.cleanSubscriptions(client);
      q.delSubs.run(client.id);
    }

    override async outgoingEnqueue(sub: { clientId: string }, packet: StoredPacket): Promise<void> {
      await super.outgoingEnqueue(sub, packet);
      q.enqueue.run(sub.clientId, packet.brokerId ?? null, packet.brokerCounter ?? null, encode(packet));
    }

    override async outgoingEnqueueCombi(subs: { clientId: string }[], packet: StoredPacket): Promise<void> {
      await super.outgoingEnqueueCombi(subs, packet);
      const text = encode(packet);
      db.transaction(() => {
        for (const s of subs)
          q.enqueue.run(s.clientId, packet.brokerId ?? null, packet.brokerCounter ?? null, text);
      })();
    }

    override async outgoingUpdate(client: ClientRef, packet: StoredPacket): Promise<void> {
      await super.outgoingUpdate(client, packet); // throws 'no such packet' as the memory one does
      const byCounter = q.updateByCounter.run(
        packet.messageId ?? null,
        client.id,
        packet.brokerId ?? null,
        packet.brokerCounter ?? null,
      );
      if (byCounter.changes === 0) {
        q.replaceByMessageId.run(
          packet.brokerId ?? null,
          packet.brokerCounter ?? null,
          encode(packet),
          client.id,
          packet.messageId ?? null,
        );
      }
    }

    override async outgoingClearMessageId(
      client: ClientRef,
      packet: StoredPacket,
    ): Promise<StoredPacket | undefined> {
      const cleared = await super.outgoingClearMessageId(client, packet);
      if (cleared !== undefined) q.clear.run(client.id, packet.messageId ?? null);
      return cleared;
    }

    override async incomingStorePacket(client: ClientRef, packet: StoredPacket): Promise<void> {
      await super.incomingStorePacket(client, packet);
      q.putIncoming.run(client.id, packet.messageId ?? 0, encode(packet));
    }

    override async incomingDelPacket(client: ClientRef, packet: StoredPacket): Promise<void> {
      await super.incomingDelPacket(client, packet);
      q.delIncoming.run(client.id, packet.messageId ?? 0);
    }

    override async cleanIncoming(client: ClientRef): Promise<void> {
      await super.cleanIncoming(client);
      q.delIncomingAll.run(client.id);
    }

    override async destroy(): Promise<void> {
      await super.destroy();
      db.close();
    }
  }
  return new SqlitePersistence();
}
