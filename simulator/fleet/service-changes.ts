/**
 * What the MDM service changed since it was last saved, as the records to write (issue 10 point 3: a
 * killed `serve` resumes): the `changes` a handled message commits with its inbox id
 * (checkpointed-transport.ts) and the records of the instant's checkpoint (service-checkpoint.ts). The
 * service lists what may have changed (MdmService.saveChangedState: dirty sets where a store grows with
 * the fleet) and {@link RecordDiff} keeps what was changed in fact; what is returned is taken as saved.
 */
import type { MdmService } from '../service/mdm/mdm-service.ts';
import { SAVED_STORES } from '../service/mdm/mdm-service.ts';
import type { RecordDiff } from './record-diff.ts';
import type { StoreRecord } from './service-checkpoint.ts';

/**
 * A function giving the records `service` changed since its last call (or since `diff` was seeded by a
 * resume), taken as saved in `diff`: call it only where the result is written (the transaction of a
 * message or of a checkpoint), and write what it returns.
 */
export function serviceChanges(service: MdmService, diff: RecordDiff): () => StoreRecord[] {
  return () => {
    const listed = service.saveChangedState();
    const out = SAVED_STORES.flatMap((store) => {
      const { records, partial } = listed[store];
      return partial ? diff.changesOf(store, records) : diff.changes(store, records);
    });
    diff.commit(out);
    return out;
  };
}
