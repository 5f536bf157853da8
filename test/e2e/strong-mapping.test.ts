/**
 * The shipped scenario scenarios/strong-mapping.yaml (issue 14 point 4, docs/formats.md §5.3), on 5 devices
 * (per-device seeded streams: devices 0–4 are the same as in the full fleet — an iPhone, a hybrid-joined PC, a
 * cloud-only iPhone user and an Entra-joined PC among them): its expectations hold, the only failures are
 * CONNECTOR_SID_UNAVAILABLE, and the certificates the devices hold carry the SID extension exactly where
 * PFXDOC says — user certificates with the user's SID, Windows device certificates with the computer's SID,
 * iPhone device certificates without it.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StoreDb } from '../../agent/keystore/store-db.ts';
import { parseCertificate } from '../../pki/index.ts';
import { runFleet } from '../../simulator/fleet/run-fleet.ts';

const ROOT = resolve(import.meta.dirname, '../..');
let work: string;

beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'certfleet-strong-mapping-'));
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('scenarios/strong-mapping.yaml', { timeout: 240_000 }, () => {
  it('holds its expectations on 5 devices, and the held certificates carry the SID where they should', async () => {
    const run = await runFleet({
      scenario: join(ROOT, 'scenarios', 'strong-mapping.yaml'),
      out: join(work, 'run'),
      broker: { type: 'embedded' },
      devices: 5,
    });
    expect(run.result.expectations.filter((e) => !e.held).map((e) => `${e.text}: ${e.detail}`)).toEqual([]);
    const failed = run.result.outcomes.filter((o) => o.status === 'failed');
    expect(new Set(failed.map((o) => o.code))).toEqual(new Set(['CONNECTOR_SID_UNAVAILABLE']));
    expect(failed.map((o) => `${o.kind}/${o.profile}`).sort()).toEqual([
      'device/User certificate',
      'entra-joined/PC certificate',
    ]);
    expect(run.result.outcomes.filter((o) => o.status === 'pending')).toEqual([]);

    const db = StoreDb.open(join(run.dir, 'agents.db'), { publicOnly: true });
    try {
      const held = (kind: string) =>
        run.result.devicesList
          .filter((d) => d.kind === kind)
          .flatMap((d) => db.items(d.id, { kind: 'identity' }).filter((i) => !i.store.startsWith('mdm/')))
          .map((i) => parseCertificate(i.certificate))
          .map((c) => ({
            user: (c.extensions.subjectAltName ?? []).some((s) => s.type === 'upn'),
            sid: c.extensions.securityIdentifier,
          }));
      // the hybrid-joined PC: a user certificate with the user's SID, a device certificate with the computer's
      const pc = held('hybrid-joined');
      expect(pc).toHaveLength(2);
      const userSid = pc.find((c) => c.user)?.sid;
      const computerSid = pc.find((c) => !c.user)?.sid;
      expect(userSid).toMatch(/^S-1-5-21-\d+-\d+-\d+-\d+$/);
      expect(computerSid).toMatch(/^S-1-5-21-\d+-\d+-\d+-\d+$/);
      expect(computerSid).not.toBe(userSid);
      // the Entra-joined PC: its user certificate carries the (synchronised) user's SID, no device certificate
      const entra = held('entra-joined');
      expect(entra.map((c) => c.user)).toEqual([true]);
      expect(entra[0]?.sid).toMatch(/^S-1-5-21-/);
      // iPhones: user certificates with a SID, device certificates without the extension
      const phones = held('device');
      expect(phones.filter((c) => c.user).length).toBeGreaterThan(0);
      expect(phones.filter((c) => c.user).every((c) => c.sid?.startsWith('S-1-5-21-'))).toBe(true);
      expect(phones.filter((c) => !c.user).length).toBeGreaterThan(0);
      expect(phones.filter((c) => !c.user).map((c) => c.sid)).toEqual(
        phones.filter((c) => !c.user).map(() => undefined),
      );
    } finally {
      db.close();
    }
  });
});
