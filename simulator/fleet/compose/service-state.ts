/**
 * The saved service state of a coordinated `serve` (issue 10 point 3: a killed `serve` resumes;
 * docs/architecture.md "Faults: the broker, a device, the service"): `service-state.db` opened beside
 * run.db, the service's transport chain built over it, and the checkpoint written at the close of each
 * virtual instant.
 *
 * The chain, from the broker up: the MQTT transport → {@link ReceivingTransport} (each received message
 * kept before the transport acknowledges it) → the coordinator's round gate → {@link CheckpointedTransport}
 * (a handled message's inbox id, changed records and publishes committed in one transaction) → the MDM
 * service. The records a message or an instant changed come from {@link serviceChanges} over one
 * {@link RecordDiff}, so each change is written once.
 *
 * A resumed `serve` (the folder holds an unfinished run and its saved state, run-folder.ts `canResume`)
 * opens the same file: {@link ServiceState.restore} reads the records and counts back into the new service
 * before it starts, {@link ServiceState.engine} gives the coordinator what it needs to go on with the same
 * run id from the saved instant, and {@link ServiceState.resumeMessages} publishes what the killed service
 * had committed and not seen published, then passes on the messages it had kept. A fresh run removes a
 * saved state left in the folder (a run that failed) before it opens its own.
 */
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import type { DeviceCounts, DeviceLedger } from '../../../protocol/transport/device-ledger.ts';
import type { Transport } from '../../../protocol/transport/transport.ts';
import { parseDeviceTopic } from '../../../protocol/wire/topics.ts';
import type { CoordinatorSnapshot } from '../../engine/coordinator.ts';
import type { MdmService } from '../../service/mdm/index.ts';
import { SAVED_STORES } from '../../service/mdm/mdm-service.ts';
import type { ConnectorKeyJournal } from '../../service/connector/key-journal.ts';
import { CheckpointedTransport } from '../checkpointed-transport.ts';
import { connectorKeyJournal } from '../connector-keys.ts';
import { scepJournal } from '../scep-journal.ts';
import { heldRequestJournal } from '../held-requests.ts';
import type { HeldJournal } from '../../service/ca/ca-directory.ts';
import type { ScepJournal } from '../../service/scep/scep-journal.ts';
import { ReceivingTransport } from '../receiving-transport.ts';
import { RecordDiff } from '../record-diff.ts';
import { serviceChanges } from '../service-changes.ts';
import {
  SERVICE_STATE_FILE,
  ServiceCheckpoint,
  type CheckpointPosition,
  type StoreRecord,
} from '../service-checkpoint.ts';
import type { FleetPart } from './fleet-builder.ts';
import type { FleetContext } from './fleet-context.ts';

/** The part's name. */
export const SERVICE_STATE = 'service state';

/** What the coordinator needs of the saved state (see the file comment). */
export interface ServiceState {
  /** The part that opens service-state.db (closed when the part is released). */
  part: FleetPart<FleetContext>;
  /**
   * Builds the chain around the service's MQTT transport; `gate` puts the round gate in it and returns
   * it. For serviceSide's `wrapTransport`.
   */
  wrap(transport: Transport, gate: (below: Transport) => Transport): Transport;
  /** For serviceSide's `onService`: the service whose changes are listed. */
  onService(service: MdmService): void;
  /**
   * Writes the checkpoint of the instant that closed: its position, the counts of `devices` that
   * changed since the last checkpoint (`counts` of the service ledger) and the changed store records.
   */
  saveInstant(
    at: { t: number; instants: number },
    devices: readonly string[],
    counts: (id: string) => DeviceCounts,
    engine?: CoordinatorSnapshot,
  ): { records: number; devices: number };
  /** Saves the coordinator's state when the run starts (before any instant closed). */
  saveEngine(engine: CoordinatorSnapshot): void;
  /** Records that host `host`'s events up to `seq` are in run.db (a resumed coordinator skips them). */
  saveHostEvents(host: string, incarnation: string, seq: number): void;
  /**
   * The coordinator's saved state, each host's last event taken as the one recorded in run.db; undefined
   * when the killed run never started.
   */
  engine(): CoordinatorSnapshot | undefined;
  /**
   * Reads the saved state back (a resumed `serve`): `service` (made, not started) rebuilt from the saved
   * records with its timers armed again, `ledger` given the saved counts, and what was saved taken as
   * saved, so the next checkpoint writes only what changes from here. Returns the saved position (none
   * when no instant closed) and how many timers were armed.
   */
  restore(service: MdmService, ledger: DeviceLedger): { position?: CheckpointPosition; timers: number };
  /** The position of the last checkpoint (after the part started), if one was saved. */
  position(): CheckpointPosition | undefined;
  /**
   * The messages a killed service left (a resume, once the service subscribed through {@link wrap}): its
   * committed outbox entries not confirmed published again, then the messages kept below the gate and not
   * handled passed to the gate again. Returns how many of each.
   */
  resumeMessages(): Promise<{ resent: number; replayed: number }>;
  /** Removes service-state.db once the run is finished (nothing is left to resume); after the part stopped. */
  remove(): void;
  /**
   * The connectors' key journal in service-state.db (connector-keys.ts); usable once the part started.
   * Undefined when the state keeps no checkpoints (so are the two journals below).
   */
  connectorKeys(): ConnectorKeyJournal | undefined;
  /** The SCEP server's journal in service-state.db (scep-journal.ts); usable once the part started. */
  scepJournal(): ScepJournal | undefined;
  /** The journal of the requests the CAs hold (held-requests.ts); usable once the part started. */
  heldRequests(): HeldJournal | undefined;
}

/**
 * The saved state of the run in `ctx.dir`, identified by `digest` and sealed under `secret`; `resume`
 * opens the killed run's, otherwise a state left in the folder is removed first. `tenant` names the
 * device topics the service ledger counts.
 */
export function serviceState(o: {
  digest: string;
  secret: Buffer;
  dir: string;
  tenant: string;
  resume?: boolean;
  /**
   * False: the folder only records that this engine started it (the coordinator's state at the start, so
   * a later `serve` names the engine, run-folder.ts `refuseForeignResume`) and nothing else is saved —
   * no message kept, no checkpoint, no connector key journal: `run --workers`, whose agent hosts die with
   * it, cannot be resumed, and the checkpoints cost its coordinator about a sixth of its CPU. Default true.
   */
  checkpoints?: boolean;
}): ServiceState {
  const keeps = o.checkpoints !== false;
  const diff = new RecordDiff();
  let checkpoint: ServiceCheckpoint | undefined;
  let service: MdmService | undefined;
  let listChanges: (() => StoreRecord[]) | undefined;
  let built: { receiving: ReceivingTransport; checkpointed: CheckpointedTransport } | undefined;
  /** The counts last saved, by device id. */
  const saved = new Map<string, string>();
  const open = (): ServiceCheckpoint => {
    if (!checkpoint) throw new Error('service-state.db is used before its part started');
    return checkpoint;
  };
  const changes = (): StoreRecord[] => {
    if (!service) return [];
    listChanges ??= serviceChanges(service, diff);
    return listChanges();
  };
  return {
    part: {
      name: SERVICE_STATE,
      start(_ctx, teardown) {
        if (!o.resume) removeState(o.dir);
        checkpoint = ServiceCheckpoint.open(o.dir, { digest: o.digest, secret: o.secret });
        teardown.add(() => checkpoint?.close());
      },
    },
    wrap(transport, gate) {
      if (!keeps) return gate(transport);
      const cp = open();
      const receiving = new ReceivingTransport(transport, cp);
      const checkpointed = new CheckpointedTransport(gate(receiving), { checkpoint: cp, changes });
      built = { receiving, checkpointed };
      return checkpointed;
    },
    async resumeMessages() {
      if (!built) throw new Error('the service transport chain is resumed before it was built');
      const resent = await built.checkpointed.resendUnconfirmed();
      const replayed = await built.receiving.replayHeld();
      return { resent, replayed };
    },
    onService(s) {
      service = s;
    },
    saveEngine(engine) {
      open().saveEngine(JSON.stringify(engine));
    },
    saveHostEvents(host, incarnation, seq) {
      if (!keeps) return;
      open().saveHostEvents(host, incarnation, seq);
    },
    engine() {
      const cp = open();
      const text = cp.engine();
      if (text === undefined) return undefined;
      const saved = JSON.parse(text) as CoordinatorSnapshot;
      const recorded = cp.hostEvents();
      for (const h of saved.hosts) {
        const r = recorded.get(h.id);
        if (r?.incarnation === h.incarnation) h.lastEventSeq = Math.max(h.lastEventSeq, r.seq);
      }
      return saved;
    },
    position() {
      return open().position();
    },
    saveInstant(at, devices, counts, engine) {
      if (!keeps) return { records: 0, devices: 0 };
      const ledger: [string, DeviceCounts][] = [];
      for (const id of devices) {
        const c = counts(id);
        const text = `${c.sent}/${c.handled}`;
        if (saved.get(id) === text) continue;
        saved.set(id, text);
        ledger.push([id, c]);
      }
      const records = changes();
      open().checkpoint({
        at: at.t,
        instants: at.instants,
        ledger,
        records,
        ...(engine ? { engine: JSON.stringify(engine) } : {}),
      });
      return { records: records.length, devices: ledger.length };
    },
    restore(s, deviceLedger) {
      const cp = open();
      const stored = new Map(SAVED_STORES.map((store) => [store, cp.records(store)] as const));
      const { timers } = s.restoreState((store) => stored.get(store) ?? new Map());
      for (const [store, records] of stored) diff.seed(store, records);
      const counts = cp.ledger();
      for (const [id, c] of counts) saved.set(id, `${c.sent}/${c.handled}`);
      // the device messages the killed service took in after the checkpoint (handled, or kept below the
      // gate) were counted handled by its ledger then: they are not delivered to this one again
      for (const topic of cp.takenSinceCheckpoint()) {
        const p = parseDeviceTopic(o.tenant, topic);
        if (p?.direction !== 'out') continue;
        const c = counts.get(p.deviceId) ?? { sent: 0, handled: 0 };
        counts.set(p.deviceId, { sent: c.sent, handled: c.handled + 1 });
      }
      deviceLedger.restore(counts);
      service = s;
      const position = cp.position();
      return { ...(position ? { position } : {}), timers };
    },
    remove() {
      removeState(o.dir);
    },
    connectorKeys() {
      return keeps ? connectorKeyJournal(open) : undefined;
    },
    scepJournal() {
      return keeps ? scepJournal(open) : undefined;
    },
    heldRequests() {
      return keeps ? heldRequestJournal(open) : undefined;
    },
  };
}

/** Removes service-state.db (and its WAL files) from run folder `dir`. */
function removeState(dir: string): void {
  const path = join(dir, SERVICE_STATE_FILE);
  for (const f of [path, `${path}-wal`, `${path}-shm`]) rmSync(f, { force: true });
}
