/**
 * The report of a certificate that expired before it was renewed (issue 4: "an expired certificate is not
 * renewed silently but reported"; docs/formats.md §5.2 "Renewal": expired certificates are not redeployed).
 *
 * The agent sends it once per certificate, as an outcome of the profile that installed it, so the service
 * records it among the run's outcomes like any other failure. The store remembers which certificate was
 * reported ({@link markExpiryReported}); a renewed certificate has another thumbprint and is reported anew.
 */
import type { Device } from '../device/device.ts';
import type { InstallOutcome, NativeStatus } from '../../protocol/wire/outcome.ts';
import type { DeviceContext } from '../platform-adapter.ts';
import { updateProfileMeta, type RenewalDecision } from './renewal.ts';

/**
 * The native side of the report. Inferred: no OS sends a status of its own when a certificate expires — the
 * real service learns it from the certificate inventory it reads (Windows CertificateStore `ValidTo`,
 * docs/formats.md §2 CSTORE; Apple CertificateList; Android device report), which answers normally. So the
 * native status is the plain success of that inventory answer, and the typed code carries the finding.
 */
function inventoryNative(device: Device): NativeStatus {
  switch (device.platform) {
    case 'windows':
      return { platform: 'windows', syncml: 200 };
    case 'macos':
    case 'ios':
      return { platform: device.platform, status: 'Acknowledged', errorChain: [] };
    case 'android':
      return { platform: 'android' };
  }
}

/** The outcome reporting that `decision`'s certificate (action `expired`) expired unrenewed. */
export function expiredOutcome(device: Device, decision: RenewalDecision): InstallOutcome {
  return {
    device: device.id,
    platform: device.platform,
    payload: decision.ref,
    status: 'failed',
    code: 'RENEWAL_EXPIRED',
    message: decision.message,
    native: inventoryNative(device),
  };
}

/** True when the expiry of `decision`'s certificate was already reported (report once per certificate). */
export function expiryReported(ctx: DeviceContext, decision: RenewalDecision): boolean {
  return ctx.db.profile(ctx.device.id, decision.ref)?.meta.expiryReportedFor === decision.thumbprint;
}

/** Records that the expiry of `decision`'s certificate was reported, so later check-ins stay quiet. */
export function markExpiryReported(ctx: DeviceContext, decision: RenewalDecision): void {
  updateProfileMeta(ctx, decision, {
    expiryReportedFor: decision.thumbprint,
    expiryReportedAt: ctx.clock.now().toISOString(),
  });
}
