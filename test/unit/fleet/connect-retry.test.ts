/**
 * Issue 10 point 3 — a device whose first connection failed during a broker outage was never started
 * again. The agent host now tries again with backoff on the virtual clock (1 min, then doubling): here the
 * broker's port has no listener at the device's enrol time (a real refused TCP connection), the embedded
 * broker starts on that port after two failed attempts, and the third attempt connects and enrols.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { generateDevice } from '../../../agent/device/generate.ts';
import { StoreDb } from '../../../agent/keystore/store-db.ts';
import { FixedKeySource } from '../../../pki/key-factory.ts';
import { connectMqtt } from '../../../protocol/transport/mqtt-transport.ts';
import { startEmbeddedBroker, type EmbeddedBroker } from '../../../simulator/broker/embedded-broker.ts';
import { freePort } from '../../../simulator/broker/free-port.ts';
import { VirtualClock } from '../../../simulator/clock/virtual-clock.ts';
import { agentHost, CONNECT_RETRY_FIRST_MS } from '../../../simulator/fleet/compose/agent-host.ts';
import { fleetContext } from '../../../simulator/fleet/compose/fleet-context.ts';
import { Teardown } from '../../../simulator/fleet/teardown.ts';
import type { RunEvent } from '../../../simulator/run-model.ts';
import { loadScenario, planFleet } from '../../../simulator/scenario/index.ts';
import { poolKey } from '../../fixtures/key-pool.ts';

const SCENARIO = `
name: connect-retry
seed: issue10-connect-retry
duration: 1d
fleet:
  devices: 1
  mix: [{ platform: android, kind: fully-managed, weight: 1 }]
profiles:
  - { name: Root, type: trusted-certificate, platforms: all, certificate: root }
`;
const PASSWORD = 'connect-retry-password-0123456789';
const work = mkdtempSync(join(tmpdir(), 'certfleet-connect-retry-'));
let broker: EmbeddedBroker | undefined;
afterAll(async () => {
  await broker?.close();
  rmSync(work, { recursive: true, force: true });
});

describe('issue 10 point 3: a device whose connection fails during a broker outage is started again', () => {
  it('retries on the virtual clock (enrol time, +1 min, +2 min) and enrols once the broker is back', async () => {
    const scenario = loadScenario({ text: SCENARIO, file: 'connect-retry.yaml', baseDir: work });
    const plan = planFleet(scenario)[0]!;
    const device = generateDevice(plan.generate);
    const port = await freePort();
    const clock = new VirtualClock(scenario.start);
    const ctx = fleetContext({
      dir: work,
      scenario,
      tenant: 'contoso',
      clock,
      keys: {
        rsa: new FixedKeySource([poolKey('rsa2048', 0)]),
        ec: new FixedKeySource([poolKey('p256', 0)]),
      },
      devices: [{ device, plan }],
    });
    const events: RunEvent[] = [];
    const published: string[] = [];
    ctx.storeDb = StoreDb.open(':memory:');
    ctx.recordDeviceEvent = (e) => events.push(e);
    ctx.broker = {
      certificateLogin: false,
      admitDevice: async () => undefined,
      connect: async (clientId) => {
        const t = await connectMqtt({
          url: `mqtt://127.0.0.1:${port}`,
          clientId,
          username: clientId,
          password: PASSWORD,
          clean: false,
        });
        return {
          clientId: t.clientId,
          subscribe: (f, h) => t.subscribe(f, h),
          close: () => t.close(),
          publish: async (topic, payload) => {
            published.push(topic);
            await t.publish(topic, payload);
          },
        };
      },
    };
    const teardown = new Teardown();
    await agentHost().start(ctx, teardown);
    try {
      const failures = () => events.filter((e) => e.type === 'connect-failed');
      await clock.runUntil(plan.enrolAt);
      expect(failures()).toHaveLength(1);
      await clock.runUntil(plan.enrolAt + CONNECT_RETRY_FIRST_MS);
      expect(failures()).toHaveLength(2);
      expect(ctx.agents?.running.has(device.id)).toBe(false);

      broker = await startEmbeddedBroker({
        tenant: 'contoso',
        port,
        credentials: [{ role: 'device', name: device.id, password: PASSWORD }],
      });
      await clock.runUntil(plan.enrolAt + 3 * CONNECT_RETRY_FIRST_MS);
      expect(failures().map((e) => Date.parse(e.at) - plan.enrolAt)).toEqual([0, CONNECT_RETRY_FIRST_MS]);
      expect(failures()[1]?.detail).toMatch(/^attempt 2: .*next attempt in 2 min$/);
      expect(ctx.agents?.running.has(device.id)).toBe(true);
      expect(published).toEqual([`certfleet/contoso/device/${device.id}/out/enroll`]);
    } finally {
      await teardown.run();
    }
  }, 60_000);
});
