/**
 * Issue 12 point 6: a small fleet of Android device administrator phones, run end to end on the embedded
 * broker (real MQTT, real SQLite). Its expectations hold, and every device-admin outcome speaks OMA-DM
 * (SyncML status + admin-center status, docs/errors.md §3.5), never AMAPI non-compliance.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runFleet } from '../../simulator/fleet/run-fleet.ts';

const ROOT = resolve(import.meta.dirname, '../..');
let work: string;
beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'certfleet-i12da-'));
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('scenario android-device-admin', { timeout: 240_000 }, () => {
  it('expectations hold; roots refused on Android 11+ Pixels with SyncML 406; no AMAPI field anywhere', async () => {
    const run = await runFleet({
      scenario: join(ROOT, 'scenarios', 'android-device-admin.yaml'),
      out: join(work, 'da'),
      broker: { type: 'embedded' },
    });
    const r = run.result;
    expect(r.expectations.filter((e) => !e.held).map((e) => `${e.text}: ${e.detail}`)).toEqual([]);
    expect(r.expectations).toHaveLength(4);
    const da = r.outcomes.filter((o) => o.kind === 'device-admin');
    expect(da).toHaveLength(12); // 6 devices × 2 profiles
    const refused = da.filter((o) => o.status === 'failed');
    expect(refused.length).toBeGreaterThan(0);
    expect(new Set(refused.map((o) => `${o.profile}|${o.code}`))).toEqual(
      new Set(['Certfleet Root|INSTALL_NOT_ALLOWED']),
    );
    for (const o of refused) {
      expect(o.native).toEqual({ platform: 'android', deviceAdmin: { syncml: 406, console: 'Error' } });
    }
    for (const o of da.filter((x) => x.status === 'installed')) {
      expect(o.native).toEqual({ platform: 'android', deviceAdmin: { syncml: 200, console: 'Succeeded' } });
    }
    expect(JSON.stringify(da)).not.toMatch(/nonCompliance|certificateCommands/);
  });
});
