/**
 * Issue 11: `run --broker child` — the service side and every device in the run's process, the embedded
 * broker in a child process — gives the SAME outcome table (device, profile, status, code, renewal count,
 * virtual time) and the same key stores as `run` with the embedded broker, on the fleet engine's
 * equivalence scenario (fixtures/engine-equivalence.yaml: 8 devices, 10 days, renewals, a connector
 * outage, offline windows, a retire), and leaves no broker process behind.
 */
import { copyFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadScenario, planFleet } from '../../simulator/scenario/index.ts';
import { alive, childrenOf, startCli, waitForOutput, type ProcChild } from './fixtures/cli-process.ts';
import { outcomeTable, storeSnapshot } from './fixtures/outcome-table.ts';

const SCENARIO = resolve(import.meta.dirname, 'fixtures/engine-equivalence.yaml');
const DEVICES = planFleet(loadScenario(SCENARIO)).length;

let work: string;
beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'certfleet-child-broker-'));
  copyFileSync(SCENARIO, join(work, 'eq.yaml'));
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('run --broker child (issue 11)', () => {
  it('gives the outcome table and key stores of run with the embedded broker, and stops its broker', async () => {
    const embedded = startCli(['run', 'eq.yaml', '--broker', 'embedded', '--out', 'embedded'], { cwd: work });
    expect(await embedded.exited, embedded.out()).toBe(0);
    const reference = outcomeTable(join(work, 'embedded'));
    // one row per device kept (one profile): the retired devices' rows leave the report
    const { events } = JSON.parse(readFileSync(join(work, 'embedded', 'report.json'), 'utf8')) as {
      events: { type: string }[];
    };
    const retired = events.filter((e) => e.type === 'retired').length;
    expect(retired).toBeGreaterThan(0);
    expect(reference).toHaveLength(DEVICES - retired);
    expect(reference.some((l) => / [12] \d{4}-/.test(l))).toBe(true); // renewals happened

    const child = startCli(['run', 'eq.yaml', '--broker', 'child', '--out', 'child'], { cwd: work });
    // under way: the broker child is running beside the run
    await waitForOutput(child, /devices enrolled/, 120_000);
    const brokers: ProcChild[] = childrenOf(child.proc.pid!).filter((c) => c.argv.includes('--child'));
    expect(brokers.map((b) => b.argv.filter(Boolean).slice(-4).join(' '))).toEqual([
      'broker --child --tenant contoso',
    ]);
    expect(await child.exited, child.out()).toBe(0);
    expect(outcomeTable(join(work, 'child'))).toEqual(reference);
    expect(storeSnapshot(join(work, 'child'))).toEqual(storeSnapshot(join(work, 'embedded')));
    for (const b of brokers) expect(alive(b.pid)).toBe(false);
  }, 400_000);
});
