/**
 * Store items held by more than one installer (CSP node, profile). A store holds one row per certificate
 * (device, store, thumbprint, kind); when a second installer puts a certificate that another one already put
 * in the same store, the row stays owned by the first (`ref`) and the second is listed in `attrs.sharedWith`
 * — the shape the Apple keychains use (agent/platforms/apple/profile-items.ts). Releasing an installer then
 * removes a row only when no holder is left: an owner's row passes to its first co-holder, a co-holder is
 * struck from the list. Call inside a {@link StoreDb.transaction}.
 */
import type { ItemFilter, StoreDb, StoreItem } from './store-db.ts';

/** The co-holders of `item` (`attrs.sharedWith`), not counting its owner `item.ref`. */
export function coHoldersOf(item: StoreItem): string[] {
  const v = item.attrs.sharedWith;
  return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [];
}

/** Whether `ref` holds `item`, as its owner or as a co-holder. */
export function isHeldBy(item: StoreItem, ref: string): boolean {
  return item.ref === ref || coHoldersOf(item).includes(ref);
}

/**
 * Puts `item` on behalf of `item.ref`. A row of another owner for the same certificate stays as it is (its
 * owner, attributes and install time) and `item.ref` joins its co-holders; a row of the same owner is
 * replaced, keeping its co-holders. Returns `shared` when another installer's row was kept.
 */
export function putSharedItem(db: StoreDb, item: StoreItem): 'owned' | 'shared' {
  const existing = db.items(item.deviceId, {
    store: item.store,
    thumbprint: item.thumbprint,
    kind: item.kind,
  })[0];
  if (existing === undefined) {
    db.putItem(item);
    return 'owned';
  }
  const shared = coHoldersOf(existing);
  if (existing.ref === item.ref) {
    db.putItem(shared.length > 0 ? { ...item, attrs: { ...item.attrs, sharedWith: shared } } : item);
    return 'owned';
  }
  if (!shared.includes(item.ref)) {
    db.putItem({ ...existing, attrs: { ...existing.attrs, sharedWith: [...shared, item.ref] } });
  }
  return 'shared';
}

/** The device's items that `ref` holds (owner or co-holder), within `filter`. */
export function itemsHeldBy(
  db: StoreDb,
  deviceId: string,
  ref: string,
  filter: Omit<ItemFilter, 'ref'> = {},
): StoreItem[] {
  return db.items(deviceId, filter).filter((i) => isHeldBy(i, ref));
}

/** What {@link releaseItems} did. */
export interface ReleaseResult {
  /** Rows that left the store (no holder was left). */
  removed: number;
  /** Rows `ref` held that stay because another installer still holds them. */
  kept: number;
}

/**
 * Releases every item `ref` holds within `filter`: a row nobody else holds leaves the store, an owned row
 * passes to its first co-holder, and `ref` is struck from the co-holders of the others.
 */
export function releaseItems(
  db: StoreDb,
  deviceId: string,
  ref: string,
  filter: Omit<ItemFilter, 'ref'> = {},
): ReleaseResult {
  const result: ReleaseResult = { removed: 0, kept: 0 };
  for (const item of itemsHeldBy(db, deviceId, ref, filter)) {
    const shared = coHoldersOf(item);
    const rest = shared.filter((r) => r !== ref);
    if (item.ref === ref && rest.length === 0) {
      result.removed += db.removeItems(deviceId, {
        store: item.store,
        thumbprint: item.thumbprint,
        kind: item.kind,
      });
      continue;
    }
    const [heir, ...others] = rest;
    const { sharedWith: _s, ...attrs } = item.attrs;
    const owner = item.ref === ref ? (heir as string) : item.ref;
    const left = item.ref === ref ? others : rest;
    db.putItem({ ...item, ref: owner, attrs: left.length > 0 ? { ...attrs, sharedWith: left } : attrs });
    result.kept++;
  }
  return result;
}
