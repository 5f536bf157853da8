/**
 * Scratch folders named after their process (simulator/scratch-dir.ts): the sweep removes only the folders
 * of its own prefix whose process no longer runs, and leaves everything else in the folder alone.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { makeScratchDir, removeLeftoverScratch } from '../../../simulator/scratch-dir.ts';

let parent: string;
/** The id of a process that has ended (spawnSync waited for it). */
let dead: number;

beforeEach(() => {
  parent = mkdtempSync(join(tmpdir(), 'certfleet-scratch-test-'));
  dead = spawnSync(process.execPath, ['-e', '0']).pid;
});
afterEach(() => rmSync(parent, { recursive: true, force: true }));

describe('scratch folders named after their process', () => {
  it("removes the prefix's folders of ended processes, with what they hold, and nothing else", () => {
    const names = [
      `certfleet-mosquitto-${dead}-AbC123`, // ended: removed
      `certfleet-mosquitto-${process.pid}-XyZ789`, // this process runs: kept
      `certfleet-issued-${dead}-AbC123`, // another prefix: kept
      'certfleet-mosquitto-notapid', // no process id: kept
      `certfleet-mosquitto-${dead}`, // not the shape mkdtemp gives: kept
      'other',
    ];
    for (const n of names) mkdirSync(join(parent, n));
    writeFileSync(join(parent, names[0]!, 'passwd'), 'svc:$7$...\n');
    removeLeftoverScratch(parent, 'certfleet-mosquitto-');
    expect(readdirSync(parent).sort()).toEqual(names.slice(1).sort());
  });

  it('makes a 0700 folder named after this process, after the sweep', () => {
    mkdirSync(join(parent, `certfleet-mosquitto-${dead}-Old001`));
    const dir = makeScratchDir(parent, 'certfleet-mosquitto-');
    expect(basename(dir)).toMatch(new RegExp(`^certfleet-mosquitto-${process.pid}-[A-Za-z0-9]+$`));
    expect(statSync(dir).mode & 0o777).toBe(0o700);
    expect(readdirSync(parent)).toEqual([basename(dir)]);
    // a second folder of this process: the first stays (its process runs)
    const again = makeScratchDir(parent, 'certfleet-mosquitto-');
    expect(readdirSync(parent).sort()).toEqual([basename(dir), basename(again)].sort());
  });

  it('a prefix with pattern characters is taken literally', () => {
    mkdirSync(join(parent, `a.b-${dead}-X1`));
    mkdirSync(join(parent, `axb-${dead}-X1`));
    removeLeftoverScratch(parent, 'a.b-');
    expect(readdirSync(parent)).toEqual([`axb-${dead}-X1`]);
  });

  it('a folder that cannot be read is no error', () => {
    expect(() => removeLeftoverScratch(join(parent, 'missing'), 'certfleet-mosquitto-')).not.toThrow();
  });
});
