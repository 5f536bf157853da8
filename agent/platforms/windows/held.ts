/**
 * The certificates a Windows device holds (`held()`): Root → root, CA → intermediate, My → identity, with
 * trust evaluated now against the current stores (an intermediate delivered before its root becomes trusted
 * once the root arrives; an expired certificate stops being trusted).
 *
 * The user view shows what certmgr.msc shows a standard user **[inferred]** from the Windows logical-store
 * model: the user's Root and CA logical stores include the LocalMachine ones, but the Personal (My) store does
 * not, so machine My identities are hidden; nothing else is.
 */
import { parseCertificate } from '../../../pki/certificate.ts';
import { heldFromItem, type DeviceContext, type HeldCertificate } from '../../platform-adapter.ts';
import { evaluateTrust } from './apply-context.ts';
import { heldKindOf, WINDOWS_STORES } from './stores.ts';

/** The device's certificates, in store order. */
export function heldCertificates(ctx: DeviceContext, view: 'admin' | 'user'): HeldCertificate[] {
  const env = { ctx, meta: undefined, now: ctx.clock.now() };
  const out: HeldCertificate[] = [];
  for (const item of ctx.db.items(ctx.device.id, { storePrefix: 'windows/' })) {
    if (item.kind === 'key') continue;
    if (view === 'user' && item.store === WINDOWS_STORES.machineMy) continue;
    const held = heldFromItem(item, heldKindOf(item.store));
    try {
      held.trusted = evaluateTrust(env, parseCertificate(item.certificate)).trusted;
    } catch {
      held.trusted = false;
    }
    out.push(held);
  }
  return out;
}
