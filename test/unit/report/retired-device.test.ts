/**
 * A device retired during a run (scenario action `retire`): run.db's device record said `enrolled` (it was
 * marked when the device enrolled and never again) while report.json's `devicesList[].enrolled` was false,
 * and `show device` printed "enrolled" in its header. The record now follows the run's device list at the
 * end of the run, and the header says `retired` and when (the service's `retired` event).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { renderDeviceStory } from '../../../simulator/report/device-story.ts';
import { RunDb } from '../../../simulator/report/run-db.ts';
import type { RunResult } from '../../../simulator/run-model.ts';
import { sampleRun } from './fixture.ts';

const root = mkdtempSync(join(tmpdir(), 'certfleet-retired-device-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const RETIRED_AT = '2026-03-02T00:00:00.000Z';

/** The fixture run with ios-1 retired: it enrolled, then the service retired it (not enrolled at the end). */
function retiredRun(): RunResult {
  const run = sampleRun();
  run.devicesList = run.devicesList.map((d) => (d.id === 'ios-1' ? { ...d, enrolled: false } : d));
  run.outcomes = run.outcomes.filter((o) => o.device !== 'ios-1');
  run.events.push(
    { at: '2026-03-01T00:00:05.000Z', device: 'ios-1', type: 'enrolled', detail: 'management certificate' },
    { at: RETIRED_AT, device: 'ios-1', type: 'retired', detail: 'device retired; 2 certificate(s) revoked' },
  );
  return run;
}

/** Records `run` as a run does: devices planned not enrolled, marked enrolled at their `enrolled` event. */
function record(run: RunResult): RunDb {
  const db = RunDb.create(join(root, `${Math.random().toString(36).slice(2)}.db`));
  db.recordRun(run);
  for (const d of run.devicesList)
    db.recordDevice({ ...d, enrolled: false, facts: {}, attributes: {}, absent: {} });
  for (const e of run.events) {
    if (e.type === 'enrolled' && e.device !== undefined) db.recordEnrolled(e.device);
    db.recordEvent(e);
  }
  db.finishRun(run);
  return db;
}

describe('a retired device in run.db and show device', () => {
  it('run.db marks a device retired during the run not enrolled, as report.json does', () => {
    const run = retiredRun();
    const db = record(run);
    try {
      expect(db.deviceStory('ios-1')?.device.enrolled).toBe(false);
      // the others as the device list says (and-1 and win-2 enrolled; mac-1 never did)
      for (const d of run.devicesList) expect(db.deviceStory(d.id)?.device.enrolled, d.id).toBe(d.enrolled);
    } finally {
      db.close();
    }
  });

  it('the header of show device says retired, and when', () => {
    const db = record(retiredRun());
    try {
      const header = renderDeviceStory(db.deviceStory('ios-1')!).split('\n')[0]!;
      expect(header).toContain(`· retired ${RETIRED_AT}`);
      expect(header).not.toMatch(/· (not )?enrolled$/);
      // a device enrolled at the end, and one that never enrolled, read as before
      expect(renderDeviceStory(db.deviceStory('and-1')!).split('\n')[0]).toMatch(/· enrolled$/);
      expect(renderDeviceStory(db.deviceStory('mac-1')!).split('\n')[0]).toMatch(/· not enrolled$/);
    } finally {
      db.close();
    }
  });
});
