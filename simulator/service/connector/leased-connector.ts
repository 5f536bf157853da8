/**
 * What every kind of connector shares around its lease client (lease-client.ts): the polling settings it
 * takes and hands on unchanged, the counters it reports, and start / stop / idle. A connector kind
 * (certificate-connector.ts, pfx-connector.ts) says only what it does with one lease ({@link process}),
 * through the protocol steps of {@link client}.
 */
import type { LeaseClientOptions } from './lease-client.ts';
import { LeaseClient } from './lease-client.ts';
import type { ConnectorWork, WorkLease } from './protocol.ts';

/** The polling settings of a connector, as its lease client takes them (defaults are the client's). */
export type LeasePolling = Pick<
  LeaseClientOptions,
  'pollIntervalMs' | 'maxIdlePollIntervalMs' | 'firstPollDelayMs' | 'batchSize' | 'onAbandon'
>;

const POLLING = [
  'pollIntervalMs',
  'maxIdlePollIntervalMs',
  'firstPollDelayMs',
  'batchSize',
  'onAbandon',
] as const;

/** The polling settings `options` sets, and only those (a connector's options carry more). */
export function pollingOf(options: LeasePolling): LeasePolling {
  const out: Record<string, unknown> = {};
  for (const k of POLLING) if (options[k] !== undefined) out[k] = options[k];
  return out as LeasePolling;
}

/** A connector on the lease protocol: one lease client, its counters, start, stop, idle. */
export abstract class LeasedConnector<W extends ConnectorWork> {
  /** The connector's half of the lease protocol (commit, report, abandon). */
  protected readonly client: LeaseClient<W>;

  /**
   * @param who the client's id, tenant, transport, clock and role
   * @param polling the connector's options: the polling settings among them are handed on
   */
  protected constructor(
    who: Pick<LeaseClientOptions, 'id' | 'tenant' | 'transport' | 'clock' | 'role'>,
    polling: LeasePolling,
  ) {
    this.client = new LeaseClient<W>({ ...who, ...pollingOf(polling) }, (lease) => this.process(lease));
  }

  /** What the connector does with one lease, through {@link client}'s steps. */
  protected abstract process(lease: WorkLease<W>): Promise<void>;

  /** The connector id (its MQTT client id). */
  get id(): string {
    return this.client.id;
  }

  /** Requests it reported: issued, opened, or failed with a code. */
  get served(): number {
    return this.client.served;
  }

  /** Leases it dropped without reporting. */
  get abandoned(): number {
    return this.client.abandoned;
  }

  /** True once stopped. */
  get stopped(): boolean {
    return this.client.stopped;
  }

  /** Subscribes to its inbox and schedules its first poll. */
  async start(): Promise<void> {
    await this.client.start();
  }

  /**
   * Stops polling and drops work in progress (nothing more is committed, issued or reported), then closes
   * the transport. Its leased requests go to other connectors when the leases run out.
   */
  async stop(): Promise<void> {
    await this.client.stop();
  }

  /** Resolves when every lease it received has been processed or dropped. */
  async idle(): Promise<void> {
    await this.client.idle();
  }
}
