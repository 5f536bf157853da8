/**
 * The wire between devices and the service: publish/subscribe of raw bytes on topics (MQTT in practice,
 * protocol/transport/mqtt-transport.ts). Native payloads travel as they are, never wrapped in JSON; what the
 * payload is travels in the topic (see protocol/wire/topics.ts), so nothing depends on MQTT 5 properties. Part of
 * the neutral protocol/ layer: devices, the MDM service and the connectors all talk through it.
 */

/** A received message. */
export interface TransportMessage {
  topic: string;
  payload: Buffer;
  /**
   * The MQTT packet identifier of a QoS 1 message (absent at QoS 0). A broker re-sending a message it
   * had no PUBACK for uses the same identifier (MQTT 3.1.1 §4.4), also to a new process resuming the
   * session, and gives it to no other message before that PUBACK (§2.3.1).
   */
  packetId?: number;
}

/** Called for each message on a subscribed topic; may be async (the transport awaits it before acking). */
export type MessageHandler = (message: TransportMessage) => void | Promise<void>;

/** One connected client (a device, the service, a connector). */
export interface Transport {
  /** The client id this transport connected with. */
  readonly clientId: string;
  /** Publishes at QoS 1 (default) or 0; resolves when the broker acknowledged it. */
  publish(topic: string, payload: Buffer, options?: { qos?: 0 | 1; retain?: boolean }): Promise<void>;
  /** Subscribes at QoS 1; `handler` receives every matching message, including those queued while offline. */
  subscribe(topicFilter: string, handler: MessageHandler): Promise<void>;
  /** Disconnects; with a persistent session the broker keeps queuing QoS 1 messages for this client. */
  close(): Promise<void>;
}
