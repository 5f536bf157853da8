/**
 * The key stores part: the devices' key stores (`agents.db`, agent/keystore/store-db.ts) of the process
 * that hosts the agents — `certfleet run` (a fresh one per run) or `certfleet agents` (kept across
 * restarts, so that a restarted shard resumes each device with its management identity). Closed when
 * released, which checkpoints the SQLite write-ahead log: no `-wal`/`-shm` file is left behind.
 *
 * The private keys in it are sealed (agent/keystore/sealed-key.ts): under a key held in memory for `run`,
 * under a key derived from the fleet secret for `agents`, so a restarted shard reads its store again.
 */
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { storeKeyFromSecret } from '../../../agent/keystore/sealed-key.ts';
import { StoreDb } from '../../../agent/keystore/store-db.ts';
import type { FleetPart } from './fleet-builder.ts';
import type { FleetContext } from './fleet-context.ts';

/** The name of the key stores part. */
export const KEY_STORES = 'key stores';

/** The key-store database's file name in the run (or agents) folder. */
export const AGENTS_DB_FILE = 'agents.db';

/** Options of {@link keyStores}. */
export interface KeyStoresOptions {
  /** Start from empty stores, removing the ones an earlier run left in the folder (`certfleet run`). */
  fresh?: boolean;
  /**
   * The fleet secret the store key derives from, for stores read again by a later process (`agents`).
   * Without it the key is random and lives in this process only.
   */
  secret?: Buffer;
}

/** Opens `agents.db` in the folder into `ctx.storeDb`. */
export function keyStores(o: KeyStoresOptions = {}): FleetPart<FleetContext> {
  return {
    name: KEY_STORES,
    start(ctx, teardown) {
      const path = join(ctx.dir, AGENTS_DB_FILE);
      // stores left by an earlier run in this folder would make its devices believe they are enrolled
      if (o.fresh) for (const suffix of ['', '-wal', '-shm']) rmSync(path + suffix, { force: true });
      const storeDb = StoreDb.open(path, o.secret !== undefined ? { key: storeKeyFromSecret(o.secret) } : {});
      teardown.add(() => storeDb.close());
      ctx.storeDb = storeDb;
    },
  };
}
