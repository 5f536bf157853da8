/**
 * Removing what one CSP node installed, outside a SyncML message (the fleet's "remove profile"): the same
 * effect as a SyncML Delete of `PFXCertInstall/{UniqueID}` (CCI: removes the certificates and keys the blob
 * installed) or of `RootCATrustedCertificates/{store}/{node}` (removes that certificate).
 */
import { describeRelease, releaseNode } from './pfx-apply.ts';
import { releaseItems } from '../../keystore/shared-items.ts';
import type { InstallOutcome } from '../../../protocol/wire/outcome.ts';
import type { DeviceContext } from '../../platform-adapter.ts';
import { toOutcomes } from './deliver.ts';

/**
 * The installed node `ref` names: its full node path (`./Device/Vendor/MSFT/…/{node}`), or just its last
 * segment (a PFX UniqueID or a RootCA node name) when exactly one installed node ends with it.
 */
export function resolveRef(ctx: DeviceContext, ref: string): string | undefined {
  const profiles = ctx.db.profiles(ctx.device.id).map((p) => p.ref);
  if (profiles.includes(ref)) return ref;
  const matches = profiles.filter((p) => p.endsWith(`/${ref}`));
  return matches.length === 1 ? matches[0] : undefined;
}

/** Removes the node `ref` and exactly its items, in one transaction. */
export function removeNode(ctx: DeviceContext, ref: string): InstallOutcome {
  const node = resolveRef(ctx, ref);
  if (node === undefined) {
    return toOutcomes(ctx.device.id, [
      {
        payload: ref,
        status: 'failed',
        code: 'INSTALL_NOT_FOUND',
        message: `No installed node matches "${ref}" on this device; nothing was removed. Pass the node path (./Device/Vendor/MSFT/…).`,
      },
    ])[0] as InstallOutcome;
  }
  const what = ctx.db.transaction(() => {
    const csp = ctx.db.profile(ctx.device.id, node)?.meta.csp;
    let text: string;
    if (csp === 'ClientCertificateInstall') {
      text = describeRelease(releaseNode({ ctx }, node));
    } else {
      const r = releaseItems(ctx.db, ctx.device.id, node);
      text = `${r.removed} item(s)${r.kept > 0 ? `; ${r.kept} kept because another node still holds them` : ''}`;
    }
    ctx.db.removeProfile(ctx.device.id, node);
    return text;
  });
  return toOutcomes(ctx.device.id, [
    { payload: node, status: 'installed', code: 'OK', message: `Removed ${node} (${what}).` },
  ])[0] as InstallOutcome;
}
