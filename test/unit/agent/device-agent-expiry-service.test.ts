/**
 * The expiry report reaches the run's outcomes: a real DeviceAgent and the MDM service on the loopback bus and
 * the virtual clock. The agent checks in too rarely to renew in time, so its PKCS certificate expires; the
 * service must record the agent's RENEWAL_EXPIRED report as the outcome of that device × profile.
 */
import { describe, expect, it } from 'vitest';
import { generateDevice } from '../../../agent/device/generate.ts';
import { StoreDb } from '../../../agent/keystore/store-db.ts';
import { PLATFORM_ADAPTERS } from '../../../agent/platforms/index.ts';
import { DeviceAgent } from '../../../agent/runtime/device-agent.ts';
import { FixedKeySource } from '../../../pki/key-factory.ts';
import { profileFamilyOf, type EnrollmentKind, type Platform } from '../../../profiles/model/platform.ts';
import { directoryEntryOf } from '../../../simulator/fleet/directory-entry.ts';
import { poolKey } from '../../fixtures/key-pool.ts';
import { outcomeOf, pkcs, TENANT, toAll, world } from '../service/harness.ts';

const DAY = 86_400_000;

const CASES: { platform: Platform; kind: EnrollmentKind }[] = [
  { platform: 'windows', kind: 'entra-joined' },
  { platform: 'macos', kind: 'device' },
  { platform: 'ios', kind: 'device' },
  { platform: 'android', kind: 'fully-managed' },
];

describe.each(CASES)(
  'regression issue 4: an expired certificate shows in the outcomes ($platform $kind)',
  ({ platform, kind }) => {
    it('the service records RENEWAL_EXPIRED for the device × profile', async () => {
      const family = profileFamilyOf(platform, kind)!;
      const w = await world({ assignments: [toAll('wifi', pkcs(family))], connectors: 1 });
      const device = generateDevice({
        seed: 'expiry-service',
        index: 0,
        platform,
        kind,
        overrides: { hasUser: true, lockState: 'unlocked' },
      });
      w.directory.set(device.id, directoryEntryOf(device, []));
      const agent = new DeviceAgent({
        device,
        tenant: TENANT,
        db: StoreDb.open(':memory:'),
        clock: w.clock,
        scheduler: w.clock,
        transport: w.bus.transport(`agent-${device.id}`),
        adapter: PLATFORM_ADAPTERS[platform],
        keys: new FixedKeySource([poolKey('rsa2048', 9)]),
        // Longer than the certificate's one-year validity: the first check-in finds it expired.
        checkInIntervalMs: 400 * DAY,
      });
      await agent.start();
      await w.settle();
      await w.run(DAY);
      expect(outcomeOf(w.service, device.id, 'wifi')).toMatchObject({ status: 'installed' });
      await w.run(400 * DAY);
      expect(outcomeOf(w.service, device.id, 'wifi')).toMatchObject({
        status: 'failed',
        code: 'RENEWAL_EXPIRED',
      });
      await agent.stop();
    });
  },
);
