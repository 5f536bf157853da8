/**
 * Issue 12 point 7 end to end: scenarios/ca-rollover-intermediate.yaml on the embedded broker. The connectors
 * pack the leaf only; after the rollover (day 10) the renewals (day 24) are untrusted on every device, and
 * the devices whose issuing-CA profile is updated (`uploadIssuingCa`, day 30) report them trusted again; the
 * others stay untrusted. Windows, iOS and Android Enterprise devices take part.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runFleet } from '../../simulator/fleet/run-fleet.ts';
import { trustOf } from '../../simulator/run-model.ts';

const ROOT = resolve(import.meta.dirname, '../..');
const DAY = 86_400_000;
let work: string;
beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'certfleet-i12-rollover-'));
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('issue 12 point 7: the device that lacks the new intermediate', { timeout: 240_000 }, () => {
  it('scenario ca-rollover-intermediate: untrusted after the rollover until the trusted profile brings the new issuing CA', async () => {
    const run = await runFleet({
      scenario: join(ROOT, 'scenarios', 'ca-rollover-intermediate.yaml'),
      out: join(work, 'run'),
      broker: { type: 'embedded' },
    });
    const r = run.result;
    expect(r.expectations.filter((e) => !e.held).map((e) => `${e.text}: ${e.detail}`)).toEqual([]);
    expect(r.outcomes.filter((o) => o.status !== 'installed')).toEqual([]);

    const start = Date.parse(r.events[0]!.at);
    const devicesWith = (profile: string): Set<string> =>
      new Set(r.outcomes.filter((o) => o.profile === profile).map((o) => o.device));
    const updated = devicesWith('Issuing CA');
    const stale = devicesWith('Issuing CA, not updated');
    expect(updated.size).toBeGreaterThan(0);
    expect(stale.size).toBeGreaterThan(0);
    const platformsOf = (ids: Set<string>): Set<string> =>
      new Set(r.outcomes.filter((o) => ids.has(o.device)).map((o) => o.platform));
    expect(platformsOf(updated)).toEqual(new Set(['windows', 'ios', 'android']));
    expect(platformsOf(stale)).toEqual(new Set(['windows', 'ios', 'android']));

    const installs = (device: string) =>
      r.events.filter(
        (e) =>
          e.device === device &&
          e.profile === 'Device certificate' &&
          (e.type === 'installed' || e.type === 'trust-changed'),
      );
    for (const device of [...updated, ...stale]) {
      const list = installs(device);
      // first install (before the rollover) trusted; the renewal after it not trusted
      const renewal = list.find((e) => Date.parse(e.at) - start > 10 * DAY);
      expect(renewal?.detail, device).toMatch(/not trusted|NOT trusted/);
      expect(list[0]!.detail, device).not.toMatch(/not trusted|NOT trusted/);
      const nowTrusted = list.filter((e) => e.type === 'trust-changed');
      if (updated.has(device)) {
        expect(nowTrusted, device).toHaveLength(1);
        expect(nowTrusted[0]!.detail).toContain('is now trusted');
        expect(Date.parse(nowTrusted[0]!.at) - start).toBeGreaterThanOrEqual(30 * DAY);
      } else {
        expect(nowTrusted, device).toEqual([]);
      }
      const row = r.outcomes.find((o) => o.device === device && o.profile === 'Device certificate')!;
      expect(row.renewals, device).toBeGreaterThanOrEqual(1);
      expect(trustOf(row), device).toBe(updated.has(device));
      expect(row.code).toBe(updated.has(device) ? 'OK' : 'INSTALL_UNTRUSTED_CHAIN');
    }
    // the updated profile went out again to each of its devices, and only to them
    const resent = r.events.filter((e) => e.type === 'profile-updated');
    expect(new Set(resent.map((e) => e.device))).toEqual(updated);
    expect(new Set(resent.map((e) => e.profile))).toEqual(new Set(['Issuing CA']));
  });
});
