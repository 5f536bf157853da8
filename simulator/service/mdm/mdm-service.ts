/**
 * The MDM service (docs/architecture.md flow steps 3 and 5; issue 5 "Service"): enrols devices (restrictions, then a
 * device-management certificate from the CA), assigns profiles to them, and for each device × profile
 * resolves the request once, has a connector issue the PKCS certificate (through the lease queue), compiles
 * the native payload, publishes it, collects the device's answer, re-sends on no answer with backoff,
 * renews on request, and revokes on retirement or removal.
 *
 * This class is the dispatcher and the lifecycle (start, stop, idle) only. Each message kind has its
 * handler in handlers/ (enroll, status, outcome, renew, checkin; the connectors' poll, commit, result; the
 * administration's retire and remove-assignment), the delivery state machine they share is
 * handlers/delivery.ts, and all state lives in the named stores of stores/ (enrollments, deliveries,
 * certificate requests and leases, revocations, assignments, reports).
 *
 * Everything is passed in (docs/architecture.md house rule 2): the transport, the CA, a clock that is also a scheduler (the
 * fleet's VirtualClock), a seeded Random (payload ids, PKCS#12 salts). No timers of its own, no globals.
 *
 * Wire: it subscribes to `certfleet/{tenant}/device/+/out/#` (protocol/wire/topics.ts) and to the
 * connector protocol's service inbox (../connector/protocol.ts).
 */
import { profileFamilyOf } from '../../../profiles/model/platform.ts';
import { CertfleetError } from '../../../pki/errors.ts';
import { decodeDeviceMessage } from '../../../protocol/wire/device-messages-decode.ts';
import type { DeviceMessage } from '../../../protocol/wire/messages.ts';
import { parseDeviceTopic, tenantRoot } from '../../../protocol/wire/topics.ts';
import type { TransportMessage } from '../../../protocol/transport/transport.ts';
import type { DeviceProfileOutcome, RunEvent } from '../../run-model.ts';
import { connectorTopics, type ToServiceMessage } from '../connector/protocol.ts';
import { checkAssignments, type ProfileAssignment } from './assignment.ts';
import { handleCheckIn } from './handlers/check-in.ts';
import { handleCommit } from './handlers/commit.ts';
import { serviceContext, type ServiceContext } from './handlers/context.ts';
import { handleEnroll } from './handlers/enroll.ts';
import { handleOutcome } from './handlers/outcome.ts';
import { handlePoll } from './handlers/poll.ts';
import { removeAssignment } from './handlers/remove-assignment.ts';
import { handleRenew } from './handlers/renew.ts';
import { handleResult } from './handlers/result.ts';
import { rearmTimer } from './handlers/resume.ts';
import { retireDevice } from './handlers/retire.ts';
import { updateTrustedCertificate } from './handlers/update-trusted.ts';
import { handleStatus } from './handlers/status.ts';
import { ensureMdmDeviceTemplate } from './mdm-device-template.ts';
import type { MdmServiceOptions, ServiceCounters, ServiceDevice } from './service-types.ts';
import { AssignmentStore } from './stores/assignments.ts';
import { CertificateRequestStore } from './stores/certificate-requests.ts';
import { DeliveryStore } from './stores/deliveries.ts';
import { EnrollmentStore } from './stores/enrollments.ts';
import { ReportStore } from './stores/reports.ts';
import { RevocationStore } from './stores/revocations.ts';
import type { SavedRecord } from './stores/saved-records.ts';

/** The stores a checkpoint saves, by the name their records are kept under (issue 10 point 3). */
export const SAVED_STORES = [
  'enrollments',
  'deliveries',
  'requests',
  'revocations',
  'assignments',
  'reports',
  'scep-issued',
] as const;

/** The name of a saved store. */
export type SavedStoreName = (typeof SAVED_STORES)[number];

export type { MdmServiceOptions, PublishedPayload, ServiceCounters, ServiceDevice } from './service-types.ts';

function parseJson(payload: Buffer): unknown {
  try {
    return JSON.parse(payload.toString('utf8')) as unknown;
  } catch {
    return undefined;
  }
}

/** The MDM service of one tenant. */
export class MdmService {
  readonly #ctx: ServiceContext;
  readonly #inFlight = new Set<Promise<unknown>>();
  /** Every assignment the service was made with (a restored delivery may belong to one removed since). */
  readonly #allAssignments: readonly MdmServiceOptions['assignments'][number][];
  #stopped = false;
  #started = false;

  constructor(options: MdmServiceOptions) {
    checkAssignments(options.assignments);
    this.#allAssignments = [...options.assignments];
    this.#ctx = serviceContext(
      options,
      {
        enrollments: new EnrollmentStore(),
        deliveries: new DeliveryStore(options.issued),
        requests: new CertificateRequestStore(),
        revocations: new RevocationStore(),
        assignments: new AssignmentStore(options.assignments),
        reports: new ReportStore(),
      },
      { track: (p) => this.#track(p), stopped: () => this.#stopped },
    );
  }

  /** Adds the management-certificate template to the CA if needed, and subscribes. */
  async start(): Promise<void> {
    const { ca, transport, tenant } = this.#ctx;
    this.#started = true;
    ensureMdmDeviceTemplate(ca);
    await transport.subscribe(`${tenantRoot(tenant)}/device/+/out/#`, (m) => this.#track(this.#onDevice(m)));
    await transport.subscribe(connectorTopics(tenant).serviceInbox, (m) => this.#track(this.#onConnector(m)));
  }

  /** Cancels every retry timer and closes the transport. */
  async stop(): Promise<void> {
    this.#stopped = true;
    for (const d of this.#ctx.deliveries.all()) d.timer?.cancel();
    await this.#ctx.transport.close();
  }

  /** Resolves when every message handler and timer action started so far has finished. */
  async idle(): Promise<void> {
    while (this.#inFlight.size > 0) await Promise.allSettled([...this.#inFlight]);
  }

  // --- state for reports ----------------------------------------------------------------------------------

  /**
   * The current outcome of every device × profile (removed assignments are left out); a device whose
   * enrollment was refused has a failed row, with the refusal's code, for each profile it would have received.
   */
  outcomes(): DeviceProfileOutcome[] {
    return [
      ...[...this.#ctx.deliveries.all()].filter((d) => !d.removed).map((d) => ({ ...d.outcome })),
      ...this.#ctx.enrollments.refusals().map((o) => ({ ...o })),
    ];
  }

  /**
   * Adds an event the run observed outside the service (a connector stopped or started again:
   * fleet/connector-pool.ts) to its event list, which the reports read; no hook sees it.
   */
  note(event: RunEvent): void {
    this.#ctx.reports.record(event);
  }

  /** Every event so far, in order. */
  events(): RunEvent[] {
    return this.#ctx.reports.events();
  }

  /** Devices that asked to enrol. */
  devices(): ServiceDevice[] {
    return this.#ctx.enrollments.devices().map((d) => ({ ...d, tags: [...d.tags] }));
  }

  /** Counters (a copy). */
  counters(): ServiceCounters {
    return this.#ctx.reports.snapshot();
  }

  /** Certificate requests not yet completed by a connector. */
  get pendingRequests(): number {
    return this.#ctx.requests.size;
  }

  /** The last CRL published (DER), if any. */
  latestCrl(): Buffer | undefined {
    return this.#ctx.revocations.latestCrl;
  }

  // --- saved state (issue 10 point 3: a killed serve resumes) ------------------------------------------

  /**
   * Every record of the service's state, by store (stores/saved-records.ts): call it when the service is
   * idle (the close of a virtual instant), so that no handler is half-way.
   */
  saveState(): Record<SavedStoreName, SavedRecord[]> {
    const c = this.#ctx;
    return {
      enrollments: c.enrollments.save(),
      deliveries: c.deliveries.save(),
      requests: c.requests.save(),
      revocations: c.revocations.save(),
      assignments: c.assignments.save(),
      reports: c.reports.save(),
      'scep-issued': c.scep?.issued.save() ?? [],
    };
  }

  /**
   * The records that may have changed since the last call, by store, and whether the listing is partial
   * (dirty sets, issue 10 point 3): the enrolments, deliveries and reports — the stores that grow with
   * the fleet and with every message — list only what was changed or handed out for change since
   * (stores/enrollments.ts, deliveries.ts, reports.ts), so the cost follows what the service touched; the
   * certificate requests (the requests in flight), revocations and assignments list every record. The
   * first call lists everything. Compare a partial listing with RecordDiff.changesOf (a record not
   * listed stayed), a full one with RecordDiff.changes (a record not listed went).
   */
  saveChangedState(): Record<SavedStoreName, { records: SavedRecord[]; partial: boolean }> {
    const c = this.#ctx;
    return {
      enrollments: { records: c.enrollments.saveChanged(), partial: true },
      deliveries: { records: c.deliveries.saveChanged(), partial: true },
      requests: { records: c.requests.save(), partial: false },
      revocations: { records: c.revocations.save(), partial: false },
      assignments: { records: c.assignments.save(), partial: false },
      reports: { records: c.reports.saveChanged(), partial: true },
      // the SCEP connector's reports (one record per device × profile that enrolled over SCEP)
      'scep-issued': { records: c.scep?.issued.save() ?? [], partial: false },
    };
  }

  /**
   * Rebuilds the service's state from {@link saveState}'s records (`read` gives a store's records by key),
   * before {@link start}: enrolments first (the deliveries link to their device records), then the other
   * stores; the deliveries' timers still ahead of the clock are armed again for the instant they fire.
   * Returns how many timers were armed.
   * @throws CertfleetError INTERNAL after start; IO when the records do not fit this service's run.
   */
  restoreState(read: (store: SavedStoreName) => ReadonlyMap<string, Buffer>): { timers: number } {
    if (this.#started)
      throw new CertfleetError(
        'INTERNAL',
        'The service state is restored before the service starts, not after.',
      );
    const c = this.#ctx;
    c.enrollments.restore(read('enrollments'));
    c.assignments.restore(read('assignments'));
    c.requests.restore(read('requests'));
    c.revocations.restore(read('revocations'));
    c.reports.restore(read('reports'));
    const scepIssued = read('scep-issued');
    if (c.scep !== undefined) c.scep.issued.restore(scepIssued);
    else if (scepIssued.size > 0)
      throw new CertfleetError(
        'IO',
        `The saved state holds ${scepIssued.size} SCEP certificate report(s) but this service has no SCEP server: the run cannot be resumed with this scenario.`,
      );
    const armed = c.deliveries.restore(read('deliveries'), {
      device: (id) => c.enrollments.device(id),
      // one name carries one profile per family (a scenario profile for several platforms): the device's
      // (a delivery of another family — a not-applicable row — takes the name's first)
      // — the restored assignments in force first (an uploaded certificate in them), then the removed ones
      assignment: (name, device) => {
        const family = profileFamilyOf(device.platform, device.kind);
        const pick = (list: readonly ProfileAssignment[]): ProfileAssignment | undefined =>
          list.find((a) => a.name === name && a.profile.family === family) ??
          list.find((a) => a.name === name);
        return pick(c.assignments.list()) ?? pick(this.#allAssignments);
      },
    });
    let timers = 0;
    for (const d of armed) if (rearmTimer(c, d)) timers += 1;
    return { timers };
  }

  // --- administration -------------------------------------------------------------------------------------

  /**
   * Retires a device: revokes its PKCS certificates and its management certificate (cessationOfOperation),
   * publishes a CRL, and tells the device to remove each profile it was sent.
   */
  async retireDevice(deviceId: string): Promise<void> {
    await retireDevice(this.#ctx, deviceId);
  }

  /** Removes a profile assignment: revokes its PKCS certificates, publishes a CRL, removes it from devices. */
  async removeAssignment(name: string): Promise<void> {
    await removeAssignment(this.#ctx, name);
  }

  /**
   * Replaces the certificate of the trusted-certificate profile `name` (DER) and sends the changed profile to
   * every enrolled device that has it (handlers/update-trusted.ts); returns how many devices it went to.
   */
  async updateTrustedCertificate(name: string, certificate: Uint8Array): Promise<number> {
    return updateTrustedCertificate(this.#ctx, name, certificate);
  }

  // --- dispatch -------------------------------------------------------------------------------------------

  /** A device message: checks the topic and the body, then hands it to the handler of its kind. */
  async #onDevice(m: TransportMessage): Promise<void> {
    const ctx = this.#ctx;
    const t = parseDeviceTopic(ctx.tenant, m.topic);
    if (!t || t.direction !== 'out' || this.#stopped) return;
    ctx.reports.counters.messagesIn += 1;
    if (t.kind === 'status') {
      if (t.profileId !== undefined) handleStatus(ctx, t.deviceId, t.profileId);
      return;
    }
    if (t.kind !== 'enroll' && t.kind !== 'outcome' && t.kind !== 'renew' && t.kind !== 'checkin') return; // 'inventory' is reserved: the inventory travels inside the enrol request
    let msg: DeviceMessage;
    try {
      msg = decodeDeviceMessage(m.topic, t.kind, t.deviceId, t.profileId, m.payload);
    } catch (e) {
      // a malformed (or hostile) message changes nothing; the run database keeps why (the key path)
      if (!(e instanceof CertfleetError)) throw e;
      ctx.event('invalid-message', `${t.kind}: ${e.message}`, t.deviceId, t.profileId);
      return;
    }
    switch (msg.type) {
      case 'enroll':
        return handleEnroll(ctx, msg);
      case 'outcome':
        return handleOutcome(ctx, msg, msg.profileId);
      case 'renew':
        return handleRenew(ctx, msg, msg.profileId);
      case 'checkin':
        return handleCheckIn(ctx, msg);
    }
  }

  /** A connector message: hands it to the handler of its type. */
  async #onConnector(m: TransportMessage): Promise<void> {
    if (this.#stopped) return;
    const ctx = this.#ctx;
    ctx.reports.counters.messagesIn += 1;
    const msg = parseJson(m.payload) as ToServiceMessage | undefined;
    if (!msg || typeof msg !== 'object' || typeof (msg as { connectorId?: unknown }).connectorId !== 'string')
      return;
    switch (msg.type) {
      case 'poll':
        return handlePoll(ctx, msg);
      case 'commit':
        return handleCommit(ctx, msg);
      case 'result':
        return handleResult(ctx, msg);
      default:
        return;
    }
  }

  #track(p: Promise<void>): Promise<void> {
    this.#inFlight.add(p);
    void p.finally(() => this.#inFlight.delete(p)).catch(() => undefined);
    return p;
  }
}
