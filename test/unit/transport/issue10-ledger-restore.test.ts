/**
 * Issue 10 point 3 — a resumed `serve` takes back its service ledger's counts from the checkpoint
 * (protocol/transport/device-ledger.ts `restore`): merged by maximum, totals following, the devices raised
 * reported as changed — so the coordinator's "nothing in flight" rule compares the hosts' cumulative counts
 * with the counts the killed service had reached, not with zeros.
 */
import { describe, expect, it } from 'vitest';
import { DeviceLedger } from '../../../protocol/transport/device-ledger.ts';
import { deviceOutTopic } from '../../../protocol/wire/topics.ts';

describe('issue 10 point 3: the service ledger restored from a checkpoint', () => {
  it('raises counts to the saved ones, never lowers them, and reports the raised devices', () => {
    const ledger = new DeviceLedger({ tenant: 'contoso', side: 'service' });
    ledger.handled(deviceOutTopic('contoso', 'dev-b', 'enroll'));
    ledger.handled(deviceOutTopic('contoso', 'dev-b', 'enroll'));
    ledger.snapshotChanged(); // the coordinator took what it had
    ledger.restore([
      ['dev-a', { sent: 3, handled: 2 }],
      ['dev-b', { sent: 0, handled: 1 }], // below what it has: unchanged
    ]);
    expect(ledger.counts('dev-a')).toEqual({ sent: 3, handled: 2 });
    expect(ledger.counts('dev-b')).toEqual({ sent: 0, handled: 2 });
    expect(ledger.totals()).toEqual({ sent: 3, handled: 4 });
    expect(ledger.snapshotChanged()).toEqual({ 'dev-a': { sent: 3, handled: 2 } });
    // counting goes on from the restored values
    ledger.handled(deviceOutTopic('contoso', 'dev-a', 'checkin'));
    expect(ledger.counts('dev-a')).toEqual({ sent: 3, handled: 3 });
    expect(ledger.totals()).toEqual({ sent: 3, handled: 5 });
  });

  it('wakes a waiter on change when a restore raised counts', async () => {
    const ledger = new DeviceLedger({ tenant: 'contoso', side: 'service' });
    let woke = false;
    const waiting = ledger.changed().then(() => (woke = true));
    ledger.restore([['dev-a', { sent: 1, handled: 0 }]]);
    await waiting;
    expect(woke).toBe(true);
  });
});
