import { describe, expect, it } from 'vitest';
import { generateDevice } from '../../../agent/device/generate.ts';
import { StoreDb, type StoreItem } from '../../../agent/keystore/store-db.ts';
import type { DeviceContext } from '../../../agent/platform-adapter.ts';
import {
  expiredOf,
  lapsedOutcome,
  noteLapse,
  replacedOf,
  spanText,
} from '../../../agent/renewal/expired-outcome.ts';
import { checkRenewals, markRenewalRequested } from '../../../agent/renewal/renewal.ts';
import { FixedClock } from '../../../protocol/runtime/clock.ts';
import type { Platform } from '../../../profiles/model/platform.ts';

const NOT_BEFORE = Date.parse('2026-01-01T00:00:00Z');
const DAY = 86_400_000;
const LIFETIME = 365 * DAY;

function ctxAt(
  platform: Platform,
  elapsed: number,
  opts: { threshold?: number; locked?: boolean } = {},
): DeviceContext {
  const device = generateDevice({
    seed: 'renewal',
    index: 1,
    platform,
    overrides: opts.locked === undefined ? {} : { lockState: opts.locked ? 'locked' : 'unlocked' },
  });
  const db = StoreDb.open(':memory:');
  const item: StoreItem = {
    deviceId: device.id,
    store: `${platform}/test`,
    kind: 'identity',
    ref: 'profile-1',
    thumbprint: 'AB'.repeat(20),
    subject: 'CN=leaf',
    issuer: 'CN=ca',
    notBefore: new Date(NOT_BEFORE).toISOString(),
    notAfter: new Date(NOT_BEFORE + LIFETIME).toISOString(),
    certificate: Buffer.from([0x30, 0x00]),
    attrs: {},
    installedAt: new Date(NOT_BEFORE).toISOString(),
  };
  db.putItem(item);
  db.putProfile({
    deviceId: device.id,
    ref: 'profile-1',
    contentHash: 'x',
    installedAt: item.installedAt,
    meta: opts.threshold === undefined ? {} : { renewalThreshold: opts.threshold },
  });
  return { device, db, clock: new FixedClock(NOT_BEFORE + elapsed * LIFETIME) };
}

describe.each(['windows', 'macos', 'ios', 'android'] as const)('renewal on %s', (platform) => {
  it.each([
    { threshold: undefined, elapsed: 0.79, action: 'none' },
    { threshold: undefined, elapsed: 0.81, action: 'renew' },
    { threshold: 20, elapsed: 0.79, action: 'none' },
    { threshold: 20, elapsed: 0.81, action: 'renew' },
    { threshold: 35, elapsed: 0.64, action: 'none' },
    { threshold: 35, elapsed: 0.66, action: 'renew' },
    { threshold: 1, elapsed: 0.98, action: 'none' },
    { threshold: 1, elapsed: 0.995, action: 'renew' },
  ])('threshold $threshold at $elapsed of the lifetime → $action', ({ threshold, elapsed, action }) => {
    const [d] = checkRenewals(ctxAt(platform, elapsed, { threshold, locked: false }));
    expect(d?.action).toBe(action);
    expect(d?.threshold).toBe(threshold ?? 20);
    expect(d?.remaining).toBeCloseTo(1 - elapsed, 5);
  });

  it('an expired certificate is reported, not renewed silently', () => {
    const [d] = checkRenewals(ctxAt(platform, 1.01, { locked: false }));
    expect(d).toMatchObject({ action: 'expired', code: 'RENEWAL_EXPIRED', remaining: 0 });
    expect(d?.message).toMatch(/expired .* before it was renewed/);
  });

  it('asks once: after the request it waits for the new certificate', () => {
    const ctx = ctxAt(platform, 0.85, { locked: false });
    const [first] = checkRenewals(ctx);
    expect(first?.action).toBe('renew');
    markRenewalRequested(ctx, first!);
    expect(checkRenewals(ctx)[0]?.action).toBe('pending');
  });

  it('a locked device renews only on Apple platforms once unlocked', () => {
    const ctx = ctxAt(platform, 0.85, { locked: true });
    const [d] = checkRenewals(ctx);
    if (platform === 'macos' || platform === 'ios') {
      expect(d).toMatchObject({ action: 'deferred-locked', code: 'RENEWAL_DEFERRED_LOCKED' });
      expect(checkRenewals(ctx, { locked: false })[0]?.action).toBe('renew');
    } else {
      expect(d?.action).toBe('renew');
    }
  });
});

describe('renewal thresholds out of range fall back to the default', () => {
  it.each([0, 100, 12.5, '20'])('threshold %s → 20', (threshold) => {
    const ctx = ctxAt('windows', 0.5);
    ctx.db.putProfile({
      deviceId: ctx.device.id,
      ref: 'profile-1',
      contentHash: 'x',
      installedAt: '',
      meta: { renewalThreshold: threshold },
    });
    expect(checkRenewals(ctx)[0]?.threshold).toBe(20);
  });
});

describe('a renewal that installs after the certificate it replaces expired', () => {
  it('finds the expired certificate before the install and, once replaced, reports the gap', () => {
    const ctx = ctxAt('windows', 1.01, { locked: false });
    expect(expiredOf(ctxAt('windows', 0.99), 'profile-1')).toEqual([]);
    const expired = expiredOf(ctx, 'profile-1');
    expect(expired).toHaveLength(1);
    expect(expiredOf(ctx, 'another-profile')).toEqual([]);
    // still in the store: nothing replaced it
    expect(replacedOf(ctx, expired)).toEqual([]);
    ctx.db.removeItems(ctx.device.id, { ref: 'profile-1' });
    expect(replacedOf(ctx, expired)).toEqual(expired);
    const at = new Date(Date.parse(expired[0]!.notAfter) + 65 * 60_000 + 30_000);
    expect(lapsedOutcome(ctx.device, expired[0]!, at)).toMatchObject({
      status: 'failed',
      code: 'RENEWAL_EXPIRED',
      message: `The certificate ${expired[0]!.subject} expired at ${expired[0]!.notAfter} before it was renewed; its renewal installed at ${at.toISOString()}, so the device was without a valid certificate for 1 h 5 min.`,
    });
    expect(noteLapse('Installed.', expired, at)).toBe(
      `Installed. The certificate it replaces (${'AB'.repeat(20)}) had expired at ${expired[0]!.notAfter} (RENEWAL_EXPIRED): the device was without a valid certificate for 1 h 5 min.`,
    );
  });

  it.each([
    [0, '0 s'],
    [400, '0 s'],
    [15_000, '15 s'],
    [90_000, '1 min 30 s'],
    [3_600_000, '1 h'],
    [3_900_000 + 30_000, '1 h 5 min'],
    [2 * DAY + 3 * 3_600_000 + 59_000, '2 d 3 h'],
    [DAY + 5 * 60_000, '1 d'],
  ])('spanText(%d) is %s', (ms, text) => {
    expect(spanText(ms)).toBe(text);
  });
});
