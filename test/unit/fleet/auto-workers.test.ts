/**
 * Issue 9 point 2: `certfleet run` with no `--workers` spreads a big fleet over one agent host per core and
 * keeps a small one (or one whose options only one process carries) in one process.
 */
import { availableParallelism } from 'node:os';
import { describe, expect, it } from 'vitest';
import { AUTO_WORKERS_MIN_DEVICES, autoWorkers } from '../../../simulator/fleet/auto-workers.ts';
import { defaultWorkers } from '../../../simulator/fleet/run-command.ts';

const SCENARIO = 'scenarios/default.yaml';

describe('autoWorkers', () => {
  it('one host per core from the threshold on, one process below it', () => {
    expect(autoWorkers({ devices: AUTO_WORKERS_MIN_DEVICES - 1, oneProcessOnly: false, cores: 4 })).toBe(0);
    expect(autoWorkers({ devices: AUTO_WORKERS_MIN_DEVICES, oneProcessOnly: false, cores: 4 })).toBe(4);
    expect(autoWorkers({ devices: 10_000, oneProcessOnly: false, cores: 2 })).toBe(2);
    expect(autoWorkers({ devices: 10_000, oneProcessOnly: false })).toBe(availableParallelism());
  });
  it('one process whenever an option only one process carries is given', () => {
    expect(autoWorkers({ devices: 10_000, oneProcessOnly: true, cores: 8 })).toBe(0);
  });
  it('a single-core machine still gets one host for a big fleet', () => {
    expect(autoWorkers({ devices: 10_000, oneProcessOnly: false, cores: 1 })).toBe(1);
  });
});

describe('defaultWorkers (run-command.ts): the fleet size comes from the scenario and --devices', () => {
  const cores = availableParallelism();
  it('--devices at and above the threshold: one host per core; below: one process', () => {
    expect(defaultWorkers({ scenario: SCENARIO, devices: AUTO_WORKERS_MIN_DEVICES })).toBe(cores);
    expect(defaultWorkers({ scenario: SCENARIO, devices: 5 })).toBe(0);
  });
  it('options the hosts cannot carry keep one process', () => {
    const big = { scenario: SCENARIO, devices: 1000 };
    expect(defaultWorkers({ ...big, broker: 'mosquitto' })).toBe(0);
    expect(defaultWorkers({ ...big, broker: 'mqtt://127.0.0.1:1883' })).toBe(0);
    expect(defaultWorkers({ ...big, tls: true })).toBe(0);
    expect(defaultWorkers({ ...big, mqttVersion: 5 })).toBe(0);
    expect(defaultWorkers({ ...big, only: [1] })).toBe(0);
    expect(defaultWorkers({ ...big, broker: 'embedded' })).toBe(cores);
  });
  it('a key pool no longer keeps one process: every host draws from its own share (issue 11)', () => {
    expect(defaultWorkers({ scenario: SCENARIO, devices: 1000, keyPool: '/some/pool' })).toBe(cores);
    expect(defaultWorkers({ scenario: SCENARIO, devices: 5, keyPool: '/some/pool' })).toBe(0);
  });
  it('a scenario that cannot be loaded runs in one process (whose start reports why)', () => {
    expect(defaultWorkers({ scenario: 'does/not/exist.yaml', devices: 1000 })).toBe(0);
  });
});
