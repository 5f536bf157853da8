/**
 * Issue 9 point 4: `run`, `serve` and `agents` start their parts through one builder
 * (simulator/fleet/compose/fleet-builder.ts). What could be false: a part that fails leaves earlier parts
 * running (the leaks of `serve` and `agents` before), releases them in start order instead of the reverse,
 * forgets what the failing part itself had started, starts the parts after it anyway, or hides the error.
 */
import { describe, expect, it } from 'vitest';
import { startFleet, type FleetPart } from '../../../simulator/fleet/compose/fleet-builder.ts';
import type { TeardownReason } from '../../../simulator/fleet/teardown.ts';

/** A log of what started and what was released (with the failure each release was told, if any). */
type Log = string[];

/** A part that starts two resources, `<name>.a` and `<name>.b`, failing between them when told to. */
function part(name: string, log: Log, fail?: Error): FleetPart<Log> {
  return {
    name,
    async start(ctx, teardown) {
      ctx.push(`start ${name}.a`);
      teardown.add((reason?: TeardownReason) => log.push(`stop ${name}.a${told(reason)}`));
      await Promise.resolve();
      if (fail) throw fail;
      ctx.push(`start ${name}.b`);
      teardown.add((reason?: TeardownReason) => log.push(`stop ${name}.b${told(reason)}`));
    },
  };
}

const told = (reason?: TeardownReason): string => (reason ? ` (${(reason.failure as Error).message})` : '');

describe('startFleet: a part that fails during the start', () => {
  it('the 3rd of 4 fails: its own first resource, then parts 2 and 1 are released in reverse; the 4th never starts', async () => {
    const log: Log = [];
    const failure = new Error('broker unreachable');
    const parts = [
      part('records', log),
      part('stores', log),
      part('broker', log, failure),
      part('host', log),
    ];
    await expect(startFleet(log, parts)).rejects.toBe(failure);
    expect(log).toEqual([
      'start records.a',
      'start records.b',
      'start stores.a',
      'start stores.b',
      'start broker.a',
      'stop broker.a (broker unreachable)',
      'stop stores.b (broker unreachable)',
      'stop stores.a (broker unreachable)',
      'stop records.b (broker unreachable)',
      'stop records.a (broker unreachable)',
    ]);
    expect(log.some((l) => l.includes('host'))).toBe(false);
  });

  it('a failing release step does not keep the earlier parts from being released', async () => {
    const log: Log = [];
    const noisy: FleetPart<Log> = {
      name: 'noisy',
      start(_ctx, teardown) {
        teardown.add(() => {
          throw new Error('close failed');
        });
      },
    };
    const failing = part('broken', log, new Error('no'));
    await expect(startFleet(log, [part('first', log), noisy, failing])).rejects.toThrow('no');
    expect(log.filter((l) => l.startsWith('stop'))).toEqual([
      'stop broken.a (no)',
      'stop first.b (no)',
      'stop first.a (no)',
    ]);
  });
});

describe('startFleet: a fleet that started', () => {
  it('stopAfter releases only the parts after the named one (last first); stop releases the rest, each once', async () => {
    const log: Log = [];
    const fleet = await startFleet(log, [part('records', log), part('stores', log), part('broker', log)]);
    expect(fleet.parts).toEqual(['records', 'stores', 'broker']);
    await fleet.stopAfter('records');
    expect(log.filter((l) => l.startsWith('stop'))).toEqual([
      'stop broker.b',
      'stop broker.a',
      'stop stores.b',
      'stop stores.a',
    ]);
    await fleet.stop({ failure: new Error('late') });
    await fleet.stop();
    expect(log.filter((l) => l.startsWith('stop'))).toEqual([
      'stop broker.b',
      'stop broker.a',
      'stop stores.b',
      'stop stores.a',
      'stop records.b (late)',
      'stop records.a (late)',
    ]);
  });

  it('stopAfter an unknown part is an INTERNAL error that names the parts', async () => {
    const fleet = await startFleet([] as Log, [part('records', [])]);
    await expect(fleet.stopAfter('nope')).rejects.toMatchObject({
      code: 'INTERNAL',
      message: expect.stringContaining('records'),
    });
  });
});
