/**
 * How Android policies own store items: every item lists the policies that installed it (`attrs.holders`,
 * sorted), so the same CA installed by two policies stays until neither references it, and a policy that no
 * longer lists a certificate releases it ("a policy without the certificate removes it", issue 4 / AMAPI:
 * "omit the certificate from the configuration", docs/formats.md §3.1). `item.ref` is the first holder.
 *
 * Trust (`attrs.trusted`) is a property of the whole store, not of one install: after every change it is
 * recomputed for all of the device's Android items with pki verifyChain — user CAs that are self-signed are the
 * anchors, the other installed CAs and each key pair's own PKCS#12 chain are intermediates.
 */
import { parseCertificate, type Certificate } from '../../../pki/certificate.ts';
import { verifyChain, type ChainResult } from '../../../pki/chain.ts';
import type { StoreDb, StoreItem } from '../../keystore/store-db.ts';
import type { PlannedItem } from './plan.ts';

/** The Android items of a device (every store whose name starts with `android/`). */
export function androidItems(db: StoreDb, deviceId: string): StoreItem[] {
  return db.items(deviceId, { storePrefix: 'android/' });
}

/** The policies holding `item`. */
export function holdersOf(item: StoreItem): string[] {
  const h = item.attrs.holders;
  return Array.isArray(h) ? h.filter((x): x is string => typeof x === 'string') : [item.ref];
}

function withoutVolatile(attrs: Record<string, unknown>): string {
  const { holders: _h, trusted: _t, ...rest } = attrs;
  return JSON.stringify(rest);
}

/**
 * Puts a planned item on behalf of `policyRef`. A key pair overwrites any other key pair with the same alias in
 * its store (DPM `installKeyPair`: "An existing alias will be overwritten", docs/errors.md §3.4). Returns
 * `unchanged` when the policy already holds exactly this item (then nothing is written).
 */
export function putPlanned(
  db: StoreDb,
  deviceId: string,
  policyRef: string,
  planned: PlannedItem,
  now: Date,
): 'installed' | 'unchanged' {
  const thumbprint = planned.certificate.sha1Thumbprint;
  if (planned.kind === 'identity') {
    for (const other of db.items(deviceId, { store: planned.store, kind: 'identity' })) {
      if (other.attrs.alias === planned.attrs.alias && other.thumbprint !== thumbprint) {
        db.removeItems(deviceId, { store: other.store, thumbprint: other.thumbprint, kind: 'identity' });
        for (const holder of holdersOf(other)) if (holder !== policyRef) forgetContent(db, deviceId, holder);
      }
    }
  }
  const existing = db.items(deviceId, { store: planned.store, thumbprint, kind: planned.kind })[0];
  const before = existing ? holdersOf(existing) : [];
  const sameContent =
    existing !== undefined && withoutVolatile(existing.attrs) === withoutVolatile(planned.attrs);
  if (sameContent && before.includes(policyRef)) return 'unchanged';
  const holders = [...new Set([...before, policyRef])].sort();
  const cert = planned.certificate;
  const item: StoreItem = {
    deviceId,
    store: planned.store,
    kind: planned.kind,
    ref: existing !== undefined && holders.includes(existing.ref) ? existing.ref : (holders[0] ?? policyRef),
    thumbprint,
    subject: cert.subjectText,
    issuer: cert.issuerText,
    notBefore: cert.notBefore.toISOString(),
    notAfter: cert.notAfter.toISOString(),
    certificate: cert.der,
    attrs: { ...planned.attrs, holders, trusted: existing?.attrs.trusted ?? true },
    installedAt: sameContent && existing ? existing.installedAt : now.toISOString(),
  };
  if (planned.privateKey !== undefined) item.privateKey = planned.privateKey;
  db.putItem(item);
  return 'installed';
}

/**
 * Marks a policy as no longer fully applied (one of its items was taken away by another policy or by
 * remove(GUID)), so that its next delivery is applied again instead of being answered UNCHANGED.
 */
export function forgetContent(db: StoreDb, deviceId: string, policyRef: string): void {
  const p = db.profile(deviceId, policyRef);
  if (p !== undefined) db.putProfile({ ...p, contentHash: '', meta: { ...p.meta, compliant: false } });
}

/**
 * Drops `policyRef` from the holders of every item it holds except those `keep` accepts; an item nobody holds
 * any more leaves the store. Returns how many items left the store.
 */
export function releasePolicy(
  db: StoreDb,
  deviceId: string,
  policyRef: string,
  keep: (item: StoreItem) => boolean = () => false,
): number {
  let removed = 0;
  for (const item of androidItems(db, deviceId)) {
    const holders = holdersOf(item);
    if (!holders.includes(policyRef) || keep(item)) continue;
    const rest = holders.filter((h) => h !== policyRef);
    if (rest.length === 0) {
      db.removeItems(deviceId, { store: item.store, thumbprint: item.thumbprint, kind: item.kind });
      removed++;
    } else {
      db.putItem({
        ...item,
        ref: item.ref === policyRef ? (rest[0] ?? item.ref) : item.ref,
        attrs: { ...item.attrs, holders: rest },
      });
    }
  }
  return removed;
}

function chainOf(item: StoreItem): Certificate[] {
  const chain = item.attrs.chain;
  if (!Array.isArray(chain)) return [];
  return chain
    .filter((c): c is string => typeof c === 'string')
    .map((c) => parseCertificate(Buffer.from(c, 'base64')));
}

/** The anchors (installed self-signed user CAs) and other installed CAs of a device. */
function trustMaterial(items: readonly StoreItem[]): { roots: Certificate[]; intermediates: Certificate[] } {
  const cas = items.filter((i) => i.kind === 'certificate').map((i) => parseCertificate(i.certificate));
  return { roots: cas.filter((c) => c.isSelfSigned), intermediates: cas.filter((c) => !c.isSelfSigned) };
}

function evaluate(
  item: StoreItem,
  material: { roots: Certificate[]; intermediates: Certificate[] },
  at: Date,
): ChainResult {
  return verifyChain({
    leaf: parseCertificate(item.certificate),
    intermediates: [...material.intermediates, ...chainOf(item)],
    trustedRoots: material.roots,
    at,
  });
}

/**
 * The chain evaluation of the device's item `thumbprint` in `store` against what the device holds now (the
 * reason behind `attrs.trusted=false`), or undefined when there is no such item.
 */
export function chainResultOf(
  db: StoreDb,
  deviceId: string,
  store: string,
  thumbprint: string,
  at: Date,
): ChainResult | undefined {
  const items = androidItems(db, deviceId);
  const item = items.find((i) => i.store === store && i.thumbprint === thumbprint);
  return item ? evaluate(item, trustMaterial(items), at) : undefined;
}

/**
 * Recomputes `attrs.trusted` of every Android item of the device at `at` and writes the ones that changed.
 * A self-signed user CA is trusted (it is an anchor of the user CA store); anything else is trusted when
 * verifyChain reaches an installed self-signed CA.
 */
export function refreshTrust(db: StoreDb, deviceId: string, at: Date): void {
  const items = androidItems(db, deviceId);
  const material = trustMaterial(items);
  for (const item of items) {
    const trusted =
      (item.kind === 'certificate' && parseCertificate(item.certificate).isSelfSigned) ||
      evaluate(item, material, at).ok;
    if (item.attrs.trusted !== trusted) db.putItem({ ...item, attrs: { ...item.attrs, trusted } });
  }
}
