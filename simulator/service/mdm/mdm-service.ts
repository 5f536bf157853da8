/**
 * The MDM service (docs/architecture.md flow steps 3 and 5; issue 5 "Service"): enrols devices (restrictions, then a
 * device-management certificate from the CA), assigns profiles to them, and for each device × profile
 * resolves the variables, has a connector issue the PKCS certificate (through the lease queue), compiles
 * the native payload, publishes it, collects the device's answer, re-sends on no answer with backoff,
 * renews on request, and revokes on retirement or removal.
 *
 * Everything is passed in (docs/architecture.md house rule 2): the transport, the CA, a clock that is also a scheduler (the
 * fleet's VirtualClock), a seeded Random (payload ids, PKCS#12 salts). No timers of its own, no globals.
 *
 * Wire: it subscribes to `certfleet/{tenant}/device/+/out/#` (protocol/wire/topics.ts) and to the
 * connector protocol's service inbox (../connector/protocol.ts).
 */
import { createHash } from 'node:crypto';
import { encryptPfxPasswordForDevice } from '../../../profiles/windows/pfx-password.ts';
import type { Clock } from '../../../protocol/runtime/clock.ts';
import type { Random } from '../../../protocol/runtime/random.ts';
import type { ScheduledTask, Scheduler } from '../../../protocol/runtime/scheduler.ts';
import type {
  CheckIn,
  EnrollRequest,
  EnrollResponse,
  OutcomeReport,
  RenewRequest,
} from '../../../protocol/wire/messages.ts';
import { parseDeviceTopic, payloadTopic, tenantRoot } from '../../../protocol/wire/topics.ts';
import type { Transport, TransportMessage } from '../../../protocol/transport/transport.ts';
import type { InstallOutcome, OutcomeCode } from '../../../protocol/wire/outcome.ts';
import { ERROR_CODES, isCertfleetError, type ErrorCode } from '../../../pki/errors.ts';
import { parseCsr, type Certificate } from '../../../pki/index.ts';
import {
  compileProfile,
  resolveRequest,
  seededIds,
  type CompileOptions,
  type IssuedIdentity,
  type NativePayload,
} from '../../../profiles/compile/index.ts';
import type { EnrollmentKind, Platform } from '../../../profiles/model/platform.ts';
import type { DeviceFacts } from '../../../profiles/variables/facts.ts';
import type { DeviceProfileOutcome, RunEvent } from '../../run-model.ts';
import type { EnterpriseCa, RevocationReason } from '../ca/enterprise-ca.ts';
import {
  connectorTopics,
  type BatchMessage,
  type CommitAnswerMessage,
  type IssueResult,
  type ToServiceMessage,
} from '../connector/protocol.ts';
import { applicableAssignments, checkAssignments, type ProfileAssignment } from './assignment.ts';
import { CertificateQueue } from './certificate-queue.ts';
import type { Directory } from './directory.ts';
import { checkEnrollment, type EnrollmentRestrictions } from './enrollment-restrictions.ts';
import { factsFromInventory } from './facts-from-inventory.ts';
import {
  ensureMdmDeviceTemplate,
  MDM_DEVICE_TEMPLATE,
  MDM_SERVICE_REQUESTER,
} from './mdm-device-template.ts';
import { answerTimeout, DEFAULT_RETRY_POLICY, type RetryPolicy } from './retry-policy.ts';

/** Options of {@link MdmService}. */
export interface MdmServiceOptions {
  tenant: string;
  transport: Transport;
  ca: EnterpriseCa;
  /** Time and deferred work (the fleet's VirtualClock). */
  clock: Clock & Scheduler;
  /** Seeded randomness: payload GUIDs and PKCS#12 salts derive from `random.key`. */
  random: Random;
  assignments: ProfileAssignment[];
  /** Entra ID + Intune device records, by device id (see directory.ts). */
  directory?: Directory;
  restrictions?: EnrollmentRestrictions;
  retry?: Partial<RetryPolicy>;
  /** How long a connector's claim holds (default 5 min). */
  leaseMs?: number;
  /** How long a committed request waits for its result before it is re-queued (default 10 min). */
  commitMs?: number;
  /**
   * Encrypts a Windows PFX password to the device's management certificate (PFXCertPasswordEncryptionType 1).
   * Default: profiles/windows encryptPfxPasswordForDevice (CMS, RSA-OAEP). `false`: send it in clear (type 0).
   */
  encryptPassword?: ((password: string, managementCertificate: Certificate) => string) | false;
  /** Called for each event, as it happens (the fleet runner records them in the run DB). */
  onEvent?: (event: RunEvent) => void;
  /** Called whenever a device × profile outcome changes. */
  onOutcome?: (outcome: DeviceProfileOutcome) => void;
  /** Called with each CRL the service has the CA publish (DER). */
  onCrl?: (crl: Buffer) => void;
  /** Called with the inventory of each device the service enrols (the run DB's inventories table). */
  onInventory?: (r: { device: string; at: string; inventory: unknown }) => void;
  /** Called for each payload the service publishes to a device (the run DB's deliveries table). */
  onDelivery?: (r: PublishedPayload) => void;
}

/** One native payload published to a device, as {@link MdmServiceOptions.onDelivery} reports it. */
export interface PublishedPayload {
  device: string;
  /** The profile id (assignment name). */
  profile: string;
  /** Apple PayloadIdentifier, Windows CSP node LocURI, Android certificate alias/GUID (best effort). */
  payload: string;
  format: string;
  topic: string;
  bytes: number;
  /** 1 for the first publish of a compiled payload, 2, 3… for re-sends of the same bytes. */
  attempt: number;
  at: string;
  /** SHA-256 of the payload bytes, hex. */
  contentHash: string;
}

/** What the service knows about one device. */
export interface ServiceDevice {
  id: string;
  platform: Platform;
  kind: EnrollmentKind;
  osVersion: string;
  ownership: 'corporate' | 'personal';
  state: 'enrolled' | 'refused' | 'retired';
  /** The refusal, when enrollment was refused. */
  refusal?: { code: string; message: string };
  inventory?: unknown;
  facts?: DeviceFacts;
  tags: string[];
  /** Serial of the management certificate. */
  managementSerial?: string;
  enrolledAt?: string;
}

/** Service counters for reports. */
export interface ServiceCounters {
  /** PKCS certificates issued by connectors and accepted by the service. */
  certificatesIssued: number;
  managementCertificates: number;
  renewals: number;
  revocations: number;
  crlsPublished: number;
  messagesIn: number;
  messagesOut: number;
  /** Connector results ignored because their lease had moved on (or the request was cancelled). */
  lateResultsIgnored: number;
  /** Results accepted per connector id. */
  connectorLoad: Record<string, number>;
}

interface IssuedRef {
  serial: string;
  thumbprint: string;
  notAfter: string;
}

interface Delivery {
  device: ServiceDevice;
  assignment: ProfileAssignment;
  outcome: DeviceProfileOutcome;
  requestId?: string;
  reason?: 'initial' | 'renewal';
  /** The certificate the device has installed (PKCS). */
  current?: IssuedRef;
  /** A certificate sent and not yet confirmed. */
  sentCert?: IssuedRef;
  sent?: { topic: string; payload: Buffer; format: string; id: string };
  attempt: number;
  timer?: ScheduledTask;
  awaiting: boolean;
  sends: number;
  removed: boolean;
}

/** The identifier a device matches the payload on (for the run DB; best effort, from the native value or the bytes). */
function payloadIdOf(p: NativePayload): string {
  if (p.format === 'mobileconfig') return p.native.PayloadIdentifier;
  const text = p.bytes.toString('utf8');
  if (p.format === 'syncml') {
    const uri = /<LocURI>(\.\/(?:Device|User)\/Vendor\/MSFT\/[^<]*)<\/LocURI>/.exec(text)?.[1];
    return uri ?? '';
  }
  return /"(?:guid|GUID|alias)"\s*:\s*"([^"]*)"/.exec(text)?.[1] ?? '';
}

const key = (deviceId: string, profile: string): string => `${deviceId}\u0000${profile}`;

function errorCode(code: string): ErrorCode {
  return code in ERROR_CODES ? (code as ErrorCode) : 'INTERNAL';
}

/** The MDM service of one tenant. */
export class MdmService {
  readonly #o: MdmServiceOptions;
  readonly #retry: RetryPolicy;
  readonly #queue = new CertificateQueue();
  readonly #devices = new Map<string, ServiceDevice>();
  readonly #deliveries = new Map<string, Delivery>();
  readonly #byRequest = new Map<string, Delivery>();
  readonly #cancelled = new Set<string>();
  readonly #events: RunEvent[] = [];
  #assignments: ProfileAssignment[];
  #crl: Buffer | undefined;
  #inFlight = new Set<Promise<unknown>>();
  #stopped = false;
  readonly #counters: ServiceCounters = {
    certificatesIssued: 0,
    managementCertificates: 0,
    renewals: 0,
    revocations: 0,
    crlsPublished: 0,
    messagesIn: 0,
    messagesOut: 0,
    lateResultsIgnored: 0,
    connectorLoad: {},
  };

  constructor(options: MdmServiceOptions) {
    checkAssignments(options.assignments);
    this.#o = options;
    this.#retry = { ...DEFAULT_RETRY_POLICY, ...options.retry };
    this.#assignments = [...options.assignments];
  }

  /** Adds the management-certificate template to the CA if needed, and subscribes. */
  async start(): Promise<void> {
    ensureMdmDeviceTemplate(this.#o.ca);
    const { transport, tenant } = this.#o;
    await transport.subscribe(`${tenantRoot(tenant)}/device/+/out/#`, (m) => this.#track(this.#onDevice(m)));
    await transport.subscribe(connectorTopics(tenant).serviceInbox, (m) => this.#track(this.#onConnector(m)));
  }

  /** Cancels every retry timer and closes the transport. */
  async stop(): Promise<void> {
    this.#stopped = true;
    for (const d of this.#deliveries.values()) d.timer?.cancel();
    await this.#o.transport.close();
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
      ...[...this.#deliveries.values()].filter((d) => !d.removed).map((d) => ({ ...d.outcome })),
      ...[...this.#refused.values()].flat().map((o) => ({ ...o })),
    ];
  }

  /** Every event so far, in order. */
  events(): RunEvent[] {
    return [...this.#events];
  }

  /** Devices that asked to enrol. */
  devices(): ServiceDevice[] {
    return [...this.#devices.values()].map((d) => ({ ...d, tags: [...d.tags] }));
  }

  /** Counters (a copy). */
  counters(): ServiceCounters {
    return { ...this.#counters, connectorLoad: { ...this.#counters.connectorLoad } };
  }

  /** Certificate requests not yet completed by a connector. */
  get pendingRequests(): number {
    return this.#queue.size;
  }

  /** The last CRL published (DER), if any. */
  latestCrl(): Buffer | undefined {
    return this.#crl;
  }

  // --- administration -------------------------------------------------------------------------------------

  /**
   * Retires a device: revokes its PKCS certificates and its management certificate (cessationOfOperation),
   * publishes a CRL, and tells the device to remove each profile it was sent.
   */
  async retireDevice(deviceId: string): Promise<void> {
    const device = this.#devices.get(deviceId);
    if (!device || device.state !== 'enrolled') return;
    device.state = 'retired';
    let revoked = 0;
    for (const d of this.#deliveries.values()) {
      if (d.device.id !== deviceId || d.removed) continue;
      revoked += await this.#withdraw(d, 'retired');
    }
    if (
      device.managementSerial !== undefined &&
      this.#revoke(device.managementSerial, 'cessationOfOperation')
    ) {
      revoked += 1;
    }
    if (revoked > 0) this.#publishCrl();
    this.#event('retired', `device retired; ${revoked} certificate(s) revoked`, deviceId);
  }

  /** Removes a profile assignment: revokes its PKCS certificates, publishes a CRL, removes it from devices. */
  async removeAssignment(name: string): Promise<void> {
    if (!this.#assignments.some((a) => a.name === name)) return;
    this.#assignments = this.#assignments.filter((a) => a.name !== name);
    let revoked = 0;
    for (const d of this.#deliveries.values()) {
      if (d.assignment.name !== name || d.removed) continue;
      revoked += await this.#withdraw(d, 'assignment-removed');
      d.removed = true;
    }
    if (revoked > 0) this.#publishCrl();
  }

  // --- device messages ------------------------------------------------------------------------------------

  async #onDevice(m: TransportMessage): Promise<void> {
    const t = parseDeviceTopic(this.#o.tenant, m.topic);
    if (!t || t.direction !== 'out' || this.#stopped) return;
    this.#counters.messagesIn += 1;
    if (t.kind === 'status') {
      if (t.profileId !== undefined) this.#onStatus(t.deviceId, t.profileId);
      return;
    }
    const body = this.#json(m.payload);
    if (body === undefined || typeof body !== 'object' || body === null) {
      this.#event('invalid-message', `${t.kind}: not a JSON object`, t.deviceId, t.profileId);
      return;
    }
    const msg = body as { type?: unknown; deviceId?: unknown };
    if (msg.deviceId !== t.deviceId) {
      this.#event('invalid-message', `${t.kind}: deviceId does not match the topic`, t.deviceId, t.profileId);
      return;
    }
    switch (t.kind) {
      case 'enroll':
        return this.#onEnroll(body as EnrollRequest);
      case 'outcome':
        if (t.profileId !== undefined) return this.#onOutcome(body as OutcomeReport, t.profileId);
        return;
      case 'renew':
        if (t.profileId !== undefined) return this.#onRenew(body as RenewRequest, t.profileId);
        return;
      case 'checkin':
        return this.#onCheckIn(body as CheckIn);
      default:
        return;
    }
  }

  async #onEnroll(req: EnrollRequest): Promise<void> {
    const { ca, clock } = this.#o;
    const id = req.deviceId;
    const previous = this.#devices.get(id);
    if (previous?.state === 'retired') {
      await this.#refuse(
        id,
        'ENROLL_PLATFORM_BLOCKED',
        'This device was retired; it cannot enrol again in this run.',
      );
      return;
    }
    const entry = this.#o.directory?.get(id);
    const device: ServiceDevice = {
      id,
      platform: req.platform,
      kind: req.kind,
      osVersion: req.osVersion,
      ownership: req.ownership,
      state: 'refused',
      inventory: req.inventory,
      tags: [...(entry?.tags ?? [])],
    };
    let facts: DeviceFacts;
    try {
      facts = factsFromInventory(req.platform, req.kind, req.inventory, entry, id);
    } catch (e) {
      if (!isCertfleetError(e)) throw e;
      return this.#refuseDevice(device, e.code, e.message);
    }
    device.facts = facts;
    const limitKey = entry?.limitKey ?? entry?.user?.userPrincipalName;
    const enrolledByUser =
      limitKey === undefined
        ? 0
        : [...this.#devices.values()].filter(
            (d) =>
              d.id !== id &&
              d.state === 'enrolled' &&
              (this.#o.directory?.get(d.id)?.limitKey ??
                this.#o.directory?.get(d.id)?.user?.userPrincipalName) === limitKey,
          ).length;
    const refusal = checkEnrollment(this.#o.restrictions ?? {}, {
      platform: req.platform,
      kind: req.kind,
      osVersion: req.osVersion,
      ownership: req.ownership,
      enrolledByUser,
      hasUser: facts.hasUser,
    });
    if (refusal) return this.#refuseDevice(device, refusal.code, refusal.message);
    let certificate: Certificate;
    try {
      const csr = parseCsr(req.csr);
      certificate = ca.issue({
        template: MDM_DEVICE_TEMPLATE,
        requester: MDM_SERVICE_REQUESTER,
        subject: `CN=${id}`,
        publicKey: csr.publicKey,
        now: clock.now(),
      }).certificate;
    } catch (e) {
      if (!isCertfleetError(e)) throw e;
      return this.#refuseDevice(device, e.code, e.message);
    }
    this.#counters.managementCertificates += 1;
    device.state = 'enrolled';
    device.managementSerial = certificate.serialNumber;
    device.enrolledAt = clock.now().toISOString();
    this.#mgmtCerts.set(id, certificate);
    this.#devices.set(id, device);
    this.#refused.delete(id);
    this.#o.onInventory?.({ device: id, at: device.enrolledAt, inventory: req.inventory });
    const response: EnrollResponse = {
      type: 'enrolled',
      deviceId: id,
      certificate: certificate.pem,
      chain: [ca.issuing.pem, ca.root.pem],
    };
    await this.#publish(this.#deviceTopic(id, 'enrolled'), Buffer.from(JSON.stringify(response)));
    if (previous?.state === 'enrolled') {
      // Re-enrollment (an agent that lost its state): the old management certificate is superseded, and
      // every delivery is sent again (the new identity decrypts Windows passwords).
      if (previous.managementSerial !== undefined && this.#revoke(previous.managementSerial, 'superseded')) {
        this.#publishCrl();
      }
      this.#event('re-enrolled', `management certificate ${certificate.serialNumber}`, id);
      for (const d of this.#deliveries.values()) {
        if (d.device.id !== id || d.removed) continue;
        d.device = device;
        if (d.sent !== undefined && d.outcome.status !== 'failed') await this.#recompileAndSend(d);
      }
      return;
    }
    this.#event(
      'enrolled',
      `management certificate ${certificate.serialNumber} (${req.platform} ${req.kind})`,
      id,
    );
    const target = {
      platform: device.platform,
      kind: device.kind,
      ownership: device.ownership,
      tags: device.tags,
    };
    for (const a of applicableAssignments(this.#assignments, target)) await this.#startDelivery(device, a);
  }

  readonly #mgmtCerts = new Map<string, Certificate>();
  /** Outcome rows of devices whose enrollment was refused (one per profile they would have received). */
  readonly #refused = new Map<string, DeviceProfileOutcome[]>();

  async #refuseDevice(device: ServiceDevice, code: ErrorCode, message: string): Promise<void> {
    device.state = 'refused';
    device.refusal = { code, message };
    if (this.#devices.get(device.id)?.state !== 'enrolled') {
      this.#devices.set(device.id, device);
      // Each profile the device would have received fails with the refusal's code, so that reports and
      // expectations see the refused device × profile rows (nothing is sent).
      const at = this.#now();
      const rows = applicableAssignments(this.#assignments, device).map((a): DeviceProfileOutcome => ({
        device: device.id,
        platform: device.platform,
        kind: device.kind,
        profile: a.name,
        status: 'failed',
        code,
        message,
        renewals: 0,
        at,
      }));
      this.#refused.set(device.id, rows);
      for (const r of rows) this.#o.onOutcome?.({ ...r });
    }
    await this.#refuse(device.id, code, message);
  }

  async #refuse(id: string, code: ErrorCode, message: string): Promise<void> {
    const response: EnrollResponse = { type: 'enroll-refused', deviceId: id, code, message };
    this.#event('enroll-refused', `${code}: ${message}`, id);
    await this.#publish(this.#deviceTopic(id, 'enrolled'), Buffer.from(JSON.stringify(response)));
  }

  #onStatus(deviceId: string, profile: string): void {
    const d = this.#deliveries.get(key(deviceId, profile));
    if (!d || d.removed) return;
    this.#answered(d);
  }

  async #onOutcome(report: OutcomeReport, profile: string): Promise<void> {
    const d = this.#deliveries.get(key(report.deviceId, profile));
    if (!d || d.removed || d.device.state !== 'enrolled' || !Array.isArray(report.outcomes)) return;
    this.#answered(d);
    const outcomes = report.outcomes;
    const failed = outcomes.find((o) => o.status === 'failed');
    const installed = outcomes.filter((o) => o.status === 'installed');
    if (failed) {
      this.#setOutcome(d, 'failed', failed.code, failed.message, failed.native);
      this.#event('failed', `${failed.code}: ${failed.message}`, d.device.id, profile);
      return;
    }
    if (installed.length === 0) {
      const first: InstallOutcome | undefined = outcomes[0];
      if (first) this.#setOutcome(d, 'skipped', first.code, first.message, first.native);
      return;
    }
    const o = installed.find((x) => x.code === 'OK') ?? installed[0]!;
    if (o.code === 'UNCHANGED' && d.outcome.status === 'installed' && d.sentCert === undefined) return; // a duplicate
    const sentCert = d.sentCert;
    if (sentCert !== undefined && sentCert.serial !== d.current?.serial) {
      const replaced = d.current;
      d.current = sentCert;
      if (replaced !== undefined) {
        d.outcome.renewals += 1;
        this.#counters.renewals += 1;
        if (this.#revoke(replaced.serial, 'superseded')) this.#publishCrl();
        this.#event(
          'renewed',
          `certificate ${sentCert.serial} replaces ${replaced.serial} (revoked: superseded)`,
          d.device.id,
          profile,
        );
      }
    }
    d.sentCert = undefined;
    d.reason = undefined;
    this.#setOutcome(d, 'installed', o.code, o.message, o.native);
    this.#event('installed', o.message, d.device.id, profile);
  }

  async #onRenew(req: RenewRequest, profile: string): Promise<void> {
    const d = this.#deliveries.get(key(req.deviceId, profile));
    if (!d || d.removed || d.device.state !== 'enrolled' || d.assignment.profile.kind !== 'pkcs-certificate')
      return;
    if (d.requestId !== undefined || d.sentCert !== undefined) return; // already renewing
    if (d.current !== undefined && typeof req.thumbprint === 'string' && req.thumbprint !== '') {
      if (req.thumbprint.toUpperCase() !== d.current.thumbprint.toUpperCase()) return; // about a replaced certificate
    }
    this.#event(
      'renewal-requested',
      `certificate ${req.thumbprint} ends ${req.notAfter}`,
      d.device.id,
      profile,
    );
    this.#enqueue(d, 'renewal');
  }

  async #onCheckIn(msg: CheckIn): Promise<void> {
    for (const d of this.#deliveries.values()) {
      if (d.device.id !== msg.deviceId || d.removed || d.device.state !== 'enrolled') continue;
      if (d.sent !== undefined && d.awaiting && d.timer === undefined) {
        this.#event(
          'resend',
          'device checked in: re-sending the unanswered payload',
          d.device.id,
          d.assignment.name,
        );
        d.attempt = 0;
        await this.#send(d);
      }
    }
  }

  // --- deliveries -----------------------------------------------------------------------------------------

  async #startDelivery(device: ServiceDevice, assignment: ProfileAssignment): Promise<void> {
    const k = key(device.id, assignment.name);
    const existing = this.#deliveries.get(k);
    if (existing && !existing.removed) return;
    const d: Delivery = {
      device,
      assignment,
      outcome: {
        device: device.id,
        platform: device.platform,
        kind: device.kind,
        profile: assignment.name,
        status: 'pending',
        code: 'DELIVERY_NO_ANSWER',
        message: 'Assigned; not sent yet.',
        renewals: 0,
        at: this.#now(),
      },
      attempt: 0,
      awaiting: false,
      sends: 0,
      removed: false,
    };
    this.#deliveries.set(k, d);
    const facts = device.facts!;
    const profile = assignment.profile;
    if (profile.kind === 'trusted-certificate') {
      await this.#compileAndSend(d);
      return;
    }
    const resolved = resolveRequest(profile, facts);
    if (!resolved.ok) {
      this.#setOutcome(d, 'failed', resolved.outcome.code, resolved.outcome.message);
      this.#event(
        'failed',
        `${resolved.outcome.code}: ${resolved.outcome.message}`,
        device.id,
        assignment.name,
      );
      return;
    }
    this.#enqueue(d, 'initial');
  }

  #enqueue(d: Delivery, reason: 'initial' | 'renewal'): void {
    const profile = d.assignment.profile;
    if (profile.kind !== 'pkcs-certificate') return;
    const requestId = this.#queue.enqueue({
      deviceId: d.device.id,
      profile: d.assignment.name,
      pkcs: profile,
      facts: d.device.facts!,
      reason,
    });
    d.requestId = requestId;
    d.reason = reason;
    this.#byRequest.set(requestId, d);
    if (reason === 'initial')
      this.#setOutcome(
        d,
        'pending',
        'DELIVERY_NO_ANSWER',
        'Waiting for a certificate connector to issue the certificate.',
      );
    this.#event('certificate-requested', `${requestId} (${reason})`, d.device.id, d.assignment.name);
  }

  /** Compiles (trusted: now; PKCS: with `issued`) and sends. */
  async #compileAndSend(d: Delivery, issued?: IssuedIdentity): Promise<void> {
    const { device, assignment } = d;
    d.sends += 1;
    const seed = `${this.#o.random.key}/${device.id}/${assignment.name}/${d.sends}`;
    const salts = this.#o.random.fork(`pkcs12/${device.id}/${assignment.name}/${d.sends}`);
    // The identifiers a device matches on stay the same for one device × profile across re-sends and
    // renewals (Apple PayloadIdentifier, Windows PFXCertInstall {UniqueID}), so a renewed certificate
    // replaces the old one on the device; every other id is fresh per send.
    const stable = seededIds(`${this.#o.random.key}/${device.id}/${assignment.name}`);
    const fresh = seededIds(seed);
    const options: CompileOptions = {
      ids: (purpose) =>
        purpose === 'apple-profile-uuid' || purpose === 'windows-unique-id'
          ? stable(purpose)
          : fresh(purpose),
      ...(issued !== undefined && d.current !== undefined && { replacesInstalled: true }),
      random: (n) => Buffer.from(salts.bytes(n)),
      ...(issued !== undefined && { issued }),
    };
    const encrypt = this.#o.encryptPassword;
    const mgmt = this.#mgmtCerts.get(device.id);
    if (device.platform === 'windows' && encrypt !== false && mgmt !== undefined) {
      options.encryptPassword = (pw) =>
        encrypt === undefined ? encryptPfxPasswordForDevice(pw, mgmt) : encrypt(pw, mgmt);
    }
    let result;
    try {
      result = compileProfile(assignment.profile, device.facts!, options);
    } catch (e) {
      if (!isCertfleetError(e)) throw e;
      this.#setOutcome(d, 'failed', e.code, e.message);
      this.#event('failed', `${e.code}: ${e.message}`, device.id, assignment.name);
      return;
    }
    if (!result.ok) {
      this.#setOutcome(d, 'failed', result.outcome.code, result.outcome.message);
      this.#event('failed', `${result.outcome.code}: ${result.outcome.message}`, device.id, assignment.name);
      return;
    }
    const profile = assignment.profile;
    const threshold = profile.kind === 'pkcs-certificate' ? profile.renewalThresholdPercentage : 0;
    d.sent = {
      format: result.payload.format,
      id: payloadIdOf(result.payload),
      topic: payloadTopic({
        tenant: this.#o.tenant,
        deviceId: device.id,
        format: result.payload.format,
        profileId: assignment.name,
        threshold,
      }),
      payload: result.payload.bytes,
    };
    d.attempt = 0;
    d.timer?.cancel();
    await this.#send(d);
  }

  #lastIssued = new Map<Delivery, IssuedIdentity>();

  async #recompileAndSend(d: Delivery): Promise<void> {
    const issued = this.#lastIssued.get(d);
    await this.#compileAndSend(d, issued);
  }

  async #send(d: Delivery): Promise<void> {
    if (!d.sent || this.#stopped) return;
    d.attempt += 1;
    d.awaiting = true;
    const attempt = d.attempt;
    const wait = answerTimeout(this.#retry, attempt);
    d.timer = this.#o.clock.after(wait, () => this.#track(this.#noAnswer(d, attempt)));
    if (d.reason !== 'renewal' || d.outcome.status !== 'installed') {
      this.#setOutcome(
        d,
        'pending',
        'DELIVERY_NO_ANSWER',
        `Sent (attempt ${attempt} of ${this.#retry.maxAttempts}); waiting for the device's answer.`,
      );
    }
    this.#event(
      attempt === 1 ? 'delivered' : 'retry',
      `attempt ${attempt}: ${d.sent.topic}`,
      d.device.id,
      d.assignment.name,
    );
    this.#o.onDelivery?.({
      device: d.device.id,
      profile: d.assignment.name,
      payload: d.sent.id,
      format: d.sent.format,
      topic: d.sent.topic,
      bytes: d.sent.payload.length,
      attempt,
      at: this.#now(),
      contentHash: createHash('sha256').update(d.sent.payload).digest('hex'),
    });
    await this.#publish(d.sent.topic, d.sent.payload);
  }

  async #noAnswer(d: Delivery, attempt: number): Promise<void> {
    if (d.attempt !== attempt || !d.awaiting || d.removed) return;
    d.timer = undefined;
    if (attempt < this.#retry.maxAttempts) {
      await this.#send(d);
      return;
    }
    const message = `The device did not answer after ${attempt} sends (backoff up to ${Math.round(answerTimeout(this.#retry, attempt) / 60_000)} min); it stays pending until it checks in.`;
    if (d.reason !== 'renewal' || d.outcome.status !== 'installed') {
      this.#setOutcome(d, 'pending', 'DELIVERY_NO_ANSWER', message);
    }
    this.#event('no-answer', message, d.device.id, d.assignment.name);
  }

  #answered(d: Delivery): void {
    d.awaiting = false;
    d.timer?.cancel();
    d.timer = undefined;
  }

  /** Stops a delivery: cancels its timer and request, revokes its certificates, tells the device. */
  async #withdraw(d: Delivery, why: 'retired' | 'assignment-removed'): Promise<number> {
    d.timer?.cancel();
    d.timer = undefined;
    d.awaiting = false;
    if (d.requestId !== undefined) {
      this.#queue.cancel(d.requestId);
      this.#cancelled.add(d.requestId);
      d.requestId = undefined;
    }
    let revoked = 0;
    for (const c of [d.current, d.sentCert]) {
      if (c !== undefined && this.#revoke(c.serial, 'cessationOfOperation')) revoked += 1;
    }
    if (d.sent !== undefined) {
      await this.#publish(this.#deviceTopic(d.device.id, `remove/${d.assignment.name}`), Buffer.alloc(0));
    }
    this.#event(
      'removed',
      `${why}: profile removed, ${revoked} certificate(s) revoked`,
      d.device.id,
      d.assignment.name,
    );
    return revoked;
  }

  // --- connectors -----------------------------------------------------------------------------------------

  async #onConnector(m: TransportMessage): Promise<void> {
    if (this.#stopped) return;
    this.#counters.messagesIn += 1;
    const msg = this.#json(m.payload) as ToServiceMessage | undefined;
    if (!msg || typeof msg !== 'object' || typeof (msg as { connectorId?: unknown }).connectorId !== 'string')
      return;
    const topics = connectorTopics(this.#o.tenant);
    const now = this.#o.clock.now();
    switch (msg.type) {
      case 'poll': {
        const max = Math.max(0, Math.min(100, Math.floor(Number(msg.max) || 0)));
        const leases = this.#queue.claim(msg.connectorId, max, now, this.#o.leaseMs ?? 5 * 60_000);
        for (const l of leases) {
          const d = this.#byRequest.get(l.requestId);
          if (this.#queue.leaseCount(l.requestId) > 1) {
            this.#event(
              'lease-expired',
              `${l.requestId} re-leased to ${msg.connectorId} as ${l.leaseId}`,
              d?.device.id,
              d?.assignment.name,
            );
          }
        }
        const batch: BatchMessage = { type: 'batch', pollId: String(msg.pollId), leases };
        await this.#publish(topics.batch(msg.connectorId), Buffer.from(JSON.stringify(batch)));
        return;
      }
      case 'commit': {
        const refusal = this.#queue.commit(msg.requestId, msg.leaseId, now, this.#o.commitMs ?? 10 * 60_000);
        const answer: CommitAnswerMessage = {
          type: 'commit-answer',
          requestId: msg.requestId,
          leaseId: msg.leaseId,
          ok: refusal === undefined,
          ...(refusal !== undefined && { reason: refusal }),
        };
        await this.#publish(topics.commitAnswer(msg.connectorId), Buffer.from(JSON.stringify(answer)));
        return;
      }
      case 'result':
        return this.#onResult(msg.connectorId, msg.requestId, msg.leaseId, msg.result);
      default:
        return;
    }
  }

  async #onResult(
    connectorId: string,
    requestId: string,
    leaseId: string,
    result: IssueResult,
  ): Promise<void> {
    const done = this.#queue.complete(requestId, leaseId);
    if (!done.ok) {
      this.#counters.lateResultsIgnored += 1;
      const d = this.#byRequest.get(requestId);
      // A certificate issued for a request that was cancelled meanwhile is revoked, so nothing stays valid unseen.
      if (
        result.ok &&
        this.#cancelled.has(requestId) &&
        this.#revoke(result.serial, 'cessationOfOperation')
      ) {
        this.#publishCrl();
      }
      this.#event(
        'late-result-ignored',
        `${requestId} from ${connectorId} (${leaseId}): ${done.reason}`,
        d?.device.id,
        d?.assignment.name,
      );
      return;
    }
    const load = this.#counters.connectorLoad;
    load[connectorId] = (load[connectorId] ?? 0) + 1;
    const d = this.#byRequest.get(requestId);
    this.#byRequest.delete(requestId);
    if (!d || d.requestId !== requestId) return;
    d.requestId = undefined;
    if (!result.ok) {
      const code = errorCode(result.code);
      this.#setOutcome(d, 'failed', code, result.message, result.native);
      this.#event('failed', `${code}: ${result.message}`, d.device.id, d.assignment.name);
      d.reason = undefined;
      return;
    }
    this.#counters.certificatesIssued += 1;
    d.sentCert = { serial: result.serial, thumbprint: result.thumbprint, notAfter: result.notAfter };
    this.#event(
      'issued',
      `certificate ${result.serial} by ${connectorId} (${d.reason ?? 'initial'})`,
      d.device.id,
      d.assignment.name,
    );
    const issued: IssuedIdentity = {
      pfx: Buffer.from(result.pfx, 'base64'),
      password: result.password,
      certificateDer: Buffer.from(result.certificate, 'base64'),
    };
    this.#lastIssued.set(d, issued);
    await this.#compileAndSend(d, issued);
  }

  // --- helpers --------------------------------------------------------------------------------------------

  #revoke(serial: string, reason: RevocationReason): boolean {
    try {
      this.#o.ca.revoke(serial, reason, this.#o.clock.now());
    } catch (e) {
      if (isCertfleetError(e, 'CA_ALREADY_REVOKED') || isCertfleetError(e, 'CA_SERIAL_NOT_FOUND'))
        return false;
      throw e;
    }
    this.#counters.revocations += 1;
    this.#event('revoked', `certificate ${serial} (${reason})`);
    return true;
  }

  #publishCrl(): void {
    this.#crl = this.#o.ca.publishCrl(this.#o.clock.now());
    this.#counters.crlsPublished += 1;
    this.#event('crl-published', `${this.#crl.length} bytes`);
    this.#o.onCrl?.(this.#crl);
  }

  #setOutcome(
    d: Delivery,
    status: DeviceProfileOutcome['status'],
    code: OutcomeCode,
    message: string,
    native?: unknown,
  ): void {
    d.outcome = {
      ...d.outcome,
      status,
      code,
      message,
      ...(native !== undefined ? { native } : {}),
      at: this.#now(),
    };
    if (native === undefined) delete d.outcome.native;
    this.#o.onOutcome?.({ ...d.outcome });
  }

  #event(type: string, detail: string, device?: string, profile?: string): void {
    const e: RunEvent = {
      at: this.#now(),
      ...(device !== undefined && { device }),
      ...(profile !== undefined && { profile }),
      type,
      detail,
    };
    this.#events.push(e);
    this.#o.onEvent?.(e);
  }

  #deviceTopic(deviceId: string, rest: string): string {
    return `${tenantRoot(this.#o.tenant)}/device/${deviceId}/in/${rest}`;
  }

  async #publish(topic: string, payload: Buffer): Promise<void> {
    this.#counters.messagesOut += 1;
    await this.#o.transport.publish(topic, payload);
  }

  #json(payload: Buffer): unknown {
    try {
      return JSON.parse(payload.toString('utf8')) as unknown;
    } catch {
      return undefined;
    }
  }

  #now(): string {
    return this.#o.clock.now().toISOString();
  }

  #track(p: Promise<void>): Promise<void> {
    this.#inFlight.add(p);
    void p.finally(() => this.#inFlight.delete(p)).catch(() => undefined);
    return p;
  }
}
