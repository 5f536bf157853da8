/**
 * In-memory stand-ins for the broker, for the fleet engine's state-machine tests: a {@link MemoryBroker}
 * whose {@link Transport}s deliver with seeded random delays (setImmediate chains, some short timeouts),
 * and a {@link MemoryControlBus} that carries the clock protocol the same way (encoded and decoded, so the
 * codecs run too). Like MQTT, both keep the order of one publisher's messages to one subscriber, and
 * nothing else: messages of different publishers overtake each other at random.
 *
 * A persistent session is simulated: a client that closed keeps its subscriptions, and what arrives for it
 * waits in the broker until it connects again with the same client id.
 */
import { CertfleetError } from '../../../pki/errors.ts';
import type { TransportLedger } from '../../../protocol/transport/device-ledger.ts';
import { topicMatches } from '../../../protocol/transport/topic-filter.ts';
import type { MessageHandler, Transport, TransportMessage } from '../../../protocol/transport/transport.ts';
import type { Random } from '../../../protocol/runtime/random.ts';
import {
  decodeCtlMessage,
  decodeHostMessage,
  encodeClockMessage,
  type CtlMessage,
  type HostReportMessage,
  type JoinMessage,
} from '../../../protocol/wire/clock-messages.ts';
import type {
  ControlChannel,
  CoordinatorReceiver,
  HostControlChannel,
  HostReceiver,
} from '../../../simulator/engine/control-channel.ts';

/** Waits a seeded random while: 0–6 setImmediate hops, now and then a timeout of 1–3 ms. */
export async function randomDelay(rng: Random): Promise<void> {
  if (rng.chance(0.15)) {
    await new Promise((r) => setTimeout(r, rng.int(1, 3)));
    return;
  }
  const hops = rng.int(0, 6);
  for (let i = 0; i < hops; i++) await new Promise((r) => setImmediate(r));
}

/** What the broker does with one message: deliver it, hold it `ms` longer, or drop it. */
export type Fate = { hold: number } | 'drop' | undefined;

/** Options of {@link MemoryBroker.connect}. */
export interface MemoryConnectOptions {
  clientId: string;
  ledger?: TransportLedger;
  /** Handlers in place before the session's queue is delivered (as mqtt-transport.ts `subscriptions`). */
  subscriptions?: ReadonlyArray<{ filter: string; handler: MessageHandler }>;
}

interface Session {
  filters: string[];
  transport: MemoryTransport | undefined;
  queue: TransportMessage[];
}

/** An in-memory broker (see the file comment). */
export class MemoryBroker {
  readonly #rng: Random;
  readonly #sessions = new Map<string, Session>();
  readonly #chains = new Map<string, Promise<void>>();
  readonly fate: (from: string, to: string, m: TransportMessage) => Fate;
  /** Messages currently between a publisher and a subscriber. */
  inTransit = 0;

  constructor(rng: Random, fate: (from: string, to: string, m: TransportMessage) => Fate = () => undefined) {
    this.#rng = rng;
    this.fate = fate;
  }

  /** Connects `clientId` (a persistent session: a second connect resumes it). */
  async connect(o: MemoryConnectOptions): Promise<Transport> {
    let s = this.#sessions.get(o.clientId);
    if (!s) {
      s = { filters: [], transport: undefined, queue: [] };
      this.#sessions.set(o.clientId, s);
    }
    if (s.transport) throw new CertfleetError('INTERNAL', `${o.clientId} is connected twice`);
    const t = new MemoryTransport(this, o);
    s.transport = t;
    for (const sub of o.subscriptions ?? []) if (!s.filters.includes(sub.filter)) s.filters.push(sub.filter);
    const queued = s.queue.splice(0);
    await randomDelay(this.#rng);
    for (const m of queued) t.receive(m);
    return t;
  }

  subscribe(clientId: string, filter: string): void {
    const s = this.#sessions.get(clientId);
    if (s && !s.filters.includes(filter)) s.filters.push(filter);
  }

  disconnected(clientId: string): void {
    const s = this.#sessions.get(clientId);
    if (s) s.transport = undefined;
  }

  /** Routes a publish to every session with a matching filter; resolves at the "PUBACK". */
  async route(from: string, m: TransportMessage): Promise<void> {
    for (const [to, s] of this.#sessions) {
      if (!s.filters.some((f) => topicMatches(f, m.topic))) continue;
      const fate = this.fate(from, to, m);
      if (fate === 'drop') continue;
      const key = `${from}→${to}`;
      this.inTransit++;
      const chain = (this.#chains.get(key) ?? Promise.resolve()).then(async () => {
        await randomDelay(this.#rng);
        if (fate?.hold) await new Promise((r) => setTimeout(r, fate.hold));
        this.inTransit--;
        const session = this.#sessions.get(to);
        if (!session) return;
        if (session.transport) session.transport.receive(m);
        else session.queue.push(m);
      });
      this.#chains.set(key, chain);
    }
    await randomDelay(this.#rng);
  }
}

class MemoryTransport implements Transport {
  readonly clientId: string;
  readonly #broker: MemoryBroker;
  readonly #o: MemoryConnectOptions;
  readonly #handlers: Array<{ filter: string; handler: MessageHandler }> = [];
  readonly #queue: TransportMessage[] = [];
  #pumping = false;
  #closed = false;

  constructor(broker: MemoryBroker, o: MemoryConnectOptions) {
    this.#broker = broker;
    this.#o = o;
    this.clientId = o.clientId;
    for (const s of o.subscriptions ?? []) this.#handlers.push({ ...s });
  }

  receive(m: TransportMessage): void {
    this.#o.ledger?.arrived(m.topic);
    this.#queue.push(m);
    void this.#pump();
  }

  async #pump(): Promise<void> {
    if (this.#pumping) return;
    this.#pumping = true;
    try {
      while (!this.#closed) {
        const m = this.#queue.shift();
        if (!m) break;
        for (const h of this.#handlers.filter((x) => topicMatches(x.filter, m.topic))) await h.handler(m);
        this.#o.ledger?.handled(m.topic);
      }
    } finally {
      this.#pumping = false;
    }
  }

  async publish(topic: string, payload: Buffer): Promise<void> {
    if (this.#closed) throw new CertfleetError('TRANSPORT_CLOSED', `${this.clientId} is closed`);
    this.#o.ledger?.published(topic);
    await this.#broker.route(this.clientId, { topic, payload });
  }

  async subscribe(topicFilter: string, handler: MessageHandler): Promise<void> {
    this.#handlers.push({ filter: topicFilter, handler });
    this.#broker.subscribe(this.clientId, topicFilter);
  }

  async close(): Promise<void> {
    this.#closed = true;
    for (const m of this.#queue.splice(0)) this.#o.ledger?.abandoned(m.topic);
    this.#broker.disconnected(this.clientId);
  }
}

// --- the control bus -----------------------------------------------------------------------------------

/** Carries the clock protocol in memory, in a seeded random order across senders. */
export class MemoryControlBus {
  readonly #rng: Random;
  readonly #chains = new Map<string, Promise<void>>();
  #coordinator: ((m: Buffer, from: string) => void) | undefined;
  readonly #hosts = new Map<string, (m: Buffer) => void>();
  /** Hosts whose messages (both ways) the bus drops: a host that went silent. */
  readonly silenced = new Set<string>();
  /** Every control message published, decoded, in publish order. */
  readonly sent: Array<CtlMessage | JoinMessage | HostReportMessage> = [];

  constructor(rng: Random) {
    this.#rng = rng;
  }

  #send(key: string, deliver: () => void): void {
    const chain = (this.#chains.get(key) ?? Promise.resolve()).then(async () => {
      await randomDelay(this.#rng);
      deliver();
    });
    this.#chains.set(key, chain);
  }

  /** The coordinator's end. */
  coordinator(): ControlChannel {
    let receiver: CoordinatorReceiver | undefined;
    const early: Array<() => void> = [];
    this.#coordinator = (payload, from) => {
      const run = (): void => {
        try {
          receiver?.onHostMessage(decodeHostMessage(`clock/host/${from}`, payload));
        } catch (err) {
          receiver?.onInvalid(err as CertfleetError);
        }
      };
      if (receiver) run();
      else early.push(run);
    };
    return {
      publish: async (m) => {
        this.sent.push(m);
        const payload = encodeClockMessage(m);
        for (const [id, deliver] of this.#hosts) {
          if (this.silenced.has(id)) continue;
          this.#send(`ctl→${id}`, () => deliver(payload));
        }
        await randomDelay(this.#rng);
      },
      listen: (r) => {
        receiver = r;
        for (const f of early.splice(0)) f();
      },
    };
  }

  /** Host `hostId`'s end. */
  host(hostId: string): HostControlChannel {
    let receiver: HostReceiver | undefined;
    const early: Buffer[] = [];
    const handle = (payload: Buffer): void => {
      try {
        receiver?.onCtl(decodeCtlMessage('clock/ctl', payload));
      } catch (err) {
        receiver?.onInvalid(err as CertfleetError);
      }
    };
    this.#hosts.set(hostId, (payload) => (receiver ? handle(payload) : early.push(payload)));
    return {
      send: async (m) => {
        if (this.silenced.has(hostId)) return;
        this.sent.push(m);
        const payload = encodeClockMessage(m);
        this.#send(`${hostId}→coordinator`, () => this.#coordinator?.(payload, hostId));
        await randomDelay(this.#rng);
      },
      listen: (r) => {
        receiver = r;
        for (const p of early.splice(0)) handle(p);
      },
    };
  }

  /** Injects raw bytes as if host `hostId` had published them (malformed-message tests). */
  injectFromHost(hostId: string, payload: Buffer): void {
    this.#send(`${hostId}→coordinator`, () => this.#coordinator?.(payload, hostId));
  }
}
