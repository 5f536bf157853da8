/**
 * What changed in the service's stores since the last checkpoint (issue 10 point 3): the stores list
 * every record of their state (simulator/service/mdm/stores/saved-records.ts), and this keeps the bytes
 * last saved of each, so a checkpoint (service-checkpoint.ts) writes only the records that are new or
 * changed and removes the ones that are gone. A full listing ({@link RecordDiff.changes}) costs one
 * serialisation of each store; a store that marks what changed lists only that (its `saveChanged`,
 * compared with {@link RecordDiff.changesOf}), and a record that stayed the same is never written.
 */
import type { SavedRecord } from '../service/mdm/stores/saved-records.ts';
import type { StoreRecord } from './service-checkpoint.ts';

/** The last saved bytes of each record, by store (see the file comment). */
export class RecordDiff {
  readonly #saved = new Map<string, Map<string, Buffer>>();

  /** Takes the records a resume read back as saved (nothing of them is written again unless it changes). */
  seed(store: string, records: ReadonlyMap<string, Buffer>): void {
    this.#saved.set(store, new Map(records));
  }

  /**
   * The records of `store` to write: the new and changed ones with their value, the removed ones without.
   * The comparison is taken as saved: call {@link commit} (or drop the diff) once the checkpoint is written.
   */
  changes(store: string, records: Iterable<SavedRecord>): StoreRecord[] {
    const before = this.#saved.get(store) ?? new Map<string, Buffer>();
    const out: StoreRecord[] = [];
    const seen = new Set<string>();
    for (const r of records) {
      seen.add(r.key);
      const old = before.get(r.key);
      if (old === undefined || (old !== r.value && !old.equals(r.value)))
        out.push({ store, key: r.key, value: r.value });
    }
    for (const key of before.keys()) if (!seen.has(key)) out.push({ store, key });
    return out;
  }

  /**
   * The records of `store` to write, from a partial listing: only the records that may have changed
   * (a store's `saveChanged`, which lists a record whenever it may differ and never removes one); those
   * whose bytes are as last saved are dropped, and a record not listed is kept, not removed.
   */
  changesOf(store: string, records: Iterable<SavedRecord>): StoreRecord[] {
    const before = this.#saved.get(store);
    const out: StoreRecord[] = [];
    for (const r of records) {
      const old = before?.get(r.key);
      if (old === undefined || (old !== r.value && !old.equals(r.value)))
        out.push({ store, key: r.key, value: r.value });
    }
    return out;
  }

  /** Records that `changes` were written: the next comparison starts from them. */
  commit(changes: Iterable<StoreRecord>): void {
    for (const c of changes) {
      let m = this.#saved.get(c.store);
      if (m === undefined) this.#saved.set(c.store, (m = new Map()));
      if (c.value === undefined) m.delete(c.key);
      else m.set(c.key, c.value);
    }
  }
}
