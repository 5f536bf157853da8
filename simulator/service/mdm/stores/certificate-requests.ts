/**
 * The certificate-requests store of the MDM service: the queue of PKCS certificate requests with their
 * leases (../certificate-queue.ts holds the lease state machine), which device × profile each request was
 * made for, and which requests were cancelled (a result that arrives for one of those is revoked, so nothing
 * stays valid unseen).
 *
 * Role interfaces in the manner of nanomdm's storage.go (docs/architecture.md "Anchors"): the delivery
 * side uses {@link RequestQueue} (enqueue, cancel), the connector handlers {@link LeaseStore} (claim,
 * commit, complete) and {@link RequestLookup}; {@link CertificateRequestStore} implements all three. Pure
 * bookkeeping: the caller passes `now`.
 */
import type { CertificateWork, WorkLease } from '../../connector/protocol.ts';
import { CertificateQueue, type LeaseRefusal } from '../certificate-queue.ts';

/** The device × profile a request was made for. */
export interface RequestOwner {
  deviceId: string;
  /** The assignment name. */
  profile: string;
}

/** Adds and cancels requests. */
export interface RequestQueue {
  /** Queues `work`; returns its request id (`req-1`, `req-2`, … in enqueue order). */
  enqueue(work: CertificateWork): string;
  /**
   * Cancels a request (device retired, assignment removed): it leaves the queue, is never handed out again,
   * and is remembered as cancelled.
   */
  cancel(requestId: string): void;
}

/** The lease protocol's state (../../connector/protocol.ts). */
export interface LeaseStore {
  /** Claims up to `max` claimable requests for `holder`, oldest first, each leased until `now + leaseMs`. */
  claim(holder: string, max: number, now: Date, leaseMs: number): WorkLease[];
  /** How many times `requestId` was leased (0 when unknown or never claimed). */
  leaseCount(requestId: string): number;
  /** Grants the commit to the current, unexpired lease (see CertificateQueue.commit). */
  commit(requestId: string, leaseId: string, now: Date, commitMs: number): LeaseRefusal | undefined;
  /**
   * Completes the request when `leaseId` holds its commit: it leaves the queue and its owner is forgotten.
   * Otherwise says why the result is ignored.
   */
  complete(
    requestId: string,
    leaseId: string,
  ): { ok: true; work: CertificateWork } | { ok: false; reason: LeaseRefusal };
}

/** Looks requests up. */
export interface RequestLookup {
  /** The device × profile of a request not yet completed (cancelled ones included). */
  owner(requestId: string): RequestOwner | undefined;
  /** True when the request was cancelled. */
  wasCancelled(requestId: string): boolean;
  /** Requests queued, leased or committed. */
  readonly size: number;
}

/** The certificate-requests store. */
export class CertificateRequestStore implements RequestQueue, LeaseStore, RequestLookup {
  readonly #queue = new CertificateQueue();
  readonly #owners = new Map<string, RequestOwner>();
  readonly #cancelled = new Set<string>();

  /** @inheritdoc */
  enqueue(work: CertificateWork): string {
    const requestId = this.#queue.enqueue(work);
    this.#owners.set(requestId, { deviceId: work.deviceId, profile: work.profile });
    return requestId;
  }

  /** @inheritdoc */
  cancel(requestId: string): void {
    this.#queue.cancel(requestId);
    this.#cancelled.add(requestId);
  }

  /** @inheritdoc */
  claim(holder: string, max: number, now: Date, leaseMs: number): WorkLease[] {
    return this.#queue.claim(holder, max, now, leaseMs);
  }

  /** @inheritdoc */
  leaseCount(requestId: string): number {
    return this.#queue.leaseCount(requestId);
  }

  /** @inheritdoc */
  commit(requestId: string, leaseId: string, now: Date, commitMs: number): LeaseRefusal | undefined {
    return this.#queue.commit(requestId, leaseId, now, commitMs);
  }

  /** @inheritdoc */
  complete(
    requestId: string,
    leaseId: string,
  ): { ok: true; work: CertificateWork } | { ok: false; reason: LeaseRefusal } {
    const done = this.#queue.complete(requestId, leaseId);
    if (done.ok) this.#owners.delete(requestId);
    return done;
  }

  /** @inheritdoc */
  owner(requestId: string): RequestOwner | undefined {
    return this.#owners.get(requestId);
  }

  /** @inheritdoc */
  wasCancelled(requestId: string): boolean {
    return this.#cancelled.has(requestId);
  }

  /** @inheritdoc */
  get size(): number {
    return this.#queue.size;
  }
}
