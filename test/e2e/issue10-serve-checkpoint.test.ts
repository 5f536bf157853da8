/**
 * Issue 10 point 3 (a killed `serve` resumes), the part wired so far: a coordinated `serve` writes
 * service-state.db as it runs (simulator/fleet/compose/service-state.ts). What could be false:
 * - the checkpoint is not written at each instant's close, or lags behind it;
 * - a device message kept below the round gate (ReceivingTransport) is still held, or an outbox entry still
 *   unconfirmed, when the instant closed (every side idle: all of them were handled and published);
 * - the saved records do not follow the service (an enrolled device missing from the saved enrolments);
 * - the saved state outlives a finished run;
 * - the chain changes what the run does (the outcome table differs from the one-process `run`).
 * The resume itself is not wired yet: test/e2e/issue10-serve-restart.test.ts asserts the refusal.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { TENANT } from '../../simulator/fleet/compose/service-side.ts';
import { coordinateFleet, hostShard, scenarioDigest } from '../../simulator/fleet/engine-fleet.ts';
import { startFleetBroker } from '../../simulator/fleet/fleet-broker.ts';
import { runFleet } from '../../simulator/fleet/run-fleet.ts';
import { SERVICE_STATE_FILE, ServiceCheckpoint } from '../../simulator/fleet/service-checkpoint.ts';
import { splitScenario } from '../../simulator/fleet/split-fleet.ts';

const SCENARIO = resolve(import.meta.dirname, 'fixtures/engine-equivalence.yaml');
const SECRET = Buffer.from('issue10-serve-checkpoint-secret-0123456789', 'utf8');
const DEVICES = 4;

const work = mkdtempSync(join(tmpdir(), 'certfleet-serve-checkpoint-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

interface Seen {
  now: number;
  at: number | undefined;
  held: number;
  unconfirmed: number;
  enrolled: number;
  savedEnrolments: number;
  savedLedgerSent: number;
}

describe(
  'issue 10 point 3: serve checkpoints its service state at each instant',
  { timeout: 300_000 },
  () => {
    it('service-state.db follows every instant, holds nothing unhandled at a close, and goes when the run finishes', async () => {
      const digest = scenarioDigest(SCENARIO, splitScenario({ scenario: SCENARIO, devices: DEVICES }));
      const broker = await startFleetBroker({ tenant: TENANT, secret: SECRET });
      const seen: Seen[] = [];
      const out = join(work, 'serve');
      try {
        const common = { scenario: SCENARIO, devices: DEVICES, broker: broker.url, secret: SECRET };
        const [served] = await Promise.all([
          coordinateFleet({
            ...common,
            hosts: 1,
            out,
            resumable: true, // as `serve` runs it (run --workers keeps no checkpoints)
            onProgress: (p) => {
              // called right after the instant's checkpoint: read it back through a second connection
              const cp = ServiceCheckpoint.open(out, { digest, secret: SECRET });
              try {
                let sent = 0;
                for (const c of cp.ledger().values()) sent += c.sent;
                seen.push({
                  now: p.virtual.now,
                  at: cp.position()?.at,
                  held: cp.held().length,
                  unconfirmed: cp.unconfirmed().length,
                  enrolled: p.enrolled,
                  savedEnrolments: cp.records('enrollments').size,
                  savedLedgerSent: sent,
                });
              } finally {
                cp.close();
              }
            },
          }),
          hostShard({ ...common, shard: { index: 0, count: 1 }, out: join(work, 'agents') }),
        ]);

        expect(seen.length).toBeGreaterThan(10);
        for (const s of seen) {
          expect(s.at).toBe(s.now);
          expect(s.held).toBe(0);
          expect(s.unconfirmed).toBe(0);
          expect(s.savedEnrolments).toBeGreaterThanOrEqual(Math.min(s.enrolled, DEVICES));
        }
        const last = seen.at(-1) as Seen;
        expect(last.savedEnrolments).toBe(DEVICES);
        expect(last.savedLedgerSent).toBeGreaterThan(DEVICES); // enrol requests and reports at least
        // the saved state goes with a finished run
        expect(existsSync(join(out, SERVICE_STATE_FILE))).toBe(false);

        // the chain changes nothing the run does: the one-process run's outcome table
        const run = await runFleet({ scenario: SCENARIO, devices: DEVICES, out: join(work, 'run') });
        const table = (r: typeof run.result) =>
          r.outcomes.map((o) => [o.device, o.profile, o.status, o.code, o.at, o.renewals].join(' ')).sort();
        // a row per kept device at least (the scenario retires devices, whose rows leave the outcomes)
        const retired = served.result.events.filter((e) => e.type === 'retired').length;
        expect(table(served.result).length).toBeGreaterThanOrEqual(DEVICES - retired);
        expect(table(served.result)).toEqual(table(run.result));
      } finally {
        await broker.close();
      }
    });
  },
);
