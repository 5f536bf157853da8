/**
 * Issue 10 point 3 — a folder `run --workers` left (its agent hosts were its child processes, gone with it)
 * is not resumed by a later `serve`: run.json records the engine that wrote the folder, and a serve on an
 * unfinished run that kept its saved state but was not written by a serve is refused with
 * RUN_NOT_RESUMABLE naming the folder and saying to start afresh — before any connection, nothing changed.
 * A folder a serve wrote is resumable. Real run.db and service-state.db (SQLite), no broker needed.
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { CertfleetError } from '../../../pki/errors.ts';
import { isCertfleetError } from '../../../pki/errors.ts';
import { coordinateFleet } from '../../../simulator/fleet/engine-fleet.ts';
import {
  canResume,
  openSplitRunFolder,
  readRunManifest,
  refuseForeignResume,
} from '../../../simulator/fleet/run-folder.ts';
import { ServiceCheckpoint } from '../../../simulator/fleet/service-checkpoint.ts';
import { RunDb, RUN_DB_FILE } from '../../../simulator/report/run-db.ts';
import { loadScenario } from '../../../simulator/scenario/index.ts';

const work = mkdtempSync(join(tmpdir(), 'certfleet-i10-foreign-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const scenarioFile = join(work, 'foreign.yaml');
writeFileSync(
  scenarioFile,
  `name: foreign-resume\nseed: s1\nduration: 1d\n` +
    `fleet: { devices: 2, mix: [{ platform: ios, kind: device, weight: 1 }] }\n` +
    `profiles:\n  - { name: Root, type: trusted, platforms: [ios], certificate: root }\n`,
);

/** A folder as a killed coordinated run left it: run.json by `engine`, an unfinished run.db, its saved state. */
function killedFolder(engine: 'serve' | 'run-workers' | undefined): string {
  const dir = mkdtempSync(join(work, 'run-'));
  const scenario = loadScenario(scenarioFile);
  openSplitRunFolder(dir, scenarioFile, scenario, { hosts: 2, ...(engine !== undefined && { engine }) });
  const db = RunDb.create(join(dir, RUN_DB_FILE));
  db.recordRun({
    scenario: scenario.name,
    seed: scenario.seed,
    startedAt: new Date().toISOString(),
    devices: 2,
  });
  db.close();
  ServiceCheckpoint.open(dir, { digest: 'd', secret: 'foreign-secret' }).close();
  return dir;
}

const snapshot = (dir: string): string =>
  readdirSync(dir)
    .sort()
    .map(
      (f) =>
        `${f}:${createHash('sha256')
          .update(readFileSync(join(dir, f)))
          .digest('hex')}`,
    )
    .join('\n');

function codeOf(f: () => void): CertfleetError | undefined {
  try {
    f();
  } catch (e) {
    if (isCertfleetError(e)) return e;
    throw e;
  }
  return undefined;
}

describe('issue 10 point 3: a run --workers folder is not resumed by serve', () => {
  it('run.json names the engine; only a serve folder is resumable', () => {
    const workers = killedFolder('run-workers');
    const serve = killedFolder('serve');
    expect(readRunManifest(workers).engine).toBe('run-workers');
    expect(readRunManifest(serve).engine).toBe('serve');
    // both kept what canResume looks for: the engine is what tells them apart
    expect(canResume(workers)).toBe(true);
    expect(canResume(serve)).toBe(true);
    expect(codeOf(() => refuseForeignResume(serve))).toBeUndefined();
    const e = codeOf(() => refuseForeignResume(workers));
    expect(e?.code).toBe('RUN_NOT_RESUMABLE');
    expect(e?.message).toContain(workers);
    expect(e?.message).toContain('run --workers');
    expect(e?.message).toMatch(/Start afresh/);
    // a folder of an older certfleet (no engine recorded) is refused too
    expect(codeOf(() => refuseForeignResume(killedFolder(undefined)))?.code).toBe('RUN_NOT_RESUMABLE');
  });

  it('serve on a killed run --workers folder is refused before anything, and the folder is left as it was', async () => {
    const dir = killedFolder('run-workers');
    const before = snapshot(dir);
    let code: string | undefined;
    let message = '';
    try {
      await coordinateFleet({
        scenario: scenarioFile,
        out: dir,
        hosts: 2,
        broker: 'mqtt://127.0.0.1:9', // never reached: the refusal comes first
        secret: Buffer.from('foreign-secret'),
        resumable: true,
      });
    } catch (e) {
      code = isCertfleetError(e) ? e.code : `not coded: ${String(e)}`;
      message = (e as Error).message;
    }
    expect(code).toBe('RUN_NOT_RESUMABLE');
    expect(message).toContain(dir);
    expect(snapshot(dir)).toBe(before);
  });
});
