/**
 * The certificate-requests store of the MDM service: the queue of connector requests (PKCS certificates,
 * imported PFXs) with their leases (../certificate-queue.ts holds the lease state machine), which device × profile each request was
 * made for, and which requests were cancelled (a result that arrives for one of those is revoked, so nothing
 * stays valid unseen).
 *
 * Role interfaces in the manner of nanomdm's storage.go (docs/architecture.md "Anchors"): the delivery
 * side uses {@link RequestQueue} (enqueue, cancel), the connector handlers {@link LeaseStore} (claim,
 * commit, complete) and {@link RequestLookup}; {@link CertificateRequestStore} implements all three. Pure
 * bookkeeping: the caller passes `now`.
 */
import type { ConnectorRole, ConnectorWork, WorkLease, WorkOf } from '../../connector/protocol.ts';
import { CertificateQueue, type LeaseRefusal, type QueueEntry } from '../certificate-queue.ts';
import { jsonRecord, mustBeEmpty, readRecord, type SavableStore, type SavedRecord } from './saved-records.ts';

/** The queue's counter record's key (saved-records.ts); the other records are keyed by request id. */
const SEQ_KEY = '#seq';

/** One saved request: its queue entry (absent once cancelled), its owner, whether it was cancelled. */
interface SavedRequest {
  entry?: QueueEntry;
  owner?: RequestOwner;
  cancelled?: true;
}

/** The device × profile a request was made for. */
export interface RequestOwner {
  deviceId: string;
  /** The assignment name. */
  profile: string;
}

/** Adds and cancels requests. */
export interface RequestQueue {
  /** Queues `work`; returns its request id (`req-1`, `req-2`, … in enqueue order). */
  enqueue(work: ConnectorWork): string;
  /**
   * Cancels a request (device retired, assignment removed): it leaves the queue, is never handed out again,
   * and is remembered as cancelled.
   */
  cancel(requestId: string): void;
}

/** The lease protocol's state (../../connector/protocol.ts). */
export interface LeaseStore {
  /**
   * Claims up to `max` claimable requests of `role` (default `pkcs`) for `holder`, oldest first, each leased
   * until `now + leaseMs`.
   */
  claim<R extends ConnectorRole = 'pkcs'>(
    holder: string,
    max: number,
    now: Date,
    leaseMs: number,
    role?: R,
  ): WorkLease<WorkOf<R>>[];
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
  ): { ok: true; work: ConnectorWork } | { ok: false; reason: LeaseRefusal };
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
export class CertificateRequestStore implements RequestQueue, LeaseStore, RequestLookup, SavableStore {
  readonly #queue = new CertificateQueue();
  readonly #owners = new Map<string, RequestOwner>();
  readonly #cancelled = new Set<string>();
  /**
   * Each request's saved record as last made, until the request changes: a serve's checkpoint lists every
   * request at every instant, and while the connectors fall behind a large fleet's enrolments the queue
   * holds thousands (issue 11: 40 of serve's 164 s of CPU at 2,000 devices went to making them again).
   */
  readonly #records = new Map<string, SavedRecord>();

  /** @inheritdoc */
  enqueue(work: ConnectorWork): string {
    const requestId = this.#queue.enqueue(work);
    this.#owners.set(requestId, { deviceId: work.deviceId, profile: work.profile });
    return requestId;
  }

  /** @inheritdoc */
  cancel(requestId: string): void {
    this.#queue.cancel(requestId);
    this.#cancelled.add(requestId);
    this.#records.delete(requestId);
  }

  /** @inheritdoc */
  claim<R extends ConnectorRole = 'pkcs'>(
    holder: string,
    max: number,
    now: Date,
    leaseMs: number,
    role?: R,
  ): WorkLease<WorkOf<R>>[] {
    const leases = this.#queue.claim(holder, max, now, leaseMs, role);
    for (const l of leases) this.#records.delete(l.requestId);
    return leases;
  }

  /** @inheritdoc */
  leaseCount(requestId: string): number {
    return this.#queue.leaseCount(requestId);
  }

  /** @inheritdoc */
  commit(requestId: string, leaseId: string, now: Date, commitMs: number): LeaseRefusal | undefined {
    this.#records.delete(requestId);
    return this.#queue.commit(requestId, leaseId, now, commitMs);
  }

  /** @inheritdoc */
  complete(
    requestId: string,
    leaseId: string,
  ): { ok: true; work: ConnectorWork } | { ok: false; reason: LeaseRefusal } {
    const done = this.#queue.complete(requestId, leaseId);
    if (done.ok) {
      this.#owners.delete(requestId);
      this.#records.delete(requestId);
    }
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

  /**
   * One record per request still known (queued, leased, committed or cancelled, keyed by request id) and
   * the queue's counter, so a resumed run numbers its next request on (saved-records.ts).
   */
  save(): SavedRecord[] {
    const out = [jsonRecord(SEQ_KEY, this.#queue.seq)];
    for (const id of new Set([...this.#queue.ids(), ...this.#owners.keys(), ...this.#cancelled])) {
      let record = this.#records.get(id);
      if (record === undefined) {
        record = jsonRecord(id, this.#saved(id));
        this.#records.set(id, record);
      }
      out.push(record);
    }
    return out;
  }

  /** Request `id` as saved: its queue entry (absent once cancelled), its owner, whether it was cancelled. */
  #saved(id: string): SavedRequest {
    const entry = this.#queue.entry(id);
    const owner = this.#owners.get(id);
    return {
      ...(entry !== undefined ? { entry } : {}),
      ...(owner !== undefined ? { owner } : {}),
      ...(this.#cancelled.has(id) ? { cancelled: true as const } : {}),
    };
  }

  /** Rebuilds the store from {@link save}'s records: the queue in request order, owners, cancellations. */
  restore(records: ReadonlyMap<string, Buffer>): void {
    mustBeEmpty('certificate requests', this.#owners.size + this.#cancelled.size);
    const seqRecord = records.get(SEQ_KEY);
    const seq = seqRecord === undefined ? 0 : readRecord<number>('certificate requests', SEQ_KEY, seqRecord);
    const saved = [...records]
      .filter(([k]) => k !== SEQ_KEY)
      .map(([k, v]) => [k, readRecord<SavedRequest>('certificate requests', k, v)] as const)
      .sort((a, b) => requestNumber(a[0]) - requestNumber(b[0]));
    const entries: QueueEntry[] = [];
    for (const [id, r] of saved) {
      if (r.entry) entries.push(r.entry);
      if (r.owner) this.#owners.set(id, r.owner);
      if (r.cancelled) this.#cancelled.add(id);
    }
    this.#queue.restore({ entries, seq });
  }
}

/** The number of request id `req-N` (the queue's order). */
function requestNumber(id: string): number {
  const n = Number(/^req-(\d+)$/.exec(id)?.[1]);
  return Number.isFinite(n) ? n : Number.MAX_SAFE_INTEGER;
}
