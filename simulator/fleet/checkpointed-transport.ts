/**
 * The service's transport with the inbox/outbox of its saved state in front (issue 10 point 3: a killed
 * `serve` resumes; docs/architecture.md "Faults: the broker, a device, the service"). It wraps the
 * service's MQTT transport (protocol/transport/mqtt-transport.ts) so that handling one received message
 * is one step of the saved state ({@link ServiceCheckpoint.handle}):
 *
 * 1. the message's inbox id ({@link inboxKey}) is looked up: a message handled already — the broker
 *    delivering again, to the resumed process, a message whose PUBACK the killed one never sent — runs
 *    no handler and is only acknowledged;
 * 2. the handler runs; what it publishes meanwhile is held back (an `AsyncLocalStorage` scope, so a
 *    publish is attributed to the message whose handling made it, not to a timer firing meanwhile);
 * 3. the inbox id, the store records the handling changed (`changes`) and the held-back messages are
 *    committed in one transaction;
 * 4. the messages are published, each confirmed in the outbox once the broker has it; only then does the
 *    handler return, so the transport sends the PUBACK after the commit (mqtt-transport.ts acknowledges
 *    once the handler finished).
 *
 * A kill between 3 and 4 leaves outbox entries unconfirmed: a resumed service publishes them again
 * ({@link CheckpointedTransport.resendUnconfirmed}) before it handles anything — the same bytes, so a
 * device gets the answer (the certificate) made for it, never a second one. Publishes outside a handler
 * (a timer's re-send, an administration action) go straight through: their state is saved by the
 * checkpoint at the close of the instant, and a resumed service arms their timers again.
 *
 * Behind the coordinator's round gate (protocol/transport/round-gate.ts) step 4's guarantee does not hold
 * by itself: the gate takes a device message at once and hands it to this handler only when the wave's
 * inbox is complete, so the MQTT transport acknowledges it before it is handled. There the message must
 * be kept before the gate takes it ({@link ServiceCheckpoint.receive}, removed by its handling) and held
 * again on resume ({@link ServiceCheckpoint.held}).
 *
 * A QoS 0 message has no packet identifier and is never delivered again: it is handled without an inbox row.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import type { MessageHandler, Transport, TransportMessage } from '../../protocol/transport/transport.ts';
import { inboxKey, type ServiceCheckpoint, type StoreRecord } from './service-checkpoint.ts';

/** Options of {@link CheckpointedTransport}. */
export interface CheckpointedTransportOptions {
  /** The saved state of the run (service-state.db). */
  checkpoint: ServiceCheckpoint;
  /**
   * The store records changed since they were last saved, called once a handler finished; what it
   * returns is committed with the message (and taken as saved by the caller's diff).
   */
  changes: () => StoreRecord[];
  /** A message recognised as handled before, for logs (topic only: payloads may hold secrets). */
  onDuplicate?: (topic: string) => void;
}

/** The messages one handler published, held until its handling is committed. */
interface HeldBack {
  open: boolean;
  messages: { topic: string; payload: Buffer }[];
}

/** The service's transport with the inbox/outbox in front (see the file comment). */
export class CheckpointedTransport implements Transport {
  readonly #inner: Transport;
  readonly #o: CheckpointedTransportOptions;
  readonly #scope = new AsyncLocalStorage<HeldBack>();

  constructor(inner: Transport, o: CheckpointedTransportOptions) {
    this.#inner = inner;
    this.#o = o;
  }

  get clientId(): string {
    return this.#inner.clientId;
  }

  /**
   * Publishes; inside a handler, a QoS 1 message that is not retained is held until the handling is
   * committed, and this resolves at once.
   */
  async publish(topic: string, payload: Buffer, options?: { qos?: 0 | 1; retain?: boolean }): Promise<void> {
    const held = this.#scope.getStore();
    if (held?.open && (options?.qos ?? 1) === 1 && options?.retain !== true) {
      held.messages.push({ topic, payload: Buffer.from(payload) });
      return;
    }
    await this.#inner.publish(topic, payload, options);
  }

  /** Subscribes `handler`, each message handled once across a kill (see the file comment). */
  subscribe(topicFilter: string, handler: MessageHandler): Promise<void> {
    return this.#inner.subscribe(topicFilter, (m) => this.handleOnce(m, handler));
  }

  /**
   * Handles `m` with `handler` unless its inbox id was handled already, committing its changes and
   * publishing what it made (steps 1–4 of the file comment). A handler that throws still has what it
   * changed and published up to then committed and sent; the error is thrown again afterwards.
   */
  async handleOnce(m: TransportMessage, handler: MessageHandler): Promise<void> {
    const key = inboxKey(m);
    if (key === undefined) {
      await handler(m);
      return;
    }
    const cp = this.#o.checkpoint;
    if (cp.wasHandled(key)) {
      this.#o.onDuplicate?.(m.topic);
      return;
    }
    const held: HeldBack = { open: true, messages: [] };
    let failure: { error: unknown } | undefined;
    try {
      await this.#scope.run(held, () => handler(m));
    } catch (error) {
      failure = { error };
    }
    held.open = false;
    const entries = cp.handle(key, held.messages, this.#o.changes(), m.topic);
    for (const e of entries ?? []) {
      await this.#inner.publish(e.topic, e.payload);
      cp.confirm(e.seq);
    }
    if (failure) throw failure.error;
  }

  /**
   * Publishes again, oldest first, the outbox entries a killed service committed but did not see the
   * broker take; call it on resume before the service handles anything. Returns how many were sent.
   */
  async resendUnconfirmed(): Promise<number> {
    const cp = this.#o.checkpoint;
    const left = cp.unconfirmed();
    for (const e of left) {
      await this.#inner.publish(e.topic, e.payload);
      cp.confirm(e.seq);
    }
    return left.length;
  }

  close(): Promise<void> {
    return this.#inner.close();
  }
}
