/**
 * The shipped scenario scenarios/smime-imported.yaml (issue 14 points 3 and 6) on 6 devices (per-device seeded
 * streams: devices 0–5 are those of the full fleet — an Entra-joined PC, two Macs and an Android 10 device
 * administrator with an import, an iPhone (user enrollment) without, a dedicated kiosk): the run imports the S/MIME PFX of the `smime`-tagged
 * devices' users (importedPfx:, the `certfleet pfx import` path), the imported-PKCS profile delivers it, the
 * expectations hold, the only failures are PFX_NOT_IMPORTED, and each certificate a device holds for the
 * profile is one of the imported ones (not one the connectors issued), verified by OpenSSL against the CA.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StoreDb } from '../../agent/keystore/store-db.ts';
import { parseCertificate } from '../../pki/index.ts';
import { runFleet } from '../../simulator/fleet/run-fleet.ts';
import { PfxStore } from '../../simulator/service/pfx-import/pfx-store.ts';

const ROOT = resolve(import.meta.dirname, '../..');
let work: string;

beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'certfleet-smime-imported-'));
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('scenarios/smime-imported.yaml', { timeout: 240_000 }, () => {
  it('holds its expectations on 6 devices; devices hold the imported certificates, valid against the CA', async () => {
    const run = await runFleet({
      scenario: join(ROOT, 'scenarios', 'smime-imported.yaml'),
      out: join(work, 'run'),
      broker: { type: 'embedded' },
      devices: 6,
    });
    expect(run.result.expectations.filter((e) => !e.held).map((e) => `${e.text}: ${e.detail}`)).toEqual([]);
    const rows = run.result.outcomes.filter((o) => o.profile === 'S/MIME encryption');
    expect(new Set(rows.filter((o) => o.status === 'failed').map((o) => o.code))).toEqual(
      new Set(['PFX_NOT_IMPORTED']),
    );
    expect(run.result.outcomes.filter((o) => o.status === 'pending')).toEqual([]);
    const installed = rows.filter((o) => o.status === 'installed').map((o) => o.device);
    expect(installed.length).toBeGreaterThan(0);

    const store = PfxStore.open(join(run.dir, 'ca'));
    const imported = store.list();
    store.close();
    expect(imported.length).toBeGreaterThanOrEqual(installed.length);
    const db = StoreDb.open(join(run.dir, 'agents.db'), { publicOnly: true });
    const held: string[] = [];
    try {
      for (const id of installed) {
        const certs = db
          .items(id, { kind: 'identity' })
          .filter((i) => !i.store.startsWith('mdm/'))
          .map((i) => parseCertificate(i.certificate));
        expect(certs).toHaveLength(1);
        held.push(certs[0]!.sha1Thumbprint);
        writeFileSync(join(work, `${id}.pem`), certs[0]!.pem);
      }
    } finally {
      db.close();
    }
    // every held certificate is an imported one, each device a different user's
    expect(held.every((t) => imported.some((r) => r.thumbprint === t))).toBe(true);
    expect(new Set(held).size).toBe(held.length);
    const ca = join(run.dir, 'ca');
    for (const id of installed) {
      const r = spawnSync(
        'openssl',
        [
          'verify',
          '-CAfile',
          join(ca, 'root.pem'),
          '-untrusted',
          join(ca, 'issuing.pem'),
          join(work, `${id}.pem`),
        ],
        { encoding: 'utf8' },
      );
      expect(r.stdout.trim(), r.stderr).toBe(`${join(work, `${id}.pem`)}: OK`);
    }
  });
});
