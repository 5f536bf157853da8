/**
 * How a store of the MDM service is saved and restored (issue 10 point 3: a killed `serve` resumes on its
 * folder): as records — a key and the bytes of its value — that the run's checkpoint
 * (simulator/fleet/service-checkpoint.ts) writes when they changed and hands back on a resume. A store
 * lists every record of its state ({@link SavableStore.save}); what changed since the last checkpoint is
 * worked out by comparing bytes (simulator/fleet/record-diff.ts), so the handlers that change a store need
 * not mark anything. Values are JSON (Buffers as base64); each record carries what is needed to rebuild
 * the store's order (`order`), since a database hands records back by key.
 */
import { CertfleetError } from '../../../../pki/errors.ts';

/** One record of a store's state. */
export interface SavedRecord {
  key: string;
  value: Buffer;
}

/** A store that can be saved as records and rebuilt from them. */
export interface SavableStore {
  /** Every record of the store's state now. */
  save(): SavedRecord[];
  /** Rebuilds the state from the records {@link save} made (by key); the store must be empty. */
  restore(records: ReadonlyMap<string, Buffer>): void;
}

/**
 * Where a store writes a changed record at once, committed before anything that depends on it leaves the
 * process (write-ahead) — for a change made outside the service's message handling, which the checkpoint
 * would only write at the instant's close (the SCEP server's challenges and issued certificates: an HTTP
 * answer is not a message the checkpoint sees). The coordinated `serve` keeps it in service-state.db,
 * sealed (simulator/fleet/scep-journal.ts).
 */
export interface RecordJournal {
  /** Writes `record` (durably, before the call returns). */
  keep(record: SavedRecord): void;
}

/** A JSON record. */
export function jsonRecord(key: string, value: unknown): SavedRecord {
  return { key, value: Buffer.from(JSON.stringify(value), 'utf8') };
}

/**
 * The JSON value of a saved record.
 * @throws CertfleetError IO naming the store and key when it is not JSON (a record of another version).
 */
export function readRecord<T>(store: string, key: string, value: Buffer): T {
  try {
    return JSON.parse(value.toString('utf8')) as T;
  } catch (cause) {
    throw new CertfleetError(
      'IO',
      `The saved ${store} record ${key} is not readable (${(cause as Error).message}): the run cannot be resumed by this certfleet.`,
      { cause },
    );
  }
}

/**
 * Refuses to restore into a store that holds state already (a resume starts from empty stores).
 * @throws CertfleetError INTERNAL
 */
export function mustBeEmpty(store: string, size: number): void {
  if (size > 0)
    throw new CertfleetError(
      'INTERNAL',
      `The ${store} store holds ${size} entries: only an empty store is restored.`,
    );
}

/** The records sorted by their `order` field (the store's own order), with their keys. */
export function inSavedOrder<T extends { order: number }>(
  store: string,
  records: ReadonlyMap<string, Buffer>,
): Array<[string, T]> {
  return [...records]
    .map(([k, v]) => [k, readRecord<T>(store, k, v)] as [string, T])
    .sort((a, b) => a[1].order - b[1].order);
}
