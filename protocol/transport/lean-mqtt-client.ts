/**
 * A lean MQTT 3.1.1 client on a plain `net.Socket`, for the many agents of one process (issue 11 point 3).
 * It implements exactly what {@link MqttTransport} (mqtt-transport.ts) uses of mqtt.js's `MqttClient`, with
 * the same events in the same order, so that the transport's logic (deferred PUBACKs, epochs, redeliveries)
 * runs unchanged over either client:
 * - `connect` with client id, user name and password, clean session flag and keep-alive; CONNACK refused →
 *   an `error` event whose `code` is the CONNACK return code and whose message is mqtt.js's
 *   (`Connection refused: Bad username or password`…), so connectError maps it to the same CertfleetError.
 * - `packetreceive` for every packet read, before it is handled (the transport starts a connection at the
 *   CONNACK's `packetreceive`); then `connect` once the resubscriptions and the re-sent store are written.
 * - QoS 0/1 publish: a QoS 1 publish stays in the outgoing store until its PUBACK and is re-sent (DUP set)
 *   on every new connection, in the order it was made (MQTT 3.1.1 §4.4); made while offline, it waits in
 *   the store and goes out at the next CONNACK. A subscribe waits the same way for its SUBACK; the granted
 *   list is given as mqtt.js gives it (`[{ topic, qos }]`, qos 0x80 for a failure, §3.9.3).
 * - Received PUBLISH: `handleMessage(packet, done)`; `done()` → PUBACK for QoS 1, `done(err)` → none (the
 *   transport sends it later with `_sendPacket`, on the connection the PUBLISH came on).
 * - The connection lost without `end()`: `close`, `offline`, then `reconnect` every `reconnectPeriod` ms
 *   until a connection is up again; the subscriptions are made again when the broker has no session
 *   (sessionPresent 0, as mqtt.js's `resubscribe`).
 * - Keep-alive (§3.1.2.10): a PINGREQ when nothing was sent for `keepalive` seconds; no PINGRESP by the
 *   next one → the connection is taken as lost (as mqtt.js). One timer serves every client of the process.
 * - `end(force, {}, cb)`: DISCONNECT then close (or at once with `force`); what waits for an
 *   acknowledgement is failed with `Connection closed` (as mqtt.js's `_flush`).
 *
 * Memory: a client holds its socket, a few fields and, only while in use, its outgoing store, its
 * subscriptions and the bytes of a packet not yet whole. Packets are framed here (fixed header and
 * remaining length, §2.2) and each whole packet is handed to one `mqtt-packet` parser shared by every
 * client, so a client carries no parser, no stream stack and no timers of its own while connected.
 * MQTT 5 and TLS stay on mqtt.js (mqtt-transport.ts chooses).
 *
 * @see https://docs.oasis-open.org/mqtt/mqtt/v3.1.1/os/mqtt-v3.1.1-os.html (fixed header §2.2, CONNECT
 *   §3.1, keep alive §3.1.2.10, CONNACK §3.2, SUBACK §3.9.3, message delivery retry §4.4)
 */
import { connect as netConnect, Socket } from 'node:net';
import mqttPacket from 'mqtt-packet';
import type { IConnackPacket, IPublishPacket, ISubackPacket, Packet } from 'mqtt-packet';

/** What a {@link LeanMqttClient} is made with (the subset of mqtt.js options the transport sets). */
export interface LeanMqttOptions {
  host: string;
  port: number;
  clientId: string;
  username?: string | undefined;
  password?: string | undefined;
  clean: boolean;
  /** Seconds; 0 turns keep-alive off. */
  keepalive: number;
  /** Milliseconds between reconnection attempts. */
  reconnectPeriod: number;
  /** Milliseconds a connection may take to its CONNACK before it is dropped and tried again. */
  connectTimeout: number;
}

/** A listener of a client event (`connect`, `packetreceive`, `close`, `offline`, `reconnect`, `error`). */
type Listener = (...args: never[]) => void;

/**
 * Sockets written to in this turn of the event loop, held (`cork`) until its check phase: what one turn
 * writes to one socket — a PUBACK and the answer after it, or the service's publishes to many devices over
 * its one connection — leaves in one `writev` system call instead of one call per packet. The bytes and
 * their order on each socket are the same; nothing waits longer than the turn that wrote it (`setImmediate`
 * runs right after the turn's I/O). `end()` releases a held socket itself (Node's Writable uncorks on end),
 * and `destroy()` releases it before it closes ({@link destroyReleasing}): what was written before a cut
 * leaves before it, as it did when every packet was written at once.
 * @see https://nodejs.org/api/stream.html#writablecork
 */
const held = new Set<Socket>();

function holdWrites(s: Socket): void {
  if (held.has(s)) return;
  if (held.size === 0) setImmediate(releaseWrites);
  held.add(s);
  s.cork();
}

/** Every client socket's `destroy`: what this turn held is written first. One function for all sockets. */
function destroyReleasing(this: Socket, error?: Error): Socket {
  if (held.delete(this)) this.uncork();
  return Socket.prototype.destroy.call(this, error);
}

function releaseWrites(): void {
  const sockets = [...held];
  held.clear();
  for (const s of sockets) if (!s.destroyed) s.uncork();
}

type Callback = (err?: Error | null, granted?: Array<{ topic: string; qos: number }>) => void;

interface Outgoing {
  packet: Packet;
  cb: Callback;
  /** Written on some connection already (a re-send sets DUP). */
  sent: boolean;
}

/** mqtt.js's words for a refused CONNACK (MQTT 3.1.1 §3.2.2.3), kept so that errors read the same. */
const CONNACK_REFUSED: Record<number, string> = {
  1: 'Unacceptable protocol version',
  2: 'Identifier rejected',
  3: 'Server unavailable',
  4: 'Bad username or password',
  5: 'Not authorized',
};

const V4 = { protocolVersion: 4 } as const;

/** The parser every client shares: it is given only whole packets, one at a time (see `#onData`). */
let sharedParser: ReturnType<typeof mqttPacket.parser> | undefined;
/** What the shared parser made of the packet it was just given. */
let parsed: Packet | undefined;
let parseError: Error | undefined;

function parserFor(): ReturnType<typeof mqttPacket.parser> {
  if (!sharedParser) {
    sharedParser = mqttPacket.parser(V4);
    sharedParser.on('packet', (p: Packet) => {
      parsed = p;
    });
    sharedParser.on('error', (err: Error) => {
      parseError = err;
    });
  }
  return sharedParser;
}

/** The clients with a connection up, for the one keep-alive timer. */
const live = new Set<LeanMqttClient>();
let keepaliveTimer: NodeJS.Timeout | undefined;
const KEEPALIVE_TICK_MS = 1000;

function watch(c: LeanMqttClient): void {
  live.add(c);
  if (!keepaliveTimer) {
    keepaliveTimer = setInterval(() => {
      const now = Date.now();
      for (const client of live) client.keepaliveTick(now);
    }, KEEPALIVE_TICK_MS);
    keepaliveTimer.unref();
  }
}

function unwatch(c: LeanMqttClient): void {
  live.delete(c);
  if (live.size === 0 && keepaliveTimer) {
    clearInterval(keepaliveTimer);
    keepaliveTimer = undefined;
  }
}

/** A remaining length's value and size (§2.2.3), or undefined while its bytes are not all there. */
function remainingLength(b: Buffer): { value: number; bytes: number } | undefined | 'malformed' {
  let value = 0;
  for (let i = 1; i <= 4; i++) {
    if (i >= b.length) return undefined;
    const byte = b[i] as number;
    value += (byte & 0x7f) * 128 ** (i - 1);
    if ((byte & 0x80) === 0) return { value, bytes: i };
  }
  return 'malformed';
}

/** One MQTT 3.1.1 connection that comes back by itself; see the file comment. */
export class LeanMqttClient {
  readonly options: LeanMqttOptions;
  /**
   * Event, listener, event, listener…: the few listeners a client has, in one small array (an EventEmitter's
   * table of events turns into a dictionary once a listener is removed, ~0.5 KiB per client).
   */
  #listeners: Array<string | Listener> = [];
  connected = false;
  /** The socket of the current connection (the transport sets TCP_NODELAY on it at CONNACK). */
  stream: Socket | undefined;
  /** Answers a received PUBLISH; replaced by the transport. `done(err)` withholds the PUBACK. */
  handleMessage: (packet: IPublishPacket, done: (err?: Error) => void) => void = (_p, done) => done();
  #ended = false;
  #first = true;
  #nextId = 0;
  #outgoing: Map<number, Outgoing> | undefined;
  /** Filters granted, made again on a connection without a session. */
  #subscribed: string[] | undefined;
  /** Bytes read that do not make a whole packet yet. */
  #rest: Buffer[] | undefined;
  #have = 0;
  #lastSent = 0;
  #pingOut = false;
  #timer: NodeJS.Timeout | undefined;

  constructor(options: LeanMqttOptions) {
    this.options = options;
    this.#open();
  }

  on(event: string, listener: Listener): this {
    this.#listeners.push(event, listener);
    return this;
  }

  once(event: string, listener: Listener): this {
    const once = (...args: never[]): void => {
      this.off(event, once);
      listener(...args);
    };
    return this.on(event, once);
  }

  off(event: string, listener: Listener): this {
    for (let i = 0; i < this.#listeners.length; i += 2) {
      if (this.#listeners[i] === event && this.#listeners[i + 1] === listener) {
        this.#listeners.splice(i, 2);
        break;
      }
    }
    return this;
  }

  listenerCount(event: string): number {
    let n = 0;
    for (let i = 0; i < this.#listeners.length; i += 2) if (this.#listeners[i] === event) n++;
    return n;
  }

  /** Calls the listeners of `event` in the order they were added (those added meanwhile wait for the next). */
  emit(event: string, ...args: unknown[]): boolean {
    const now = this.#listeners.slice();
    let called = false;
    for (let i = 0; i < now.length; i += 2) {
      if (now[i] !== event) continue;
      called = true;
      (now[i + 1] as (...a: unknown[]) => void)(...args);
    }
    return called;
  }

  #open(): void {
    const socket = netConnect({ host: this.options.host, port: this.options.port });
    socket.destroy = destroyReleasing;
    this.stream = socket;
    this.#rest = undefined;
    this.#have = 0;
    socket.on('data', (chunk: Buffer) => this.#onData(socket, chunk));
    socket.on('error', (err: Error & { code?: unknown }) => {
      if (err.code !== undefined && this.listenerCount('error') > 0) this.emit('error', err);
    });
    socket.once('close', () => this.#onClose(socket));
    socket.once('connect', () => {
      this.#write({
        cmd: 'connect',
        protocolId: 'MQTT',
        protocolVersion: 4,
        clean: this.options.clean,
        clientId: this.options.clientId,
        keepalive: this.options.keepalive,
        ...(this.options.username !== undefined ? { username: this.options.username } : {}),
        ...(this.options.password !== undefined
          ? { password: Buffer.from(this.options.password, 'utf8') }
          : {}),
      } as Packet);
    });
    // no CONNACK in time (the reconnect period and this are liveness settings of the connection, as mqtt.js's): drop this connection (and try again, unless ended)
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      if (!this.connected) socket.destroy();
    }, this.options.connectTimeout);
  }

  #onClose(socket: Socket): void {
    if (this.stream !== socket) return;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
    this.connected = false;
    this.stream = undefined;
    this.#rest = undefined;
    this.#have = 0;
    unwatch(this);
    this.emit('close');
    if (this.#ended) return;
    this.emit('offline');
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      if (this.#ended) return;
      this.emit('reconnect');
      this.#open();
    }, this.options.reconnectPeriod);
  }

  /** Frames whole packets out of `chunk` and what came before it, and parses them one at a time. */
  #onData(socket: Socket, chunk: Buffer): void {
    if (this.stream !== socket) return;
    let rest = this.#rest;
    if (rest) rest.push(chunk);
    else rest = [chunk];
    this.#have += chunk.length;
    for (;;) {
      if (this.#have < 2) break;
      if (rest.length > 1 && (rest[0] as Buffer).length < 5) rest = [Buffer.concat(rest, this.#have)];
      const len = remainingLength(rest[0] as Buffer);
      if (len === undefined) break;
      if (len === 'malformed') {
        this.#protocolError(socket, new Error('Invalid remaining length'));
        return;
      }
      const total = 1 + len.bytes + len.value;
      if (this.#have < total) break;
      const all: Buffer = rest.length === 1 ? (rest[0] as Buffer) : Buffer.concat(rest, this.#have);
      const packet = all.subarray(0, total);
      const after: Buffer = all.subarray(total);
      rest = after.length > 0 ? [after] : [];
      this.#have = after.length;
      parsed = undefined;
      parseError = undefined;
      parserFor().parse(packet);
      const p = parsed as Packet | undefined;
      parsed = undefined;
      if (parseError) {
        this.#protocolError(socket, parseError);
        return;
      }
      if (p) this.#receive(p);
      if (this.stream !== socket) return; // the packet ended this connection
    }
    // keep a partial packet's own bytes, not the whole read it is the tail of
    this.#rest =
      rest.length === 0
        ? undefined
        : rest.map((b) => (b.length < b.buffer.byteLength / 2 ? Buffer.from(b) : b));
    if (!this.#rest) this.#have = 0;
  }

  #protocolError(socket: Socket, err: Error): void {
    if (this.listenerCount('error') > 0) this.emit('error', err);
    socket.destroy();
  }

  /** A whole packet read from the broker. */
  #receive(packet: Packet): void {
    this.emit('packetreceive', packet);
    switch (packet.cmd) {
      case 'connack':
        this.#onConnack(packet);
        break;
      case 'publish':
        this.#onPublish(packet);
        break;
      case 'puback':
      case 'suback': {
        const id = packet.messageId;
        const entry = id === undefined ? undefined : this.#outgoing?.get(id);
        if (!entry || id === undefined) break;
        this.#outgoing?.delete(id);
        if (this.#outgoing?.size === 0) this.#outgoing = undefined;
        if (packet.cmd === 'suback') this.#onSuback(packet, entry);
        else entry.cb(null);
        break;
      }
      case 'pingresp':
        this.#pingOut = false;
        break;
      default:
        break;
    }
  }

  #onConnack(packet: IConnackPacket): void {
    const rc = packet.returnCode ?? 0;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
    if (rc !== 0) {
      const err = Object.assign(new Error(`Connection refused: ${CONNACK_REFUSED[rc] ?? `code ${rc}`}`), {
        code: rc,
      });
      if (this.listenerCount('error') > 0) this.emit('error', err);
      this.stream?.destroy();
      return;
    }
    this.connected = true;
    this.#pingOut = false;
    if (this.options.keepalive > 0) watch(this);
    const resubscribe = !this.#first && (this.options.clean || !packet.sessionPresent);
    this.#first = false;
    // what waited for this connection (taken before the resubscriptions, which #store writes at once)
    const pending = this.#outgoing ? [...this.#outgoing.values()] : [];
    if (resubscribe && this.#subscribed) {
      for (const filter of this.#subscribed) {
        this.#store(
          {
            cmd: 'subscribe',
            messageId: this.#id(),
            subscriptions: [{ topic: filter, qos: 1 }],
          } as Packet,
          () => undefined,
        );
      }
    }
    for (const entry of pending) {
      if (entry.sent && entry.packet.cmd === 'publish') entry.packet.dup = true;
      entry.sent = true;
      this.#write(entry.packet);
    }
    this.emit('connect', packet);
  }

  #onPublish(packet: IPublishPacket): void {
    const socket = this.stream;
    this.handleMessage(packet, (err) => {
      if (err || packet.qos !== 1 || packet.messageId === undefined) return;
      if (this.stream === socket && this.connected) {
        this.#write({ cmd: 'puback', messageId: packet.messageId });
      }
    });
  }

  #onSuback(packet: ISubackPacket, entry: Outgoing): void {
    const filters = (entry.packet as { subscriptions?: Array<{ topic: string }> }).subscriptions ?? [];
    const granted = (packet.granted as number[]).map((qos, i) => ({
      topic: filters[i]?.topic ?? '',
      qos,
    }));
    for (const g of granted) {
      if ((g.qos & 0x80) !== 0) continue;
      // made at its exact size: one push leaves room for 17
      if (!this.#subscribed?.includes(g.topic)) this.#subscribed = (this.#subscribed ?? []).concat([g.topic]);
    }
    entry.cb(null, granted);
  }

  /** Called every second by the shared timer while connected (keep-alive, §3.1.2.10). */
  keepaliveTick(now: number): void {
    if (!this.connected || now - this.#lastSent < this.options.keepalive * 1000) return;
    if (this.#pingOut) {
      // no PINGRESP within a keep-alive period: the connection is gone
      this.stream?.destroy();
      return;
    }
    this.#pingOut = true;
    this.#write({ cmd: 'pingreq' });
  }

  #id(): number {
    for (let i = 0; i < 0xffff; i++) {
      this.#nextId = (this.#nextId % 0xffff) + 1;
      if (!this.#outgoing?.has(this.#nextId)) return this.#nextId;
    }
    throw new Error('no free MQTT packet identifier: 65,535 messages wait for their acknowledgement');
  }

  #write(packet: Packet): void {
    const s = this.stream;
    if (!s || s.destroyed) return;
    this.#lastSent = Date.now();
    holdWrites(s);
    s.write(mqttPacket.generate(packet, V4));
  }

  /** Keeps `packet` until its acknowledgement, and writes it now if connected. */
  #store(packet: Packet, cb: Callback): void {
    this.#outgoing ??= new Map();
    const entry: Outgoing = { packet, cb, sent: this.connected };
    this.#outgoing.set((packet as { messageId: number }).messageId, entry);
    if (this.connected) this.#write(packet);
  }

  publish(
    topic: string,
    payload: Buffer,
    opts: { qos: 0 | 1; retain?: boolean },
    cb: (err?: Error | null) => void,
  ): void {
    if (this.#ended) {
      cb(new Error('client disconnecting'));
      return;
    }
    if (opts.qos === 0) {
      if (!this.connected) {
        cb(new Error('client disconnected'));
        return;
      }
      this.#write({ cmd: 'publish', topic, payload, qos: 0, dup: false, retain: opts.retain ?? false });
      cb(null);
      return;
    }
    this.#store(
      {
        cmd: 'publish',
        topic,
        payload,
        qos: 1,
        dup: false,
        retain: opts.retain ?? false,
        messageId: this.#id(),
      },
      cb,
    );
  }

  subscribe(
    filter: string,
    opts: { qos: 0 | 1 },
    cb: (err: Error | null, granted?: Array<{ topic: string; qos: number }>) => void,
  ): void {
    if (this.#ended) {
      cb(new Error('client disconnecting'));
      return;
    }
    this.#store(
      { cmd: 'subscribe', messageId: this.#id(), subscriptions: [{ topic: filter, qos: opts.qos }] },
      (err, granted) => cb(err ?? null, granted),
    );
  }

  /** Writes `packet` on the current connection (the transport's deferred PUBACK); mqtt.js's signature. */
  _sendPacket(packet: Packet, cb?: () => void): void {
    if (this.connected) this.#write(packet);
    cb?.();
  }

  end(force?: boolean, _opts?: object, cb?: () => void): this {
    if (this.#ended) {
      cb?.();
      return this;
    }
    this.#ended = true;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
    unwatch(this);
    const pending = this.#outgoing;
    this.#outgoing = undefined;
    for (const entry of pending?.values() ?? []) entry.cb(new Error('Connection closed'));
    const socket = this.stream;
    if (!socket || socket.destroyed) {
      this.connected = false;
      this.stream = undefined;
      if (cb) queueMicrotask(cb);
      return this;
    }
    socket.once('close', () => cb?.());
    if (force || !this.connected) socket.destroy();
    else {
      this.#write({ cmd: 'disconnect' });
      socket.end();
    }
    return this;
  }
}
