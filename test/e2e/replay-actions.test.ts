/**
 * `certfleet replay` and the scenario's actions (QA finding: replay retired a device the original run never
 * retired, then said "Reproduced"). The replay re-runs one device alone; `retire: {platform: ios, count: 1}`
 * chosen again in that fleet of one always took it. The replay now retires the device exactly where the
 * original run did (its `retired` event in run.db), and compares the retirement too: "Reproduced" only when
 * it is the same. removeProfile runs as written (it acts on a profile, whatever the fleet).
 */
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { replayDevice } from '../../simulator/fleet/replay.ts';
import { runFleet } from '../../simulator/fleet/run-fleet.ts';
import { loadDeviceStory } from '../../simulator/fleet/show-device.ts';
import type { DeviceSummary, RunResult } from '../../simulator/run-model.ts';
import { makeRunKeyPool } from './fixtures/run-key-pool.ts';

/** The finding's scenario, smaller: Wi-Fi (PKCS) and VPN (SCEP) removed, then the first iOS device retired. */
const SCENARIO = `name: replay-actions
seed: replay-actions-1
duration: 4d
fleet:
  devices: 6
  mix:
    - { platform: ios, kind: device, weight: 2 }
    - { platform: macos, kind: device, weight: 1 }
profiles:
  - { name: Root, type: trusted-certificate, platforms: [ios, macos], certificate: root }
  - { name: Wifi, type: pkcs, platforms: [ios, macos], template: CertfleetDevice, certificateType: device, subject: 'CN={{AAD_Device_ID}}' }
  - { name: Vpn, type: scep, platforms: [ios, macos], subject: 'CN={{DeviceId}},OU=VPN,O=Contoso', certificateType: device, keySize: 2048 }
actions:
  - { at: 1d, removeProfile: Wifi }
  - { at: 2d, removeProfile: Vpn }
  - { at: 3d, retire: { platform: ios, count: 1 } }
`;
const RETIRED_AT = '2026-01-04T00:00:00.000Z';

let work: string;
let runDir: string;
let result: RunResult;
let retired: DeviceSummary;
let kept: DeviceSummary;

/** The types of the device's events in a run folder (the replay's own run.db). */
function eventTypes(device: string, run: string): string[] {
  return loadDeviceStory(device, run).story.timeline.map((e) => e.type);
}

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'certfleet-replay-actions-'));
  const keyPool = await makeRunKeyPool(join(work, 'key-pool'), { rsa: 16, ec: 16 });
  runDir = join(work, 'run');
  result = (await runFleet({ scenario: { text: SCENARIO, baseDir: work }, out: runDir, keyPool })).result;
  const ios = result.devicesList.filter((d) => d.platform === 'ios').sort((a, b) => a.index - b.index);
  expect(ios.length).toBeGreaterThanOrEqual(2);
  [retired, kept] = [ios[0]!, ios[1]!];
}, 180_000);
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('certfleet replay and retire actions', { timeout: 180_000 }, () => {
  it('the original run retires only the first enrolled iOS device, at 3d', () => {
    expect(result.events.filter((e) => e.type === 'retired').map((e) => [e.device, e.at])).toEqual([
      [retired.id, RETIRED_AT],
    ]);
  });

  it('does not retire a device the original run kept, and says Reproduced', async () => {
    const out = join(work, 'replay-kept');
    const r = await replayDevice({ device: `#${kept.index}`, run: runDir, out });
    const types = eventTypes(kept.id, out);
    expect(types).not.toContain('retired');
    // the removeProfile actions ran as written
    expect(types.filter((t) => t === 'removed').length).toBeGreaterThanOrEqual(2);
    expect(r.retirement).toEqual({ same: true });
    expect(r.match).toBe(true);
    expect(r.text).toContain('Reproduced');
  });

  it('retires the device the original retired, at the same instant, and says Reproduced', async () => {
    const out = join(work, 'replay-retired');
    const r = await replayDevice({ device: `#${retired.index}`, run: runDir, out });
    expect(loadDeviceStory(retired.id, out).story.timeline.filter((e) => e.type === 'retired')).toEqual([
      expect.objectContaining({ at: RETIRED_AT, device: retired.id }),
    ]);
    expect(r.retirement).toEqual({ original: RETIRED_AT, replay: RETIRED_AT, same: true });
    expect(r.match).toBe(true);
    expect(r.text).toMatch(
      /\(device\)\s+retired 2026-01-04T00:00:00.000Z\s+retired 2026-01-04T00:00:00.000Z\s+same/,
    );
  });

  it('says Not reproduced when the retirement differs from the run', async () => {
    // the run says the device was retired an hour after the action: the replay retires it at the action
    const tampered = join(work, 'tampered');
    cpSync(runDir, tampered, { recursive: true, filter: (src) => !src.startsWith(join(runDir, 'replay')) });
    const db = new Database(join(tampered, 'run.db'));
    db.prepare("UPDATE events SET at = ? WHERE type = 'retired' AND device_id = ?").run(
      '2026-01-04T01:00:00.000Z',
      retired.id,
    );
    db.close();
    const r = await replayDevice({ device: `#${retired.index}`, run: tampered, out: join(work, 'replay-t') });
    expect(r.retirement).toEqual({
      original: '2026-01-04T01:00:00.000Z',
      replay: RETIRED_AT,
      same: false,
    });
    expect(r.match).toBe(false);
    expect(r.text).toMatch(
      /\(device\)\s+retired 2026-01-04T01:00:00.000Z\s+retired 2026-01-04T00:00:00.000Z\s+DIFFERENT/,
    );
    expect(r.text).toContain('Not reproduced');
  });
});
