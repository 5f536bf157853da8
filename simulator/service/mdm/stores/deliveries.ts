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

/** A certificate the service issued for a delivery, by the fields it matches renewals and revocations on. */
export interface IssuedRef {
  serial: string;
  thumbprint: string;
  notAfter: string;
}

/** A compiled payload as it was published (re-sends publish the same bytes). */
export interface SentPayload {
  topic: string;
  payload: Buffer;
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
  /** The identity last issued for this delivery (compiled again when the device re-enrols). */
  issued?: IssuedIdentity;
  sent?: SentPayload;
  attempt: number;
  timer?: ScheduledTask;
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
  /** Records `d` under its device × profile, replacing a delivery there (one that was removed). */
  put(d: Delivery): void;
}

const key = (deviceId: string, profile: string): string => `${deviceId}\u0000${profile}`;

/** The deliveries store. */
export class DeliveryStore implements DeliveryReader, DeliveryWriter {
  readonly #deliveries = new Map<string, Delivery>();

  /** @inheritdoc */
  get(deviceId: string, profile: string): Delivery | undefined {
    return this.#deliveries.get(key(deviceId, profile));
  }

  /** @inheritdoc */
  all(): IterableIterator<Delivery> {
    return this.#deliveries.values();
  }

  /** @inheritdoc */
  *ofDevice(deviceId: string): IterableIterator<Delivery> {
    for (const d of this.#deliveries.values()) if (d.device.id === deviceId) yield d;
  }

  /** @inheritdoc */
  *ofAssignment(name: string): IterableIterator<Delivery> {
    for (const d of this.#deliveries.values()) if (d.assignment.name === name) yield d;
  }

  /** @inheritdoc */
  put(d: Delivery): void {
    this.#deliveries.set(key(d.device.id, d.assignment.name), d);
  }
}
