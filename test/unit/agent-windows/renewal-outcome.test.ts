import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { StoreDb } from '../../../agent/keystore/store-db.ts';
import { windowsAdapter } from '../../../agent/platforms/windows/index.ts';
import { compileProfile, seededIds } from '../../../profiles/compile/index.ts';
import { poolKey } from '../../fixtures/key-pool.ts';
import { FACTS, pkcsProfile } from '../compile/fixtures.ts';
import {
  codes,
  ctxFor,
  hierarchy,
  leafWith,
  message,
  PASSWORD,
  pfxOf,
  reply,
  trustedAdd,
  WINDOWS_KINDS,
} from './fixtures.ts';

let db: StoreDb;
beforeEach(() => {
  db = StoreDb.open(':memory:');
});
afterEach(() => db.close());

/** The service's PKCS payload for `pfx` (same node every time: the ids are seeded). */
function compiled(pfx: Buffer, replacesInstalled: boolean): Buffer {
  const r = compileProfile(pkcsProfile('windows', { keyStorageProvider: 'useSoftwareKsp' }), FACTS.windows, {
    ids: seededIds('renewal-outcome'),
    issued: { pfx, password: PASSWORD },
    replacesInstalled,
  });
  if (!r.ok) throw new Error(r.outcome.message);
  return r.payload.bytes;
}

describe('regression issue 4: the outcome of a Windows renewal describes the install', () => {
  describe.each(WINDOWS_KINDS)('%s', (kind) => {
    it('Delete + Atomic(Add) of the same node → one outcome, "Installed …", naming the replaced certificate', () => {
      const ctx = ctxFor(db, { kind });
      const first = hierarchy();
      const renewed = leafWith({ key: poolKey('rsa2048', 4), subject: 'CN=Ada Lovelace Renewed,O=Contoso' });
      windowsAdapter.deliver(
        ctx,
        message([trustedAdd(first.root, 1), trustedAdd(first.issuing, 2, { store: 'CA' })]),
      );
      const install = windowsAdapter.deliver(ctx, compiled(pfxOf(first), false));
      expect(install.outcomes.map((o) => o.code)).toEqual(['OK']);
      const node = install.outcomes[0]!.payload;

      const renewal = windowsAdapter.deliver(ctx, compiled(pfxOf(renewed), true));
      // the reply still answers both commands (Delete 200, Atomic 200)
      expect(Object.values(codes(reply(renewal.reply))).every((c) => c === 200)).toBe(true);
      expect(renewal.outcomes).toHaveLength(1);
      const [o] = renewal.outcomes;
      expect(o).toMatchObject({ payload: node, status: 'installed', code: 'OK' });
      expect(o!.message).toMatch(/^Installed CN=Ada Lovelace Renewed/);
      expect(o!.message).toContain(`replaces the previous certificate`);
      expect(o!.message).toContain(first.leaf.sha1Thumbprint);
      expect(o!.message).not.toMatch(/^Removed/);
      expect(db.items(ctx.device.id, { kind: 'identity' }).map((i) => i.thumbprint)).toEqual([
        renewed.leaf.sha1Thumbprint,
      ]);
    });

    it('a Delete alone still reports "Removed …"; a failed re-install keeps both outcomes', () => {
      const ctx = ctxFor(db, { kind });
      windowsAdapter.deliver(ctx, compiled(pfxOf(hierarchy()), false));
      const bad = windowsAdapter.deliver(ctx, compiled(pfxOf(hierarchy(), 'not-the-password'), true));
      expect(bad.outcomes.map((o) => [o.status, o.message.slice(0, 8)])).toEqual([
        ['installed', 'Removed '],
        ['failed', expect.any(String)],
      ]);
    });
  });
});
