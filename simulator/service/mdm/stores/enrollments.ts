/**
 * The enrollments store of the MDM service: every device that asked to enrol (enrolled, refused or
 * retired), the management certificate of each enrolled device, the outcome rows of refused devices, and
 * how many enrolled devices each user holds (the device-limit restriction, enrollment-restrictions.ts).
 *
 * Role interfaces in the manner of nanomdm's storage.go (docs/architecture.md "Anchors"): a handler names
 * the role it needs — {@link EnrollmentReader} to look a device up, {@link EnrollmentWriter} to record an
 * enrolment, a refusal or a retirement — and {@link EnrollmentStore} implements both. Pure bookkeeping: no
 * clock, no transport.
 */
import { KeptCertificate, parseCertificate, type Certificate } from '../../../../pki/index.ts';
import type { DeviceProfileOutcome } from '../../../run-model.ts';
import type { ServiceDevice } from '../service-types.ts';
import {
  inSavedOrder,
  jsonRecord,
  mustBeEmpty,
  type SavableStore,
  type SavedRecord,
} from './saved-records.ts';

/** One saved device (saved-records.ts): its record, management certificate, refusal rows and user. */
interface SavedDevice {
  order: number;
  device: ServiceDevice;
  /** The management certificate, DER base64. */
  certificate?: string;
  refusals?: DeviceProfileOutcome[];
  /** The limit key it counts against (enrolled devices only). */
  limitKey?: string;
}

/** Looks up what the service knows of devices. */
export interface EnrollmentReader {
  /** The device record of `id` (the same object the deliveries of that device hold). */
  device(id: string): ServiceDevice | undefined;
  /** Every device that asked to enrol, in the order they first did. */
  devices(): ServiceDevice[];
  /** The management certificate of an enrolled (or retired) device. */
  managementCertificate(id: string): Certificate | undefined;
  /** How many enrolled devices count against `limitKey`, leaving `exceptId` out. */
  enrolledUnder(limitKey: string, exceptId?: string): number;
  /** The outcome rows of every refused device (one per profile it would have received). */
  refusals(): DeviceProfileOutcome[];
}

/** Records enrolments, refusals and retirements. */
export interface EnrollmentWriter {
  /**
   * Records `device` as enrolled (state `enrolled`) with its management certificate; `limitKey` is the user
   * it counts against (undefined: none). Replaces an earlier record of the same id and its refusal rows.
   */
  enrolled(device: ServiceDevice, certificate: Certificate, limitKey: string | undefined): void;
  /**
   * Records a refused device with the rows of the profiles it would have received, unless a device of
   * that id is enrolled (an enrolled device stays enrolled when a second enrolment is refused); true when
   * recorded.
   */
  refused(device: ServiceDevice, rows: DeviceProfileOutcome[]): boolean;
  /** Marks an enrolled device retired (it no longer counts against its user); false when not enrolled. */
  retired(id: string): boolean;
}

/** The enrollments store. */
export class EnrollmentStore implements EnrollmentReader, EnrollmentWriter, SavableStore {
  readonly #devices = new Map<string, ServiceDevice>();
  /** Kept as DER, parsed when read (kept-certificate.ts): a parsed one per device is ~5 KiB (issue 11). */
  readonly #certificates = new Map<string, KeptCertificate>();
  readonly #refusals = new Map<string, DeviceProfileOutcome[]>();
  /** Enrolled device ids per limit key, and the limit key of each of them. */
  readonly #byUser = new Map<string, Set<string>>();
  readonly #userOf = new Map<string, string>();
  /**
   * The devices whose record may have changed since {@link saveChanged} last listed them (issue 10 point
   * 3, dirty sets): marked by every change made here and by every device record handed out (a caller
   * may change it in place).
   */
  readonly #changed = new Set<string>();
  /** Each device's place in the order it first asked to enrol (the saved records' order). */
  readonly #order = new Map<string, number>();

  /** @inheritdoc */
  device(id: string): ServiceDevice | undefined {
    const device = this.#devices.get(id);
    if (device !== undefined) this.#changed.add(id);
    return device;
  }

  /** @inheritdoc */
  devices(): ServiceDevice[] {
    for (const id of this.#devices.keys()) this.#changed.add(id);
    return [...this.#devices.values()];
  }

  /** @inheritdoc */
  managementCertificate(id: string): Certificate | undefined {
    return this.#certificates.get(id)?.certificate;
  }

  /** @inheritdoc */
  enrolledUnder(limitKey: string, exceptId?: string): number {
    const ids = this.#byUser.get(limitKey);
    if (ids === undefined) return 0;
    return ids.size - (exceptId !== undefined && ids.has(exceptId) ? 1 : 0);
  }

  /** @inheritdoc */
  refusals(): DeviceProfileOutcome[] {
    return [...this.#refusals.values()].flat();
  }

  /** @inheritdoc */
  enrolled(device: ServiceDevice, certificate: Certificate, limitKey: string | undefined): void {
    device.state = 'enrolled';
    this.#uncount(device.id);
    if (limitKey !== undefined) {
      let ids = this.#byUser.get(limitKey);
      if (ids === undefined) this.#byUser.set(limitKey, (ids = new Set()));
      ids.add(device.id);
      this.#userOf.set(device.id, limitKey);
    }
    this.#certificates.set(device.id, new KeptCertificate(certificate));
    this.#put(device.id, device);
    this.#refusals.delete(device.id);
    this.#changed.add(device.id);
  }

  /** @inheritdoc */
  refused(device: ServiceDevice, rows: DeviceProfileOutcome[]): boolean {
    if (this.#devices.get(device.id)?.state === 'enrolled') return false;
    this.#put(device.id, device);
    this.#refusals.set(device.id, rows);
    this.#changed.add(device.id);
    return true;
  }

  /** @inheritdoc */
  retired(id: string): boolean {
    const device = this.#devices.get(id);
    if (device?.state !== 'enrolled') return false;
    device.state = 'retired';
    this.#uncount(id);
    this.#changed.add(id);
    return true;
  }

  /** Every device as one record keyed by its id (saved-records.ts). */
  save(): SavedRecord[] {
    return [...this.#devices.values()].map((device, order) => this.#record(device, order));
  }

  /**
   * The records of the devices that may have changed since the last call (see `#changed`; the first call
   * lists every device): the same records as {@link save} makes for them. Devices are never removed.
   */
  saveChanged(): SavedRecord[] {
    // only the devices that changed, in their saved order: not a walk over the whole fleet at each instant
    const ids = [...this.#changed].sort((a, b) => this.#order.get(a)! - this.#order.get(b)!);
    this.#changed.clear();
    return ids.map((id) => this.#record(this.#devices.get(id)!, this.#order.get(id)!));
  }

  /** Keeps `device` (its place in the saved order is the one it first had). */
  #put(id: string, device: ServiceDevice): void {
    if (!this.#order.has(id)) this.#order.set(id, this.#order.size);
    this.#devices.set(id, device);
  }

  #record(device: ServiceDevice, order: number): SavedRecord {
    const cert = this.#certificates.get(device.id);
    const refusals = this.#refusals.get(device.id);
    const limitKey = this.#userOf.get(device.id);
    const saved: SavedDevice = {
      order,
      device,
      ...(cert !== undefined && { certificate: cert.der.toString('base64') }),
      ...(refusals !== undefined && { refusals }),
      ...(limitKey !== undefined && { limitKey }),
    };
    return jsonRecord(device.id, saved);
  }

  /** Rebuilds the store from {@link save}'s records, in the order the devices first asked to enrol. */
  restore(records: ReadonlyMap<string, Buffer>): void {
    mustBeEmpty('enrollments', this.#devices.size);
    for (const [, r] of inSavedOrder<SavedDevice>('enrollments', records)) {
      const id = r.device.id;
      this.#put(id, r.device);
      this.#changed.add(id);
      if (r.certificate !== undefined)
        this.#certificates.set(
          id,
          new KeptCertificate(parseCertificate(Buffer.from(r.certificate, 'base64'))),
        );
      if (r.refusals !== undefined) this.#refusals.set(id, r.refusals);
      if (r.limitKey !== undefined) {
        let ids = this.#byUser.get(r.limitKey);
        if (ids === undefined) this.#byUser.set(r.limitKey, (ids = new Set()));
        ids.add(id);
        this.#userOf.set(id, r.limitKey);
      }
    }
  }

  #uncount(id: string): void {
    const key = this.#userOf.get(id);
    if (key === undefined) return;
    this.#userOf.delete(id);
    const ids = this.#byUser.get(key);
    ids?.delete(id);
    if (ids?.size === 0) this.#byUser.delete(key);
  }
}
