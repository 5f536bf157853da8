/**
 * The report of a certificate that expired before it was renewed (issue 4: "an expired certificate is not
 * renewed silently but reported"; docs/formats.md §5.2 "Renewal": expired certificates are not redeployed).
 *
 * The agent sends it once per certificate, as an outcome of the profile that installed it, so the service
 * records it among the run's outcomes like any other failure. The store remembers which certificate was
 * reported ({@link markExpiryReported}); a renewed certificate has another thumbprint and is reported anew.
 *
 * Two moments find an expired certificate: a check-in (the device was offline, or checked in too rarely,
 * past the expiry), and the install of a renewal that arrives after the certificate it replaces expired
 * with no check-in in between (a renewal held at the CA, a late answer). The second is reported the same
 * way — once, `RENEWAL_EXPIRED`, before the install's own outcome — naming the gap the device spent without
 * a valid certificate ({@link lapsedOutcome}), and the install's message names it too ({@link noteLapse}).
 */
import type { Device } from '../device/device.ts';
import type { InstallOutcome, NativeStatus } from '../../protocol/wire/outcome.ts';
import type { DeviceContext } from '../platform-adapter.ts';
import { checkRenewals, updateProfileMeta, type RenewalDecision } from './renewal.ts';

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

/** A span of clock time in words, to the second: `1 h 5 min`, `2 min 30 s`, `3 d 4 h` (its two largest units). */
export function spanText(ms: number): string {
  const units: [string, number][] = [
    ['d', 86_400_000],
    ['h', 3_600_000],
    ['min', 60_000],
    ['s', 1_000],
  ];
  let rest = Math.max(0, Math.round(ms / 1_000) * 1_000);
  const counts = units.map(([u, size]) => {
    const n = Math.floor(rest / size);
    rest -= n * size;
    return { u, n };
  });
  const first = counts.findIndex((c) => c.n > 0);
  if (first < 0) return '0 s';
  return counts
    .slice(first, first + 2)
    .filter((c) => c.n > 0)
    .map((c) => `${c.n} ${c.u}`)
    .join(' ');
}

/**
 * The identity certificates of `ref` that have expired now (their renewal decision is `expired`): taken
 * before a payload of that profile is installed, to tell afterwards whether the install replaced one.
 */
export function expiredOf(ctx: DeviceContext, ref: string): RenewalDecision[] {
  return checkRenewals(ctx, { locked: false }).filter((d) => d.ref === ref && d.action === 'expired');
}

/** Those of `expired` ({@link expiredOf}) that are no longer in the device's stores: an install replaced them. */
export function replacedOf(ctx: DeviceContext, expired: readonly RenewalDecision[]): RenewalDecision[] {
  if (expired.length === 0) return [];
  const held = new Set(ctx.db.items(ctx.device.id, { kind: 'identity' }).map((i) => i.thumbprint));
  return expired.filter((d) => !held.has(d.thumbprint));
}

/** How long the device was without `decision`'s (expired) certificate's replacement, up to `at`. */
function lapseOf(decision: RenewalDecision, at: Date): string {
  return spanText(at.getTime() - Date.parse(decision.notAfter));
}

/**
 * The report of a certificate that expired before its renewal installed at `at` (nothing reported it
 * before): `RENEWAL_EXPIRED`, as {@link expiredOutcome}, with the gap in its message.
 */
export function lapsedOutcome(device: Device, decision: RenewalDecision, at: Date): InstallOutcome {
  return {
    ...expiredOutcome(device, decision),
    message: `The certificate ${decision.subject} expired at ${decision.notAfter} before it was renewed; its renewal installed at ${at.toISOString()}, so the device was without a valid certificate for ${lapseOf(decision, at)}.`,
  };
}

/** The install's message, with the expiry of the certificate it replaced and the gap (`RENEWAL_EXPIRED`). */
export function noteLapse(message: string, replaced: readonly RenewalDecision[], at: Date): string {
  const notes = replaced.map(
    (d) =>
      `The certificate it replaces (${d.thumbprint}) had expired at ${d.notAfter} (RENEWAL_EXPIRED): the device was without a valid certificate for ${lapseOf(d, at)}.`,
  );
  return [message, ...notes].join(' ');
}
