/**
 * A resumed service arms again the re-check of a request the CA holds (handlers/resume.ts). A held renewal
 * keeps its row installed (the device still holds a valid certificate: result.ts), so the re-check is known
 * by the delivery's reason, not by a pending row: without it, a renewal held across a kill of `serve` was
 * never fetched again.
 */
import { describe, expect, it } from 'vitest';
import type { DeliveryContext } from '../../../simulator/service/mdm/handlers/delivery.ts';
import { rearmTimer } from '../../../simulator/service/mdm/handlers/resume.ts';
import type { Delivery } from '../../../simulator/service/mdm/stores/deliveries.ts';

const NOW = Date.parse('2026-03-01T00:00:00Z');

function armedBy(d: Partial<Delivery>): { rearmed: boolean; waits: number[] } {
  const waits: number[] = [];
  const ctx = {
    clock: {
      now: () => new Date(NOW),
      after: (wait: number) => {
        waits.push(wait);
        return { cancel: () => undefined };
      },
    },
    stopped: () => false,
  } as unknown as DeliveryContext;
  const delivery = {
    removed: false,
    awaiting: false,
    timerAt: NOW + 600_000,
    outcome: { status: 'installed', code: 'OK', message: 'installed' },
    ...d,
  } as unknown as Delivery;
  return { rearmed: rearmTimer(ctx, delivery), waits };
}

describe('resume: the re-check of a held request', () => {
  it('a held renewal (row installed) is re-checked at the instant it would have been', () => {
    expect(armedBy({ reason: 'renewal' })).toEqual({ rearmed: true, waits: [600_000] });
  });

  it('a held first issuance (row pending) is re-checked as before', () => {
    const pending = { status: 'pending', code: 'CA_REQUEST_PENDING', message: 'held' };
    expect(armedBy({ reason: 'initial', outcome: pending } as Partial<Delivery>)).toEqual({
      rearmed: true,
      waits: [600_000],
    });
  });

  it('an installed first issuance has nothing to re-check, nor a timer already past', () => {
    expect(armedBy({ reason: 'initial' })).toEqual({ rearmed: false, waits: [] });
    expect(armedBy({ reason: 'renewal', timerAt: NOW - 1 })).toEqual({ rearmed: false, waits: [] });
  });
});
