/**
 * regression issue 5: the run database's inventories and deliveries tables were never filled by a run
 * (RunDb.recordInventory/recordDelivery had no caller): after a real MQTT run they hold one inventory per
 * enrolled device and at least one row per payload published, and `show device` prints the inventory.
 */
import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runFleet } from '../../simulator/fleet/run-fleet.ts';
import { showDevice } from '../../simulator/fleet/show-device.ts';

const work = mkdtempSync(join(tmpdir(), 'certfleet-rundb-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const SCENARIO = `
name: rundb-tables
seed: rundb-1
duration: 1d
fleet:
  devices: 4
  mix:
    - { platform: windows, kind: entra-joined, weight: 1 }
    - { platform: ios, kind: device, weight: 1 }
    - { platform: macos, kind: device, weight: 1 }
    - { platform: android, kind: fully-managed, weight: 1 }
profiles:
  - name: Root
    type: trusted-certificate
    platforms: all
    certificate: root
  - name: Device cert
    type: pkcs
    platforms: [windows, macos, ios, android-device-owner]
    template: CertfleetDevice
    certificateType: device
    subject: 'CN={{AAD_Device_ID}}'
`;

describe('regression issue 5: run DB inventories and deliveries', { timeout: 120_000 }, () => {
  it('a run records one inventory per enrolled device and a delivery per payload published', async () => {
    const out = join(work, 'run');
    const { result, dbPath } = await runFleet({ scenario: { text: SCENARIO, baseDir: work }, out });
    const enrolled = result.devicesList.filter((d) => d.enrolled).length;
    expect(enrolled).toBe(4);
    const db = new Database(dbPath, { readonly: true });
    try {
      const count = (sql: string): number => (db.prepare(sql).get() as { n: number }).n;
      expect(count('SELECT COUNT(*) AS n FROM inventories')).toBe(enrolled);
      expect(count('SELECT COUNT(DISTINCT device_id) AS n FROM inventories')).toBe(enrolled);
      const published = result.events.filter((e) => e.type === 'delivered').length;
      expect(published).toBeGreaterThanOrEqual(8);
      expect(count('SELECT COUNT(*) AS n FROM deliveries')).toBeGreaterThanOrEqual(published);
      const rows = db.prepare('SELECT * FROM deliveries').all() as {
        profile: string;
        format: string;
        bytes: number;
        content_hash: string;
      }[];
      expect(new Set(rows.map((r) => r.profile))).toEqual(new Set(['Root', 'Device cert']));
      expect(count('SELECT COUNT(DISTINCT device_id) AS n FROM deliveries')).toBe(enrolled);
      for (const f of rows.map((r) => r.format))
        expect(['mobileconfig', 'syncml', 'android-policy']).toContain(f);
      for (const r of rows) {
        expect(r.bytes).toBeGreaterThan(0);
        expect(r.content_hash).toMatch(/^[0-9a-f]{64}$/);
      }
    } finally {
      db.close();
    }
    const device = result.devicesList[0]!.id;
    const shown = showDevice({ device, run: out });
    expect(shown.text).not.toContain('(none reported)');
    expect(shown.story.inventory?.device).toBe(device);
    expect(shown.story.deliveries.length).toBeGreaterThan(0);
  });
});
