/**
 * The service's transport below the coordinator's round gate, keeping each message it receives before
 * the broker is told it arrived (issue 10 point 3: a killed `serve` resumes; docs/architecture.md
 * "Faults: the broker, a device, the service"). The round gate (protocol/transport/round-gate.ts) takes a
 * device message at once and hands it to the service only when the wave's inbox is complete, so the MQTT
 * transport acknowledges it long before it is handled; this wrapper, between the two, keeps the message
 * in service-state.db first ({@link ServiceCheckpoint.receive}; its handling removes it, through
 * checkpointed-transport.ts above the gate), so a kill in between loses nothing:
 *
 * - a message kept already or handled already — the broker delivering it again — is acknowledged and
 *   not passed on;
 * - on resume, {@link ReceivingTransport.replayHeld} passes the messages kept and not handled to the
 *   handlers again (the gate holds them for the wave that was open), with the packet identifier of their
 *   inbox id, so that their handling finds the same inbox id.
 *
 * A QoS 0 message (no packet identifier) is passed on without being kept.
 */
import type { MessageHandler, Transport, TransportMessage } from '../../protocol/transport/transport.ts';
import { topicMatches } from '../../protocol/transport/topic-filter.ts';
import { inboxKey, type ServiceCheckpoint } from './service-checkpoint.ts';

/** The service's transport with each received message kept first (see the file comment). */
export class ReceivingTransport implements Transport {
  readonly #inner: Transport;
  readonly #cp: ServiceCheckpoint;
  readonly #handlers: { filter: string; handler: MessageHandler }[] = [];

  constructor(inner: Transport, checkpoint: ServiceCheckpoint) {
    this.#inner = inner;
    this.#cp = checkpoint;
  }

  get clientId(): string {
    return this.#inner.clientId;
  }

  publish(topic: string, payload: Buffer, options?: { qos?: 0 | 1; retain?: boolean }): Promise<void> {
    return this.#inner.publish(topic, payload, options);
  }

  /** Subscribes `handler`; each message reaches it once kept (see the file comment). */
  subscribe(topicFilter: string, handler: MessageHandler): Promise<void> {
    this.#handlers.push({ filter: topicFilter, handler });
    return this.#inner.subscribe(topicFilter, (m) => {
      const key = inboxKey(m);
      if (key !== undefined && !this.#cp.receive(key, m.topic, m.payload)) return;
      return handler(m);
    });
  }

  /**
   * Passes the messages a killed service kept and did not handle to the handlers subscribed since, in
   * the order they came; call it on resume once the service subscribed. Returns how many were passed.
   */
  async replayHeld(): Promise<number> {
    const held = this.#cp.held();
    for (const h of held) {
      const m: TransportMessage = {
        topic: h.topic,
        payload: h.payload,
        packetId: Number(h.inboxId.slice(0, h.inboxId.indexOf(':'))),
      };
      for (const s of this.#handlers) if (topicMatches(s.filter, m.topic)) await s.handler(m);
    }
    return held.length;
  }

  close(): Promise<void> {
    return this.#inner.close();
  }
}
