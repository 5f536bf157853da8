/**
 * regression issue 5: the failure injections `connectorDown` and `slowDevice` had no test in an actual run.
 * Over the real MQTT run: an event shows the connector going down, and while it is down the requests of
 * devices enrolling then are issued by the other connector; a slow device's answer arrives its delay after
 * the payload, the others' at once — also now that the instants where only the service side acts run
 * without a wave (the hold had made a slow device answer 3 minutes late: the in-process host reported
 * before the payload reached the device, and the run counted the device as done).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runFleet } from '../../simulator/fleet/run-fleet.ts';
import type { RunEvent } from '../../simulator/run-model.ts';
import { loadScenario, planConnectors, planFleet } from '../../simulator/scenario/index.ts';

const work = mkdtempSync(join(tmpdir(), 'certfleet-failures-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

// seed chosen so that exactly one connector goes down, while devices enrol (checked below from the plan)
const SCENARIO = `
name: failures
seed: down-3
duration: 4h
connectors: { count: 2, idleBackoff: off }
fleet:
  devices: 6
  ramp: 4h
  mix: [{ platform: windows, kind: entra-joined }]
  failures:
    connectorDown: { probability: 0.5, duration: 1h }
    slowDevice: { probability: 0.5, delay: 2m }
profiles:
  - { name: Device cert, type: pkcs, platforms: [windows], template: CertfleetDevice, certificateType: device, subject: 'CN={{AAD_Device_ID}}' }
`;

const ms = (iso: string): number => Date.parse(iso);

describe('regression issue 5: connectorDown and slowDevice in a run', { timeout: 120_000 }, () => {
  it('another connector serves while one is down; slow devices answer late', async () => {
    const scenario = loadScenario({ text: SCENARIO, file: join(work, 'failures.yaml'), baseDir: work });
    const down = planConnectors(scenario).filter((c) => c.down.length > 0);
    expect(down).toHaveLength(1);
    const [
      {
        id: downId,
        down: [window],
      },
    ] = down as [{ id: string; down: [{ from: number; to: number }] }];
    const plans = planFleet(scenario);
    const slow = plans.filter((p) => p.slowDelayMs > 0);
    expect(slow.length).toBeGreaterThan(0);
    expect(slow.length).toBeLessThan(plans.length);

    const live: RunEvent[] = [];
    const { result, engine } = await runFleet({
      scenario: { text: SCENARIO, file: join(work, 'failures.yaml'), baseDir: work },
      out: join(work, 'run'),
      onEvent: (e) => live.push(e),
    });
    expect(result.outcomes.map((o) => o.status)).toEqual(plans.map(() => 'installed'));

    // the connector going down (and back), at its planned window — in the run's events (report.json) too
    const downEvent = live.find((e) => e.type === 'connector-down');
    expect(downEvent?.detail).toContain(downId);
    expect(downEvent?.detail).toContain('its leased requests go to another connector');
    expect(result.events.filter((e) => e.type === 'connector-down')).toEqual([downEvent]);
    expect(ms(downEvent!.at)).toBe(window.from);
    expect(ms(live.find((e) => e.type === 'connector-up')!.at)).toBe(window.to);
    // while it is down, the other connector takes every request
    const issuedInWindow = result.events.filter(
      (e) => e.type === 'issued' && ms(e.at) >= window.from && ms(e.at) < window.to,
    );
    expect(issuedInWindow.length).toBeGreaterThan(0);
    for (const e of issuedInWindow) {
      expect(e.detail).not.toContain(`by ${downId} `);
      expect(e.detail).toMatch(/by connector-\d+ /);
    }

    // a slow device answers its delay after the payload went out; the others at once
    const byId = new Map(result.devicesList.map((d) => [d.index, d.id]));
    for (const p of plans) {
      const id = byId.get(p.index)!;
      const sent = result.events.find((e) => e.device === id && e.type === 'delivered');
      const installed = result.events.find((e) => e.device === id && e.type === 'installed');
      expect({ id, lag: ms(installed!.at) - ms(sent!.at) }).toEqual({ id, lag: p.slowDelayMs });
    }
    expect(slow.every((p) => p.slowDelayMs === 2 * 60_000)).toBe(true);

    // the connectors poll every 30 s (no idle backoff): most instants are the service side's alone, and
    // run without a wave — the devices' host is stepped only when a message reaches a device or one of
    // its timers is due (a slow device's answer above among them)
    expect(engine!.instants).toBeGreaterThan(400);
    expect(engine!.waves).toBeLessThan(engine!.instants / 4);
  });

  // QA walkthrough: with one connector down at the end, the rows waiting for a certificate said only
  // "Waiting for a certificate connector", and the outage was nowhere but in run.db
  it('the only connector down at the end: waiting rows name the outage; report events have it', async () => {
    const text = [
      'name: only-connector-down',
      'seed: down-3',
      'duration: 2d',
      'connectors: { count: 1, pollInterval: 30s, idleBackoff: off }',
      'fleet:',
      '  devices: 6',
      '  ramp: 2d',
      '  failures:',
      '    connectorDown: { probability: 1, duration: 20h }',
      '  mix: [{ platform: windows, kind: entra-joined }]',
      'profiles:',
      "  - { name: Device cert, type: pkcs, platforms: [windows], template: CertfleetDevice, certificateType: device, subject: 'CN={{DeviceName}}' }",
      '',
    ].join('\n');
    const file = join(work, 'only-down.yaml');
    const scenario = loadScenario({ text, file, baseDir: work });
    const [plan] = planConnectors(scenario);
    const window = plan!.down[0]!;
    // the plan puts the outage over the run's end (checked, so that the case is what it says)
    expect(window.to).toBeGreaterThan(scenario.start + scenario.durationMs);
    const { result } = await runFleet({
      scenario: { text, file, baseDir: work },
      out: join(work, 'only-down'),
    });
    const waiting = result.outcomes.filter((o) => o.code === 'CERTIFICATE_NOT_ISSUED');
    expect(waiting.length).toBeGreaterThan(0);
    for (const o of waiting) {
      expect(o.status).toBe('pending');
      expect(o.message).toContain(
        `The only certificate connector was down when the run ended (the scenario's fleet.failures.connectorDown): connector-1 from ${new Date(window.from).toISOString()} until ${new Date(window.to).toISOString()}.`,
      );
    }
    // rows that got their certificate before the outage say nothing of it
    for (const o of result.outcomes.filter((x) => x.status === 'installed'))
      expect(o.message).not.toContain('connector-1 from');
    const down = result.events.filter((e) => e.type === 'connector-down');
    expect(down.map((e) => e.detail)).toEqual([
      `connector-1 stopped until ${new Date(window.to).toISOString()}; no other connector is running: requests wait until one polls again`,
    ]);
  });
});
