/**
 * The key stores part: the devices' key stores (`agents.db`, agent/keystore/store-db.ts) of the process
 * that hosts the agents — `certfleet run` (a fresh one per run) or `certfleet agents` (kept across
 * restarts, so that a restarted shard resumes each device with its management identity). Closed when
 * released, which checkpoints the SQLite write-ahead log: no `-wal`/`-shm` file is left behind.
 */
import { rmSync } from 'node:fs';
import { join } from 'node:path';
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
}

/** Opens `agents.db` in the folder into `ctx.storeDb`. */
export function keyStores(o: KeyStoresOptions = {}): FleetPart<FleetContext> {
  return {
    name: KEY_STORES,
    start(ctx, teardown) {
      const path = join(ctx.dir, AGENTS_DB_FILE);
      // stores left by an earlier run in this folder would make its devices believe they are enrolled
      if (o.fresh) for (const suffix of ['', '-wal', '-shm']) rmSync(path + suffix, { force: true });
      const storeDb = StoreDb.open(path);
      teardown.add(() => storeDb.close());
      ctx.storeDb = storeDb;
    },
  };
}
