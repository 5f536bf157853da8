/**
 * The note a row still waiting for a certificate gets when every connector was down at the end of the run
 * (simulator/fleet/compose/connector-outages.ts).
 */
import { describe, expect, it } from 'vitest';
import {
  allConnectorsDownNote,
  noteConnectorOutages,
} from '../../../simulator/fleet/compose/connector-outages.ts';
import type { DeviceProfileOutcome } from '../../../simulator/run-model.ts';

const H = 3_600_000;
const T0 = Date.parse('2026-01-01T00:00:00Z');
const down = (id: string, from: number, to: number) => ({ id, down: [{ from: T0 + from, to: T0 + to }] });
const up = (id: string) => ({ id, down: [] });

describe('allConnectorsDownNote', () => {
  it('the only connector down at the end: names it and its window', () => {
    expect(allConnectorsDownNote([down('connector-1', 2 * H, 30 * H)], T0 + 24 * H)).toBe(
      "The only certificate connector was down when the run ended (the scenario's fleet.failures.connectorDown): connector-1 from 2026-01-01T02:00:00.000Z until 2026-01-02T06:00:00.000Z.",
    );
  });
  it('all of several down: names each', () => {
    const note = allConnectorsDownNote(
      [down('connector-1', 1 * H, 30 * H), down('connector-2', 20 * H, 40 * H)],
      T0 + 24 * H,
    );
    expect(note).toMatch(/^All 2 certificate connectors were down when the run ended/);
    expect(note).toContain(
      'connector-1 from 2026-01-01T01:00:00.000Z until 2026-01-02T06:00:00.000Z, connector-2 from',
    );
  });
  it('nothing when one connector was running, when the outage was over, or with no connector', () => {
    expect(
      allConnectorsDownNote([down('connector-1', 1 * H, 30 * H), up('connector-2')], T0 + 24 * H),
    ).toBeUndefined();
    expect(allConnectorsDownNote([down('connector-1', 1 * H, 5 * H)], T0 + 24 * H)).toBeUndefined();
    // the window's end is the instant the connector is back
    expect(allConnectorsDownNote([down('connector-1', 1 * H, 24 * H)], T0 + 24 * H)).toBeUndefined();
    expect(allConnectorsDownNote([], T0)).toBeUndefined();
  });
});

describe('noteConnectorOutages', () => {
  const row = (status: DeviceProfileOutcome['status'], code: string): DeviceProfileOutcome =>
    ({
      device: 'd',
      profile: 'p',
      platform: 'windows',
      kind: 'entra-joined',
      status,
      code,
      message: 'm.',
    }) as DeviceProfileOutcome;
  it('adds the note to pending CERTIFICATE_NOT_ISSUED rows only', () => {
    const rows = [
      row('pending', 'CERTIFICATE_NOT_ISSUED'),
      row('pending', 'DELIVERY_NO_ANSWER'),
      row('installed', 'OK'),
    ];
    const out = noteConnectorOutages(rows, [down('connector-1', 0, 48 * H)], T0 + 24 * H);
    expect(out.map((o) => o.message.startsWith('m. The only certificate connector was down'))).toEqual([
      true,
      false,
      false,
    ]);
    expect(out.slice(1).map((o) => o.message)).toEqual(['m.', 'm.']);
    expect(rows[0]!.message).toBe('m.'); // the input is not changed
  });
});
