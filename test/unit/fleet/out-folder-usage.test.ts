/**
 * A usage error writes nothing (README "Reports for CI"), even one found once a command's work began
 * (simulator/fleet/run-folder.ts `claimOutFolder`, `dropOnUsageError`): the folders the command made for
 * --out are removed again with what it wrote in them; a folder that existed, another failure, or a command
 * asked to stop keeps its folder.
 */
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CertfleetError } from '../../../pki/errors.ts';
import { claimOutFolder, dropOnUsageError } from '../../../simulator/fleet/run-folder.ts';

const base = mkdtempSync(join(tmpdir(), 'certfleet-out-usage-'));
afterAll(() => rmSync(base, { recursive: true, force: true }));

const usage = new CertfleetError('USAGE', 'a value checked late');

/** What `handler(error)` throws (it always throws: it passes the error on). */
function thrownBy(handler: (e: unknown) => never, error: unknown): unknown {
  try {
    handler(error);
  } catch (e) {
    return e;
  }
  throw new Error('the handler did not pass the error on');
}

describe('a usage error found once the work began', () => {
  it('removes the folders the command made for --out (missing parents too), with what it wrote there', () => {
    const top = join(base, 'a');
    const folder = claimOutFolder(join(top, 'run'));
    expect(folder).toEqual({ dir: join(top, 'run'), made: [top, join(top, 'run')] });
    mkdirSync(join(folder.dir, 'ca'));
    writeFileSync(join(folder.dir, 'ca', 'root.key'), 'made by the failing command');
    expect(thrownBy(dropOnUsageError(folder), usage)).toBe(usage);
    expect(existsSync(top)).toBe(false);
  });

  it('leaves a folder that existed as it was', () => {
    const dir = join(base, 'b');
    mkdirSync(dir);
    writeFileSync(join(dir, 'earlier.txt'), 'x');
    const folder = claimOutFolder(dir);
    expect(folder.made).toEqual([]);
    expect(thrownBy(dropOnUsageError(folder), usage)).toBe(usage);
    expect(readdirSync(dir)).toEqual(['earlier.txt']);
  });

  it('keeps the folder of another failure (its junit.xml says why) and of a command asked to stop', async () => {
    const failed = claimOutFolder(join(base, 'c'));
    const unreachable = new CertfleetError('TRANSPORT_UNREACHABLE', 'no broker');
    expect(thrownBy(dropOnUsageError(failed), unreachable)).toBe(unreachable);
    expect(existsSync(failed.dir)).toBe(true);

    const aborted = claimOutFolder(join(base, 'd'));
    const stop = new AbortController();
    stop.abort('SIGINT');
    thrownBy(dropOnUsageError(aborted, stop.signal), usage);
    expect(existsSync(aborted.dir)).toBe(true);

    const signalled = claimOutFolder(join(base, 'e'));
    const drop = dropOnUsageError(signalled, Promise.resolve('SIGTERM'));
    await Promise.resolve();
    thrownBy(drop, usage);
    expect(existsSync(signalled.dir)).toBe(true);
  });
});
