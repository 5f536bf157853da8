/**
 * Issue 12 point 10: every shipped scenario docs/failure-modes.md names runs and its expectations hold.
 * Most already run in another e2e test that checks exactly that (fleet.test.ts, issue12-device-scenarios
 * .test.ts: test/unit/docs/failure-modes.test.ts checks each is named there or here); this file runs the
 * rest on the embedded broker, and checks each code of the row shows in the outcomes.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runFleet } from '../../simulator/fleet/run-fleet.ts';
import { loadScenario } from '../../simulator/scenario/load-scenario.ts';
import { e2eFilesRunning, failureModeRows, ROOT } from '../fixtures/failure-modes-table.ts';

let work: string;
beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'certfleet-fm-'));
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

const nameOf = (scenario: string): string => scenario.replace(/^scenarios\/|\.yaml$/g, '');
const rows = failureModeRows()
  .filter((r) => r.scenario !== undefined)
  .filter((r) => e2eFilesRunning(nameOf(r.scenario!), 'failure-modes.test.ts').length === 0);

describe('docs/failure-modes.md: the scenarios no other e2e test runs hold', { timeout: 300_000 }, () => {
  it('runs at least the several-CAs scenario here', () => {
    expect(rows.map((r) => r.scenario)).toContain('scenarios/several-cas.yaml');
  });

  it.each(rows.map((r) => [r.scenario!, r.codes] as const))(
    '%s: expectations hold, %s seen',
    async (scenario, codes) => {
      const file = join(ROOT, scenario);
      expect(loadScenario(file).fleet.devices, `${scenario} is too large for this test`).toBeLessThanOrEqual(
        12,
      );
      const run = await runFleet({
        scenario: file,
        out: join(work, nameOf(scenario)),
        broker: { type: 'embedded' },
      });
      const r = run.result;
      expect(r.expectations.length).toBeGreaterThan(0);
      expect(r.expectations.filter((e) => !e.held).map((e) => `${e.text}: ${e.detail}`)).toEqual([]);
      const seen = new Set<string>(r.outcomes.map((o) => o.code));
      expect(codes.filter((c) => !seen.has(c))).toEqual([]);
    },
  );
});
