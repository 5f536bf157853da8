/**
 * Per-device message counters that can be compared across processes: the fleet engine's rule for "no
 * message is in flight" (docs/architecture.md "The fleet engine: one virtual clock across hosts").
 *
 * The in-flight counter (in-flight.ts) only sees the subscribers of its own process; once the service and
 * the devices live in different processes (an agent host, `certfleet agents` on another machine) nothing
 * in either process knows that a message is still on its way. The device id is in every device topic
 * (protocol/wire/topics.ts), so each side counts per device and the coordinator compares:
 *
 * | side                      | `sent[d]` counts                       | `handled[d]` counts                      |
 * |---------------------------|----------------------------------------|------------------------------------------|
 * | `service` (coordinator)   | service → device messages (`…/in/…`)   | device → service messages (`…/out/…`)    |
 * | `device` (an agent host)  | device → service messages (`…/out/…`)  | service → device messages (`…/in/…`)     |
 *
 * and nothing is in flight for device `d` when `service.sent[d] ≤ device.handled[d]` and
 * `device.sent[d] ≤ service.handled[d]`. The values are cumulative and never decrease, so a report can
 * carry only what changed ({@link DeviceLedger.snapshotChanged}) and be merged by maximum on arrival.
 *
 * Where the counts come from: the transport calls the {@link TransportLedger} hooks (mqtt-transport.ts
 * option `ledger`): `published` when a publish starts (before the broker has it, so `sent` is never
 * behind), `arrived` when a message is taken off the connection, `handled` once its handler finished,
 * `abandoned` when a received message will not be handled on this connection (the transport closed, or a
 * reconnect with a persistent session drops it so that the broker delivers it again).
 *
 * Limits (as for the in-flight counter): a broker's redelivery of a message already handled is recognised
 * by the transport and not counted again (mqtt-transport.ts, issue 10), but a message its publisher
 * re-sent after a reconnect (its PUBACK lost) reaches the handlers twice and is counted twice (`≤`, not
 * `=`, keeps the rule safe in that direction, but the extra count can hide one message of the same device
 * still in flight); a publish the broker refuses (topic ACL) is counted as sent
 * and is never handled, so the run stops with RUN_STALLED naming the device rather than losing it.
 */
import { parseDeviceTopic } from '../wire/topics.ts';

/**
 * What a transport reports about the messages it carries (mqtt-transport.ts option `ledger`). Every hook
 * is called with the topic of the message; implementations must be cheap and must not throw.
 */
export interface TransportLedger {
  /** A publish on `topic` starts (counted whether or not the broker acknowledges it). */
  published(topic: string): void;
  /** A message on `topic` was received and waits for (or is in) its handler. */
  arrived(topic: string): void;
  /** The handler of a message on `topic` finished (or failed). */
  handled(topic: string): void;
  /** A received message on `topic` will not be handled on this connection (closed, or redelivered later). */
  abandoned(topic: string): void;
}

/** Which end of the device topics a ledger counts for (see the table in the file comment). */
export type LedgerSide = 'service' | 'device';

/** The cumulative counts of one device. */
export interface DeviceCounts {
  sent: number;
  handled: number;
}

/** Options of {@link DeviceLedger}. */
export interface DeviceLedgerOptions {
  /** The tenant whose device topics are counted (others are only tracked as in progress). */
  tenant: string;
  /** The service side counts `in` publishes and `out` handlings; the device side the reverse. */
  side: LedgerSide;
}

/** The per-device counters of one side of one process (see the file comment). */
export class DeviceLedger implements TransportLedger {
  readonly side: LedgerSide;
  readonly #tenant: string;
  readonly #counts = new Map<string, DeviceCounts>();
  readonly #changed = new Set<string>();
  #inProgress = 0;
  #sentTotal = 0;
  #handledTotal = 0;
  #waiters: Array<() => void> = [];
  #changeWaiters: Array<() => void> = [];
  /** The sets of {@link trackChanges}: each collects the devices whose counts changed. */
  readonly #trackers: Set<string>[] = [];

  constructor(o: DeviceLedgerOptions) {
    this.#tenant = o.tenant;
    this.side = o.side;
  }

  /** The device a topic counts for on this side, in `direction` ('in': service → device). */
  #deviceOf(topic: string, direction: 'in' | 'out'): string | undefined {
    const parsed = parseDeviceTopic(this.#tenant, topic);
    return parsed?.direction === direction ? parsed.deviceId : undefined;
  }

  #entry(deviceId: string): DeviceCounts {
    let c = this.#counts.get(deviceId);
    if (!c) {
      c = { sent: 0, handled: 0 };
      this.#counts.set(deviceId, c);
    }
    return c;
  }

  /** The direction this side publishes in. */
  get #outgoing(): 'in' | 'out' {
    return this.side === 'service' ? 'in' : 'out';
  }

  /** The direction this side receives. */
  get #incoming(): 'in' | 'out' {
    return this.side === 'service' ? 'out' : 'in';
  }

  published(topic: string): void {
    const d = this.#deviceOf(topic, this.#outgoing);
    if (d !== undefined) this.sentTo(d);
  }

  arrived(_topic: string): void {
    this.#inProgress++;
  }

  handled(topic: string): void {
    this.#done();
    const d = this.#deviceOf(topic, this.#incoming);
    if (d !== undefined) this.handledFrom(d);
  }

  abandoned(_topic: string): void {
    this.#done();
  }

  #done(): void {
    if (this.#inProgress > 0) this.#inProgress--;
    if (this.#inProgress === 0 && this.#waiters.length > 0) {
      const waiters = this.#waiters;
      this.#waiters = [];
      for (const w of waiters) w();
    }
  }

  /** Counts one message this side sent for device `deviceId` (the transport hook calls it). */
  sentTo(deviceId: string): void {
    this.#entry(deviceId).sent++;
    this.#sentTotal++;
    this.#changed.add(deviceId);
    for (const t of this.#trackers) t.add(deviceId);
    this.#notifyChange();
  }

  /** Counts one message of device `deviceId` this side handled (the transport hook calls it). */
  handledFrom(deviceId: string): void {
    this.#entry(deviceId).handled++;
    this.#handledTotal++;
    this.#changed.add(deviceId);
    for (const t of this.#trackers) t.add(deviceId);
    this.#notifyChange();
  }

  /** Resolves at the next change of any device's counts (the coordinator waits on it instead of polling). */
  changed(): Promise<void> {
    return new Promise((resolve) => this.#changeWaiters.push(resolve));
  }

  #notifyChange(): void {
    if (this.#changeWaiters.length === 0) return;
    const waiters = this.#changeWaiters;
    this.#changeWaiters = [];
    for (const w of waiters) w();
  }

  /** The cumulative counts of one device (zeros when it was never counted). */
  counts(deviceId: string): DeviceCounts {
    const c = this.#counts.get(deviceId);
    return c ? { ...c } : { sent: 0, handled: 0 };
  }

  /** Every device counted so far. */
  devices(): string[] {
    return [...this.#counts.keys()];
  }

  /** The sums over every device: a cheap "did anything change?" signature. */
  totals(): DeviceCounts {
    return { sent: this.#sentTotal, handled: this.#handledTotal };
  }

  /**
   * The cumulative counts of every device whose counts changed since the previous call (all counted
   * devices on the first call), keyed by device id.
   */
  snapshotChanged(): Record<string, DeviceCounts> {
    const out: Record<string, DeviceCounts> = {};
    for (const d of [...this.#changed].sort()) out[d] = this.counts(d);
    this.#changed.clear();
    return out;
  }

  /**
   * A set that collects, from now on, the id of every device whose counts change — apart from the
   * coordinator's {@link snapshotChanged}: a saved-state checkpoint (compose/service-state.ts) writes only
   * the devices that changed since the last one, not every device at every instant. The caller empties it
   * as it takes them.
   */
  trackChanges(): Set<string> {
    const changed = new Set<string>();
    this.#trackers.push(changed);
    return changed;
  }

  /**
   * Takes back the counts a checkpoint saved (a resumed `serve`, issue 10 point 3): each device's counts
   * become at least the saved ones (merged by maximum: counts never go down), the totals follow, and the
   * devices raised are reported by the next {@link snapshotChanged}.
   */
  restore(saved: Iterable<readonly [string, DeviceCounts]>): void {
    for (const [deviceId, c] of saved) {
      const e = this.#entry(deviceId);
      const sent = Math.max(e.sent, c.sent);
      const handled = Math.max(e.handled, c.handled);
      if (sent === e.sent && handled === e.handled) continue;
      this.#sentTotal += sent - e.sent;
      this.#handledTotal += handled - e.handled;
      e.sent = sent;
      e.handled = handled;
      this.#changed.add(deviceId);
      for (const t of this.#trackers) t.add(deviceId);
    }
    this.#notifyChange();
  }

  /** Messages received and not handled yet (any topic of the transports that feed this ledger). */
  inProgress(): number {
    return this.#inProgress;
  }

  /** Resolves once no received message waits for or is in its handler. */
  idle(): Promise<void> {
    if (this.#inProgress === 0) return Promise.resolve();
    return new Promise((resolve) => this.#waiters.push(resolve));
  }
}
