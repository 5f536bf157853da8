/**
 * regression issue 5: `--tls --broker mosquitto`. Mosquitto checks client certificates by the wall clock,
 * the run issues them at virtual time: without `start:` the run moves into the wall-clock past; a `start:`
 * that issues in the wall-clock future, or a management validity shorter than the run window, is refused.
 */
import { describe, expect, it } from 'vitest';
import { runFleet } from '../../../simulator/fleet/run-fleet.ts';
import { wallClockTlsStart, type WallClockStartInput } from '../../../simulator/fleet/wall-clock-start.ts';

const H = 3_600_000;
const D = 24 * H;
const NOW = Date.parse('2026-12-04T12:00:00Z');
const base: WallClockStartInput = {
  file: 's.yaml',
  start: Date.parse('2026-01-01T00:00:00Z'),
  durationMs: 30 * D,
  rampMs: 10 * 60_000,
  managementValidity: { value: 1, unit: 'years' },
  wallNow: NOW,
};

describe('regression issue 5: the virtual start of a TLS run on Mosquitto (wall-clock broker)', () => {
  it.each([
    { name: 'no start: wall now − duration − ramp − 1 h', input: {}, start: NOW - 30 * D - 10 * 60_000 - H },
    {
      name: 'explicit start in the wall-clock past: kept',
      input: { start: Date.parse('2026-06-01T00:00:00Z'), startLine: 3 },
      start: Date.parse('2026-06-01T00:00:00Z'),
    },
  ])('$name', ({ input, start }) => {
    expect(wallClockTlsStart({ ...base, ...input })).toBe(start);
  });

  it.each([
    {
      name: 'explicit start whose run ends after wall now',
      input: { start: NOW - 10 * D, startLine: 3 },
      message: /s\.yaml:3:1: start: .*wall clock.*set start: /s,
    },
    {
      name: 'explicit start so early that its certificates are expired by the wall clock',
      input: { start: NOW - 400 * D, startLine: 3 },
      message: /start: .*too early.*expired by the wall clock/s,
    },
    {
      name: 'management validity shorter than the run window',
      input: { durationMs: 400 * D },
      message: /duration: .*valid 1 year, shorter than the run window/s,
    },
    {
      name: 'a reused CA made after the start the run needs',
      input: { earliestStart: NOW - D },
      message: /start: .*before the CA is valid/s,
    },
  ])('refuses $name (SCENARIO_INVALID naming the key)', ({ input, message }) => {
    let error: unknown;
    try {
      wallClockTlsStart({ ...base, ...input });
    } catch (e) {
      error = e;
    }
    expect(error).toMatchObject({ code: 'SCENARIO_INVALID', message: expect.stringMatching(message) });
  });
});

describe('regression issue 5: --tls and the broker choice', () => {
  it('refuses --tls with an external broker, saying what works and why (USAGE, before anything starts)', async () => {
    await expect(
      runFleet({
        scenario: 'scenarios/missing-imei.yaml',
        out: '/nonexistent/never-made',
        tls: true,
        broker: { type: 'external', url: 'mqtts://broker.example:8883' },
      }),
    ).rejects.toMatchObject({
      code: 'USAGE',
      message: expect.stringMatching(/embedded broker.*--broker mosquitto.*trust the run's CA/s),
    });
  });
});
