/**
 * The run database (`run.db` in the run folder): one SQLite file (better-sqlite3 12.x, WAL) with what a
 * run did — the run row (scenario, seed, metrics, expectations), devices and their attributes, inventories,
 * deliveries, final outcomes, the event timeline, and a snapshot of every device's key stores taken at the
 * end of the run — so that `certfleet show device ID --run DIR` can tell one device's story afterwards and
 * the run folder is self-contained.
 *
 * Writes are queued and applied in transactions of `batchSize` operations (a fleet of thousands records
 * tens of thousands of rows); {@link RunDb.flush} and {@link RunDb.close} apply what is left. The store
 * snapshot copies public facts only: never a private key, never a PKCS#8 or PFX blob, never a password.
 */
import { closeSync, existsSync, openSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import type { Device } from '../../agent/device/device.ts';
import { CertfleetError } from '../../pki/errors.ts';
import type { StoreItemFacts } from '../../protocol/wire/clock-messages.ts';
import type { EnrollmentKind, Platform } from '../../profiles/model/platform.ts';
import type {
  DeviceProfileOutcome,
  DeviceSummary,
  ExpectationResult,
  RunEvent,
  RunInterruption,
  RunMetrics,
  RunResult,
} from '../run-model.ts';
import { pickNative, pickOutcome } from './report-json.ts';

/**
 * Marks the finished run database at `path` as interrupted (issue 10 point 7), for a run whose result was
 * recorded before the caller knew a signal stopped it (`run --workers`: the coordinator records it).
 */
export function recordInterruption(path: string, interruption: RunInterruption): void {
  let db: Database.Database | undefined;
  try {
    db = new Database(path, { fileMustExist: true });
    db.prepare('UPDATE run SET interrupted = ? WHERE id = 1').run(
      JSON.stringify({ signal: interruption.signal, at: interruption.at }),
    );
  } catch (cause) {
    throw new CertfleetError(
      'IO',
      `Cannot mark the run database ${path} interrupted: ${(cause as Error).message}`,
      {
        cause,
      },
    );
  } finally {
    db?.close();
  }
}

/** The run database's file name inside a run folder. */
export const RUN_DB_FILE = 'run.db';

const SCHEMA_VERSION = 1;

/** A device as the run database keeps it: the report summary plus its facts and attribute values. */
export interface DeviceRecord extends DeviceSummary {
  /** What the device is beyond the summary: ownership, supervision, OS build, TPM, hardware, user… */
  facts: Record<string, unknown>;
  /** Attribute values the device reports (`imei`, `serialNumber`, …). */
  attributes: Record<string, string>;
  /** Why each other attribute is absent. */
  absent: Record<string, string>;
}

/** An inventory a device reported, in its platform's own shape (protocol/wire/inventory.ts `Inventory`). */
export interface InventoryRecord {
  device: string;
  at: string;
  inventory: unknown;
}

/** One payload published to a device. */
export interface DeliveryRecord {
  device: string;
  profile: string;
  /** Apple PayloadIdentifier, Windows LocURI/UniqueID, Android certificate GUID. */
  payload: string;
  /** `mobileconfig`, `syncml`, `android-policy`, … */
  format: string;
  topic: string;
  bytes: number;
  /** 1 for the first publish, then 2, 3… for retries and renewals. */
  attempt: number;
  at: string;
  /** SHA-256 of the payload bytes, hex, when known. */
  contentHash?: string;
}

/**
 * One key-store item as the snapshot keeps it: public facts only — the same facts an agent host sends the
 * coordinator at the end of a split run (protocol/wire/clock-messages.ts).
 */
export type StoreSnapshotItem = StoreItemFacts;

/**
 * What {@link RunDb.snapshotStores} accepts: a StoreItem of agent/keystore/store-db.ts or anything with
 * its public fields. Other fields (`privateKey`, `certificate`, …) are ignored, never stored.
 */
export type StoreItemLike = Omit<StoreSnapshotItem, 'attrs' | 'issuer' | 'notBefore' | 'installedAt'> &
  Partial<Pick<StoreSnapshotItem, 'attrs' | 'issuer' | 'notBefore' | 'installedAt'>> & {
    privateKey?: unknown;
    certificate?: unknown;
  };

/** The run row. */
export interface RunInfo {
  scenario: string;
  seed: string;
  startedAt: string;
  devices: number;
  finishedAt?: string;
  metrics?: RunMetrics;
  expectations: ExpectationResult[];
  /** Set when a signal stopped the run before its end (issue 10 point 7). */
  interrupted?: RunInterruption;
}

/** Everything the run database knows about one device (`certfleet show device`). */
export interface DeviceStory {
  run: { scenario: string; seed: string; startedAt: string; interrupted?: RunInterruption };
  device: DeviceRecord;
  /** The last inventory the device reported. */
  inventory?: InventoryRecord;
  stores: StoreSnapshotItem[];
  /**
   * Why `stores` is empty for every device of the run when the run collected none (a `serve --wall-paced`
   * run: each `agents` keeps its devices' stores in its own agents.db); absent when the run collected them.
   */
  storesNotCollected?: string;
  deliveries: DeliveryRecord[];
  outcomes: DeviceProfileOutcome[];
  timeline: RunEvent[];
}

/** Options of {@link RunDb.create}. */
export interface CreateRunDbOptions {
  /** Replace a run database already at `path` (default: refuse). */
  overwrite?: boolean;
  /** Operations per transaction (default 1,000). */
  batchSize?: number;
}

/** The facts key of the attributes the scenario removed (`fleet.missing`), with why: `show device` says so. */
export const REMOVED_BY_SCENARIO = 'removedByScenario';

/**
 * Builds the {@link DeviceRecord} of a simulated device; `removedByScenario`: the absent attributes the
 * scenario removed, each with its cause in words (simulator/scenario/absence-causes.ts), kept in its facts.
 */
export function deviceRecordOf(
  device: Device,
  enrolled: boolean,
  removedByScenario: Record<string, string> = {},
): DeviceRecord {
  const { id, index, platform, enrollmentKind, osVersion, model, attributes, absent, ...rest } = device;
  const facts =
    Object.keys(removedByScenario).length > 0 ? { ...rest, [REMOVED_BY_SCENARIO]: removedByScenario } : rest;
  return {
    id,
    index,
    platform,
    kind: enrollmentKind,
    osVersion,
    model,
    enrolled,
    facts: JSON.parse(JSON.stringify(facts)) as Record<string, unknown>,
    attributes: { ...attributes } as Record<string, string>,
    absent: { ...absent } as Record<string, string>,
  };
}

const SECRET_KEY = /pass|secret|private|pkcs8|pfx|pin$|token|credential/i;

/**
 * What {@link RunDb.snapshotStores} keeps of a key-store item, and nothing else: no certificate bytes, no
 * private key, no secret-looking attribute. An agent host sends this to the coordinator for the end-of-run
 * snapshot (protocol/wire/clock-messages.ts `stores`), so what crosses the broker is what run.db holds.
 */
export function storeItemFacts(it: StoreItemLike): StoreSnapshotItem {
  return {
    deviceId: it.deviceId,
    store: it.store,
    kind: it.kind,
    ref: it.ref,
    subject: it.subject,
    issuer: it.issuer ?? '',
    thumbprint: it.thumbprint.toUpperCase(),
    notBefore: it.notBefore ?? '',
    notAfter: it.notAfter,
    installedAt: it.installedAt ?? '',
    attrs: publicAttrs(it.attrs),
  };
}

/** Store attributes without secret-looking keys or binary values (recursively). */
function publicAttrs(v: unknown): Record<string, unknown> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return {};
  const out: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(v)) {
    if (SECRET_KEY.test(k) || x instanceof Uint8Array || x instanceof ArrayBuffer) continue;
    if (typeof x === 'object' && x !== null && !Array.isArray(x)) out[k] = publicAttrs(x);
    else if (x === null || ['string', 'number', 'boolean'].includes(typeof x)) out[k] = x;
  }
  return out;
}

const SCHEMA = `
CREATE TABLE run (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  scenario TEXT NOT NULL, seed TEXT NOT NULL, started_at TEXT NOT NULL, devices INTEGER NOT NULL,
  finished_at TEXT, metrics TEXT, expectations TEXT NOT NULL DEFAULT '[]',
  interrupted TEXT
);
CREATE TABLE devices (
  id TEXT PRIMARY KEY, idx INTEGER NOT NULL, platform TEXT NOT NULL, kind TEXT NOT NULL,
  os_version TEXT NOT NULL, model TEXT NOT NULL, enrolled INTEGER NOT NULL,
  facts TEXT NOT NULL, attributes TEXT NOT NULL, absent TEXT NOT NULL
);
CREATE TABLE inventories (
  seq INTEGER PRIMARY KEY, device_id TEXT NOT NULL, at TEXT NOT NULL, inventory TEXT NOT NULL
);
CREATE INDEX inventories_device ON inventories (device_id, seq);
CREATE TABLE deliveries (
  seq INTEGER PRIMARY KEY, device_id TEXT NOT NULL, profile TEXT NOT NULL, payload TEXT NOT NULL,
  format TEXT NOT NULL, topic TEXT NOT NULL, bytes INTEGER NOT NULL, attempt INTEGER NOT NULL,
  at TEXT NOT NULL, content_hash TEXT
);
CREATE INDEX deliveries_device ON deliveries (device_id, seq);
CREATE TABLE outcomes (
  device_id TEXT NOT NULL, profile TEXT NOT NULL, platform TEXT NOT NULL, kind TEXT NOT NULL,
  status TEXT NOT NULL, code TEXT NOT NULL, message TEXT NOT NULL, renewals INTEGER NOT NULL,
  native TEXT, at TEXT NOT NULL, statuses TEXT,
  PRIMARY KEY (device_id, profile)
);
CREATE TABLE events (
  seq INTEGER PRIMARY KEY, at TEXT NOT NULL, device_id TEXT, profile TEXT, type TEXT NOT NULL, detail TEXT NOT NULL
);
CREATE INDEX events_device ON events (device_id, at, seq);
CREATE TABLE store_items (
  device_id TEXT NOT NULL, store TEXT NOT NULL, kind TEXT NOT NULL, ref TEXT NOT NULL,
  subject TEXT NOT NULL, issuer TEXT NOT NULL, thumbprint TEXT NOT NULL,
  not_before TEXT NOT NULL, not_after TEXT NOT NULL, installed_at TEXT NOT NULL, attrs TEXT NOT NULL,
  PRIMARY KEY (device_id, store, thumbprint, kind)
);
`;

interface RunRow {
  scenario: string;
  seed: string;
  started_at: string;
  devices: number;
  finished_at: string | null;
  metrics: string | null;
  expectations: string;
  /** JSON of a RunInterruption; absent from run databases written before issue 10. */
  interrupted?: string | null;
}
interface DeviceRow {
  id: string;
  idx: number;
  platform: string;
  kind: string;
  os_version: string;
  model: string;
  enrolled: number;
  facts: string;
  attributes: string;
  absent: string;
}
interface OutcomeRow {
  device_id: string;
  profile: string;
  platform: string;
  kind: string;
  status: string;
  code: string;
  message: string;
  renewals: number;
  native: string | null;
  at: string;
}
interface EventRow {
  at: string;
  device_id: string | null;
  profile: string | null;
  type: string;
  detail: string;
}
interface DeliveryRow {
  device_id: string;
  profile: string;
  payload: string;
  format: string;
  topic: string;
  bytes: number;
  attempt: number;
  at: string;
  content_hash: string | null;
}
interface StoreRow {
  device_id: string;
  store: string;
  kind: string;
  ref: string;
  subject: string;
  issuer: string;
  thumbprint: string;
  not_before: string;
  not_after: string;
  installed_at: string;
  attrs: string;
}

/** Up to five device ids of a query's matches (the query fetched six), for a message. */
function list(ids: string[]): string {
  return `${ids.slice(0, 5).join(', ')}${ids.length > 5 ? ', …' : ''}`;
}

function json(text: string): unknown {
  return JSON.parse(text) as unknown;
}

function storeItemOf(r: StoreRow): StoreSnapshotItem {
  return {
    deviceId: r.device_id,
    store: r.store,
    kind: r.kind as StoreSnapshotItem['kind'],
    ref: r.ref,
    subject: r.subject,
    issuer: r.issuer,
    thumbprint: r.thumbprint,
    notBefore: r.not_before,
    notAfter: r.not_after,
    installedAt: r.installed_at,
    attrs: json(r.attrs) as Record<string, unknown>,
  };
}

function deliveryOf(r: DeliveryRow): DeliveryRecord {
  const x: DeliveryRecord = {
    device: r.device_id,
    profile: r.profile,
    payload: r.payload,
    format: r.format,
    topic: r.topic,
    bytes: r.bytes,
    attempt: r.attempt,
    at: r.at,
  };
  if (r.content_hash !== null) x.contentHash = r.content_hash;
  return x;
}

/** The run database; see the file comment. Write side: {@link RunDb.create}; read side: {@link RunDb.open}. */
export class RunDb {
  readonly #db: Database.Database;
  readonly #writable: boolean;
  readonly #batchSize: number;
  #queue: (() => void)[] = [];
  readonly #stmts = new Map<string, Database.Statement>();

  private constructor(db: Database.Database, writable: boolean, batchSize: number) {
    this.#db = db;
    this.#writable = writable;
    this.#batchSize = batchSize;
  }

  /** Creates a new run database at `path` (a file; use {@link runDbPath} for a run folder). */
  static create(path: string, options: CreateRunDbOptions = {}): RunDb {
    if (existsSync(path)) {
      if (!options.overwrite)
        throw new CertfleetError(
          'IO',
          `${path} already holds a run database; write the run to another --out folder, or remove the old run.`,
        );
      for (const f of [path, `${path}-wal`, `${path}-shm`]) rmSync(f, { force: true });
    }
    let db: Database.Database;
    try {
      // 0600 before SQLite creates it (its -wal and -shm take the same mode): the run's records are the owner's
      if (path !== ':memory:') closeSync(openSync(path, 'wx', 0o600));
      db = new Database(path);
    } catch (cause) {
      throw new CertfleetError('IO', `Cannot create the run database ${path}: ${(cause as Error).message}`, {
        cause,
      });
    }
    if (path !== ':memory:') db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    db.exec(SCHEMA);
    db.pragma(`user_version = ${SCHEMA_VERSION}`);
    return new RunDb(db, true, Math.max(1, options.batchSize ?? 1000));
  }

  /**
   * Opens the run database of a run that did not finish, to go on writing to it (a resumed `serve`, issue
   * 10 point 3): its run row, devices, events and outcomes stay; new records are added after them.
   * @throws CertfleetError IO when there is no run database of this version at `path`.
   */
  static reopen(path: string, options: Pick<CreateRunDbOptions, 'batchSize'> = {}): RunDb {
    RunDb.open(path).close(); // the same checks (it exists, it is a run database of this version)
    let db: Database.Database;
    try {
      db = new Database(path, { fileMustExist: true });
    } catch (cause) {
      throw new CertfleetError('IO', `Cannot reopen the run database ${path}: ${(cause as Error).message}`, {
        cause,
      });
    }
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    return new RunDb(db, true, Math.max(1, options.batchSize ?? 1000));
  }

  /**
   * Opens a run database read-only: `path` is the database file or the run folder that holds it
   * (`--run DIR`).
   */
  static open(path: string): RunDb {
    const file = existsSync(path) && statSync(path).isDirectory() ? runDbPath(path) : path;
    let db: Database.Database;
    try {
      db = new Database(file, { readonly: true, fileMustExist: true });
    } catch (cause) {
      throw new CertfleetError(
        'IO',
        `No run database at ${file}: pass --run with the folder of a finished run (it holds ${RUN_DB_FILE}).`,
        { cause },
      );
    }
    let version: number;
    try {
      version = db.pragma('user_version', { simple: true }) as number;
    } catch (cause) {
      db.close();
      throw new CertfleetError('IO', `${file} is not a run database (${(cause as Error).message}).`, {
        cause,
      });
    }
    if (version !== SCHEMA_VERSION) {
      db.close();
      throw new CertfleetError(
        'IO',
        `${file} is not a certfleet run database of this version (schema ${version}, expected ${SCHEMA_VERSION}); re-run the scenario with this certfleet.`,
      );
    }
    return new RunDb(db, false, 1);
  }

  #stmt(sql: string): Database.Statement {
    let s = this.#stmts.get(sql);
    if (!s) {
      s = this.#db.prepare(sql);
      this.#stmts.set(sql, s);
    }
    return s;
  }

  #enqueue(sql: string, params: Record<string, unknown> | unknown[]): void {
    if (!this.#writable) throw new CertfleetError('INTERNAL', 'This run database was opened read-only.');
    const stmt = this.#stmt(sql);
    this.#queue.push(() => (Array.isArray(params) ? stmt.run(...params) : stmt.run(params)));
    if (this.#queue.length >= this.#batchSize) this.flush();
  }

  /** Applies the queued writes in one transaction. */
  flush(): void {
    if (this.#queue.length === 0) return;
    const ops = this.#queue;
    this.#queue = [];
    try {
      this.#db.transaction(() => {
        for (const op of ops) op();
      })();
    } catch (cause) {
      throw new CertfleetError(
        'IO',
        `Cannot write ${ops.length} records to the run database: ${(cause as Error).message}`,
        { cause },
      );
    }
  }

  /** Writes the run row (call once, at the start). */
  recordRun(run: { scenario: string; seed: string; startedAt: string; devices: number }): void {
    this.#enqueue(
      `INSERT INTO run (id, scenario, seed, started_at, devices) VALUES (1, ?, ?, ?, ?)
       ON CONFLICT (id) DO UPDATE SET scenario = excluded.scenario, seed = excluded.seed,
         started_at = excluded.started_at, devices = excluded.devices`,
      [run.scenario, run.seed, run.startedAt, run.devices],
    );
  }

  /** Records (or updates: e.g. once enrolled) a device. */
  recordDevice(d: DeviceRecord): void {
    this.#enqueue(
      `INSERT INTO devices (id, idx, platform, kind, os_version, model, enrolled, facts, attributes, absent)
       VALUES (@id, @idx, @platform, @kind, @os_version, @model, @enrolled, @facts, @attributes, @absent)
       ON CONFLICT (id) DO UPDATE SET idx = excluded.idx, platform = excluded.platform, kind = excluded.kind,
         os_version = excluded.os_version, model = excluded.model, enrolled = excluded.enrolled,
         facts = excluded.facts, attributes = excluded.attributes, absent = excluded.absent`,
      {
        id: d.id,
        idx: d.index,
        platform: d.platform,
        kind: d.kind,
        os_version: d.osVersion,
        model: d.model,
        enrolled: d.enrolled ? 1 : 0,
        facts: JSON.stringify(d.facts),
        attributes: JSON.stringify(d.attributes),
        absent: JSON.stringify(d.absent),
      },
    );
  }

  /** Marks a device enrolled (or not) without rewriting its record. */
  recordEnrolled(deviceId: string, enrolled = true): void {
    this.#enqueue('UPDATE devices SET enrolled = ? WHERE id = ?', [enrolled ? 1 : 0, deviceId]);
  }

  /** Records an inventory a device reported. */
  recordInventory(r: InventoryRecord): void {
    this.#enqueue('INSERT INTO inventories (device_id, at, inventory) VALUES (?, ?, ?)', [
      r.device,
      r.at,
      JSON.stringify(r.inventory),
    ]);
  }

  /** Records a payload published to a device. */
  recordDelivery(r: DeliveryRecord): void {
    this.#enqueue(
      `INSERT INTO deliveries (device_id, profile, payload, format, topic, bytes, attempt, at, content_hash)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      [r.device, r.profile, r.payload, r.format, r.topic, r.bytes, r.attempt, r.at, r.contentHash ?? null],
    );
  }

  /** Records the current outcome of a device × profile (a later call replaces it). */
  recordOutcome(o: DeviceProfileOutcome): void {
    const native = pickNative(o.native);
    // the CA's answer and the service's status beside the device's (issue 12 point 3)
    const { ca, service } = pickOutcome(o);
    const statuses =
      ca || service ? JSON.stringify({ ...(ca && { ca }), ...(service && { service }) }) : null;
    this.#enqueue(
      `INSERT OR REPLACE INTO outcomes (device_id, profile, platform, kind, status, code, message, renewals, native, at, statuses)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      [
        o.device,
        o.profile,
        o.platform,
        o.kind,
        o.status,
        o.code,
        o.message,
        o.renewals,
        native ? JSON.stringify(native) : null,
        o.at,
        statuses,
      ],
    );
  }

  /** Appends an event to the timeline. */
  recordEvent(e: RunEvent): void {
    this.#enqueue('INSERT INTO events (at, device_id, profile, type, detail) VALUES (?, ?, ?, ?, ?)', [
      e.at,
      e.device ?? null,
      e.profile ?? null,
      e.type,
      e.detail,
    ]);
  }

  /**
   * Copies key-store items into the snapshot (at the end of the run), replacing a device's earlier
   * snapshot rows of the same store, thumbprint and kind. Public facts only: `privateKey`, the certificate
   * bytes and secret-looking attributes are never copied.
   */
  snapshotStores(items: Iterable<StoreItemLike>): void {
    for (const it of items) {
      this.#enqueue(
        `INSERT OR REPLACE INTO store_items
         (device_id, store, kind, ref, subject, issuer, thumbprint, not_before, not_after, installed_at, attrs)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        [
          it.deviceId,
          it.store,
          it.kind,
          it.ref,
          it.subject,
          it.issuer ?? '',
          it.thumbprint.toUpperCase(),
          it.notBefore ?? '',
          it.notAfter,
          it.installedAt ?? '',
          JSON.stringify(publicAttrs(it.attrs)),
        ],
      );
    }
  }

  /**
   * Records the end of a run: metrics, expectations, finish time, every final outcome, and whether each
   * device of `result.devicesList` is enrolled at the end (a device retired during the run is not: its
   * record, marked enrolled when it enrolled, says what report.json says).
   */
  finishRun(result: RunResult, finishedAt: string = result.metrics.virtualEnd): void {
    for (const o of result.outcomes) this.recordOutcome(o);
    for (const d of result.devicesList) this.recordEnrolled(d.id, d.enrolled);
    this.#enqueue('UPDATE run SET finished_at = ?, metrics = ?, expectations = ? WHERE id = 1', [
      finishedAt,
      JSON.stringify(result.metrics),
      JSON.stringify(result.expectations.map((e) => ({ text: e.text, held: e.held, detail: e.detail }))),
    ]);
    if (result.interrupted !== undefined) {
      const { signal, at } = result.interrupted;
      this.#enqueue('UPDATE run SET interrupted = ? WHERE id = 1', [JSON.stringify({ signal, at })]);
    }
    this.flush();
  }

  /**
   * Records a whole run at once from its result (for callers that did not record as they went): run row,
   * devices (summary fields; facts and attributes empty unless recorded before), events, outcomes.
   */
  recordResult(result: RunResult): void {
    this.recordRun(result);
    for (const d of result.devicesList) {
      this.#enqueue(
        `INSERT INTO devices (id, idx, platform, kind, os_version, model, enrolled, facts, attributes, absent)
         VALUES (?, ?, ?, ?, ?, ?, ?, '{}', '{}', '{}')
         ON CONFLICT (id) DO UPDATE SET enrolled = excluded.enrolled`,
        [d.id, d.index, d.platform, d.kind, d.osVersion, d.model, d.enrolled ? 1 : 0],
      );
    }
    for (const e of result.events) this.recordEvent(e);
    this.finishRun(result);
  }

  /** The run row, or undefined before {@link RunDb.recordRun}. */
  run(): RunInfo | undefined {
    this.flush();
    const r = this.#stmt('SELECT * FROM run WHERE id = 1').get() as RunRow | undefined;
    if (!r) return undefined;
    const info: RunInfo = {
      scenario: r.scenario,
      seed: r.seed,
      startedAt: r.started_at,
      devices: r.devices,
      expectations: json(r.expectations) as ExpectationResult[],
    };
    if (r.finished_at !== null) info.finishedAt = r.finished_at;
    if (r.metrics !== null) info.metrics = json(r.metrics) as RunMetrics;
    if (typeof r.interrupted === 'string') info.interrupted = json(r.interrupted) as RunInterruption;
    return info;
  }

  /** The ids of the devices in the run, by index. */
  deviceIds(): string[] {
    this.flush();
    return (this.#stmt('SELECT id FROM devices ORDER BY idx, id').all() as { id: string }[]).map((r) => r.id);
  }

  /**
   * Finds the device a person means: an exact id, `#N` (the device index), a unique id prefix
   * (case-insensitive), or `N` — the index when no id starts with those digits. Throws USAGE when nothing
   * or more than one device matches, and when bare digits are both an index and an id prefix.
   */
  resolveDevice(query: string): string {
    this.flush();
    const q = query.trim();
    if (this.#stmt('SELECT 1 FROM devices WHERE id = ?').get(q)) return q;
    const index = /^(#?)(\d+)$/.exec(q);
    const byIndex = index
      ? (this.#stmt('SELECT id FROM devices WHERE idx = ?').get(Number(index[2])) as
          { id: string } | undefined)
      : undefined;
    // `#N` is always an index; bare digits are an index only when no id starts with them (ids are hex)
    if (byIndex && index?.[1] === '#') return byIndex.id;
    const matches = (
      this.#stmt(
        'SELECT id FROM devices WHERE lower(substr(id, 1, length(?))) = lower(?) ORDER BY idx LIMIT 6',
      ).all(q, q) as { id: string }[]
    ).map((r) => r.id);
    if (byIndex && matches.length === 0) return byIndex.id;
    if (byIndex) {
      const ids = matches.length === 1 ? `the id ${matches[0]}` : `several ids (${list(matches)})`;
      throw new CertfleetError(
        'USAGE',
        `"${q}" is both device #${q} and the start of ${ids}: write #${q} for the device at that index, or more of the id.`,
      );
    }
    if (matches.length === 1 && matches[0] !== undefined) return matches[0];
    if (matches.length === 0)
      throw new CertfleetError(
        'USAGE',
        `No device "${q}" in this run: give a device id, an id prefix or an index (#0); report.json lists the devices.`,
      );
    throw new CertfleetError(
      'USAGE',
      `"${q}" matches several devices (${list(matches)}); give more of the id.`,
    );
  }

  /** Everything recorded about device `id` (an exact id; see {@link RunDb.resolveDevice}), or undefined. */
  deviceStory(id: string): DeviceStory | undefined {
    this.flush();
    const d = this.#stmt('SELECT * FROM devices WHERE id = ?').get(id) as DeviceRow | undefined;
    if (!d) return undefined;
    const run = this.#stmt('SELECT * FROM run WHERE id = 1').get() as RunRow | undefined;
    const inv = this.#stmt(
      'SELECT device_id, at, inventory FROM inventories WHERE device_id = ? ORDER BY seq DESC LIMIT 1',
    ).get(id) as { device_id: string; at: string; inventory: string } | undefined;
    const story: DeviceStory = {
      run: {
        scenario: run?.scenario ?? '',
        seed: run?.seed ?? '',
        startedAt: run?.started_at ?? '',
        ...(typeof run?.interrupted === 'string' && {
          interrupted: json(run.interrupted) as RunInterruption,
        }),
      },
      device: {
        id: d.id,
        index: d.idx,
        platform: d.platform as Platform,
        kind: d.kind as EnrollmentKind,
        osVersion: d.os_version,
        model: d.model,
        enrolled: d.enrolled === 1,
        facts: json(d.facts) as Record<string, unknown>,
        attributes: json(d.attributes) as Record<string, string>,
        absent: json(d.absent) as Record<string, string>,
      },
      stores: (
        this.#stmt(
          'SELECT * FROM store_items WHERE device_id = ? ORDER BY store, installed_at, ref, kind, thumbprint',
        ).all(id) as StoreRow[]
      ).map(storeItemOf),
      deliveries: (
        this.#stmt('SELECT * FROM deliveries WHERE device_id = ? ORDER BY seq').all(id) as DeliveryRow[]
      ).map(deliveryOf),
      outcomes: (
        this.#stmt('SELECT * FROM outcomes WHERE device_id = ? ORDER BY profile').all(id) as OutcomeRow[]
      ).map((r) => {
        const o: DeviceProfileOutcome = {
          device: r.device_id,
          platform: r.platform as Platform,
          kind: r.kind as EnrollmentKind,
          profile: r.profile,
          status: r.status as DeviceProfileOutcome['status'],
          code: r.code as DeviceProfileOutcome['code'],
          message: r.message,
          renewals: r.renewals,
          at: r.at,
        };
        if (r.native !== null) o.native = json(r.native);
        return o;
      }),
      timeline: (
        this.#stmt('SELECT * FROM events WHERE device_id = ? ORDER BY at, seq').all(id) as EventRow[]
      ).map((r) => {
        const e: RunEvent = { at: r.at, type: r.type, detail: r.detail };
        if (r.device_id !== null) e.device = r.device_id;
        if (r.profile !== null) e.profile = r.profile;
        return e;
      }),
    };
    if (inv) story.inventory = { device: inv.device_id, at: inv.at, inventory: json(inv.inventory) };
    return story;
  }

  /** Every event of the run, or those of one type, in time order. */
  events(type?: string): RunEvent[] {
    this.flush();
    const rows = (
      type === undefined
        ? this.#stmt('SELECT * FROM events ORDER BY at, seq').all()
        : this.#stmt('SELECT * FROM events WHERE type = ? ORDER BY at, seq').all(type)
    ) as EventRow[];
    return rows.map((r) => {
      const e: RunEvent = { at: r.at, type: r.type, detail: r.detail };
      if (r.device_id !== null) e.device = r.device_id;
      if (r.profile !== null) e.profile = r.profile;
      return e;
    });
  }

  /** The key-store snapshot of every device (public facts only), by device, store and install time. */
  storeItems(): StoreSnapshotItem[] {
    this.flush();
    return (
      this.#stmt(
        'SELECT * FROM store_items ORDER BY device_id, store, installed_at, ref, kind, thumbprint',
      ).all() as StoreRow[]
    ).map(storeItemOf);
  }

  /** Every payload published in the run, in the order it was sent. */
  deliveries(): DeliveryRecord[] {
    this.flush();
    return (this.#stmt('SELECT * FROM deliveries ORDER BY seq').all() as DeliveryRow[]).map(deliveryOf);
  }

  /**
   * Applies queued writes (write side) and closes the database. The write side leaves the file in
   * rollback-journal mode: the WAL is checkpointed into it, and the readers that open it afterwards (the
   * reports, `show`, `replay`) leave no `run.db-wal`/`run.db-shm` beside it.
   */
  close(): void {
    if (this.#writable) {
      this.flush();
      this.#db.pragma('journal_mode = DELETE');
    }
    this.#db.close();
  }
}

/** The run database's path inside a run folder. */
export function runDbPath(runDir: string): string {
  return join(runDir, RUN_DB_FILE);
}
