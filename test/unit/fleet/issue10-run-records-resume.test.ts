/**
 * Issue 10 point 3 — the run records part of a resumed `serve`: run.db reopened, not made again (the same
 * run row, devices and events; new records after them; the devices planned again, the same, and not
 * recorded twice); a folder of another scenario or seed, or whose run finished, refused with
 * RUN_STATE_MISMATCH and left byte for byte; without `resume` the refusal of an unfinished run stays.
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isCertfleetError } from '../../../pki/errors.ts';
import { KeyFactory } from '../../../pki/key-factory.ts';
import { VirtualClock } from '../../../simulator/clock/virtual-clock.ts';
import { startFleet } from '../../../simulator/fleet/compose/fleet-builder.ts';
import { fleetContext, type FleetContext } from '../../../simulator/fleet/compose/fleet-context.ts';
import { runRecords } from '../../../simulator/fleet/compose/run-records.ts';
import { RunDb } from '../../../simulator/report/run-db.ts';
import { loadScenario } from '../../../simulator/scenario/index.ts';

const yaml = (seed: string): string =>
  `name: resume-records\nseed: ${seed}\nduration: 1d\n` +
  `fleet: { devices: 4, mix: [{ platform: ios, kind: device, weight: 1 }] }\n` +
  `profiles:\n  - { name: Root, type: trusted, platforms: [ios], certificate: root }\n`;

let work: string;
beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'certfleet-i10-records-'));
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

function context(dir: string, seed = 'seed-1'): FleetContext {
  const scenario = loadScenario({ text: yaml(seed), file: 'resume.yaml', baseDir: work });
  return fleetContext({
    dir,
    scenario,
    tenant: 'contoso',
    clock: new VirtualClock(scenario.start),
    keys: {
      rsa: new KeyFactory({ kind: 'rsa', size: 2048 }),
      ec: new KeyFactory({ kind: 'ec', curve: 'P-256' }),
    },
  });
}

async function codeOf(p: Promise<unknown>): Promise<string | undefined> {
  try {
    await p;
  } catch (e) {
    return isCertfleetError(e) ? e.code : `not coded: ${String(e)}`;
  }
  return undefined;
}

const digest = (file: string): string => createHash('sha256').update(readFileSync(file)).digest('hex');

describe('issue 10 point 3: run.db of a killed serve reopened by the resumed one', () => {
  it('keeps the run row, devices and events, and adds after them', async () => {
    const dir = mkdtempSync(join(work, 'run-'));
    const first = context(dir);
    const fleet = await startFleet(first, [runRecords()]);
    first.runDb!.recordEvent({ at: '2026-01-01T00:00:00.000Z', type: 'before-kill', detail: 'one' });
    const startedAt = first.runDb!.run()!.startedAt;
    const ids = first.devices.map((d) => d.device.id);
    await fleet.stop(); // the process ends without finishing the run (as a kill leaves it)

    const again = context(dir);
    const resumed = await startFleet(again, [runRecords({ resume: true })]);
    const db = again.runDb!;
    expect(again.devices.map((d) => d.device.id)).toEqual(ids);
    expect(db.run()?.startedAt).toBe(startedAt);
    expect(db.run()?.finishedAt).toBeUndefined();
    expect([...db.deviceIds()].sort()).toEqual([...ids].sort()); // recorded once, not twice
    db.recordEvent({ at: '2026-01-01T01:00:00.000Z', type: 'after-resume', detail: 'two' });
    expect(db.events().map((e) => e.type)).toEqual(['before-kill', 'after-resume']);
    await resumed.stop();
  });

  it('without resume the unfinished run is refused as before (RUN_UNFINISHED)', async () => {
    const dir = mkdtempSync(join(work, 'run-'));
    await (await startFleet(context(dir), [runRecords()])).stop();
    const before = digest(join(dir, 'run.db'));
    expect(await codeOf(startFleet(context(dir), [runRecords()]))).toBe('RUN_UNFINISHED');
    expect(digest(join(dir, 'run.db'))).toBe(before);
  });

  it('refuses another seed, and a run that finished, with RUN_STATE_MISMATCH; nothing changed', async () => {
    const dir = mkdtempSync(join(work, 'run-'));
    await (await startFleet(context(dir), [runRecords()])).stop();
    const before = digest(join(dir, 'run.db'));
    expect(await codeOf(startFleet(context(dir, 'seed-2'), [runRecords({ resume: true })]))).toBe(
      'RUN_STATE_MISMATCH',
    );
    expect(digest(join(dir, 'run.db'))).toBe(before);

    const db = RunDb.reopen(join(dir, 'run.db'));
    db.finishRun({
      scenario: 'resume-records',
      seed: 'seed-1',
      devices: 4,
      startedAt: '2026-01-01T00:00:00.000Z',
      devicesList: [],
      outcomes: [],
      events: [],
      expectations: [],
      metrics: {
        wallSeconds: 1,
        virtualStart: '2026-01-01T00:00:00.000Z',
        virtualEnd: '2026-01-02T00:00:00.000Z',
        devicesPerSecond: 4,
        certificatesIssued: 0,
        connectorLoad: {},
        messages: 0,
      },
    });
    db.close();
    expect(await codeOf(startFleet(context(dir), [runRecords({ resume: true })]))).toBe('RUN_STATE_MISMATCH');
  });
});
