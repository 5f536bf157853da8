/**
 * What the device answers to a `<Get>` of one node (docs/formats.md §2.1 "Results"): the PFXCertInstall Status and
 * Thumbprint of an installed node (CCI; values from the codec's pfxStatusValues), the read-only leaves of an
 * installed RootCATrustedCertificates node (RCA: EncodedCertificate, IssuedBy, IssuedTo, ValidFrom, ValidTo,
 * TemplateName), and the device inventory (DevInfo, DevDetail, DeviceStatus… agent/device/inventory-windows.ts).
 * Anything else is undefined (the reply says 404). A PFX node whose install failed was rolled back with its
 * Atomic, so its Status is 404 too — Intune then re-sends the PFX (docs/formats.md §2.6, IMITUNE).
 */
import { windowsInventory, windowsNode } from '../../device/inventory-windows.ts';
import { splitLocUri } from '../../../profiles/windows/loc-uri.ts';
import { pfxLocUri } from '../../../profiles/windows/pfx-cert-install.ts';
import { pfxStatusValues, type NodeValue } from '../../../profiles/windows/device-reply.ts';
import {
  ROOT_CA_STORES,
  trustedCertLocUri,
  type RootCaStore,
} from '../../../profiles/windows/root-ca-trusted-certificates.ts';
import { itemsHeldBy } from '../../keystore/shared-items.ts';
import type { DeviceContext } from '../../platform-adapter.ts';
import { statusNodeValue } from './native-status.ts';

const PFX_CSP = ['Vendor', 'MSFT', 'ClientCertificateInstall', 'PFXCertInstall'];
const RCA_CSP = ['Vendor', 'MSFT', 'RootCATrustedCertificates'];

function startsWith(segments: readonly string[], prefix: readonly string[]): boolean {
  return prefix.every((p, i) => segments[i] === p);
}

function pfxValue(ctx: DeviceContext, rest: string[], scope: 'Device' | 'User'): NodeValue | undefined {
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
  const [store, node, leaf, ...extra] = rest;
  if (store === undefined || node === undefined || leaf === undefined || extra.length > 0) return undefined;
  if (!(ROOT_CA_STORES as readonly string[]).includes(store)) return undefined;
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
  const node = windowsNode(windowsInventory(ctx.device, { now: ctx.clock.now() }), locUri);
  if (node === undefined || node.status !== 200) return undefined;
  return { data: node.value, format: node.format };
}
