/**
 * What an Apple device holds: the roots, other certificates and identities in its keychains, as
 * `inspect` and `show device` list them.
 *
 * - kind: `identity` for identities; `root` for trust anchors (self-signed certificates installed from a
 *   certificate payload); `intermediate` for every other key-less certificate (CA or not —
 *   {@link HeldCertificate} has no plain "certificate" kind; `attrs.role` keeps `intermediate` vs `leaf`).
 * - trusted: evaluated now, against the keychains as they are (like SecTrustEvaluate at use time): a root is
 *   trusted while valid; another certificate or an identity when its chain reaches an installed root at
 *   `clock.now()`. Removing the root profile therefore makes its identities untrusted. `attrs.trusted` keeps
 *   the verdict at install time.
 * - view: Apple shows installed profiles and their certificates to the device user (Settings ▸ General ▸
 *   VPN & Device Management), in User Enrollment too, so the `user` view equals the `admin` view.
 */
import { parseCertificate, verifyChain } from '../../../pki/index.ts';
import type { ApplePlatform } from '../../../profiles/apple/index.ts';
import { heldFromItem, type DeviceContext, type HeldCertificate } from '../../platform-adapter.ts';
import { isAnchor, keychainPrefix, trustMaterial } from './keychains.ts';

/** The certificates the device holds (the adapter's `held`). */
export function heldAppleCertificates(
  platform: ApplePlatform,
  ctx: DeviceContext,
  view: 'admin' | 'user',
): HeldCertificate[] {
  void view; // Apple hides nothing from the device user (see above).
  const at = ctx.clock.now();
  const trust = trustMaterial(ctx.db, ctx.device.id, platform);
  return ctx.db.items(ctx.device.id, { storePrefix: keychainPrefix(platform) }).map((item) => {
    const cert = parseCertificate(item.certificate);
    if (isAnchor(item)) {
      const valid = at >= cert.notBefore && at <= cert.notAfter;
      return { ...heldFromItem(item, 'root'), trusted: valid };
    }
    const kind = item.kind === 'identity' ? 'identity' : 'intermediate';
    const r = verifyChain({
      leaf: cert,
      intermediates: trust.intermediates,
      trustedRoots: trust.anchors,
      at,
    });
    return { ...heldFromItem(item, kind), trusted: r.ok };
  });
}
