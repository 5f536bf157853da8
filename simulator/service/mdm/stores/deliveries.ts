/**
 * The deliveries store of the MDM service: the state of each device × profile assignment — its outcome,
 * the request resolved for it, the certificate request in flight, the certificate the device holds and the
 * one sent to replace it, the identity last issued (to re-send after a re-enrolment), the payload sent and
 * its re-send timer.
 *
 * Role interfaces in the manner of nanomdm's storage.go (docs/architecture.md "Anchors"):
 * {@link DeliveryReader} and {@link DeliveryWriter}; {@link DeliveryStore} implements both. A delivery is
 * keyed by device id and assignment name; every listing keeps the order in which the keys were first
 * added (a delivery started again after its assignment was removed keeps its place), which is the order
 * the service walks them in.
 */
import type { ScheduledTask } from '../../../../protocol/runtime/scheduler.ts';
import type { CertificateRequestSpec, IssuedIdentity } from '../../../../profiles/compile/index.ts';
import type { DeviceProfileOutcome } from '../../../run-model.ts';
import type { ProfileAssignment } from '../assignment.ts';
import type { ServiceDevice } from '../service-types.ts';
import { CertfleetError } from '../../../../pki/errors.ts';
import { ownBytes } from '../../../../pki/own-bytes.ts';
import { IssuedInMemory, type IssuedIdentities } from './issued-identities.ts';
import { inSavedOrder, jsonRecord, mustBeEmpty, type SavedRecord } from './saved-records.ts';

/** A certificate the service issued for a delivery, by the fields it matches renewals and revocations on. */
export interface IssuedRef {
  serial: string;
  thumbprint: string;
  notAfter: string;
}

/** A compiled payload as it was published (re-sends publish the same bytes). */
export interface SentPayload {
  topic: string;
  /**
   * The bytes, while the delivery awaits the device's answer (re-sends); dropped once it answered
   * (handlers/delivery.ts `answered`).
   */
  payload?: Buffer;
  format: string;
  /** The identifier the device matches the payload on (see mdm-service's onDelivery). */
  id: string;
}

/** The state of one device × profile. */
export interface Delivery {
  device: ServiceDevice;
  assignment: ProfileAssignment;
  outcome: DeviceProfileOutcome;
  /**
   * PKCS: the request resolved for this device when the delivery started (resolveRequest), carried in each
   * certificate work item and into compilation; cleared when the device re-enrols (new facts).
   */
  request?: CertificateRequestSpec;
  /** The certificate request waiting for a connector. */
  requestId?: string;
  reason?: 'initial' | 'renewal';
  /** The certificate the device has installed (PKCS). */
  current?: IssuedRef;
  /** A certificate sent and not yet confirmed. */
  sentCert?: IssuedRef;
  /**
   * The identity last issued for this delivery (compiled again when the device re-enrols). On a stored
   * delivery it is not held by the object: the store keeps it on its shelf (issued-identities.ts) and
   * reading or writing the property goes there.
   */
  issued?: IssuedIdentity;
  sent?: SentPayload;
  attempt: number;
  timer?: ScheduledTask;
  /**
   * When the timer last armed fires (epoch ms, virtual): a resumed service arms it again for that instant
   * (handlers/resume.ts) when it is still ahead.
   */
  timerAt?: number;
  awaiting: boolean;
  sends: number;
  removed: boolean;
}

/**
 * Looks deliveries up. The listings are live, like a Map's iterators: a delivery added while a caller walks
 * one (another message handled while it awaits) is still visited.
 */
export interface DeliveryReader {
  /** The delivery of `deviceId` × `profile` (removed ones included). */
  get(deviceId: string, profile: string): Delivery | undefined;
  /** Every delivery, removed ones included. */
  all(): IterableIterator<Delivery>;
  /** The deliveries of one device, removed ones included. */
  ofDevice(deviceId: string): IterableIterator<Delivery>;
  /** The deliveries of one assignment, removed ones included. */
  ofAssignment(name: string): IterableIterator<Delivery>;
}

/** Adds deliveries. */
export interface DeliveryWriter {
  /**
   * Records `d` under its device × profile, replacing a delivery there (one that was removed), and
   * returns the delivery as stored — a shallow copy of `d`, which is left as it was: change that one (and
   * not `d`), so the change is kept and marked for saving.
   */
  put(d: Delivery): Delivery;
}

const key = (deviceId: string, profile: string): string => `${deviceId}\u0000${profile}`;

/** An empty listing (a device or an assignment with no delivery yet). */
const NONE: ReadonlyMap<string, Delivery> = new Map();

/** The map of `index` under `name`, made empty on first use. */
function indexed(index: Map<string, Map<string, Delivery>>, name: string): Map<string, Delivery> {
  let m = index.get(name);
  if (m === undefined) {
    m = new Map();
    index.set(name, m);
  }
  return m;
}

/**
 * The delivery as stored: a Proxy that marks its key changed (issue 10 point 3, dirty sets) on every
 * write or removal of a property, and on every read of one holding an object other than a Buffer (a
 * caller may change it in place, as `d.outcome.renewals += 1` does). Whoever holds the delivery — a
 * handler, a timer armed long before — marks it, so {@link DeliveryStore.saveChanged} misses no change;
 * a read marks more than changed, which costs a comparison, never a wrong record. Not marked: bytes of
 * a Buffer changed in place — the service never does (payloads and PFX files are kept as made).
 */
function marking(d: Delivery, changed: Set<string>, k: string, shelf: IssuedIdentities): Delivery {
  return new Proxy(d, new Marking(changed, k, shelf));
}

/**
 * The handler of {@link marking}: one small object per delivery holding its key, its traps on the
 * prototype (four closures and their context per delivery held about 0.3 KB each: issue 11 point 3).
 * `issued` is read from and written to the store's shelf (issued-identities.ts), never the object.
 */
class Marking implements ProxyHandler<Delivery> {
  constructor(
    readonly changed: Set<string>,
    readonly k: string,
    readonly shelf: IssuedIdentities,
  ) {}

  set(target: Delivery, prop: string | symbol, value: unknown): boolean {
    this.changed.add(this.k);
    if (prop === 'issued') {
      if (value === undefined) this.shelf.drop(this.k);
      else this.shelf.keep(this.k, value as IssuedIdentity);
      return true;
    }
    return Reflect.set(target, prop, value);
  }

  deleteProperty(target: Delivery, prop: string | symbol): boolean {
    this.changed.add(this.k);
    if (prop === 'issued') {
      this.shelf.drop(this.k);
      return true;
    }
    return Reflect.deleteProperty(target, prop);
  }

  defineProperty(target: Delivery, prop: string | symbol, attributes: PropertyDescriptor): boolean {
    this.changed.add(this.k);
    return Reflect.defineProperty(target, prop, attributes);
  }

  get(target: Delivery, prop: string | symbol, receiver: unknown): unknown {
    // read back for a recompile or a save; not marked: the service never changes an identity in place
    if (prop === 'issued') return this.shelf.get(this.k);
    const value: unknown = Reflect.get(target, prop, receiver);
    if (
      typeof value === 'object' &&
      value !== null &&
      !Buffer.isBuffer(value) &&
      prop !== 'device' &&
      prop !== 'assignment' &&
      prop !== 'timer'
    )
      this.changed.add(this.k);
    return value;
  }
}

/** The deliveries store. */
export class DeliveryStore implements DeliveryReader, DeliveryWriter {
  /** Where each delivery's issued identity is kept (the `issued` of a stored delivery reads it). */
  readonly #shelf: IssuedIdentities;
  readonly #deliveries = new Map<string, Delivery>();
  /** The same deliveries as the objects themselves (what is saved: reading them marks nothing). */
  readonly #raw = new Map<string, Delivery>();
  /** The keys whose delivery may have changed since {@link saveChanged} last listed them. */
  readonly #changed = new Set<string>();
  /**
   * The same stored deliveries by device id and by assignment name, each in the order its keys were first
   * added (a Map keeps a replaced key's place): {@link ofDevice} and {@link ofAssignment} cost that device's
   * or assignment's deliveries, not the store's — a check-in of one device among 10,000 walked 20,000.
   */
  readonly #byDevice = new Map<string, Map<string, Delivery>>();
  readonly #byAssignment = new Map<string, Map<string, Delivery>>();
  /** Each key's place in {@link #raw}, given when it is first added (keys are never removed). */
  readonly #order = new Map<string, number>();

  /**
   * @param shelf where the identities issued for the deliveries are kept (default: in memory); the
   * store's owner closes it when the service is done with it.
   */
  constructor(shelf: IssuedIdentities = new IssuedInMemory()) {
    this.#shelf = shelf;
  }

  /** @inheritdoc */
  get(deviceId: string, profile: string): Delivery | undefined {
    return this.#deliveries.get(key(deviceId, profile));
  }

  /** @inheritdoc */
  all(): IterableIterator<Delivery> {
    return this.#deliveries.values();
  }

  /** @inheritdoc */
  ofDevice(deviceId: string): IterableIterator<Delivery> {
    return (this.#byDevice.get(deviceId) ?? NONE).values();
  }

  /** @inheritdoc */
  ofAssignment(name: string): IterableIterator<Delivery> {
    return (this.#byAssignment.get(name) ?? NONE).values();
  }

  /** @inheritdoc */
  put(d: Delivery): Delivery {
    const k = key(d.device.id, d.assignment.name);
    // the identity goes to the shelf, not the object the store holds: a shallow copy of `d` without it (the
    // caller's object is not changed); a delivery put without one has none
    const { issued, ...held } = d;
    if (issued !== undefined) this.#shelf.keep(k, issued);
    else this.#shelf.drop(k);
    const stored = marking(held, this.#changed, k, this.#shelf);
    this.#deliveries.set(k, stored);
    this.#raw.set(k, held);
    if (!this.#order.has(k)) this.#order.set(k, this.#order.size);
    indexed(this.#byDevice, held.device.id).set(k, stored);
    indexed(this.#byAssignment, held.assignment.name).set(k, stored);
    this.#changed.add(k);
    return stored;
  }

  /**
   * The records of the deliveries that may have changed since the last call — put, or a property of
   * theirs written or handed out for change in place (see `marking`); the first call lists every
   * delivery. The same records as {@link save} makes for them; deliveries are never removed, so no key
   * goes. Cost: the changed deliveries, not the store (they are listed in the store's order).
   */
  saveChanged(): SavedRecord[] {
    const keys = [...this.#changed].map((k) => ({ k, order: this.#order.get(k) ?? 0 }));
    this.#changed.clear();
    keys.sort((a, b) => a.order - b.order);
    const out: SavedRecord[] = [];
    for (const { k, order } of keys) {
      const d = this.#raw.get(k);
      if (d !== undefined) out.push(savedRecord(d, order, this.#shelf.get(k)));
    }
    return out;
  }

  /**
   * Every delivery as one record (saved-records.ts), keyed by device and assignment: its state, the
   * payload sent (same bytes on a re-send) and the identity issued, the device and the assignment by
   * their ids. A timer is saved as the instant it fires (`timerAt`), not its closure.
   */
  save(): SavedRecord[] {
    return [...this.#raw].map(([k, d], order) => savedRecord(d, order, this.#shelf.get(k)));
  }

  /**
   * Rebuilds the store from {@link save}'s records, in their order, linking each delivery to the device
   * record and the assignment `links` find (the restored enrolments store; every assignment of the run,
   * removed ones included). Timers are not re-armed here: the deliveries that had one are returned (with
   * `timerAt`), for the service to arm again on its clock.
   * @throws CertfleetError IO when a delivery names a device or an assignment `links` does not know.
   */
  restore(
    records: ReadonlyMap<string, Buffer>,
    links: {
      device: (id: string) => ServiceDevice | undefined;
      /** The assignment `name` for `device`: one name carries one profile per family. */
      assignment: (name: string, device: ServiceDevice) => ProfileAssignment | undefined;
    },
  ): Delivery[] {
    mustBeEmpty('deliveries', this.#deliveries.size);
    const armed: Delivery[] = [];
    for (const [k, r] of inSavedOrder<SavedDelivery>('deliveries', records)) {
      const device = links.device(r.device);
      const assignment = device === undefined ? undefined : links.assignment(r.assignment, device);
      if (device === undefined || assignment === undefined)
        throw new CertfleetError(
          'IO',
          `The saved delivery ${k} names ${device === undefined ? `device ${r.device}` : `assignment ${r.assignment}`}, which the saved run does not know: the run cannot be resumed.`,
        );
      const d: Delivery = {
        device,
        assignment,
        outcome: r.outcome,
        ...(r.request !== undefined && { request: r.request }),
        ...(r.requestId !== undefined && { requestId: r.requestId }),
        ...(r.reason !== undefined && { reason: r.reason }),
        ...(r.current !== undefined && { current: r.current }),
        ...(r.sentCert !== undefined && { sentCert: r.sentCert }),
        ...(r.issued !== undefined && {
          issued: {
            pfx: ownBytes(Buffer.from(r.issued.pfx, 'base64')),
            password: r.issued.password,
            ...(r.issued.certificateDer !== undefined && {
              certificateDer: ownBytes(Buffer.from(r.issued.certificateDer, 'base64')),
            }),
          },
        }),
        ...(r.sent !== undefined && {
          sent: {
            topic: r.sent.topic,
            format: r.sent.format,
            id: r.sent.id,
            ...(r.sent.payload !== undefined && { payload: ownBytes(Buffer.from(r.sent.payload, 'base64')) }),
          },
        }),
        attempt: r.attempt,
        ...(r.timerAt !== undefined && { timerAt: r.timerAt }),
        awaiting: r.awaiting,
        sends: r.sends,
        removed: r.removed,
      };
      const stored = this.put(d);
      if (r.timerAt !== undefined) armed.push(stored);
    }
    return armed;
  }
}

/**
 * The record of delivery `d` (the object itself, not the marking Proxy: reading it marks nothing), with
 * `issued`, the identity its store's shelf keeps for it.
 */
function savedRecord(d: Delivery, order: number, issued: IssuedIdentity | undefined): SavedRecord {
  const saved: SavedDelivery = {
    order,
    device: d.device.id,
    assignment: d.assignment.name,
    outcome: d.outcome,
    ...(d.request !== undefined && { request: d.request }),
    ...(d.requestId !== undefined && { requestId: d.requestId }),
    ...(d.reason !== undefined && { reason: d.reason }),
    ...(d.current !== undefined && { current: d.current }),
    ...(d.sentCert !== undefined && { sentCert: d.sentCert }),
    ...(issued !== undefined && {
      issued: {
        pfx: issued.pfx.toString('base64'),
        password: issued.password,
        ...(issued.certificateDer !== undefined && {
          certificateDer: issued.certificateDer.toString('base64'),
        }),
      },
    }),
    ...(d.sent !== undefined && {
      sent: {
        topic: d.sent.topic,
        format: d.sent.format,
        id: d.sent.id,
        ...(d.sent.payload !== undefined && { payload: d.sent.payload.toString('base64') }),
      },
    }),
    attempt: d.attempt,
    ...(d.timer !== undefined && d.timerAt !== undefined && { timerAt: d.timerAt }),
    awaiting: d.awaiting,
    sends: d.sends,
    removed: d.removed,
  };
  return jsonRecord(JSON.stringify([d.device.id, d.assignment.name]), saved);
}

/** One saved delivery (see {@link DeliveryStore.save}). */
interface SavedDelivery {
  order: number;
  device: string;
  assignment: string;
  outcome: DeviceProfileOutcome;
  request?: CertificateRequestSpec;
  requestId?: string;
  reason?: 'initial' | 'renewal';
  current?: IssuedRef;
  sentCert?: IssuedRef;
  issued?: { pfx: string; password: string; certificateDer?: string };
  sent?: Omit<SentPayload, 'payload'> & { payload?: string };
  attempt: number;
  timerAt?: number;
  awaiting: boolean;
  sends: number;
  removed: boolean;
}
