/**
 * Issue 10 point 3 — stores that mark what changed (dirty sets), so that saving a handled message's
 * changes costs what it touched: DeliveryStore.saveChanged (every delivery handed out marks itself when
 * written, or when an object of it is handed out for change in place) and ReportStore.saveChanged (the
 * counters and the new events). Checked against the full listing (`save`): compared the same way
 * (RecordDiff), the partial listing never misses a change.
 */
import { describe, expect, it } from 'vitest';
import { RecordDiff } from '../../../simulator/fleet/record-diff.ts';
import type { DeviceProfileOutcome } from '../../../simulator/run-model.ts';
import type { ProfileAssignment } from '../../../simulator/service/mdm/assignment.ts';
import type { ServiceDevice } from '../../../simulator/service/mdm/service-types.ts';
import { DeliveryStore, type Delivery } from '../../../simulator/service/mdm/stores/deliveries.ts';
import { ReportStore } from '../../../simulator/service/mdm/stores/reports.ts';
import type { SavedRecord } from '../../../simulator/service/mdm/stores/saved-records.ts';

const device = (id: string) => ({ id }) as ServiceDevice;
const assignment = (name: string) => ({ name }) as ProfileAssignment;
const outcome = (id: string, profile: string): DeviceProfileOutcome =>
  ({
    device: id,
    profile,
    status: 'pending',
    code: 'DELIVERY_NO_ANSWER',
    message: 'Assigned; not sent yet.',
    renewals: 0,
    at: '2026-06-01T12:00:00.000Z',
  }) as unknown as DeviceProfileOutcome;
const delivery = (id: string, profile: string): Delivery => ({
  device: device(id),
  assignment: assignment(profile),
  outcome: outcome(id, profile),
  attempt: 0,
  awaiting: false,
  sends: 0,
  removed: false,
});
const keys = (records: SavedRecord[]): string[] => records.map((r) => r.key);
const text = (records: SavedRecord[]): string[] => records.map((r) => `${r.key}=${r.value.toString()}`);
const keyOf = (id: string, profile: string): string => JSON.stringify([id, profile]);

describe('issue 10 point 3: stores that mark what changed', () => {
  it('deliveries: lists every one first, then only those written or handed out for change in place', () => {
    const s = new DeliveryStore();
    const a = s.put(delivery('a', 'wifi'));
    const b = s.put(delivery('b', 'wifi'));
    s.put(delivery('c', 'vpn'));
    // the first listing is the full one, record for record
    expect(text(s.saveChanged())).toEqual(text(s.save()));
    expect(s.saveChanged()).toEqual([]);

    // reads of plain fields mark nothing
    expect(a.attempt + b.sends).toBe(0);
    expect([...s.all()].filter((d) => d.removed)).toEqual([]);
    expect(s.saveChanged()).toEqual([]);

    // a write through the delivery as handed out (by get, a listing, or held by a timer since)
    a.attempt += 1;
    s.get('c', 'vpn')!.awaiting = true;
    const changed = s.saveChanged();
    expect(keys(changed)).toEqual([keyOf('a', 'wifi'), keyOf('c', 'vpn')]);
    // the same bytes as the full listing has for them (their place in the store included)
    const full = new Map(s.save().map((r) => [r.key, r.value]));
    for (const r of changed) expect(r.value.equals(full.get(r.key)!)).toBe(true);

    // a change in place of an object it holds, and a property removed
    b.outcome.renewals += 1;
    expect(keys(s.saveChanged())).toEqual([keyOf('b', 'wifi')]);
    b.timerAt = 5;
    s.saveChanged();
    delete b.timerAt;
    expect(keys(s.saveChanged())).toEqual([keyOf('b', 'wifi')]);

    // a delivery put again (replaced) keeps its place and is listed
    const again = s.put(delivery('a', 'wifi'));
    expect(s.get('a', 'wifi')).toBe(again);
    const listed = s.saveChanged();
    expect(keys(listed)).toEqual([keyOf('a', 'wifi')]);
    expect(JSON.parse(listed[0]!.value.toString()).order).toBe(0);
  });

  it('deliveries: compared like the full listing, the partial one never misses a change', () => {
    const s = new DeliveryStore();
    const held = [
      s.put(delivery('a', 'wifi')),
      s.put(delivery('a', 'vpn')),
      s.put(delivery('b', 'wifi')),
      s.put(delivery('c', 'wifi')),
    ];
    const fullDiff = new RecordDiff();
    const partialDiff = new RecordDiff();
    const step = (): void => {
      const byFull = fullDiff.changes('deliveries', s.save());
      const byPartial = partialDiff.changesOf('deliveries', s.saveChanged());
      fullDiff.commit(byFull);
      partialDiff.commit(byPartial);
      expect(text(byPartial as SavedRecord[])).toEqual(text(byFull as SavedRecord[]));
    };
    step();
    // changes of the kinds the handlers make, each followed by a save
    const changes: Array<() => void> = [
      () => (held[0]!.attempt += 1),
      () => (held[2]!.outcome = { ...held[2]!.outcome, status: 'installed', code: 'OK' }),
      () => (held[1]!.outcome.renewals += 1),
      () => (held[3]!.sent = { topic: 't', payload: Buffer.from('p'), format: 'syncml', id: 'x' }),
      () => (held[0]!.awaiting = false), // a write of the same value: marked, and compared away
      () => void s.put(delivery('d', 'wifi')),
    ];
    for (const change of changes) {
      change();
      step();
    }
    // the last save listed only what changed
    expect(keys(s.saveChanged())).toEqual([]);
  });

  it('deliveries by device and by assignment: the store order, live, a replaced one in its place, marked', () => {
    const s = new DeliveryStore();
    s.put(delivery('a', 'wifi'));
    s.put(delivery('b', 'wifi'));
    s.put(delivery('a', 'vpn'));
    s.put(delivery('c', 'vpn'));
    const pairs = (list: Iterable<Delivery>) => [...list].map((d) => `${d.device.id}/${d.assignment.name}`);
    // each listing is the full listing filtered, in the same order
    const filtered = (pred: (d: Delivery) => boolean) => pairs([...s.all()].filter(pred));
    expect(pairs(s.ofDevice('a'))).toEqual(['a/wifi', 'a/vpn']);
    expect(pairs(s.ofDevice('a'))).toEqual(filtered((d) => d.device.id === 'a'));
    expect(pairs(s.ofAssignment('vpn'))).toEqual(['a/vpn', 'c/vpn']);
    expect(pairs(s.ofAssignment('vpn'))).toEqual(filtered((d) => d.assignment.name === 'vpn'));
    expect(pairs(s.ofDevice('nobody'))).toEqual([]);
    expect(pairs(s.ofAssignment('none'))).toEqual([]);

    // live: a delivery added while the listing is walked is visited
    const seen: string[] = [];
    for (const d of s.ofDevice('b')) {
      seen.push(d.assignment.name);
      if (seen.length === 1) s.put(delivery('b', 'vpn'));
    }
    expect(seen).toEqual(['wifi', 'vpn']);

    // a delivery put again keeps its place, and the listing hands out the new one
    const again = s.put(delivery('a', 'wifi'));
    expect(pairs(s.ofDevice('a'))).toEqual(['a/wifi', 'a/vpn']);
    expect([...s.ofDevice('a')][0]).toBe(again);
    expect([...s.ofAssignment('wifi')][0]).toBe(again);

    // a write through a listing marks the delivery for saving
    s.saveChanged();
    [...s.ofAssignment('vpn')][1]!.attempt += 1;
    expect(keys(s.saveChanged())).toEqual([keyOf('c', 'vpn')]);
  });

  it('reports: the counters and the events added since the last listing', () => {
    const r = new ReportStore();
    const event = (n: number) => ({ at: `2026-06-01T12:00:0${n}.000Z`, type: 'enrolled', detail: `e${n}` });
    r.record(event(0) as never);
    r.record(event(1) as never);
    expect(text(r.saveChanged())).toEqual(text(r.save()));
    r.counters.messagesIn += 1;
    r.record(event(2) as never);
    const listed = r.saveChanged();
    expect(keys(listed)).toEqual(['#counters', '0000000002']);
    const full = new Map(r.save().map((x) => [x.key, x.value]));
    for (const x of listed) expect(x.value.equals(full.get(x.key)!)).toBe(true);
    expect(keys(r.saveChanged())).toEqual(['#counters']);
  });
});
