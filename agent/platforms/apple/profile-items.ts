/**
 * Keychain items remembered per profile (mdmb's model, docs/architecture.md anchors): writing a profile's items and
 * removing exactly them. Call inside a {@link StoreDb.transaction}.
 *
 * One certificate in one keychain is one item (a keychain does not hold duplicates). When a second profile
 * installs a certificate that another profile already put in the same keychain, the item stays owned by
 * the first (`ref`) and lists the second in `attrs.sharedWith`; removing either profile then leaves the
 * item for the other, so removing a profile removes exactly what no other installed profile still needs.
 */
import type { StoreDb, StoreItem } from '../../keystore/store-db.ts';
import type { PlannedItem } from './payload-verdict.ts';

function sharedWith(item: StoreItem): string[] {
  const v = item.attrs.sharedWith;
  return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [];
}

/** Writes `planned` as the items of profile `ref` (after its previous version's items were removed). */
export function writeProfileItems(
  db: StoreDb,
  deviceId: string,
  ref: string,
  planned: readonly PlannedItem[],
  installedAt: string,
): void {
  for (const p of planned) {
    const existing = db.items(deviceId, { store: p.store, thumbprint: p.thumbprint, kind: p.kind })[0];
    if (existing?.ref === ref) continue; // the same certificate twice in one profile: the first payload keeps it
    if (existing) {
      const shared = [...new Set([...sharedWith(existing), ref])];
      db.putItem({ ...existing, attrs: { ...existing.attrs, sharedWith: shared } });
      continue;
    }
    db.putItem({ ...p, deviceId, ref, installedAt });
  }
}

/**
 * Removes profile `ref`'s items from the keychains under `storePrefix`: its own items leave (or pass to a
 * profile that shares them), and it is struck from other items' `sharedWith`. Returns how many items left.
 */
export function removeProfileItems(db: StoreDb, deviceId: string, ref: string, storePrefix: string): number {
  let removed = 0;
  for (const item of db.items(deviceId, { storePrefix })) {
    const shared = sharedWith(item);
    if (item.ref === ref) {
      const [heir, ...rest] = shared;
      if (heir === undefined) {
        removed += db.removeItems(deviceId, {
          store: item.store,
          thumbprint: item.thumbprint,
          kind: item.kind,
        });
      } else {
        db.putItem({ ...item, ref: heir, attrs: { ...item.attrs, sharedWith: rest } });
      }
    } else if (shared.includes(ref)) {
      db.putItem({ ...item, attrs: { ...item.attrs, sharedWith: shared.filter((r) => r !== ref) } });
    }
  }
  return removed;
}
