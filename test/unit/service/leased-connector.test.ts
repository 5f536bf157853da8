/**
 * The polling settings every connector kind hands on to its lease client (leased-connector.ts): only the
 * settings, only those set — a connector's other options (its CA, its transport) never reach the client.
 */
import { describe, expect, it } from 'vitest';
import { pollingOf } from '../../../simulator/service/connector/leased-connector.ts';

describe('pollingOf', () => {
  it('keeps the polling settings that are set, and nothing else', () => {
    const onAbandon = (): void => undefined;
    const options = {
      pollIntervalMs: 5_000,
      batchSize: 2,
      onAbandon,
      firstPollDelayMs: undefined,
      ca: 'not a polling setting',
      concurrency: 9,
    };
    expect(pollingOf(options)).toEqual({ pollIntervalMs: 5_000, batchSize: 2, onAbandon });
    expect(Object.keys(pollingOf(options))).not.toContain('firstPollDelayMs');
  });

  it('an unset one stays unset (the client keeps its default)', () => {
    expect(pollingOf({})).toEqual({});
    expect(pollingOf({ maxIdlePollIntervalMs: 30_000 })).toEqual({ maxIdlePollIntervalMs: 30_000 });
  });
});
