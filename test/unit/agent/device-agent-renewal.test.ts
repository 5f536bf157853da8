/**
 * Renewal through a running DeviceAgent on the virtual clock (issue 4, "Renewal" and "Done means"): the
 * agent checks in on its interval, asks for renewal once the remaining lifetime drops below the profile's
 * threshold, exactly once, waits while an Apple device is locked, and reports — once — a certificate that
 * expired before it was renewed.
 */
import { describe, expect, it } from 'vitest';
import {
  ENROLLMENT_KINDS,
  PLATFORMS,
  type EnrollmentKind,
  type Platform,
} from '../../../profiles/model/platform.ts';
import { agentWithCertificate, DAY, PROFILE_ID, REF } from './agent-harness.ts';

/** Every platform × enrollment kind. */
const PLATFORM_KINDS: { platform: Platform; kind: EnrollmentKind }[] = PLATFORMS.flatMap((platform) =>
  ENROLLMENT_KINDS[platform].map((kind) => ({ platform, kind })),
);

/**
 * The "79 % / 81 % of lifetime for thresholds 20 and custom". The threshold is the share of the
 * validity that may remain (docs/formats.md §5.2: "20 → renew at 80 % elapsed"), so 79 % / 81 % elapsed sit one
 * point either side of the default threshold's boundary. For a custom threshold we read the wording as the
 * same one-point margin around that threshold's own boundary (threshold 25 → 74 % / 76 % elapsed, 10 →
 * 89 % / 91 %): 79 % / 81 % elapsed would be on the same side of any other boundary and test nothing.
 */
const THRESHOLDS: { threshold: number | undefined; before: number; after: number }[] = [
  { threshold: undefined, before: 0.79, after: 0.81 },
  { threshold: 20, before: 0.79, after: 0.81 },
  { threshold: 25, before: 0.74, after: 0.76 },
  { threshold: 10, before: 0.89, after: 0.91 },
];

/** Check-in intervals: the agent's default-like daily check-in and a faster one (the interval is configurable). */
const INTERVALS = [DAY, 6 * 3_600_000];

describe.each(PLATFORM_KINDS)(
  'regression issue 4: renewal on the virtual clock, $platform $kind',
  ({ platform, kind }) => {
    describe.each(INTERVALS)('check-in every %d ms', (checkInIntervalMs) => {
      it.each(THRESHOLDS)(
        'threshold $threshold: no request at $before of the lifetime, exactly one at $after',
        async ({ threshold, before, after }) => {
          const w = await agentWithCertificate({
            platform,
            kind,
            checkInIntervalMs,
            ...(threshold !== undefined && { threshold }),
          });
          await w.runTo(before);
          expect(w.checkIns()).toBeGreaterThan(0);
          expect(w.renewRequests()).toEqual([]);
          await w.runTo(after);
          expect(w.renewRequests()).toHaveLength(1);
          expect(w.renewRequests()[0]).toMatchObject({ profileId: PROFILE_ID, thumbprint: 'AB'.repeat(20) });
          // The request is pending: later check-ins before expiry do not ask again.
          await w.runTo(0.99);
          expect(w.renewRequests()).toHaveLength(1);
        },
      );
    });

    it('an expired certificate is reported once as RENEWAL_EXPIRED, not renewed silently', async () => {
      // A check-in interval longer than the remaining window: the first check-in after 81 % is past expiry.
      const w = await agentWithCertificate({ platform, kind, checkInIntervalMs: 101 * DAY });
      await w.runTo(1.02);
      expect(w.renewRequests()).toEqual([]);
      const reports = w.outcomeReports();
      expect(reports).toHaveLength(1);
      expect(reports[0]).toMatchObject({ profileId: PROFILE_ID });
      expect(reports[0]?.outcomes).toEqual([
        expect.objectContaining({
          device: w.device.id,
          platform,
          payload: REF,
          status: 'failed',
          code: 'RENEWAL_EXPIRED',
          message: expect.stringMatching(/expired .* before it was renewed/),
        }),
      ]);
      // Later check-ins do not report the same certificate again.
      await w.runTo(5);
      expect(w.checkIns()).toBeGreaterThan(2);
      expect(w.outcomeReports()).toHaveLength(1);
    });

    it('a renewal requested but never answered ends in one expiry report', async () => {
      const w = await agentWithCertificate({ platform, kind });
      await w.runTo(1.1);
      expect(w.renewRequests()).toHaveLength(1);
      expect(w.outcomeReports().flatMap((r) => r.outcomes.map((o) => o.code))).toEqual(['RENEWAL_EXPIRED']);
    });
  },
);

describe.each(['macos', 'ios'] as const)(
  'regression issue 4: a locked %s defers renewal until unlocked',
  (platform) => {
    it.each(ENROLLMENT_KINDS[platform])('%s enrollment', async (kind) => {
      let locked = true;
      const w = await agentWithCertificate({ platform, kind, locked: () => locked });
      await w.runTo(0.81);
      expect(w.renewRequests()).toEqual([]);
      expect(w.deferred.length).toBeGreaterThan(0);
      expect(w.deferred[0]).toMatchObject({ action: 'deferred-locked', code: 'RENEWAL_DEFERRED_LOCKED' });
      // the deferral's own message (the renewal-deferred event's text), not the "renew" decision's
      for (const d of w.deferred) {
        expect(d.message).toMatch(
          /^Renewal is due \(\d+\.\d % remains, threshold 20 %\) but the device is locked; it renews once unlocked\.$/,
        );
        expect(d.message).not.toMatch(/: renew\.$/);
      }
      locked = false;
      await w.agent.checkInNow();
      expect(w.renewRequests()).toHaveLength(1);
    });
  },
);

describe.each(['windows', 'android'] as const)(
  'regression issue 4: lock state does not hold back %s',
  (platform) => {
    it('renews at 81 % although locked', async () => {
      const w = await agentWithCertificate({ platform, locked: () => true });
      await w.runTo(0.81);
      expect(w.renewRequests()).toHaveLength(1);
      expect(w.deferred).toEqual([]);
    });
  },
);
