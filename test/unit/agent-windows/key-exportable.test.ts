/**
 * PFXKeyExportable defaults (docs/formats.md §2.3, CCI): "default true; DependsOn KeyLocation == 3 … You can only
 * set PFXKeyExportable to true if KeyLocation=3". A missing node therefore makes a software-KSP key
 * exportable and leaves a TPM / Windows Hello key not exportable (without failing the CSP: only *setting* it
 * true with another KeyLocation fails); keys from a PKCS profile stay not exportable because the compiler
 * always sends PFXKeyExportable false (PFXDOC "the private key is marked as not exportable", §5.2).
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { StoreDb } from '../../../agent/keystore/store-db.ts';
import { windowsAdapter } from '../../../agent/platforms/windows/index.ts';
import { compileProfile, seededIds } from '../../../profiles/compile/index.ts';
import type { PfxKeyLocation } from '../../../profiles/windows/pfx-cert-install.ts';
import type { SyncmlContainer, SyncmlItemCommand } from '../../../profiles/windows/syncml-model.ts';
import { FACTS, pkcsProfile } from '../compile/fixtures.ts';
import {
  ctxFor,
  hierarchy,
  message,
  PASSWORD,
  pfxAtomic,
  pfxInstall,
  pfxOf,
  trustedAdd,
  WINDOWS_KINDS,
} from './fixtures.ts';

let db: StoreDb;
beforeEach(() => {
  db = StoreDb.open(':memory:');
});
afterEach(() => db.close());

/** The install Atomic without its PFXKeyExportable Add (the node is not sent). */
function withoutExportableNode(atomic: SyncmlContainer): SyncmlContainer {
  return {
    ...atomic,
    children: atomic.children.filter(
      (c) => !((c as SyncmlItemCommand).items[0]?.target ?? '').endsWith('/PFXKeyExportable'),
    ),
  };
}

describe('regression issue 4: PFXKeyExportable follows the CCI default', () => {
  describe.each(WINDOWS_KINDS)('%s', (kind) => {
    it.each<[PfxKeyLocation, boolean]>([
      [3, true],
      [2, false],
      [1, false],
      [4, false],
    ])('node not sent, KeyLocation %s → exportable %s, installed', (keyLocation, exportable) => {
      const ctx = ctxFor(db, { kind, tpm: true });
      const h = hierarchy();
      windowsAdapter.deliver(
        ctx,
        message([trustedAdd(h.root, 1), trustedAdd(h.issuing, 2, { store: 'CA' })]),
      );
      const install = pfxInstall({
        pfxBlob: pfxOf(h),
        keyLocation,
        keyExportable: false,
        ...(keyLocation === 4 && { containerName: 'certfleet-hello' }),
      });
      const atomic = withoutExportableNode(pfxAtomic(install, 3));
      expect(JSON.stringify(atomic)).not.toContain('PFXKeyExportable');
      const r = windowsAdapter.deliver(ctx, message([atomic]));
      expect(r.outcomes.map((o) => o.code)).toEqual(['OK']);
      const [identity] = db.items(ctx.device.id, { kind: 'identity' });
      expect(identity?.attrs.exportable).toBe(exportable);
    });

    it('a key from a compiled PKCS profile is not exportable (PFXKeyExportable false is sent)', () => {
      const ctx = ctxFor(db, { kind, tpm: true });
      const h = hierarchy();
      const compiled = compileProfile(
        pkcsProfile('windows', { keyStorageProvider: 'useSoftwareKsp' }),
        FACTS.windows,
        {
          ids: seededIds('exportable'),
          issued: { pfx: pfxOf(h), password: PASSWORD },
        },
      );
      if (!compiled.ok) throw new Error(compiled.outcome.message);
      expect(compiled.payload.bytes.toString('utf8')).toMatch(
        /PFXKeyExportable<\/LocURI>[\s\S]*?<Data>false<\/Data>/,
      );
      const r = windowsAdapter.deliver(ctx, compiled.payload.bytes);
      expect(r.outcomes.every((o) => o.status === 'installed')).toBe(true);
      const [identity] = db.items(ctx.device.id, { kind: 'identity' });
      expect(identity?.attrs).toMatchObject({ ksp: 'software', keyLocation: 3, exportable: false });
    });
  });
});
