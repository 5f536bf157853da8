/**
 * regression issue 5: enrollment restrictions were reachable only from unit tests (MdmService took
 * `restrictions`, no scenario key passed them). A scenario's `enrollmentRestrictions:` now reaches the
 * service of a real MQTT run: exactly the devices of the blocked platform and those below the OS floor are
 * refused, with their ENROLL_* codes, and expectations name those codes.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runFleet } from '../../simulator/fleet/run-fleet.ts';

const work = mkdtempSync(join(tmpdir(), 'certfleet-restrict-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const SCENARIO = `
name: restrictions
seed: restrict-1
duration: 1d
enrollmentRestrictions:
  blockedPlatforms: [android]
  minOsVersion: { ios: '17' }
fleet:
  devices: 8
  mix:
    - { platform: windows, kind: entra-joined, weight: 1 }
    - { platform: ios, kind: device, osVersions: ['16.7.10', '17.6.1'], weight: 1 }
    - { platform: android, kind: fully-managed, weight: 1 }
profiles:
  - { name: Root, type: trusted-certificate, platforms: all, certificate: root }
expect:
  - text: Android is blocked
    where: { platform: android }
    status: failed
    code: ENROLL_PLATFORM_BLOCKED
  - text: iOS below 17 is too old
    where: { platform: ios, osVersion: '<17' }
    code: ENROLL_OS_TOO_OLD
  - text: iOS 17 enrols and installs
    where: { platform: ios, osVersion: '>=17' }
    status: installed
  - text: Windows enrols and installs
    where: { platform: windows }
    status: installed
`;

describe('regression issue 5: scenario enrollmentRestrictions in a run', { timeout: 120_000 }, () => {
  it('refuses exactly the blocked platform and the devices below the OS floor, with their codes', async () => {
    const { result } = await runFleet({ scenario: { text: SCENARIO, baseDir: work }, out: join(work, 'r') });
    const expected = (d: { platform: string; osVersion: string }): string | undefined =>
      d.platform === 'android'
        ? 'ENROLL_PLATFORM_BLOCKED'
        : d.platform === 'ios' && Number.parseInt(d.osVersion, 10) < 17
          ? 'ENROLL_OS_TOO_OLD'
          : undefined;
    // the seed gives every case at least one device
    const cases = new Set(result.devicesList.map((d) => expected(d) ?? 'enrolled'));
    expect(cases).toEqual(new Set(['ENROLL_PLATFORM_BLOCKED', 'ENROLL_OS_TOO_OLD', 'enrolled']));
    for (const d of result.devicesList) {
      const code = expected(d);
      expect({ id: d.id, enrolled: d.enrolled }).toEqual({ id: d.id, enrolled: code === undefined });
      const rows = result.outcomes.filter((o) => o.device === d.id);
      expect(rows).toHaveLength(1);
      expect(rows[0]!.code).toBe(code ?? 'OK');
      if (code !== undefined) {
        expect(rows[0]!.status).toBe('failed');
        expect(result.events.some((e) => e.device === d.id && e.type === 'enroll-refused')).toBe(true);
      }
    }
    expect(result.expectations.map((e) => [e.text, e.held])).toEqual([
      ['Android is blocked', true],
      ['iOS below 17 is too old', true],
      ['iOS 17 enrols and installs', true],
      ['Windows enrols and installs', true],
    ]);
  });
});
