/**
 * Issue 12 point 10: every shipped scenario docs/failure-modes.md names runs on the embedded broker and its
 * expectations hold, and each code of its row shows in the outcomes. Scenarios run at their own size when
 * small (≤ 12 devices; all of those named are).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runFleet } from '../../simulator/fleet/run-fleet.ts';
import { loadScenario } from '../../simulator/scenario/load-scenario.ts';
import { failureModeRows, ROOT } from '../fixtures/failure-modes-table.ts';

let work: string;
beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'certfleet-fm-'));
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

const rows = failureModeRows().filter((r) => r.scenario !== undefined);

describe('docs/failure-modes.md: each scenario it names holds', { timeout: 300_000 }, () => {
  it('names scenarios', () => {
    expect(rows.length).toBeGreaterThanOrEqual(10);
  });

  it.each(rows.map((r) => [r.scenario!, r.codes] as const))(
    '%s: expectations hold, %s seen',
    async (scenario, codes) => {
      const file = join(ROOT, scenario);
      const size = loadScenario(file).fleet.devices;
      expect(size, `${scenario} is too large for this test`).toBeLessThanOrEqual(12);
      const name = scenario.replace(/^scenarios\/|\.yaml$/g, '');
      const run = await runFleet({ scenario: file, out: join(work, name), broker: { type: 'embedded' } });
      const r = run.result;
      expect(r.expectations.length).toBeGreaterThan(0);
      expect(r.expectations.filter((e) => !e.held).map((e) => `${e.text}: ${e.detail}`)).toEqual([]);
      const seen = new Set(r.outcomes.map((o) => o.code));
      expect(codes.filter((c) => !seen.has(c as never))).toEqual([]);
    },
  );
});
