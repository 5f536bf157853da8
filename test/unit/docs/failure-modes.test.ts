/**
 * Issue 12 point 10: docs/failure-modes.md is the one failure-mode table. Every scenario it names is shipped,
 * loads, and has an expectation that judges each code of its row (a `code:`, or for `OK` a `status:
 * installed`, for `INSTALL_UNTRUSTED_CHAIN` a `trusted: false`); every code is one certfleet emits; and
 * docs/errors.md points at the table instead of keeping a second one; and an e2e test runs each scenario
 * (test/e2e/failure-modes.test.ts runs those no other e2e test runs).
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ERROR_CODES } from '../../../pki/errors.ts';
import { loadScenario } from '../../../simulator/scenario/load-scenario.ts';
import type { Expectation } from '../../../simulator/scenario/types.ts';
import { e2eFilesRunning, failureModeRows, ROOT } from '../../fixtures/failure-modes-table.ts';

const rows = failureModeRows();

function judges(e: Expectation, code: string): boolean {
  if (e.code === code) return true;
  if (code === 'OK') return e.status === 'installed' && (e.code === undefined || e.code === 'OK');
  if (code === 'INSTALL_UNTRUSTED_CHAIN') return e.trusted === false;
  return false;
}

describe('docs/failure-modes.md: the failure-mode table', () => {
  it('has rows, most of them with a shipped scenario, each with a code', () => {
    expect(rows.length).toBeGreaterThanOrEqual(12);
    expect(rows.filter((r) => r.scenario !== undefined).length).toBeGreaterThanOrEqual(10);
    expect(rows.filter((r) => r.codes.length === 0).map((r) => r.mode)).toEqual([]);
  });

  it('every code in it is OK or an ERROR_CODES code', () => {
    const unknown = rows.flatMap((r) => r.codes).filter((c) => c !== 'OK' && !(c in ERROR_CODES));
    expect(unknown).toEqual([]);
  });

  it.each(rows.filter((r) => r.scenario !== undefined).map((r) => [r.scenario!, r] as const))(
    '%s exists, loads and judges the codes of its row',
    (scenario, row) => {
      const file = join(ROOT, scenario);
      expect(existsSync(file), `${scenario} is not shipped`).toBe(true);
      const s = loadScenario(file);
      const unjudged = row.codes.filter((c) => !s.expect.some((e) => judges(e, c)));
      expect(unjudged, `${scenario}: no expectation judges ${unjudged.join(', ')}`).toEqual([]);
    },
  );

  it('every scenario the table names is run by an e2e test that checks its expectations', () => {
    const named = rows.filter((r) => r.scenario !== undefined);
    const byOthers = named.filter(
      (r) =>
        e2eFilesRunning(r.scenario!.replace(/^scenarios\/|\.yaml$/g, ''), 'failure-modes.test.ts').length > 0,
    );
    // test/e2e/failure-modes.test.ts runs the rest; the other e2e files cover most (the lookup works)
    expect(byOthers.length).toBeGreaterThanOrEqual(10);
  });

  it('the scenarios README lists every scenario the table names', () => {
    const readme = readFileSync(join(ROOT, 'scenarios', 'README.md'), 'utf8');
    const missing = rows
      .map((r) => r.scenario?.replace('scenarios/', ''))
      .filter((f): f is string => f !== undefined && !readme.includes(`\`${f}\``));
    expect(missing).toEqual([]);
  });

  it('docs/errors.md keeps no table of its own: its Failure modes section points at docs/failure-modes.md', () => {
    const errors = readFileSync(join(ROOT, 'docs/errors.md'), 'utf8');
    const start = errors.indexOf('## Failure modes');
    const section = errors.slice(start, errors.indexOf('\n## ', start + 1));
    expect(start).toBeGreaterThan(0);
    expect(section).toMatch(/\]\(failure-modes\.md\)/);
    expect(section).not.toMatch(/^\|/m);
  });
});
