/**
 * regression issue 5: retiring a device and removing a profile were reachable only on the loopback
 * harness. A scenario's `actions:` now run on the virtual clock of a real MQTT run: the retired devices'
 * PKCS certificates and every certificate of the removed profile are revoked and listed in the run
 * folder's CRL (OpenSSL reads and verifies it against the CA), and the removal reaches the devices (their
 * stores no longer hold the profile's items).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { StoreDb } from '../../agent/keystore/store-db.ts';
import { parseCertificate } from '../../pki/index.ts';
import { runFleet } from '../../simulator/fleet/run-fleet.ts';
import type { RunResult } from '../../simulator/run-model.ts';

const work = mkdtempSync(join(tmpdir(), 'certfleet-actions-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const SCENARIO = `
name: actions
seed: actions-1
duration: 1d
fleet:
  devices: 6
  mix:
    - { platform: ios, kind: device, weight: 1 }
    - { platform: windows, kind: entra-joined, weight: 1 }
profiles:
  - { name: Wi-Fi, type: pkcs, platforms: [ios, windows], template: CertfleetDevice, certificateType: device, subject: 'CN={{AAD_Device_ID}}' }
  - { name: VPN, type: pkcs, platforms: [ios, windows], template: CertfleetDevice, certificateType: device, subject: 'CN={{AAD_Device_ID}}' }
actions:
  - { at: 2h, retire: { platform: ios, count: 2 } }
  - { at: 4h, removeProfile: VPN }
`;

/** Serial of the certificate issued for device × profile (upper-case hex), from the 'issued' events. */
function issuedSerials(r: RunResult): Map<string, string> {
  const out = new Map<string, string>();
  for (const e of r.events) {
    if (e.type !== 'issued' || !e.device || !e.profile) continue;
    const serial = /^certificate ([0-9A-Fa-f]+)/.exec(e.detail)?.[1];
    if (serial) out.set(`${e.device}/${e.profile}`, serial.toUpperCase());
  }
  return out;
}

describe(
  'regression issue 5: scenario actions (retire, removeProfile) in a run',
  { timeout: 120_000 },
  () => {
    it('revokes into crl.der, which OpenSSL verifies, and removes the profile from the devices', async () => {
      const out = join(work, 'run');
      const { result } = await runFleet({ scenario: { text: SCENARIO, baseDir: work }, out });
      const ios = result.devicesList.filter((d) => d.platform === 'ios').sort((a, b) => a.index - b.index);
      expect(ios.length).toBeGreaterThanOrEqual(3);
      const retired = ios.slice(0, 2).map((d) => d.id);
      const kept = result.devicesList.filter((d) => !retired.includes(d.id)).map((d) => d.id);
      expect(
        result.events
          .filter((e) => e.type === 'retired')
          .map((e) => e.device)
          .sort(),
      ).toEqual([...retired].sort());
      for (const e of result.events.filter((x) => x.type === 'retired' || x.type === 'removed'))
        expect(e.at >= '2026-01-01T02:00:00.000Z').toBe(true);

      const crlFile = join(out, 'crl.der');
      expect(existsSync(crlFile)).toBe(true);
      const text = execFileSync('openssl', ['crl', '-inform', 'DER', '-in', crlFile, '-noout', '-text'], {
        encoding: 'utf8',
      });
      const listed = new Set(
        [...text.matchAll(/Serial Number: ([0-9A-F]+)/g)].map((m) => m[1]!.replace(/^0+/, '')),
      );
      const serials = issuedSerials(result);
      const serial = (device: string, profile: string): string => {
        const s = serials.get(`${device}/${profile}`);
        expect(s, `${device}/${profile} issued`).toBeDefined();
        return s!.replace(/^0+/, '');
      };
      for (const d of retired) {
        expect(listed).toContain(serial(d, 'Wi-Fi'));
        expect(listed).toContain(serial(d, 'VPN'));
      }
      for (const d of kept) {
        expect(listed).toContain(serial(d, 'VPN'));
        expect(listed).not.toContain(serial(d, 'Wi-Fi'));
      }
      const chain = join(work, 'chain.pem');
      writeFileSync(
        chain,
        execFileSync('cat', [join(out, 'ca', 'issuing.pem'), join(out, 'ca', 'root.pem')]),
      );
      const verified = spawnSync(
        'openssl',
        ['crl', '-inform', 'DER', '-in', crlFile, '-CAfile', chain, '-noout'],
        { encoding: 'utf8' },
      );
      expect({ status: verified.status, stderr: verified.stderr.trim() }).toEqual({
        status: 0,
        stderr: 'verify OK',
      });

      // the removal reached the devices: their stores hold the Wi-Fi certificate, not the VPN one
      const stores = StoreDb.open(join(out, 'agents.db'), { publicOnly: true });
      try {
        const held = (id: string): Set<string> =>
          new Set(
            stores
              .items(id)
              .map((i) => parseCertificate(i.certificate).serialNumber.toUpperCase().replace(/^0+/, '')),
          );
        for (const d of kept) {
          expect(held(d)).toContain(serial(d, 'Wi-Fi'));
          expect(held(d)).not.toContain(serial(d, 'VPN'));
        }
        for (const d of retired) {
          expect(held(d)).not.toContain(serial(d, 'Wi-Fi'));
          expect(held(d)).not.toContain(serial(d, 'VPN'));
        }
      } finally {
        stores.close();
      }
      expect(result.outcomes.some((o) => o.profile === 'VPN')).toBe(false);
    });
  },
);
