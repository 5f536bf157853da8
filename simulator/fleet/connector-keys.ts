/**
 * The connectors' key journal of a coordinated `serve` (simulator/service/connector/key-journal.ts, issue
 * 10 point 3: 0 issued twice across a kill): each request's private key kept in service-state.db, sealed
 * as the saved records are (service-checkpoint.ts), before the connector asks the CA. The keys go with the
 * file when the run finishes (compose/service-state.ts `remove`).
 */
import { createPrivateKey } from 'node:crypto';
import type { ConnectorKeyJournal } from '../service/connector/key-journal.ts';
import type { ServiceCheckpoint } from './service-checkpoint.ts';

/** The journal over the saved state `checkpoint()` gives (opened when the journal is first used). */
export function connectorKeyJournal(checkpoint: () => ServiceCheckpoint): ConnectorKeyJournal {
  return {
    get scope() {
      return checkpoint().scope;
    },
    keep(requestId, privateKey) {
      checkpoint().keepConnectorKey(requestId, privateKey.export({ type: 'pkcs8', format: 'der' }));
    },
    find(requestId) {
      const der = checkpoint().connectorKey(requestId);
      return der === undefined ? undefined : createPrivateKey({ key: der, format: 'der', type: 'pkcs8' });
    },
    forget(requestId) {
      checkpoint().forgetConnectorKey(requestId);
    },
  };
}
