/**
 * Packet identifiers a persistent session already uses are not given to new messages (MQTT 3.1.1 §2.3.1:
 * a new QoS 1 PUBLISH takes an identifier "currently unused" in the session). aedes 1.2 gives each
 * connection's client object its own counter, started at random (lib/client.js `_nextId`), and never checks
 * it against the session's queue: after a reconnect, a new message may take the identifier of an older one
 * still unacknowledged, which the broker re-sends with its original identifier (§4.4). A PUBACK for the new
 * one then clears the first queued message with that identifier (aedes-persistence `outgoingClearMessageId`)
 * — the older one, never handled — and the broker's re-send of it fails ('no such packet'), closing the
 * connection: the message is lost. Seen as `reconnect-proxy.test.ts` losing 6 and 26 consecutive messages in
 * 2 of 80 runs, each time with one connection more than the cuts explain.
 *
 * The guard keeps, per client id, the identifiers its queue holds (read from the persistence when the
 * client authenticates, then followed through `outgoingUpdate` and `outgoingClearMessageId`), and makes the
 * client's counter skip them. A session whose queue is empty keeps nothing here.
 */

/** The persistence methods the guard reads and follows (aedes-persistence's async API). */
export interface GuardedPersistence {
  outgoingStream(client: { id: string }): AsyncIterable<unknown>;
  outgoingUpdate(client: { id: string }, packet: QueuedPacket): Promise<void>;
  outgoingClearMessageId(client: { id: string }, packet: QueuedPacket): Promise<QueuedPacket | undefined>;
}

/** A queued publish, as far as the guard reads it. */
export interface QueuedPacket {
  brokerId?: string;
  brokerCounter?: number;
  messageId?: number;
}

/**
 * The identifiers one session's queue holds: by message (broker id and counter), and how many per id. A
 * message sent under two identifiers (aedes delivers a message both from the resumed session's queue and
 * live, the second under a new one) keeps both until it is cleared: a PUBACK may still come for either.
 */
class SessionIds {
  readonly byMessage = new Map<string, number[]>();
  readonly uses = new Map<number, number>();

  set(message: string, id: number): void {
    const ids = this.byMessage.get(message);
    if (ids?.includes(id)) return;
    if (ids === undefined) this.byMessage.set(message, [id]);
    else ids.push(id);
    this.uses.set(id, (this.uses.get(id) ?? 0) + 1);
  }

  delete(message: string): void {
    const ids = this.byMessage.get(message);
    if (ids === undefined) return;
    this.byMessage.delete(message);
    for (const id of ids) this.release(id);
  }

  private release(id: number): void {
    const n = (this.uses.get(id) ?? 1) - 1;
    if (n > 0) this.uses.set(id, n);
    else this.uses.delete(id);
  }
}

const messageKey = (p: QueuedPacket): string => `${p.brokerId ?? ''}:${p.brokerCounter ?? ''}`;

/** The largest MQTT packet identifier (§2.3.1: 1 to 65535). */
const MAX_ID = 0xffff;

/**
 * Installs the guard on `persistence` (its `outgoingUpdate` and `outgoingClearMessageId` are wrapped) and
 * returns what to call from the broker's `authenticate` for each client, before it is let in.
 */
export function guardPacketIds(persistence: GuardedPersistence): {
  admit(client: { id: string }): Promise<void>;
} {
  const sessions = new Map<string, SessionIds>();
  const update = persistence.outgoingUpdate.bind(persistence);
  const clear = persistence.outgoingClearMessageId.bind(persistence);
  persistence.outgoingUpdate = async (client, packet) => {
    await update(client, packet); // throws 'no such packet' when the message is not queued
    if (packet.messageId === undefined) return;
    let s = sessions.get(client.id);
    if (s === undefined) sessions.set(client.id, (s = new SessionIds()));
    s.set(messageKey(packet), packet.messageId);
  };
  persistence.outgoingClearMessageId = async (client, packet) => {
    const cleared = await clear(client, packet);
    const s = sessions.get(client.id);
    if (cleared !== undefined && s !== undefined) {
      s.delete(messageKey(cleared));
      if (s.byMessage.size === 0) sessions.delete(client.id);
    }
    return cleared;
  };
  return {
    async admit(client) {
      const s = new SessionIds();
      for await (const p of persistence.outgoingStream(client)) {
        const q = p as QueuedPacket;
        if (q.messageId !== undefined) s.set(messageKey(q), q.messageId);
      }
      if (s.byMessage.size > 0) sessions.set(client.id, s);
      else sessions.delete(client.id);
      const c = client as { id: string; _nextId?: number };
      let next = c._nextId ?? 1;
      Object.defineProperty(c, '_nextId', {
        configurable: true,
        enumerable: true,
        // aedes reads the counter for a new message's identifier, then raises it (lib/qos-packet.js)
        get(): number {
          const used = sessions.get(c.id)?.uses;
          for (let i = 0; used !== undefined && i < MAX_ID && used.has(next); i++)
            next = next >= MAX_ID ? 1 : next + 1;
          return next;
        },
        set(v: number) {
          next = v;
        },
      });
    },
  };
}
