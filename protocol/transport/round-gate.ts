/**
 * A {@link Transport} wrapper that holds what arrives and hands it to the handlers, on
 * {@link RoundGate.flush}, in an order that does not depend on when each message arrived: the fleet
 * engine's canonical order (docs/architecture.md "The fleet engine: one virtual clock across hosts").
 *
 * Why: with devices spread over several processes, the service's inbox of one wave fills in whatever order
 * the broker and the machines' load produce. A handler that reads shared state (a queue, a counter, the
 * seeded random stream of payload ids) would then act differently from run to run. The coordinator flushes
 * the gate once every message of the wave has arrived (the device ledgers balance), so the service
 * handles each wave's inbox in the same order in every mode — one process, workers, several machines.
 *
 * The order (each key breaks the ties of the one before):
 * 1. the message's group: its device id for a device topic (protocol/wire/topics.ts), or what `groupOf`
 *    says; messages of no group come first;
 * 2. within a group, the sender's own sequence number when `sequenceOf` gives one, else the arrival order
 *    within the group — which is the sender's publish order, and so canonical, when one client alone
 *    publishes a group's topics (a device's `out/` topics: the broker's ACL lets only that device publish
 *    there, and MQTT keeps one client's QoS 1 messages in order, MQTT 3.1.1 §4.6). Messages of no group
 *    have no such order and skip this key;
 * 3. the topic; 4. the payload bytes; 5. the order of the subscriptions whose handlers match.
 *
 * A device's own messages are deliberately not sorted by topic: a device that enrols and checks in at the
 * same instant must be heard in that order.
 *
 * Messages are buffered per subscription: a message two subscriptions match is held (and released) once per
 * handler, as the transport delivers it. Handlers run one at a time, in the order above; a handler that
 * throws is reported to `onHandlerError` and the flush goes on. What arrives during a flush waits for the
 * next one.
 *
 * Outbound, on request ({@link RoundGate.holdOutbound}): publishes to any topic under the tenant's
 * `device/` wait, in order, until
 * {@link RoundGate.releaseOutbound}, and the publisher is answered at once. The coordinator holds them
 * while it runs the service's own timers of an instant before the hosts are at that instant: if nothing
 * was sent to a device, the hosts need not hear of the instant at all (docs/architecture.md "One instant").
 */
import { parseDeviceTopic, tenantRoot } from '../wire/topics.ts';
import type { MessageHandler, Transport, TransportMessage } from './transport.ts';

/** Options of {@link RoundGate}. */
export interface RoundGateOptions {
  /** The tenant whose device topics group by device id (see the file comment). */
  tenant: string;
  /** The group of a message that is not a device topic (default none). */
  groupOf?: (message: TransportMessage) => string | undefined;
  /** The sender's own sequence number carried by a message, if it carries one (default none). */
  sequenceOf?: (message: TransportMessage) => number | undefined;
  /**
   * Messages handed to their handler at once, never held (default none): on the coordinator, the service's
   * exchanges with its in-process connectors, which a connector's batch waits on within one wave.
   */
  passes?: (message: TransportMessage) => boolean;
  /** Called when a released handler throws (default: ignored, as the transport logs handler errors). */
  onHandlerError?: (error: unknown, message: TransportMessage) => void;
  /**
   * Called when a held outbound publish fails once released (default: ignored — its device's counts then
   * never balance, and the coordinator ends the run with RUN_STALLED naming the device).
   */
  onPublishError?: (error: unknown, topic: string) => void;
}

interface HeldPublish {
  topic: string;
  payload: Buffer;
  options: { qos?: 0 | 1; retain?: boolean } | undefined;
}

interface Held {
  message: TransportMessage;
  handler: MessageHandler;
  group: string | undefined;
  /** Sequence within the group: the sender's, or the arrival index within the group. */
  order: number;
  subscription: number;
}

function compare(a: Held, b: Held): number {
  if (a.group !== b.group) {
    if (a.group === undefined) return -1;
    if (b.group === undefined) return 1;
    return a.group < b.group ? -1 : 1;
  }
  if (a.group !== undefined && a.order !== b.order) return a.order - b.order;
  if (a.message.topic !== b.message.topic) return a.message.topic < b.message.topic ? -1 : 1;
  const bytes = Buffer.compare(a.message.payload, b.message.payload);
  if (bytes !== 0) return bytes;
  return a.subscription - b.subscription;
}

/** A transport whose incoming messages wait for {@link RoundGate.flush} (see the file comment). */
export class RoundGate implements Transport {
  readonly clientId: string;
  readonly #inner: Transport;
  readonly #o: RoundGateOptions;
  #held: Held[] = [];
  #arrivals = new Map<string, number>();
  #subscriptions = 0;
  #holdOut = false;
  #outbound: HeldPublish[] = [];

  constructor(inner: Transport, o: RoundGateOptions) {
    this.#inner = inner;
    this.#o = o;
    this.clientId = inner.clientId;
  }

  /** Messages held for the next flush. */
  get held(): number {
    return this.#held.length;
  }

  /** Publishes to device topics held until {@link RoundGate.releaseOutbound}. */
  get heldOutbound(): number {
    return this.#outbound.length;
  }

  publish(topic: string, payload: Buffer, options?: { qos?: 0 | 1; retain?: boolean }): Promise<void> {
    if (this.#holdOut && topic.startsWith(`${tenantRoot(this.#o.tenant)}/device/`)) {
      this.#outbound.push({ topic, payload, options });
      return Promise.resolve();
    }
    return this.#inner.publish(topic, payload, options);
  }

  /** From now on, publishes to device topics wait for {@link RoundGate.releaseOutbound} (see the file comment). */
  holdOutbound(): void {
    this.#holdOut = true;
  }

  /**
   * Stops holding, and publishes what was held, in the order it was published (each publish is started
   * before the next, so one client's order is kept); resolves with the number published once the broker
   * has them all.
   */
  async releaseOutbound(): Promise<number> {
    this.#holdOut = false;
    const batch = this.#outbound;
    this.#outbound = [];
    await Promise.all(
      batch.map((p) =>
        this.#inner.publish(p.topic, p.payload, p.options).catch((err: unknown) => {
          this.#o.onPublishError?.(err, p.topic);
        }),
      ),
    );
    return batch.length;
  }

  subscribe(topicFilter: string, handler: MessageHandler): Promise<void> {
    const subscription = this.#subscriptions++;
    return this.#inner.subscribe(topicFilter, (message) => {
      if (this.#o.passes?.(message)) return handler(message);
      const group = parseDeviceTopic(this.#o.tenant, message.topic)?.deviceId ?? this.#o.groupOf?.(message);
      let order = 0;
      if (group !== undefined) {
        const arrival = this.#arrivals.get(group) ?? 0;
        this.#arrivals.set(group, arrival + 1);
        order = this.#o.sequenceOf?.(message) ?? arrival;
      }
      this.#held.push({ message, handler, group, order, subscription });
    });
  }

  /**
   * Hands every held message to its handler in the canonical order, one at a time, awaiting each;
   * resolves with the number released once the last handler finished.
   */
  async flush(): Promise<number> {
    const batch = this.#held.sort(compare);
    this.#held = [];
    this.#arrivals = new Map();
    for (const h of batch) {
      try {
        await h.handler(h.message);
      } catch (err) {
        this.#o.onHandlerError?.(err, h.message);
      }
    }
    return batch.length;
  }

  close(): Promise<void> {
    return this.#inner.close();
  }
}
