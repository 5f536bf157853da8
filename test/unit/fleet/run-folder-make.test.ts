/**
 * The `--out` folder made one level at a time (simulator/fleet/run-folder.ts `makeFolders`,
 * `prepareOutFolder`): a level another process made since it was found missing counts as made and is not
 * this call's to remove (the agent hosts of `run --workers` make `hosts/0`, `hosts/1`, … at once); a file
 * in the way still fails, and what the call made is removed again.
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { isCertfleetError } from '../../../pki/errors.ts';
import { makeFolders, prepareOutFolder } from '../../../simulator/fleet/run-folder.ts';

const base = mkdtempSync(join(tmpdir(), 'certfleet-run-folder-'));
afterAll(() => rmSync(base, { recursive: true, force: true }));

describe('making the run folder', () => {
  it('a level another process made after it was found missing counts as made (two hosts making hosts/0 and hosts/1)', () => {
    const hosts = join(base, 'a', 'hosts');
    // host 1 found `hosts` missing too, and made it first
    mkdirSync(join(base, 'a'));
    mkdirSync(hosts);
    expect(makeFolders([hosts, join(hosts, '0')])).toEqual({});
    expect(statSync(join(hosts, '0')).isDirectory()).toBe(true);
  });

  it('a file in the way still fails, and the levels this call made are removed again', () => {
    const top = join(base, 'b');
    const file = join(top, 'hosts');
    const made = makeFolders([top]);
    expect(made).toEqual({});
    writeFileSync(file, 'not a folder');
    const below = join(base, 'c');
    const r = makeFolders([below, join(below, 'x'), file]);
    expect(r.failed?.at).toBe(file);
    expect((r.failed?.cause as NodeJS.ErrnoException).code).toBe('EEXIST');
    expect(existsSync(below)).toBe(false);
    expect(existsSync(file)).toBe(true);
  });

  it('prepareOutFolder makes the missing levels and refuses a file with IO', () => {
    const out = join(base, 'd', 'run', 'hosts', '0');
    expect(prepareOutFolder(out)).toBe(out);
    expect(statSync(out).isDirectory()).toBe(true);
    const file = join(base, 'e');
    writeFileSync(file, 'x');
    let error: unknown;
    try {
      prepareOutFolder(file);
    } catch (e) {
      error = e;
    }
    expect(isCertfleetError(error, 'IO')).toBe(true);
  });
});
