import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { reserveOutput } from '../../../simulator/service/ca/output-file.ts';
import { makeTempDir, type TempDir } from '../pki/openssl.ts';

let tmp: TempDir;
beforeAll(() => {
  tmp = makeTempDir('certfleet-out-');
});
afterAll(() => tmp.remove());

describe('regression issue 2: reserveOutput fails before anything is written', () => {
  it.each([
    ['a missing folder', () => join(tmp.path, 'no', 'such', 'x.pfx'), /the folder does not exist \(ENOENT\)/],
    ['a folder', () => tmp.path, /it is a folder \(EISDIR\)/],
    ['a parent that is a file', () => join(tmp.file('plain', 'x'), 'x.pfx'), /not a folder \(ENOTDIR\)/],
  ])('%s → IO naming the path and the reason', (_what, path, reason) => {
    const p = path();
    expect(() => reserveOutput(p)).toThrow(
      expect.objectContaining({ code: 'IO', message: expect.stringMatching(reason) }),
    );
  });

  it.skipIf(process.getuid?.() === 0)('a read-only folder → IO permission denied', () => {
    const ro = join(tmp.path, 'ro');
    mkdirSync(ro);
    chmodSync(ro, 0o500);
    try {
      expect(() => reserveOutput(join(ro, 'x.crl'))).toThrow(
        expect.objectContaining({
          code: 'IO',
          message: expect.stringMatching(/permission denied \(EACCES\)/),
        }),
      );
    } finally {
      chmodSync(ro, 0o700);
    }
  });

  it('commit renames into place with the mode asked for (replacing a file), abort leaves nothing', () => {
    const target = tmp.file('out.pfx', 'old');
    chmodSync(target, 0o644);
    const out = reserveOutput(target, 0o600);
    out.commit(Buffer.from('new'));
    out.abort(); // after commit: a no-op
    expect(readFileSync(target, 'utf8')).toBe('new');
    expect(statSync(target).mode & 0o777).toBe(0o600);
    const gone = reserveOutput(join(tmp.path, 'never.pfx'));
    gone.abort();
    expect(existsSync(join(tmp.path, 'never.pfx'))).toBe(false);
    expect(readdirSync(tmp.path).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });
});
