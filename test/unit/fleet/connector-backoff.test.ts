/**
 * regression issue 5: the connectors' idle backoff was implicit (polls that found no work stretched to
 * 15 min, and the run never turned that off, while the README said connectorPollInterval is "how often each
 * connector polls"). The scenario's `connectors: {idleBackoff}` now reaches the run's connector pool:
 * `off` gives strict 30 s polls, the default backs off up to 15 min.
 */
import { describe, expect, it } from 'vitest';
import type { Transport, TransportMessage } from '../../../protocol/transport/transport.ts';
import { startConnectorPool } from '../../../simulator/fleet/connector-pool.ts';
import { VirtualClock } from '../../../simulator/clock/virtual-clock.ts';
import { loadScenario, planConnectors } from '../../../simulator/scenario/index.ts';
import type { EnterpriseCa } from '../../../simulator/service/ca/enterprise-ca.ts';
import type { KeySource } from '../../../pki/key-factory.ts';

const START = Date.parse('2026-01-01T00:00:00Z');

/** Poll times (ms after the start) of one connector over 2 h, every poll answered with an empty batch. */
async function pollTimes(connectors: string): Promise<number[]> {
  const scenario = loadScenario({
    text: `fleet: { devices: 1 }\nconnectors: ${connectors}\n`,
    file: 'c.yaml',
  });
  const clock = new VirtualClock(START);
  const polls: number[] = [];
  const inboxes = new Map<string, (m: TransportMessage) => void | Promise<void>>();
  const connect = async (clientId: string): Promise<Transport> => ({
    clientId,
    subscribe: async (_filter, handler) => void inboxes.set(clientId, handler),
    publish: async (topic, payload) => {
      if (!topic.endsWith('/poll')) return;
      polls.push(clock.now().getTime() - START);
      const { pollId } = JSON.parse(payload.toString('utf8')) as { pollId: string };
      await inboxes.get(clientId)?.({
        topic: 'batch',
        payload: Buffer.from(JSON.stringify({ type: 'batch', pollId, leases: [] })),
      });
    },
    close: async () => undefined,
  });
  const pool = await startConnectorPool({
    plans: planConnectors(scenario),
    tenant: 'contoso',
    connect,
    ca: {} as EnterpriseCa, // an idle connector never issues
    clock,
    pollIntervalMs: scenario.connectors.pollIntervalMs,
    maxIdlePollIntervalMs: scenario.connectors.maxIdlePollIntervalMs,
    keys: {} as KeySource,
  });
  await clock.runUntil(START + 2 * 3_600_000);
  for (const c of pool.values()) await c.stop();
  return polls;
}

const gaps = (t: number[]): number[] => t.slice(1).map((x, i) => x - t[i]!);

describe('regression issue 5: connectors idleBackoff', () => {
  it('off: every poll 30 s after the last, for 2 h', async () => {
    const t = await pollTimes('{ count: 1, idleBackoff: off }');
    expect(t).toHaveLength(241);
    expect(new Set(gaps(t))).toEqual(new Set([30_000]));
  });

  it('default: idle polls back off to 15 min', async () => {
    const t = await pollTimes('1');
    expect(Math.max(...gaps(t))).toBe(15 * 60_000);
    expect(t.length).toBeLessThan(20);
  });

  it('a duration caps the backoff, and the poll interval is the scenario one', async () => {
    const t = await pollTimes('{ count: 1, pollInterval: 1m, idleBackoff: 4m }');
    expect(gaps(t)[0]).toBe(60_000);
    expect(Math.max(...gaps(t))).toBe(4 * 60_000);
  });
});
