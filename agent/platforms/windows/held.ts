/**
 * The certificates a Windows device holds (`held()`): Root → root, CA → intermediate, My → identity, the
 * other RootCATrustedCertificates stores by their certificate (stores.ts heldKindOf), with trust evaluated
 * now against the current stores (an intermediate delivered before its root becomes trusted once the root
 * arrives; an expired certificate stops being trusted; a certificate in UntrustedCertificates, or chaining
 * through one, is not trusted).
 *
 * The user view shows what certmgr.msc shows a standard user **[inferred]** from the Windows logical-store
 * model: the user's Root and CA logical stores include the LocalMachine ones, but the Personal (My) store does
 * not, so machine My identities are hidden; nothing else is.
 */
import { parseCertificate, type Certificate } from '../../../pki/certificate.ts';
import { heldFromItem, type DeviceContext, type HeldCertificate } from '../../platform-adapter.ts';
import { evaluateTrust } from './apply-context.ts';
import { heldKindOf, WINDOWS_STORES } from './stores.ts';

/** The device's certificates: roots, then intermediates, then identities (each in store order). */
export function heldCertificates(ctx: DeviceContext, view: 'admin' | 'user'): HeldCertificate[] {
  const env = { ctx, meta: undefined, now: ctx.clock.now() };
  const out: HeldCertificate[] = [];
  for (const item of ctx.db.items(ctx.device.id, { storePrefix: 'windows/' })) {
    if (item.kind === 'key') continue;
    if (view === 'user' && item.store === WINDOWS_STORES.machineMy) continue;
    let cert: Certificate | undefined;
    try {
      cert = parseCertificate(item.certificate);
    } catch {
      cert = undefined;
    }
    const held = heldFromItem(item, heldKindOf(item.store, cert));
    held.trusted = cert !== undefined && evaluateTrust(env, cert).trusted;
    out.push(held);
  }
  const rank: Record<HeldCertificate['kind'], number> = { root: 0, intermediate: 1, identity: 2 };
  // Stable sort: within a kind, the store order (machine before user) and install order of items().
  return out.sort((a, b) => rank[a.kind] - rank[b.kind]);
}
