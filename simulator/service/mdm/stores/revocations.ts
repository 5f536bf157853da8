/**
 * The revocations store of the MDM service: the serials the service had the CA revoke (with the reason
 * and when), and the CRLs it had the CA publish — the number and bytes of the last one. The CA keeps the
 * authoritative records (simulator/service/ca/enterprise-ca.ts); this is the service's own account of what
 * it revoked, for its reports.
 *
 * Role interfaces in the manner of nanomdm's storage.go (docs/architecture.md "Anchors"):
 * {@link RevocationWriter} for the handlers that revoke and publish, {@link RevocationReader} for reports;
 * {@link RevocationStore} implements both.
 */
import { CertfleetError } from '../../../../pki/errors.ts';
import type { RevocationReason } from '../../ca/enterprise-ca.ts';
import {
  inSavedOrder,
  jsonRecord,
  mustBeEmpty,
  readRecord,
  type SavableStore,
  type SavedRecord,
} from './saved-records.ts';

/** The key of the CRL record (saved-records.ts); the other records are keyed by serial. */
const CRL_KEY = '#crl';

/** One revocation the service made. */
export interface Revocation {
  /** The serial as the service named it. */
  serial: string;
  reason: RevocationReason;
  at: string;
}

/** Reads revocations and CRLs. */
export interface RevocationReader {
  /** True when the service revoked `serial` (hex, any case, leading zeros ignored). */
  isRevoked(serial: string): boolean;
  /** Every revocation, in order. */
  revocations(): Revocation[];
  /** The number of the last CRL published (0 before the first). */
  readonly crlNumber: number;
  /** The last CRL published (DER), if any. */
  readonly latestCrl: Buffer | undefined;
}

/** Records revocations and CRLs. */
export interface RevocationWriter {
  /** Records that `serial` was revoked; false (and nothing recorded) when it already was: idempotent. */
  revoked(serial: string, reason: RevocationReason, at: Date): boolean;
  /**
   * Records a published CRL and its number. CRL numbers only go up (RFC 5280 §5.2.3: "monotonically
   * increasing"): a number not above the last one is refused with an INTERNAL error.
   */
  published(crl: Buffer, crlNumber: number): void;
}

/** The key a serial is stored under: upper-case hex without leading zeros, as the CA compares serials. */
const serialKey = (serial: string): string => serial.replace(/^0+/, '').toUpperCase();

/** The revocations store. */
export class RevocationStore implements RevocationReader, RevocationWriter, SavableStore {
  readonly #revoked = new Map<string, Revocation>();
  #crlNumber = 0;
  #latest: Buffer | undefined;

  /** @inheritdoc */
  isRevoked(serial: string): boolean {
    return this.#revoked.has(serialKey(serial));
  }

  /** @inheritdoc */
  revocations(): Revocation[] {
    return [...this.#revoked.values()].map((r) => ({ ...r }));
  }

  /** @inheritdoc */
  get crlNumber(): number {
    return this.#crlNumber;
  }

  /** @inheritdoc */
  get latestCrl(): Buffer | undefined {
    return this.#latest;
  }

  /** @inheritdoc */
  revoked(serial: string, reason: RevocationReason, at: Date): boolean {
    const k = serialKey(serial);
    if (this.#revoked.has(k)) return false;
    this.#revoked.set(k, { serial, reason, at: at.toISOString() });
    return true;
  }

  /** @inheritdoc */
  published(crl: Buffer, crlNumber: number): void {
    if (!Number.isInteger(crlNumber) || crlNumber <= this.#crlNumber) {
      throw new CertfleetError(
        'INTERNAL',
        `CRL number ${crlNumber} does not follow ${this.#crlNumber}: CRL numbers only go up.`,
      );
    }
    this.#crlNumber = crlNumber;
    this.#latest = crl;
  }

  /** One record per revocation (keyed by serial, in order) and one for the last CRL (saved-records.ts). */
  save(): SavedRecord[] {
    return [
      jsonRecord(CRL_KEY, { crlNumber: this.#crlNumber, crl: this.#latest?.toString('base64') ?? null }),
      ...[...this.#revoked].map(([k, r], order) => jsonRecord(k, { order, ...r })),
    ];
  }

  /** Rebuilds the store from {@link save}'s records. */
  restore(records: ReadonlyMap<string, Buffer>): void {
    mustBeEmpty('revocations', this.#revoked.size + this.#crlNumber);
    const crl = records.get(CRL_KEY);
    if (crl !== undefined) {
      const r = readRecord<{ crlNumber: number; crl: string | null }>('revocations', CRL_KEY, crl);
      this.#crlNumber = r.crlNumber;
      this.#latest = r.crl === null ? undefined : Buffer.from(r.crl, 'base64');
    }
    const rest = new Map([...records].filter(([k]) => k !== CRL_KEY));
    for (const [k, r] of inSavedOrder<Revocation & { order: number }>('revocations', rest))
      this.#revoked.set(k, { serial: r.serial, reason: r.reason, at: r.at });
  }
}
