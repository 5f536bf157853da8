/**
 * A certificate connector (the Intune Certificate Connector's PKCS role, docs/architecture.md flow step 4): polls the
 * MDM service for pending PKCS requests every `pollIntervalMs` of clock time (30 s by default, as the real
 * connector has polled since 2019), claims a batch under a lease, generates each key pair server-side
 * (RSA, natively on libuv's thread pool, at most `concurrency` at once), commits the lease, has the CA issue
 * the request the service resolved and carried in the work item (issueForRequest: subject per CertStrToName,
 * template rules, PKCS#12 with a password — built by the issuance pool when the run gives one) and reports the result
 * or the CA's denial. Protocol: protocol.ts; the polling, commit and report steps: lease-client.ts (shared with
 * the PFX connector).
 *
 * Each connector has its own Transport (its own MQTT client id, `connector-{n}`). `stop()` drops work in
 * progress at its next step: a request it had claimed goes to another connector when its lease runs out.
 */
import type { Clock } from '../../../protocol/runtime/clock.ts';
import type { Scheduler } from '../../../protocol/runtime/scheduler.ts';
import type { Transport } from '../../../protocol/transport/transport.ts';
import { isCertfleetError } from '../../../pki/errors.ts';
import { createPublicKey, type KeyObject } from 'node:crypto';
import { randomPassword } from '../../../pki/secret-witness.ts';
import { generateKeyPair, type KeyPair } from '../../../pki/index.ts';
import type { KeySource } from '../../../pki/key-factory.ts';
import type { Pkcs12Builder } from '../../../pki/pkcs12-pool.ts';
import type { PkcsKeySize } from '../../../profiles/compile/index.ts';
import { CaDirectory } from '../ca/ca-directory.ts';
import { denial } from '../ca/denials.ts';
import type { EnterpriseCa, Requester } from '../ca/enterprise-ca.ts';
import type { PfxChain } from '../ca/issue-pfx.ts';
import { CONNECTOR_GROUP } from '../ca/template.ts';
import { issueForRequest } from '../compile/issue-for-device.ts';
import { packPfx, pfxKeySize } from '../ca/issue-pfx.ts';
import type { ConnectorKeyJournal } from './key-journal.ts';
import { Limiter } from './limiter.ts';
import { LeasedConnector, type LeasePolling } from './leased-connector.ts';
import type { CertificateWork, IssueResult, WorkLease } from './protocol.ts';

/** Options of {@link CertificateConnector}; its polling settings (leased-connector.ts) are the lease client's. */
export interface CertificateConnectorOptions extends LeasePolling {
  /** Connector id = MQTT client id, e.g. `connector-1`. */
  id: string;
  tenant: string;
  transport: Transport;
  /** The CA, or the CAs, it can reach; a profile is served by the CA it names (ca-directory.ts). */
  ca: EnterpriseCa | CaDirectory;
  clock: Clock & Scheduler;
  /** Key generations running at once (default 4). */
  concurrency?: number;
  /** RSA-2048 keys (a KeyFactory, or the test pool); other sizes are generated natively. Default: native. */
  keys?: KeySource;
  /** Keys of the larger sizes a run or a template asks for (tests: the fixture pool's); default: native. */
  largerKeys?: Partial<Record<3072 | 4096, KeySource>>;
  /** The identity the connector submits as; default its id, member of CertfleetConnectors. */
  requester?: Requester;
  /** Legacy PKCS#12 algorithms (3DES + SHA-1 MAC) for every PFX; default false (AES-256 + SHA-256). */
  legacyPkcs12?: boolean;
  /**
   * The connector's `EnableSidSecurityExtension` registry value (PFXDOC): adds the KB5014754 SID extension to
   * every PKCS certificate, and refuses a request whose user (or Windows device) has no on-premises SID with
   * CONNECTOR_SID_UNAVAILABLE (docs/formats.md §5.3). Default false.
   */
  sidSecurityExtension?: boolean;
  /** What each PKCS#12 carries beside the key (`connectors: {pfxChain}`, docs/formats.md §5.2 "What the PKCS#12 carries"); default `issuing`. */
  pfxChain?: PfxChain;
  /**
   * Builds each PFX (the run's issuance pool, pki/pkcs12-pool.ts: worker threads, results in request
   * order); default: in the coordinator's thread.
   */
  pkcs12?: Pkcs12Builder;
  /**
   * Where it keeps each request's key before it asks the CA (key-journal.ts): with it, a request whose CA
   * answer was lost (the connector killed before its result reached the service) is delivered on its next
   * lease with the certificate the CA issued, never issued again. Without it, nothing is kept.
   */
  keyJournal?: ConnectorKeyJournal;
  /**
   * Called right after the CA issued for a request — with the CA and the request id it recorded (scoped by
   * the key journal) — and before the result is handed back: the fault-injection point of issue 10's
   * tests (simulator/fleet/fault-injection.ts). Only with a key journal (the id is the journal's).
   */
  onCaIssued?: (ca: EnterpriseCa, caRequestId: string) => void;
}

/** How long a held request waits for a certificate manager by default (virtual time) [inferred]. */
const DEFAULT_PENDING_TIMEOUT_MS = 7 * 86_400_000;

/** One certificate connector. */
export class CertificateConnector extends LeasedConnector<CertificateWork> {
  readonly #o: CertificateConnectorOptions;
  readonly #limiter: Limiter;
  #cas: CaDirectory | undefined;

  /** The CAs it can reach (a single CA is wrapped on first use: an idle connector never looks). */
  get #directory(): CaDirectory {
    this.#cas ??= CaDirectory.of(this.#o.ca as EnterpriseCa);
    return this.#cas;
  }

  constructor(options: CertificateConnectorOptions) {
    super(
      {
        id: options.id,
        tenant: options.tenant,
        transport: options.transport,
        clock: options.clock,
        role: 'pkcs',
      },
      options,
    );
    this.#o = options;
    this.#cas = options.ca instanceof CaDirectory ? options.ca : undefined;
    this.#limiter = new Limiter(Math.max(1, options.concurrency ?? 4));
  }

  /** @inheritdoc */
  protected async process(lease: WorkLease<CertificateWork>): Promise<void> {
    const { work } = lease;
    // The CA the profile names: none reachable is the connector's failure, before any key is made. The
    // result is committed like any other (the service accepts results of committed leases only).
    const target = this.#directory.find(work.request.ca, work.request.caName);
    if (!target.ok) {
      return this.client.commitThenReport(lease, {
        ok: false,
        code: target.error.code,
        message: target.error.message,
        native: target.error.details,
      });
    }
    const entry = this.#directory.entryOf(target.ca);
    const policy = entry?.policy ?? 'issue';
    if (policy === 'deny') {
      const e = denial(
        'CA_REQUEST_DENIED',
        `The policy module of ${target.ca.configString} denies every request`,
        `template ${work.request.template}`,
      );
      return this.client.commitThenReport(lease, {
        ok: false,
        code: e.code,
        message: e.message,
        native: e.details,
      });
    }
    // a key kept for this request: an earlier lease got as far as asking the CA (issue 10 point 3) — on a
    // CA that holds requests too, once a certificate manager issued it (#processHeld)
    const kept = this.#o.keyJournal?.find(lease.requestId);
    if (kept !== undefined) return this.#resumeKept(lease, target.ca, kept);
    if (policy === 'hold')
      return this.#processHeld(lease, target.ca, entry?.pendingTimeoutMs ?? DEFAULT_PENDING_TIMEOUT_MS);
    let keyPair: KeyPair;
    try {
      keyPair = await this.#limiter.run(() =>
        this.#key(pfxKeySize(target.ca, work.request.template, work.request.keySize)),
      );
    } catch (e) {
      return this.client.report(lease, {
        ok: false,
        code: 'INTERNAL',
        message: `Key generation failed on ${this.#o.id}: ${(e as Error).message}`,
      });
    }
    if (this.stopped) return this.client.abandon(lease, 'connector stopped');
    if (this.#o.clock.now().getTime() >= Date.parse(lease.leaseUntil)) {
      return this.client.abandon(lease, `lease ${lease.leaseId} ran out before the key was ready`);
    }
    const answer = await this.client.commit(lease);
    if (this.stopped) return this.client.abandon(lease, 'connector stopped');
    if (!answer.ok) return this.client.abandon(lease, `commit refused: ${answer.reason ?? 'unknown'}`);
    // kept (sealed) before the CA is asked: a connector that takes the request over finds it
    this.#o.keyJournal?.keep(lease.requestId, keyPair.privateKey);
    await this.client.report(lease, await this.#issue(lease, target.ca, keyPair));
  }

  /**
   * A request whose key an earlier lease kept (it was killed after it committed): when the CA issued it
   * (its record carries the request id), that certificate is delivered with the kept key; when the CA never
   * answered, it is issued now with that key. Either way one certificate per request.
   */
  async #resumeKept(
    lease: WorkLease<CertificateWork>,
    ca: EnterpriseCa,
    privateKey: KeyObject,
  ): Promise<void> {
    const keyPair: KeyPair = { privateKey, publicKey: createPublicKey(privateKey) };
    const answer = await this.client.commit(lease);
    if (this.stopped) return this.client.abandon(lease, 'connector stopped');
    if (!answer.ok) return this.client.abandon(lease, `commit refused: ${answer.reason ?? 'unknown'}`);
    const prior = ca.issuedForRequest(this.#caRequestId(lease.requestId));
    if (prior === undefined) return this.client.report(lease, await this.#issue(lease, ca, keyPair));
    const password = randomPassword(20, 'pfx-password');
    try {
      const pfx = await packPfx(ca, prior.certificate, keyPair, {
        template: lease.work.request.template,
        password,
        ...(this.#o.legacyPkcs12 === true && { legacy: true }),
        ...(this.#o.pkcs12 !== undefined && { pkcs12: this.#o.pkcs12 }),
        ...(this.#o.pfxChain !== undefined && { chain: this.#o.pfxChain }),
      });
      const c = prior.certificate;
      return this.client.report(lease, {
        ok: true,
        pfx: pfx.toString('base64'),
        password,
        certificate: c.der.toString('base64'),
        serial: c.serialNumber,
        thumbprint: c.sha1Thumbprint,
        notAfter: c.notAfter.toISOString(),
      });
    } catch (e) {
      return this.client.report(lease, {
        ok: false,
        code: isCertfleetError(e) ? e.code : 'INTERNAL',
        message: `The connector ${this.#o.id} could not pack the certificate ${prior.record.serial} the CA had issued for this request: ${(e as Error).message}`,
        ...(isCertfleetError(e) && { native: e.details }),
      });
    }
  }

  /** The id the CA records for `requestId`: scoped to the run by the key journal; none without one. */
  #caRequestId(requestId: string): string {
    return `${this.#o.keyJournal?.scope ?? ''}/${requestId}`;
  }

  /**
   * A CA whose policy module holds requests: the first look submits (the key is made and kept with the held
   * request) and reports it pending; later looks retrieve what a certificate manager decided — issued with
   * the kept key, denied — or give up once the request waited `timeoutMs` of virtual time.
   */
  async #processHeld(lease: WorkLease<CertificateWork>, ca: EnterpriseCa, timeoutMs: number): Promise<void> {
    const { work } = lease;
    const key = `${work.deviceId}/${work.profile}`;
    const now = this.#o.clock.now().getTime();
    let held = this.#directory.held(key);
    if (held === undefined) {
      try {
        const keyPair = await this.#limiter.run(() =>
          this.#key(pfxKeySize(ca, work.request.template, work.request.keySize)),
        );
        held = { state: 'pending', keyPair, since: now, ca };
      } catch (e) {
        return this.client.report(lease, {
          ok: false,
          code: 'INTERNAL',
          message: `Key generation failed on ${this.#o.id}: ${(e as Error).message}`,
        });
      }
    }
    const answer = await this.client.commit(lease);
    if (this.stopped) return this.client.abandon(lease, 'connector stopped');
    if (!answer.ok) return this.client.abandon(lease, `commit refused: ${answer.reason ?? 'unknown'}`);
    this.#directory.hold(key, held);
    if (held.state === 'pending') {
      if (now - held.since >= timeoutMs) {
        this.#directory.release(key);
        return this.client.report(lease, {
          ok: false,
          code: 'CA_REQUEST_PENDING_TIMEOUT',
          message: `${ca.configString} held the request since ${new Date(held.since).toISOString()} and no certificate manager issued or denied it within ${timeoutMs / 86_400_000} days; the connector gave up. Issue or deny pending requests on the CA (certsrv.msc › Pending Requests), or set the CA to issue.`,
        });
      }
      return this.client.report(lease, {
        ok: false,
        pending: true,
        code: 'CA_REQUEST_PENDING',
        message: `${ca.configString} holds the request for a certificate manager (the submission is pending since ${new Date(held.since).toISOString()}); the profile stays pending until the request is issued or denied on the CA.`,
        native: {
          disposition: 'under-submission',
          symbolic: 'CR_DISP_UNDER_SUBMISSION',
          text: 'Taken Under Submission',
        },
      });
    }
    if (held.state === 'deny') {
      this.#directory.release(key);
      const e = denial(
        'CA_REQUEST_DENIED',
        `A certificate manager denied the held request on ${ca.configString}`,
        `template ${work.request.template}`,
      );
      return this.client.report(lease, { ok: false, code: e.code, message: e.message, native: e.details });
    }
    // issued by a manager: its key kept for the request before the held entry goes and the CA is asked, so
    // a kill from here on is resumed by #resumeKept (the CA's certificate delivered, never issued twice)
    this.#o.keyJournal?.keep(lease.requestId, held.keyPair.privateKey);
    this.#directory.release(key);
    await this.client.report(lease, await this.#issue(lease, ca, held.keyPair));
  }

  /** Has `ca` issue the committed request with `keyPair` and packs the result (or the denial). */
  async #issue(lease: WorkLease<CertificateWork>, ca: EnterpriseCa, keyPair: KeyPair): Promise<IssueResult> {
    const { work } = lease;
    // a CSPRNG, never the seeded Random: the seed is public (it is in every report), the password is not
    const password = randomPassword(20, 'pfx-password');
    try {
      const r = await issueForRequest(ca, work.request, {
        requester: this.#o.requester ?? { identity: this.#o.id, groups: [CONNECTOR_GROUP] },
        password,
        now: this.#o.clock.now(),
        keyPair,
        ...(this.#o.legacyPkcs12 === true && { legacy: true }),
        ...(this.#o.pkcs12 !== undefined && { pkcs12: this.#o.pkcs12 }),
        ...(this.#o.sidSecurityExtension === true && { sidSecurityExtension: true }),
        ...(this.#o.pfxChain !== undefined && { pfxChain: this.#o.pfxChain }),
        ...(this.#o.keyJournal !== undefined && { requestId: this.#caRequestId(lease.requestId) }),
      });
      if (r.ok) {
        if (this.#o.keyJournal !== undefined) this.#o.onCaIssued?.(ca, this.#caRequestId(lease.requestId));
        const c = r.issued.certificate;
        return {
          ok: true,
          pfx: r.issued.pfx.toString('base64'),
          password,
          certificate: c.der.toString('base64'),
          serial: c.serialNumber,
          thumbprint: c.sha1Thumbprint,
          notAfter: c.notAfter.toISOString(),
        };
      }
      const native = 'native' in r.outcome ? (r.outcome.native as Record<string, unknown>) : undefined;
      return {
        ok: false,
        code: r.outcome.code,
        message: r.outcome.message,
        ...(native !== undefined && { native }),
      };
    } catch (e) {
      return {
        ok: false,
        code: isCertfleetError(e) ? e.code : 'INTERNAL',
        message: `The connector ${this.#o.id} could not issue: ${(e as Error).message}`,
      };
    }
  }

  /**
   * The connector's one key-generation step (a key pool may serve it): the size the request asks for —
   * RSA-2048 from `keys`, larger sizes from `largerKeys`, when given; natively otherwise.
   */
  async #key(size: PkcsKeySize): Promise<KeyPair> {
    const source = size === 2048 ? this.#o.keys : this.#o.largerKeys?.[size];
    if (source !== undefined) return source.take();
    return generateKeyPair({ kind: 'rsa', size });
  }
}
