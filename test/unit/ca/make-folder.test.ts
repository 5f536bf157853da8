import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeFolder } from '../../../simulator/service/ca/make-folder.ts';
import { makeTempDir, type TempDir } from '../pki/openssl.ts';

let tmp: TempDir;
beforeAll(() => {
  tmp = makeTempDir('certfleet-mkdir-');
});
afterAll(() => tmp.remove());

// The /proc case (where Node's recursive mkdir spins for ever) is in test/e2e/cli-ca.test.ts, run in a
// child process with a timeout, so that a regression cannot hang this worker.
describe('regression issue 2: makeFolder', () => {
  it('makes missing parents and accepts an existing folder', () => {
    const deep = join(tmp.path, 'a', 'b', 'c');
    makeFolder(deep);
    expect(statSync(deep).isDirectory()).toBe(true);
    expect(() => makeFolder(deep)).not.toThrow();
  });

  it.each([
    ['the folder is a file', (f: string) => f, /is a file, not a folder \(ENOTDIR\)/],
    ['a parent is a file', (f: string) => join(f, 'x', 'y'), /not a folder \(ENOTDIR\)/],
  ])('%s → IO naming the path', (_what, path, reason) => {
    const target = path(tmp.file('plain', 'x'));
    expect(() => makeFolder(target)).toThrow(
      expect.objectContaining({
        code: 'IO',
        message: expect.stringMatching(new RegExp(`^Cannot create the folder ${target}: .*${reason.source}`)),
      }),
    );
    expect(existsSync(join(tmp.path, 'plain', 'x'))).toBe(false);
  });
});
