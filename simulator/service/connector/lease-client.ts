/**
 * The connector's half of the lease protocol (protocol.ts), shared by every kind of connector: the
 * certificate connectors (certificate-connector.ts) and the PFX connector (pfx-connector.ts). It polls the
 * service for work of its role every `pollIntervalMs` of clock time (backing off while polls come back
 * empty), hands each lease of a batch to the connector's own `process`, and gives it the protocol's steps:
 * commit (the service grants it to the current lease only), report the result, abandon the lease.
 *
 * One client per connector, on the connector's own Transport (its MQTT client id = connector id). `stop()`
 * drops work in progress at its next step: a leased request goes to another connector when its lease runs
 * out; a result already obtained is still reported.
 *
 * QoS 1 is at-least-once: a publisher whose PUBACK was lost sends again, and a broker restarted from its
 * persistence routes again what it had accepted and not crossed off; either copy arrives as a new message,
 * which the transport cannot tell from one sent twice on purpose (mqtt-transport.ts "Duplicates"). A batch
 * may therefore arrive twice: a lease (request and lease id) this client has already taken is not taken
 * again, so it is committed, asked of the CA and reported once.
 */
import type { Clock } from '../../../protocol/runtime/clock.ts';
import type { ScheduledTask, Scheduler } from '../../../protocol/runtime/scheduler.ts';
import type { Transport, TransportMessage } from '../../../protocol/transport/transport.ts';
import {
  connectorTopics,
  type CommitAnswerMessage,
  type CommitMessage,
  type ConnectorRole,
  type ConnectorWork,
  type ImportedPfxResult,
  type IssueResult,
  type PollMessage,
  type ResultMessage,
  type ToConnectorMessage,
  type WorkLease,
} from './protocol.ts';

/** Options of {@link LeaseClient}. */
export interface LeaseClientOptions {
  /** Connector id = MQTT client id. */
  id: string;
  tenant: string;
  transport: Transport;
  clock: Clock & Scheduler;
  /** The work it polls for; `pkcs` is sent as no role (the protocol's default). */
  role: ConnectorRole;
  /** Default 30 000 ms (30 s). */
  pollIntervalMs?: number;
  /**
   * While polls come back empty the interval doubles up to this (default 15 min); any work resets it to
   * `pollIntervalMs`. Set it to `pollIntervalMs` for a strict 30 s poll. Why: a year of virtual time at a
   * strict 30 s is ~1 million poll round trips per connector, each a clock event — the backoff keeps long
   * runs fast while a busy connector still polls every 30 s.
   */
  maxIdlePollIntervalMs?: number;
  /** Delay of the first poll after start; default 0. */
  firstPollDelayMs?: number;
  /** Requests claimed per poll at most (default 5). */
  batchSize?: number;
  /** Called when the connector drops a lease (stopped, lease lost, commit refused). */
  onAbandon?: (requestId: string, why: string) => void;
}

/**
 * How many finished leases a client remembers, to recognise a batch delivered again. A duplicate comes
 * right after the reconnection that caused it, so the last 1,024 are far more than enough; the leases in
 * progress are always remembered.
 */
const FINISHED_LEASES_KEPT = 1024;

/** The key of a lease (and of the commit that waits for its answer). */
function leaseKey(l: { requestId: string; leaseId: string }): string {
  return `${l.requestId}|${l.leaseId}`;
}

/** What a connector does with one lease, through the protocol's steps. */
export type ProcessLease<W extends ConnectorWork> = (lease: WorkLease<W>) => Promise<void>;

/** The polling, batch, commit and report half of one connector. */
export class LeaseClient<W extends ConnectorWork> {
  readonly #o: LeaseClientOptions;
  readonly #process: ProcessLease<W>;
  readonly #topics: ReturnType<typeof connectorTopics>;
  /** Who waits for the answer to each commit (a lease is taken once, so one waiter as a rule). */
  readonly #commits = new Map<string, Array<(answer: CommitAnswerMessage) => void>>();
  readonly #inFlight = new Set<Promise<void>>();
  /** The leases in progress, and the last ones finished (oldest first): a lease is taken once. */
  readonly #inProgress = new Set<string>();
  readonly #finishedLeases = new Set<string>();
  #timer: ScheduledTask | undefined;
  #stopped = false;
  #polls = 0;
  #served = 0;
  #abandoned = 0;
  #busy = 0;
  #interval: number;

  /** @param process what the connector does with each lease (it calls {@link commit}, {@link report}…). */
  constructor(options: LeaseClientOptions, process: ProcessLease<W>) {
    this.#o = options;
    this.#process = process;
    this.#topics = connectorTopics(options.tenant);
    this.#interval = options.pollIntervalMs ?? 30_000;
  }

  /** The connector id. */
  get id(): string {
    return this.#o.id;
  }

  /** Requests reported (issued, opened, or failed with a code). */
  get served(): number {
    return this.#served;
  }

  /** Leases dropped without reporting. */
  get abandoned(): number {
    return this.#abandoned;
  }

  /** True once stopped. */
  get stopped(): boolean {
    return this.#stopped;
  }

  /** Subscribes to the connector's inbox and schedules its first poll. */
  async start(): Promise<void> {
    await this.#o.transport.subscribe(this.#topics.connectorInbox(this.#o.id), (m) => this.#onMessage(m));
    this.#schedule(this.#o.firstPollDelayMs ?? 0);
  }

  /** Stops polling, refuses the commits it waits for, closes the transport. */
  async stop(): Promise<void> {
    this.#stopped = true;
    this.#timer?.cancel();
    for (const [k, waiters] of this.#commits) {
      const [requestId = '', leaseId = ''] = k.split('|');
      const refused: CommitAnswerMessage = {
        type: 'commit-answer',
        requestId,
        leaseId,
        ok: false,
        reason: 'connector stopped',
      };
      for (const resolve of waiters) resolve(refused);
    }
    this.#commits.clear();
    await this.#o.transport.close();
  }

  /** Resolves when every lease received has been processed or dropped. */
  async idle(): Promise<void> {
    while (this.#inFlight.size > 0) await Promise.allSettled([...this.#inFlight]);
  }

  /** Asks the service for the commit of `lease`; resolves with its answer (refused once stopped). */
  commit(lease: WorkLease<W>): Promise<CommitAnswerMessage> {
    return new Promise((resolve) => {
      const k = leaseKey(lease);
      // a second wait for the same commit shares the answer rather than leave the first waiting for ever
      this.#commits.set(k, [...(this.#commits.get(k) ?? []), resolve]);
      const msg: CommitMessage = {
        type: 'commit',
        connectorId: this.#o.id,
        requestId: lease.requestId,
        leaseId: lease.leaseId,
      };
      this.#publish(this.#topics.commit, msg).catch(() => {
        const others = (this.#commits.get(k) ?? []).filter((w) => w !== resolve);
        if (others.length > 0) this.#commits.set(k, others);
        else this.#commits.delete(k);
        resolve({ ...msg, type: 'commit-answer', ok: false, reason: 'publish failed' });
      });
    });
  }

  /** Commits, then reports `result` — or abandons the lease when the commit is refused or the client stopped. */
  async commitThenReport(lease: WorkLease<W>, result: IssueResult | ImportedPfxResult): Promise<void> {
    const answer = await this.commit(lease);
    if (this.#stopped) return this.abandon(lease, 'connector stopped');
    if (!answer.ok) return this.abandon(lease, `commit refused: ${answer.reason ?? 'unknown'}`);
    return this.report(lease, result);
  }

  /** Reports even when stop() came meanwhile: a result obtained must reach the service. */
  async report(lease: WorkLease<W>, result: IssueResult | ImportedPfxResult): Promise<void> {
    const msg: ResultMessage = {
      type: 'result',
      connectorId: this.#o.id,
      requestId: lease.requestId,
      leaseId: lease.leaseId,
      result,
    };
    try {
      await this.#publish(this.#topics.result, msg);
      this.#served += 1;
    } catch {
      this.abandon(lease, 'the result could not be sent (transport closed)');
    }
  }

  /** Drops `lease` (it goes to another connector when it runs out). */
  abandon(lease: WorkLease<W>, why: string): void {
    this.#abandoned += 1;
    this.#o.onAbandon?.(lease.requestId, why);
  }

  #schedule(ms: number): void {
    if (this.#stopped) return;
    this.#timer = this.#o.clock.after(ms, () => this.#poll());
  }

  async #poll(): Promise<void> {
    if (this.#stopped) return;
    this.#schedule(this.#interval);
    const max = (this.#o.batchSize ?? 5) - this.#busy;
    if (max <= 0) return;
    this.#polls += 1;
    const poll: PollMessage = {
      type: 'poll',
      connectorId: this.#o.id,
      pollId: `${this.#o.id}/${this.#polls}`,
      max,
      ...(this.#o.role !== 'pkcs' && { role: this.#o.role }),
    };
    await this.#publish(this.#topics.poll, poll);
  }

  #onMessage(m: TransportMessage): void {
    if (this.#stopped) return;
    let msg: ToConnectorMessage<W>;
    try {
      msg = JSON.parse(m.payload.toString('utf8')) as ToConnectorMessage<W>;
    } catch {
      return;
    }
    if (msg.type === 'batch') {
      const base = this.#o.pollIntervalMs ?? 30_000;
      this.#interval =
        msg.leases.length > 0
          ? base
          : Math.min(Math.max(base, this.#o.maxIdlePollIntervalMs ?? 15 * 60_000), this.#interval * 2);
      // each lease starts without being awaited: commit answers arrive on this same inbox
      for (const lease of msg.leases) {
        const key = leaseKey(lease);
        // the same batch delivered again (see the file comment)
        if (this.#inProgress.has(key) || this.#finishedLeases.has(key)) continue;
        this.#inProgress.add(key);
        this.#busy += 1;
        const p = this.#process(lease).finally(() => {
          this.#busy -= 1;
          this.#inFlight.delete(p);
          this.#finished(key);
        });
        this.#inFlight.add(p);
      }
    } else if (msg.type === 'commit-answer') {
      const k = leaseKey(msg);
      const waiters = this.#commits.get(k) ?? [];
      this.#commits.delete(k);
      for (const resolve of waiters) resolve(msg);
    }
  }

  /** Moves a lease from in progress to the finished ones remembered (the oldest finished is forgotten). */
  #finished(key: string): void {
    this.#inProgress.delete(key);
    this.#finishedLeases.add(key);
    if (this.#finishedLeases.size > FINISHED_LEASES_KEPT) {
      const oldest = this.#finishedLeases.values().next();
      if (!oldest.done) this.#finishedLeases.delete(oldest.value);
    }
  }

  async #publish(topic: string, value: unknown): Promise<void> {
    await this.#o.transport.publish(topic, Buffer.from(JSON.stringify(value)));
  }
}
