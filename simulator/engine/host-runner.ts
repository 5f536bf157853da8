/**
 * The fleet engine's agent host: the mirror of coordinator.ts on the side that holds devices (a worker or
 * child process of `run`, an `agents` process on another machine). It joins the run, and then does only
 * what the coordinator says (docs/architecture.md "The fleet engine: one virtual clock across hosts"):
 *
 * - `start t`: the run begins (or this host is welcomed back after a restart) at `t`: move the clock there;
 * - `step t` / `probe t` for wave w: move the clock to `t`, run every timer due at or before `t` (and the
 *   timers those schedule at `t`), wait for local quiescence — every message received handled (the device
 *   ledger's in-progress count at 0) and the caller's `settle()` — and report: idle, the devices' counters
 *   that changed, the next timer, progress, and the events the run database records;
 * - `collect` (the last instant is closed): send the devices' key stores as they stand (the caller's
 *   `stores()`, public facts only) in parts, without running anything — again whole if asked again;
 * - `end`: resolve.
 *
 * It knows nothing of what a device is: it takes a clock, a device ledger (protocol/transport/
 * device-ledger.ts, side `device`, fed by the devices' transports), `settle()` and `progress()`.
 *
 * What is reported is kept until the coordinator is known to have it (it sent a later wave), so a report
 * lost or resent changes nothing; after a `start` of the run it already follows (a coordinator that resumed
 * the run from its saved state, issue 10 point 3, with the same run id) the next report carries every
 * device's counts, since that coordinator knows only what it saved; counters are cumulative and merged by maximum, events carry a sequence
 * number. Wall time is used for liveness only: the join is resent every `joinRetryMs` until the run
 * starts (the coordinator may start after the hosts), and an `alive` goes out every `heartbeatMs` while a
 * wave takes long (key generation for many devices), so that the coordinator can tell busy from gone.
 */
import { randomUUID } from 'node:crypto';
import { CertfleetError, isCertfleetError } from '../../pki/errors.ts';
import type { DeviceCounts } from '../../protocol/transport/device-ledger.ts';
import type {
  CtlMessage,
  EndMessage,
  HostEvent,
  JoinMessage,
  ProbeMessage,
  ReportMessage,
  ShardRef,
  StepMessage,
  StoreItemFacts,
} from '../../protocol/wire/clock-messages.ts';
import type { HostControlChannel } from './control-channel.ts';

/** The host's clock, as the runner drives it (simulator/clock/virtual-clock.ts implements it). */
export interface HostClock {
  advanceTo(t: number): void;
  runDue(): Promise<unknown>;
  nextAtMs(): number | undefined;
  nowMs(): number;
}

/** The host's device ledger, as the runner reads it (protocol/transport/device-ledger.ts). */
export interface HostLedger {
  snapshotChanged(): Record<string, DeviceCounts>;
  /** Every device counted so far and its counts: the report after a `start` of the run it follows carries them all. */
  devices?(): string[];
  counts?(deviceId: string): DeviceCounts;
  inProgress(): number;
  idle(): Promise<void>;
}

/** Wall-clock limits of a host (liveness only). */
export interface HostRunnerLimits {
  /** How often the join is resent until the run starts (default 1 s). */
  joinRetryMs: number;
  /** How often an `alive` goes out while a wave is being worked on (default 1 s). */
  heartbeatMs: number;
  /** Rounds of "run what is due, settle" in one wave before the host reports not idle (default 10,000). */
  maxRounds: number;
  /** Key-store items in one `stores` message (default 500: about 250 KB of JSON). */
  storeItemsPerPart: number;
}

/** The default limits. */
export const DEFAULT_HOST_LIMITS: HostRunnerLimits = {
  joinRetryMs: 1_000,
  heartbeatMs: 1_000,
  maxRounds: 10_000,
  storeItemsPerPart: 500,
};

/** Options of {@link HostRunner}. */
export interface HostRunnerOptions {
  channel: HostControlChannel;
  /** This host's id (a topic segment; its control client's broker user name). */
  host: string;
  shard: ShardRef;
  /** The digest of the scenario as loaded, its seed and device count (the coordinator checks them). */
  digest: string;
  seed: string;
  devices: number;
  /** Default: a fresh random id per process start (a new incarnation is a rejoin). */
  incarnation?: string;
  clock: HostClock;
  ledger: HostLedger;
  /**
   * Waits until what this host does locally is quiescent (beyond the ledger: e.g. its in-flight counter
   * settled except offline devices). `false`: not idle yet (the report says so).
   */
  settle?: () => Promise<void | boolean>;
  /** Progress counts for the coordinator's display (devices enrolled, installed…). */
  progress?: () => Record<string, number>;
  /** The host-side events recorded since the last call (they travel to the run database). */
  drainEvents?: () => unknown[];
  /**
   * The key-store items of this host's devices as they stand, public facts only, for the run database's
   * end-of-run snapshot (sent on `collect`); default none.
   */
  stores?: () => StoreItemFacts[];
  /** Called once the run starts (or this host is welcomed back), with the instant. */
  onStart?: (t: number) => void | Promise<void>;
  limits?: Partial<HostRunnerLimits>;
  /** Stops the host: `run()` rejects with the signal's reason. */
  signal?: AbortSignal;
}

/** How the run ended, as the coordinator said. */
export interface HostRunResult {
  reason: EndMessage['reason'];
  /** The last instant (epoch ms). */
  t: number;
  /** With `error`: the coordinator's message and code. */
  message?: string;
  code?: string;
  /** Waves this host reported. */
  waves: number;
}

/** The agent host's state machine (see the file comment). */
export class HostRunner {
  readonly #o: HostRunnerOptions;
  readonly #limits: HostRunnerLimits;
  readonly #incarnation: string;
  readonly #queue: CtlMessage[] = [];
  #run: string | undefined;
  #lastReported = 0;
  #reports = 0;
  #unacked = new Map<string, DeviceCounts>();
  #unackedEvents: HostEvent[] = [];
  #eventSeq = 0;
  /** The next report carries every device's counts (a coordinator that resumed the run knows none). */
  #full = false;
  #processing = false;
  #settled = false;
  #resolve: (r: HostRunResult) => void = () => undefined;
  #reject: (e: unknown) => void = () => undefined;
  #joinTimer: ReturnType<typeof setInterval> | undefined;

  constructor(o: HostRunnerOptions) {
    this.#o = o;
    this.#limits = { ...DEFAULT_HOST_LIMITS, ...o.limits };
    this.#incarnation = o.incarnation ?? randomUUID();
  }

  /** This host's incarnation (new for every start of the process). */
  get incarnation(): string {
    return this.#incarnation;
  }

  /** Joins and follows the coordinator until it ends the run. */
  run(): Promise<HostRunResult> {
    return new Promise<HostRunResult>((resolve, reject) => {
      this.#resolve = resolve;
      this.#reject = reject;
      const signal = this.#o.signal;
      if (signal) {
        if (signal.aborted) return this.#finish(undefined, signal.reason);
        signal.addEventListener('abort', () => this.#finish(undefined, signal.reason), { once: true });
      }
      this.#o.channel.listen({
        onCtl: (m) => {
          this.#queue.push(m);
          void this.#pump();
        },
        onInvalid: (e) => this.#finish(undefined, e),
      });
      this.#sendJoin();
      this.#joinTimer = setInterval(() => this.#sendJoin(), this.#limits.joinRetryMs);
    });
  }

  #join(): JoinMessage {
    const o = this.#o;
    return {
      type: 'join',
      host: o.host,
      shard: o.shard,
      digest: o.digest,
      seed: o.seed,
      devices: o.devices,
      incarnation: this.#incarnation,
    };
  }

  #sendJoin(): void {
    if (this.#settled) return;
    this.#o.channel.send(this.#join()).catch((err: unknown) => this.#finish(undefined, err));
  }

  #stopJoining(): void {
    if (this.#joinTimer !== undefined) clearInterval(this.#joinTimer);
    this.#joinTimer = undefined;
  }

  #finish(result: HostRunResult | undefined, error?: unknown): void {
    if (this.#settled) return;
    this.#settled = true;
    this.#stopJoining();
    if (result) this.#resolve(result);
    else this.#reject(error);
  }

  async #pump(): Promise<void> {
    if (this.#processing) return;
    this.#processing = true;
    try {
      while (!this.#settled) {
        const m = this.#queue.shift();
        if (!m) break;
        await this.#handle(m);
      }
    } catch (err) {
      this.#finish(
        undefined,
        isCertfleetError(err)
          ? err
          : new CertfleetError('INTERNAL', `Agent host '${this.#o.host}' failed: ${(err as Error).message}`, {
              cause: err,
            }),
      );
    } finally {
      this.#processing = false;
    }
  }

  async #handle(m: CtlMessage): Promise<void> {
    if (
      (m.type === 'start' || m.type === 'probe' || m.type === 'collect') &&
      m.host !== undefined &&
      m.host !== this.#o.host
    ) {
      return;
    }
    // messages of another run (another coordinator on the tenant, a stale session) are not ours — its `end`
    // included; a coordinator that resumed this run (issue 10 point 3) keeps its run id
    if (this.#run !== undefined && m.run !== this.#run) return;
    switch (m.type) {
      case 'start':
        // `start` of the run this host follows again: a coordinator that resumed it (issue 10 point 3) or
        // that welcomes this host back; either way it may have lost the counts reported so far
        if (this.#run !== undefined) this.#full = true;
        await this.#start(m.run, m.t);
        return;
      case 'step':
      case 'probe':
        await this.#start(m.run, m.t);
        await this.#wave(m);
        return;
      case 'collect':
        await this.#start(m.run, m.t);
        await this.#sendStores(m.run);
        return;
      case 'end':
        if (m.reason === 'done') this.#o.clock.advanceTo(m.t);
        this.#finish({
          reason: m.reason,
          t: this.#o.clock.nowMs(),
          waves: this.#reports,
          ...(m.message !== undefined ? { message: m.message } : {}),
          ...(m.code !== undefined ? { code: m.code } : {}),
        });
    }
  }

  async #start(run: string, t: number): Promise<void> {
    if (this.#run !== undefined) {
      this.#o.clock.advanceTo(t);
      return;
    }
    this.#run = run;
    this.#stopJoining();
    this.#o.clock.advanceTo(t);
    await this.#o.onStart?.(this.#o.clock.nowMs());
  }

  /** Sends the devices' key stores, every part of them (nothing runs: the last instant is closed). */
  async #sendStores(run: string): Promise<void> {
    const o = this.#o;
    const items = o.stores?.() ?? [];
    const size = Math.max(1, this.#limits.storeItemsPerPart);
    const parts = Math.max(1, Math.ceil(items.length / size));
    for (let part = 0; part < parts; part++) {
      await o.channel.send({
        type: 'stores',
        host: o.host,
        incarnation: this.#incarnation,
        run,
        part,
        parts,
        items: items.slice(part * size, (part + 1) * size),
      });
    }
  }

  async #wave(m: StepMessage | ProbeMessage): Promise<void> {
    const o = this.#o;
    // the coordinator sends a later wave only once it has every report of the earlier one: ours is acked
    if (m.wave > this.#lastReported) {
      this.#unacked = new Map();
      this.#unackedEvents = [];
    }
    const heartbeat = setInterval(() => {
      o.channel
        .send({ type: 'alive', host: o.host, incarnation: this.#incarnation, run: m.run, wave: m.wave })
        .catch(() => undefined);
    }, this.#limits.heartbeatMs);
    try {
      let idle = false;
      for (let round = 0; round < this.#limits.maxRounds; round++) {
        await o.clock.runDue();
        const settled = await o.settle?.();
        await o.ledger.idle();
        const next = o.clock.nextAtMs();
        if (next !== undefined && next <= o.clock.nowMs()) continue; // timers scheduled for this instant
        idle = settled !== false && o.ledger.inProgress() === 0;
        break;
      }
      for (const [d, c] of Object.entries(o.ledger.snapshotChanged())) this.#unacked.set(d, c);
      if (this.#full && o.ledger.devices && o.ledger.counts) {
        for (const d of o.ledger.devices()) this.#unacked.set(d, { ...o.ledger.counts(d) });
        this.#full = false;
      }
      for (const data of o.drainEvents?.() ?? []) this.#unackedEvents.push({ seq: this.#eventSeq++, data });
      const counters: Record<string, [number, number]> = {};
      for (const [d, c] of [...this.#unacked].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
        counters[d] = [c.sent, c.handled];
      }
      const report: ReportMessage = {
        type: 'report',
        host: o.host,
        incarnation: this.#incarnation,
        run: m.run,
        wave: m.wave,
        t: o.clock.nowMs(),
        idle,
        nextAt: o.clock.nextAtMs() ?? null,
        counters,
        progress: o.progress?.() ?? {},
        events: [...this.#unackedEvents],
      };
      await o.channel.send(report);
      this.#lastReported = Math.max(this.#lastReported, m.wave);
      this.#reports++;
    } finally {
      clearInterval(heartbeat);
    }
  }
}
