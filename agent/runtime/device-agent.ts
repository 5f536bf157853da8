/**
 * The running device: connects as itself, enrols (inventory + CSR → management certificate), receives
 * native payloads on its inbox, installs them through its platform adapter, answers with the native reply
 * (and the typed outcomes, as certfleet telemetry), and checks in on its interval to renew at the
 * profile's threshold. Everything it knows survives a restart in its StoreDb.
 */
import { createHash, type KeyObject } from 'node:crypto';
import {
  createCsrAsync,
  exportPrivateKeyDer,
  exportPublicKeyDer,
  importPrivateKey,
  parseCertificate,
  publicKeyOf,
  sha1Thumbprint,
  type Certificate,
  type KeyPair,
} from '../../pki/index.ts';
import type { KeySource } from '../../pki/key-factory.ts';
import type { Device } from '../device/device.ts';
import { inventoryOf } from '../device/inventory.ts';
import type { StoreDb } from '../keystore/store-db.ts';
import type { InstallOutcome } from '../../protocol/wire/outcome.ts';
import type { DeviceContext, ManagementIdentity, PlatformAdapter } from '../platform-adapter.ts';
import { isUntrustedInstall, TrustRecheck } from './trust-recheck.ts';
import {
  expiredOf,
  expiredOutcome,
  expiryReported,
  lapsedOutcome,
  markExpiryReported,
  noteLapse,
  replacedOf,
} from '../renewal/expired-outcome.ts';
import { checkRenewals, markRenewalRequested, type RenewalDecision } from '../renewal/renewal.ts';
import type {
  CheckIn,
  EnrollRequest,
  EnrollResponse,
  OutcomeReport,
  RenewRequest,
} from '../../protocol/wire/messages.ts';
import { decodeEnrollResponse } from '../../protocol/wire/device-messages-decode.ts';
import { deviceInbox, deviceOutTopic, enrolledTopic, parseDeviceTopic } from '../../protocol/wire/topics.ts';
import type { Transport, TransportMessage } from '../../protocol/transport/transport.ts';
import type { Clock } from '../../protocol/runtime/clock.ts';
import type { ScheduledTask, Scheduler } from '../../protocol/runtime/scheduler.ts';

/** Where the management identity is kept in the device's store. */
export const MDM_IDENTITY_STORE = 'mdm/identity';
/** Where the enrollment key waits for its certificate. */
const MDM_PENDING_STORE = 'mdm/pending';
const MDM_IDENTITY_REF = 'mdm-enrollment';

/** Options of a {@link DeviceAgent}. */
export interface DeviceAgentOptions {
  device: Device;
  tenant: string;
  db: StoreDb;
  clock: Clock;
  scheduler: Scheduler;
  transport: Transport;
  adapter: PlatformAdapter;
  /** Keys for the management identity (RSA for Windows: PFX passwords are CMS-encrypted to it). */
  keys: KeySource;
  /** Check-in interval in ms of clock time (default 8 h). */
  checkInIntervalMs?: number;
  /** Whether an Apple device is locked right now (default: the device's lock state). */
  isLocked?: () => boolean;
  /** Called when a due renewal waits because the Apple device is locked. */
  onRenewalDeferred?: (decision: RenewalDecision) => void;
  /** A slow device: how long it takes to process each payload (clock time; default 0). */
  answerDelayMs?: number;
  /**
   * TLS mode (`--tls`): the broker takes a password only for enrollment; once the device holds its
   * management certificate it reconnects with it as its TLS client certificate, through this function.
   */
  reconnect?: (identity: ManagementIdentity) => Promise<Transport>;
  /** Called for every typed outcome (the fleet runner's progress). */
  onOutcome?: (o: InstallOutcome) => void;
  /** Called when enrollment is refused. */
  onEnrollRefused?: (code: string, message: string) => void;
  /**
   * Re-sends of the enrol request while no answer came (issue 10 point 3: a lost request or answer must
   * not leave the device unenrolled for ever), on the device's scheduler — clock time, never wall time:
   * the first after `firstMs` (default 15 min), doubling up to `maxMs` (default the check-in interval),
   * for as long as the run lasts. The same key and CSR each time, so any answer is accepted.
   */
  enrolRetry?: { firstMs?: number; maxMs?: number };
}

/** The first re-send of an unanswered enrol request (clock time). */
export const ENROL_RETRY_FIRST_MS = 15 * 60_000;

/** One simulated device at work. */
export class DeviceAgent {
  readonly #o: DeviceAgentOptions;
  /**
   * Whether the device holds its management identity. The identity itself stays in the store (written
   * before this is set) and is read from there when needed: an idle agent holds no parsed certificate
   * and no private key object (some 3 KiB of native memory each; issue 11 point 3).
   */
  #enrolled = false;
  #timer: ScheduledTask | undefined;
  #stopped = false;
  #refused = false;
  #transport: Transport;
  /** The enrol request sent (re-sent as is while no answer comes), and the re-send timer. */
  #enrolRequest: Buffer | undefined;
  #enrolRetry: ScheduledTask | undefined;
  /** Identities installed untrusted, reported again once a CA certificate makes them trusted (issue 12 point 7). */
  readonly #trust = new TrustRecheck();

  constructor(options: DeviceAgentOptions) {
    this.#o = options;
    this.#transport = options.transport;
  }

  get device(): Device {
    return this.#o.device;
  }

  /** True once the device holds its management certificate. */
  get enrolled(): boolean {
    return this.#enrolled;
  }

  /**
   * The context adapters install into. Its identity is read from the store when an adapter first reads
   * it, once per context.
   */
  get context(): DeviceContext {
    const { device, db, clock } = this.#o;
    const background = { scheduler: this.#o.scheduler, checkIn: () => this.checkInNow() };
    if (!this.#enrolled) return { device, db, clock, background };
    const load = (): ManagementIdentity | undefined => this.#loadIdentity();
    let identity: ManagementIdentity | undefined;
    return {
      device,
      db,
      clock,
      background,
      get identity(): ManagementIdentity | undefined {
        return (identity ??= load());
      },
    };
  }

  /**
   * Subscribes to the inbox, then enrols — or, when the store already holds a management identity (a
   * restarted agent), resumes with it and checks in so the service re-sends anything pending.
   */
  async start(): Promise<void> {
    const { tenant, device } = this.#o;
    this.#enrolled = this.#hasIdentity();
    // Before enrollment on a TLS broker the device may read only its enrollment answer.
    const inbox =
      this.#enrolled || !this.#o.reconnect
        ? deviceInbox(tenant, device.id)
        : enrolledTopic(tenant, device.id);
    await this.#transport.subscribe(inbox, (m) => this.#onMessage(m));
    if (this.#enrolled) {
      await this.#checkIn();
      return;
    }
    // The enrollment key is kept in the store before the CSR leaves, as a real device keeps it in its key
    // store: an agent killed before the answer arrives resumes with the same key and accepts that answer.
    const keyPair = this.#loadPendingKey() ?? (await this.#o.keys.take());
    this.#savePendingKey(keyPair);
    this.#pendingKey = keyPair;
    const csr = await createCsrAsync({ subject: `CN=${device.id}`, keyPair });
    const request: EnrollRequest = {
      type: 'enroll',
      deviceId: device.id,
      platform: device.platform,
      kind: device.enrollmentKind,
      osVersion: device.osVersion,
      ownership: device.ownership,
      inventory: inventoryOf(device),
      csr: csr.pem,
    };
    this.#enrolRequest = Buffer.from(JSON.stringify(request), 'utf8');
    this.#scheduleEnrolRetry(1);
    await this.#sendEnrolRequest(this.#enrolRequest);
  }

  /** Publishes the enrol request; a publish the broker did not acknowledge is left to the re-send. */
  async #sendEnrolRequest(request: Buffer): Promise<void> {
    const { tenant, device } = this.#o;
    await this.#transport
      .publish(deviceOutTopic(tenant, device.id, 'enroll'), request)
      .catch(() => undefined);
  }

  /** Re-sends the enrol request `attempt` backoff steps from now unless an answer came (see `enrolRetry`). */
  #scheduleEnrolRetry(attempt: number): void {
    const first = this.#o.enrolRetry?.firstMs ?? ENROL_RETRY_FIRST_MS;
    const max = Math.max(first, this.#o.enrolRetry?.maxMs ?? this.#o.checkInIntervalMs ?? 8 * 3_600_000);
    const wait = Math.min(max, first * 2 ** Math.min(attempt - 1, 30));
    this.#enrolRetry?.cancel();
    this.#enrolRetry = this.#o.scheduler.after(wait, async () => {
      this.#enrolRetry = undefined;
      const request = this.#enrolRequest;
      if (this.#stopped || this.#refused || this.#enrolled || !request) return;
      this.#scheduleEnrolRetry(attempt + 1);
      await this.#sendEnrolRequest(request);
    });
  }

  #pendingKey: KeyPair | undefined;

  /** Stops check-ins and disconnects (the persistent session keeps queuing QoS 1 payloads). */
  async stop(): Promise<void> {
    this.#stopped = true;
    this.#timer?.cancel();
    this.#enrolRetry?.cancel();
    await this.#transport.close();
  }

  async #onMessage(m: TransportMessage): Promise<void> {
    const t = parseDeviceTopic(this.#o.tenant, m.topic);
    if (!t || t.direction !== 'in' || t.deviceId !== this.#o.device.id) return;
    if (t.kind === 'enrolled') return this.#onEnrolled(m.payload);
    if (t.kind === 'remove') {
      const ref = this.#refOfProfile(t.profileId);
      const outcome = ref ? this.#o.adapter.remove(this.context, ref) : undefined;
      if (outcome) await this.#reportOutcomes(t.profileId, [outcome]);
      return;
    }
    // A native payload (a slow device takes its time: the message is acknowledged, the work is scheduled).
    const delay = this.#o.answerDelayMs ?? 0;
    if (delay > 0) {
      this.#o.scheduler.after(delay, () => this.#install(t.profileId, t.threshold, m.payload));
      return;
    }
    await this.#install(t.profileId, t.threshold, m.payload);
  }

  async #install(profileId: string, threshold: number, payload: Buffer): Promise<void> {
    if (this.#stopped) return;
    const t = { profileId, threshold };
    const m = { payload };
    const meta = {
      profileId: t.profileId,
      renewalThreshold: t.threshold,
      commandUuid: uuidFrom(m.payload, this.#o.device.id),
    };
    // the profile's certificates that expired unrenewed, before this payload replaces them (a renewal late);
    // read now: the install rewrites the profile's record, and with it which expiry was reported
    const ref = this.#refOfProfile(t.profileId);
    const expired = ref === undefined ? [] : expiredOf(this.context, ref);
    const reported = new Set(expired.filter((d) => expiryReported(this.context, d)).map((d) => d.thumbprint));
    // awaited inside the message's handler: the ledger counts the message in progress (the host is not
    // idle, the virtual clock does not move) until a network enrolment (SCEP) has answered
    const { adapter } = this.#o;
    const result = adapter.deliverAsync
      ? await adapter.deliverAsync(this.context, m.payload, meta)
      : adapter.deliver(this.context, m.payload, meta);
    if (this.#stopped) return;
    const { tenant, device } = this.#o;
    await this.#transport.publish(deviceOutTopic(tenant, device.id, 'status', t.profileId), result.reply);
    const outcomes = await this.#reportLapses(t.profileId, expired, reported, result.outcomes);
    await this.#reportOutcomes(t.profileId, outcomes);
    await this.#recheckTrust(t.profileId, outcomes);
  }

  /**
   * A renewal that installed after the certificate it replaces expired (`expired`, read before the install;
   * `reported`: the thumbprints a check-in already reported): the expiry nothing reported yet is reported
   * now, once, before the install (`RENEWAL_EXPIRED`, naming the gap without a valid certificate), and the
   * install's message says it in either case. The replaced certificate is gone from the store, so no later
   * check-in sees it again. Returns the install's outcomes to report.
   */
  async #reportLapses(
    profileId: string,
    expired: readonly RenewalDecision[],
    reported: ReadonlySet<string>,
    outcomes: InstallOutcome[],
  ): Promise<InstallOutcome[]> {
    if (expired.length === 0 || !outcomes.some((o) => o.status === 'installed')) return outcomes;
    const replaced = replacedOf(this.context, expired);
    if (replaced.length === 0) return outcomes;
    const at = this.#o.clock.now();
    for (const d of replaced) {
      if (reported.has(d.thumbprint)) continue; // a check-in reported it already
      await this.#reportOutcomes(profileId, [lapsedOutcome(this.#o.device, d, at)]);
    }
    return outcomes.map((o) =>
      o.status === 'installed' ? { ...o, message: noteLapse(o.message, replaced, at) } : o,
    );
  }

  /**
   * Remembers the identities a delivery left untrusted, and after any install reports the ones that became
   * trusted (trust-recheck.ts). Reads the stores only when there is something to remember or to look at.
   */
  async #recheckTrust(profileId: string, outcomes: readonly InstallOutcome[]): Promise<void> {
    const untrusted = outcomes.some(isUntrustedInstall);
    if (!untrusted && (this.#trust.size === 0 || !outcomes.some((o) => o.status === 'installed'))) return;
    const held = this.#o.adapter.held(this.context, 'admin');
    if (untrusted) this.#trust.note(profileId, outcomes, held, (ref) => this.#profileIdOfRef(ref));
    for (const c of this.#trust.recheck(held)) await this.#reportOutcomes(c.profileId, [c.outcome], true);
  }

  async #onEnrolled(payload: Buffer): Promise<void> {
    let msg: EnrollResponse;
    try {
      msg = decodeEnrollResponse(`in/enrolled of ${this.#o.device.id}`, this.#o.device.id, payload);
    } catch {
      return; // not ours to answer: a malformed enrollment answer is ignored, the device retries at check-in
    }
    if (msg.type === 'enroll-refused') {
      this.#refused = true;
      this.#enrolRetry?.cancel();
      this.#enrolRequest = undefined; // refused: never sent again
      this.#o.onEnrollRefused?.(msg.code, msg.message);
      return;
    }
    const certificate = parseCertificate(msg.certificate);
    const { db, device } = this.#o;
    if (this.#enrolled) {
      // A later answer for the same key (the device re-sent its CSR after a restart): the service now knows
      // this certificate as the device's, so the device takes it too; anything else is stale.
      const current = this.#loadIdentity();
      if (
        current &&
        certificate.publicKey.equals(current.certificate.publicKey) &&
        certificate.sha1Thumbprint !== current.certificate.sha1Thumbprint
      ) {
        db.transaction(() => {
          db.removeItems(device.id, { store: MDM_IDENTITY_STORE });
          this.#storeIdentity(certificate, current.privateKey);
        });
      }
      return;
    }
    const key = this.#pendingKey;
    // No request outstanding, or an answer to an earlier request of this device (another key): stale.
    if (!key || !certificate.publicKey.equals(key.publicKey)) return;
    // the identity in and the enrollment key out: one transaction, as a key store swaps them
    db.transaction(() => {
      this.#storeIdentity(certificate, key.privateKey);
      db.removeItems(device.id, { store: MDM_PENDING_STORE });
    });
    this.#enrolled = true;
    this.#enrolRetry?.cancel();
    this.#enrolRetry = undefined;
    this.#enrolRequest = undefined; // answered: never sent again
    this.#pendingKey = undefined;
    const reconnect = this.#o.reconnect;
    if (reconnect) {
      // Reconnect with the management certificate once this handler has returned (its message acknowledged).
      const identity: ManagementIdentity = { certificate, privateKey: key.privateKey };
      this.#o.scheduler.after(0, async () => {
        if (this.#stopped) return;
        await this.#transport.close();
        this.#transport = await reconnect(identity);
        await this.#transport.subscribe(deviceInbox(this.#o.tenant, device.id), (m) => this.#onMessage(m));
        await this.#checkIn();
      });
      return;
    }
    this.#scheduleCheckIn();
  }

  #scheduleCheckIn(): void {
    if (this.#stopped) return;
    this.#timer = this.#o.scheduler.after(this.#o.checkInIntervalMs ?? 8 * 3_600_000, async () => {
      await this.#checkIn();
    });
  }

  /** Checks in now (e.g. the device was just unlocked), besides the regular interval. */
  async checkInNow(): Promise<void> {
    this.#timer?.cancel();
    await this.#checkIn();
  }

  /**
   * Checks in: tells the service it is alive, asks for renewal of what is due, and reports (once per
   * certificate) a certificate that expired before it was renewed.
   */
  async #checkIn(): Promise<void> {
    if (this.#stopped) return;
    const { tenant, device, clock } = this.#o;
    const at = clock.now();
    const checkIn: CheckIn = { type: 'checkin', deviceId: device.id, at: at.toISOString() };
    await this.#publishJson(deviceOutTopic(tenant, device.id, 'checkin'), checkIn);
    const ctx = this.context;
    const apple = device.platform === 'macos' || device.platform === 'ios';
    // the lock state as it is now (checkRenewals applies it to Apple devices only, and gives a deferral its
    // own message: RENEWAL_DEFERRED_LOCKED, "… the device is locked; it renews once unlocked")
    const locked = apple && (this.#o.isLocked?.() ?? device.lockState === 'locked');
    for (const d of checkRenewals(ctx, { locked })) {
      if (d.action === 'expired') {
        await this.#reportExpired(d);
        continue;
      }
      if (d.action === 'deferred-locked') {
        this.#o.onRenewalDeferred?.(d);
        continue;
      }
      if (d.action !== 'renew') continue;
      const profileId = this.#profileIdOfRef(d.ref);
      if (!profileId) continue;
      const req: RenewRequest = {
        type: 'renew',
        deviceId: device.id,
        profileId,
        thumbprint: d.thumbprint,
        notAfter: d.notAfter,
        at: at.toISOString(),
      };
      markRenewalRequested(ctx, d);
      await this.#publishJson(deviceOutTopic(tenant, device.id, 'renew', profileId), req);
    }
    this.#scheduleCheckIn();
  }

  /** Reports an expired, unrenewed certificate as a failed outcome of its profile — once per certificate. */
  async #reportExpired(d: RenewalDecision): Promise<void> {
    const ctx = this.context;
    if (expiryReported(ctx, d)) return;
    const profileId = this.#profileIdOfRef(d.ref);
    if (!profileId) return;
    markExpiryReported(ctx, d);
    await this.#reportOutcomes(profileId, [expiredOutcome(this.#o.device, d)]);
  }

  /** Reports the outcomes of one profile; `trustChange`: only the trust of its identity changed (OutcomeReport). */
  async #reportOutcomes(profileId: string, outcomes: InstallOutcome[], trustChange = false): Promise<void> {
    const { tenant, device, clock } = this.#o;
    for (const o of outcomes) this.#o.onOutcome?.(o);
    const report: OutcomeReport = {
      type: 'outcome',
      deviceId: device.id,
      profileId,
      outcomes,
      at: clock.now().toISOString(),
      ...(trustChange && { trustChange: true }),
    };
    await this.#publishJson(deviceOutTopic(tenant, device.id, 'outcome', profileId), report);
  }

  async #publishJson(topic: string, value: unknown): Promise<void> {
    await this.#transport.publish(topic, Buffer.from(JSON.stringify(value)));
  }

  #storeIdentity(certificate: Certificate, privateKey: KeyObject): void {
    const { db, device, clock } = this.#o;
    db.putItem({
      deviceId: device.id,
      store: MDM_IDENTITY_STORE,
      kind: 'identity',
      ref: MDM_IDENTITY_REF,
      thumbprint: certificate.sha1Thumbprint,
      subject: certificate.subjectText,
      issuer: certificate.issuerText,
      notBefore: certificate.notBefore.toISOString(),
      notAfter: certificate.notAfter.toISOString(),
      certificate: certificate.der,
      privateKey: Buffer.from(exportPrivateKeyDer(privateKey)),
      attrs: { purpose: 'mdm' },
      installedAt: clock.now().toISOString(),
    });
  }

  #loadPendingKey(): KeyPair | undefined {
    const item = this.#o.db.items(this.#o.device.id, { store: MDM_PENDING_STORE })[0];
    if (!item?.privateKey) return undefined;
    const privateKey = importPrivateKey(item.privateKey);
    return { privateKey, publicKey: publicKeyOf(privateKey) };
  }

  #savePendingKey(keyPair: KeyPair): void {
    const { db, device, clock } = this.#o;
    const spki = Buffer.from(exportPublicKeyDer(keyPair.publicKey));
    const at = clock.now().toISOString();
    db.putItem({
      deviceId: device.id,
      store: MDM_PENDING_STORE,
      kind: 'key',
      ref: MDM_IDENTITY_REF,
      thumbprint: sha1Thumbprint(spki),
      subject: `CN=${device.id}`,
      issuer: '',
      notBefore: at,
      notAfter: at,
      certificate: Buffer.alloc(0),
      privateKey: Buffer.from(exportPrivateKeyDer(keyPair.privateKey)),
      attrs: { purpose: 'mdm-enrollment-key' },
      installedAt: at,
    });
  }

  /** Whether the store holds a management identity with its key. */
  #hasIdentity(): boolean {
    const { db, device } = this.#o;
    return Boolean(db.items(device.id, { store: MDM_IDENTITY_STORE, ref: MDM_IDENTITY_REF })[0]?.privateKey);
  }

  #loadIdentity(): ManagementIdentity | undefined {
    const { db, device } = this.#o;
    const item = db.items(device.id, { store: MDM_IDENTITY_STORE, ref: MDM_IDENTITY_REF })[0];
    if (!item?.privateKey) return undefined;
    return { certificate: parseCertificate(item.certificate), privateKey: importPrivateKey(item.privateKey) };
  }

  /** The store ref (PayloadIdentifier / node / GUID) of what `profileId` installed. */
  #refOfProfile(profileId: string): string | undefined {
    return this.#o.db.profiles(this.#o.device.id).find((p) => p.meta.profileId === profileId)?.ref;
  }

  #profileIdOfRef(ref: string): string | undefined {
    const meta = this.#o.db.profile(this.#o.device.id, ref)?.meta;
    return typeof meta?.profileId === 'string' ? meta.profileId : undefined;
  }
}

/** A deterministic CommandUUID for a delivery (same payload to the same device → same UUID). */
function uuidFrom(payload: Buffer, deviceId: string): string {
  const h = createHash('sha256').update(deviceId).update(payload).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`.toUpperCase();
}
