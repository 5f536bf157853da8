/**
 * Issue 11: `certfleet run` with neither `--workers` nor `--broker` keeps the fleet in one process (agent
 * hosts cost more CPU than they save on one machine), and from the threshold on moves the embedded broker
 * into a child process (one process cannot hold both ends of every device's socket); options only one
 * process with its own broker carries keep the broker they name.
 */
import { describe, expect, it } from 'vitest';
import { AUTO_CHILD_BROKER_MIN_DEVICES, autoLayout } from '../../../simulator/fleet/auto-workers.ts';
import { defaultLayout } from '../../../simulator/fleet/run-command.ts';

const SCENARIO = 'scenarios/default.yaml';

describe('autoLayout', () => {
  it('the broker in a child process from the threshold on, in the run’s process below it; never agent hosts', () => {
    expect(autoLayout({ devices: AUTO_CHILD_BROKER_MIN_DEVICES - 1, oneProcessOnly: false })).toEqual({
      workers: 0,
    });
    expect(autoLayout({ devices: AUTO_CHILD_BROKER_MIN_DEVICES, oneProcessOnly: false })).toEqual({
      workers: 0,
      broker: 'child',
    });
    expect(autoLayout({ devices: 10_000, oneProcessOnly: false })).toEqual({ workers: 0, broker: 'child' });
    expect(autoLayout({ devices: 1000, oneProcessOnly: false })).toEqual({ workers: 0 });
  });
  it('the threshold keeps one process with its broker well under 20,000 open files (40 + 2 per device)', () => {
    expect(40 + 2 * AUTO_CHILD_BROKER_MIN_DEVICES).toBeLessThanOrEqual(0.85 * 20_000);
    // and the child layout (40 + 1 per device in each process) fits 10,000 devices with room to spare
    expect(40 + 10_000).toBeLessThan(0.6 * 20_000);
  });
  it('whenever an option only one process carries is given, the broker it names', () => {
    expect(autoLayout({ devices: 10_000, oneProcessOnly: true })).toEqual({ workers: 0 });
  });
});

describe('defaultLayout (run-command.ts): the fleet size comes from the scenario and --devices', () => {
  it('--devices at and above the threshold: the child broker; below: everything in one process', () => {
    expect(defaultLayout({ scenario: SCENARIO, devices: AUTO_CHILD_BROKER_MIN_DEVICES })).toEqual({
      workers: 0,
      broker: 'child',
    });
    expect(defaultLayout({ scenario: SCENARIO, devices: 1000 })).toEqual({ workers: 0 });
    expect(defaultLayout({ scenario: SCENARIO, devices: 5 })).toEqual({ workers: 0 });
  });
  it('a broker named on the command line (embedded included), TLS, MQTT 5 or a subset is kept as given', () => {
    const big = { scenario: SCENARIO, devices: 10_000 };
    for (const extra of [
      { broker: 'embedded' },
      { broker: 'mosquitto' },
      { broker: 'mqtt://127.0.0.1:1883' },
      { tls: true },
      { mqttVersion: 5 as const },
      { only: [1] },
    ])
      expect(defaultLayout({ ...big, ...extra }), JSON.stringify(extra)).toEqual({ workers: 0 });
  });
  it('a key pool does not change the layout', () => {
    expect(defaultLayout({ scenario: SCENARIO, devices: 10_000, keyPool: '/some/pool' })).toEqual({
      workers: 0,
      broker: 'child',
    });
  });
  it('a scenario that cannot be loaded runs in one process (whose start reports why)', () => {
    expect(defaultLayout({ scenario: 'does/not/exist.yaml', devices: 10_000 })).toEqual({ workers: 0 });
  });
});
