/**
 * The {@link Transport} over MQTT, MQTT 3.1.1 by default (protocol level 4, what the embedded aedes broker
 * speaks), MQTT 5 as an option for external brokers. Nothing depends on MQTT 5 properties. The client under
 * it: the lean one (lean-mqtt-client.ts) for MQTT 3.1.1 on plain TCP — every agent of a fleet — and the
 * `mqtt` package (mqtt.js) for TLS and MQTT 5; both give the events and callbacks described below.
 *
 * Behaviour:
 * - QoS 1 publish/subscribe, persistent session (clean session off) by default: the broker queues QoS 1
 *   messages for a client that is offline and delivers them when it reconnects with the same client id.
 * - Handlers run one at a time, in arrival order, per client; the PUBACK for a received QoS 1 message is
 *   sent only after its handler finished (MQTT 3.1.1 §4.6 keeps PUBACKs in arrival order), so a client
 *   killed mid-handler gets the message again from the broker. Handlers may publish and await the broker's
 *   acknowledgement (the handler queue is separate from mqtt.js's packet loop, so that cannot deadlock).
 * - A message that arrives before any matching handler is registered (a persistent session delivers its
 *   queue right after CONNACK, before the caller subscribes again) waits, unacknowledged, until a matching
 *   `subscribe()` or the `subscriptions` option provides one. It also blocks the messages behind it.
 * - Broker gone mid-run: the client reconnects by itself (every `reconnectPeriodMs`). A publish or
 *   subscribe made meanwhile is queued by the client and sent on reconnect; if the broker has not
 *   acknowledged it within `ackTimeoutMs` the promise rejects with TRANSPORT_TIMEOUT. The message stays
 *   queued in the client, so it may still be delivered later (QoS 1 is at-least-once: retrying is safe).
 * - Reconnects (issue 10): what a connection's session holds is known at its CONNACK (mqtt.js's `connect`
 *   event comes only after it re-sent its whole store of unacknowledged publishes, one at a time, while
 *   the broker already delivers); a message belongs to the connection it came on, counted from the close
 *   of the one before, so that a PUBLISH a broker writes before the CONNACK (aedes, to a resumed session)
 *   is that connection's. A PUBACK goes only on the connection its PUBLISH came on. With a resumed session
 *   the broker re-sends what it has no PUBACK for (MQTT 3.1.1 §4.4), so messages of an earlier connection
 *   not yet handled are dropped here for their redelivery; without one they are handled. A publish or
 *   subscribe that mqtt.js had only queued when a connection closed again (it fails them with
 *   'Connection closed', never sent) is issued again.
 * - Duplicates: a broker redelivery of a message this client already handled (its PUBACK was lost in a
 *   cut, or never sent because the connection was gone) is recognised by its packet identifier and
 *   content and acknowledged without running the handlers again, so the broker side of a reconnect is
 *   exactly-once at the handler (`duplicate` event). A publisher whose own PUBACK was lost re-sends its message, and the
 *   broker forwards it again as a new message (new packet identifier, DUP 0): that duplicate reaches the
 *   handlers (QoS 1 is at-least-once; nothing in the packet tells it from a message sent twice on purpose),
 *   so handlers must tolerate it.
 * - Failures are {@link CertfleetError}s: TRANSPORT_UNREACHABLE, TRANSPORT_NOT_AUTHORIZED (CONNACK 4/5,
 *   MQTT 5 0x86/0x87), TRANSPORT_PROTOCOL (CONNACK 1, MQTT 5 0x84), TRANSPORT_SUBSCRIBE_REFUSED (SUBACK
 *   0x80, MQTT 5 ≥ 0x80), TRANSPORT_TIMEOUT, TRANSPORT_CLOSED. Passwords never appear in messages or events.
 *
 * @see https://docs.oasis-open.org/mqtt/mqtt/v3.1.1/os/mqtt-v3.1.1-os.html (CONNACK §3.2.2.3, SUBACK §3.9.3,
 *   packet identifiers §2.3.1, QoS 1 §4.3.2, message delivery retry §4.4, message ordering §4.6)
 * @see https://docs.oasis-open.org/mqtt/mqtt/v5.0/os/mqtt-v5.0-os.html (reason codes §2.4)
 */
import { createHash } from 'node:crypto';
import mqtt from 'mqtt';
import type { IClientOptions, IConnackPacket, IPublishPacket, MqttClient, Packet } from 'mqtt';
import { CertfleetError, type ErrorCode } from '../../pki/errors.ts';
import type { TransportLedger } from './device-ledger.ts';
import { LeanMqttClient } from './lean-mqtt-client.ts';
import type { InFlight } from './in-flight.ts';
import { topicMatches } from './topic-filter.ts';
import type { MessageHandler, Transport } from './transport.ts';

/** TLS material for the client side (PEM). `cert` + `key`: the client certificate the broker maps. */
export interface MqttTlsOptions {
  /** The CA certificate(s) that sign the broker's server certificate. */
  ca: string | Buffer;
  cert?: string | Buffer;
  key?: string | Buffer;
}

/** Something worth logging about a connection (never carries a password). */
export interface TransportEvent {
  clientId: string;
  type: 'connect' | 'offline' | 'reconnect' | 'error' | 'handler-error' | 'duplicate';
  detail: string;
}

/** Options of {@link connectMqtt}. */
export interface MqttTransportOptions {
  /** `mqtt://host:port` or `mqtts://host:port` (with `tls`, `mqtt:` is upgraded to `mqtts:`). */
  url: string;
  clientId: string;
  username?: string;
  password?: string;
  /** 4 = MQTT 3.1.1 (default), 5 = MQTT 5 (external brokers only; aedes refuses it). */
  protocolVersion?: 4 | 5;
  /** Clean session; default false (persistent session: the broker queues QoS 1 messages while offline). */
  clean?: boolean;
  tls?: MqttTlsOptions;
  /** How long the first connection may take before TRANSPORT_UNREACHABLE (default 10 s). */
  connectTimeoutMs?: number;
  /** How long publish/subscribe wait for the broker's acknowledgement (default 30 s). */
  ackTimeoutMs?: number;
  /** Delay between reconnection attempts after the broker went away (default 500 ms). */
  reconnectPeriodMs?: number;
  /** Keep-alive in seconds (default 30). */
  keepaliveSeconds?: number;
  /** The process's quiescence counter (see in-flight.ts). */
  inFlight?: InFlight;
  /**
   * Per-device counters for the fleet engine (device-ledger.ts): told when a publish starts, when a
   * message arrives, when its handler finished and when a received message is dropped unhandled. Default
   * none.
   */
  ledger?: TransportLedger;
  /**
   * Subscriptions whose handlers are in place before CONNECT, so that a persistent session's queued
   * messages find their handler at once; they are (re)subscribed right after the connection is up.
   */
  subscriptions?: ReadonlyArray<{ filter: string; handler: MessageHandler }>;
  /** Connection events, for logs. */
  onEvent?: (event: TransportEvent) => void;
  /**
   * Which MQTT client carries the connection: `lean` (lean-mqtt-client.ts: MQTT 3.1.1 on plain TCP, a
   * fraction of mqtt.js's memory per client, issue 11 point 3) or `mqtt.js`. Default: `lean` for MQTT 3.1.1
   * without TLS, mqtt.js otherwise; `lean` with TLS or MQTT 5 is refused (TRANSPORT_PROTOCOL).
   */
  client?: 'lean' | 'mqtt.js';
}

interface Received {
  topic: string;
  payload: Buffer;
  messageId: number | undefined;
  qos: number;
  /** The connection it came on (see {@link MqttTransport} `#epoch`). */
  epoch: number;
  /** A redelivery of a message already handled: acknowledged in order, its handlers not run again. */
  duplicate: boolean;
}

/** A QoS 1 message handled whose PUBACK may not have reached the broker (see `#handledIds`). */
interface HandledId {
  digest: string;
  epoch: number;
}

/**
 * How many handled message ids a client remembers to recognise redeliveries. Both brokers number a
 * client's messages 1, 2, 3… (Mosquitto `mosquitto__mid_generate`, aedes `client._nextId`), so an id
 * comes back for a new message only after 65,535 others: remembering the last 1,024 never mistakes a new
 * message for an old one, and covers far more than either broker keeps unacknowledged across a cut.
 */
const HANDLED_IDS_KEPT = 1024;

/**
 * The answer that makes mqtt.js skip its own PUBACK (see the constructor). mqtt.js only tests it and drops
 * it (its packet loop's `done` takes no error), so one instance serves every message: an Error made per
 * message captured a stack trace each time for nothing (issue 11 point 2).
 */
const PUBACK_DEFERRED = new Error('certfleet: PUBACK deferred until the handler ran');

/** The identity of a message's content (topic and payload). */
function digestOf(topic: string, payload: Buffer): string {
  return createHash('sha256').update(topic).update('\0').update(payload).digest('base64');
}

/**
 * mqtt.js fails a publish or subscribe that it had only queued (not stored, not sent) while resending its
 * store after a reconnect, when that connection closes in turn: `Error('Connection closed')` without a
 * reason code (mqtt 5.x client.js `_flushStoreProcessingQueue`). Nothing was sent, so it is safe, and
 * necessary, to issue it again.
 */
function flushedUnsent(err: unknown): boolean {
  const e = err as { message?: unknown; code?: unknown } | undefined;
  return e?.message === 'Connection closed' && typeof e.code !== 'number';
}

/** The URL without user info, for messages. */
function safeUrl(url: string): string {
  try {
    const u = new URL(url);
    u.username = '';
    u.password = '';
    return u.toString().replace(/\/$/, '');
  } catch {
    return '(an invalid URL)';
  }
}

/** Maps a CONNACK return code (3.1.1) or reason code (5) to an error code and an explanation. */
function connackError(rc: number, version: 4 | 5): { code: ErrorCode; why: string } {
  if (version === 4) {
    switch (rc) {
      case 1:
        return { code: 'TRANSPORT_PROTOCOL', why: 'unacceptable protocol version (CONNACK 1)' };
      case 2:
        return { code: 'TRANSPORT_NOT_AUTHORIZED', why: 'client identifier rejected (CONNACK 2)' };
      case 3:
        return { code: 'TRANSPORT_UNREACHABLE', why: 'server unavailable (CONNACK 3)' };
      case 4:
        return { code: 'TRANSPORT_NOT_AUTHORIZED', why: 'bad user name or password (CONNACK 4)' };
      case 5:
        return { code: 'TRANSPORT_NOT_AUTHORIZED', why: 'not authorised (CONNACK 5)' };
    }
  } else {
    switch (rc) {
      case 0x84:
        return { code: 'TRANSPORT_PROTOCOL', why: 'unsupported protocol version (reason 0x84)' };
      case 0x85:
        return { code: 'TRANSPORT_NOT_AUTHORIZED', why: 'client identifier not valid (reason 0x85)' };
      case 0x86:
        return { code: 'TRANSPORT_NOT_AUTHORIZED', why: 'bad user name or password (reason 0x86)' };
      case 0x87:
        return { code: 'TRANSPORT_NOT_AUTHORIZED', why: 'not authorized (reason 0x87)' };
      case 0x88:
      case 0x89:
        return {
          code: 'TRANSPORT_UNREACHABLE',
          why: `server unavailable or busy (reason 0x${rc.toString(16)})`,
        };
    }
  }
  return { code: 'TRANSPORT_NOT_AUTHORIZED', why: `connection refused (code ${rc})` };
}

/** Turns a first-connection failure into a CertfleetError. */
function connectError(err: unknown, o: MqttTransportOptions, version: 4 | 5): CertfleetError {
  const where = `${safeUrl(o.url)} as client '${o.clientId}'`;
  const e = err as { code?: unknown; message?: string } | undefined;
  const message = e?.message ?? String(err);
  // mqtt.js: ErrorWithReasonCode for a refused CONNACK; aedes answers an MQTT 5 CONNECT with a 3.1.1
  // CONNACK "unacceptable protocol version", which mqtt.js reads as a v5 CONNACK.
  if (/unacceptable protocol version|unsupported protocol version/i.test(message)) {
    return new CertfleetError(
      'TRANSPORT_PROTOCOL',
      `The broker at ${where} refused MQTT ${version === 5 ? '5' : '3.1.1'} (${message}). The embedded aedes ` +
        'broker speaks only MQTT 3.1.1: use protocol version 4 (--mqtt-version 4), or an external broker for MQTT 5.',
      { cause: err, details: { url: safeUrl(o.url), clientId: o.clientId, protocolVersion: version } },
    );
  }
  if (typeof e?.code === 'number') {
    const { code, why } = connackError(e.code, version);
    const hint =
      code === 'TRANSPORT_NOT_AUTHORIZED'
        ? o.tls?.cert
          ? ' Check that the client certificate is issued by the CA the broker trusts and maps to a known identity.'
          : ' Check the user name and password (CERTFLEET_BROKER_USERNAME / CERTFLEET_BROKER_PASSWORD for an external broker), or that the identity is registered with the broker.'
        : code === 'TRANSPORT_PROTOCOL'
          ? ' The embedded aedes broker speaks only MQTT 3.1.1: use protocol version 4.'
          : '';
    return new CertfleetError(code, `The broker at ${where} refused the connection: ${why}.${hint}`, {
      cause: err,
      details: { url: safeUrl(o.url), clientId: o.clientId, returnCode: e.code },
    });
  }
  const sys = typeof e?.code === 'string' ? ` (${e.code})` : '';
  const tlsHint = /certificate|ssl|tls|alert/i.test(message)
    ? ' The TLS handshake failed: check the CA that signs the broker certificate, and the client certificate.'
    : '';
  return new CertfleetError(
    'TRANSPORT_UNREACHABLE',
    `Cannot reach the MQTT broker at ${safeUrl(o.url)}${sys}: ${message}. Is it running, and is the URL right?${tlsHint}`,
    { cause: err, details: { url: safeUrl(o.url), clientId: o.clientId } },
  );
}

/** Runs `op` (which calls back once) with a timeout; rejects with TRANSPORT_TIMEOUT. */
function withTimeout<T>(
  ms: number,
  what: () => string,
  op: (done: (err: unknown, value?: T) => void) => void,
): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    let finished = false;
    const timer = setTimeout(() => {
      if (finished) return;
      finished = true;
      reject(new CertfleetError('TRANSPORT_TIMEOUT', what(), { details: { timeoutMs: ms } }));
    }, ms);
    op((err, value) => {
      if (finished) return;
      finished = true;
      clearTimeout(timer);
      if (err) reject(err);
      else resolve(value as T);
    });
  });
}

class MqttTransport implements Transport {
  readonly clientId: string;
  readonly #client: MqttClient;
  readonly #o: MqttTransportOptions;
  /**
   * The handlers, and the messages waiting for theirs. Both are replaced rather than grown: an array that
   * grew by one push keeps room for 17 (~150 bytes per idle client, issue 11 point 3).
   */
  #handlers: ReadonlyArray<{ filter: string; handler: MessageHandler }>;
  #queue: Received[] = [];
  /**
   * The number of the connection what arrives now came on: raised when a connection closes, so that a
   * PUBLISH the broker writes on the next one before its CONNACK already counts for that one (aedes does:
   * a resumed session's subscriptions are live before it writes the CONNACK).
   */
  #epoch = 1;
  /** Handled QoS 1 messages by packet identifier, oldest first (see #isRedelivery). */
  readonly #handledIds = new Map<number, HandledId>();
  #pumping = false;
  #closed = false;
  #offlineSince: Date | undefined;

  constructor(client: MqttClient, o: MqttTransportOptions) {
    this.clientId = o.clientId;
    this.#client = client;
    this.#o = o;
    this.#handlers = (o.subscriptions ?? []).map((s) => ({ filter: s.filter, handler: s.handler }));
    // Take every incoming PUBLISH off mqtt.js's packet loop at once and withhold its PUBACK: answering
    // the callback with an error makes mqtt.js skip its own PUBACK (mqtt 5.x handlers/publish.js); the
    // PUBACK is sent by #ack once the handler finished.
    client.handleMessage = (packet: IPublishPacket, callback: (err?: Error) => void) => {
      const payload = Buffer.isBuffer(packet.payload) ? packet.payload : Buffer.from(packet.payload);
      const duplicate = this.#isRedelivery(packet, payload);
      if (!this.#closed && !duplicate) o.ledger?.arrived(packet.topic);
      this.#queue.push({
        topic: packet.topic,
        payload,
        messageId: packet.messageId,
        qos: packet.qos,
        epoch: this.#epoch,
        duplicate,
      });
      callback(PUBACK_DEFERRED);
      void this.#pump();
    };
    // What a new connection's session holds is known at its CONNACK. Not at the 'connect' event: mqtt.js
    // emits it only after re-sending its whole store of unacknowledged publishes, one at a time, and the
    // broker delivers meanwhile (issue 10). A PUBLISH may even come before the CONNACK (aedes delivers to a
    // resumed session's restored subscriptions while it is still connecting, though MQTT 3.1.1 §3.2 wants
    // the CONNACK first): the connection's number is raised when the one before closes, not at the CONNACK,
    // so such a message is this connection's and is not dropped for a redelivery that will never come.
    client.on('close', () => {
      this.#epoch++;
    });
    client.on('packetreceive', (packet: Packet) => {
      if (packet.cmd !== 'connack') return;
      const connack = packet as IConnackPacket;
      if ((connack.reasonCode ?? connack.returnCode ?? 0) !== 0) return;
      (client.stream as { setNoDelay?: (on: boolean) => void } | undefined)?.setNoDelay?.(true);
      this.#newConnection(connack.sessionPresent);
    });
    client.on('connect', (connack) => {
      this.#offlineSince = undefined;
      o.inFlight?.setOnline(o.clientId, true);
      this.#event('connect', `connected to ${safeUrl(o.url)} (session present: ${connack.sessionPresent})`);
    });
    client.on('offline', () => {
      this.#offlineSince ??= new Date();
      this.#event('offline', `lost the broker at ${safeUrl(o.url)}; reconnecting`);
    });
    client.on('reconnect', () => this.#event('reconnect', `reconnecting to ${safeUrl(o.url)}`));
    client.on('error', (err) => this.#event('error', err.message));
  }

  /**
   * A new connection (its CONNACK was just read). With a resumed session the broker re-sends every
   * message it has not had a PUBACK for, with its original packet identifier (MQTT 3.1.1 §4.4): the
   * messages of earlier connections still waiting here are dropped (their redelivery takes their place),
   * except the one in its handler; what this connection delivered before its CONNACK stays. Without one,
   * the broker has forgotten them: they are handled here (their PUBACKs are not sent: their packet
   * identifiers meant nothing to the new session), and the ids remembered for recognising redeliveries are
   * forgotten too.
   */
  #newConnection(sessionPresent: boolean): void {
    if (sessionPresent) {
      const keep = this.#queue.filter((m, i) => (i === 0 && this.#pumping) || m.epoch === this.#epoch);
      for (const m of this.#queue) if (!keep.includes(m) && !m.duplicate) this.#o.ledger?.abandoned(m.topic);
      this.#queue = keep;
    } else {
      this.#handledIds.clear();
    }
  }

  /**
   * Whether `packet` is the broker re-sending a message this client already handled on an earlier
   * connection of the same session, because the PUBACK never reached it (sent on a connection that was
   * cut, or not sent at all as the connection was gone when the handler finished). The broker cannot
   * give that packet identifier to another message before it has the PUBACK (MQTT 3.1.1 §2.3.1, §4.3.2),
   * and the content must match too. aedes does not set DUP on such redeliveries, so DUP is not required.
   */
  #isRedelivery(packet: IPublishPacket, payload: Buffer): boolean {
    if (packet.qos !== 1 || packet.messageId === undefined) return false;
    const id = packet.messageId;
    const inHandler = this.#pumping ? this.#queue[0] : undefined;
    let digest: string | undefined;
    const same = (d: string): boolean => (digest ??= digestOf(packet.topic, payload)) === d;
    const seen = this.#handledIds.get(id);
    const redelivery =
      // handled on an earlier connection …
      (seen !== undefined && seen.epoch < this.#epoch && same(seen.digest)) ||
      // … or still in its handler, received on an earlier connection
      (inHandler !== undefined &&
        inHandler.messageId === id &&
        inHandler.epoch < this.#epoch &&
        same(digestOf(inHandler.topic, inHandler.payload)));
    if (!redelivery) {
      // the id was given to a new message: what was remembered under it is stale
      if (seen !== undefined && seen.epoch < this.#epoch) this.#handledIds.delete(id);
      return false;
    }
    // an entry of this connection: a further redelivery can only come on a later one
    if (seen) seen.epoch = this.#epoch;
    this.#event(
      'duplicate',
      `${packet.topic}: a redelivery of a message already handled (packet id ${id}); acknowledged, not handled again`,
    );
    return true;
  }

  /** Remembers a handled QoS 1 message so that its redelivery is recognised (see #isRedelivery). */
  #rememberHandled(m: Received): void {
    if (m.qos !== 1 || m.messageId === undefined) return;
    this.#handledIds.delete(m.messageId);
    this.#handledIds.set(m.messageId, { digest: digestOf(m.topic, m.payload), epoch: m.epoch });
    if (this.#handledIds.size > HANDLED_IDS_KEPT) {
      const oldest = this.#handledIds.keys().next();
      if (!oldest.done) this.#handledIds.delete(oldest.value);
    }
  }

  #event(type: TransportEvent['type'], detail: string): void {
    this.#o.onEvent?.({ clientId: this.clientId, type, detail });
  }

  #ackTimeoutMessage(what: string): string {
    const since = this.#offlineSince
      ? ` (no broker connection since ${this.#offlineSince.toISOString()})`
      : '';
    return (
      `The broker at ${safeUrl(this.#o.url)} did not acknowledge ${what} within ${this.#ackTimeoutMs} ms${since}. ` +
      'The client keeps it queued and sends it when the broker is back; restart the broker or raise the timeout.'
    );
  }

  get #ackTimeoutMs(): number {
    return this.#o.ackTimeoutMs ?? 30_000;
  }

  #assertOpen(what: string): void {
    if (this.#closed) {
      throw new CertfleetError(
        'TRANSPORT_CLOSED',
        `Cannot ${what}: the MQTT client '${this.clientId}' was closed. Connect again.`,
      );
    }
  }

  async publish(
    topic: string,
    payload: Buffer,
    options: { qos?: 0 | 1; retain?: boolean } = {},
  ): Promise<void> {
    this.#assertOpen(`publish to ${topic}`);
    const qos = options.qos ?? 1;
    this.#o.inFlight?.published(this.clientId, topic);
    this.#o.ledger?.published(topic);
    try {
      await withTimeout<void>(
        this.#ackTimeoutMs,
        () => this.#ackTimeoutMessage(`the publish to ${topic}`),
        (done) => {
          const attempt = (): void => {
            this.#client.publish(topic, payload, { qos, retain: options.retain ?? false }, (err) => {
              // again once mqtt.js is done flushing its queue (re-queueing at once would feed the loop it is in)
              if (err && flushedUnsent(err) && !this.#closed) setImmediate(attempt);
              else done(err);
            });
          };
          attempt();
        },
      );
    } catch (err) {
      if (err instanceof CertfleetError) throw err;
      // MQTT 5 PUBACK with a failure reason (e.g. 0x87 not authorized): nothing will be delivered.
      this.#o.inFlight?.cancelled(this.clientId, topic);
      const rc = (err as { code?: unknown }).code;
      throw new CertfleetError(
        'TRANSPORT_NOT_AUTHORIZED',
        `The broker refused the publish of '${this.clientId}' to ${topic}: ${(err as Error).message}. The topic ACL lets a device publish only under its own certfleet/{tenant}/device/{id}/out/.`,
        { cause: err, details: { topic, reasonCode: rc } },
      );
    }
  }

  async subscribe(topicFilter: string, handler: MessageHandler): Promise<void> {
    this.#assertOpen(`subscribe to ${topicFilter}`);
    const entry = { filter: topicFilter, handler };
    this.#handlers = this.#handlers.concat([entry]); // exact size (a spread leaves room for 17)
    try {
      await this.#sendSubscribe(topicFilter);
    } catch (err) {
      this.#handlers = this.#handlers.filter((h) => h !== entry);
      throw err;
    }
    void this.#pump();
  }

  async #sendSubscribe(topicFilter: string): Promise<void> {
    await withTimeout<void>(
      this.#ackTimeoutMs,
      () => this.#ackTimeoutMessage(`the subscription to ${topicFilter}`),
      (done) => {
        const attempt = (): void => {
          this.#client.subscribe(topicFilter, { qos: 1 }, (err, granted) => {
            if (err && flushedUnsent(err) && !this.#closed) {
              setImmediate(attempt); // see publish
              return;
            }
            const refused = granted?.find((g) => (g.qos & 0x80) !== 0);
            if (err || refused) {
              const fromErr = (err as { packet?: { granted?: number[] } } | undefined)?.packet?.granted;
              const rc = refused?.qos ?? fromErr?.find((g) => (g & 0x80) !== 0);
              done(
                new CertfleetError(
                  'TRANSPORT_SUBSCRIBE_REFUSED',
                  `The broker refused the subscription of '${this.clientId}' to ${topicFilter} (SUBACK ${typeof rc === 'number' ? `0x${rc.toString(16)}` : 'failure'}). A device may subscribe only to its own certfleet/{tenant}/device/{id}/in/#.`,
                  { cause: err ?? undefined, details: { topicFilter, returnCode: rc } },
                ),
              );
              return;
            }
            this.#o.inFlight?.subscribed(this.clientId, topicFilter);
            done(undefined);
          });
        };
        attempt();
      },
    );
  }

  /** Subscribes the handlers given in the options (after the first CONNACK). */
  async subscribeInitial(): Promise<void> {
    for (const s of this.#o.subscriptions ?? []) await this.#sendSubscribe(s.filter);
  }

  async #pump(): Promise<void> {
    if (this.#pumping) return;
    this.#pumping = true;
    try {
      while (!this.#closed) {
        const m = this.#queue[0];
        if (!m) break;
        if (m.duplicate) {
          // handled once already: only its PUBACK is owed, in arrival order (MQTT 3.1.1 §4.6)
          this.#queue.shift();
          this.#ack(m);
          continue;
        }
        const handlers = this.#handlers.filter((h) => topicMatches(h.filter, m.topic));
        if (handlers.length === 0) break; // waits for a matching subscribe()
        for (const h of handlers) {
          try {
            await h.handler({
              topic: m.topic,
              payload: m.payload,
              ...(m.messageId === undefined ? {} : { packetId: m.messageId }),
            });
          } catch (err) {
            this.#event('handler-error', `handler for ${m.topic} failed: ${(err as Error).message}`);
          }
        }
        if (this.#closed) break; // not acknowledged: the broker delivers it again to the session
        this.#queue.shift();
        this.#rememberHandled(m);
        this.#ack(m);
        this.#o.inFlight?.handled(this.clientId);
        this.#o.ledger?.handled(m.topic);
      }
    } finally {
      this.#pumping = false;
      if (this.#queue.length === 0) this.#queue = []; // drop the room its pushes made
    }
  }

  #ack(m: Received): void {
    if (m.qos !== 1 || m.messageId === undefined) return;
    // A PUBACK belongs to the connection the PUBLISH came on; after a reconnect the broker resends.
    if (m.epoch !== this.#epoch || !this.#client.connected) return;
    const send = (
      this.#client as unknown as {
        _sendPacket(p: object, cb: () => void, s?: unknown, noStore?: boolean): void;
      }
    )._sendPacket;
    send.call(this.#client, { cmd: 'puback', messageId: m.messageId }, () => undefined, undefined, true);
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    // what was received and not handled is not acknowledged: the broker delivers it again to the session
    for (const m of this.#queue) if (!m.duplicate) this.#o.ledger?.abandoned(m.topic);
    this.#o.inFlight?.setOnline(this.clientId, false);
    if (this.#o.clean) this.#o.inFlight?.forget(this.clientId);
    await new Promise<void>((resolve) => {
      // force when offline: nothing could be flushed anyway
      this.#client.end(!this.#client.connected, {}, () => resolve());
    });
  }
}

/** mqtt.js's debug logger, replaced: it is one closure with its own state per client (1.2 KiB each). */
function noLog(): void {}

/**
 * mqtt.js options for one client, as one object literal that already has every key mqtt.js sets or
 * defaults (mqtt 5.x `connect()` and the `MqttClient` constructor), and no URL for mqtt.js to parse: it
 * deletes `path` from a parsed URL's options and adds its defaults one by one, which turns each client's
 * options object into a hash table (1.6 KiB per client on the idle bench, issue 11 point 3). Same settings
 * as before: host, port and protocol come from `url`.
 */
function clientOptions(o: MqttTransportOptions, url: string, version: 4 | 5): IClientOptions {
  const u = new URL(url);
  const protocol = u.protocol === 'mqtts:' ? 'mqtts' : 'mqtt';
  const host = u.hostname.replace(/^\[(.*)\]$/, '$1'); // an IPv6 literal without its brackets
  const port = u.port === '' ? (protocol === 'mqtts' ? 8883 : 1883) : Number(u.port);
  return {
    protocol,
    host,
    hostname: host,
    port,
    defaultProtocol: protocol,
    unixSocket: false,
    socksProxy: undefined,
    clientId: o.clientId,
    protocolId: 'MQTT',
    protocolVersion: version,
    clean: o.clean ?? false,
    reconnectPeriod: o.reconnectPeriodMs ?? 500,
    connectTimeout: o.connectTimeoutMs ?? 10_000,
    keepalive: o.keepaliveSeconds ?? 30,
    reschedulePings: true,
    resubscribe: true,
    subscribeBatchSize: undefined,
    writeCache: true,
    timerVariant: 'auto',
    queueQoSZero: false,
    log: noLog,
    username: o.username,
    password: o.password,
    ...(o.tls
      ? {
          ca: o.tls.ca,
          rejectUnauthorized: true,
          ...(o.tls.cert ? { cert: o.tls.cert } : {}),
          ...(o.tls.key ? { key: o.tls.key } : {}),
        }
      : {}),
    ...(version === 5 ? { properties: { sessionExpiryInterval: o.clean ? 0 : 0xffffffff } } : {}),
  } as IClientOptions;
}

/**
 * Connects to an MQTT broker and returns a {@link Transport}; rejects with a {@link CertfleetError} when
 * the broker cannot be reached (TRANSPORT_UNREACHABLE), refuses the credentials (TRANSPORT_NOT_AUTHORIZED)
 * or the protocol version (TRANSPORT_PROTOCOL).
 *
 * @example
 * const t = await connectMqtt({ url: broker.url, clientId: 'dev-1', username: 'dev-1', password });
 * await t.subscribe(deviceInbox('acme', 'dev-1'), async (m) => install(m.payload));
 */
export async function connectMqtt(o: MqttTransportOptions): Promise<Transport> {
  const version = o.protocolVersion ?? 4;
  let url = o.url;
  if (o.tls && url.startsWith('mqtt:')) url = `mqtts:${url.slice('mqtt:'.length)}`;
  const lean = o.client === undefined ? version === 4 && !url.startsWith('mqtts:') : o.client === 'lean';
  if (lean && (version !== 4 || url.startsWith('mqtts:'))) {
    throw new CertfleetError(
      'TRANSPORT_PROTOCOL',
      `The lean MQTT client speaks MQTT 3.1.1 over plain TCP only; ${safeUrl(url)} with MQTT ${version === 5 ? '5' : '3.1.1'} needs mqtt.js (client: 'mqtt.js', or leave the client unset).`,
      { details: { url: safeUrl(url), protocolVersion: version } },
    );
  }
  const options = clientOptions(o, url, version);
  // The lean client has the members of MqttClient that MqttTransport uses (lean-mqtt-client.ts), and only those.
  const client = lean
    ? (new LeanMqttClient({
        host: options.host as string,
        port: options.port as number,
        clientId: o.clientId,
        username: o.username,
        password: o.password,
        clean: o.clean ?? false,
        keepalive: options.keepalive as number,
        reconnectPeriod: options.reconnectPeriod as number,
        connectTimeout: options.connectTimeout as number,
      }) as unknown as MqttClient)
    : mqtt.connect(options);
  const transport = new MqttTransport(client, o);
  await new Promise<void>((resolve, reject) => {
    const fail = (err: unknown): void => {
      cleanup();
      client.end(true);
      reject(connectError(err, o, version));
    };
    const onError = (err: Error): void => fail(err);
    const onClose = (): void => fail(new Error('the connection closed before the broker answered CONNECT'));
    const timer = setTimeout(
      () => fail(new Error(`no CONNACK within ${o.connectTimeoutMs ?? 10_000} ms`)),
      o.connectTimeoutMs ?? 10_000,
    );
    const onConnect = (): void => {
      cleanup();
      resolve();
    };
    const cleanup = (): void => {
      clearTimeout(timer);
      client.off('error', onError);
      client.off('close', onClose);
      client.off('connect', onConnect);
    };
    client.on('error', onError);
    client.on('close', onClose);
    client.on('connect', onConnect);
  });
  try {
    await transport.subscribeInitial();
  } catch (err) {
    await transport.close();
    throw err;
  }
  return transport;
}
