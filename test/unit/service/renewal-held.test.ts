/**
 * A renewal the CA holds for a certificate manager (`ca: {policy: hold}`), and a renewal that installs after
 * the certificate it replaces expired (docs/journeys.md journey 3):
 *
 * - the held renewal does not turn the installed row into a pending one: the device still holds a valid
 *   certificate, so the row stays installed, and the hold is an event (finding B);
 * - a device that reports its certificate expired while the renewal is held does not stop the service from
 *   fetching the renewal once a manager issues it (the expiry report used to cancel the hourly re-check);
 * - a renewal that installs after the expiry, with no check-in in between, is not an ordinary renewal: the
 *   device reports RENEWAL_EXPIRED naming the gap, the time report counts the expiry, the install's message
 *   and the issue event say so, and the row ends installed (finding A).
 *
 * A real CA (pool keys) behind a holding CA directory, the MDM service and a connector on the loopback bus
 * and the virtual clock; scripted fake devices, and real DeviceAgents for the device side of finding A.
 */
import { describe, expect, it } from 'vitest';
import { generateDevice } from '../../../agent/device/generate.ts';
import { StoreDb } from '../../../agent/keystore/store-db.ts';
import { PLATFORM_ADAPTERS } from '../../../agent/platforms/index.ts';
import { DeviceAgent } from '../../../agent/runtime/device-agent.ts';
import { FixedKeySource } from '../../../pki/key-factory.ts';
import type { OutcomeReport } from '../../../protocol/wire/messages.ts';
import { deviceOutTopic } from '../../../protocol/wire/topics.ts';
import { profileFamilyOf, type EnrollmentKind, type Platform } from '../../../profiles/model/platform.ts';
import { directoryEntryOf } from '../../../simulator/fleet/directory-entry.ts';
import { buildTimeReport } from '../../../simulator/report/time-series.ts';
import { CaDirectory, splitConfigString } from '../../../simulator/service/ca/ca-directory.ts';
import { CertificateConnector } from '../../../simulator/service/connector/certificate-connector.ts';
import { poolKey } from '../../fixtures/key-pool.ts';
import { sampleRun } from '../report/fixture.ts';
import { outcomeOf, pkcs, START, TENANT, toAll, world } from './harness.ts';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

/** A world whose only connector reaches the run's CA through a directory that holds every request. */
async function holdingWorld(profile: ReturnType<typeof pkcs>) {
  const w = await world({ assignments: [toAll('wifi', profile)], connectors: 0 });
  const { host, name } = splitConfigString(w.ca.configString);
  const directory = new CaDirectory([{ host, name: name ?? host, ca: w.ca, policy: 'hold' }]);
  const connector = new CertificateConnector({
    id: 'connector-1',
    tenant: TENANT,
    transport: w.bus.transport('connector-1'),
    ca: directory,
    clock: w.clock,
    keys: new FixedKeySource([2, 3, 4, 5].map((i) => poolKey('rsa2048', i))),
    maxIdlePollIntervalMs: 5 * 60_000,
  });
  await connector.start();
  w.connectors.push(connector);
  return { ...w, caDirectory: directory };
}

/** The service's events of `type` for `device`. */
function eventsOf(w: Awaited<ReturnType<typeof world>>, device: string, type: string) {
  return w.service.events().filter((e) => e.type === type && e.device === device);
}

describe('a renewal held at the CA (finding B)', () => {
  it('keeps the row installed while the installed certificate is valid, and renews once issued', async () => {
    const w = await holdingWorld(pkcs('ios'));
    const d = await w.enrol({ platform: 'ios', kind: 'device' });
    await w.run(60_000);
    expect(outcomeOf(w.service, d.id, 'wifi')).toMatchObject({
      status: 'pending',
      code: 'CA_REQUEST_PENDING',
    });
    expect(w.caDirectory.decidePending('issue')).toBe(1);
    await w.run(2 * HOUR);
    expect(outcomeOf(w.service, d.id, 'wifi')).toMatchObject({ status: 'installed', renewals: 0 });
    const installed = outcomeOf(w.service, d.id, 'wifi')!;

    await d.renew('wifi', '');
    await w.run(10 * 60_000);
    // held: the device still holds its certificate, so the row stays as it was
    expect(outcomeOf(w.service, d.id, 'wifi')).toMatchObject({
      status: 'installed',
      code: installed.code,
      renewals: 0,
    });
    const held = eventsOf(w, d.id, 'certificate-pending');
    expect(held.at(-1)?.detail).toMatch(
      /^CA_REQUEST_PENDING: .*Renewal pending: the installed certificate \w+ stays in use \(valid until .*\); the profile stays installed\.$/,
    );
    expect(held.at(-1)?.detail).not.toMatch(/the profile stays pending/);
    // the hourly re-checks do not make it pending either
    await w.run(3 * HOUR);
    expect(outcomeOf(w.service, d.id, 'wifi')?.status).toBe('installed');
    expect(eventsOf(w, d.id, 'certificate-pending').length).toBeGreaterThan(held.length);

    expect(w.caDirectory.decidePending('issue')).toBe(1);
    await w.run(2 * HOUR);
    expect(outcomeOf(w.service, d.id, 'wifi')).toMatchObject({ status: 'installed', renewals: 1 });
    expect(eventsOf(w, d.id, 'renewed')).toHaveLength(1);
  });

  it('a device reporting its certificate expired while the renewal is held still gets the renewal once issued', async () => {
    const w = await holdingWorld(pkcs('ios'));
    const d = await w.enrol({ platform: 'ios', kind: 'device' });
    await w.run(60_000);
    w.caDirectory.decidePending('issue');
    await w.run(2 * HOUR);
    await d.renew('wifi', '');
    await w.run(10 * 60_000);
    expect(outcomeOf(w.service, d.id, 'wifi')?.status).toBe('installed');

    // the device's next check-in finds the certificate expired (agent/renewal/expired-outcome.ts)
    const report: OutcomeReport = {
      type: 'outcome',
      deviceId: d.id,
      profileId: 'wifi',
      outcomes: [
        {
          device: d.id,
          platform: 'ios',
          payload: 'wifi',
          status: 'failed',
          code: 'RENEWAL_EXPIRED',
          message: 'The certificate CN=x expired at 2026-03-01T09:00:00.000Z before it was renewed.',
          native: { platform: 'ios', status: 'Acknowledged', errorChain: [] },
        },
      ],
      at: START.toISOString(),
    };
    await w.bus
      .transport(`device-${d.id}-inventory`)
      .publish(deviceOutTopic(TENANT, d.id, 'outcome', 'wifi'), Buffer.from(JSON.stringify(report)));
    await w.run(60_000);
    expect(outcomeOf(w.service, d.id, 'wifi')).toMatchObject({ status: 'failed', code: 'RENEWAL_EXPIRED' });
    // the re-checks go on, and leave the device's report as the row's outcome
    await w.run(2 * HOUR);
    expect(outcomeOf(w.service, d.id, 'wifi')).toMatchObject({ status: 'failed', code: 'RENEWAL_EXPIRED' });

    const payloads = d.payloads().length;
    expect(w.caDirectory.decidePending('issue')).toBe(1);
    await w.run(2 * HOUR);
    expect(d.payloads().length).toBe(payloads + 1);
    expect(outcomeOf(w.service, d.id, 'wifi')).toMatchObject({ status: 'installed', renewals: 1 });
  });
});

const CASES: { platform: Platform; kind: EnrollmentKind }[] = [
  { platform: 'windows', kind: 'entra-joined' },
  { platform: 'ios', kind: 'device' },
];

describe.each(CASES)(
  'a renewal that installs after the certificate expired (finding A, $platform $kind)',
  ({ platform, kind }) => {
    it('is reported RENEWAL_EXPIRED with the gap, counted as an expiry, and the row ends installed', async () => {
      const family = profileFamilyOf(platform, kind)!;
      // 5 days, renew below 20 %: check-ins every 1.5 days ask at 4.5 days (10 % left); the next is at 6
      const w = await holdingWorld(
        pkcs(family, { validity: { value: 5, unit: 'days' }, renewalThresholdPercentage: 20 }),
      );
      const device = generateDevice({
        seed: 'renewal-held',
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
        checkInIntervalMs: 1.5 * DAY,
      });
      await agent.start();
      await w.run(60_000);
      expect(w.caDirectory.decidePending('issue')).toBe(1); // the first certificate
      await w.run(2 * HOUR);
      expect(outcomeOf(w.service, device.id, 'wifi')?.status).toBe('installed');

      // the renewal asked at 4.5 days is held past the certificate's end (5 days and about an hour)
      await w.run(5 * DAY + 3 * HOUR - w.clock.now().getTime() + START.getTime());
      expect(eventsOf(w, device.id, 'renewal-requested')).toHaveLength(1);
      expect(outcomeOf(w.service, device.id, 'wifi')).toMatchObject({ status: 'installed', renewals: 0 });
      expect(eventsOf(w, device.id, 'failed')).toEqual([]); // no check-in since the expiry
      expect(w.caDirectory.decidePending('issue')).toBe(1);
      await w.run(2 * HOUR);

      // the row ends installed, renewed once …
      const row = outcomeOf(w.service, device.id, 'wifi')!;
      expect(row).toMatchObject({ status: 'installed', renewals: 1 });
      // … but the gap is not hidden: the device reported the expiry, naming how long it lasted
      const failed = eventsOf(w, device.id, 'failed');
      expect(failed).toHaveLength(1);
      expect(failed[0]?.detail).toMatch(
        /^RENEWAL_EXPIRED: The certificate .* expired at \S+ before it was renewed; its renewal installed at \S+, so the device was without a valid certificate for \d+ h \d+ min\.$/,
      );
      const renewed = eventsOf(w, device.id, 'renewed');
      expect(renewed).toHaveLength(1);
      expect(failed[0]?.at).toBe(renewed[0]?.at);
      // the install's message and the renewal's issue event say it too
      expect(row.message).toMatch(
        /had expired at \S+ \(RENEWAL_EXPIRED\): the device was without a valid certificate for/,
      );
      const issued = eventsOf(w, device.id, 'issued');
      expect(issued.at(-1)?.detail).toMatch(/\(renewal; certificate \w+ it replaces expired at \S+\)$/);
      // the check-in after the renewal finds a valid certificate: nothing more is reported
      await w.run(DAY);
      expect(eventsOf(w, device.id, 'failed')).toHaveLength(1);

      // the time report counts it among the expiries
      const run = sampleRun();
      run.events = w.service.events();
      run.outcomes = w.service.outcomes();
      run.metrics.virtualStart = START.toISOString();
      run.metrics.virtualEnd = w.clock.now().toISOString();
      const time = buildTimeReport(run);
      expect(time.totals.expiries).toBe(1);
      expect(time.totals.renewals).toBe(1);
      expect(time.expiries).toEqual([
        expect.objectContaining({ device: device.id, profile: 'wifi', at: renewed[0]?.at }),
      ]);
      await agent.stop();
    });
  },
);
