/**
 * Renewal, as the device sees it: at each check-in, compare each identity certificate's remaining lifetime
 * with its profile's renewal threshold and decide whether to ask the service for a new one.
 *
 * Rules (docs/formats.md §5.2 "Renewal", SCEPDOC): the threshold is the percentage of the validity that may
 * remain before renewal (20 by default: renew once less than 20 % remains, i.e. after 80 % has elapsed);
 * iOS/macOS renew only inside the threshold and when unlocked; an expired certificate is not redeployed
 * silently but reported. A request already made is not repeated while its answer is pending, so a
 * certificate renews once.
 */
import type { OutcomeCode } from '../../protocol/wire/outcome.ts';
import type { DeviceContext } from '../platform-adapter.ts';

/** The renewal threshold when the profile does not say (Intune's default). */
export const DEFAULT_RENEWAL_THRESHOLD = 20;

/** What the device does about one certificate at one check-in. */
export type RenewalAction = 'none' | 'renew' | 'pending' | 'deferred-locked' | 'expired';

/** The decision for one identity certificate. */
export interface RenewalDecision {
  /** The profile / node that installed it. */
  ref: string;
  thumbprint: string;
  subject: string;
  store: string;
  notBefore: string;
  notAfter: string;
  /** Fraction of the validity period still ahead, 0–1 (0 once expired). */
  remaining: number;
  /** Threshold in percent (1–99). */
  threshold: number;
  action: RenewalAction;
  code: OutcomeCode;
  message: string;
}

/** Options of {@link checkRenewals}. */
export interface RenewalOptions {
  /** Whether an Apple device is locked now (defaults to the device's lock state). */
  locked?: boolean;
}

/** Decides, for every identity the device holds, whether to renew now. Pure with respect to the store. */
export function checkRenewals(ctx: DeviceContext, options: RenewalOptions = {}): RenewalDecision[] {
  const { device, db, clock } = ctx;
  const now = clock.now().getTime();
  const apple = device.platform === 'macos' || device.platform === 'ios';
  const locked = options.locked ?? device.lockState === 'locked';
  const decisions: RenewalDecision[] = [];
  for (const item of db.items(device.id, { kind: 'identity' })) {
    if (item.store.startsWith('mdm/')) continue; // the management identity renews through enrollment, not profiles
    const meta = db.profile(device.id, item.ref)?.meta ?? {};
    const threshold = validThreshold(meta.renewalThreshold);
    const start = Date.parse(item.notBefore);
    const end = Date.parse(item.notAfter);
    const remaining = end > start ? Math.max(0, Math.min(1, (end - now) / (end - start))) : 0;
    const base = {
      ref: item.ref,
      thumbprint: item.thumbprint,
      subject: item.subject,
      store: item.store,
      notBefore: item.notBefore,
      notAfter: item.notAfter,
      remaining,
      threshold,
    };
    const pct = `${(remaining * 100).toFixed(1)} %`;
    let d: Pick<RenewalDecision, 'action' | 'code' | 'message'>;
    if (now >= end) {
      d = {
        action: 'expired',
        code: 'RENEWAL_EXPIRED',
        message: `The certificate ${item.subject} expired at ${item.notAfter} before it was renewed; expired certificates are not redeployed silently.`,
      };
    } else if (remaining * 100 >= threshold) {
      d = {
        action: 'none',
        code: 'OK',
        message: `${pct} of the validity remains; renewal starts below ${threshold} %.`,
      };
    } else if (meta.renewalRequestedFor === item.thumbprint) {
      d = {
        action: 'pending',
        code: 'OK',
        message: `Renewal of ${item.thumbprint} already requested; waiting for the new certificate.`,
      };
    } else if (apple && locked) {
      d = {
        action: 'deferred-locked',
        code: 'RENEWAL_DEFERRED_LOCKED',
        message: `Renewal is due (${pct} remains, threshold ${threshold} %) but the device is locked; it renews once unlocked.`,
      };
    } else {
      d = {
        action: 'renew',
        code: 'OK',
        message: `${pct} of the validity remains, below the ${threshold} % threshold: renew.`,
      };
    }
    decisions.push({ ...base, ...d });
  }
  return decisions;
}

/**
 * Merges `meta` into the stored profile record of `decision`'s profile (creating the record if needed):
 * the agent's per-certificate bookkeeping (renewal asked, expiry reported).
 */
export function updateProfileMeta(
  ctx: DeviceContext,
  decision: RenewalDecision,
  meta: Record<string, unknown>,
): void {
  const { device, db, clock } = ctx;
  const existing = db.profile(device.id, decision.ref);
  db.putProfile({
    deviceId: device.id,
    ref: decision.ref,
    contentHash: existing?.contentHash ?? '',
    installedAt: existing?.installedAt ?? clock.now().toISOString(),
    meta: { ...(existing?.meta ?? {}), ...meta },
  });
}

/**
 * Records that renewal of `decision`'s certificate was requested, so later check-ins wait for the answer
 * instead of asking again. The record is cleared naturally when the new certificate replaces the old one.
 */
export function markRenewalRequested(ctx: DeviceContext, decision: RenewalDecision): void {
  updateProfileMeta(ctx, decision, {
    renewalRequestedFor: decision.thumbprint,
    renewalRequestedAt: ctx.clock.now().toISOString(),
  });
}

function validThreshold(v: unknown): number {
  return typeof v === 'number' && Number.isInteger(v) && v >= 1 && v <= 99 ? v : DEFAULT_RENEWAL_THRESHOLD;
}
