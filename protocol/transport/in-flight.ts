/**
 * A quiescence counter for the virtual clock: "has every message published in this process been handled
 * by every in-process subscriber it was meant for?". The clock only moves time on once it has.
 *
 * How it counts — per recipient client id:
 * - every transport of the process registers its granted subscriptions here ({@link InFlight.subscribed});
 * - when a transport publishes, {@link InFlight.published} adds one pending message to each registered
 *   client whose filters match the topic (once per client, as an MQTT broker delivers once per client)
 *   and which the broker will actually deliver to (see `admits` below);
 * - when a subscriber's handler has finished for a received message, {@link InFlight.handled} takes one
 *   pending message off that client.
 *
 * Limits (by design; document them where the counter is used):
 * - In-process only: a subscriber in another process (an agent shard, `certfleet serve`) is not
 *   registered here, so messages to it are not waited for; messages from another process are handled
 *   without having been counted (the count never goes below 0 for a client).
 * - QoS 1 is at-least-once: a message its publisher re-sent after a reconnect (its PUBACK lost) is handled
 *   twice but counted once; the second `handled` may take off a different message of the same client a
 *   little early. (A broker's redelivery of a message already handled is not handled again:
 *   mqtt-transport.ts.)
 * - A message to a client that is offline (its transport closed, persistent session kept by the broker)
 *   stays pending until that client reconnects and handles it. {@link InFlight.settled} with
 *   `{ exceptOffline: true }` ignores offline clients ("settled except for offline devices"); the fleet
 *   runner marks simulated-offline devices with {@link InFlight.setOnline} (the MQTT transport does it on
 *   connect and close).
 * - A publish the broker refuses (topic ACL) would never be delivered, nor would a message a broker
 *   filters at delivery (Mosquitto grants any literal subscription and checks read access per message):
 *   pass `admits` and `delivers` (topic-acl.ts `aclInFlightOptions`) so that such messages are not counted.
 * - Overlapping subscriptions of one client: counted once, but Mosquitto delivers one copy per matching
 *   subscription (the extra `handled` calls are clamped at 0).
 * - A clean-session client that closes loses its subscriptions and its pending messages.
 */
import { topicMatches } from './topic-filter.ts';

/** The part of a topic filter before its first `+` or `#`. */
function literalPrefix(filter: string): string {
  const i = filter.search(/[+#]/);
  return i < 0 ? filter : filter.slice(0, i);
}

/** Options of {@link InFlight}. */
export interface InFlightOptions {
  /**
   * Whether the broker lets `publisherClientId` publish `topic` (default: always). A publish it does not
   * admit is not counted: the broker drops it.
   */
  admits?: (publisherClientId: string, topic: string) => boolean;
  /**
   * Whether the broker delivers `topic` to `recipientClientId` (default: whenever one of its granted
   * filters matches). Mosquitto grants a subscription its ACL does not allow and filters at delivery, so
   * a granted filter is not proof of delivery: pass the ACL here too.
   */
  delivers?: (recipientClientId: string, topic: string) => boolean;
}

/** Options of {@link InFlight.settled}. */
export interface SettledOptions {
  /** Ignore messages pending for clients currently marked offline (default false). */
  exceptOffline?: boolean;
}

interface ClientState {
  /** Granted filters, each with its literal prefix (the key of the prefix index). */
  filters: Map<string, string>;
  pending: number;
  online: boolean;
}

/** The in-process in-flight message counter, shared by every transport of one process. */
export class InFlight {
  readonly #clients = new Map<string, ClientState>();
  /**
   * Granted filters by literal prefix → client id → filters (issue 11 point 2: a fleet has thousands of
   * device filters, each naming its own device; a publish looks up only the prefixes its topic starts with
   * instead of testing every client's filters).
   */
  readonly #byPrefix = new Map<string, Map<string, Set<string>>>();
  readonly #admits: (publisherClientId: string, topic: string) => boolean;
  readonly #delivers: (recipientClientId: string, topic: string) => boolean;
  #waiters: Array<{ exceptOffline: boolean; resolve: () => void }> = [];
  /**
   * The sums of `pending` over every client and over the online ones, kept as they change: {@link count}
   * is asked after every handled message, and summing 10,000 clients each time made a run quadratic.
   */
  #pendingAll = 0;
  #pendingOnline = 0;
  #checkScheduled = false;

  constructor(options: InFlightOptions = {}) {
    this.#admits = options.admits ?? (() => true);
    this.#delivers = options.delivers ?? (() => true);
  }

  #client(clientId: string): ClientState {
    let c = this.#clients.get(clientId);
    if (!c) {
      c = { filters: new Map(), pending: 0, online: true };
      this.#clients.set(clientId, c);
    }
    return c;
  }

  /** Registers a subscription the broker granted to `clientId`. */
  subscribed(clientId: string, filter: string): void {
    const prefix = literalPrefix(filter);
    this.#client(clientId).filters.set(filter, prefix);
    let clients = this.#byPrefix.get(prefix);
    if (!clients) this.#byPrefix.set(prefix, (clients = new Map()));
    let filters = clients.get(clientId);
    if (!filters) clients.set(clientId, (filters = new Set()));
    filters.add(filter);
  }

  /** Counts a message `publisherClientId` is about to publish on `topic`, once per matching client. */
  published(publisherClientId: string, topic: string): void {
    if (!this.#admits(publisherClientId, topic)) return;
    for (const c of this.#recipients(topic)) this.#add(c, 1);
  }

  #recipients(topic: string): ClientState[] {
    // a filter's literal prefix (before its first wildcard) is empty, ends with `/`, or is the whole
    // filter: the candidates are the filters indexed under the topic's prefixes of those shapes
    const matched = new Set<string>();
    const collect = (prefix: string): void => {
      const clients = this.#byPrefix.get(prefix);
      if (!clients) return;
      for (const [id, filters] of clients) {
        if (matched.has(id)) continue;
        for (const f of filters) {
          if (topicMatches(f, topic)) {
            matched.add(id);
            break;
          }
        }
      }
    };
    collect('');
    for (let i = topic.indexOf('/'); i >= 0; i = topic.indexOf('/', i + 1)) collect(topic.slice(0, i + 1));
    collect(topic);
    const out: ClientState[] = [];
    for (const id of matched) {
      const c = this.#clients.get(id);
      if (c && this.#delivers(id, topic)) out.push(c);
    }
    return out;
  }

  /** Undoes {@link InFlight.published} for a publish the broker refused (MQTT 5 PUBACK failure). */
  cancelled(publisherClientId: string, topic: string): void {
    if (!this.#admits(publisherClientId, topic)) return;
    for (const c of this.#recipients(topic)) if (c.pending > 0) this.#add(c, -1);
    this.#scheduleCheck();
  }

  /** Takes one message off `clientId` after its handler finished (or failed). Never below 0. */
  handled(clientId: string): void {
    const c = this.#clients.get(clientId);
    if (c && c.pending > 0) this.#add(c, -1);
    this.#scheduleCheck();
  }

  /** Changes `c.pending` by `delta`, and the sums with it. */
  #add(c: ClientState, delta: number): void {
    c.pending += delta;
    this.#pendingAll += delta;
    if (c.online) this.#pendingOnline += delta;
  }

  /** Marks a client online or offline (the MQTT transport calls this on connect and close). */
  setOnline(clientId: string, online: boolean): void {
    const c = this.#client(clientId);
    if (c.online !== online) this.#pendingOnline += online ? c.pending : -c.pending;
    c.online = online;
    this.#scheduleCheck();
  }

  /** Forgets a client: its subscriptions and pending messages (a clean session ended, a device retired). */
  forget(clientId: string): void {
    const c = this.#clients.get(clientId);
    for (const prefix of new Set(c?.filters.values())) {
      const clients = this.#byPrefix.get(prefix);
      clients?.delete(clientId);
      if (clients?.size === 0) this.#byPrefix.delete(prefix);
    }
    if (c !== undefined) {
      this.#pendingAll -= c.pending;
      if (c.online) this.#pendingOnline -= c.pending;
    }
    this.#clients.delete(clientId);
    this.#scheduleCheck();
  }

  /** Messages pending, in total or for one client. */
  count(options: SettledOptions & { clientId?: string } = {}): number {
    if (options.clientId !== undefined) return this.#clients.get(options.clientId)?.pending ?? 0;
    return options.exceptOffline ? this.#pendingOnline : this.#pendingAll;
  }

  /** Client ids with messages pending (for diagnostics: who is the run waiting for?). */
  pendingClients(options: SettledOptions = {}): string[] {
    return [...this.#clients.entries()]
      .filter(([, c]) => c.pending > 0 && (!options.exceptOffline || c.online))
      .map(([id]) => id);
  }

  /** Resolves once the count is 0 and has stayed 0 for one macrotask. */
  settled(options: SettledOptions = {}): Promise<void> {
    return new Promise((resolve) => {
      this.#waiters.push({ exceptOffline: options.exceptOffline ?? false, resolve });
      this.#scheduleCheck();
    });
  }

  #scheduleCheck(): void {
    if (this.#checkScheduled || this.#waiters.length === 0) return;
    this.#checkScheduled = true;
    // First look: the count is 0 now; second look one macrotask later: it stayed 0.
    setImmediate(() => {
      const batch = this.#waiters;
      this.#waiters = [];
      const zeroNow = batch.map((w) => this.count({ exceptOffline: w.exceptOffline }) === 0);
      setImmediate(() => {
        this.#checkScheduled = false;
        const kept = batch.filter((w, i) => {
          if (zeroNow[i] && this.count({ exceptOffline: w.exceptOffline }) === 0) {
            w.resolve();
            return false;
          }
          return true;
        });
        // waiters added between the two looks are checked on the next round
        this.#waiters = [...kept, ...this.#waiters];
        if (this.#waiters.some((w) => this.count({ exceptOffline: w.exceptOffline }) === 0)) {
          this.#scheduleCheck();
        }
      });
    });
  }
}
