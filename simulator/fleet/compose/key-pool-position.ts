/**
 * The key pool position part: a process that draws from its share of a key pool (`--key-pool DIR`) and may
 * be killed and started again on its folder keeps how far it has drawn in the file it already keeps for a
 * restart (simulator/tools/key-pool/pool-cursor.ts) — the coordinator (`serve`) in the run folder's
 * service-state.db, an agent host (`agents`) in its agents.db — and goes on from the position saved there.
 * Comes after the part that opens that file and before any part that draws keys; released before it.
 * Without a pool, or with `--key-reuse`, it does nothing.
 */
import { join } from 'node:path';
import type { ProcessPool } from '../../tools/key-pool/process-pool.ts';
import type { FleetPart } from './fleet-builder.ts';
import type { FleetContext } from './fleet-context.ts';

/** The name of the part. */
export const KEY_POOL_POSITION = 'key pool position';

/** Keeps `pool`'s position in `file` of the process's folder (`ctx.dir`). */
export function keyPoolPosition(pool: ProcessPool | undefined, file: string): FleetPart<FleetContext> {
  return {
    name: KEY_POOL_POSITION,
    start(ctx, teardown) {
      if (!pool) return;
      teardown.add(pool.keepPosition(join(ctx.dir, file)));
    },
  };
}
