/**
 * The accounts of `certfleet run`'s broker (simulator/fleet/compose/broker.ts `runBroker`). On Mosquitto
 * every account change is a reload of its password file (SIGHUP), and each reload checks the password of
 * every connected client again: with one reload per arriving device, a 3,000-device run took 626 s on
 * Mosquitto against 76 s on the embedded broker (each arrival waited for a reload that grew with the fleet).
 * So on Mosquitto every device of the fleet has its account before the broker starts; the embedded broker
 * takes an account as cheaply as a map entry, and keeps adding each device when it first starts.
 */
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { generateDevice } from '../../../agent/device/generate.ts';
import { isCertfleetError } from '../../../pki/errors.ts';
import { findMosquitto } from '../../../simulator/broker/mosquitto.ts';
import { runBroker, type BrokerChoice } from '../../../simulator/fleet/compose/broker.ts';
import type { FleetContext } from '../../../simulator/fleet/compose/fleet-context.ts';
import type { PlannedDevice } from '../../../simulator/fleet/plan-devices.ts';
import { Teardown } from '../../../simulator/fleet/teardown.ts';
import { loadScenario, planFleet } from '../../../simulator/scenario/index.ts';

const SCENARIO = fileURLToPath(new URL('../../e2e/fixtures/engine-equivalence.yaml', import.meta.url));
const SECRET = Buffer.alloc(32, 7);

let teardown: Teardown | undefined;
afterEach(async () => {
  await teardown?.run();
  teardown = undefined;
});

/** Starts the run's broker part for the scenario's fleet; returns its context. */
async function started(choice: BrokerChoice): Promise<FleetContext> {
  const scenario = loadScenario(SCENARIO);
  const devices: PlannedDevice[] = planFleet(scenario).map((plan) => ({
    device: generateDevice(plan.generate),
    plan,
  }));
  const ctx = { scenario, tenant: 'contoso', devices } as unknown as FleetContext;
  teardown = new Teardown();
  await runBroker({ choice, secret: SECRET }).start(ctx, teardown);
  return ctx;
}

/** Whether `clientId` may log in now (its transport closed again at once). */
async function logsIn(ctx: FleetContext, clientId: string): Promise<boolean> {
  try {
    const t = await ctx.broker!.connect(clientId);
    await t.close();
    return true;
  } catch (e) {
    if (isCertfleetError(e)) return false;
    throw e;
  }
}

describe.skipIf(!findMosquitto())('run --broker mosquitto: accounts', () => {
  it('every device of the fleet may log in from the start, before it is admitted; no one else may', async () => {
    const ctx = await started({ type: 'mosquitto' });
    const ids = ctx.devices.map((d) => d.device.id);
    expect(ids.length).toBe(8);
    for (const id of ids) expect(await logsIn(ctx, id), id).toBe(true);
    expect(await logsIn(ctx, 'not-a-device-of-this-fleet')).toBe(false);
    // admitting one again (a device back from an offline window) changes nothing: it still logs in
    await ctx.broker!.admitDevice(ids[0]!);
    expect(await logsIn(ctx, ids[0]!)).toBe(true);
  }, 60_000);
});

describe('run (embedded broker): accounts', () => {
  it('a device logs in once admitted (when it first starts), not before', async () => {
    const ctx = await started({ type: 'embedded' });
    const [first, second] = ctx.devices.map((d) => d.device.id);
    expect(await logsIn(ctx, first!)).toBe(false);
    await ctx.broker!.admitDevice(first!);
    expect(await logsIn(ctx, first!)).toBe(true);
    await ctx.broker!.admitDevice(first!);
    expect(await logsIn(ctx, first!)).toBe(true);
    expect(await logsIn(ctx, second!)).toBe(false);
  }, 60_000);
});
