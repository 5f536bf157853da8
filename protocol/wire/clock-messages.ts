/**
 * The fleet engine's clock protocol: how one coordinator (the service side) and K agent hosts advance one
 * virtual clock together over the broker (docs/architecture.md "The fleet engine: one virtual clock across
 * hosts"; the state machines are simulator/engine/coordinator.ts and host-runner.ts). JSON, UTF-8, QoS 1,
 * each message carrying `v: 1`; decoded strictly: an unknown type, a missing or extra key or a value of the
 * wrong type is a {@link CertfleetError} CLOCK_PROTOCOL naming the key path, never a crash.
 *
 * ```
 * host → coordinator  certfleet/{t}/clock/host/{hostId}/join     join    shard i/K, scenario digest, seed, devices, incarnation
 * coordinator → hosts certfleet/{t}/clock/ctl                    start   the run starts (or, with `host`, welcomes one host back) at t
 *                                                                step    advance to t, run what is due, settle, report for `wave`
 *                                                                probe   run what is due at t, settle, report for `wave`
 *                                                                collect the last instant is closed: send the key stores
 *                                                                end     the run is over (done, or failed with a message)
 * host → coordinator  certfleet/{t}/clock/host/{hostId}/report   report  wave, idle, counters, nextAt, progress, events
 *                                                                alive   still working on `wave` (liveness only)
 *                                                                stores  part i of n of its devices' key stores (public facts)
 * ```
 *
 * Instants (`t`, `nextAt`) are epoch milliseconds of virtual time. Waves are numbered from 1 for the whole
 * run; a `step` is also the first wave of its instant. `counters` holds, per device id, the cumulative
 * `[sent, handled]` of the host's device ledger (protocol/transport/device-ledger.ts) for the devices whose
 * counts changed since the last report the coordinator is known to have received. `events` carry what the
 * run database records from the host side, numbered per incarnation so that a resent report is merged once.
 * `stores` carry what the run database's end-of-run key-store snapshot keeps of each item — never a
 * certificate's bytes, a private key or a secret-looking attribute — in parts, each part whole and sent
 * again whole when the coordinator asks again.
 */
import { JsonReader, readJsonObject, type JsonObject, type JsonProtocol } from './json-reader.ts';

/** The protocol version every message carries. */
export const CLOCK_PROTOCOL_VERSION = 1;

/** A shard of the fleet: devices with `index mod count = index` (0 ≤ index < count). */
export interface ShardRef {
  index: number;
  count: number;
}

/** host → coordinator: "host `host`, holding shard `shard`, of this scenario and seed, is here". */
export interface JoinMessage {
  type: 'join';
  host: string;
  shard: ShardRef;
  /** A digest of the scenario as loaded (both sides must plan the same fleet). */
  digest: string;
  seed: string;
  /** The fleet's device count. */
  devices: number;
  /** New for every start of the host process: a new incarnation is a rejoin. */
  incarnation: string;
}

/** coordinator → hosts: the run starts at `t` (or, with `host`, that host is welcomed back at `t`). */
export interface StartMessage {
  type: 'start';
  run: string;
  t: number;
  /** The last wave the coordinator sent (0 before the first step). */
  wave: number;
  /** Only this host acts on it (a rejoin); absent: every host. */
  host?: string;
}

/** coordinator → hosts: move to `t`, run what is due, settle, report for `wave`. */
export interface StepMessage {
  type: 'step';
  run: string;
  t: number;
  wave: number;
}

/** coordinator → hosts: run what is due at `t`, settle, report for `wave`. */
export interface ProbeMessage {
  type: 'probe';
  run: string;
  t: number;
  wave: number;
  /** Only this host answers (a resend to one host, a rejoin); absent: every host. */
  host?: string;
}

/** coordinator → hosts: the run is over. */
export interface EndMessage {
  type: 'end';
  run: string;
  t: number;
  reason: 'done' | 'error';
  /** With `error`: what went wrong (the coordinator's error message). */
  message?: string;
  /** With `error`: the error code. */
  code?: string;
}

/**
 * coordinator → hosts: the run's last instant is closed (nothing runs any more); send the devices' key
 * stores as they stand, then wait for `end`. Sent again (with `host`: to that host) while parts are missing.
 */
export interface CollectMessage {
  type: 'collect';
  run: string;
  t: number;
  /** Only this host answers (a resend to one host, a rejoin); absent: every host. */
  host?: string;
}

/** What the coordinator publishes on `clock/ctl`. */
export type CtlMessage = StartMessage | StepMessage | ProbeMessage | CollectMessage | EndMessage;

/** One host-side event for the run database, numbered per incarnation. */
export interface HostEvent {
  seq: number;
  data: unknown;
}

/** host → coordinator: the host's state at the end of its part of `wave`. */
export interface ReportMessage {
  type: 'report';
  host: string;
  incarnation: string;
  run: string;
  wave: number;
  /** The host's virtual now. */
  t: number;
  /** Nothing received is unhandled, nothing local is in progress, no timer is due at or before `t`. */
  idle: boolean;
  /** The host's next timer (epoch ms), or null when it has none. */
  nextAt: number | null;
  /** Per device id: cumulative [sent, handled] (device side), for the devices that changed. */
  counters: Record<string, [number, number]>;
  /** Progress counts for the coordinator's display (devices enrolled, installed…). */
  progress: Record<string, number>;
  events: HostEvent[];
}

/** host → coordinator: still working on `wave` (a heartbeat: liveness only). */
export interface AliveMessage {
  type: 'alive';
  host: string;
  incarnation: string;
  run: string;
  wave: number;
}

/** The kinds of key-store item (agent/keystore/store-db.ts `StoreItemKind`). */
export const STORE_ITEM_KINDS = ['certificate', 'key', 'identity'] as const;

/**
 * One key-store item of a host's device as the run database's end-of-run snapshot keeps it
 * (simulator/report/run-db.ts `StoreSnapshotItem`): public facts only.
 */
export interface StoreItemFacts {
  deviceId: string;
  /** `platform/scope/name`. */
  store: string;
  kind: (typeof STORE_ITEM_KINDS)[number];
  /** What installed it (PayloadIdentifier, CSP node, certificate alias). */
  ref: string;
  subject: string;
  issuer: string;
  /** SHA-1 thumbprint, hex. */
  thumbprint: string;
  notBefore: string;
  notAfter: string;
  installedAt: string;
  /** Platform attributes without secret-looking keys or binary values. */
  attrs: Record<string, unknown>;
}

/** host → coordinator: part `part` of `parts` (0-based) of its devices' key stores, after a `collect`. */
export interface StoresMessage {
  type: 'stores';
  host: string;
  incarnation: string;
  run: string;
  part: number;
  parts: number;
  items: StoreItemFacts[];
}

/** What a host publishes on its `clock/host/{id}/report` topic. */
export type HostReportMessage = ReportMessage | AliveMessage | StoresMessage;

/** Any message of the protocol. */
export type ClockMessage = JoinMessage | CtlMessage | HostReportMessage;

/** Encodes a message (adds `v`). */
export function encodeClockMessage(message: ClockMessage): Buffer {
  return Buffer.from(JSON.stringify({ v: CLOCK_PROTOCOL_VERSION, ...message }), 'utf8');
}

// --- strict decoding ---------------------------------------------------------------------------------

type Obj = JsonObject;
type Reader = JsonReader;

const CLOCK: JsonProtocol = { code: 'CLOCK_PROTOCOL', label: 'A clock message' };

/** A topic segment (host ids, device ids). */
const SEGMENT = /^[A-Za-z0-9._-]+$/;

/** The keys of a {@link StoreItemFacts}. */
const STORE_ITEM_FIELDS = [
  'deviceId',
  'store',
  'kind',
  'ref',
  'subject',
  'issuer',
  'thumbprint',
  'notBefore',
  'notAfter',
  'installedAt',
  'attrs',
] as const;

function parse(where: string, payload: Buffer): Reader {
  const r = readJsonObject(CLOCK, where, payload);
  if (r.obj.v !== CLOCK_PROTOCOL_VERSION) {
    r.fail(
      'v',
      `must be ${CLOCK_PROTOCOL_VERSION} (this certfleet speaks clock protocol ${CLOCK_PROTOCOL_VERSION}; run the same certfleet version everywhere)`,
    );
  }
  return r;
}

function readShard(r: Reader): ShardRef {
  const s = r.object('shard');
  s.keys(['index', 'count']);
  const count = s.int('count', 1);
  const index = s.int('index', 0);
  if (index >= count) s.fail(`${s.path}.index`, `must be below shard.count (${count})`);
  return { index, count };
}

/**
 * Decodes what the coordinator receives on a host's topic: a join, a report or an alive.
 * @param where the topic, for messages.
 * @throws CertfleetError CLOCK_PROTOCOL when it is malformed.
 */
export function decodeHostMessage(where: string, payload: Buffer): JoinMessage | HostReportMessage {
  const r: Reader = parse(where, payload);
  const type = r.obj.type;
  switch (type) {
    case 'join': {
      r.keys(['v', 'type', 'host', 'shard', 'digest', 'seed', 'devices', 'incarnation']);
      return {
        type,
        host: r.string('host', SEGMENT),
        shard: readShard(r),
        digest: r.string('digest'),
        seed: r.string('seed'),
        devices: r.int('devices', 0),
        incarnation: r.string('incarnation'),
      };
    }
    case 'alive': {
      r.keys(['v', 'type', 'host', 'incarnation', 'run', 'wave']);
      return {
        type,
        host: r.string('host', SEGMENT),
        incarnation: r.string('incarnation'),
        run: r.string('run'),
        wave: r.int('wave', 0),
      };
    }
    case 'report': {
      r.keys([
        'v',
        'type',
        'host',
        'incarnation',
        'run',
        'wave',
        't',
        'idle',
        'nextAt',
        'counters',
        'progress',
        'events',
      ]);
      const nextAt = r.obj.nextAt === null ? null : r.instant('nextAt');
      const c = r.object('counters');
      const counters: Record<string, [number, number]> = {};
      for (const [device, value] of Object.entries(c.obj)) {
        const ok =
          SEGMENT.test(device) &&
          Array.isArray(value) &&
          value.length === 2 &&
          value.every((n) => typeof n === 'number' && Number.isSafeInteger(n) && n >= 0);
        if (!ok) c.fail(`counters.${device}`, 'must be [sent, handled] (two integers ≥ 0) of a device id');
        const [sent, handled] = value as [number, number];
        counters[device] = [sent, handled];
      }
      const p = r.object('progress');
      const progress: Record<string, number> = {};
      for (const key of Object.keys(p.obj)) progress[key] = p.int(key, 0);
      const events = r.array('events').map((e, i): HostEvent => {
        if (typeof e !== 'object' || e === null || Array.isArray(e))
          r.fail(`events[${i}]`, 'must be an object');
        const er = new JsonReader(CLOCK, where, e as Obj, `events[${i}]`);
        er.keys(['seq', 'data']);
        return { seq: er.int('seq', 0), data: er.obj.data };
      });
      return {
        type,
        host: r.string('host', SEGMENT),
        incarnation: r.string('incarnation'),
        run: r.string('run'),
        wave: r.int('wave', 0),
        t: r.instant('t'),
        idle: r.boolean('idle'),
        nextAt,
        counters,
        progress,
        events,
      };
    }
    case 'stores': {
      r.keys(['v', 'type', 'host', 'incarnation', 'run', 'part', 'parts', 'items']);
      const parts = r.int('parts', 1);
      const part = r.int('part', 0);
      if (part >= parts) r.fail('part', `must be below parts (${parts})`);
      const items = r.array('items').map((value, i): StoreItemFacts => {
        const ir = r.element('items', i, value);
        ir.keys(STORE_ITEM_FIELDS);
        return {
          deviceId: ir.string('deviceId', SEGMENT),
          store: ir.string('store'),
          kind: ir.oneOf('kind', STORE_ITEM_KINDS),
          ref: ir.text('ref'),
          subject: ir.text('subject'),
          issuer: ir.text('issuer'),
          thumbprint: ir.text('thumbprint'),
          notBefore: ir.text('notBefore'),
          notAfter: ir.text('notAfter'),
          installedAt: ir.text('installedAt'),
          attrs: ir.object('attrs').obj,
        };
      });
      return {
        type,
        host: r.string('host', SEGMENT),
        incarnation: r.string('incarnation'),
        run: r.string('run'),
        part,
        parts,
        items,
      };
    }
    default:
      return r.fail('type', `must be join, report, alive or stores (got ${JSON.stringify(type)})`);
  }
}

/**
 * Decodes what a host receives on `clock/ctl`.
 * @throws CertfleetError CLOCK_PROTOCOL when it is malformed.
 */
export function decodeCtlMessage(where: string, payload: Buffer): CtlMessage {
  const r: Reader = parse(where, payload);
  const type = r.obj.type;
  switch (type) {
    case 'start': {
      r.keys(['v', 'type', 'run', 't', 'wave'], ['host']);
      const host = r.optionalString('host', SEGMENT);
      return {
        type,
        run: r.string('run'),
        t: r.instant('t'),
        wave: r.int('wave', 0),
        ...(host !== undefined ? { host } : {}),
      };
    }
    case 'step': {
      r.keys(['v', 'type', 'run', 't', 'wave']);
      return { type, run: r.string('run'), t: r.instant('t'), wave: r.int('wave', 1) };
    }
    case 'probe': {
      r.keys(['v', 'type', 'run', 't', 'wave'], ['host']);
      const host = r.optionalString('host', SEGMENT);
      return {
        type,
        run: r.string('run'),
        t: r.instant('t'),
        wave: r.int('wave', 1),
        ...(host !== undefined ? { host } : {}),
      };
    }
    case 'collect': {
      r.keys(['v', 'type', 'run', 't'], ['host']);
      const host = r.optionalString('host', SEGMENT);
      return { type, run: r.string('run'), t: r.instant('t'), ...(host !== undefined ? { host } : {}) };
    }
    case 'end': {
      r.keys(['v', 'type', 'run', 't', 'reason'], ['message', 'code']);
      const text = r.string('reason');
      if (text !== 'done' && text !== 'error') r.fail('reason', 'must be done or error');
      const reason: EndMessage['reason'] = text;
      const message = r.optionalString('message');
      const code = r.optionalString('code');
      return {
        type,
        run: r.string('run'),
        t: r.instant('t'),
        reason,
        ...(message !== undefined ? { message } : {}),
        ...(code !== undefined ? { code } : {}),
      };
    }
    default:
      return r.fail('type', `must be start, step, probe, collect or end (got ${JSON.stringify(type)})`);
  }
}
