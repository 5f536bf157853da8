/**
 * Issue 9 point 4: the settle loop of `certfleet run` (simulator/fleet/compose/settle.ts) gave up after
 * 1,000 rounds without a word, and the run went on as if the instant had settled. What could be false: a
 * loop that never settles still ends quietly, the error does not name who the run waits for, or the
 * virtual clock swallows it and runs on.
 */
import { describe, expect, it } from 'vitest';
import { InFlight } from '../../../protocol/transport/in-flight.ts';
import { VirtualClock } from '../../../simulator/clock/virtual-clock.ts';
import { settleFleet } from '../../../simulator/fleet/compose/settle.ts';

const START = Date.parse('2026-01-01T00:00:00Z');
const TOPIC = 'certfleet/contoso/device/dev-a/in/x';

/** A "service" whose every idle() sends device `dev-a` one more message, handled a moment later. */
function neverQuiet(inFlight: InFlight): { idle: () => Promise<void>; rounds: () => number } {
  let rounds = 0;
  return {
    rounds: () => rounds,
    idle: async () => {
      rounds++;
      inFlight.published('mdm-service', TOPIC);
      setTimeout(() => inFlight.handled('dev-a'), 1);
    },
  };
}

describe('settleFleet', () => {
  it('returns once nothing is in flight and everything is idle', async () => {
    const inFlight = new InFlight();
    inFlight.subscribed('dev-a', 'certfleet/contoso/device/dev-a/in/#');
    let idled = 0;
    const settle = settleFleet({
      inFlight,
      idle: [async () => void idled++],
      clock: new VirtualClock(START),
    });
    await settle();
    expect(idled).toBe(1);
  });

  it('a run that never settles ends with RUN_STALLED naming the pending client, at the instant it stalled', async () => {
    const inFlight = new InFlight();
    inFlight.subscribed('dev-a', 'certfleet/contoso/device/dev-a/in/#');
    inFlight.subscribed('dev-b', 'certfleet/contoso/device/dev-b/in/#'); // quiet: not named
    const service = neverQuiet(inFlight);
    const clock = new VirtualClock(START);
    let after = false;
    clock.schedule(START + 60_000, () => undefined);
    clock.schedule(START + 120_000, () => void (after = true));
    const settle = settleFleet({ inFlight, idle: [service.idle], clock, maxRounds: 5 });
    const settleAfterFirstInstant = async (): Promise<void> => {
      if (clock.now().getTime() >= START + 60_000) await settle();
    };
    const error = await clock.runUntil(START + 3_600_000, settleAfterFirstInstant).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toMatchObject({
      code: 'RUN_STALLED',
      message: expect.stringMatching(
        /stalled at 2026-01-01T00:01:00\.000Z .*after 5 rounds.*pending for dev-a\./s,
      ),
      details: { rounds: 5, pending: ['dev-a'] },
    });
    expect(service.rounds()).toBe(5);
    // the clock did not run on past the instant that stalled
    expect(after).toBe(false);
    expect(clock.now().getTime()).toBe(START + 60_000);
  });

  it('names at most ten clients, then says how many more', async () => {
    const inFlight = new InFlight();
    for (let i = 0; i < 12; i++) inFlight.subscribed(`dev-${String(i).padStart(2, '0')}`, 'all/#');
    const settle = settleFleet({
      inFlight,
      idle: [
        async () => {
          inFlight.published('mdm-service', 'all/x');
          setTimeout(() => {
            for (let i = 0; i < 12; i++) inFlight.handled(`dev-${String(i).padStart(2, '0')}`);
          }, 1);
        },
      ],
      clock: new VirtualClock(START),
      maxRounds: 2,
    });
    await expect(settle()).rejects.toMatchObject({
      code: 'RUN_STALLED',
      message: expect.stringContaining(
        'dev-00, dev-01, dev-02, dev-03, dev-04, dev-05, dev-06, dev-07, dev-08, dev-09 and 2 more',
      ),
    });
  });
});
