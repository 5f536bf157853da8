/**
 * What the parts of a fleet process share (fleet-builder.ts): the scenario, the run folder, the tenant,
 * the clock and the key factories, given by the command; and what each part adds for the parts after it
 * — the run database, the key stores, the CA, the broker, the service side, the agent host, where device
 * events go, and what the virtual clock waits for before it moves on.
 */
import type { StoreDb } from '../../../agent/keystore/store-db.ts';
import type { Clock } from '../../../protocol/runtime/clock.ts';
import type { ScheduledTask, Scheduler } from '../../../protocol/runtime/scheduler.ts';
import { CertfleetError } from '../../../pki/errors.ts';
import type { KeySource } from '../../../pki/key-factory.ts';
import type { RunDb } from '../../report/run-db.ts';
import type { RunEvent } from '../../run-model.ts';
import type { Scenario } from '../../scenario/index.ts';
import type { EnterpriseCa } from '../../service/ca/enterprise-ca.ts';
import type { DirectoryEntry } from '../../service/mdm/index.ts';
import type { PlannedDevice } from '../plan-devices.ts';
import type { AgentHost } from './agent-host.ts';
import type { FleetBroker } from './broker.ts';
import type { ServiceScep } from '../../service/mdm/service-types.ts';
import type { ServiceSide } from './service-side.ts';

/**
 * The clock of a fleet process: the virtual clock of `certfleet run`, or the scaled wall clock of `serve`
 * and `agents` (scaled-clock.ts).
 */
export interface FleetClock extends Clock, Scheduler {
  /**
   * Runs `fn` when the clock reads `at` (epoch ms or a Date). `key`: the tie-break among timers of one
   * instant (the virtual clock runs them in key order; a device's timers pass its id). A wall clock ignores it.
   */
  schedule(at: Date | number, fn: () => void | Promise<void>, key?: string): ScheduledTask;
  /** Runs `fn` after `ms` of clock time (`key` as for {@link FleetClock.schedule}). */
  after(ms: number, fn: () => void | Promise<void>, key?: string): ScheduledTask;
}

/**
 * A scheduler whose timers all carry `key` as tie-break (a device's own timers: key = its id). One object
 * per device with the clock and key in fields, and `after` a method of the class — not a closure per
 * device (issue 11 point 3: an idle agent's memory).
 */
class KeyedScheduler implements Scheduler {
  constructor(
    private readonly clock: FleetClock,
    private readonly key: string,
  ) {}

  after(ms: number, fn: () => void | Promise<void>): ScheduledTask {
    return this.clock.after(ms, fn, this.key);
  }
}

/** A scheduler whose timers all carry `key` as tie-break (a device's own timers: key = its id). */
export function keyedScheduler(clock: FleetClock, key: string): Scheduler {
  return new KeyedScheduler(clock, key);
}

/**
 * The key factories of a process: RSA (connectors, Windows devices) and EC (the other devices). The service
 * side primes the RSA factory when it starts — not earlier, so that its key generation does not hold up
 * the CA's.
 */
export interface FleetKeys {
  rsa: KeySource & { prime?(): void };
  ec: KeySource;
}

/** The shared state of a fleet process; see the file comment. */
export interface FleetContext {
  /** The run folder (serve: reports and run.db; agents: agents.db). */
  readonly dir: string;
  /** The scenario; the service CA part binds the CA root into it. */
  scenario: Scenario;
  readonly tenant: string;
  readonly clock: FleetClock;
  readonly keys: FleetKeys;
  /** The devices this process knows: the whole fleet (run, serve) or one shard (agents). */
  devices: PlannedDevice[];
  /** The tenant directory the service reads user attributes from (run records part). */
  directory?: Map<string, DirectoryEntry>;
  runDb?: RunDb;
  storeDb?: StoreDb;
  ca?: EnterpriseCa;
  broker?: FleetBroker;
  /** The run's SCEP server, when the scenario has SCEP profiles (scep-server.ts). */
  scep?: ServiceScep;
  service?: ServiceSide;
  agents?: AgentHost;
  /** Where the device-side events (offline, online, renewal-deferred) go: run.db, or the agents' log. */
  recordDeviceEvent?: (e: RunEvent) => void;
  /** What the virtual clock waits for besides messages in flight (the service, the connectors). */
  readonly idle: Array<() => Promise<unknown>>;
}

/** A fresh context: nothing started yet. */
export function fleetContext(
  o: Pick<FleetContext, 'dir' | 'scenario' | 'tenant' | 'clock' | 'keys'> & { devices?: PlannedDevice[] },
): FleetContext {
  return { ...o, devices: o.devices ?? [], idle: [] };
}

/**
 * `value`, which an earlier part provides.
 * @throws CertfleetError INTERNAL when it is missing: the command listed its parts in the wrong order.
 */
export function need<T>(value: T | undefined, what: string, part: string): T {
  if (value === undefined) {
    throw new CertfleetError(
      'INTERNAL',
      `The ${part} part needs ${what}, which an earlier part provides: the fleet's parts are out of order.`,
    );
  }
  return value;
}

/**
 * The clock with every `schedule` call recorded in `tasks`, so that a part can cancel the timers it set
 * when it is released (`after` is not recorded: the service, connectors and agents cancel their own).
 */
export function recordingSchedules(clock: FleetClock, tasks: ScheduledTask[]): FleetClock {
  return {
    now: () => clock.now(),
    after: (ms, fn, key) => clock.after(ms, fn, key),
    schedule: (at, fn, key) => {
      const task = clock.schedule(at, fn, key);
      tasks.push(task);
      return task;
    },
  };
}
