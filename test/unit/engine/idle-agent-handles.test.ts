/**
 * What an idle agent holds (issue 11 point 3): a timer's cancel handle and a device's keyed scheduler carry
 * their state in fields with one shared method — no closure per timer or device — and still do their
 * work: a cancelled timer never runs, and a device's timers keep its id as their tie-break.
 */
import { describe, expect, it } from 'vitest';
import { VirtualClock } from '../../../simulator/clock/virtual-clock.ts';
import { keyedScheduler, type FleetClock } from '../../../simulator/fleet/compose/fleet-context.ts';

const T0 = Date.UTC(2025, 0, 1);

describe('shared handles of the virtual clock and the keyed scheduler', () => {
  it("a timer's cancel is one function for every timer, and cancels only its own timer", async () => {
    const c = new VirtualClock(T0);
    const ran: string[] = [];
    const a = c.schedule(T0 + 10, () => void ran.push('a'));
    const b = c.schedule(T0 + 10, () => void ran.push('b'));
    expect(a.cancel).toBe(b.cancel); // a method, not a closure made per timer
    a.cancel();
    c.advanceTo(T0 + 10);
    await c.runDue();
    expect(ran).toEqual(['b']);
  });

  it("a device's scheduler shares `after` with every other device's, and its timers carry the device's key", async () => {
    const c = new VirtualClock(T0);
    const clock: FleetClock = c;
    const ran: string[] = [];
    const devB = keyedScheduler(clock, 'dev-b');
    const devA = keyedScheduler(clock, 'dev-a');
    expect(devA.after).toBe(devB.after);
    // scheduled b first, at the same instant: the key orders them, a before b
    devB.after(5, () => void ran.push('dev-b'));
    devA.after(5, () => void ran.push('dev-a'));
    c.advanceTo(T0 + 5);
    await c.runDue();
    expect(ran).toEqual(['dev-a', 'dev-b']);
  });
});
