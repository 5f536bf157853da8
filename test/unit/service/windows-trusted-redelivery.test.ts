/**
 * A trusted root the service sends again to a Windows device that already holds it (its first answer was
 * lost) ends installed: the device answers the Add 418 Already exists (OMA-DM), its typed outcome is
 * UNCHANGED, and the service counts the certificate as installed (docs/formats.md §2.4).
 */
import { describe, expect, it } from 'vitest';
import { StoreDb } from '../../../agent/keystore/store-db.ts';
import { windowsAdapter } from '../../../agent/platforms/windows/index.ts';
import { readReply } from '../../../profiles/windows/device-reply.ts';
import { decodeSyncml } from '../../../profiles/windows/syncml-decode.ts';
import { FixedClock } from '../../../protocol/runtime/clock.ts';
import { serviceStatusOf } from '../../../simulator/service/mdm/service-status.ts';
import { outcomeOf, START, toAll, trusted, world } from './harness.ts';

describe('Windows trusted root re-delivered to a device that holds it', () => {
  it('the device answers 418 and the delivery ends installed (UNCHANGED), with no service error status', async () => {
    const w = await world({ assignments: (ca) => [toAll('root', trusted('windows', ca.root.der))] });
    const s = await w.enrol({ platform: 'windows', kind: 'entra-joined', answer: 'silent' });
    const db = StoreDb.open(':memory:');
    try {
      const ctx = { device: s.device, db, clock: new FixedClock(START) };
      // the device applies the first send, but its answer never reaches the service
      const [first] = s.payloads();
      expect(windowsAdapter.deliver(ctx, first!.payload).outcomes.map((o) => o.code)).toEqual(['OK']);
      // from now on it answers, with what the real adapter answers
      const statuses: number[] = [];
      s.answer = (_profile, payload) => {
        const r = windowsAdapter.deliver(ctx, payload);
        const decoded = decodeSyncml(r.reply);
        if (decoded.ok)
          statuses.push(...[...readReply(decoded.message).statuses.values()].map((x) => x.code));
        return r.outcomes;
      };
      await w.run(6 * 60_000); // the no-answer re-send after 5 minutes
      expect(s.payloads()).toHaveLength(2);
      expect(statuses).toEqual([418]);
      const o = outcomeOf(w.service, s.id, 'root');
      expect(o).toMatchObject({
        status: 'installed',
        code: 'UNCHANGED',
        native: { platform: 'windows', syncml: 418 },
      });
      expect(o?.native).not.toHaveProperty('intune');
      expect(serviceStatusOf(o as Parameters<typeof serviceStatusOf>[0])).toBeUndefined();
      expect(db.items(s.id).map((i) => i.store)).toEqual(['windows/machine/Root']);
    } finally {
      db.close();
    }
  });
});
