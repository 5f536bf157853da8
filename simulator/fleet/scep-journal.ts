/**
 * The SCEP server's journal of a coordinated `serve` (simulator/service/scep/scep-journal.ts, issue 10
 * point 3): each challenge grant and each device × profile's issued-certificate record written to
 * service-state.db at once, sealed as the saved records are (service-checkpoint.ts `keep`), before the
 * HTTP answer that depends on it is sent. The issued records go in the `scep-issued` store the checkpoint
 * already saves, so a resumed service restores them with the rest (MdmService restoreState); the grants in
 * a store of their own, which only this journal writes, restored into the resumed server's challenge store.
 */
import type { ScepJournal } from '../service/scep/scep-journal.ts';
import type { ServiceCheckpoint } from './service-checkpoint.ts';

/** The saved store of the challenge grants (not a service store: no checkpoint writes or removes it). */
export const SCEP_CHALLENGES_STORE = 'scep-challenges';

/** The saved store of the server's port (one record, `port`). */
const SCEP_SERVER_STORE = 'scep-server';

/** The saved store of the issued certificates (MdmService SAVED_STORES). */
const SCEP_ISSUED_STORE = 'scep-issued';

/** The journal over the saved state `checkpoint()` gives (opened when the journal is first used). */
export function scepJournal(checkpoint: () => ServiceCheckpoint): ScepJournal {
  return {
    challenges: {
      keep: (r) => checkpoint().keep([{ store: SCEP_CHALLENGES_STORE, key: r.key, value: r.value }]),
    },
    issued: {
      keep: (r) => checkpoint().keep([{ store: SCEP_ISSUED_STORE, key: r.key, value: r.value }]),
    },
    savedChallenges: () => checkpoint().records(SCEP_CHALLENGES_STORE),
    keepPort: (port) =>
      checkpoint().keep([{ store: SCEP_SERVER_STORE, key: 'port', value: Buffer.from(String(port)) }]),
    savedPort: () => {
      const value = checkpoint().records(SCEP_SERVER_STORE).get('port');
      const port = value === undefined ? NaN : Number(value.toString('utf8'));
      return Number.isInteger(port) && port > 0 && port < 65_536 ? port : undefined;
    },
  };
}
