/**
 * What the device answers to a `<Get>` of one node (docs/formats.md §2.1 "Results"): the PFXCertInstall Status and
 * Thumbprint of an installed node (CCI; values from the codec's pfxStatusValues), the read-only leaves of an
 * installed RootCATrustedCertificates node (RCA: EncodedCertificate, IssuedBy, IssuedTo, ValidFrom, ValidTo,
 * TemplateName), and the device inventory (DevInfo, DevDetail, DeviceStatus… agent/device/inventory-windows.ts).
 * Anything else is undefined (the reply says 404). A PFX node whose install failed was rolled back with its
 * Atomic, so its Status is 404 too — Intune then re-sends the PFX (docs/formats.md §2.6, IMITUNE).
 *
 * A Get on an interior node of the two modelled CSPs (issue 12 point 8) answers its child node names, each
 * URI-encoded, separated by `/`, Format `node` (docs/formats.md §2.1 "Commands": "Get (on an interior node,
 * the child names come back URI-encoded)", OMADM): `…/ClientCertificateInstall/PFXCertInstall` lists the
 * installed UniqueIDs of that scope, `…/PFXCertInstall/{UniqueID}` the leaves this device answers,
 * `…/RootCATrustedCertificates` the stores of that tree on this device's build (stores.ts rcaStoresOf; a store
 * it lacks is 404), `…/RootCATrustedCertificates/{store}` the thumbprints installed
 * there, `…/{store}/{thumbprint}` its read-only leaves. A list with no child is an empty Data (the node
 * exists); an absent UniqueID or thumbprint is 404.
 *
 * Under `…/ClientCertificateInstall/SCEP/{UniqueID}` the device answers Status, ErrorCode, CertThumbprint and
 * RespondentServerUrl of its SCEP node (CCI; scep-node.ts), and `…/SCEP` lists its SCEP UniqueIDs.
 */
import { windowsInventory, windowsNode } from '../../device/inventory-windows.ts';
import { splitLocUri } from '../../../profiles/windows/loc-uri.ts';
import { pfxLocUri } from '../../../profiles/windows/pfx-cert-install.ts';
import { pfxStatusValues, type NodeValue } from '../../../profiles/windows/device-reply.ts';
import {
  trustedCertLocUri,
  type RootCaStore,
} from '../../../profiles/windows/root-ca-trusted-certificates.ts';
import { coHoldersOf, itemsHeldBy } from '../../keystore/shared-items.ts';
import type { DeviceContext } from '../../platform-adapter.ts';
import { statusNodeValue } from './native-status.ts';
import { scepNodeRef, scepNodeValue } from './scep-node.ts';
import { rcaStoresOf } from './stores.ts';

const PFX_CSP = ['Vendor', 'MSFT', 'ClientCertificateInstall', 'PFXCertInstall'];
const RCA_CSP = ['Vendor', 'MSFT', 'RootCATrustedCertificates'];
const SCEP_CSP = ['Vendor', 'MSFT', 'ClientCertificateInstall', 'SCEP'];

function startsWith(segments: readonly string[], prefix: readonly string[]): boolean {
  return prefix.every((p, i) => segments[i] === p);
}

/** The value of an interior node: its child names, URI-encoded, `/`-separated, Format `node`. */
function childList(names: readonly string[]): NodeValue {
  return { data: names.map((n) => encodeURIComponent(n)).join('/'), format: 'node' };
}

/** The last segment of each ref directly under `prefix/` (no deeper), in order, once. */
function childrenUnder(refs: Iterable<string>, prefix: string): string[] {
  const out = new Set<string>();
  for (const ref of refs) {
    if (!ref.startsWith(`${prefix}/`)) continue;
    const rest = ref.slice(prefix.length + 1);
    if (rest !== '' && !rest.includes('/') && !rest.includes('#')) out.add(rest);
  }
  return [...out].sort();
}

const RCA_LEAVES = ['EncodedCertificate', 'IssuedBy', 'IssuedTo', 'ValidFrom', 'ValidTo', 'TemplateName'];

function pfxValue(ctx: DeviceContext, rest: string[], scope: 'Device' | 'User'): NodeValue | undefined {
  if (rest.length === 0) {
    const base = `./${scope}/Vendor/MSFT/${PFX_CSP.slice(2).join('/')}`;
    return childList(
      childrenUnder(
        ctx.db.profiles(ctx.device.id).map((p) => p.ref),
        base,
      ),
    );
  }
  if (rest.length === 1) {
    const profile = ctx.db.profile(ctx.device.id, pfxLocUri(scope, rest[0]!));
    if (profile === undefined) return undefined;
    const leaves = ['KeyLocation', 'Status', 'Thumbprint'].filter(
      (leaf) => pfxValue(ctx, [rest[0]!, leaf], scope) !== undefined,
    );
    return childList(leaves);
  }
  const [uniqueId, leaf, ...extra] = rest;
  if (uniqueId === undefined || leaf === undefined || extra.length > 0) return undefined;
  const profile = ctx.db.profile(ctx.device.id, pfxLocUri(scope, uniqueId));
  if (profile === undefined) return undefined;
  if (leaf === 'Status' || leaf === 'Thumbprint') {
    const thumbprint = typeof profile.meta.thumbprint === 'string' ? profile.meta.thumbprint : undefined;
    const status = statusNodeValue(typeof profile.meta.status === 'number' ? profile.meta.status : 0);
    const values = pfxStatusValues(
      scope,
      uniqueId,
      thumbprint === undefined ? { status } : { status, thumbprint },
    );
    return values.get(pfxLocUri(scope, uniqueId, leaf));
  }
  if (leaf === 'KeyLocation' && typeof profile.meta.keyLocation === 'number') {
    return { data: String(profile.meta.keyLocation), format: 'int' };
  }
  return undefined;
}

function rcaValue(ctx: DeviceContext, rest: string[], scope: 'Device' | 'User'): NodeValue | undefined {
  // the stores this device has in the tree of `scope` (no ./User Root; UntrustedCertificates and OemEsim
  // only from the build that brought them, RCA; stores.ts)
  const stores: readonly string[] = rcaStoresOf(scope, ctx.device.osVersion);
  if (rest.length === 0) return childList(stores);
  if (rest.length <= 2) {
    const [store, node] = rest as [string, string | undefined];
    if (!stores.includes(store)) return undefined;
    if (node !== undefined) {
      const ref = trustedCertLocUri(scope, store as RootCaStore, node);
      return itemsHeldBy(ctx.db, ctx.device.id, ref).length > 0 ? childList(RCA_LEAVES) : undefined;
    }
    const base = `./${scope}/Vendor/MSFT/RootCATrustedCertificates/${store}`;
    const holders = ctx.db.items(ctx.device.id).flatMap((i) => [i.ref, ...coHoldersOf(i)]);
    return childList(childrenUnder(holders, base));
  }
  const [store, node, leaf, ...extra] = rest;
  if (store === undefined || node === undefined || leaf === undefined || extra.length > 0) return undefined;
  if (!stores.includes(store)) return undefined;
  const ref = trustedCertLocUri(scope, store as RootCaStore, node);
  const item = itemsHeldBy(ctx.db, ctx.device.id, ref)[0];
  if (item === undefined) return undefined;
  switch (leaf) {
    case 'EncodedCertificate':
      return { data: item.certificate.toString('base64'), format: 'b64' };
    case 'IssuedBy':
      return { data: item.issuer, format: 'chr' };
    case 'IssuedTo':
      return { data: item.subject, format: 'chr' };
    case 'ValidFrom':
      return { data: item.notBefore, format: 'chr' };
    case 'ValidTo':
      return { data: item.notAfter, format: 'chr' };
    case 'TemplateName':
      return { data: '', format: 'chr' };
    default:
      return undefined;
  }
}

/** The value of the node `locUri` on this device, or undefined when it does not exist (404). */
export function nodeValue(ctx: DeviceContext, locUri: string): NodeValue | undefined {
  const split = splitLocUri(locUri);
  if (startsWith(split.segments, PFX_CSP)) {
    return pfxValue(ctx, split.segments.slice(PFX_CSP.length), split.scope);
  }
  if (startsWith(split.segments, RCA_CSP)) {
    return rcaValue(ctx, split.segments.slice(RCA_CSP.length), split.scope);
  }
  if (startsWith(split.segments, SCEP_CSP)) {
    const [uniqueId, ...rest] = split.segments.slice(SCEP_CSP.length);
    if (uniqueId === undefined) {
      const base = `./${split.scope}/Vendor/MSFT/ClientCertificateInstall/SCEP`;
      return childList(
        childrenUnder(
          ctx.db.profiles(ctx.device.id).map((p) => p.ref),
          base,
        ),
      );
    }
    return scepNodeValue(ctx, scepNodeRef(split.scope, uniqueId), rest);
  }
  const node = windowsNode(windowsInventory(ctx.device, { now: ctx.clock.now() }), locUri);
  if (node === undefined || node.status !== 200) return undefined;
  return { data: node.value, format: node.format };
}
