/**
 * The per-device counters of the fleet engine: which topics each side counts, snapshots of what changed,
 * and the in-progress count a host waits on.
 */
import { describe, expect, it } from 'vitest';
import { DeviceLedger } from '../../../protocol/transport/device-ledger.ts';

const IN = 'certfleet/acme/device/d1/in/remove/p1';
const OUT = 'certfleet/acme/device/d1/out/checkin';
const OTHER = 'certfleet/acme/service/to-service/poll';

describe('DeviceLedger', () => {
  it.each([
    {
      side: 'service' as const,
      publish: [IN, OUT, OTHER],
      handle: [OUT, IN, OTHER],
      expected: { sent: 1, handled: 1 },
    },
    {
      side: 'device' as const,
      publish: [OUT, IN, OTHER],
      handle: [IN, OUT, OTHER],
      expected: { sent: 1, handled: 1 },
    },
  ])('the $side side counts its own direction only', ({ side, publish, handle, expected }) => {
    const l = new DeviceLedger({ tenant: 'acme', side });
    for (const t of publish) l.published(t);
    for (const t of handle) {
      l.arrived(t);
      l.handled(t);
    }
    expect(l.counts('d1')).toEqual(expected);
    expect(l.devices()).toEqual(['d1']);
    expect(l.totals()).toEqual(expected);
  });

  it('snapshots only what changed since the last snapshot, with cumulative values', () => {
    const l = new DeviceLedger({ tenant: 'acme', side: 'service' });
    l.sentTo('d2');
    l.sentTo('d1');
    expect(l.snapshotChanged()).toEqual({ d1: { sent: 1, handled: 0 }, d2: { sent: 1, handled: 0 } });
    expect(l.snapshotChanged()).toEqual({});
    l.handledFrom('d2');
    expect(l.snapshotChanged()).toEqual({ d2: { sent: 1, handled: 1 } });
  });

  it('a change tracker collects the devices that changed, apart from the snapshots, and nothing before it', () => {
    const l = new DeviceLedger({ tenant: 'acme', side: 'service' });
    l.sentTo('d0'); // before the tracker: not collected
    const changed = l.trackChanges();
    l.sentTo('d2');
    l.handledFrom('d1');
    l.snapshotChanged(); // the coordinator's snapshot does not empty the tracker
    expect([...changed].sort()).toEqual(['d1', 'd2']);
    changed.clear();
    l.handledFrom('d2');
    l.restore([
      ['d3', { sent: 2, handled: 1 }],
      ['d2', { sent: 0, handled: 0 }], // nothing raised: not collected again
    ]);
    expect([...changed].sort()).toEqual(['d2', 'd3']);
    expect(l.snapshotChanged()).toEqual({ d2: { sent: 1, handled: 1 }, d3: { sent: 2, handled: 1 } });
  });

  it('counts messages in progress until handled or abandoned, and idle() waits for them', async () => {
    const l = new DeviceLedger({ tenant: 'acme', side: 'device' });
    l.arrived(IN);
    l.arrived(IN);
    let idle = false;
    void l.idle().then(() => (idle = true));
    l.handled(IN);
    await new Promise((r) => setImmediate(r));
    expect([l.inProgress(), idle]).toEqual([1, false]);
    l.abandoned(IN); // the transport closed before handling it: not counted as handled
    await new Promise((r) => setImmediate(r));
    expect([l.inProgress(), idle]).toEqual([0, true]);
    expect(l.counts('d1')).toEqual({ sent: 0, handled: 1 });
  });
});
