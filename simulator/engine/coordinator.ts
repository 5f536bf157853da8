/**
 * The fleet engine's coordinator: the side of the run that owns the virtual clock's progress. It runs in
 * the service's process, waits for the K agent hosts, and then moves every part of the run — its own side
 * (the service, the connectors) and every host — from one instant to the next, closing an instant only once
 * no message of it is left anywhere (docs/architecture.md "The fleet engine: one virtual clock across
 * hosts"). Barrier-synchronised discrete-event simulation over the broker: the protocol is
 * protocol/wire/clock-messages.ts, the channel control-channel.ts, the mirror host-runner.ts.
 *
 * One instant `t` (the earliest next event of the local side and of every host):
 * 1. the local clock moves to `t`; `step t` (wave w) goes to every host: each moves to `t`, runs its due
 *    timers, settles and reports — so no device can see a message of instant `t` before its host is at `t`;
 * 2. the local side runs its own due timers;
 * 3. waves: each wave the coordinator has every host's report for it; when every host is idle and the
 *    device counters balance (below) the service's inbox of the wave is complete, and the local side runs
 *    what became due and `settle()`s (releases the inbox in canonical order, round-gate.ts, and waits for
 *    its own quiescence); then `probe w+1`, and so on;
 * 4. the instant is closed when, for `confirmWaves` consecutive waves (default 2) with no counter change:
 *    every host reported idle, the local side is idle with nothing due at or before `t`, and for every
 *    device `d` that is online at `t` (the caller's `isOnline`):
 *    `service.sent[d] ≤ host.handled[d]` and `host.sent[d] ≤ service.handled[d]`
 *    (device-ledger.ts; the host's side arrives in its reports, the service's is read after the reports).
 *
 * Idle is not enough: a host that has handled everything it received reports idle while a message to one
 * of its devices is still in the broker; only the counters see it.
 *
 * After the last instant (or a stop), when the caller takes them (`onStores`), every host is asked for its
 * devices' key stores (`collect`, answered in `stores` parts, asked again while parts are missing), so the
 * run database's end-of-run snapshot holds them wherever the hosts run; then `end`.
 *
 * Wall-clock time is used for liveness only — how long to wait for hosts to join, when to resend a probe,
 * when a silent host is missing, when a run that stopped changing has stalled, how long to pause between
 * waves that changed nothing — never for anything a run's outcome depends on.
 */
import { CertfleetError, isCertfleetError } from '../../pki/errors.ts';
import type { DeviceCounts } from '../../protocol/transport/device-ledger.ts';
import type {
  CtlMessage,
  HostReportMessage,
  JoinMessage,
  ReportMessage,
  ShardRef,
  StoreItemFacts,
  StoresMessage,
} from '../../protocol/wire/clock-messages.ts';
import type { ControlChannel } from './control-channel.ts';

/** The coordinator's own side of the run (the service, the connectors) as the coordinator drives it. */
export interface LocalSide {
  /** Moves the local clock to `t` (epoch ms, never backwards) without running anything. */
  advanceTo(t: number): void;
  /** Runs every local timer due at or before the local now (VirtualClock.runDue). */
  runDue(): Promise<unknown>;
  /** The local side's next timer (epoch ms), if any. */
  nextAt(): number | undefined;
  /**
   * Releases what the service's inbox holds (RoundGate.flush) — once, not in a loop: what arrives
   * meanwhile belongs to the next wave — and waits until the local side is quiescent (its in-flight
   * counter settled, its device ledger idle). Called only when the inbox of the wave is complete.
   */
  settle(): Promise<void>;
  /** Nothing is held in the inbox, in progress or in flight locally (default: always, after settle). */
  idle?(): boolean;
  /** A number that grows whenever the local side does something the device counters do not show. */
  activity?(): number;
  /**
   * Holds what the local side sends to devices until {@link LocalSide.releaseOutbound} (RoundGate): lets
   * the coordinator run an instant that no host has a timer at on its own side first, and skip the hosts
   * when nothing was sent to a device. Without it, every instant steps every host.
   */
  holdOutbound?(): void;
  /** How many publishes to devices are held. */
  heldOutbound?(): number;
  /** Stops holding and publishes what was held, in order. */
  releaseOutbound?(): Promise<unknown>;
  /**
   * The service side's device ledger (protocol/transport/device-ledger.ts), fed by the service's transport.
   * The coordinator takes its `snapshotChanged()`: nothing else may read snapshots of this ledger.
   */
  ledger: {
    counts(deviceId: string): DeviceCounts;
    totals(): DeviceCounts;
    snapshotChanged(): Record<string, DeviceCounts>;
    /**
     * Resolves at the next change of its counts: while every host is idle and the messages owed are all on
     * their way to the service, the coordinator waits on it rather than sending another wave.
     */
    changed?(): Promise<void>;
  };
}

/** What the coordinator expects of every host's join. */
export interface RunIdentity {
  /** The number of shards (hosts): shards 0/K … K-1/K must all join. */
  shards: number;
  /** The digest of the scenario as loaded. */
  digest: string;
  seed: string;
  /** The fleet's device count. */
  devices: number;
}

/** Wall-clock limits (liveness and pacing only). */
export interface CoordinatorLimits {
  /** How long every shard has to join (default 120 s). */
  joinTimeoutMs: number;
  /** How long a host may stay silent while the coordinator waits for it (default 60 s). */
  livenessMs: number;
  /** When to resend a probe to a host whose report has not come (default 2 s). */
  resendMs: number;
  /** Waves in a row that change nothing before a run counts as stalled (default 50)… */
  stallWaves: number;
  /** …and the wall time they must span at least (default 30 s). */
  stallMs: number;
  /** The longest pause between two waves that changed nothing (default 50 ms; the pause doubles from 1 ms). */
  maxPauseMs: number;
  /**
   * Consecutive quiet, balanced waves that close an instant (default 1, see docs; while a host that
   * rejoined is being re-based, at least 2).
   */
  confirmWaves: number;
  /**
   * After a host rejoined: how long its devices' counts may stay unbalanced, with nothing changing,
   * before the coordinator stops waiting for them (default 2 s; see {@link Coordinator} on rejoins).
   */
  rebaseGraceMs: number;
}

/** The default limits. */
export const DEFAULT_COORDINATOR_LIMITS: CoordinatorLimits = {
  joinTimeoutMs: 120_000,
  livenessMs: 60_000,
  resendMs: 2_000,
  stallWaves: 50,
  stallMs: 30_000,
  maxPauseMs: 50,
  confirmWaves: 1,
  rebaseGraceMs: 2_000,
};

/** The fleet's state after an instant closed (for progress displays). */
export interface InstantClosed {
  /** The instant (epoch ms). */
  t: number;
  /** Instants closed so far, this one included. */
  instants: number;
  /** Waves sent so far. */
  waves: number;
  /** Waves this instant took (0: only the coordinator's side had something to do). */
  wavesThisInstant: number;
  /** Each host's latest progress counts. */
  hosts: Record<string, Record<string, number>>;
}

/** Options of {@link Coordinator}. */
export interface CoordinatorOptions {
  channel: ControlChannel;
  local: LocalSide;
  /** The first instant (epoch ms). */
  start: number;
  /** The last instant (epoch ms): timers due after it do not run. */
  end: number;
  expect: RunIdentity;
  /** An id for this run (default: derived from the digest, the seed and the wall clock). */
  runId?: string;
  /** Whether device `d` is connected at `t` (simulated offline windows); default always. */
  isOnline?: (deviceId: string, t: number) => boolean;
  /** The host id that holds device `d`, when the caller knows (else learnt from the reports). */
  hostOf?: (deviceId: string) => string | undefined;
  limits?: Partial<CoordinatorLimits>;
  /** Called when a host joins (`rejoined`: a known host with a new incarnation), for progress displays. */
  onHostJoined?: (hostId: string, shard: ShardRef, rejoined: boolean) => void;
  /** Called after each instant closed. */
  onInstant?: (state: InstantClosed) => void;
  /**
   * Called once the run started (`start` sent) and after each instant closed, before `onInstant`, with
   * what a resumed coordinator needs ({@link CoordinatorSnapshot}): a killed `serve` saves it.
   */
  onSnapshot?: (snapshot: CoordinatorSnapshot) => void;
  /**
   * Go on with the run a killed coordinator saved (a resumed `serve`, issue 10 point 3): same run id, the
   * hosts it knew (the `agents` processes still running accept the same run id and ignore every other),
   * from the instant it had closed. No host needs to join: each is welcomed back and probed at once, and
   * its next report carries all its devices' counts (host-runner.ts).
   */
  resume?: CoordinatorSnapshot;
  /** Host-side events for the run database, in each host's order, once each. */
  onEvents?: (hostId: string, events: unknown[], t: number) => void;
  /** Every report as it arrives (progress displays, diagnostics). */
  onReport?: (report: ReportMessage) => void;
  /**
   * The hosts' key stores at the end: when set, once the last instant closed (or the run stopped) every
   * host is asked for its devices' key-store items (`collect`) before `end`, and this is called once per
   * host, in shard order, with all of them. A host silent past `livenessMs` meanwhile is HOST_MISSING, as
   * in a wave; after a stop request, a host that has not answered within one resend period is left out.
   */
  onStores?: (hostId: string, shard: ShardRef, items: StoreItemFacts[]) => void;
  /**
   * Stops the run at the next instant boundary (it ends as done, `stopped` set); while hosts are still
   * joining, at once (nothing ran); while a host's report is missing, after one resend period (`resendMs`)
   * without it, leaving that instant as it stood.
   */
  signal?: AbortSignal;
  /** The wall clock (liveness only; tests inject one). Default Date.now. */
  wallNow?: () => number;
}

/**
 * What a coordinator saves at each instant's close so that another process can go on with the run
 * (Coordinator option `resume`): the run id, the instant closed, the counts of instants and waves, each
 * host as it knew it, and the offsets its hosts' rejoins left on their devices' counts.
 */
export interface CoordinatorSnapshot {
  run: string;
  /** The last instant closed (the start, before any closed). */
  t: number;
  instants: number;
  waves: number;
  hosts: Array<{ id: string; shard: ShardRef; incarnation: string; lastEventSeq: number }>;
  /** Devices whose counts carry offsets from a host's rejoin: `[inBase, outBase, owner]`. */
  bases: Record<string, [number, number, string | null]>;
}

/** How a run ended. */
export interface CoordinatorResult {
  /** The last instant the clock reached (the end, or the instant it stopped at). */
  t: number;
  instants: number;
  waves: number;
  /** True when the signal stopped it before the end. */
  stopped: boolean;
}

/**
 * HOST_MISSING for hosts silent past the liveness limit while the run waited for `waitedFor`; `rejoin` says
 * what the host does once started again with the same command.
 */
function silentHosts(
  silent: readonly { h: HostState; silentMs: number }[],
  waitedFor: string,
  rejoin: string,
  details: Record<string, unknown>,
): CertfleetError {
  const which = silent
    .map(
      ({ h, silentMs }) =>
        `'${h.id}' (shard ${fmtShard(h.shard)}, silent for ${Math.round(silentMs / 1000)} s)`,
    )
    .join(', ');
  return new CertfleetError(
    'HOST_MISSING',
    `Agent host${silent.length > 1 ? 's' : ''} ${which} stopped answering while the run waited for ${waitedFor}. ` +
      `Restart it with the same command: ${rejoin}.`,
    { details: { hosts: silent.map(({ h }) => h.id), ...details } },
  );
}

interface HostState {
  id: string;
  shard: ShardRef;
  incarnation: string;
  lastHeard: number;
  /** The report of the current wave, once it came. */
  report: ReportMessage | undefined;
  /** The latest report of any wave. */
  latest: ReportMessage | undefined;
  lastEventSeq: number;
  /** Rejoined during this instant: its devices' counts restarted; re-based when the instant closes. */
  rebasing: boolean;
}

/** Device counts of one device on both sides, and the offsets a rejoin left. */
interface DeviceTally {
  /** What the host side reported (cumulative within the host's incarnation). */
  hostSent: number;
  hostHandled: number;
  /** Offsets after a host's rejoin (its counts restarted at 0). */
  inBase: number;
  outBase: number;
  owner: string | undefined;
}

/** Thrown out of an instant when a stop request came while a host's report was still missing. */
const STOPPED_WAITING = Symbol('stopped while waiting for a host');

const fmtShard = (s: ShardRef): string => `${s.index}/${s.count}`;
const iso = (t: number): string => new Date(t).toISOString();

/** The coordinator state machine (see the file comment). */
export class Coordinator {
  readonly #o: CoordinatorOptions;
  readonly #limits: CoordinatorLimits;
  readonly #wall: () => number;
  readonly #hosts = new Map<string, HostState>();
  readonly #byShard = new Map<number, string>();
  readonly #tally = new Map<string, DeviceTally>();
  /** Devices whose tally carries offsets from a rejoin (the snapshot saves only these, at every instant). */
  readonly #based = new Set<string>();
  /** Devices whose counts do not balance (online or not). */
  readonly #open = new Set<string>();
  #hostSentSum = 0;
  #hostHandledSum = 0;
  #run = '';
  #phase: 'joining' | 'running' | 'ended' = 'joining';
  #t: number;
  #wave = 0;
  #instants = 0;
  #error: CertfleetError | undefined;
  /** Wall time of the last change of the counters in the current instant. */
  #lastChange = 0;
  /** While the key stores are collected: each host's parts received so far (this incarnation's). */
  #collecting: Map<string, { parts: number; got: Map<number, StoreItemFacts[]> }> | undefined;
  #wakers: Array<() => void> = [];

  constructor(o: CoordinatorOptions) {
    if (!Number.isInteger(o.expect.shards) || o.expect.shards < 1) {
      throw new CertfleetError('USAGE', `The run needs at least one agent host (got ${o.expect.shards}).`);
    }
    this.#o = o;
    this.#limits = { ...DEFAULT_COORDINATOR_LIMITS, ...o.limits };
    this.#wall = o.wallNow ?? Date.now;
    this.#t = o.start;
  }

  /** The instant the run is at (epoch ms). */
  get now(): number {
    return this.#t;
  }

  /** Waits for the hosts, runs every instant up to the end, and tells the hosts the run is over. */
  async run(): Promise<CoordinatorResult> {
    this.#o.channel.listen({
      onHostMessage: (m) => this.#onHostMessage(m),
      onInvalid: (e) => this.#fail(e),
    });
    // a stop request wakes a coordinator that waits (for hosts to join, for a report)
    const onAbort = (): void => this.#wake();
    this.#o.signal?.addEventListener('abort', onAbort, { once: true });
    try {
      if (this.#o.resume) return await this.#runFrom(this.#o.resume);
      await this.#waitForHosts();
      if (this.#o.signal?.aborted) {
        // stopped before every host joined: nothing ran; the hosts that joined are told the run is over
        this.#phase = 'ended';
        this.#run ||= this.#o.runId ?? `run-${this.#o.expect.seed}-${this.#wall().toString(36)}`;
        await this.#publish({ type: 'end', run: this.#run, t: this.#t, reason: 'done' });
        return { t: this.#t, instants: 0, waves: this.#wave, stopped: true };
      }
      this.#run = this.#o.runId ?? `run-${this.#o.expect.seed}-${this.#wall().toString(36)}`;
      this.#phase = 'running';
      await this.#publish({ type: 'start', run: this.#run, t: this.#t, wave: this.#wave });
      this.#o.onSnapshot?.(this.snapshot());
      return await this.#runInstants(this.#o.start);
    } catch (err) {
      throw await this.#failed(err);
    } finally {
      this.#o.signal?.removeEventListener('abort', onAbort);
    }
  }

  /**
   * What a resumed coordinator needs to go on from the last instant closed (see
   * {@link CoordinatorSnapshot}); call it between instants (`onSnapshot` does).
   */
  snapshot(): CoordinatorSnapshot {
    const bases: CoordinatorSnapshot['bases'] = {};
    for (const d of this.#based) {
      const tally = this.#tally.get(d);
      if (tally !== undefined && (tally.inBase !== 0 || tally.outBase !== 0)) {
        bases[d] = [tally.inBase, tally.outBase, this.#ownerOf(d, tally) ?? null];
      }
    }
    return {
      run: this.#run,
      t: this.#t,
      instants: this.#instants,
      waves: this.#wave,
      hosts: [...this.#hosts.values()].map((h) => ({
        id: h.id,
        shard: h.shard,
        incarnation: h.incarnation,
        lastEventSeq: h.lastEventSeq,
      })),
      bases,
    };
  }

  /** The last event sequence number taken from host `hostId` in its incarnation now (run.db records). */
  hostEventSeq(hostId: string): { incarnation: string; seq: number } | undefined {
    const h = this.#hosts.get(hostId);
    return h ? { incarnation: h.incarnation, seq: h.lastEventSeq } : undefined;
  }

  /**
   * A resumed run: the saved hosts, counts and offsets taken back, `start` sent again under the saved run
   * id (each host's next report carries all its counts), one probe to learn where the hosts are, then the
   * instants from the one the hosts reached — the instant the killed coordinator had open — or, when they
   * are where the saved one closed, from the next one.
   */
  async #runFrom(r: CoordinatorSnapshot): Promise<CoordinatorResult> {
    this.#run = r.run;
    this.#t = Math.max(this.#o.start, r.t);
    this.#instants = r.instants;
    this.#wave = r.waves;
    const now = this.#wall();
    for (const h of r.hosts) {
      this.#byShard.set(h.shard.index, h.id);
      this.#hosts.set(h.id, {
        id: h.id,
        shard: h.shard,
        incarnation: h.incarnation,
        lastHeard: now,
        report: undefined,
        latest: undefined,
        lastEventSeq: h.lastEventSeq,
        rebasing: false,
      });
    }
    for (const [d, [inBase, outBase, owner]] of Object.entries(r.bases)) {
      const tally = this.#tallyOf(d);
      tally.inBase = inBase;
      tally.outBase = outBase;
      this.#based.add(d);
      tally.owner = owner ?? undefined;
    }
    this.#phase = 'running';
    this.#o.local.advanceTo(this.#t);
    await this.#publish({ type: 'start', run: this.#run, t: this.#t, wave: this.#wave });
    await this.#collect('probe');
    let reached = this.#t;
    for (const h of this.#hosts.values()) reached = Math.max(reached, h.latest?.t ?? reached);
    const first = reached > this.#t ? reached : this.#nextInstant();
    return this.#runInstants(first);
  }

  /** Runs the instants from `first` to the end (or a stop), then tells the hosts the run is over. */
  async #runInstants(first: number | undefined): Promise<CoordinatorResult> {
    let stopped = false;
    let t: number | undefined = first;
    while (t !== undefined && t <= this.#o.end) {
      try {
        await this.#instant(t);
      } catch (err) {
        if (err !== STOPPED_WAITING) throw err;
        stopped = true; // a host left, then the stop request came: the instant stays as it stood
        break;
      }
      if (this.#o.signal?.aborted) {
        stopped = true;
        break;
      }
      t = this.#nextInstant();
    }
    if (!stopped) {
      this.#t = Math.max(this.#t, this.#o.end);
      this.#o.local.advanceTo(this.#t);
    }
    if (this.#o.onStores) await this.#collectStores(this.#o.onStores);
    this.#phase = 'ended';
    await this.#publish({ type: 'end', run: this.#run, t: this.#t, reason: 'done' });
    return { t: this.#t, instants: this.#instants, waves: this.#wave, stopped };
  }

  /** Ends a run that failed: the hosts are told (best effort); returns the error to throw. */
  async #failed(err: unknown): Promise<CertfleetError> {
    this.#phase = 'ended';
    const e = isCertfleetError(err)
      ? err
      : new CertfleetError('INTERNAL', `The coordinator failed: ${(err as Error).message}`, { cause: err });
    // tell the hosts, best effort: they exit instead of waiting for a coordinator that is gone
    await this.#publish({
      type: 'end',
      run: this.#run || 'not-started',
      t: this.#t,
      reason: 'error',
      message: e.message,
      code: e.code,
    }).catch(() => undefined);
    return e;
  }

  // --- hosts' messages -----------------------------------------------------------------------------

  #onHostMessage(m: JoinMessage | HostReportMessage): void {
    if (this.#phase === 'ended' || this.#error) return;
    if (m.type === 'join') this.#onJoin(m);
    else {
      const h = this.#hosts.get(m.host);
      // a message of an earlier incarnation, or of an earlier run, says nothing about the host now
      if (!h || h.incarnation !== m.incarnation || (this.#run !== '' && m.run !== this.#run)) return;
      h.lastHeard = this.#wall();
      if (m.type === 'report') this.#onReport(h, m);
      else if (m.type === 'stores') this.#onStores(h, m);
    }
    this.#wake();
  }

  #onJoin(m: JoinMessage): void {
    const e = this.#o.expect;
    const mismatch = (what: string, got: unknown, want: unknown): CertfleetError =>
      new CertfleetError(
        'CLOCK_PROTOCOL',
        `Host '${m.host}' joined with ${what} ${JSON.stringify(got)}, but this run has ${JSON.stringify(want)}: ` +
          'start every agents process with the same scenario, --seed and --devices as the coordinator, and --shard i/K with K the coordinator\u2019s --hosts.',
        { details: { host: m.host, field: what } },
      );
    if (m.shard.count !== e.shards) return this.#fail(mismatch('shard count', m.shard.count, e.shards));
    if (m.digest !== e.digest) return this.#fail(mismatch('scenario digest', m.digest, e.digest));
    if (m.seed !== e.seed) return this.#fail(mismatch('seed', m.seed, e.seed));
    if (m.devices !== e.devices) return this.#fail(mismatch('device count', m.devices, e.devices));
    const holder = this.#byShard.get(m.shard.index);
    if (holder !== undefined && holder !== m.host) {
      return this.#fail(
        new CertfleetError(
          'CLOCK_PROTOCOL',
          `Shard ${fmtShard(m.shard)} joined twice: as host '${holder}' and as host '${m.host}'. Give each agents process its own --shard.`,
          { details: { shard: fmtShard(m.shard), hosts: [holder, m.host] } },
        ),
      );
    }
    const known = this.#hosts.get(m.host);
    if (known && known.shard.index !== m.shard.index) {
      return this.#fail(
        new CertfleetError(
          'CLOCK_PROTOCOL',
          `Host '${m.host}' joined as shard ${fmtShard(m.shard)}, but it holds shard ${fmtShard(known.shard)}.`,
          { details: { host: m.host } },
        ),
      );
    }
    const now = this.#wall();
    if (!known) {
      this.#byShard.set(m.shard.index, m.host);
      this.#hosts.set(m.host, {
        id: m.host,
        shard: m.shard,
        incarnation: m.incarnation,
        lastHeard: now,
        report: undefined,
        latest: undefined,
        lastEventSeq: -1,
        rebasing: false,
      });
      this.#o.onHostJoined?.(m.host, m.shard, false);
      return;
    }
    known.lastHeard = now;
    if (this.#phase !== 'running') {
      known.incarnation = m.incarnation;
      return;
    }
    if (known.incarnation !== m.incarnation) {
      this.#rejoin(known, m.incarnation);
      this.#collecting?.delete(known.id); // the parts of its earlier incarnation are not taken
      this.#o.onHostJoined?.(m.host, m.shard, true);
    }
    // a host that joins again did not hear the start (or restarted): welcome it at the current instant,
    // and ask for the wave in progress (or, once the last instant closed, for its key stores)
    void this.#publish({ type: 'start', run: this.#run, t: this.#t, wave: this.#wave, host: known.id }).catch(
      (err: unknown) => this.#failWith(err),
    );
    if (this.#collecting) {
      void this.#publish({ type: 'collect', run: this.#run, t: this.#t, host: known.id }).catch(
        (err: unknown) => this.#failWith(err),
      );
    } else if (this.#wave > 0 && known.report === undefined) {
      void this.#publish({
        type: 'probe',
        run: this.#run,
        t: this.#t,
        wave: this.#wave,
        host: known.id,
      }).catch((err: unknown) => this.#failWith(err));
    }
  }

  /**
   * A host restarted: its counts start again at 0. What its earlier incarnation reported is folded into
   * the devices' bases (so the sums stay what they were), its devices are left out of the balance for the
   * rest of this instant, and they are re-based when it closes (see {@link Coordinator.#closeInstant}).
   */
  #rejoin(h: HostState, incarnation: string): void {
    h.incarnation = incarnation;
    h.report = undefined;
    h.latest = undefined;
    h.lastEventSeq = -1;
    h.rebasing = true;
    for (const [d, tally] of this.#tally) {
      if (this.#ownerOf(d, tally) !== h.id) continue;
      tally.outBase += tally.hostSent;
      tally.inBase += tally.hostHandled;
      this.#based.add(d);
      tally.hostSent = 0;
      tally.hostHandled = 0;
    }
  }

  #onReport(h: HostState, m: ReportMessage): void {
    for (const [d, [sent, handled]] of Object.entries(m.counters)) {
      const tally = this.#tallyOf(d);
      tally.owner ??= h.id;
      if (sent > tally.hostSent) {
        this.#hostSentSum += sent - tally.hostSent;
        tally.hostSent = sent;
      }
      if (handled > tally.hostHandled) {
        this.#hostHandledSum += handled - tally.hostHandled;
        tally.hostHandled = handled;
      }
      this.#recheck(d);
    }
    const fresh = m.events.filter((e) => e.seq > h.lastEventSeq);
    if (fresh.length > 0) {
      h.lastEventSeq = Math.max(...fresh.map((e) => e.seq));
      this.#o.onEvents?.(
        h.id,
        fresh.map((e) => e.data),
        m.t,
      );
    }
    if (h.latest === undefined || m.wave >= h.latest.wave) h.latest = m;
    if (m.wave === this.#wave) h.report = m;
    this.#o.onReport?.(m);
  }

  #onStores(h: HostState, m: StoresMessage): void {
    const c = this.#collecting;
    if (!c) return; // not asked for (or a late resend after the collection)
    let entry = c.get(h.id);
    if (entry === undefined || entry.parts !== m.parts) {
      entry = { parts: m.parts, got: new Map() };
      c.set(h.id, entry);
    }
    entry.got.set(m.part, m.items);
  }

  /** Whether every part of host `h`'s key stores came. */
  #storesComplete(h: HostState): boolean {
    const entry = this.#collecting?.get(h.id);
    return entry !== undefined && entry.got.size === entry.parts;
  }

  /**
   * After the last instant: asks every host for its key stores and waits for every part (resending the
   * ask to a host whose parts are missing), then hands each host's items to `take`, in shard order.
   */
  async #collectStores(take: NonNullable<CoordinatorOptions['onStores']>): Promise<void> {
    this.#collecting = new Map();
    try {
      await this.#publish({ type: 'collect', run: this.#run, t: this.#t });
      // a stopped run does not wait out a host's liveness limit (a host stopped first): it is left out
      await this.#awaitHosts({
        missing: (h) => !this.#storesComplete(h),
        ask: (h) => this.#publish({ type: 'collect', run: this.#run, t: this.#t, host: h.id }),
        stopped: 'leave',
        silent: (silent) =>
          silentHosts(silent, `its key stores at ${iso(this.#t)}`, 'it rejoins and sends them', {
            t: iso(this.#t),
          }),
      });
      const hosts = [...this.#hosts.values()].sort((a, b) => a.shard.index - b.shard.index);
      for (const h of hosts) {
        const entry = this.#collecting.get(h.id);
        if (entry === undefined || entry.got.size !== entry.parts) continue;
        const items: StoreItemFacts[] = [];
        for (let part = 0; part < entry.parts; part++) items.push(...(entry.got.get(part) ?? []));
        take(h.id, h.shard, items);
      }
    } finally {
      this.#collecting = undefined;
    }
  }

  // --- device counts -------------------------------------------------------------------------------

  #tallyOf(d: string): DeviceTally {
    let t = this.#tally.get(d);
    if (!t) {
      t = { hostSent: 0, hostHandled: 0, inBase: 0, outBase: 0, owner: undefined };
      this.#tally.set(d, t);
    }
    return t;
  }

  #ownerOf(d: string, tally: DeviceTally | undefined): string | undefined {
    return this.#o.hostOf?.(d) ?? tally?.owner;
  }

  /** Why device `d` does not balance, or undefined when it does. */
  #imbalance(d: string): string | undefined {
    const tally = this.#tally.get(d);
    const svc = this.#o.local.ledger.counts(d);
    const hostHandled = (tally?.hostHandled ?? 0) + (tally?.inBase ?? 0);
    const hostSent = (tally?.hostSent ?? 0) + (tally?.outBase ?? 0);
    const parts: string[] = [];
    if (svc.sent > hostHandled) {
      parts.push(`the service sent it ${svc.sent} message(s), its host handled ${hostHandled}`);
    }
    if (hostSent > svc.handled) {
      parts.push(`it sent ${hostSent} message(s), the service handled ${svc.handled}`);
    }
    return parts.length === 0 ? undefined : parts.join('; ');
  }

  /** Whether device `d` is owed only messages on their way to the service (its host has handled all it was sent). */
  #owedToService(d: string): boolean {
    const tally = this.#tally.get(d);
    const svc = this.#o.local.ledger.counts(d);
    const hostHandled = (tally?.hostHandled ?? 0) + (tally?.inBase ?? 0);
    const hostSent = (tally?.hostSent ?? 0) + (tally?.outBase ?? 0);
    return svc.sent <= hostHandled && hostSent > svc.handled;
  }

  #recheck(d: string): void {
    if (this.#imbalance(d) === undefined) this.#open.delete(d);
    else this.#open.add(d);
  }

  /** Takes in what changed on the local ledger since the last look. */
  #readLocal(): void {
    for (const d of Object.keys(this.#o.local.ledger.snapshotChanged())) this.#recheck(d);
  }

  /**
   * Devices that do not balance and count now: online at `t`, and — for a host that rejoined in this
   * instant — only until nothing has changed for `rebaseGraceMs`.
   */
  #pending(): string[] {
    const isOnline = this.#o.isOnline ?? (() => true);
    const graceOver = this.#wall() - this.#lastChange >= this.#limits.rebaseGraceMs;
    const out: string[] = [];
    for (const d of this.#open) {
      const owner = this.#hosts.get(this.#ownerOf(d, this.#tally.get(d)) ?? '');
      if (owner?.rebasing && graceOver) continue;
      if (isOnline(d, this.#t)) out.push(d);
    }
    return out.sort();
  }

  #signature(): string {
    const s = this.#o.local.ledger.totals();
    return `${s.sent}/${s.handled}/${this.#hostSentSum}/${this.#hostHandledSum}/${this.#o.local.activity?.() ?? 0}`;
  }

  // --- the run -------------------------------------------------------------------------------------

  async #waitForHosts(): Promise<void> {
    const deadline = this.#wall() + this.#limits.joinTimeoutMs;
    for (;;) {
      this.#throwIfFailed();
      if (this.#byShard.size === this.#o.expect.shards || this.#o.signal?.aborted) return;
      const left = deadline - this.#wall();
      if (left <= 0) {
        const missing: string[] = [];
        for (let i = 0; i < this.#o.expect.shards; i++) {
          if (!this.#byShard.has(i)) missing.push(`${i}/${this.#o.expect.shards}`);
        }
        const joined = [...this.#hosts.values()].map((h) => `${h.id} (${fmtShard(h.shard)})`);
        throw new CertfleetError(
          'HOST_MISSING',
          `No agent host joined for shard${missing.length > 1 ? 's' : ''} ${missing.join(', ')} within ` +
            `${Math.round(this.#limits.joinTimeoutMs / 1000)} s` +
            `${joined.length > 0 ? ` (joined: ${joined.join(', ')})` : ''}. Start one agents process per shard ` +
            `with --shard i/${this.#o.expect.shards} against the same broker and tenant.`,
          { details: { missingShards: missing } },
        );
      }
      await this.#news(left);
    }
  }

  #nextInstant(): number | undefined {
    let next = this.#o.local.nextAt();
    for (const h of this.#hosts.values()) {
      const n = h.latest?.nextAt;
      if (n !== null && n !== undefined && (next === undefined || n < next)) next = n;
    }
    // nothing runs before the current instant again (a late nextAt would only run late)
    return next === undefined ? undefined : Math.max(next, this.#t);
  }

  async #instant(t: number): Promise<void> {
    const local = this.#o.local;
    this.#t = Math.max(this.#t, t);
    this.#instants++;
    local.advanceTo(this.#t);
    const firstWave = this.#wave + 1;
    if (await this.#localOnly()) {
      this.#closed(firstWave);
      return;
    }

    let prevOk = false;
    let prevSig: string | undefined;
    let streak = 0;
    let unproductive = 0;
    this.#lastChange = this.#wall();
    for (;;) {
      this.#readLocal();
      const hostsIdle = [...this.#hosts.values()].every((h) => h.report?.idle === true);
      if (hostsIdle && this.#pending().length === 0) {
        // the wave's inbox is complete: every message sent to the service side has arrived
        const due = local.nextAt();
        if (due !== undefined && due <= this.#t) await local.runDue();
        await local.settle();
        this.#readLocal();
      }
      const due = local.nextAt();
      const localIdle = (local.idle?.() ?? true) && !(due !== undefined && due <= this.#t);
      const pending = this.#pending();
      const ok = hostsIdle && localIdle && pending.length === 0;
      const sig = this.#signature();
      const changed = sig !== prevSig;
      streak = ok ? (prevOk && !changed ? streak + 1 : 1) : 0;
      const rebasing = [...this.#hosts.values()].some((h) => h.rebasing);
      if (streak >= Math.max(this.#limits.confirmWaves, rebasing ? 2 : 1)) break;
      if (changed) {
        unproductive = 0;
        this.#lastChange = this.#wall();
      } else if (!ok) {
        unproductive++;
        if (
          unproductive >= this.#limits.stallWaves &&
          this.#wall() - this.#lastChange >= this.#limits.stallMs
        ) {
          throw this.#stalled(pending, localIdle);
        }
      }
      prevOk = ok;
      prevSig = sig;
      if (
        !ok &&
        hostsIdle &&
        localIdle &&
        pending.length > 0 &&
        pending.every((d) => this.#owedToService(d))
      ) {
        // every host is idle and what is owed is on its way to the service: no host can change anything
        // by another wave — wait for the service's inbox instead (bounded, for the stall check)
        const changedLocally = local.ledger.changed?.();
        if (changedLocally) {
          await Promise.race([changedLocally, this.#pause(this.#limits.resendMs)]);
          continue;
        }
      }
      if (unproductive > 0) {
        await this.#pause(Math.min(this.#limits.maxPauseMs, 2 ** Math.min(unproductive - 1, 16)));
      }
      await this.#collect('probe');
    }
    this.#closed(firstWave);
  }

  /**
   * The first part of instant `t` when no host has anything due at `t`: the local side runs its own
   * timers with what it sends to devices held back (LocalSide.holdOutbound) and settles. When it sent
   * nothing to a device and is idle, the instant is closed without a wave — the hosts were idle and
   * balanced when the last instant closed, and nothing reached them since. Otherwise the hosts are stepped
   * to `t` (a wave) and only then is what was held published, so no device sees a message of `t` before
   * its host is at `t`. Returns true when the instant is closed; false when the wave loop is to go on
   * (the step sent, the local timers run). Without a hold, or with a host due at `t`: the step, then the
   * local timers.
   */
  async #localOnly(): Promise<boolean> {
    const local = this.#o.local;
    const hosts = [...this.#hosts.values()];
    const hostsQuiet = hosts.every(
      (h) =>
        !h.rebasing && h.latest?.idle === true && (h.latest.nextAt === null || h.latest.nextAt > this.#t),
    );
    if (!local.holdOutbound || !local.releaseOutbound || !hostsQuiet) {
      await this.#collect('step');
      await local.runDue();
      return false;
    }
    local.holdOutbound();
    let released = false;
    try {
      for (let round = 1; ; round++) {
        await local.runDue();
        await local.settle();
        this.#readLocal();
        const due = local.nextAt();
        if (due === undefined || due > this.#t) break;
        if (round >= this.#limits.stallWaves) throw this.#stalled([], false);
      }
      if ((local.heldOutbound?.() ?? 1) === 0 && (local.idle?.() ?? true) && this.#pending().length === 0) {
        return true;
      }
      await this.#collect('step');
      released = true;
      await local.releaseOutbound();
      return false;
    } finally {
      if (!released) await local.releaseOutbound();
    }
  }

  /** Closes the current instant (first wave of it: `firstWave`) and tells the caller. */
  #closed(firstWave: number): void {
    this.#closeInstant();
    this.#o.onSnapshot?.(this.snapshot());
    this.#o.onInstant?.({
      t: this.#t,
      instants: this.#instants,
      waves: this.#wave,
      wavesThisInstant: this.#wave - firstWave + 1,
      hosts: Object.fromEntries([...this.#hosts.values()].map((h) => [h.id, h.latest?.progress ?? {}])),
    });
  }

  /**
   * Re-bases the devices of hosts that rejoined during the instant. The instant closed with the rejoined
   * host idle and nothing changing, so every message to or from one of its devices that is online has
   * arrived: its counts are made to balance exactly (the earlier incarnation may have handled messages
   * after its last report, which the broker will not deliver again). A device that is offline keeps the
   * folded counts of the earlier incarnation: what waits for it in the broker is still owed.
   */
  #closeInstant(): void {
    const rebasing = [...this.#hosts.values()].filter((h) => h.rebasing);
    if (rebasing.length === 0) return;
    const ids = new Set(rebasing.map((h) => h.id));
    const isOnline = this.#o.isOnline ?? (() => true);
    for (const [d, tally] of this.#tally) {
      if (!ids.has(this.#ownerOf(d, tally) ?? '') || !isOnline(d, this.#t)) continue;
      const svc = this.#o.local.ledger.counts(d);
      tally.inBase = svc.sent - tally.hostHandled;
      tally.outBase = svc.handled - tally.hostSent;
      this.#based.add(d);
    }
    for (const h of rebasing) h.rebasing = false;
    for (const d of this.#tally.keys()) this.#recheck(d);
  }

  #stalled(pending: string[], localIdle: boolean): CertfleetError {
    const parts: string[] = [];
    const shown = pending.slice(0, 10).map((d) => {
      const owner = this.#ownerOf(d, this.#tally.get(d));
      return `device ${d}${owner ? ` (host ${owner})` : ''}: ${this.#imbalance(d) ?? 'balanced'}`;
    });
    if (shown.length > 0) {
      parts.push(
        `messages in flight for ${pending.length} device(s): ${shown.join('; ')}${pending.length > 10 ? '; …' : ''}`,
      );
    }
    const busy = [...this.#hosts.values()].filter((h) => h.report?.idle !== true).map((h) => h.id);
    if (busy.length > 0) parts.push(`host(s) not idle: ${busy.join(', ')}`);
    if (!localIdle) parts.push('the service side is not idle');
    return new CertfleetError(
      'RUN_STALLED',
      `The run stopped making progress at ${iso(this.#t)}: ${parts.join('; ') || 'nothing changed'}. ` +
        'A message the broker refused (topic ACL) or lost is never handled; a part that keeps work pending never goes idle.',
      { details: { t: iso(this.#t), devices: pending, hosts: busy, localIdle } },
    );
  }

  /** Sends `kind` for a new wave and waits until every host reported for it. */
  async #collect(kind: 'step' | 'probe'): Promise<void> {
    const wave = ++this.#wave;
    for (const h of this.#hosts.values()) h.report = undefined;
    await this.#publish({ type: kind, run: this.#run, t: this.#t, wave });
    // a stop request does not wait out a host's liveness limit (a host stopped first, say): a host that has
    // not reported within one resend period after it is left behind
    await this.#awaitHosts({
      missing: (h) => h.report === undefined,
      ask: (h) => this.#publish({ type: 'probe', run: this.#run, t: this.#t, wave, host: h.id }),
      stopped: 'throw',
      silent: (silent) =>
        silentHosts(silent, `wave ${wave} at ${iso(this.#t)}`, 'it rejoins at the current instant', {
          wave,
          t: iso(this.#t),
        }),
    });
  }

  /**
   * Waits until no host is `missing` (what was asked of every host came): asks a missing host again every
   * resend period, fails with `silent`'s error for a host silent past the liveness limit (silence counts
   * from when the wait began: the coordinator's own long settle is not the hosts' fault), and after a stop
   * request gives up one resend period later — leaving the missing hosts out, or throwing STOPPED_WAITING.
   */
  async #awaitHosts(w: {
    missing: (h: HostState) => boolean;
    ask: (h: HostState) => Promise<void>;
    stopped: 'leave' | 'throw';
    silent: (silent: { h: HostState; silentMs: number }[]) => CertfleetError;
  }): Promise<void> {
    const waitingSince = this.#wall();
    const heard = (h: HostState): number => Math.max(h.lastHeard, waitingSince);
    let lastSend = waitingSince;
    let stopSeen: number | undefined;
    for (;;) {
      this.#throwIfFailed();
      const missing = [...this.#hosts.values()].filter(w.missing);
      if (missing.length === 0) return;
      const now = this.#wall();
      if (this.#o.signal?.aborted) {
        stopSeen ??= now;
        if (now - Math.max(stopSeen, waitingSince) >= this.#limits.resendMs) {
          if (w.stopped === 'throw') throw STOPPED_WAITING;
          return;
        }
      }
      const silent = missing.filter((h) => now - heard(h) > this.#limits.livenessMs);
      if (silent.length > 0) throw w.silent(silent.map((h) => ({ h, silentMs: now - heard(h) })));
      if (now - lastSend >= this.#limits.resendMs) {
        for (const h of missing) await w.ask(h);
        lastSend = now;
      }
      const untilResend = lastSend + this.#limits.resendMs - now;
      const untilSilent = Math.min(...missing.map((h) => heard(h) + this.#limits.livenessMs - now)) + 1;
      await this.#news(Math.max(1, Math.min(untilResend, untilSilent)));
    }
  }

  async #publish(m: CtlMessage): Promise<void> {
    await this.#o.channel.publish(m);
  }

  // --- waiting ---------------------------------------------------------------------------------------

  #fail(e: CertfleetError): void {
    this.#error ??= e;
    this.#wake();
  }

  #failWith(err: unknown): void {
    this.#fail(
      isCertfleetError(err)
        ? err
        : new CertfleetError('INTERNAL', `The coordinator could not publish: ${(err as Error).message}`, {
            cause: err,
          }),
    );
  }

  #throwIfFailed(): void {
    if (this.#error) throw this.#error;
  }

  #wake(): void {
    const w = this.#wakers;
    this.#wakers = [];
    for (const f of w) f();
  }

  /** Resolves on the next host message (or failure), or after `ms` of wall time. */
  #news(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.#wakers.push(done);
    });
  }

  #pause(ms: number): Promise<void> {
    return new Promise((resolve) => setTimeout(resolve, ms));
  }
}
