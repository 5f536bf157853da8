/**
 * The service's queue of pending connector requests, with leases (see ../connector/protocol.ts for the
 * protocol around it): PKCS certificate requests for the certificate connectors and imported-PFX requests
 * for the tenant's PFX connector, one queue, each connector claiming only its own role's work. Pure
 * bookkeeping: the caller passes `now`.
 *
 * States of a request: `queued` → (claim) `leased` until leaseUntil → (commit, while the lease holds)
 * `committed` until the commit deadline → (result from the committed lease) done and removed.
 * An expired lease or an expired commit makes the request claimable again, under a new lease id.
 */
import { mustBeEmpty } from './stores/saved-records.ts';
import {
  roleOfWork,
  type ConnectorRole,
  type ConnectorWork,
  type WorkLease,
  type WorkOf,
} from '../connector/protocol.ts';

/** One request of the queue with its lease state (saved as it is by CertificateRequestStore.save, stores/certificate-requests.ts). */
export interface QueueEntry {
  requestId: string;
  work: ConnectorWork;
  state: 'queued' | 'leased' | 'committed';
  leaseId?: string;
  holder?: string;
  until: number;
  leases: number;
}

/** Why a commit or result was refused. */
export type LeaseRefusal = 'unknown-request' | 'lease-moved' | 'lease-expired' | 'not-committed';

/** Pending certificate requests with leases. */
export class CertificateQueue {
  readonly #entries = new Map<string, QueueEntry>();
  #seq = 0;

  /** Adds a request; returns its id (`req-1`, `req-2`, … in enqueue order). */
  enqueue(work: ConnectorWork): string {
    this.#seq += 1;
    const requestId = `req-${this.#seq}`;
    this.#entries.set(requestId, {
      requestId,
      work,
      state: 'queued',
      until: 0,
      leases: 0,
    });
    return requestId;
  }

  /**
   * Claims up to `max` claimable requests (queued, or whose lease/commit ran out) of `role` (default `pkcs`)
   * for `holder`, oldest first, each leased until `now + leaseMs`.
   */
  claim<R extends ConnectorRole = 'pkcs'>(
    holder: string,
    max: number,
    now: Date,
    leaseMs: number,
    role?: R,
  ): WorkLease<WorkOf<R>>[] {
    const t = now.getTime();
    const want: ConnectorRole = role ?? 'pkcs';
    const out: WorkLease<WorkOf<R>>[] = [];
    for (const e of this.#entries.values()) {
      if (out.length >= max) break;
      if (e.state !== 'queued' && e.until > t) continue;
      if (roleOfWork(e.work) !== want) continue;
      e.leases += 1;
      e.state = 'leased';
      e.leaseId = `${e.requestId}.${e.leases}`;
      e.holder = holder;
      e.until = t + leaseMs;
      out.push({
        requestId: e.requestId,
        leaseId: e.leaseId,
        leaseUntil: new Date(e.until).toISOString(),
        work: e.work as WorkOf<R>, // of role `want`, checked above
      });
    }
    return out;
  }

  /** Grants the commit to the current, unexpired lease; the request is then held until `now + commitMs`. */
  commit(requestId: string, leaseId: string, now: Date, commitMs: number): LeaseRefusal | undefined {
    const e = this.#entries.get(requestId);
    if (!e) return 'unknown-request';
    if (e.leaseId !== leaseId) return 'lease-moved';
    if (e.state === 'committed') return undefined; // a repeated commit of the same lease
    if (e.until <= now.getTime()) return 'lease-expired';
    e.state = 'committed';
    e.until = now.getTime() + commitMs;
    return undefined;
  }

  /** Completes the request when `leaseId` holds its commit; returns the work, or why the result is ignored. */
  complete(
    requestId: string,
    leaseId: string,
  ): { ok: true; work: ConnectorWork } | { ok: false; reason: LeaseRefusal } {
    const e = this.#entries.get(requestId);
    if (!e) return { ok: false, reason: 'unknown-request' };
    if (e.leaseId !== leaseId) return { ok: false, reason: 'lease-moved' };
    if (e.state !== 'committed') return { ok: false, reason: 'not-committed' };
    this.#entries.delete(requestId);
    return { ok: true, work: e.work };
  }

  /** Removes a request (device retired, assignment removed); true when it was there. */
  cancel(requestId: string): boolean {
    return this.#entries.delete(requestId);
  }

  /** The work of a pending request. */
  get(requestId: string): ConnectorWork | undefined {
    return this.#entries.get(requestId)?.work;
  }

  /** The last request number given. */
  get seq(): number {
    return this.#seq;
  }

  /** The ids of the requests not yet completed, in queue order. */
  ids(): IterableIterator<string> {
    return this.#entries.keys();
  }

  /** A copy of request `requestId`'s entry, if it is not completed. */
  entry(requestId: string): QueueEntry | undefined {
    const e = this.#entries.get(requestId);
    return e === undefined ? undefined : { ...e };
  }

  /** Rebuilds an empty queue from saved entries and the last request number (a resumed run). */
  restore(saved: { entries: readonly QueueEntry[]; seq: number }): void {
    mustBeEmpty('certificate queue', this.#entries.size + this.#seq);
    for (const e of saved.entries) this.#entries.set(e.requestId, { ...e });
    this.#seq = saved.seq;
  }

  /** Requests not yet completed. */
  get size(): number {
    return this.#entries.size;
  }

  /** How many times `requestId` was leased (0 when unknown or never claimed). */
  leaseCount(requestId: string): number {
    return this.#entries.get(requestId)?.leases ?? 0;
  }
}
