/**
 * Issue 10 point 3 — what the MDM service changed, listed through its dirty sets
 * (MdmService.saveChangedState, simulator/fleet/service-changes.ts): over a real run (enrolments, the
 * connectors issuing, payloads sent, answered, re-sent, a retirement), at every step the records it
 * gives are exactly those a full comparison of every store finds changed; and a step in which one device
 * did something lists that device's records only. The loopback bus, a real CA (pool keys), real
 * connectors, the virtual clock.
 */
import { describe, expect, it } from 'vitest';
import { RecordDiff } from '../../../simulator/fleet/record-diff.ts';
import type { StoreRecord } from '../../../simulator/fleet/service-checkpoint.ts';
import { serviceChanges } from '../../../simulator/fleet/service-changes.ts';
import { SAVED_STORES } from '../../../simulator/service/mdm/mdm-service.ts';
import { pkcs, toAll, trusted, world } from './harness.ts';

const text = (rs: StoreRecord[]): string[] =>
  rs.map((r) => `${r.store}/${r.key}=${r.value?.toString('base64') ?? '(removed)'}`).sort();

describe('issue 10 point 3: the service lists what changed through its dirty sets', () => {
  it('gives at every step exactly what a full comparison finds, and only what was touched', async () => {
    const w = await world({
      assignments: (ca) => [
        toAll('root', trusted('android-work-profile', ca.root.der)),
        toAll('wifi', pkcs('android-work-profile')),
      ],
    });
    const full = new RecordDiff();
    const take = serviceChanges(w.service, new RecordDiff());
    const steps: number[] = [];
    const step = (): StoreRecord[] => {
      const state = w.service.saveState();
      const byFull = SAVED_STORES.flatMap((s) => full.changes(s, state[s]));
      full.commit(byFull);
      const byDirty = take();
      expect(text(byDirty)).toEqual(text(byFull));
      steps.push(byDirty.length);
      return byDirty;
    };
    step(); // nothing yet (the assignments)
    const a = await w.enrol({ platform: 'android', kind: 'work-profile-personal', answer: 'silent' });
    step();
    const b = await w.enrol({ platform: 'android', kind: 'work-profile-personal', answer: 'install' });
    step();
    await w.run(60_000); // the connectors issue; payloads sent; b answers, a does not
    step();
    expect(step()).toEqual([]); // nothing happened since
    // … and the stores that grow with the fleet listed nothing to compare (the full listing has them all)
    const listed = w.service.saveChangedState();
    expect(listed.deliveries.records).toEqual([]);
    expect(listed.enrollments.records).toEqual([]);
    expect(listed.reports.records.map((r) => r.key)).toEqual(['#counters']);
    expect(w.service.saveState().deliveries).toHaveLength(4);
    a.answer = 'install';
    await w.run(3 * 60 * 60_000); // a's no-answer re-sends, answered now
    const afterResend = step();
    // only device a's deliveries changed (b's were done before): the listing followed what was touched
    const deliveryKeys = afterResend.filter((r) => r.store === 'deliveries').map((r) => r.key);
    expect(deliveryKeys.length).toBeGreaterThan(0);
    expect(deliveryKeys.every((k) => (JSON.parse(k) as string[])[0] === a.id)).toBe(true);
    await w.service.retireDevice(b.id);
    await w.run(60_000);
    const afterRetire = step();
    expect(afterRetire.some((r) => r.store === 'enrollments' && r.key === b.id)).toBe(true);
    expect(steps.filter((n) => n > 0).length).toBeGreaterThanOrEqual(5);
    await w.service.stop();
  });
});
