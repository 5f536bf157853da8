/**
 * Issue 12 point 10 (device side): the shipped scenarios of the device-side failure modes run end to end
 * on the embedded broker and their expectations hold, failing exactly the devices they should.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runFleet } from '../../simulator/fleet/run-fleet.ts';
import { summarize } from '../../simulator/report/summary.ts';
import { trustOf } from '../../simulator/run-model.ts';

const ROOT = resolve(import.meta.dirname, '../..');
let work: string;
beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'certfleet-i12d-'));
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('issue 12 device-side scenarios', { timeout: 240_000 }, () => {
  it.each([{ scenario: 'windows-hello', codes: ['INSTALL_KSP_UNAVAILABLE'] }])(
    'scenario $scenario: expectations hold, failures only $codes',
    async ({ scenario, codes }) => {
      const run = await runFleet({
        scenario: join(ROOT, 'scenarios', `${scenario}.yaml`),
        out: join(work, scenario),
        broker: { type: 'embedded' },
      });
      const r = run.result;
      expect(r.expectations.filter((e) => !e.held).map((e) => `${e.text}: ${e.detail}`)).toEqual([]);
      expect(r.expectations.length).toBeGreaterThan(0);
      const failing = r.outcomes.filter((o) => o.status === 'failed');
      expect(failing.length).toBeGreaterThan(0);
      expect(new Set(failing.map((o) => o.code))).toEqual(new Set(codes));
      expect(r.outcomes.filter((o) => o.status === 'pending')).toEqual([]);
    },
  );

  it('scenario userless-device: user certificates are not applicable on dedicated devices, nothing sent', async () => {
    const run = await runFleet({
      scenario: join(ROOT, 'scenarios', 'userless-device.yaml'),
      out: join(work, 'userless-device'),
      broker: { type: 'embedded' },
    });
    const r = run.result;
    expect(r.expectations.filter((e) => !e.held).map((e) => `${e.text}: ${e.detail}`)).toEqual([]);
    const na = r.outcomes.filter((o) => o.status === 'not-applicable');
    expect(na.length).toBeGreaterThan(0);
    expect(new Set(na.map((o) => `${o.kind}|${o.code}`))).toEqual(new Set(['dedicated|NOT_APPLICABLE']));
    expect(new Set(na.map((o) => o.profile))).toEqual(new Set(['User cert', 'User cert, device variables']));
    // nothing was sent for them: no delivered event on those rows
    const rows = new Set(na.map((o) => `${o.device}|${o.profile}`));
    expect(r.events.filter((e) => e.type === 'delivered' && rows.has(`${e.device}|${e.profile}`))).toEqual(
      [],
    );
    expect(summarize(r).totals.notApplicable).toBe(na.length);
    expect(r.outcomes.filter((o) => o.status === 'failed' || o.status === 'pending')).toEqual([]);
  });

  it('scenario not-targeted: a profile whose groups reach devices of another platform or kind is not applicable there; no row outside its groups', async () => {
    const run = await runFleet({
      scenario: join(ROOT, 'scenarios', 'not-targeted.yaml'),
      out: join(work, 'not-targeted'),
      broker: { type: 'embedded' },
    });
    const r = run.result;
    expect(r.expectations.filter((e) => !e.held).map((e) => `${e.text}: ${e.detail}`)).toEqual([]);
    const na = r.outcomes.filter((o) => o.status === 'not-applicable');
    // exactly the devices the groups reach but the profile's family is not theirs
    const want = r.outcomes.filter(
      (o) =>
        (o.profile === 'Windows device cert' && o.platform !== 'windows') ||
        (o.profile === 'Fully managed cert' && o.kind === 'work-profile-personal'),
    );
    expect(na.length).toBeGreaterThan(0);
    expect(na).toEqual(want);
    expect(new Set(na.map((o) => o.code))).toEqual(new Set(['NOT_APPLICABLE']));
    expect(new Set(na.map((o) => o.kind))).toEqual(
      new Set(['device', 'fully-managed', 'work-profile-personal']),
    );
    // one row per device and profile name, nothing sent for them
    const rows = na.map((o) => `${o.device}|${o.profile}`);
    expect(new Set(rows).size).toBe(rows.length);
    const naRows = new Set(rows);
    expect(r.events.filter((e) => e.type === 'delivered' && naRows.has(`${e.device}|${e.profile}`))).toEqual(
      [],
    );
    // not assigned: no row (the fully managed profile's group holds only Android; the iOS profile has no assign:)
    expect(r.outcomes.filter((o) => o.profile === 'Fully managed cert' && o.platform !== 'android')).toEqual(
      [],
    );
    expect(r.outcomes.filter((o) => o.profile === 'iOS device cert' && o.platform !== 'ios')).toEqual([]);
    expect(summarize(r).totals.notApplicable).toBe(na.length);
    expect(r.outcomes.filter((o) => o.status === 'failed' || o.status === 'pending')).toEqual([]);
  });

  it('scenario untrusted-no-root: the identities without a root install untrusted, counted apart', async () => {
    const run = await runFleet({
      scenario: join(ROOT, 'scenarios', 'untrusted-no-root.yaml'),
      out: join(work, 'untrusted-no-root'),
      broker: { type: 'embedded' },
    });
    const r = run.result;
    expect(r.expectations.filter((e) => !e.held).map((e) => `${e.text}: ${e.detail}`)).toEqual([]);
    const pkcs = r.outcomes.filter((o) => o.profile === 'Device cert');
    expect(pkcs.length).toBe(12);
    expect(pkcs.filter((o) => o.status !== 'installed')).toEqual([]);
    const untrusted = pkcs.filter((o) => trustOf(o) === false);
    expect(new Set(untrusted.map((o) => o.platform))).toEqual(new Set(['windows', 'ios', 'android']));
    expect(new Set(untrusted.map((o) => o.code))).toEqual(new Set(['INSTALL_UNTRUSTED_CHAIN']));
    expect(summarize(r).totals.untrusted).toBe(untrusted.length);
    expect(pkcs.some((o) => trustOf(o) === true)).toBe(true);
  });
});
