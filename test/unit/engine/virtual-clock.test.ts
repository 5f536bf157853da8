/**
 * The virtual clock driven from outside (the fleet engine): advanceTo never goes back, runDue runs what is
 * due — and what that schedules at or before now — in (at, key, seq) order, and runUntil is unchanged.
 */
import { describe, expect, it } from 'vitest';
import { VirtualClock } from '../../../simulator/clock/virtual-clock.ts';

const T0 = Date.UTC(2025, 0, 1);

describe('VirtualClock.advanceTo / runDue', () => {
  it('moves forward only and runs nothing by itself', async () => {
    const c = new VirtualClock(T0);
    const ran: string[] = [];
    c.schedule(T0 + 10, () => void ran.push('a'));
    c.advanceTo(T0 + 20);
    expect(c.nowMs()).toBe(T0 + 20);
    expect(ran).toEqual([]);
    c.advanceTo(T0 + 5);
    expect(c.nowMs()).toBe(T0 + 20);
    expect(await c.runDue()).toBe(1);
    expect(ran).toEqual(['a']);
    expect(c.nextAtMs()).toBeUndefined();
  });

  it('runs timers due at or before now, and those they schedule at now, in (at, key, seq) order', async () => {
    const c = new VirtualClock(T0);
    const ran: string[] = [];
    c.schedule(T0 + 5, () => void ran.push('5'));
    c.schedule(T0 + 10, () => void ran.push('10/b'), 'b');
    c.schedule(
      T0 + 10,
      () => {
        ran.push('10/a');
        c.after(0, () => void ran.push('10/0 scheduled by 10/a'), '0');
        c.after(1, () => void ran.push('11'));
      },
      'a',
    );
    c.schedule(T0 + 10, () => void ran.push('10/none'));
    c.schedule(T0 + 20, () => void ran.push('20'));
    c.advanceTo(T0 + 10);
    expect(await c.runDue()).toBe(5);
    // the key breaks ties, not the order of scheduling; no key sorts first
    // ('0' < 'b': the timer 10/a scheduled at now runs before 10/b, which was scheduled earlier)
    expect(ran).toEqual(['5', '10/none', '10/a', '10/0 scheduled by 10/a', '10/b']);
    expect(c.nextAtMs()).toBe(T0 + 11);
    expect(c.nowMs()).toBe(T0 + 10);
  });

  it('skips cancelled timers and awaits async ones one at a time', async () => {
    const c = new VirtualClock(T0);
    const ran: string[] = [];
    const h = c.schedule(T0, () => void ran.push('cancelled'));
    c.schedule(T0, async () => {
      await new Promise((r) => setTimeout(r, 5));
      ran.push('slow');
    });
    c.schedule(T0, () => void ran.push('after slow'));
    h.cancel();
    expect(c.nextAtMs()).toBe(T0);
    await c.runDue();
    expect(ran).toEqual(['slow', 'after slow']);
  });

  it('runUntil still runs every timer up to the end and finishes there', async () => {
    const c = new VirtualClock(T0);
    const seen: number[] = [];
    for (const dt of [30, 10, 20, 50]) c.schedule(T0 + dt, () => void seen.push(c.nowMs() - T0));
    await c.runUntil(T0 + 40);
    expect(seen).toEqual([10, 20, 30]);
    expect(c.nowMs()).toBe(T0 + 40);
    expect(c.nextAt()?.getTime()).toBe(T0 + 50);
  });
});
