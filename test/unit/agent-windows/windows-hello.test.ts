/**
 * Issue 12 point 5 — "Windows Hello for Business is assumed present on every PC, so 'Windows Hello, otherwise
 * fail' never fails": KeyLocation 4 on a PC without Windows Hello for Business is refused with
 * INSTALL_KSP_UNAVAILABLE and changes nothing; with it, the key goes to the Passport KSP.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { generateDevice } from '../../../agent/device/generate.ts';
import { StoreDb } from '../../../agent/keystore/store-db.ts';
import { windowsAdapter } from '../../../agent/platforms/windows/index.ts';
import { pfxLocUri } from '../../../profiles/windows/pfx-cert-install.ts';
import {
  ctxFor,
  hierarchy,
  message,
  pfxAtomic,
  pfxInstall,
  pfxOf,
  reply,
  snapshot,
  trustedAdd,
  UNIQUE_ID,
  WINDOWS_KINDS,
} from './fixtures.ts';

const NODE = pfxLocUri('Device', UNIQUE_ID);

let db: StoreDb;
beforeEach(() => {
  db = StoreDb.open(':memory:');
});
afterEach(() => db.close());

describe('issue 12: KeyLocation 4 ("Windows Hello, otherwise fail") follows the device trait', () => {
  describe.each(WINDOWS_KINDS)('%s', (kind) => {
    it.each([
      { hello: true, status: 'installed', code: 'OK', syncml: 200, csp: '0x00000000' },
      { hello: false, status: 'failed', code: 'INSTALL_KSP_UNAVAILABLE', syncml: 500, csp: '0x80090035' },
    ])('windowsHello $hello → $code', ({ hello, status, code, syncml, csp }) => {
      const ctx = ctxFor(db, { kind, windowsHello: hello });
      const h = hierarchy();
      windowsAdapter.deliver(
        ctx,
        message([trustedAdd(h.root, 1), trustedAdd(h.issuing, 2, { store: 'CA' })]),
      );
      const before = snapshot(ctx);
      const install = pfxInstall({ pfxBlob: pfxOf(h), keyLocation: 4, containerName: 'certfleet-c1' });
      const r = windowsAdapter.deliver(ctx, message([pfxAtomic(install, 3)]));
      expect(r.outcomes.map((o) => [o.payload, o.status, o.code])).toEqual([[NODE, status, code]]);
      expect(r.outcomes[0]!.native).toMatchObject({ platform: 'windows', syncml, cspStatus: csp });
      const items = db.items(ctx.device.id, { ref: NODE });
      if (hello) {
        expect(items.map((i) => i.attrs?.ksp)).toEqual(['passport']);
      } else {
        expect(items).toEqual([]);
        expect(snapshot(ctx)).toEqual(before);
        expect(r.outcomes[0]!.message).toMatch(/Windows Hello for Business is not provisioned/);
        expect(reply(r.reply).statuses.size).toBeGreaterThan(0);
      }
    });
  });

  it('a generated PC has Windows Hello unless told otherwise; other platforms never do', () => {
    const pc = generateDevice({ seed: 'hello', index: 0, platform: 'windows' });
    const off = generateDevice({
      seed: 'hello',
      index: 0,
      platform: 'windows',
      overrides: { windowsHello: false },
    });
    const mac = generateDevice({
      seed: 'hello',
      index: 0,
      platform: 'macos',
      overrides: { windowsHello: true },
    });
    expect([pc.windowsHello, off.windowsHello, mac.windowsHello]).toEqual([true, false, false]);
    // the trait draws nothing: the rest of the device is the same
    expect({ ...off, windowsHello: true }).toEqual(pc);
  });
});
