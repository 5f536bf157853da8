/**
 * The service side of a fleet, as `certfleet run` and `certfleet serve` both build it: the CA (the
 * scenario's CA folder, or a fresh one made for the run), the MDM service recording into the run database
 * (service-recorder.ts), its certificate connectors (connector-pool.ts), the tenant's PFX connector when it
 * uses imported PKCS (pfx-connectors.ts) and the scenario's actions
 * (scenario-actions.ts) on the process's clock — and, after the run, the {@link RunResult} built from the
 * service's records ({@link buildRunResult}).
 */
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Device } from '../../../agent/device/device.ts';
import { issueWorkersFrom, Pkcs12Pool } from '../../../pki/pkcs12-pool.ts';
import { createRandom } from '../../../protocol/runtime/random.ts';
import type { ScheduledTask } from '../../../protocol/runtime/scheduler.ts';
import type { Transport } from '../../../protocol/transport/transport.ts';
import type { DeviceProfileOutcome, DeviceSummary, RunEvent, RunResult } from '../../run-model.ts';
import {
  absenceCausesOf,
  bindCaRoot,
  evaluateExpectations,
  extraFactsOf,
  needsCaRoot,
  needsCaIssuing,
  bindCaIssuing,
  planConnectors,
  type DevicePlan,
  type Scenario,
} from '../../scenario/index.ts';
import { CaDirectory, type HeldJournal, splitConfigString } from '../../service/ca/ca-directory.ts';
import { EnterpriseCa } from '../../service/ca/enterprise-ca.ts';
import { importScenarioPfx } from './imported-pfx.ts';
import type { CertificateConnector } from '../../service/connector/index.ts';
import type { PfxConnector } from '../../service/connector/pfx-connector.ts';
import type { ConnectorKeyJournal } from '../../service/connector/key-journal.ts';
import { IssuedOnDisk, MdmService } from '../../service/mdm/index.ts';
import { assignmentsOf } from '../assignments.ts';
import { startConnectorPool } from '../connector-pool.ts';
import { needsPfxConnector, startPfxConnectors } from '../pfx-connectors.ts';
import { SERVICE_CLIENT_ID } from '../fleet-secret.ts';
import { crlWriter, scheduleActions } from '../scenario-actions.ts';
import { serviceRecorder } from '../service-recorder.ts';
import { SeededSerials } from './ca-serials.ts';
import type { FleetPart } from './fleet-builder.ts';
import { noteConnectorOutages } from './connector-outages.ts';
import { completeOutcomes, unreachedGate } from './unreached-devices.ts';
import { need, recordingSchedules, type FleetContext } from './fleet-context.ts';

/** The tenant of a fleet run (its topic tree: `certfleet/contoso/…`). */
export const TENANT = 'contoso';

/** The name of the service CA part. */
export const SERVICE_CA = 'service CA';

/** The name of the service side part. */
export const SERVICE_SIDE = 'service side';

/** Maps profile ids in outcomes and events to the scenario's profile names. */
export type ProfileNamer = <T extends { profile?: string }>(x: T) => T;

/** The running service side, as the command reads it after the run. */
export interface ServiceSide {
  service: MdmService;
  /** The connectors running now (a connector in a down window is not in the map). */
  connectors: Map<string, CertificateConnector>;
  /** The PFX connector of each tenant that uses imported PKCS, by tenant (pfx-connectors.ts). */
  pfxConnectors: Map<string, PfxConnector>;
  named: ProfileNamer;
}

/** Options of {@link serviceCa}. */
export interface ServiceCaOptions {
  /** The scenario's CA folder, when the command opened it already (run --tls on Mosquitto reads its dates). */
  opened?: EnterpriseCa;
  /**
   * Encrypt the key files of a fresh CA with this passphrase (ca-key-file.ts). `certfleet run` gives a random
   * one held in memory (nothing reads the run's CA keys after the run); `serve`, which reopens its CA, gives none.
   */
  passphrase?: string;
  /**
   * Reopen the fresh CA the run folder holds (`<run folder>/ca`) instead of making one: a resumed run keeps
   * its root, its keys and its issued log, and its serials continue (ca-serials.ts, {@link reopenFreshCa}).
   */
  resume?: boolean;
}

/**
 * The CA into `ctx.ca`: the scenario's CA folder, or a fresh CA in `<run folder>/ca` made a year before the
 * scenario starts (reopened when resuming); binds the CA root into profiles that name it (`certificate: root`).
 */
export function serviceCa(o: ServiceCaOptions = {}): FleetPart<FleetContext> {
  return {
    name: SERVICE_CA,
    async start(ctx) {
      const { scenario } = ctx;
      const ca =
        o.opened ??
        (scenario.ca.type === 'folder'
          ? EnterpriseCa.open(resolve(scenario.baseDir, scenario.ca.dir))
          : o.resume
            ? reopenFreshCa(join(ctx.dir, 'ca'), scenario, o.passphrase)
            : await freshCa(join(ctx.dir, 'ca'), scenario, new Date(scenario.start), o.passphrase));
      if (needsCaRoot(scenario)) ctx.scenario = bindCaRoot(scenario, ca.root.der);
      if (needsCaIssuing(ctx.scenario)) ctx.scenario = bindCaIssuing(ctx.scenario, ca.issuing.der);
      ctx.ca = ca;
    },
  };
}

/** Options of {@link serviceSide}. */
export interface ServiceSideOptions {
  /** Every event the service and connectors record (also written to the run database). */
  onEvent?: (e: RunEvent) => void;
  /** Each device × profile outcome as the service learns it (the progress bar). */
  onOutcome?: (out: DeviceProfileOutcome) => void;
  /**
   * Wraps the service's MQTT client before the service gets it: the fleet engine's coordinator puts the
   * service's inbox behind a RoundGate (canonical order, protocol/transport/round-gate.ts).
   */
  wrapTransport?: (transport: Transport) => Transport;
  /**
   * Called with the MDM service once it is made, before it starts or anything reaches it: the fleet
   * engine's coordinator lists what a handled message changed (simulator/fleet/service-changes.ts).
   */
  onService?: (service: MdmService) => void;
  /**
   * Where the connectors keep each request's key before they ask the CA (a coordinated serve: its
   * service-state.db, connector-keys.ts), so a request whose answer a kill lost is never issued twice.
   */
  connectorKeys?: ConnectorKeyJournal;
  /**
   * Where the CAs' requests held for a certificate manager are written as they change (a coordinated
   * serve: its service-state.db, held-requests.ts); a resumed run reads them back before the connectors start.
   */
  heldRequests?: HeldJournal;
  /**
   * Called by a connector after the CA issued for a request and before the result is handed back (the
   * fault injection of a coordinated run, simulator/fleet/fault-injection.ts).
   */
  onCaIssued?: (ca: EnterpriseCa, caRequestId: string) => void;
  /**
   * Threads of the issuance pool that builds the connectors' PKCS#12 files (pki/pkcs12-pool.ts); 0 builds
   * them in this thread. Default: CERTFLEET_ISSUE_WORKERS, else one per core.
   */
  issueWorkers?: number;
  /**
   * A resumed run (issue 10 point 3): the CA folders of the scenario's sibling CAs are reopened, not made
   * again, and what ran up to the instant `after()` gives (the last one the killed run closed, none when it
   * closed none) is not run again — the scenario's actions at or before it, the connectors' down windows
   * over by then; a connector down at that instant starts when its window ends.
   */
  resume?: { after: () => number | undefined };
}

/**
 * Starts the MDM service and the connectors over the broker part's clients, recording into the run
 * database, and schedules the scenario's actions; the virtual clock waits for the service, then the
 * connectors, to be idle (`ctx.idle`). The connectors build their PKCS#12 files on the issuance pool,
 * closed when the part is released (after the connectors stop). Needs the run records, the CA and the
 * broker parts.
 */
export function serviceSide(o: ServiceSideOptions = {}): FleetPart<FleetContext> {
  return {
    name: SERVICE_SIDE,
    async start(ctx, teardown) {
      const runDb = need(ctx.runDb, 'the run database', SERVICE_SIDE);
      const ca = need(ctx.ca, 'the CA', SERVICE_SIDE);
      const broker = need(ctx.broker, 'the broker', SERVICE_SIDE);
      const { scenario } = ctx;
      // actions and connector down windows: cancelled when the part is released
      const tasks: ScheduledTask[] = [];
      teardown.add(() => tasks.forEach((t) => t.cancel()));
      const clock = recordingSchedules(ctx.clock, tasks);

      ctx.keys.rsa.prime?.(); // the connectors' keys, made ahead
      // the connectors' PKCS#12 builds, off this thread; released after the connectors (teardown is LIFO)
      const issueWorkers = o.issueWorkers ?? issueWorkersFrom(process.env);
      const pkcs12 = new Pkcs12Pool(issueWorkers === undefined ? {} : { size: issueWorkers });
      teardown.add(() => pkcs12.close());
      const random = createRandom(scenario.seed);
      const { assignments, nameOfId } = assignmentsOf(scenario);
      const named: ProfileNamer = (x) =>
        x.profile === undefined ? x : { ...x, profile: nameOfId.get(x.profile) ?? x.profile };
      // a scenario's importedPfx: the users' PFXs imported as certfleet pfx import does (imported-pfx.ts)
      await importScenarioPfx(ctx, ca, scenario.importedPfx ?? [], ctx.clock.now());
      // the PFX issued to each delivery, on disk until a re-enrolment reads it back (issue 11 point 3);
      // closed (the scratch file deleted) after the service stops: teardown is LIFO
      const issued = IssuedOnDisk.open();
      teardown.add(() => issued.close());
      const service = new MdmService({
        tenant: ctx.tenant,
        transport: await (async () => {
          const t = await broker.connect(SERVICE_CLIENT_ID);
          return o.wrapTransport ? o.wrapTransport(t) : t;
        })(),
        ca,
        clock: ctx.clock,
        random: random.fork('service'),
        assignments,
        ...(ctx.directory ? { directory: ctx.directory } : {}),
        restrictions: scenario.enrollmentRestrictions,
        onCrl: crlWriter(ctx.dir),
        ...(ctx.scep !== undefined && { scep: ctx.scep }),
        issued,
        pkcs12,
        ...serviceRecorder(runDb, named, o.onEvent),
        ...(o.onOutcome ? { onOutcome: o.onOutcome } : {}),
      });
      o.onService?.(service);
      teardown.add(() => service.stop());
      await service.start();

      // the CAs connectors reach, with the scenario's policy module (issue 12 point 2)
      const { host, name } = splitConfigString(ca.configString);
      const timeout = scenario.ca.pendingTimeoutMs;
      const siblings = [];
      for (const [i, a] of (scenario.ca.authorities ?? []).entries()) {
        const dir = join(ctx.dir, `ca-${i + 2}`);
        const sibling =
          o.resume && existsSync(dir)
            ? EnterpriseCa.open(dir) // the killed run's: same key, same issued log
            : await EnterpriseCa.initSibling(dir, ca, {
                now: new Date(scenario.start - 365 * 86_400_000),
                host: a.host,
                name: a.name,
              });
        siblings.push({
          host: a.host,
          name: a.name,
          ca: sibling,
          ...(a.policy !== undefined && { policy: a.policy }),
          ...(timeout !== undefined && { pendingTimeoutMs: timeout }),
        });
      }
      const cas = new CaDirectory(
        [
          {
            host,
            name: name ?? host,
            ca,
            ...(scenario.ca.policy !== undefined && { policy: scenario.ca.policy }),
            ...(timeout !== undefined && { pendingTimeoutMs: timeout }),
          },
          ...siblings,
        ],
        o.heldRequests !== undefined ? { journal: o.heldRequests } : {},
      );
      // a resumed run: the requests the killed run's CAs held, with their keys (none in a fresh one)
      if (o.resume) cas.restoreHeld();
      const after = o.resume?.after();
      const connectors = await startConnectorPool({
        ...(after !== undefined && { after }),
        plans: planConnectors(scenario),
        tenant: ctx.tenant,
        connect: (id) => broker.connect(id),
        ca: cas,
        clock,
        pollIntervalMs: scenario.connectors.pollIntervalMs,
        maxIdlePollIntervalMs: scenario.connectors.maxIdlePollIntervalMs,
        sidSecurityExtension: scenario.connectors.sidSecurityExtension === true,
        ...(scenario.connectors.pfxChain !== undefined && { pfxChain: scenario.connectors.pfxChain }),
        ...(o.connectorKeys !== undefined && { keyJournal: o.connectorKeys }),
        ...(o.onCaIssued !== undefined && { onCaIssued: o.onCaIssued }),
        keys: ctx.keys.rsa,
        pkcs12,
        onEvent: (e) => {
          runDb.recordEvent(e);
          // in the service's event list too, so report.json (and a resumed run's) has the outages
          service.note(e);
          o.onEvent?.(e);
        },
      });

      const idOfName = new Map([...nameOfId].map(([id, name]) => [name, id]));
      const indexOf = new Map(ctx.devices.map((d) => [d.device.id, d.plan.index]));
      scheduleActions({
        ...(after !== undefined && { after }),
        scenario,
        service,
        clock,
        idOfProfile: (name) => idOfName.get(name),
        indexOf: (id) => indexOf.get(id) ?? Number.MAX_SAFE_INTEGER,
        cas,
      });
      teardown.add(() => Promise.all([...connectors.values()].map((c) => c.stop().catch(() => undefined))));
      // the tenant's one PFX connector, holder of the tenant key in the CA folder (imported PKCS)
      const pfxConnectors = needsPfxConnector(scenario)
        ? await startPfxConnectors({
            tenants: [{ tenant: ctx.tenant, dir: ca.dir, seal: ca }],
            connect: (id) => broker.connect(id),
            clock,
            pollIntervalMs: scenario.connectors.pollIntervalMs,
            maxIdlePollIntervalMs: scenario.connectors.maxIdlePollIntervalMs,
          })
        : new Map<string, PfxConnector>();
      teardown.add(() =>
        Promise.all([...pfxConnectors.values()].map((c) => c.stop().catch(() => undefined))),
      );

      ctx.idle.push(
        () => service.idle(),
        () => Promise.all([...connectors.values(), ...pfxConnectors.values()].map((c) => c.idle())),
      );
      ctx.service = { service, connectors, pfxConnectors, named };
    },
  };
}

/** What a run (`certfleet run` or `serve`) hands back: the result, and where its files are. */
export interface FleetRun {
  result: RunResult;
  dir: string;
  dbPath: string;
  /**
   * The fleet engine's count of virtual instants and of waves (steps and probes of the hosts) — an instant
   * where only the service side had work has none (docs/architecture.md "One instant").
   */
  engine?: { instants: number; waves: number };
}

/** What {@link buildRunResult} needs: the scenario, its devices, the service after the run. */
export interface RunResultInput {
  scenario: Scenario;
  devices: { device: Device; plan: DevicePlan }[];
  service: MdmService;
  /** Maps profile ids in outcomes and events to the scenario's profile names. */
  named: ProfileNamer;
  wallSeconds: number;
  /** Virtual end of the run, epoch ms. */
  end: number;
}

/** The {@link RunResult} of a run from the service's records, with the expectations evaluated. */
export function buildRunResult(i: RunResultInput): RunResult {
  const { scenario, service, named, wallSeconds, end } = i;
  const enrolledIds = new Set(
    service
      .devices()
      .filter((d) => d.state === 'enrolled')
      .map((d) => d.id),
  );
  const devicesList: DeviceSummary[] = i.devices.map(({ device, plan }) => ({
    id: device.id,
    index: plan.index,
    platform: device.platform,
    kind: device.enrollmentKind,
    osVersion: device.osVersion,
    model: device.model,
    enrolled: enrolledIds.has(device.id),
    absent: absenceCausesOf(device, plan, scenario.fleet.missing),
  }));
  const counters = service.counters();
  const serviceEvents = service.events().map(named);
  // every planned device gets a row per targeted profile; one never reached says so (issue 10 point 2)
  const outcomes = completeOutcomes({
    scenario,
    devices: i.devices,
    outcomes: noteConnectorOutages(service.outcomes().map(named), planConnectors(scenario), end),
    events: serviceEvents,
    known: new Set(service.devices().map((d) => d.id)),
    enrolled: enrolledIds,
    end,
  });
  const result: RunResult = {
    scenario: scenario.name,
    seed: scenario.seed,
    devices: i.devices.length,
    startedAt: new Date(scenario.start).toISOString(),
    devicesList,
    outcomes: sortOutcomes(outcomes),
    // Events of one virtual instant happen in whatever order the network delivered them; sort them so the
    // same seed gives the same report.
    events: serviceEvents.sort(compareEvents),
    expectations: [],
    ...(scenario.warnings?.length ? { warnings: scenario.warnings.map((w) => ({ ...w })) } : {}),
    metrics: {
      wallSeconds,
      virtualStart: new Date(scenario.start).toISOString(),
      virtualEnd: new Date(end).toISOString(),
      devicesPerSecond: i.devices.length / wallSeconds,
      certificatesIssued: counters.certificatesIssued,
      connectorLoad: counters.connectorLoad,
      messages: counters.messagesIn + counters.messagesOut,
    },
  };
  result.expectations = evaluateExpectations(scenario.expect, result, {
    facts: extraFactsOf(
      i.devices.map((d) => d.device),
      i.devices.map((d) => d.plan),
    ),
  });
  const gate = unreachedGate(scenario.expect, result.expectations, result.outcomes);
  if (gate) result.expectations.push(gate);
  return result;
}

/** A fresh run CA in `dir`, made a year before `now` (the run's virtual start), with the scenario's templates. */
export async function freshCa(
  dir: string,
  scenario: Scenario,
  now: Date,
  passphrase?: string,
): Promise<EnterpriseCa> {
  // The CA is made a year before the run starts, as a tenant's CA would be.
  const ca = await EnterpriseCa.init(dir, {
    now: new Date(now.getTime() - 365 * 86_400_000),
    force: true,
    // serial numbers from the seed: the same run issues the same serials (the keys are fresh anyway)
    random: new SeededSerials(caSerialLabel(scenario)).bytes,
    ...(passphrase !== undefined && { passphrase }),
  });
  if (scenario.ca.type === 'fresh' && scenario.ca.templates.length > 0) {
    ca.configureTemplates({
      templates: scenario.ca.templates,
      published: scenario.ca.templates
        .map((t) => t.name)
        .filter((n) => !(scenario.ca.type === 'fresh' && (scenario.ca.unpublished ?? []).includes(n))),
    });
  }
  return ca;
}

/** The label of a fresh run CA's serial stream (ca-serials.ts). */
export function caSerialLabel(scenario: Pick<Scenario, 'seed'>): string {
  return `${scenario.seed}/ca`;
}

/**
 * Reopens the fresh run CA made by {@link freshCa} in `dir` (a resumed run): the same root, keys and issued
 * log — never made again — and a serial stream that steps over every serial the CA signed, so the next
 * serial is the one the uninterrupted run would have issued and none is issued twice.
 * @throws CertfleetError CA_NOT_FOUND / CA_CORRUPT / CA_PASSPHRASE (EnterpriseCa.open)
 */
export function reopenFreshCa(
  dir: string,
  scenario: Pick<Scenario, 'seed'>,
  passphrase?: string,
): EnterpriseCa {
  const serials = new SeededSerials(caSerialLabel(scenario));
  const ca = EnterpriseCa.open(dir, {
    random: serials.bytes,
    ...(passphrase !== undefined && { passphrase }),
  });
  serials.skip([ca.root.serialNumber, ca.issuing.serialNumber, ...ca.issuedRecords().map((r) => r.serial)]);
  return ca;
}

function compareEvents(a: RunEvent, b: RunEvent): number {
  return (
    a.at.localeCompare(b.at) ||
    (a.device ?? '').localeCompare(b.device ?? '') ||
    (a.profile ?? '').localeCompare(b.profile ?? '') ||
    a.type.localeCompare(b.type) ||
    a.detail.localeCompare(b.detail)
  );
}

function sortOutcomes(outcomes: DeviceProfileOutcome[]): DeviceProfileOutcome[] {
  return outcomes.sort((a, b) =>
    a.device === b.device ? a.profile.localeCompare(b.profile) : a.device.localeCompare(b.device),
  );
}
