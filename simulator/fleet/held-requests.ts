/**
 * The requests the run's CAs hold for a certificate manager, kept in a coordinated `serve`'s
 * service-state.db (simulator/service/ca/ca-directory.ts `HeldJournal`, issue 10 point 3): each held
 * request's state, since and CA as a record of its own store, and its server-side private key beside the
 * connectors' kept keys — both sealed as the saved records are (service-checkpoint.ts `keep`), in one
 * transaction, when the request is held, decided or released. A resumed `serve` reads them back, so the
 * certificate a manager issues after the kill is delivered with the key the request was submitted with.
 */
import { createPrivateKey } from 'node:crypto';
import { CertfleetError } from '../../pki/errors.ts';
import type { HeldJournal, SavedHeldRequest } from '../service/ca/ca-directory.ts';
import { jsonRecord, readRecord } from '../service/mdm/stores/saved-records.ts';
import type { ServiceCheckpoint } from './service-checkpoint.ts';

/** The saved store of the held requests (not a service store: no checkpoint writes or removes it). */
export const HELD_REQUESTS_STORE = 'ca-held';

/** Where a held request's key is kept among the connectors' keys (a request id no lease has). */
function keyIdOf(key: string): string {
  return `held/${key}`;
}

/** The journal over the saved state `checkpoint()` gives (opened when the journal is first used). */
export function heldRequestJournal(checkpoint: () => ServiceCheckpoint): HeldJournal {
  return {
    keep(key, held, privateKey) {
      const { value } = jsonRecord(key, held);
      checkpoint().keep(
        [{ store: HELD_REQUESTS_STORE, key, value }],
        [{ requestId: keyIdOf(key), pkcs8: privateKey.export({ type: 'pkcs8', format: 'der' }) }],
      );
    },
    forget(key) {
      checkpoint().keep([{ store: HELD_REQUESTS_STORE, key }], [{ requestId: keyIdOf(key) }]);
    },
    saved() {
      const cp = checkpoint();
      return [...cp.records(HELD_REQUESTS_STORE)].map(([key, value]) => {
        const der = cp.connectorKey(keyIdOf(key));
        if (der === undefined)
          throw new CertfleetError(
            'IO',
            `The saved state holds the request ${key} held by a CA without its key: the run cannot be resumed.`,
          );
        return {
          key,
          held: readRecord<SavedHeldRequest>(HELD_REQUESTS_STORE, key, value),
          privateKey: createPrivateKey({ key: der, format: 'der', type: 'pkcs8' }),
        };
      });
    },
  };
}
